r"""Plain-NumPy twins of :mod:`spikecore.kernels.neurons`, written from the model equations.

Same names, same signatures, same in-place semantics. Arithmetic is done in float64 on
float64 copies of the state and rounded to the state's dtype once per step, exactly like the
kernels, so spikes agree exactly and float32 voltages bit for bit (Hodgkin-Huxley's
exponentials may differ in the last bit between NumPy and libm; its tests use a tolerance).

Refractoriness (all LIF-type models and SRM0): the counter ``refrac`` is decremented (not
below zero) at the start of each step; a neuron whose counter is still positive is clamped and
cannot spike; a spike sets the counter to ``n_ref``.
"""
import numpy as np

F64 = np.float64


def _refractory_tick(refrac):
    """Decrement the refractory counters; return the mask of neurons that integrate."""
    refrac[...] = np.maximum(refrac - 1, 0)
    return refrac == 0


def _reset(v, fired, soft_reset, amount, v_reset):
    """Hard reset to ``v_reset`` or soft reset ``v - amount`` for the neurons that fired."""
    v64 = v.astype(F64)
    if soft_reset:
        v[fired] = (v64 - amount)[fired] if np.ndim(amount) else v64[fired] - amount
    else:
        v[fired] = v_reset


def lif_step(v, refrac, current, alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref,
             spikes_out):
    r"""One LIF/IF step: :math:`v \leftarrow v_\mathrm{rest} + \alpha (v - v_\mathrm{rest}) + \beta I`.

    Spike when :math:`v > v_\mathrm{th}`, then hard or soft reset and ``refrac = n_ref``
    (Lapicque 1907; Gerstner & Kistler 2002). Twin of
    :func:`spikecore.kernels.neurons.lif_step`, whose docstring lists the parameters.
    """
    active = _refractory_tick(refrac)
    v_new = v_rest + alpha * (v.astype(F64) - v_rest) + beta * current.astype(F64)
    v[active] = v_new[active]
    fired = active & (v.astype(F64) > v_th)
    _reset(v, fired, soft_reset, v_th - v_reset, v_reset)
    refrac[fired] = n_ref
    spikes_out[...] = fired


def lif_run(v, refrac, current, alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref,
            spikes, v_trace):
    """Loop :func:`lif_step` over ``current`` (T, batch, n); twin of the kernel."""
    for t in range(current.shape[0]):
        lif_step(v, refrac, current[t], alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref,
                 spikes[t])
        if v_trace.shape[0] == current.shape[0]:
            v_trace[t] = v


def cuba_lif_step(v, i_syn, refrac, current, alpha, beta, v_rest, v_th, v_reset, soft_reset,
                  n_ref, syn_decay, syn_gain, spikes_out):
    r"""One CUBA LIF step, exact solution of the linear system (Vogels & Abbott 2005).

    :math:`v \leftarrow v_\mathrm{rest} + \alpha (v - v_\mathrm{rest}) + \beta I + \sum_k G_k i_k`,
    :math:`i_k \leftarrow d_k i_k`; ``v`` is clamped while refractory, currents always decay.
    Twin of :func:`spikecore.kernels.neurons.cuba_lif_step`.
    """
    # float64 arithmetic, or float32 when the model hands float32 parameters
    # (CurrentLIF(arithmetic=np.float32)); numpy keeps float32 * float32 in float32
    F = np.result_type(alpha, syn_gain)
    active = _refractory_tick(refrac)
    v_new = v_rest + alpha * (v.astype(F) - v_rest) + beta * current.astype(F)
    for k in range(i_syn.shape[0]):
        v_new = v_new + syn_gain[k] * i_syn[k].astype(F)
    v[active] = v_new[active]
    for k in range(i_syn.shape[0]):
        i_syn[k] = syn_decay[k] * i_syn[k].astype(F)
    fired = active & (v.astype(F) > v_th)
    _reset(v, fired, soft_reset, v_th - v_reset, v_reset)
    refrac[fired] = n_ref
    spikes_out[...] = fired


def cuba_lif_run(v, i_syn, refrac, current, syn_input, alpha, beta, v_rest, v_th, v_reset,
                 soft_reset, n_ref, syn_decay, syn_gain, spikes, v_trace):
    """Loop :func:`cuba_lif_step`, adding ``syn_input[t]`` to ``i_syn`` first; twin of the kernel."""
    T = current.shape[0]
    for t in range(T):
        if syn_input.shape[0] == T:
            i_syn += syn_input[t]
        cuba_lif_step(v, i_syn, refrac, current[t], alpha, beta, v_rest, v_th, v_reset,
                      soft_reset, n_ref, syn_decay, syn_gain, spikes[t])
        if v_trace.shape[0] == T:
            v_trace[t] = v


def adaptive_lif_step(v, theta, refrac, current, alpha, beta, v_rest, v_th, v_reset,
                      soft_reset, n_ref, theta_decay, theta_plus, spikes_out):
    r"""One adaptive-threshold LIF step (Diehl & Cook 2015).

    :math:`v` as LIF, :math:`\theta \leftarrow \theta e^{-dt/\tau_\theta}`; spike when
    :math:`v > v_\mathrm{th} + \theta`, then reset and :math:`\theta \mathrel{+}= \theta_+`.
    Twin of :func:`spikecore.kernels.neurons.adaptive_lif_step`.
    """
    active = _refractory_tick(refrac)
    v_new = v_rest + alpha * (v.astype(F64) - v_rest) + beta * current.astype(F64)
    v[active] = v_new[active]
    theta[...] = theta_decay * theta.astype(F64)
    threshold = v_th + theta.astype(F64)
    fired = active & (v.astype(F64) > threshold)
    _reset(v, fired, soft_reset, threshold - v_reset, v_reset)
    theta[fired] = theta.astype(F64)[fired] + theta_plus
    refrac[fired] = n_ref
    spikes_out[...] = fired


def adaptive_lif_run(v, theta, refrac, current, alpha, beta, v_rest, v_th, v_reset, soft_reset,
                     n_ref, theta_decay, theta_plus, spikes, v_trace):
    """Loop :func:`adaptive_lif_step` over ``current`` (T, batch, n); twin of the kernel."""
    for t in range(current.shape[0]):
        adaptive_lif_step(v, theta, refrac, current[t], alpha, beta, v_rest, v_th, v_reset,
                          soft_reset, n_ref, theta_decay, theta_plus, spikes[t])
        if v_trace.shape[0] == current.shape[0]:
            v_trace[t] = v


def izhikevich_step(v, u, current, a, b, c, d, v_peak, dt_ms, n_sub, spikes_out):
    r"""One Izhikevich (2003) step (mV, ms).

    ``n_sub`` Euler sub-steps of :math:`\dot v = 0.04 v^2 + 5v + 140 - u + I` (a neuron stops
    sub-stepping once :math:`v \ge v_\mathrm{peak}`), then :math:`u \mathrel{+}= dt\, a (b v - u)`;
    if :math:`v \ge v_\mathrm{peak}`: :math:`v = c`, :math:`u \mathrel{+}= d`.
    Twin of :func:`spikecore.kernels.neurons.izhikevich_step`.
    """
    vv = v.astype(F64)
    uu = u.astype(F64)
    ii = current.astype(F64)
    h = dt_ms / n_sub
    done = np.zeros(v.shape, dtype=bool)
    for _ in range(n_sub):
        stepped = vv + h * (0.04 * vv * vv + 5.0 * vv + 140.0 - uu + ii)
        vv = np.where(done, vv, stepped)
        done |= vv >= v_peak
    uu = uu + dt_ms * a * (b * vv - uu)
    fired = vv >= v_peak
    vv[fired] = c
    uu[fired] = uu[fired] + d
    v[...] = vv
    u[...] = uu
    spikes_out[...] = fired


def izhikevich_run(v, u, current, a, b, c, d, v_peak, dt_ms, n_sub, spikes, v_trace):
    """Loop :func:`izhikevich_step` over ``current`` (T, batch, n); twin of the kernel."""
    for t in range(current.shape[0]):
        izhikevich_step(v, u, current[t], a, b, c, d, v_peak, dt_ms, n_sub, spikes[t])
        if v_trace.shape[0] == current.shape[0]:
            v_trace[t] = v


def srm0_step(u, z_m, z_s, eta, refrac, current, a_m, a_s, g_m, g_s, c_m, c_s, eta_decay,
              eta_0, v_rest, v_th, n_ref, spikes_out):
    r"""One SRM0 step (Gerstner 1995): :math:`u = v_\mathrm{rest} + \eta + c_m z_m - c_s z_s`.

    Traces :math:`z_x \leftarrow a_x z_x + g_x I`, :math:`\eta \leftarrow e^{-dt/\tau_\eta}\eta`;
    a spike (when not refractory and :math:`u > v_\mathrm{th}`) sets :math:`\eta = -\eta_0`.
    Twin of :func:`spikecore.kernels.neurons.srm0_step`.
    """
    active = _refractory_tick(refrac)
    ii = current.astype(F64)
    z_m[...] = a_m * z_m.astype(F64) + g_m * ii
    z_s[...] = a_s * z_s.astype(F64) + g_s * ii
    eta[...] = eta_decay * eta.astype(F64)
    h = c_m * z_m.astype(F64) - c_s * z_s.astype(F64)
    u[...] = v_rest + eta.astype(F64) + h
    fired = active & (u.astype(F64) > v_th)
    eta[fired] = -eta_0
    u[fired] = (v_rest + eta.astype(F64) + h)[fired]
    refrac[fired] = n_ref
    spikes_out[...] = fired


def srm0_run(u, z_m, z_s, eta, refrac, current, a_m, a_s, g_m, g_s, c_m, c_s, eta_decay, eta_0,
             v_rest, v_th, n_ref, spikes, v_trace):
    """Loop :func:`srm0_step` over ``current`` (T, batch, n); twin of the kernel."""
    for t in range(current.shape[0]):
        srm0_step(u, z_m, z_s, eta, refrac, current[t], a_m, a_s, g_m, g_s, c_m, c_s, eta_decay,
                  eta_0, v_rest, v_th, n_ref, spikes[t])
        if v_trace.shape[0] == current.shape[0]:
            v_trace[t] = u


def hh_rates(vm):
    r"""Hodgkin-Huxley (1952) rate constants (1/ms) at membrane potential ``vm`` (mV, rest -65).

    .. math::
        \alpha_m = \frac{0.1 (V+40)}{1 - e^{-(V+40)/10}},\ \beta_m = 4 e^{-(V+65)/18},\
        \alpha_h = 0.07 e^{-(V+65)/20},\ \beta_h = \frac{1}{1 + e^{-(V+35)/10}},\
        \alpha_n = \frac{0.01 (V+55)}{1 - e^{-(V+55)/10}},\ \beta_n = 0.125 e^{-(V+65)/80}

    (the removable singularities of :math:`\alpha_m, \alpha_n` take their limits).

    Returns
    -------
    tuple of ndarray
        ``(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n)``.
    """
    vm = np.asarray(vm, dtype=F64)

    def linoid(x, k):  # x / (1 - exp(-x/k)), equal to k at x = 0
        r = x / k
        with np.errstate(divide="ignore", invalid="ignore"):
            full = x / (1.0 - np.exp(-r))
        return np.where(np.abs(r) < 1e-6, k * (1.0 + 0.5 * r), full)

    am = 0.1 * linoid(vm + 40.0, 10.0)
    bm = 4.0 * np.exp(-(vm + 65.0) / 18.0)
    ah = 0.07 * np.exp(-(vm + 65.0) / 20.0)
    bh = 1.0 / (1.0 + np.exp(-(vm + 35.0) / 10.0))
    an = 0.01 * linoid(vm + 55.0, 10.0)
    bn = 0.125 * np.exp(-(vm + 65.0) / 80.0)
    return am, bm, ah, bh, an, bn


def _hh_derivatives(vm, m, h, n, i_ext, g_na, g_k, g_l, e_na, e_k, e_l, c_m):
    am, bm, ah, bh, an, bn = hh_rates(vm)
    i_ion = g_na * m ** 3 * h * (vm - e_na) + g_k * n ** 4 * (vm - e_k) + g_l * (vm - e_l)
    return ((i_ext - i_ion) / c_m, am * (1 - m) - bm * m, ah * (1 - h) - bh * h,
            an * (1 - n) - bn * n)


def hh_step(v, m, h, n, current, dt_ms, g_na, g_k, g_l, e_na, e_k, e_l, c_m, v_th, method,
            spikes_out):
    r"""One Hodgkin-Huxley (1952) step: ``method`` 0 = RK4, 1 = exponential Euler.

    Exponential Euler: gates :math:`x \leftarrow x_\infty + (x - x_\infty)
    e^{-dt (\alpha_x + \beta_x)}` at the old :math:`V`, then
    :math:`V \leftarrow V_\infty + (V - V_\infty) e^{-dt\, g_\mathrm{tot}/C_m}`. A spike is an
    upward crossing of ``v_th``. Twin of :func:`spikecore.kernels.neurons.hh_step`.
    """
    y0 = [v.astype(F64), m.astype(F64), h.astype(F64), n.astype(F64)]
    i_ext = current.astype(F64)
    args = (i_ext, g_na, g_k, g_l, e_na, e_k, e_l, c_m)
    if method == 0:
        k1 = _hh_derivatives(*y0, *args)
        k2 = _hh_derivatives(*[y + 0.5 * dt_ms * k for y, k in zip(y0, k1)], *args)
        k3 = _hh_derivatives(*[y + 0.5 * dt_ms * k for y, k in zip(y0, k2)], *args)
        k4 = _hh_derivatives(*[y + dt_ms * k for y, k in zip(y0, k3)], *args)
        y1 = [y + dt_ms / 6.0 * (a + 2 * b + 2 * c + d) for y, a, b, c, d in zip(y0, k1, k2, k3, k4)]
    else:
        am, bm, ah, bh, an, bn = hh_rates(y0[0])
        gates = []
        for x, al, be in ((y0[1], am, bm), (y0[2], ah, bh), (y0[3], an, bn)):
            x_inf = al / (al + be)
            gates.append(x_inf + (x - x_inf) * np.exp(-dt_ms * (al + be)))
        m1, h1, n1 = gates
        gna = g_na * m1 ** 3 * h1
        gk = g_k * n1 ** 4
        g_tot = gna + gk + g_l
        v_inf = (gna * e_na + gk * e_k + g_l * e_l + i_ext) / g_tot
        y1 = [v_inf + (y0[0] - v_inf) * np.exp(-dt_ms * g_tot / c_m), m1, h1, n1]
    for arr, new in zip((v, m, h, n), y1):
        arr[...] = new
    spikes_out[...] = (y0[0] < v_th) & (y1[0] >= v_th)


def hh_run(v, m, h, n, current, dt_ms, g_na, g_k, g_l, e_na, e_k, e_l, c_m, v_th, method,
           spikes, v_trace):
    """Loop :func:`hh_step` over ``current`` (T, batch, n); twin of the kernel."""
    for t in range(current.shape[0]):
        hh_step(v, m, h, n, current[t], dt_ms, g_na, g_k, g_l, e_na, e_k, e_l, c_m, v_th, method,
                spikes[t])
        if v_trace.shape[0] == current.shape[0]:
            v_trace[t] = v
