r"""Plain-NumPy twins of :mod:`spikecore.kernels.plasticity`, written from the equations.

Same names, same signatures, same in-place semantics and the same schedule (see the kernel
module): traces decay; for each batch element in order, the rows of the presynaptic spikes are
updated at once with the depression term, the presynaptic traces jump, the columns of the
postsynaptic spikes are updated at once with the potentiation term, the postsynaptic traces
jump; weights are clipped to :math:`[w_\min, w_\max]`. Dense matrices are built for the spike
vectors; float64 arithmetic, stored in the arrays' own dtype. The rule codes and the parameter
layout ``P_*`` are the kernel module's.
"""
import numpy as np

from spikecore.kernels.plasticity import (
    P_A2_MINUS,
    P_A2_PLUS,
    P_A3_MINUS,
    P_A3_PLUS,
    P_BCM_NU0,
    P_BETA,
    P_DECAY_ELIG,
    P_DECAY_THETA,
    P_DECAY_X1,
    P_DECAY_X2,
    P_DECAY_Y1,
    P_DECAY_Y2,
    P_ETA_MOD,
    P_MU_MINUS,
    P_MU_PLUS,
    P_NEAREST,
    P_RATE_SCALE,
    P_W_MAX,
    P_W_MIN,
    P_WDEP,
    P_X_TAR,
    RULE_BCM,
    RULE_RSTDP,
    WDEP_EXP,
)
from spikecore.reference.neurons import adaptive_lif_step
from spikecore.reference.propagation import dense_propagate, spike_list

F64 = np.float64


def _power(base, mu):
    # base**mu for base > 0, 0 for base <= 0, 1 when mu == 0
    if mu == 0.0:
        return np.ones_like(base)
    return np.where(base > 0.0, np.maximum(base, 0.0) ** mu, 0.0)


def _f_plus(w, p):
    r""":math:`F_+(w) = (w_\max - w)^{\mu_+}` or :math:`e^{-\beta (w - w_\min)}`."""
    if p[P_WDEP] == WDEP_EXP:
        return np.exp(-p[P_BETA] * (w - p[P_W_MIN]))
    return _power(p[P_W_MAX] - w, p[P_MU_PLUS])


def _f_minus(w, p):
    r""":math:`F_-(w) = (w - w_\min)^{\mu_-}` or :math:`e^{-\beta (w_\max - w)}`."""
    if p[P_WDEP] == WDEP_EXP:
        return np.exp(-p[P_BETA] * (p[P_W_MAX] - w))
    return _power(w - p[P_W_MIN], p[P_MU_MINUS])


def _g_plus(w, p):
    r""":math:`G_+(w) = F_+(w)` or :math:`e^{-\beta (w_\max - w)}` (target term)."""
    if p[P_WDEP] == WDEP_EXP:
        return np.exp(-p[P_BETA] * (p[P_W_MAX] - w))
    return _f_plus(w, p)


def _jump(trace_row, spiking, nearest):
    # x <- 1 (nearest) or x <- x + 1 (all-to-all) for the spiking neurons
    trace_row[spiking] = 1.0 if nearest else trace_row[spiking].astype(F64) + 1.0


def trace_update(trace, idx, count, decay, nearest):
    r"""Twin of :func:`spikecore.kernels.plasticity.trace_update`:
    :math:`x \leftarrow x e^{-dt/\tau}`, then :math:`x \leftarrow x + 1` (or 1) where spiking."""
    trace[...] = trace.astype(F64) * decay
    for b in range(trace.shape[0]):
        _jump(trace[b], idx[b, : count[b]], nearest)


def _decay_all(x1, x2, y1, y2, elig, rule, p):
    for arr, d in ((x1, P_DECAY_X1), (x2, P_DECAY_X2), (y1, P_DECAY_Y1), (y2, P_DECAY_Y2)):
        arr[...] = arr.astype(F64) * p[d]
    if rule == RULE_RSTDP:
        elig[...] = elig.astype(F64) * p[P_DECAY_ELIG]


def _clip(w, p):
    return np.clip(w, p[P_W_MIN], p[P_W_MAX])


def _pre_delta(w, y1_post, x2_pre, p):
    r""":math:`-F_-(w)\, y_1 (A_2^- + A_3^- x_2)` for a block ``w[pre, post]``."""
    return -_f_minus(w, p) * y1_post[None, :] * (p[P_A2_MINUS] + p[P_A3_MINUS] * x2_pre[:, None])


def _post_delta(w, x1_pre, y2_post, p):
    r""":math:`(A_2^+ + A_3^+ y_2)(x_1 F_+(w) - x_\mathrm{tar} G_+(w))` for a block ``w[pre, post]``."""
    return ((p[P_A2_PLUS] + p[P_A3_PLUS] * y2_post[None, :])
            * (x1_pre[:, None] * _f_plus(w, p) - p[P_X_TAR] * _g_plus(w, p)))


def _bcm_delta(y1_post, theta_post, p):
    r""":math:`\eta\, \nu (\nu - \theta)` with :math:`\nu = y_1 / \tau_{y_1}`."""
    nu = y1_post.astype(F64) * p[P_RATE_SCALE]
    return p[P_A2_PLUS] * nu * (nu - theta_post)


def _bcm_theta(theta, y1, p):
    nu = y1.astype(F64) * p[P_RATE_SCALE]
    d = p[P_DECAY_THETA]
    theta[...] = d * theta.astype(F64) + (1.0 - d) * nu * nu / p[P_BCM_NU0]


def stdp_dense_step(weights_t, pre_idx, pre_count, post_idx, post_count, x1, x2, y1, y2,
                    theta, elig, modulator, rule, p):
    r"""Twin of :func:`spikecore.kernels.plasticity.stdp_dense_step`, with matrix blocks.

    Rows ``J`` of :math:`W^T` (presynaptic spikes) get :math:`-F_-(W) y_1 (A_2^- + A_3^- x_2)`,
    then columns ``I`` (postsynaptic spikes) get :math:`(A_2^+ + A_3^+ y_2)(x_1 F_+(W) -
    x_\mathrm{tar} G_+(W))`; BCM and reward modulation as in the kernel module.
    """
    nearest = p[P_NEAREST] != 0.0
    _decay_all(x1, x2, y1, y2, elig, rule, p)
    for b in range(pre_count.shape[0]):
        J = pre_idx[b, : pre_count[b]]
        I = post_idx[b, : post_count[b]]
        W = weights_t.astype(F64)
        if rule == RULE_BCM:
            W[J, :] = _clip(W[J, :] + _bcm_delta(y1[b], theta[b].astype(F64), p)[None, :], p)
        elif rule == RULE_RSTDP:
            elig[b][J, :] = elig[b][J, :].astype(F64) + _pre_delta(W[J, :], y1[b].astype(F64),
                                                                  x2[b, J].astype(F64), p)
        else:
            W[J, :] = _clip(W[J, :] + _pre_delta(W[J, :], y1[b].astype(F64), x2[b, J].astype(F64), p), p)
        weights_t[...] = W
        _jump(x1[b], J, nearest)
        _jump(x2[b], J, nearest)
        if rule != RULE_BCM:
            W = weights_t.astype(F64)
            delta = _post_delta(W[:, I], x1[b].astype(F64), y2[b, I].astype(F64), p)
            if rule == RULE_RSTDP:
                elig[b][:, I] = elig[b][:, I].astype(F64) + delta
            else:
                W[:, I] = _clip(W[:, I] + delta, p)
                weights_t[...] = W
        _jump(y1[b], I, nearest)
        _jump(y2[b], I, nearest)
    if rule == RULE_BCM:
        _bcm_theta(theta, y1, p)
    elif rule == RULE_RSTDP:
        total = np.tensordot(np.asarray(modulator, F64), elig.astype(F64), axes=(0, 0))
        weights_t[...] = _clip(weights_t.astype(F64) + p[P_ETA_MOD] * total, p)


def stdp_csr_step(indptr, indices, weights, post_ptr, post_syn, syn_pre, pre_idx, pre_count,
                  post_idx, post_count, x1, x2, y1, y2, theta, elig, modulator, rule, p):
    r"""Twin of :func:`spikecore.kernels.plasticity.stdp_csr_step`, with synapse masks.

    The synapses whose presynaptic neuron spiked are updated at once, then those whose
    postsynaptic neuron spiked (found from ``indices`` directly; ``post_ptr``/``post_syn`` are
    not needed by this formulation).
    """
    nearest = p[P_NEAREST] != 0.0
    _decay_all(x1, x2, y1, y2, elig, rule, p)
    pre_of = np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr))
    for b in range(pre_count.shape[0]):
        J = pre_idx[b, : pre_count[b]]
        I = post_idx[b, : post_count[b]]
        sel = np.isin(pre_of, J)
        w = weights[sel].astype(F64)
        post = indices[sel]
        if rule == RULE_BCM:
            nu = y1[b, post].astype(F64) * p[P_RATE_SCALE]
            weights[sel] = _clip(w + p[P_A2_PLUS] * nu * (nu - theta[b, post].astype(F64)), p)
        else:
            dw = (-_f_minus(w, p) * y1[b, post].astype(F64)
                  * (p[P_A2_MINUS] + p[P_A3_MINUS] * x2[b, pre_of[sel]].astype(F64)))
            if rule == RULE_RSTDP:
                elig[b, sel] = elig[b, sel].astype(F64) + dw
            else:
                weights[sel] = _clip(w + dw, p)
        _jump(x1[b], J, nearest)
        _jump(x2[b], J, nearest)
        if rule != RULE_BCM:
            sel = np.isin(indices, I)
            w = weights[sel].astype(F64)
            dw = ((p[P_A2_PLUS] + p[P_A3_PLUS] * y2[b, indices[sel]].astype(F64))
                  * (x1[b, pre_of[sel]].astype(F64) * _f_plus(w, p) - p[P_X_TAR] * _g_plus(w, p)))
            if rule == RULE_RSTDP:
                elig[b, sel] = elig[b, sel].astype(F64) + dw
            else:
                weights[sel] = _clip(w + dw, p)
        _jump(y1[b], I, nearest)
        _jump(y2[b], I, nearest)
    if rule == RULE_BCM:
        _bcm_theta(theta, y1, p)
    elif rule == RULE_RSTDP:
        total = np.asarray(modulator, F64) @ elig.astype(F64)
        weights[...] = _clip(weights.astype(F64) + p[P_ETA_MOD] * total, p)


def _lists(spikes):
    batch, n = spikes.shape
    idx = np.zeros((batch, n), np.int32)
    cnt = np.zeros(batch, np.int64)
    spike_list(spikes, idx, cnt)
    return idx, cnt


def stdp_dense_run(weights_t, pre_spikes, post_spikes, x1, x2, y1, y2, theta, elig, modulator,
                   rule, p):
    """Twin of :func:`spikecore.kernels.plasticity.stdp_dense_run`: :func:`stdp_dense_step` per step."""
    T, batch = pre_spikes.shape[:2]
    for t in range(T):
        m = modulator[t] if modulator.shape[0] == T else np.zeros(batch)
        stdp_dense_step(weights_t, *_lists(pre_spikes[t]), *_lists(post_spikes[t]), x1, x2, y1, y2,
                        theta, elig, m, rule, p)


def stdp_csr_run(indptr, indices, weights, post_ptr, post_syn, syn_pre, pre_spikes, post_spikes,
                 x1, x2, y1, y2, theta, elig, modulator, rule, p):
    """Twin of :func:`spikecore.kernels.plasticity.stdp_csr_run`: :func:`stdp_csr_step` per step."""
    T, batch = pre_spikes.shape[:2]
    for t in range(T):
        m = modulator[t] if modulator.shape[0] == T else np.zeros(batch)
        stdp_csr_step(indptr, indices, weights, post_ptr, post_syn, syn_pre, *_lists(pre_spikes[t]),
                      *_lists(post_spikes[t]), x1, x2, y1, y2, theta, elig, m, rule, p)


def competitive_layer_run(inputs, weights_t, v, theta, refrac, i_inh, x1, x2, y1, y2, bcm_theta,
                          elig, modulator, alpha, beta, v_rest, v_th, v_reset, n_ref, theta_decay,
                          theta_plus, w_inh, inh_decay, learn, rule, p, counts):
    r"""Twin of :func:`spikecore.kernels.plasticity.competitive_layer_run`.

    Per step: :math:`I = W z(t) - g`; adaptive-LIF step; :math:`g \leftarrow g\,e^{-dt/\tau_\mathrm{inh}}
    + w_\mathrm{inh}(\sum_k s_k - s_i)`; counts; plasticity when ``learn``.
    """
    T, batch = inputs.shape[:2]
    n_out = weights_t.shape[1]
    spikes = np.zeros((batch, n_out), np.uint8)
    for t in range(T):
        in_idx, in_cnt = _lists(inputs[t])
        ring = np.zeros((1, batch, n_out), v.dtype)
        dense_propagate(in_idx, in_cnt, weights_t, ring, 0)
        current = (ring[0].astype(F64) - i_inh.astype(F64)).astype(v.dtype)
        adaptive_lif_step(v, theta, refrac, current, alpha, beta, v_rest, v_th, v_reset, False,
                          n_ref, theta_decay, theta_plus, spikes)
        total = spikes.sum(axis=1, dtype=np.int64)[:, None]
        i_inh[...] = i_inh.astype(F64) * inh_decay + w_inh * (total - spikes)
        counts += spikes
        if learn:
            m = modulator[t] if modulator.shape[0] == T else np.zeros(batch)
            stdp_dense_step(weights_t, in_idx, in_cnt, *_lists(spikes), x1, x2, y1, y2, bcm_theta,
                            elig, m, rule, p)
