"""Event-driven spike propagation: only presynaptic neurons that spiked are visited.

A network step produces, for every population, the list of neurons that spiked in each
batch element (:func:`spike_list`). A connection then adds the weights of the *outgoing*
synapses of those neurons into a **ring buffer** of postsynaptic input,

.. math::
    R[(s + d_{ij}) \\bmod D,\\; b,\\; i] \\mathrel{+}= w_{ij}
    \\qquad \\text{for every spike of } j \\text{ in batch } b,

so the cost of a step is proportional to (number of spikes) x (fan-out), not to
:math:`n_\\mathrm{pre} \\times n_\\mathrm{post}` (the event-driven propagation of Brette et al.,
2007, section 2.2, and Morrison, Mehring, Geisel, Aertsen & Diesmann, 2005, for the ring buffer
of delayed input). Here :math:`s` is the ring slot that a synapse without extra delay writes to,
:math:`d_{ij} \\in \\{0, \\dots, D-1\\}` an integer per-synapse delay in steps and :math:`D` the ring
length (maximum delay + 1). The simulator reads slot :math:`t \\bmod D` at step :math:`t`
and clears it, which is why a ring of :math:`D` slots suffices.

All functions follow the kernel contract (ARCHITECTURE.md): arrays and scalars in, results
written into arrays passed by the caller, batched over the first axis of the spike list, and a
twin of the same name in :mod:`spikecore.reference.propagation`.
"""
import numba
import numpy as np

from ._prefetch import _prefetch_range


@numba.njit(cache=True)
def spike_list(spikes, idx, count):
    """Compact a spike raster of one step into per-batch lists of spiking neurons.

    .. math::
        \\mathrm{idx}[b, 0:c_b] = \\{ j : z_{bj} \\neq 0 \\} \\text{ (ascending)},\\qquad
        c_b = \\sum_j [z_{bj} \\neq 0]

    Parameters
    ----------
    spikes : uint8 or bool array (batch, n), C-contiguous
        :math:`z_{bj}`, nonzero where neuron ``j`` of batch element ``b`` spiked.
    idx : int32 array (batch, n)
        Receives the indices of the spiking neurons in its first ``count[b]`` columns; the
        columns after them are scratch (they may be overwritten with other indices).
    count : int64 array (batch,)
        Receives :math:`c_b`, the number of spikes in batch element ``b``.

    Silent neurons are skipped 64 at a time (eight 64-bit loads OR-ed together test 64 spike
    bytes). Inside a block that holds a spike the compaction is branch-free: every index is
    written at the next free column, and the column advances only for a spiking neuron, so a
    densely spiking population costs no mispredicted branches.
    """
    batch, n = spikes.shape
    n_words = n // 8
    n_blocks = n_words // 8
    for b in range(batch):
        row = spikes[b]
        out = idx[b]
        c = 0
        words = row[: n_words * 8].view(np.uint64)
        for k in range(n_blocks):
            w0 = 8 * k
            any_spike = (words[w0] | words[w0 + 1] | words[w0 + 2] | words[w0 + 3]
                         | words[w0 + 4] | words[w0 + 5] | words[w0 + 6] | words[w0 + 7])
            if any_spike != 0:
                c = _compact_words(row, words, w0, w0 + 8, out, c)
        c = _compact_words(row, words, n_blocks * 8, n_words, out, c)
        for j in range(n_words * 8, n):
            if row[j]:
                out[c] = j
                c += 1
        count[b] = c


@numba.njit(cache=True, inline="always")
def _compact_words(row, words, w_start, w_stop, out, c):
    # Branch-free compaction of the spike bytes of words [w_start, w_stop) (8 bytes each) into
    # out[c:]; returns the new count. out[c] is always written, c advances only on a spike.
    for w in range(w_start, w_stop):
        if words[w] != 0:
            for j in range(8 * w, 8 * w + 8):
                out[c] = j
                c += row[j] != 0
    return c


@numba.njit(cache=True)
def csr_propagate(idx, count, indptr, indices, weights, delays, ring, slot):
    """Add the outgoing synapses of the spiking neurons (CSR by presynaptic row) into a ring buffer.

    .. math::
        R[(s + d_k) \\bmod D,\\, b,\\, \\mathrm{indices}[k]] \\mathrel{+}= w_k,
        \\quad k \\in [\\mathrm{indptr}[j], \\mathrm{indptr}[j+1]),\\;
        j \\in \\mathrm{idx}[b, 0:c_b]

    (event-driven propagation with a delay ring buffer; Morrison et al., 2005).

    Parameters
    ----------
    idx : int32 array (batch, n_pre)
        Spiking presynaptic neurons per batch element (first ``count[b]`` columns), as
        written by :func:`spike_list`.
    count : int64 array (batch,)
        Number of spikes :math:`c_b` in each batch element.
    indptr : int64 array (n_pre + 1,)
        Row pointer: synapses of presynaptic neuron ``j`` are ``indptr[j]:indptr[j+1]``.
    indices : int32 array (nnz,)
        Postsynaptic neuron of each synapse.
    weights : float array (nnz,)
        Weight :math:`w_k` of each synapse (sign gives excitation/inhibition).
    delays : int32 array (nnz,) or (0,)
        Extra delay :math:`d_k` in steps of each synapse, ``0 <= d_k < D``; an empty array
        means no extra delay for every synapse.
    ring : float array (D, batch, n_post)
        The ring buffer :math:`R` of postsynaptic input, updated in place.
    slot : int
        Ring slot :math:`s` that a synapse with :math:`d_k = 0` writes to.
    """
    n_slots = ring.shape[0]
    has_delays = delays.shape[0] > 0
    for b in range(idx.shape[0]):
        # The synapse rows of the neurons that fired lie scattered over the whole CSR arrays
        # (96 MB at N = 100 000): ask for all of them first, so their memory latencies overlap
        # instead of being paid row after row (1 s of CUBA 100 000: propagation 0.49 -> 0.29 s).
        for s in range(count[b]):
            j = idx[b, s]
            _prefetch_range(indices, indptr[j], indptr[j + 1])
            _prefetch_range(weights, indptr[j], indptr[j + 1])
            if has_delays:
                _prefetch_range(delays, indptr[j], indptr[j + 1])
        for s in range(count[b]):
            j = idx[b, s]
            if has_delays:
                for k in range(indptr[j], indptr[j + 1]):
                    ring[(slot + delays[k]) % n_slots, b, indices[k]] += weights[k]
            else:
                # unsigned indices: no wrap-around test per synapse (the builder checked them)
                row = ring[slot, b]
                for k in range(np.uint64(indptr[j]), np.uint64(indptr[j + 1])):
                    row[np.uint64(indices[k])] += weights[k]


@numba.njit(cache=True)
def dense_propagate(idx, count, weights_t, ring, slot):
    """Add the columns of a dense weight matrix for the spiking neurons into one ring slot.

    .. math::
        R[s, b, :] \\mathrel{+}= \\sum_{j \\in \\mathrm{idx}[b, 0:c_b]} W_{:, j}

    i.e. :math:`W z_b` computed by visiting only the nonzero entries of the spike vector
    :math:`z_b` (Brette et al., 2007).

    Parameters
    ----------
    idx, count : int32 array (batch, n_pre), int64 array (batch,)
        Spiking presynaptic neurons per batch element (see :func:`spike_list`).
    weights_t : float array (n_pre, n_post)
        The *transposed* weight matrix :math:`W^T` (row ``j`` = outgoing weights of neuron
        ``j``), stored so that one spike reads one contiguous row.
    ring : float array (D, batch, n_post)
        Ring buffer of postsynaptic input, updated in place.
    slot : int
        Ring slot :math:`s` to add into (the connection's delay is already folded in).
    """
    n_post = weights_t.shape[1]
    for b in range(idx.shape[0]):
        row = ring[slot, b]
        for s in range(count[b]):
            w = weights_t[idx[b, s]]
            for i in range(n_post):
                row[i] += w[i]


@numba.njit(cache=True)
def conv2d_propagate(idx, count, kernel, in_h, in_w, out_h, out_w,
                     stride_y, stride_x, pad_y, pad_x, ring, slot):
    """Scatter the spikes of a (C_in, H, W) population through a 2-D convolution.

    The postsynaptic input is the cross-correlation used by convolutional networks
    (LeCun, Bottou, Bengio & Haffner, 1998),

    .. math::
        I[o, y', x'] = \\sum_{c, k_y, k_x} K[o, c, k_y, k_x]\\;
        z[c,\\; y' s_y - p_y + k_y,\\; x' s_x - p_x + k_x],

    computed event by event: a spike of input ``(c, y, x)`` adds :math:`K[o, c, k_y, k_x]`
    to every output ``(o, y', x')`` with :math:`y = y' s_y - p_y + k_y` and
    :math:`x = x' s_x - p_x + k_x` (zero padding), so the cost is spikes x C_out x K_h x K_w.
    Neurons are numbered in C-order: ``j = (c * H + y) * W + x``.

    Parameters
    ----------
    idx, count : int32 array (batch, C_in*H*W), int64 array (batch,)
        Spiking presynaptic neurons per batch element (see :func:`spike_list`).
    kernel : float array (C_out, C_in, K_h, K_w)
        Convolution kernel :math:`K`.
    in_h, in_w : int
        Input height :math:`H` and width :math:`W`.
    out_h, out_w : int
        Output height and width (``(H + 2 p_y - K_h) // s_y + 1`` etc., checked by the caller).
    stride_y, stride_x : int
        Strides :math:`s_y, s_x`.
    pad_y, pad_x : int
        Zero padding :math:`p_y, p_x`.
    ring : float array (D, batch, C_out*out_h*out_w)
        Ring buffer of postsynaptic input, updated in place.
    slot : int
        Ring slot to add into.
    """
    c_out, c_in, k_h, k_w = kernel.shape
    plane_in = in_h * in_w
    plane_out = out_h * out_w
    for b in range(idx.shape[0]):
        row = ring[slot, b]
        for s in range(count[b]):
            j = idx[b, s]
            c = j // plane_in
            rem = j - c * plane_in
            y = rem // in_w
            x = rem - y * in_w
            for ky in range(k_h):
                ty = y + pad_y - ky
                if ty < 0 or ty % stride_y != 0:
                    continue
                oy = ty // stride_y
                if oy >= out_h:
                    continue
                for kx in range(k_w):
                    tx = x + pad_x - kx
                    if tx < 0 or tx % stride_x != 0:
                        continue
                    ox = tx // stride_x
                    if ox >= out_w:
                        continue
                    base = oy * out_w + ox
                    for o in range(c_out):
                        row[o * plane_out + base] += kernel[o, c, ky, kx]


@numba.njit(cache=True)
def pool2d_propagate(idx, count, in_h, in_w, out_h, out_w,
                     size_y, size_x, stride_y, stride_x, scale, ring, slot):
    """Scatter the spikes of a (C, H, W) population through 2-D sum or average pooling.

    .. math::
        I[c, y', x'] = a \\sum_{0 \\le k_y < P_y,\\; 0 \\le k_x < P_x}
        z[c,\\; y' s_y + k_y,\\; x' s_x + k_x]

    with :math:`a = 1` for sum pooling and :math:`a = 1/(P_y P_x)` for average pooling, the
    pooling used by converted CNNs (Rueckauer, Lungu, Hu, Pfeiffer & Liu, 2017). Each spike
    of input ``(c, y, x)`` adds :math:`a` to every pooling window that contains it.

    Parameters
    ----------
    idx, count : int32 array (batch, C*H*W), int64 array (batch,)
        Spiking presynaptic neurons per batch element (see :func:`spike_list`).
    in_h, in_w, out_h, out_w : int
        Input and output height and width.
    size_y, size_x : int
        Window size :math:`P_y, P_x`.
    stride_y, stride_x : int
        Strides :math:`s_y, s_x`.
    scale : float
        The factor :math:`a`.
    ring : float array (D, batch, C*out_h*out_w)
        Ring buffer of postsynaptic input, updated in place.
    slot : int
        Ring slot to add into.
    """
    plane_in = in_h * in_w
    plane_out = out_h * out_w
    for b in range(idx.shape[0]):
        row = ring[slot, b]
        for s in range(count[b]):
            j = idx[b, s]
            c = j // plane_in
            rem = j - c * plane_in
            y = rem // in_w
            x = rem - y * in_w
            for ky in range(size_y):
                ty = y - ky
                if ty < 0 or ty % stride_y != 0:
                    continue
                oy = ty // stride_y
                if oy >= out_h:
                    continue
                for kx in range(size_x):
                    tx = x - kx
                    if tx < 0 or tx % stride_x != 0:
                        continue
                    ox = tx // stride_x
                    if ox >= out_w:
                        continue
                    row[c * plane_out + oy * out_w + ox] += scale
