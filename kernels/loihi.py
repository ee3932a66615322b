"""Loihi's current-based (CUBA) leaky integrate-and-fire neuron, bit for bit, and its synapses.

Loihi (Davies et al., 2018) computes a two-state CUBA neuron in fixed point. Lava's
bit-accurate CPU model (``lava.proc.lif.models.PyLifModelBitAcc``, lava-nc 0.10) documents the
arithmetic; the kernels here reproduce it exactly. For neuron :math:`i` at step :math:`t`:

.. math::
    u_i[t] &= \\mathrm{wrap}_{24}\\Big(\\mathrm{rtz}\\big(u_i[t-1]\\,(4096 - \\delta_u) / 2^{12}\\big)
              + 2^{6}\\,a_i[t]\\Big) \\\\
    v_i[t] &= \\mathrm{clip}_{24}\\Big(\\mathrm{rtz}\\big(v_i[t-1]\\,(4096 - \\delta_v) / 2^{12}\\big)
              + u_i[t] + b_i\\Big) \\\\
    z_i[t] &= [\\, v_i[t] > \\theta \\cdot 2^{6} \\,], \\qquad v_i[t] \\leftarrow 0 \\text{ if } z_i[t]

where :math:`a_i[t]` is the integer synaptic input (the dendritic sum of the weights of the
spikes that arrived, already shifted by the weight exponent), :math:`\\delta_u, \\delta_v \\in
[0, 4096]` are the 12-bit current and voltage decays (Loihi's ``iDecay`` and ``vDecay``;
Lava's process parameters are ``du = iDecay - 1`` and ``dv = vDecay`` because Lava adds a one-bit
offset to ``du``), :math:`b_i = m_i \\cdot 2^{e_i}` the bias from mantissa and exponent,
:math:`\\theta` the 17-bit threshold mantissa, ``rtz`` rounds toward zero
(:math:`\\mathrm{sign}(x)\\,(|x| \\gg 12)`), :math:`\\mathrm{wrap}_{24}` maps a value above
:math:`2^{23}` to :math:`x - 2^{24}` and a value at or below :math:`-2^{23}` to :math:`x + 2^{24}`
(one wrap, after the 32-bit addition, exactly as Lava does), and :math:`\\mathrm{clip}_{24}`
saturates to :math:`[-2^{23}+1, 2^{23}-1]`. With :math:`\\delta_u = 0` the current is an exact
accumulator; with :math:`\\delta_u = 4096` it holds only this step's input.

Every public function has a twin of the same name in :mod:`spikecore.reference.loihi`.
"""
import numba
import numpy as np

_MAX24 = 1 << 23


@numba.njit(cache=True, inline="always")
def _rtz_decay(x, decay):
    # x * (4096 - decay) / 4096, rounded toward zero, as Lava's sign(x) * (|x| >> 12)
    p = np.int64(x) * (4096 - decay)
    if p >= 0:
        return p >> 12
    return -((-p) >> 12)


@numba.njit(cache=True, inline="always")
def _int32(x):
    # two's-complement wrap to 32 bits (Lava adds int32 arrays)
    return ((x + 2147483648) & 0xFFFFFFFF) - 2147483648


@numba.njit(cache=True, inline="always")
def _cuba_update(uu, vv, a, i_decay, v_decay, b, vth_eff):
    # one Loihi CUBA update of one neuron (module docstring); returns (u, v after reset, fired)
    cur = _int32(_rtz_decay(uu, i_decay) + _int32(a << 6))
    if cur > _MAX24:
        cur -= 2 * _MAX24
    elif cur <= -_MAX24:
        cur += 2 * _MAX24
    vol = _rtz_decay(vv, v_decay) + cur + b
    if vol > _MAX24 - 1:
        vol = _MAX24 - 1
    elif vol < -_MAX24 + 1:
        vol = -_MAX24 + 1
    fired = vol > vth_eff
    if fired:
        vol = 0
    return cur, vol, fired


@numba.njit(cache=True)
def loihi_cuba_step(u, v, current, i_decay, v_decay, bias, vth, spikes_out):
    """One step of Loihi's fixed-point CUBA neuron, in the engine's ``kernel_step`` form.

    The same update as :func:`loihi_cuba_run` (Davies et al., 2018; Lava ``PyLifModelBitAcc``)
    with synaptic input :math:`a = \\mathrm{rint}(\\mathrm{current})`: the engine sums integer
    weights into a float array, which holds them exactly below :math:`2^{24}`.

    Parameters
    ----------
    u, v : int32 arrays (batch, n)
        State, updated in place.
    current : float array (batch, n)
        Integer-valued synaptic input :math:`a` of this step.
    i_decay, v_decay : int
        :math:`\\delta_u, \\delta_v` in 0..4096.
    bias : int32 array (n,) or (1,)
        Effective bias :math:`m 2^{e}` per neuron (or one for all).
    vth : int
        Threshold mantissa :math:`\\theta`.
    spikes_out : bool or uint8 array (batch, n)
        Receives :math:`z`.
    """
    batch, n = u.shape
    vth_eff = np.int64(vth) << 6
    one = bias.shape[0] == 1
    for b in range(batch):
        for i in range(n):
            a = np.int64(np.rint(current[b, i]))
            cur, vol, fired = _cuba_update(np.int64(u[b, i]), np.int64(v[b, i]), a, i_decay, v_decay,
                                           np.int64(bias[0] if one else bias[i]), vth_eff)
            u[b, i] = cur
            v[b, i] = vol
            spikes_out[b, i] = fired


@numba.njit(cache=True)
def loihi_cuba_neuron_run(u, v, current_T, i_decay, v_decay, bias, vth, spikes_T, v_trace):
    """:func:`loihi_cuba_step` over ``T`` steps, the engine's ``kernel_run`` form.

    .. math::
        (u, v, z)[t] = \\mathrm{LoihiCUBA}\\big(u[t-1], v[t-1], \\mathrm{rint}(I[t])\\big)

    (Davies et al., 2018). ``current_T`` is ``(T, batch, n)``, ``spikes_T`` receives the spikes and
    ``v_trace`` (``(T, batch, n)`` or ``(0, batch, n)``) the voltage after every step.
    """
    T = current_T.shape[0]
    record = v_trace.shape[0] > 0
    for t in range(T):
        loihi_cuba_step(u, v, current_T[t], i_decay, v_decay, bias, vth, spikes_T[t])
        if record:
            for b in range(u.shape[0]):
                for i in range(u.shape[1]):
                    v_trace[t, b, i] = v[b, i]


@numba.njit(cache=True)
def loihi_cuba_bias_step(u, v, current, i_decay, v_decay, bias, bias_exp, vth, spikes_out):
    """One step of Loihi's CUBA neuron driven through its bias: lava-dl netx's input layer.

    The update of :func:`loihi_cuba_run` (Davies et al., 2018; Lava ``PyLifModelBitAcc``) with
    no synaptic input and the step's input read as a bias mantissa :math:`m` per neuron,

    .. math::
        a = 0, \\qquad b_i = \\beta_i + \\mathrm{shift}(\\mathrm{rint}(m_i), e)

    where :math:`\\beta_i` is the neuron's own effective bias, ``shift`` a left shift by
    :math:`e \\ge 0` and an arithmetic right shift otherwise (Lava's ``scale_bias``). netx drives an
    input layer by the encoded sample as bias (exponent 6), so a per-sample, per-step bias can be
    given to the engine as an external current.

    Parameters
    ----------
    u, v : int32 arrays (batch, n)
        State, updated in place.
    current : float array (batch, n)
        Integer-valued bias mantissas :math:`m` of this step.
    i_decay, v_decay : int
        :math:`\\delta_u, \\delta_v` in 0..4096.
    bias : int32 array (n,) or (1,)
        The neurons' own effective bias :math:`\\beta` (or one for all).
    bias_exp : int
        Exponent :math:`e` of the mantissas.
    vth : int
        Threshold mantissa :math:`\\theta`.
    spikes_out : bool or uint8 array (batch, n)
        Receives :math:`z`.
    """
    batch, n = u.shape
    vth_eff = np.int64(vth) << 6
    one = bias.shape[0] == 1
    for b in range(batch):
        for i in range(n):
            m = np.int64(np.rint(current[b, i]))
            extra = m << bias_exp if bias_exp >= 0 else m >> (-bias_exp)
            cur, vol, fired = _cuba_update(np.int64(u[b, i]), np.int64(v[b, i]), np.int64(0), i_decay,
                                           v_decay, np.int64(bias[0] if one else bias[i]) + extra, vth_eff)
            u[b, i] = cur
            v[b, i] = vol
            spikes_out[b, i] = fired


@numba.njit(cache=True)
def loihi_cuba_bias_neuron_run(u, v, current_T, i_decay, v_decay, bias, bias_exp, vth, spikes_T, v_trace):
    """:func:`loihi_cuba_bias_step` over ``T`` steps, the engine's ``kernel_run`` form.

    .. math::
        (u, v, z)[t] = \\mathrm{LoihiCUBA}\\big(u[t-1], v[t-1], a = 0,
        b = \\beta + \\mathrm{shift}(m[t], e)\\big)

    (Davies et al., 2018). ``current_T`` is ``(T, batch, n)`` mantissas, ``spikes_T`` receives the
    spikes and ``v_trace`` (``(T, batch, n)`` or ``(0, batch, n)``) the voltage after every step.
    """
    T = current_T.shape[0]
    record = v_trace.shape[0] > 0
    for t in range(T):
        loihi_cuba_bias_step(u, v, current_T[t], i_decay, v_decay, bias, bias_exp, vth, spikes_T[t])
        if record:
            for b in range(u.shape[0]):
                for i in range(u.shape[1]):
                    v_trace[t, b, i] = v[b, i]


@numba.njit(cache=True)
def loihi_cuba_run(a_in, u, v, i_decay, v_decay, bias, vth, w_rec, rec_exp, s_prev,
                   reset_interval, reset_offset, t_start, spikes, u_rec, v_rec):
    """Run Loihi's fixed-point CUBA neuron over ``T`` steps, optionally with recurrent synapses.

    Implements the equations of the module docstring (Davies et al., 2018; Lava's
    ``PyLifModelBitAcc``). The recurrent input is Lava's ``RecurrentDense`` block: the spikes of
    step :math:`t-1` reach the neuron at step :math:`t`,

    .. math::
        a_i[t] = a^{\\mathrm{ff}}_i[t] + \\mathrm{shift}\\Big(\\sum_j W^{\\mathrm{rec}}_{ij}\\, z_j[t-1],
                 \\; e^{\\mathrm{rec}}\\Big),

    with ``shift`` a left shift for :math:`e > 0` and an arithmetic right shift (floor) otherwise.
    A periodic state reset (Lava's ``LIFReset``) sets :math:`u = v = 0` before the update of every
    Lava time step :math:`t_\\mathrm{L} = t_\\mathrm{start} + t` with
    :math:`t_\\mathrm{L} \\bmod R = o`.

    Parameters
    ----------
    a_in : int32 array (T, batch, n)
        Feed-forward synaptic input :math:`a^{\\mathrm{ff}}` per step (already weight-exponent shifted).
    u, v : int32 arrays (batch, n)
        Current and voltage state, updated in place.
    i_decay, v_decay : int
        :math:`\\delta_u, \\delta_v` in 0..4096.
    bias : int32 array (n,)
        Effective bias :math:`b_i = m_i 2^{e_i}`.
    vth : int
        Threshold mantissa :math:`\\theta` (compared as :math:`\\theta \\cdot 2^6`).
    w_rec : int32 array (n, n) or (0, 0)
        Recurrent weights :math:`W^{\\mathrm{rec}}_{ij}` (row = postsynaptic); empty for none.
    rec_exp : int
        Recurrent weight exponent :math:`e^{\\mathrm{rec}}`.
    s_prev : uint8 array (batch, n)
        Spikes of the step before the first one (recurrent state), updated in place.
    reset_interval, reset_offset : int
        :math:`R` (0 disables the reset) and :math:`o`.
    t_start : int
        Lava time step of the first row of ``a_in`` (Lava counts from 1).
    spikes : uint8 array (T, batch, n)
        Receives :math:`z[t]`.
    u_rec, v_rec : int32 arrays (T, batch, n) or (0, 0, 0)
        Receive :math:`u[t]` and :math:`v[t]` (after the spike reset) when not empty.
    """
    T, batch, n = a_in.shape
    vth_eff = np.int64(vth) << 6
    has_rec = w_rec.shape[0] > 0
    record = u_rec.shape[0] > 0
    for t in range(T):
        ts = t_start + t
        do_reset = reset_interval > 0 and ts % reset_interval == reset_offset
        for b in range(batch):
            for i in range(n):
                a = np.int64(a_in[t, b, i])
                if has_rec:
                    acc = np.int64(0)
                    for j in range(n):
                        if s_prev[b, j]:
                            acc += w_rec[i, j]
                    if rec_exp > 0:
                        acc = acc << rec_exp
                    else:
                        acc = acc >> (-rec_exp)
                    a += acc
                uu = np.int64(u[b, i])
                vv = np.int64(v[b, i])
                if do_reset:
                    uu = 0
                    vv = 0
                cur, vol, fired = _cuba_update(uu, vv, a, i_decay, v_decay, bias[i], vth_eff)
                u[b, i] = cur
                v[b, i] = vol
                spikes[t, b, i] = 1 if fired else 0
                if record:
                    u_rec[t, b, i] = cur
                    v_rec[t, b, i] = vol
        if has_rec:
            for b in range(batch):
                for i in range(n):
                    s_prev[b, i] = spikes[t, b, i]
    return spikes


@numba.njit(cache=True)
def lif_float_run(a_in, u, v, du, dv, bias, vth, spikes, u_rec, v_rec):
    """Run the floating-point variant of the Loihi CUBA neuron (Lava's ``PyLifModelFloat``).

    .. math::
        u_i[t] = u_i[t-1](1 - d_u) + a_i[t], \\quad
        v_i[t] = v_i[t-1](1 - d_v) + u_i[t] + b_i, \\quad
        z_i[t] = [v_i[t] > \\theta], \\quad v_i[t] \\leftarrow 0 \\text{ if } z_i[t]

    with :math:`d_u = \\delta_u / 4096` and :math:`d_v = \\delta_v / 4096` the decays as fractions
    (Davies et al., 2018). Computed in float64 because Lava's float model is float64 and the
    point of this variant is to reproduce it.

    Parameters
    ----------
    a_in : float64 array (T, batch, n)
        Synaptic input :math:`a[t]`.
    u, v : float64 arrays (batch, n)
        State, updated in place.
    du, dv : float
        Decay fractions :math:`d_u, d_v` in [0, 1].
    bias : float64 array (n,)
        Bias :math:`b_i`.
    vth : float
        Threshold :math:`\\theta`.
    spikes : uint8 array (T, batch, n)
        Receives :math:`z[t]`.
    u_rec, v_rec : float64 arrays (T, batch, n) or (0, 0, 0)
        Receive the state per step when not empty.
    """
    T, batch, n = a_in.shape
    record = u_rec.shape[0] > 0
    for t in range(T):
        for b in range(batch):
            for i in range(n):
                cur = u[b, i] * (1.0 - du) + a_in[t, b, i]
                vol = v[b, i] * (1.0 - dv) + cur + bias[i]
                fired = vol > vth
                if fired:
                    vol = 0.0
                u[b, i] = cur
                v[b, i] = vol
                spikes[t, b, i] = 1 if fired else 0
                if record:
                    u_rec[t, b, i] = cur
                    v_rec[t, b, i] = vol
    return spikes


@numba.njit(cache=True)
def loihi_conv2d(x, weight, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups, out):
    """Integer 2-D cross-correlation with Loihi's 24-bit wrap of the dendritic sum.

    .. math::
        y[n, k, p, q] = \\mathrm{wrap}_{24}\\Big(\\sum_{c \\in g(k)} \\sum_{r, s}
        W[k, c, r, s]\\; x[n, c,\\; p\\,\\sigma_h - \\pi_h + r\\,\\delta_h,\\;
        q\\,\\sigma_w - \\pi_w + s\\,\\delta_w]\\Big)

    (zero outside the input), the PyTorch ``conv2d`` convention that lava-dl's netx files store
    (lava-dl flips the kernel twice on load, so the stored kernel acts as a correlation), with
    :math:`\\sigma` stride, :math:`\\pi` padding, :math:`\\delta` dilation, :math:`g(k)` the input
    channels of the group of output channel :math:`k`, and
    :math:`\\mathrm{wrap}_{24}(y) = ((y + 2^{23}) \\bmod 2^{24}) - 2^{23}` as in Lava's fixed-point
    ``Conv`` model (``signed_clamp(x, bits=24)``).

    Parameters
    ----------
    x : int array (N, C_in, H, W)
        Input frames (spikes or graded values).
    weight : int32 array (C_out, C_in / groups, K_h, K_w)
        Kernel :math:`W`.
    stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups : int
        Convolution geometry.
    out : int32 array (N, C_out, H_out, W_out)
        Receives :math:`y`.
    """
    N, C, H, W = x.shape
    Co, Cg, Kh, Kw = weight.shape
    _, _, Ho, Wo = out.shape
    co_per_g = Co // groups
    for nn in range(N):
        for k in range(Co):
            g = k // co_per_g
            for p in range(Ho):
                for q in range(Wo):
                    acc = np.int64(0)
                    for c in range(Cg):
                        ci = g * Cg + c
                        for r in range(Kh):
                            yy = p * stride_h - pad_h + r * dil_h
                            if yy < 0 or yy >= H:
                                continue
                            for s in range(Kw):
                                xx = q * stride_w - pad_w + s * dil_w
                                if xx < 0 or xx >= W:
                                    continue
                                xv = x[nn, ci, yy, xx]
                                if xv != 0:
                                    acc += np.int64(weight[k, c, r, s]) * xv
                    out[nn, k, p, q] = ((acc + _MAX24) & 0xFFFFFF) - _MAX24
    return out
