"""Plain-NumPy twins of :mod:`spikecore.kernels.loihi`, written straight from Lava's equations.

Loihi's CUBA neuron (Davies et al., 2018) as Lava's bit-accurate model
``PyLifModelBitAcc`` computes it: vectorised over the batch and the neurons, one time step per
loop iteration, with the same integer widths (int64 products, a 32-bit add, then the 24-bit
wrap of the current and saturation of the voltage).
"""
import numpy as np

_MAX24 = 1 << 23


def _rtz_decay(x, decay):
    p = x.astype(np.int64) * (4096 - int(decay))
    return np.sign(p) * (np.abs(p) >> 12)


def _int32(x):
    return x.astype(np.int64).astype(np.int32).astype(np.int64)


def loihi_cuba_run(a_in, u, v, i_decay, v_decay, bias, vth, w_rec, rec_exp, s_prev,
                   reset_interval, reset_offset, t_start, spikes, u_rec, v_rec):
    """Reference of :func:`spikecore.kernels.loihi.loihi_cuba_run` (same equations and arguments).

    .. math::
        u[t] = \\mathrm{wrap}_{24}(\\mathrm{rtz}(u[t-1](4096-\\delta_u)/2^{12}) + 2^6 a[t]),\\;
        v[t] = \\mathrm{clip}_{24}(\\mathrm{rtz}(v[t-1](4096-\\delta_v)/2^{12}) + u[t] + b),\\;
        z[t] = [v[t] > 2^6\\theta]

    (Davies et al., 2018; Lava ``PyLifModelBitAcc`` and ``LIFReset``). See the kernel for every
    argument.
    """
    T = a_in.shape[0]
    vth_eff = np.int64(vth) << 6
    has_rec = w_rec.shape[0] > 0
    record = u_rec.shape[0] > 0
    for t in range(T):
        ts = t_start + t
        a = a_in[t].astype(np.int64)
        if has_rec:
            acc = s_prev.astype(np.int64) @ w_rec.astype(np.int64).T
            acc = acc << rec_exp if rec_exp > 0 else acc >> (-rec_exp)
            a = a + acc
        if reset_interval > 0 and ts % reset_interval == reset_offset:
            u[...] = 0
            v[...] = 0
        decayed = _rtz_decay(u, i_decay)
        cur = _int32(decayed + (a << 6))
        cur = np.where(cur > _MAX24, cur - 2 * _MAX24, cur)
        cur = np.where(cur <= -_MAX24, cur + 2 * _MAX24, cur)
        vol = _rtz_decay(v, v_decay) + cur + bias.astype(np.int64)
        vol = np.clip(vol, -_MAX24 + 1, _MAX24 - 1)
        fired = vol > vth_eff
        vol[fired] = 0
        u[...] = cur
        v[...] = vol
        spikes[t] = fired
        if record:
            u_rec[t] = cur
            v_rec[t] = vol
        if has_rec:
            s_prev[...] = fired
    return spikes


def lif_float_run(a_in, u, v, du, dv, bias, vth, spikes, u_rec, v_rec):
    """Reference of :func:`spikecore.kernels.loihi.lif_float_run`.

    .. math::
        u[t] = u[t-1](1-d_u) + a[t],\\; v[t] = v[t-1](1-d_v) + u[t] + b,\\; z[t] = [v[t] > \\theta]

    (Davies et al., 2018; Lava ``PyLifModelFloat``), float64.
    """
    record = u_rec.shape[0] > 0
    for t in range(a_in.shape[0]):
        u[...] = u * (1.0 - du) + a_in[t]
        v[...] = v * (1.0 - dv) + u + bias
        fired = v > vth
        v[fired] = 0.0
        spikes[t] = fired
        if record:
            u_rec[t] = u
            v_rec[t] = v
    return spikes


def loihi_conv2d(x, weight, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups, out):
    """Reference of :func:`spikecore.kernels.loihi.loihi_conv2d`: correlation by explicit patches.

    .. math::
        y[n,k,p,q] = \\mathrm{wrap}_{24}\\Big(\\sum_{c\\in g(k)}\\sum_{r,s} W[k,c,r,s]\\,
        x[n,c,p\\sigma_h-\\pi_h+r\\delta_h, q\\sigma_w-\\pi_w+s\\delta_w]\\Big)

    (PyTorch ``conv2d`` convention; Lava ``Conv`` fixed-point model wraps to 24 bits).
    """
    N, C, H, W = x.shape
    Co, Cg, Kh, Kw = weight.shape
    Ho, Wo = out.shape[2], out.shape[3]
    padded = np.zeros((N, C, H + 2 * pad_h, W + 2 * pad_w), np.int64)
    padded[:, :, pad_h:pad_h + H, pad_w:pad_w + W] = x
    co_per_g = Co // groups
    for k in range(Co):
        g = k // co_per_g
        chans = padded[:, g * Cg:(g + 1) * Cg]
        for p in range(Ho):
            for q in range(Wo):
                rows = p * stride_h + np.arange(Kh) * dil_h
                cols = q * stride_w + np.arange(Kw) * dil_w
                patch = chans[:, :, rows][:, :, :, cols]
                acc = (patch * weight[k].astype(np.int64)).sum(axis=(1, 2, 3))
                out[:, k, p, q] = ((acc + _MAX24) % (1 << 24)) - _MAX24
    return out


def loihi_cuba_step(u, v, current, i_decay, v_decay, bias, vth, spikes_out):
    """Reference of :func:`spikecore.kernels.loihi.loihi_cuba_step`: one step of
    :func:`loihi_cuba_run` with :math:`a = \\mathrm{rint}(\\mathrm{current})` (Davies et al., 2018)."""
    a = np.rint(np.asarray(current, np.float64)).astype(np.int32)[None]
    b = np.broadcast_to(np.asarray(bias, np.int64), (u.shape[1],)).astype(np.int32)
    s = np.zeros((1,) + u.shape, np.uint8)
    empty = np.zeros((0, 0, 0), np.int32)
    loihi_cuba_run(a, u, v, i_decay, v_decay, b, vth, np.zeros((0, 0), np.int32), 0,
                   np.zeros(u.shape, np.uint8), 0, 0, 1, s, empty, empty)
    spikes_out[...] = s[0].astype(spikes_out.dtype)


def loihi_cuba_neuron_run(u, v, current_T, i_decay, v_decay, bias, vth, spikes_T, v_trace):
    """Reference of :func:`spikecore.kernels.loihi.loihi_cuba_neuron_run` (step after step)."""
    for t in range(current_T.shape[0]):
        loihi_cuba_step(u, v, current_T[t], i_decay, v_decay, bias, vth, spikes_T[t])
        if v_trace.shape[0] > 0:
            v_trace[t] = v


def loihi_cuba_bias_step(u, v, current, i_decay, v_decay, bias, bias_exp, vth, spikes_out):
    """Reference of :func:`spikecore.kernels.loihi.loihi_cuba_bias_step`: one step of
    :func:`loihi_cuba_run` with :math:`a = 0` and bias :math:`\\beta + \\mathrm{shift}(\\mathrm{rint}(m), e)`
    per batch element and neuron (Davies et al., 2018; lava-dl netx's input layer)."""
    m = np.rint(np.asarray(current, np.float64)).astype(np.int64)
    extra = m << bias_exp if bias_exp >= 0 else m >> (-bias_exp)
    own = np.broadcast_to(np.asarray(bias, np.int64), (u.shape[1],))
    empty = np.zeros((0, 0, 0), np.int32)
    for b in range(u.shape[0]):  # the bias differs per batch element: one run per element
        s = np.zeros((1, 1, u.shape[1]), np.uint8)
        ub, vb = u[b:b + 1].copy(), v[b:b + 1].copy()
        loihi_cuba_run(np.zeros((1, 1, u.shape[1]), np.int32), ub, vb, i_decay, v_decay,
                       (own + extra[b]).astype(np.int32), vth, np.zeros((0, 0), np.int32), 0,
                       np.zeros((1, u.shape[1]), np.uint8), 0, 0, 1, s, empty, empty)
        u[b], v[b] = ub[0], vb[0]
        spikes_out[b] = s[0, 0].astype(spikes_out.dtype)


def loihi_cuba_bias_neuron_run(u, v, current_T, i_decay, v_decay, bias, bias_exp, vth, spikes_T, v_trace):
    """Reference of :func:`spikecore.kernels.loihi.loihi_cuba_bias_neuron_run` (step after step)."""
    for t in range(current_T.shape[0]):
        loihi_cuba_bias_step(u, v, current_T[t], i_decay, v_decay, bias, bias_exp, vth, spikes_T[t])
        if v_trace.shape[0] > 0:
            v_trace[t] = v
