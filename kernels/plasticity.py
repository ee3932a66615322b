r"""Synaptic plasticity (Numba): spike traces, spike-timed weight updates, a plastic layer.

Every rule here is written with **synaptic traces** (Morrison, Diesmann & Gerstner, 2008,
"Phenomenological models of synaptic plasticity based on spike timing"): each presynaptic
neuron :math:`j` keeps traces :math:`x_1, x_2` and each postsynaptic neuron :math:`i` traces
:math:`y_1, y_2`, which decay exponentially between spikes,

.. math::
    x_k \leftarrow x_k\, e^{-\Delta t/\tau_{x_k}}, \qquad y_k \leftarrow y_k\, e^{-\Delta t/\tau_{y_k}},

and jump on a spike of their neuron: :math:`x \leftarrow x + 1` (all-to-all pairing: every
earlier spike counts) or :math:`x \leftarrow 1` (nearest-spike pairing: only the latest counts).
Weights change only at spikes, so the cost of a step is (spikes) x (fan-out / fan-in).

Schedule of one step :math:`t` (for every batch element ``b`` in order, weights shared):

1. all traces decay by one step (and the eligibility traces of reward-modulated STDP);
2. **presynaptic spikes** of step :math:`t`: every outgoing synapse :math:`(i, j)` of a spiking
   :math:`j` is depressed using the postsynaptic traces (which hold post spikes up to
   :math:`t-1`), then the presynaptic traces jump;
3. **postsynaptic spikes** of step :math:`t`: every incoming synapse of a spiking :math:`i` is
   potentiated using the presynaptic traces (which now include pre spikes of step :math:`t`:
   a simultaneous pair counts as pre-before-post, :math:`\Delta t = 0`), then the postsynaptic
   traces jump;
4. weights are clipped to :math:`[w_\min, w_\max]`.

So one pre spike at step :math:`t_\mathrm{pre}` and one post spike at :math:`t_\mathrm{post}`,
:math:`\Delta t = (t_\mathrm{post} - t_\mathrm{pre})\,dt`, change the weight by
:math:`A_+ e^{-\Delta t/\tau_+}` if :math:`\Delta t \ge 0` and :math:`-A_- e^{\Delta t/\tau_-}`
if :math:`\Delta t < 0` (pair rule; the exact exponential window of Bi & Poo, 1998, and Song,
Miller & Abbott, 2000, sampled on the time grid).

The trace-rule family (``RULE_STDP``), with weight-dependence functions :math:`F_\pm, G_+`:

.. math::
    \text{pre spike of } j:&\quad \Delta w_{ij} = -F_-(w_{ij})\; y_{1,i}\,\big(A_2^- + A_3^-\, x_{2,j}\big)\\
    \text{post spike of } i:&\quad \Delta w_{ij} = \big(A_2^+ + A_3^+\, y_{2,i}\big)\,
        \big(x_{1,j}\, F_+(w_{ij}) - x_\mathrm{tar}\, G_+(w_{ij})\big)

(:math:`x_{2,j}` and :math:`y_{2,i}` taken just before the jump of the current spike). It
contains the pair rule (:math:`A_3^\pm = 0`, :math:`x_\mathrm{tar}=0`), triplet STDP
(Pfister & Gerstner, 2006) and the Diehl & Cook (2015) variants. Weight dependence
(``P_WDEP``): *power* :math:`F_+ = (w_\max - w)^{\mu_+}`, :math:`F_- = (w - w_\min)^{\mu_-}`,
:math:`G_+ = F_+` (:math:`\mu = 0`: additive, hard bounds by clipping; :math:`\mu = 1`:
multiplicative / soft bounds; Gütig, Aharonov, Rotter & Sompolinsky, 2003) or *exponential*
:math:`F_+ = e^{-\beta (w - w_\min)}`, :math:`G_+ = F_- = e^{-\beta (w_\max - w)}` (Diehl &
Cook, 2015, after Querlioz et al., 2013).

``RULE_RSTDP`` puts the same :math:`\Delta w` into an eligibility trace :math:`c_{ij}` per batch
element, which decays with :math:`\tau_c`, and changes the weight only through a neuromodulator
:math:`M_b(t)`: :math:`w_{ij} \leftarrow w_{ij} + \eta \sum_b M_b(t)\, c_{b,ij}` every step
(Izhikevich, 2007; Frémaux & Gerstner, 2016).

``RULE_BCM`` (Bienenstock, Cooper & Munro, 1982) with spike-based rates: on a presynaptic
spike :math:`\Delta w_{ij} = \eta\, \nu_i (\nu_i - \theta_i)` with :math:`\nu_i = y_{1,i}/\tau_{y_1}`
(the postsynaptic rate in Hz estimated by the all-to-all trace), and the sliding threshold
:math:`\theta_i \leftarrow \theta_i e^{-dt/\tau_\theta} + (1 - e^{-dt/\tau_\theta})\, \nu_i^2/\nu_0`
after the postsynaptic spikes of the step.

A rule is passed to the kernels as a code (``RULE_*``) and a float64 parameter vector ``p``
laid out by the ``P_*`` indices below (built by :mod:`spikecore.learning.stdp`). Arithmetic is
float64; weights are stored in their own dtype (float32 by default). Spikes are given as the
per-batch spike lists of :func:`spikecore.kernels.propagation.spike_list`. The twins of every
public function are in :mod:`spikecore.reference.plasticity`.
"""
import math

import numba
import numpy as np

from .neurons import adaptive_lif_step
from .propagation import dense_propagate, spike_list

# rule codes
RULE_STDP = 0
RULE_RSTDP = 1
RULE_BCM = 2

# weight-dependence codes (p[P_WDEP])
WDEP_POWER = 0
WDEP_EXP = 1

# layout of the parameter vector p (float64)
(P_A2_PLUS, P_A2_MINUS, P_A3_PLUS, P_A3_MINUS, P_W_MIN, P_W_MAX, P_MU_PLUS, P_MU_MINUS, P_X_TAR,
 P_BETA, P_DECAY_X1, P_DECAY_X2, P_DECAY_Y1, P_DECAY_Y2, P_NEAREST, P_WDEP, P_DECAY_ELIG,
 P_ETA_MOD, P_BCM_NU0, P_DECAY_THETA, P_RATE_SCALE) = range(21)
N_PARAMS = 21


@numba.njit(cache=True, inline="always")
def _f_plus(w, p):
    if p[P_WDEP] == WDEP_EXP:
        return math.exp(-p[P_BETA] * (w - p[P_W_MIN]))
    mu = p[P_MU_PLUS]
    if mu == 0.0:
        return 1.0
    d = p[P_W_MAX] - w
    return math.pow(d, mu) if d > 0.0 else 0.0


@numba.njit(cache=True, inline="always")
def _f_minus(w, p):
    if p[P_WDEP] == WDEP_EXP:
        return math.exp(-p[P_BETA] * (p[P_W_MAX] - w))
    mu = p[P_MU_MINUS]
    if mu == 0.0:
        return 1.0
    d = w - p[P_W_MIN]
    return math.pow(d, mu) if d > 0.0 else 0.0


@numba.njit(cache=True, inline="always")
def _g_plus(w, p):
    if p[P_WDEP] == WDEP_EXP:
        return math.exp(-p[P_BETA] * (p[P_W_MAX] - w))
    return _f_plus(w, p)


@numba.njit(cache=True, inline="always")
def _clip(w, p):
    if w < p[P_W_MIN]:
        return p[P_W_MIN]
    if w > p[P_W_MAX]:
        return p[P_W_MAX]
    return w


@numba.njit(cache=True, inline="always")
def _dw_pre(w, y1_i, x2_j, p):
    # depression at a presynaptic spike (trace family)
    return -_f_minus(w, p) * y1_i * (p[P_A2_MINUS] + p[P_A3_MINUS] * x2_j)


@numba.njit(cache=True, inline="always")
def _dw_post(w, x1_j, y2_i, p):
    # potentiation at a postsynaptic spike (trace family)
    return (p[P_A2_PLUS] + p[P_A3_PLUS] * y2_i) * (x1_j * _f_plus(w, p) - p[P_X_TAR] * _g_plus(w, p))


@numba.njit(cache=True)
def _decay(trace, d):
    if d != 1.0:
        trace *= d


@numba.njit(cache=True)
def _bump(row, idx_row, c, nearest):
    for s in range(c):
        j = idx_row[s]
        if nearest:
            row[j] = 1.0
        else:
            row[j] = row[j] + 1.0


@numba.njit(cache=True)
def trace_update(trace, idx, count, decay, nearest):
    r"""One step of spike traces: decay, then a jump for the neurons that spiked.

    .. math::
        x_{bj} \leftarrow x_{bj}\, e^{-dt/\tau}, \qquad
        x_{bj} \leftarrow \begin{cases} x_{bj} + 1 & \text{all-to-all pairing} \\
        1 & \text{nearest-spike pairing} \end{cases}
        \ \text{ if } j \in \mathrm{idx}[b, 0:c_b]

    (Morrison, Diesmann & Gerstner, 2008, eqs. 3 and 8).

    Parameters
    ----------
    trace : float array (batch, n), C-contiguous
        Traces :math:`x_{bj}`, updated in place.
    idx : int32 array (batch, n)
        Spiking neurons of each batch element in the first ``count[b]`` columns
        (:func:`spikecore.kernels.propagation.spike_list`).
    count : int64 array (batch,)
        Number of spikes :math:`c_b`.
    decay : float
        :math:`e^{-dt/\tau}`, :math:`\tau` the trace's time constant.
    nearest : bool
        Nearest-spike (reset to 1) instead of all-to-all (add 1).
    """
    _decay(trace, decay)
    for b in range(trace.shape[0]):
        _bump(trace[b], idx[b], count[b], nearest)


@numba.njit(cache=True)
def _modulate(weights, elig, modulator, p):
    # w += eta * sum_b M_b c_b, clipped (reward-modulated STDP); weights/elig share a flat layout
    eta = p[P_ETA_MOD]
    w = weights.reshape(-1)
    for b in range(elig.shape[0]):
        m = modulator[b] * eta
        if m == 0.0:
            continue
        e = elig[b].reshape(-1)
        for k in range(w.shape[0]):
            w[k] = w[k] + m * e[k]
    for k in range(w.shape[0]):
        w[k] = _clip(w[k], p)


@numba.njit(cache=True)
def _bcm_theta(theta, y1, p):
    d = p[P_DECAY_THETA]
    scale = p[P_RATE_SCALE]
    nu0 = p[P_BCM_NU0]
    for b in range(theta.shape[0]):
        for i in range(theta.shape[1]):
            nu = y1[b, i] * scale
            theta[b, i] = d * theta[b, i] + (1.0 - d) * nu * nu / nu0


@numba.njit(cache=True)
def _decay_all(x1, x2, y1, y2, elig, rule, p):
    _decay(x1, p[P_DECAY_X1])
    _decay(x2, p[P_DECAY_X2])
    _decay(y1, p[P_DECAY_Y1])
    _decay(y2, p[P_DECAY_Y2])
    if rule == RULE_RSTDP:
        _decay(elig, p[P_DECAY_ELIG])


@numba.njit(cache=True)
def stdp_dense_step(weights_t, pre_idx, pre_count, post_idx, post_count, x1, x2, y1, y2,
                    theta, elig, modulator, rule, p):
    r"""One plasticity step of a dense connection: trace decay, pre and post spike updates.

    Implements the schedule and rules of the module docstring: for a presynaptic spike of
    :math:`j`, :math:`\Delta w_{ij} = -F_-(w_{ij})\, y_{1,i}(A_2^- + A_3^- x_{2,j})`; for a
    postsynaptic spike of :math:`i`, :math:`\Delta w_{ij} = (A_2^+ + A_3^+ y_{2,i})(x_{1,j}
    F_+(w_{ij}) - x_\mathrm{tar} G_+(w_{ij}))` (trace rules: Morrison et al., 2008; Pfister &
    Gerstner, 2006; Diehl & Cook, 2015); reward modulation (Izhikevich, 2007) and BCM
    (Bienenstock, Cooper & Munro, 1982) as described there.

    Parameters
    ----------
    weights_t : float array (n_pre, n_post)
        Transposed weights :math:`W^T` (row ``j`` = outgoing synapses of ``j``; the layout of
        :func:`spikecore.kernels.propagation.dense_propagate`), updated in place.
    pre_idx, pre_count : int32 array (batch, n_pre), int64 array (batch,)
        Presynaptic spike lists of this step.
    post_idx, post_count : int32 array (batch, n_post), int64 array (batch,)
        Postsynaptic spike lists of this step.
    x1, x2 : float array (batch, n_pre)
        Presynaptic traces, updated in place.
    y1, y2 : float array (batch, n_post)
        Postsynaptic traces, updated in place.
    theta : float array (batch, n_post)
        BCM sliding thresholds :math:`\theta_i` (Hz), updated in place (any shape when the rule
        is not BCM).
    elig : float array (batch, n_pre, n_post)
        Eligibility traces :math:`c` (R-STDP; any 3-D array otherwise), updated in place.
    modulator : float64 array (batch,)
        Neuromodulator :math:`M_b` of this step (R-STDP only).
    rule : int
        ``RULE_STDP``, ``RULE_RSTDP`` or ``RULE_BCM``.
    p : float64 array (N_PARAMS,)
        Rule parameters, laid out by the ``P_*`` indices.
    """
    n_post = weights_t.shape[1]
    nearest = p[P_NEAREST] != 0.0
    # additive weights without target term (pair, triplet, Diehl & Cook's code rule): a faster
    # loop computing the same values (a zero trace gives a zero change, so it is skipped)
    additive = (p[P_WDEP] == WDEP_POWER and p[P_MU_PLUS] == 0.0 and p[P_MU_MINUS] == 0.0
                and p[P_X_TAR] == 0.0)
    w_lo = p[P_W_MIN]
    w_hi = p[P_W_MAX]
    _decay_all(x1, x2, y1, y2, elig, rule, p)
    for b in range(pre_count.shape[0]):
        # presynaptic spikes: depression (or BCM)
        for s in range(pre_count[b]):
            j = pre_idx[b, s]
            row = weights_t[j]
            if rule == RULE_BCM:
                eta = p[P_A2_PLUS]
                scale = p[P_RATE_SCALE]
                for i in range(n_post):
                    nu = y1[b, i] * scale
                    row[i] = _clip(row[i] + eta * nu * (nu - theta[b, i]), p)
            elif rule == RULE_RSTDP:
                e = elig[b, j]
                for i in range(n_post):
                    e[i] = e[i] + _dw_pre(row[i], y1[b, i], x2[b, j], p)
            elif additive:
                # F = 1: w -= y1_i (A2- + A3- x2_j), skipping synapses whose y1_i is zero
                dep = p[P_A2_MINUS] + p[P_A3_MINUS] * x2[b, j]
                if dep != 0.0:
                    yb = y1[b]
                    for i in range(n_post):
                        y = yb[i]
                        if y != 0.0:
                            row[i] = min(max(row[i] - y * dep, w_lo), w_hi)
            else:
                x2j = x2[b, j]
                for i in range(n_post):
                    row[i] = _clip(row[i] + _dw_pre(row[i], y1[b, i], x2j, p), p)
        _bump(x1[b], pre_idx[b], pre_count[b], nearest)
        _bump(x2[b], pre_idx[b], pre_count[b], nearest)
        # postsynaptic spikes: potentiation
        if rule != RULE_BCM:
            for s in range(post_count[b]):
                i = post_idx[b, s]
                y2i = y2[b, i]
                if rule == RULE_RSTDP:
                    for j in range(weights_t.shape[0]):
                        elig[b, j, i] = elig[b, j, i] + _dw_post(weights_t[j, i], x1[b, j], y2i, p)
                elif additive:
                    # F = 1, no target term: w += x1_j (A2+ + A3+ y2_i), skipping zero x1_j
                    pot = p[P_A2_PLUS] + p[P_A3_PLUS] * y2i
                    if pot != 0.0:
                        xb = x1[b]
                        for j in range(weights_t.shape[0]):
                            x = xb[j]
                            if x != 0.0:
                                weights_t[j, i] = min(max(weights_t[j, i] + x * pot, w_lo), w_hi)
                else:
                    for j in range(weights_t.shape[0]):
                        w = weights_t[j, i]
                        weights_t[j, i] = _clip(w + _dw_post(w, x1[b, j], y2i, p), p)
        _bump(y1[b], post_idx[b], post_count[b], nearest)
        _bump(y2[b], post_idx[b], post_count[b], nearest)
    if rule == RULE_BCM:
        _bcm_theta(theta, y1, p)
    elif rule == RULE_RSTDP:
        _modulate(weights_t, elig, modulator, p)


@numba.njit(cache=True)
def stdp_csr_step(indptr, indices, weights, post_ptr, post_syn, syn_pre, pre_idx, pre_count,
                  post_idx, post_count, x1, x2, y1, y2, theta, elig, modulator, rule, p):
    r"""One plasticity step of a sparse (CSR) connection; same rules as :func:`stdp_dense_step`.

    The synapses are stored by presynaptic row (the layout of
    :func:`spikecore.kernels.propagation.csr_propagate`); the postsynaptic update walks a
    column index built once (``post_ptr``, ``post_syn``: synapses grouped by postsynaptic
    neuron), so both updates cost (spikes) x (fan-out or fan-in) (Morrison et al., 2008).

    Parameters
    ----------
    indptr : int64 array (n_pre + 1,)
        Row pointer: synapses of presynaptic ``j`` are ``indptr[j]:indptr[j+1]``.
    indices : int32 array (nnz,)
        Postsynaptic neuron of each synapse.
    weights : float array (nnz,)
        Weights, updated in place.
    post_ptr : int64 array (n_post + 1,)
        Column pointer: ``post_syn[post_ptr[i]:post_ptr[i+1]]`` are the synapses onto ``i``.
    post_syn : int64 array (nnz,)
        Synapse numbers grouped by postsynaptic neuron.
    syn_pre : int32 array (nnz,)
        Presynaptic neuron of each synapse.
    pre_idx, pre_count, post_idx, post_count, x1, x2, y1, y2, theta, modulator, rule, p
        As in :func:`stdp_dense_step`.
    elig : float array (batch, nnz)
        Eligibility traces (R-STDP; any 2-D array otherwise), updated in place.
    """
    nearest = p[P_NEAREST] != 0.0
    _decay_all(x1, x2, y1, y2, elig, rule, p)
    for b in range(pre_count.shape[0]):
        for s in range(pre_count[b]):
            j = pre_idx[b, s]
            if rule == RULE_BCM:
                eta = p[P_A2_PLUS]
                scale = p[P_RATE_SCALE]
                for k in range(indptr[j], indptr[j + 1]):
                    i = indices[k]
                    nu = y1[b, i] * scale
                    weights[k] = _clip(weights[k] + eta * nu * (nu - theta[b, i]), p)
            elif rule == RULE_RSTDP:
                for k in range(indptr[j], indptr[j + 1]):
                    elig[b, k] = elig[b, k] + _dw_pre(weights[k], y1[b, indices[k]], x2[b, j], p)
            else:
                x2j = x2[b, j]
                for k in range(indptr[j], indptr[j + 1]):
                    w = weights[k]
                    weights[k] = _clip(w + _dw_pre(w, y1[b, indices[k]], x2j, p), p)
        _bump(x1[b], pre_idx[b], pre_count[b], nearest)
        _bump(x2[b], pre_idx[b], pre_count[b], nearest)
        if rule != RULE_BCM:
            for s in range(post_count[b]):
                i = post_idx[b, s]
                y2i = y2[b, i]
                for q in range(post_ptr[i], post_ptr[i + 1]):
                    k = post_syn[q]
                    dw = _dw_post(weights[k], x1[b, syn_pre[k]], y2i, p)
                    if rule == RULE_RSTDP:
                        elig[b, k] = elig[b, k] + dw
                    else:
                        weights[k] = _clip(weights[k] + dw, p)
        _bump(y1[b], post_idx[b], post_count[b], nearest)
        _bump(y2[b], post_idx[b], post_count[b], nearest)
    if rule == RULE_BCM:
        _bcm_theta(theta, y1, p)
    elif rule == RULE_RSTDP:
        _modulate(weights, elig, modulator, p)


@numba.njit(cache=True)
def stdp_dense_run(weights_t, pre_spikes, post_spikes, x1, x2, y1, y2, theta, elig, modulator,
                   rule, p):
    r"""Apply a plasticity rule over ``T`` steps of given pre- and postsynaptic spike rasters.

    Loops :func:`stdp_dense_step` over :math:`t = 0 .. T-1` (spike lists compacted with
    :func:`spikecore.kernels.propagation.spike_list`); the spikes are given, not simulated, as
    when plasticity is driven by recorded activity or measured with spike pairs.

    Parameters
    ----------
    weights_t, x1, x2, y1, y2, theta, elig, rule, p
        As in :func:`stdp_dense_step` (updated in place).
    pre_spikes : uint8 or bool array (T, batch, n_pre)
        Presynaptic spikes.
    post_spikes : uint8 or bool array (T, batch, n_post)
        Postsynaptic spikes.
    modulator : float64 array (T, batch) or (0, batch)
        Neuromodulator per step (R-STDP); an empty first axis means zero.
    """
    T, batch, n_pre = pre_spikes.shape
    n_post = post_spikes.shape[2]
    pre_idx = np.empty((batch, n_pre), np.int32)
    post_idx = np.empty((batch, n_post), np.int32)
    pre_cnt = np.zeros(batch, np.int64)
    post_cnt = np.zeros(batch, np.int64)
    zero = np.zeros(batch, np.float64)
    has_mod = modulator.shape[0] == T
    for t in range(T):
        spike_list(pre_spikes[t], pre_idx, pre_cnt)
        spike_list(post_spikes[t], post_idx, post_cnt)
        stdp_dense_step(weights_t, pre_idx, pre_cnt, post_idx, post_cnt, x1, x2, y1, y2, theta,
                        elig, modulator[t] if has_mod else zero, rule, p)


@numba.njit(cache=True)
def stdp_csr_run(indptr, indices, weights, post_ptr, post_syn, syn_pre, pre_spikes, post_spikes,
                 x1, x2, y1, y2, theta, elig, modulator, rule, p):
    r"""Apply a plasticity rule to a CSR connection over ``T`` steps of given spike rasters.

    Loops :func:`stdp_csr_step` over :math:`t = 0 .. T-1`.

    Parameters
    ----------
    indptr, indices, weights, post_ptr, post_syn, syn_pre, x1, x2, y1, y2, theta, elig, rule, p
        As in :func:`stdp_csr_step` (updated in place).
    pre_spikes, post_spikes, modulator
        As in :func:`stdp_dense_run`.
    """
    T, batch, n_pre = pre_spikes.shape
    n_post = post_spikes.shape[2]
    pre_idx = np.empty((batch, n_pre), np.int32)
    post_idx = np.empty((batch, n_post), np.int32)
    pre_cnt = np.zeros(batch, np.int64)
    post_cnt = np.zeros(batch, np.int64)
    zero = np.zeros(batch, np.float64)
    has_mod = modulator.shape[0] == T
    for t in range(T):
        spike_list(pre_spikes[t], pre_idx, pre_cnt)
        spike_list(post_spikes[t], post_idx, post_cnt)
        stdp_csr_step(indptr, indices, weights, post_ptr, post_syn, syn_pre, pre_idx, pre_cnt,
                      post_idx, post_cnt, x1, x2, y1, y2, theta, elig,
                      modulator[t] if has_mod else zero, rule, p)


@numba.njit(cache=True)
def competitive_layer_run(inputs, weights_t, v, theta, refrac, i_inh, x1, x2, y1, y2, bcm_theta,
                          elig, modulator, alpha, beta, v_rest, v_th, v_reset, n_ref, theta_decay,
                          theta_plus, w_inh, inh_decay, learn, rule, p, counts):
    r"""A plastic layer of adaptive-threshold LIF neurons with lateral inhibition, ``T`` steps.

    The excitatory layer of Diehl & Cook (2015) with its inhibition folded into a lateral
    (winner-take-all) current. At step :math:`t`, with input spikes :math:`z_j(t)`:

    .. math::
        I_i(t) = \sum_j w_{ij} z_j(t) - g_i(t), \qquad
        g_i(t+1) = g_i(t)\, e^{-dt/\tau_\mathrm{inh}} + w_\mathrm{inh} \sum_{k \ne i} s_k(t),

    the neurons advance one step with :func:`spikecore.kernels.neurons.adaptive_lif_step`
    (:math:`v \leftarrow v_\mathrm{rest} + \alpha(v - v_\mathrm{rest}) + \beta I`, spike when
    :math:`v > v_\mathrm{th} + \theta`, then :math:`\theta \mathrel{+}= \theta_+`), producing
    :math:`s_i(t)`, and, when ``learn`` is set, the input weights change with
    :func:`stdp_dense_step` (pre = inputs, post = the layer). The input current is computed by
    :func:`spikecore.kernels.propagation.dense_propagate` (only spiking inputs are visited).
    Each excitatory spike reaching every other neuron as :math:`-w_\mathrm{inh}` one step later
    is the one-to-one excitatory -> inhibitory -> all-other-excitatory loop of the paper with an
    instantaneous inhibitory relay.

    Parameters
    ----------
    inputs : uint8 array (T, batch, n_in)
        Input spikes :math:`z(t)`.
    weights_t : float array (n_in, n_out)
        Transposed input weights :math:`W^T`, updated in place when ``learn``.
    v, theta, refrac : arrays (batch, n_out)
        Neuron state (see :func:`spikecore.kernels.neurons.adaptive_lif_step`), in place.
    i_inh : float array (batch, n_out)
        Lateral inhibitory current :math:`g`, in place.
    x1, x2, y1, y2, bcm_theta, elig, rule, p
        Plasticity state and rule (see :func:`stdp_dense_step`), in place.
    modulator : float64 array (T, batch) or (0, batch)
        Neuromodulator per step for R-STDP (empty: zero).
    alpha, beta, v_rest, v_th, v_reset : float
        Neuron propagators and potentials (``AdaptiveLIF.step_params``).
    n_ref : int
        Refractory steps.
    theta_decay, theta_plus : float
        :math:`e^{-dt/\tau_\theta}` and :math:`\theta_+` (pass 1.0 and 0.0 to freeze
        :math:`\theta`).
    w_inh : float
        Lateral inhibition weight :math:`w_\mathrm{inh}` (>= 0).
    inh_decay : float
        :math:`e^{-dt/\tau_\mathrm{inh}}`.
    learn : bool
        Apply plasticity.
    counts : int32 array (batch, n_out)
        Spike counts, incremented.
    """
    T, batch, n_in = inputs.shape
    n_out = weights_t.shape[1]
    in_idx = np.empty((batch, n_in), np.int32)
    in_cnt = np.zeros(batch, np.int64)
    out_idx = np.empty((batch, n_out), np.int32)
    out_cnt = np.zeros(batch, np.int64)
    spikes = np.zeros((batch, n_out), np.uint8)
    ring = np.zeros((1, batch, n_out), v.dtype)
    current = ring[0]
    zero = np.zeros(batch, np.float64)
    has_mod = modulator.shape[0] == T
    for t in range(T):
        spike_list(inputs[t], in_idx, in_cnt)
        current[:] = 0.0
        dense_propagate(in_idx, in_cnt, weights_t, ring, 0)
        for b in range(batch):
            for i in range(n_out):
                current[b, i] -= i_inh[b, i]
        adaptive_lif_step(v, theta, refrac, current, alpha, beta, v_rest, v_th, v_reset, False,
                          n_ref, theta_decay, theta_plus, spikes)
        spike_list(spikes, out_idx, out_cnt)
        for b in range(batch):
            c = out_cnt[b]
            for i in range(n_out):
                i_inh[b, i] = i_inh[b, i] * inh_decay + w_inh * (c - spikes[b, i])
                counts[b, i] += spikes[b, i]
        if learn:
            stdp_dense_step(weights_t, in_idx, in_cnt, out_idx, out_cnt, x1, x2, y1, y2, bcm_theta,
                            elig, modulator[t] if has_mod else zero, rule, p)
