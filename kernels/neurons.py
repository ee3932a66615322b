r"""Neuron-model updates (Numba): one step in place, and time loops built on it.

Every model has two public kernels:

``<model>_step(state..., current, params..., spikes_out)``
    advances the ``(batch, n)`` state arrays by ONE time step in place and writes the spikes of
    that step into ``spikes_out`` (``bool`` or ``uint8``, ``(batch, n)``). It is an ordinary
    ``@njit`` function, so other Numba code (the network engine's fused time loop) can call it.
``<model>_run(state..., current, params..., spikes, v_trace)``
    loops ``<model>_step`` over ``t = 0 .. T-1`` with ``current[t]`` of a ``(T, batch, n)``
    input, writing ``spikes[t]``; when ``v_trace.shape[0] == T`` it also stores the membrane
    potential after every step (pass an array of shape ``(0, batch, n)`` to skip recording).

Conventions shared by all kernels
---------------------------------
* ``current`` is the external input of the step, held constant over the step
  (zero-order hold).
* Scalar parameters are float64 numbers precomputed by the model object for a given ``dt``
  (``spikecore.neurons`` ``model.step_params(dt)``); arithmetic is done in float64 and the
  result rounded to the state's dtype once per step (float32 by default). The one exception is
  asked for explicitly: ``CurrentLIF(dtype=np.float32, arithmetic=np.float32)`` hands float32
  parameters, and :func:`cuba_lif_step` then computes in float32 throughout.
* The threshold test is strict, :math:`v > v_\mathrm{th}` (Brian2's ``v > Vt``);
  Izhikevich uses the paper's :math:`v \ge 30` mV.
* Absolute refractoriness is an integer counter ``refrac`` (steps). After a spike it is set to
  :math:`n_\mathrm{ref} = \lfloor (t_\mathrm{ref} + 10^{-3} dt) / dt \rfloor`; every step first
  decrements it (not below zero) and the neuron is clamped (no integration of ``v``, no
  spike) while it is still positive. Two spikes of a neuron are therefore at least
  :math:`\max(n_\mathrm{ref}, 1)` steps apart, which is Brian2's rule
  ``not_refractory = timestep(t - lastspike) >= timestep(t_ref)`` (Stimberg, Brette & Goodman
  2019). Synaptic currents and adaptation variables keep decaying while refractory.

The twins of every public function are in :mod:`spikecore.reference.neurons`.
"""
import math

from numba import njit

# ---------------------------------------------------------------------------------------------
# LIF family: IF, LIF (exact or Euler), current-based LIF, adaptive-threshold LIF
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def lif_step(v, refrac, current, alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref,
             spikes_out):
    r"""One step of a population of leaky (or perfect) integrate-and-fire neurons, in place.

    The membrane equation :math:`\tau_m \, dv/dt = -(v - v_\mathrm{rest}) + R I`
    (Lapicque 1907; Gerstner & Kistler 2002, ch. 4.1) is advanced by

    .. math::
        v \leftarrow v_\mathrm{rest} + \alpha\,(v - v_\mathrm{rest}) + \beta\, I,

    with :math:`\alpha = e^{-dt/\tau_m}, \beta = R(1-\alpha)` for exact integration under a
    current held over the step, :math:`\alpha = 1 - dt/\tau_m, \beta = R\,dt/\tau_m` for forward
    Euler, and :math:`\alpha = 1, \beta = R\,dt/\tau_m` for the perfect (non-leaky) integrator.
    A spike is emitted when :math:`v > v_\mathrm{th}`; then :math:`v \leftarrow v_\mathrm{reset}`
    (hard reset) or :math:`v \leftarrow v - (v_\mathrm{th} - v_\mathrm{reset})` (soft reset:
    subtract the threshold, measured from the reset level), and the refractory counter is set.

    Parameters
    ----------
    v : float array (batch, n)
        Membrane potential :math:`v`, updated in place.
    refrac : int32 array (batch, n)
        Remaining refractory steps, updated in place (see module docstring).
    current : float array (batch, n)
        Input current :math:`I` of this step.
    alpha, beta : float
        Propagator of the potential and gain of the current (see above).
    v_rest, v_th, v_reset : float
        Resting potential, threshold and reset potential.
    soft_reset : bool
        Subtract :math:`v_\mathrm{th} - v_\mathrm{reset}` instead of setting
        :math:`v_\mathrm{reset}`.
    n_ref : int
        Refractory period in steps.
    spikes_out : bool or uint8 array (batch, n)
        Receives the spikes of this step.
    """
    batch, n = v.shape
    for b in range(batch):
        for j in range(n):
            if refrac[b, j] > 0:
                refrac[b, j] -= 1
                if refrac[b, j] > 0:
                    spikes_out[b, j] = False
                    continue
            v[b, j] = v_rest + alpha * (v[b, j] - v_rest) + beta * current[b, j]
            if v[b, j] > v_th:
                spikes_out[b, j] = True
                if soft_reset:
                    v[b, j] = v[b, j] - (v_th - v_reset)
                else:
                    v[b, j] = v_reset
                refrac[b, j] = n_ref
            else:
                spikes_out[b, j] = False


@njit(cache=True)
def lif_run(v, refrac, current, alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref,
            spikes, v_trace):
    r"""Run :func:`lif_step` over ``T`` steps of a ``(T, batch, n)`` input current.

    Parameters
    ----------
    v, refrac : arrays (batch, n)
        State, updated in place (see :func:`lif_step`).
    current : float array (T, batch, n)
        Input current :math:`I[t]`.
    alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref
        As in :func:`lif_step`.
    spikes : bool or uint8 array (T, batch, n)
        Receives the spikes.
    v_trace : float array (T, batch, n) or (0, batch, n)
        Receives :math:`v` after each step (after reset) when its first axis is ``T``.
    """
    T = current.shape[0]
    record = v_trace.shape[0] == T
    for t in range(T):
        lif_step(v, refrac, current[t], alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref,
                 spikes[t])
        if record:
            v_trace[t] = v


@njit(cache=True)
def cuba_lif_step(v, i_syn, refrac, current, alpha, beta, v_rest, v_th, v_reset, soft_reset,
                  n_ref, syn_decay, syn_gain, spikes_out):
    r"""One step of current-based LIF neurons with exponential synaptic currents, in place.

    The coupled linear system (the CUBA neuron of Vogels & Abbott 2005, as in Brette et al.
    2007's benchmark)

    .. math::
        \tau_m \frac{dv}{dt} = -(v - v_\mathrm{rest}) + R\Big(I + \sum_k i_k\Big), \qquad
        \tau_k \frac{di_k}{dt} = -i_k

    is advanced over one step with the closed-form solution (for ``exact`` integration):

    .. math::
        i_k \leftarrow i_k\, e^{-dt/\tau_k}, \qquad
        v \leftarrow v_\mathrm{rest} + \alpha (v - v_\mathrm{rest}) + \beta I
              + \sum_k G_k\, i_k^{\mathrm{old}},\qquad
        G_k = R \frac{\tau_k}{\tau_k - \tau_m}\big(e^{-dt/\tau_k} - e^{-dt/\tau_m}\big),

    (:math:`G_k = R\,(dt/\tau_m) e^{-dt/\tau_m}` when :math:`\tau_k = \tau_m`), with
    :math:`\alpha = e^{-dt/\tau_m}`, :math:`\beta = R(1 - \alpha)`. The model object computes
    :math:`G_k` without cancellation; forward Euler uses :math:`G_k = R\,dt/\tau_m`,
    decay :math:`1 - dt/\tau_k`. While refractory, ``v`` is clamped and the currents still
    decay. Threshold, reset and refractoriness as in :func:`lif_step`.

    Parameters
    ----------
    v : float array (batch, n)
        Membrane potential, updated in place.
    i_syn : float array (n_syn, batch, n)
        Synaptic currents :math:`i_k`, one channel per synapse type (e.g. excitatory,
        inhibitory); updated in place. Synaptic input is added to these arrays by the caller
        between steps (:math:`i_k \mathrel{+}= w`).
    refrac : int32 array (batch, n)
        Remaining refractory steps, updated in place.
    current : float array (batch, n)
        External current :math:`I` injected into the membrane during this step.
    alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref
        As in :func:`lif_step`.
    syn_decay : float64 array (n_syn,)
        :math:`e^{-dt/\tau_k}` per channel (float32, like the other float parameters, for
        float32 arithmetic).
    syn_gain : float64 array (n_syn,)
        :math:`G_k` per channel.
    spikes_out : bool or uint8 array (batch, n)
        Receives the spikes of this step.
    """
    # Written branch-free over neurons (conditional expressions, not if-blocks) so that LLVM
    # vectorises the inner loop: 6-7x faster than the branchy form, with the same arithmetic in
    # the same order, so the results are bit-identical (the reference twin is the branchy form).
    batch, n = v.shape
    n_syn = i_syn.shape[0]
    drop = v_th - v_reset
    # the refractory counter stays in its own width (int32): Numba's integer arithmetic is
    # 64-bit, and 64-bit lanes in the vectorised loop slowed it (same values)
    ref_t = refrac.dtype.type
    n_ref_r = ref_t(n_ref)
    for b in range(batch):
        vb = v[b]
        rb = refrac[b]
        cb = current[b]
        sb = spikes_out[b]
        if n_syn == 2:  # the common excitatory + inhibitory case, unrolled
            i0 = i_syn[0, b]
            i1 = i_syn[1, b]
            g0, g1, d0, d1 = syn_gain[0], syn_gain[1], syn_decay[0], syn_decay[1]
            for j in range(n):
                r = rb[j]
                r = ref_t(r - 1) if r > 0 else r
                active = r == 0
                v_old = vb[j]
                vn = v_rest + alpha * (v_old - v_rest) + beta * cb[j]
                vn = vn + g0 * i0[j]
                vn = vn + g1 * i1[j]
                i0[j] = d0 * i0[j]
                i1[j] = d1 * i1[j]
                vb[j] = vn if active else v_old  # stored first: rounds to the state's dtype
                vj = vb[j]
                spike = active and vj > v_th
                vb[j] = (vj - drop if soft_reset else v_reset) if spike else vj
                rb[j] = n_ref_r if spike else r
                sb[j] = spike
        else:
            for j in range(n):
                r = rb[j]
                r = ref_t(r - 1) if r > 0 else r
                active = r == 0
                v_old = vb[j]
                vn = v_rest + alpha * (v_old - v_rest) + beta * cb[j]
                for k in range(n_syn):
                    vn = vn + syn_gain[k] * i_syn[k, b, j]
                    i_syn[k, b, j] = syn_decay[k] * i_syn[k, b, j]
                vb[j] = vn if active else v_old  # stored first: rounds to the state's dtype
                vj = vb[j]
                spike = active and vj > v_th
                vb[j] = (vj - drop if soft_reset else v_reset) if spike else vj
                rb[j] = n_ref_r if spike else r
                sb[j] = spike


@njit(cache=True)
def cuba_lif_run(v, i_syn, refrac, current, syn_input, alpha, beta, v_rest, v_th, v_reset,
                 soft_reset, n_ref, syn_decay, syn_gain, spikes, v_trace):
    r"""Run :func:`cuba_lif_step` over ``T`` steps.

    At the start of step ``t`` the synaptic input is added to the currents,
    :math:`i_k \mathrel{+}= \mathrm{syn\_input}[t, k]` (a spike of weight :math:`w` arriving
    at step ``t``), then the step is taken with external current ``current[t]``.

    Parameters
    ----------
    v, i_syn, refrac : arrays
        State, updated in place (see :func:`cuba_lif_step`).
    current : float array (T, batch, n)
        External current :math:`I[t]`.
    syn_input : float array (T, n_syn, batch, n) or (0, n_syn, batch, n)
        Increments of the synaptic currents at each step; an empty first axis means none.
    alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref, syn_decay, syn_gain
        As in :func:`cuba_lif_step`.
    spikes : bool or uint8 array (T, batch, n)
        Receives the spikes.
    v_trace : float array (T, batch, n) or (0, batch, n)
        Receives :math:`v` after each step when its first axis is ``T``.
    """
    T = current.shape[0]
    record = v_trace.shape[0] == T
    has_input = syn_input.shape[0] == T
    for t in range(T):
        if has_input:
            i_syn += syn_input[t]
        cuba_lif_step(v, i_syn, refrac, current[t], alpha, beta, v_rest, v_th, v_reset,
                      soft_reset, n_ref, syn_decay, syn_gain, spikes[t])
        if record:
            v_trace[t] = v


@njit(cache=True)
def adaptive_lif_step(v, theta, refrac, current, alpha, beta, v_rest, v_th, v_reset,
                      soft_reset, n_ref, theta_decay, theta_plus, spikes_out):
    r"""One step of LIF neurons with an adaptive threshold (Diehl & Cook 2015), in place.

    .. math::
        v \leftarrow v_\mathrm{rest} + \alpha (v - v_\mathrm{rest}) + \beta I, \qquad
        \theta \leftarrow \theta\, e^{-dt/\tau_\theta},

    spike when :math:`v > v_\mathrm{th} + \theta`; on a spike :math:`v` is reset (hard:
    :math:`v_\mathrm{reset}`; soft: :math:`v - (v_\mathrm{th} + \theta - v_\mathrm{reset})`) and
    :math:`\theta \leftarrow \theta + \theta_+`. :math:`\theta` keeps decaying while refractory.

    Parameters
    ----------
    v : float array (batch, n)
        Membrane potential, updated in place.
    theta : float array (batch, n)
        Threshold adaptation :math:`\theta`, updated in place.
    refrac : int32 array (batch, n)
        Remaining refractory steps, updated in place.
    current : float array (batch, n)
        Input current :math:`I`.
    alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref
        As in :func:`lif_step`.
    theta_decay : float
        :math:`e^{-dt/\tau_\theta}`.
    theta_plus : float
        Increment :math:`\theta_+` per spike.
    spikes_out : bool or uint8 array (batch, n)
        Receives the spikes of this step.
    """
    # Branch-free over neurons, as cuba_lif_step (the same arithmetic in the same order as the
    # plain form of the reference twin, so bit-identical), with the refractory counter kept in
    # its own width: 2-3x faster than the branchy loop for 4 000 neurons (float32 and float64,
    # hard and soft reset; benchmarks/RESULTS.md, "Neuron update").
    batch, n = v.shape
    ref_t = refrac.dtype.type
    n_ref_r = ref_t(n_ref)
    for b in range(batch):
        vb = v[b]
        tb = theta[b]
        rb = refrac[b]
        cb = current[b]
        sb = spikes_out[b]
        for j in range(n):
            r = rb[j]
            r = ref_t(r - 1) if r > 0 else r
            active = r == 0
            v_old = vb[j]
            vb[j] = (v_rest + alpha * (v_old - v_rest) + beta * cb[j]) if active else v_old  # rounds to v's dtype
            tb[j] = theta_decay * tb[j]
            threshold = v_th + tb[j]
            vj = vb[j]
            spike = active and vj > threshold
            vb[j] = (vj - (threshold - v_reset) if soft_reset else v_reset) if spike else vj
            tb[j] = tb[j] + theta_plus if spike else tb[j]
            rb[j] = n_ref_r if spike else r
            sb[j] = spike


@njit(cache=True)
def adaptive_lif_run(v, theta, refrac, current, alpha, beta, v_rest, v_th, v_reset, soft_reset,
                     n_ref, theta_decay, theta_plus, spikes, v_trace):
    r"""Run :func:`adaptive_lif_step` over ``T`` steps of a ``(T, batch, n)`` input current.

    Parameters
    ----------
    v, theta, refrac : arrays (batch, n)
        State, updated in place.
    current : float array (T, batch, n)
        Input current :math:`I[t]`.
    alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref, theta_decay, theta_plus
        As in :func:`adaptive_lif_step`.
    spikes : bool or uint8 array (T, batch, n)
        Receives the spikes.
    v_trace : float array (T, batch, n) or (0, batch, n)
        Receives :math:`v` after each step when its first axis is ``T``.
    """
    T = current.shape[0]
    record = v_trace.shape[0] == T
    for t in range(T):
        adaptive_lif_step(v, theta, refrac, current[t], alpha, beta, v_rest, v_th, v_reset,
                          soft_reset, n_ref, theta_decay, theta_plus, spikes[t])
        if record:
            v_trace[t] = v


# ---------------------------------------------------------------------------------------------
# Izhikevich (2003)
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def izhikevich_step(v, u, current, a, b, c, d, v_peak, dt_ms, n_sub, spikes_out):
    r"""One step of Izhikevich (2003) neurons, in place (v in mV, time in ms).

    .. math::
        \frac{dv}{dt} = 0.04 v^2 + 5 v + 140 - u + I, \qquad
        \frac{du}{dt} = a (b v - u),

    and if :math:`v \ge v_\mathrm{peak}` (30 mV): :math:`v \leftarrow c`,
    :math:`u \leftarrow u + d`. As in the paper's program, :math:`v` is advanced by
    ``n_sub`` forward-Euler sub-steps of :math:`dt/n_\mathrm{sub}` (ms) with :math:`u` held,
    then :math:`u` by one Euler step of :math:`dt` using the new :math:`v`; the paper uses
    :math:`dt = 1` ms and two sub-steps. Sub-steps stop as soon as :math:`v` reaches the peak
    (the quadratic term would otherwise overflow).

    Parameters
    ----------
    v : float array (batch, n)
        Membrane potential (mV), updated in place.
    u : float array (batch, n)
        Recovery variable (mV), updated in place.
    current : float array (batch, n)
        Input :math:`I` (the paper's units: mV/ms).
    a, b, c, d : float
        Recovery time scale (1/ms), recovery sensitivity, reset potential (mV) and
        after-spike increment of :math:`u`.
    v_peak : float
        Spike cut-off (mV), 30 in the paper.
    dt_ms : float
        Time step in ms.
    n_sub : int
        Number of Euler sub-steps for :math:`v`.
    spikes_out : bool or uint8 array (batch, n)
        Receives the spikes of this step.
    """
    batch, n = v.shape
    h = dt_ms / n_sub
    for k in range(batch):
        for j in range(n):
            vj = v[k, j] * 1.0
            uj = u[k, j] * 1.0
            ij = current[k, j] * 1.0
            for _ in range(n_sub):
                vj = vj + h * (0.04 * vj * vj + 5.0 * vj + 140.0 - uj + ij)
                if vj >= v_peak:
                    break
            uj = uj + dt_ms * a * (b * vj - uj)
            if vj >= v_peak:
                spikes_out[k, j] = True
                vj = c
                uj = uj + d
            else:
                spikes_out[k, j] = False
            v[k, j] = vj
            u[k, j] = uj


@njit(cache=True)
def izhikevich_run(v, u, current, a, b, c, d, v_peak, dt_ms, n_sub, spikes, v_trace):
    r"""Run :func:`izhikevich_step` over ``T`` steps of a ``(T, batch, n)`` input.

    Parameters
    ----------
    v, u : float arrays (batch, n)
        State (mV), updated in place.
    current : float array (T, batch, n)
        Input :math:`I[t]`.
    a, b, c, d, v_peak, dt_ms, n_sub
        As in :func:`izhikevich_step`.
    spikes : bool or uint8 array (T, batch, n)
        Receives the spikes.
    v_trace : float array (T, batch, n) or (0, batch, n)
        Receives :math:`v` after each step (after reset) when its first axis is ``T``.
    """
    T = current.shape[0]
    record = v_trace.shape[0] == T
    for t in range(T):
        izhikevich_step(v, u, current[t], a, b, c, d, v_peak, dt_ms, n_sub, spikes[t])
        if record:
            v_trace[t] = v


# ---------------------------------------------------------------------------------------------
# Spike response model SRM0 (Gerstner 1995)
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def srm0_step(u, z_m, z_s, eta, refrac, current, a_m, a_s, g_m, g_s, c_m, c_s, eta_decay,
              eta_0, v_rest, v_th, n_ref, spikes_out):
    r"""One step of SRM0 neurons (Gerstner 1995) with exponential kernels, in place.

    .. math::
        u(t) = v_\mathrm{rest} + \eta(t - \hat t) + \int_0^\infty \varepsilon(s)\, I(t-s)\, ds,

    :math:`\hat t` the last spike; :math:`\eta(s) = -\eta_0 e^{-s/\tau_\eta}` and
    :math:`\varepsilon(s) = \frac{R}{\tau_m - \tau_s}(e^{-s/\tau_m} - e^{-s/\tau_s})`
    (:math:`R e^{-s/\tau_m}/\tau_m` when :math:`\tau_s = 0`). Both kernels are sums of
    exponentials, so the integrals are carried exactly by two first-order traces
    :math:`z_x \leftarrow a_x z_x + g_x I` (:math:`a_x = e^{-dt/\tau_x}`,
    :math:`g_x = R(1-a_x)`), and
    :math:`\int \varepsilon I = c_m z_m - c_s z_s` with
    :math:`c_m = \tau_m/(\tau_m-\tau_s)`, :math:`c_s = \tau_s/(\tau_m-\tau_s)`. The after-potential
    is :math:`\eta \leftarrow \eta\, e^{-dt/\tau_\eta}`; on a spike it is replaced (not
    summed: only the last spike counts in SRM0) by :math:`-\eta_0`. A spike is emitted when
    :math:`u > v_\mathrm{th}` and the neuron is not absolutely refractory. Unlike LIF, the
    input integral is not reset by a spike.

    Parameters
    ----------
    u : float array (batch, n)
        Membrane potential :math:`u` (an output of the step; overwritten).
    z_m, z_s : float arrays (batch, n)
        Input traces with time constants :math:`\tau_m`, :math:`\tau_s`; updated in place.
    eta : float array (batch, n)
        Current value of :math:`\eta(t - \hat t)`; updated in place.
    refrac : int32 array (batch, n)
        Remaining refractory steps, updated in place.
    current : float array (batch, n)
        Input current :math:`I`.
    a_m, a_s, g_m, g_s, c_m, c_s : float
        Trace propagators, gains and mixing coefficients (see above).
    eta_decay : float
        :math:`e^{-dt/\tau_\eta}`.
    eta_0 : float
        Amplitude of the reset kernel.
    v_rest, v_th : float
        Resting potential and threshold.
    n_ref : int
        Absolute refractory period in steps.
    spikes_out : bool or uint8 array (batch, n)
        Receives the spikes of this step.
    """
    batch, n = u.shape
    for b in range(batch):
        for j in range(n):
            active = True
            if refrac[b, j] > 0:
                refrac[b, j] -= 1
                if refrac[b, j] > 0:
                    active = False
            z_m[b, j] = a_m * z_m[b, j] + g_m * current[b, j]
            z_s[b, j] = a_s * z_s[b, j] + g_s * current[b, j]
            eta[b, j] = eta_decay * eta[b, j]
            h = c_m * z_m[b, j] - c_s * z_s[b, j]
            u[b, j] = v_rest + eta[b, j] + h
            if active and u[b, j] > v_th:
                spikes_out[b, j] = True
                eta[b, j] = -eta_0
                u[b, j] = v_rest + eta[b, j] + h
                refrac[b, j] = n_ref
            else:
                spikes_out[b, j] = False


@njit(cache=True)
def srm0_run(u, z_m, z_s, eta, refrac, current, a_m, a_s, g_m, g_s, c_m, c_s, eta_decay, eta_0,
             v_rest, v_th, n_ref, spikes, v_trace):
    r"""Run :func:`srm0_step` over ``T`` steps of a ``(T, batch, n)`` input current.

    Parameters
    ----------
    u, z_m, z_s, eta, refrac : arrays (batch, n)
        State, updated in place.
    current : float array (T, batch, n)
        Input current :math:`I[t]`.
    a_m, a_s, g_m, g_s, c_m, c_s, eta_decay, eta_0, v_rest, v_th, n_ref
        As in :func:`srm0_step`.
    spikes : bool or uint8 array (T, batch, n)
        Receives the spikes.
    v_trace : float array (T, batch, n) or (0, batch, n)
        Receives :math:`u` after each step when its first axis is ``T``.
    """
    T = current.shape[0]
    record = v_trace.shape[0] == T
    for t in range(T):
        srm0_step(u, z_m, z_s, eta, refrac, current[t], a_m, a_s, g_m, g_s, c_m, c_s, eta_decay,
                  eta_0, v_rest, v_th, n_ref, spikes[t])
        if record:
            v_trace[t] = u


# ---------------------------------------------------------------------------------------------
# Hodgkin-Huxley (1952)
# ---------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _linoid(x, k):
    # x / (1 - exp(-x/k)), continuous at x = 0 where it equals k (the alpha_n, alpha_m form).
    r = x / k
    if abs(r) < 1e-6:
        return k * (1.0 + 0.5 * r)
    return x / (1.0 - math.exp(-r))


@njit(cache=True, inline="always")
def _hh_rates(vm):
    # Hodgkin & Huxley (1952) rate functions, membrane potential in mV (rest at -65 mV), 1/ms.
    an = 0.01 * _linoid(vm + 55.0, 10.0)
    bn = 0.125 * math.exp(-(vm + 65.0) / 80.0)
    am = 0.1 * _linoid(vm + 40.0, 10.0)
    bm = 4.0 * math.exp(-(vm + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(vm + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(vm + 35.0) / 10.0))
    return am, bm, ah, bh, an, bn


@njit(cache=True, inline="always")
def _hh_derivs(vm, m, h, nn, i_ext, g_na, g_k, g_l, e_na, e_k, e_l, c_m):
    am, bm, ah, bh, an, bn = _hh_rates(vm)
    i_ion = (g_na * m * m * m * h * (vm - e_na) + g_k * nn * nn * nn * nn * (vm - e_k)
             + g_l * (vm - e_l))
    dv = (i_ext - i_ion) / c_m
    dm = am * (1.0 - m) - bm * m
    dh = ah * (1.0 - h) - bh * h
    dn = an * (1.0 - nn) - bn * nn
    return dv, dm, dh, dn


@njit(cache=True)
def hh_step(v, m, h, n, current, dt_ms, g_na, g_k, g_l, e_na, e_k, e_l, c_m, v_th, method,
            spikes_out):
    r"""One step of Hodgkin-Huxley (1952) neurons, in place (mV, ms, µA/cm², mS/cm², µF/cm²).

    .. math::
        C_m \frac{dV}{dt} = I - \bar g_\mathrm{Na} m^3 h (V - E_\mathrm{Na})
                              - \bar g_\mathrm{K} n^4 (V - E_\mathrm{K}) - g_L (V - E_L),
        \qquad \frac{dx}{dt} = \alpha_x(V)(1 - x) - \beta_x(V)\, x,\; x \in \{m, h, n\},

    with :math:`\alpha_n = 0.01 (V+55)/(1 - e^{-(V+55)/10})`,
    :math:`\beta_n = 0.125 e^{-(V+65)/80}`,
    :math:`\alpha_m = 0.1 (V+40)/(1 - e^{-(V+40)/10})`, :math:`\beta_m = 4 e^{-(V+65)/18}`,
    :math:`\alpha_h = 0.07 e^{-(V+65)/20}`, :math:`\beta_h = 1/(1 + e^{-(V+35)/10})`
    (the 1952 rates with the resting potential moved to -65 mV; Gerstner et al. 2014, table 2.1).

    ``method`` 0 is classic fourth-order Runge-Kutta on :math:`(V, m, h, n)`. ``method`` 1 is
    exponential Euler (MacGregor 1987; Dayan & Abbott 2001, sec. 6.6): gates first, exactly
    for :math:`V` held, :math:`x \leftarrow x_\infty + (x - x_\infty) e^{-dt(\alpha_x+\beta_x)}`;
    then :math:`V \leftarrow V_\infty + (V - V_\infty) e^{-dt\, g_\mathrm{tot}/C_m}` with the new
    gates, :math:`g_\mathrm{tot}` the total conductance and :math:`V_\infty` the conductance-
    weighted reversal potential plus :math:`I/g_\mathrm{tot}`.
    A spike is an upward crossing of ``v_th`` during the step (old :math:`V <` ``v_th``
    :math:`\le` new :math:`V`).

    Parameters
    ----------
    v, m, h, n : float arrays (batch, n)
        Membrane potential (mV) and gating variables; updated in place.
    current : float array (batch, n)
        Injected current density (µA/cm²).
    dt_ms : float
        Time step in ms.
    g_na, g_k, g_l : float
        Maximal conductances (mS/cm²).
    e_na, e_k, e_l : float
        Reversal potentials (mV).
    c_m : float
        Membrane capacitance (µF/cm²).
    v_th : float
        Spike-detection threshold (mV).
    method : int
        0 = RK4, 1 = exponential Euler.
    spikes_out : bool or uint8 array (batch, n)
        Receives the spikes of this step.
    """
    batch, nn_ = v.shape
    for b in range(batch):
        for j in range(nn_):
            v0 = v[b, j] * 1.0
            m0 = m[b, j] * 1.0
            h0 = h[b, j] * 1.0
            n0 = n[b, j] * 1.0
            i_ext = current[b, j] * 1.0
            if method == 0:
                k1v, k1m, k1h, k1n = _hh_derivs(v0, m0, h0, n0, i_ext, g_na, g_k, g_l,
                                                e_na, e_k, e_l, c_m)
                hd = 0.5 * dt_ms
                k2v, k2m, k2h, k2n = _hh_derivs(v0 + hd * k1v, m0 + hd * k1m, h0 + hd * k1h,
                                                n0 + hd * k1n, i_ext, g_na, g_k, g_l,
                                                e_na, e_k, e_l, c_m)
                k3v, k3m, k3h, k3n = _hh_derivs(v0 + hd * k2v, m0 + hd * k2m, h0 + hd * k2h,
                                                n0 + hd * k2n, i_ext, g_na, g_k, g_l,
                                                e_na, e_k, e_l, c_m)
                k4v, k4m, k4h, k4n = _hh_derivs(v0 + dt_ms * k3v, m0 + dt_ms * k3m,
                                                h0 + dt_ms * k3h, n0 + dt_ms * k3n, i_ext,
                                                g_na, g_k, g_l, e_na, e_k, e_l, c_m)
                s6 = dt_ms / 6.0
                v1 = v0 + s6 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
                m1 = m0 + s6 * (k1m + 2.0 * k2m + 2.0 * k3m + k4m)
                h1 = h0 + s6 * (k1h + 2.0 * k2h + 2.0 * k3h + k4h)
                n1 = n0 + s6 * (k1n + 2.0 * k2n + 2.0 * k3n + k4n)
            else:
                am, bm, ah, bh, an, bn = _hh_rates(v0)
                sm = am + bm
                sh = ah + bh
                sn = an + bn
                m1 = am / sm + (m0 - am / sm) * math.exp(-dt_ms * sm)
                h1 = ah / sh + (h0 - ah / sh) * math.exp(-dt_ms * sh)
                n1 = an / sn + (n0 - an / sn) * math.exp(-dt_ms * sn)
                gna = g_na * m1 * m1 * m1 * h1
                gk = g_k * n1 * n1 * n1 * n1
                g_tot = gna + gk + g_l
                v_inf = (gna * e_na + gk * e_k + g_l * e_l + i_ext) / g_tot
                v1 = v_inf + (v0 - v_inf) * math.exp(-dt_ms * g_tot / c_m)
            v[b, j] = v1
            m[b, j] = m1
            h[b, j] = h1
            n[b, j] = n1
            spikes_out[b, j] = v0 < v_th and v1 >= v_th


@njit(cache=True)
def hh_run(v, m, h, n, current, dt_ms, g_na, g_k, g_l, e_na, e_k, e_l, c_m, v_th, method,
           spikes, v_trace):
    r"""Run :func:`hh_step` over ``T`` steps of a ``(T, batch, n)`` input current (µA/cm²).

    Parameters
    ----------
    v, m, h, n : float arrays (batch, n)
        State, updated in place.
    current : float array (T, batch, n)
        Injected current density :math:`I[t]`.
    dt_ms, g_na, g_k, g_l, e_na, e_k, e_l, c_m, v_th, method
        As in :func:`hh_step`.
    spikes : bool or uint8 array (T, batch, n)
        Receives the spikes.
    v_trace : float array (T, batch, n) or (0, batch, n)
        Receives :math:`V` after each step when its first axis is ``T``.
    """
    T = current.shape[0]
    record = v_trace.shape[0] == T
    for t in range(T):
        hh_step(v, m, h, n, current[t], dt_ms, g_na, g_k, g_l, e_na, e_k, e_l, c_m, v_th, method,
                spikes[t])
        if record:
            v_trace[t] = v
