r"""Plain-NumPy twins of :mod:`spikecore.kernels.resume`, written from the ReSuMe equations.

ReSuMe (Ponulak 2005; Ponulak & Kasiński 2010):
:math:`\dot w_{oi} = [S_d(t) - S_o(t)]\,[a_i + \int_0^\infty W_i(s) S_i(t - s) ds]`,
:math:`W_i(s) = \sigma_i A e^{-s/\tau}`, :math:`a_i = \sigma_i a`; symbols and the step
schedule in :mod:`spikecore.kernels.resume`. Same names, signatures and in-place semantics.
"""
import numpy as np

from spikecore.reference.neurons import cuba_lif_step

MODE_NONE = 0
MODE_TRIAL = 1
MODE_ONLINE = 2


def _present(w, sign, in_spikes, desired, v, i_syn, refrac, a, A, decay_learn, w_min, w_max,
             mode, params, out_spikes, dw):
    T, batch, n_in = in_spikes.shape
    n_out = w.shape[0]
    x = np.zeros((batch, n_in))                    # x_i[k] = sum_{k_f < k} decay^(k - k_f)
    current = np.zeros((batch, n_out))
    for k in range(T):
        cuba_lif_step(v, i_syn, refrac, current, *params, out_spikes[k])
        if mode != MODE_NONE:
            for b in range(batch):
                error = (desired[k, b] != 0).astype(np.int64) - (out_spikes[k, b] != 0).astype(np.int64)
                change = error[:, None] * sign[None, :] * (a + A * x[b][None, :])
                dw += change
                if mode == MODE_ONLINE:
                    rows = error != 0                       # neurons with a desired or actual spike
                    w[rows] = np.clip(w[rows] + change[rows], w_min, w_max)
        s = in_spikes[k].astype(bool)
        for b in range(batch):
            for i in np.nonzero(s[b])[0]:
                i_syn[0, b] += sign[i] * w[:, i]
        x = decay_learn * (x + s)


def resume_run(w, sign, in_spikes, desired, v, i_syn, refrac, alpha, beta, v_rest, v_th, v_reset,
               soft_reset, n_ref, syn_decay, syn_gain, a, A, decay_learn, w_min, w_max, mode,
               out_spikes, dw):
    """Twin of :func:`spikecore.kernels.resume.resume_run`."""
    params = (alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref, syn_decay, syn_gain)
    dw[...] = 0.0
    _present(w, sign, in_spikes, desired, v, i_syn, refrac, a, A, decay_learn, w_min, w_max, mode,
             params, out_spikes, dw)
    if mode == MODE_TRIAL:
        w[...] = np.clip(w + dw, w_min, w_max)


def resume_train_epoch(order, w, sign, in_spikes, desired, alpha, beta, v_rest, v_th, v_reset,
                       soft_reset, n_ref, syn_decay, syn_gain, a, A, decay_learn, w_min, w_max,
                       mode, out_spikes):
    """Twin of :func:`spikecore.kernels.resume.resume_train_epoch`: one sample at a time, from rest."""
    n_out, n_in = w.shape
    for s in order:
        v = np.full((1, n_out), v_rest)
        i_syn = np.zeros((1, 1, n_out))
        refrac = np.zeros((1, n_out), dtype=np.int32)
        dw = np.zeros((n_out, n_in))
        out = np.zeros((in_spikes.shape[0], 1, n_out), dtype=bool)
        resume_run(w, sign, in_spikes[:, s:s + 1], desired[:, s:s + 1], v, i_syn, refrac, alpha,
                   beta, v_rest, v_th, v_reset, soft_reset, n_ref, syn_decay, syn_gain, a, A,
                   decay_learn, w_min, w_max, mode, out, dw)
        out_spikes[:, s:s + 1] = out


def _pair_sum(pre, post, tau):
    """sum_{t in post} sum_{t' in pre, t' < t} exp(-(t - t')/tau), by the double sum."""
    if pre.size == 0 or post.size == 0:
        return 0.0
    lag = post[:, None] - pre[None, :]
    return float(np.sum(np.where(lag > 0, np.exp(-np.where(lag > 0, lag, 0.0) / tau), 0.0)))


def resume_integrated_delta(pre_times, pre_indptr, desired_times, desired_indptr, actual_times,
                            actual_indptr, sign, a, A, tau, dw):
    """Twin of :func:`spikecore.kernels.resume.resume_integrated_delta` (direct double sums)."""
    n_out, n_in = dw.shape
    batch = (len(pre_indptr) - 1) // n_in
    dw[...] = 0.0
    for b in range(batch):
        for o in range(n_out):
            d = desired_times[desired_indptr[b * n_out + o]:desired_indptr[b * n_out + o + 1]]
            t = actual_times[actual_indptr[b * n_out + o]:actual_indptr[b * n_out + o + 1]]
            for i in range(n_in):
                pre = pre_times[pre_indptr[b * n_in + i]:pre_indptr[b * n_in + i + 1]]
                dw[o, i] += sign[i] * (a * (d.size - t.size)
                                       + A * (_pair_sum(pre, d, tau) - _pair_sum(pre, t, tau)))
    return dw
