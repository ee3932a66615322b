"""Plain-NumPy twins of :mod:`spikecore.kernels.propagation`, written from the equations.

Each function has the same name and signature as its kernel and computes the same result the
obvious way: build the dense spike vector :math:`z_b` and multiply it by the dense weight
matrix of every delay value, :math:`R[(s+d) \\bmod D, b] \\mathrel{+}= W^{(d)} z_b`
(Brette et al., 2007, for event-driven propagation; Morrison et al., 2005, for the delay ring).
"""
import numpy as np


def spike_list(spikes, idx, count):
    """Reference of :func:`spikecore.kernels.propagation.spike_list`.

    :math:`\\mathrm{idx}[b, 0:c_b] = \\{j : z_{bj} \\ne 0\\}` ascending, :math:`c_b` their number.
    """
    for b in range(spikes.shape[0]):
        where = np.flatnonzero(spikes[b])
        idx[b, : where.size] = where
        count[b] = where.size


def _spike_vector(idx, count, b, n_pre):
    z = np.zeros(n_pre)
    z[idx[b, : count[b]]] = 1.0
    return z


def csr_propagate(idx, count, indptr, indices, weights, delays, ring, slot):
    """Reference of :func:`spikecore.kernels.propagation.csr_propagate`.

    For every delay value :math:`d` build the dense matrix :math:`W^{(d)}_{ij}` (sum of the
    weights of the synapses ``j -> i`` with delay ``d``) and add :math:`W^{(d)} z_b` into slot
    :math:`(s + d) \\bmod D`.
    """
    n_slots, batch, n_post = ring.shape
    n_pre = indptr.shape[0] - 1
    pre = np.repeat(np.arange(n_pre), np.diff(indptr))
    d_all = np.zeros(indices.shape[0], dtype=np.int64) if delays.shape[0] == 0 else delays
    for d in np.unique(d_all):
        W = np.zeros((n_post, n_pre))
        sel = d_all == d
        np.add.at(W, (indices[sel], pre[sel]), weights[sel])
        for b in range(batch):
            ring[(slot + d) % n_slots, b] += (W @ _spike_vector(idx, count, b, n_pre)).astype(ring.dtype)


def dense_propagate(idx, count, weights_t, ring, slot):
    """Reference of :func:`spikecore.kernels.propagation.dense_propagate`: :math:`R[s,b] += W z_b`."""
    n_pre = weights_t.shape[0]
    for b in range(ring.shape[1]):
        ring[slot, b] += (weights_t.T @ _spike_vector(idx, count, b, n_pre)).astype(ring.dtype)


def conv2d_propagate(idx, count, kernel, in_h, in_w, out_h, out_w,
                     stride_y, stride_x, pad_y, pad_x, ring, slot):
    """Reference of :func:`spikecore.kernels.propagation.conv2d_propagate`.

    Computes, output by output, the cross-correlation
    :math:`I[o,y',x'] = \\sum_{c,k_y,k_x} K[o,c,k_y,k_x]\\, z[c, y's_y - p_y + k_y, x's_x - p_x + k_x]`
    on the zero-padded dense spike image.
    """
    c_out, c_in, k_h, k_w = kernel.shape
    for b in range(ring.shape[1]):
        z = _spike_vector(idx, count, b, c_in * in_h * in_w).reshape(c_in, in_h, in_w)
        zp = np.zeros((c_in, in_h + 2 * pad_y + k_h, in_w + 2 * pad_x + k_w))
        zp[:, pad_y:pad_y + in_h, pad_x:pad_x + in_w] = z
        out = np.zeros((c_out, out_h, out_w))
        for yo in range(out_h):
            for xo in range(out_w):
                patch = zp[:, yo * stride_y: yo * stride_y + k_h, xo * stride_x: xo * stride_x + k_w]
                out[:, yo, xo] = np.tensordot(kernel, patch, axes=([1, 2, 3], [0, 1, 2]))
        ring[slot, b] += out.ravel().astype(ring.dtype)


def pool2d_propagate(idx, count, in_h, in_w, out_h, out_w,
                     size_y, size_x, stride_y, stride_x, scale, ring, slot):
    """Reference of :func:`spikecore.kernels.propagation.pool2d_propagate`.

    :math:`I[c,y',x'] = a \\sum_{k_y<P_y, k_x<P_x} z[c, y's_y + k_y, x's_x + k_x]`, window by window.
    """
    channels = ring.shape[2] // (out_h * out_w)
    for b in range(ring.shape[1]):
        z = _spike_vector(idx, count, b, channels * in_h * in_w).reshape(channels, in_h, in_w)
        out = np.zeros((channels, out_h, out_w))
        for yo in range(out_h):
            for xo in range(out_w):
                window = z[:, yo * stride_y: yo * stride_y + size_y, xo * stride_x: xo * stride_x + size_x]
                out[:, yo, xo] = scale * window.sum(axis=(1, 2))
        ring[slot, b] += out.ravel().astype(ring.dtype)
