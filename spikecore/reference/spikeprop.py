r"""Plain-NumPy twins of ``spikecore.kernels.spikeprop`` (Bohte, Kok & La Poutré 2002).

Written straight from the equations for a reader; see the kernel module for the model::

    x_j(t)  = sum_i sum_k w_ij^k eps(t - t_i - d^k),   eps(s) = (s/tau) exp(1 - s/tau), s > 0
    t_j     = min{ t : x_j(t) >= theta }
    delta_j = (t_j^d - t_j^a) / max(xdot_j(t_j^a), min_slope)
    delta_i = sum_j delta_j sum_k w_ij^k eps'(t_j^a - t_i - d^k) / max(xdot_i(t_i), min_slope)
    dE/dw_ij^k = eps(t_j^a - t_i - d^k) delta_j

The spike-time search here is a different algorithm from the kernel's (so the test that
compares them is a real cross-check): the potential is evaluated directly by the double sum at
every onset ``t_i + d^k`` and at each segment's analytic peak, and the first crossing is then
bisected to the last representable bit. Agreement: times to 1e-12 (absolute, in the units of
``tau``), gradients to 1e-9 relative.
"""
import numpy as np


def _eps(s, tau):
    s = np.asarray(s, dtype=np.float64)
    pos = s > 0
    out = np.zeros_like(s)
    out[pos] = s[pos] / tau * np.exp(1.0 - s[pos] / tau)
    return out


def _eps_prime(s, tau):
    s = np.asarray(s, dtype=np.float64)
    pos = s > 0
    out = np.zeros_like(s)
    out[pos] = (1.0 - s[pos] / tau) * np.exp(1.0 - s[pos] / tau) / tau
    return out


def _potential(t, pre_t, w, delays, tau):
    """x(t) of one neuron with weights w (n_pre, m) and presynaptic times pre_t (n_pre,)."""
    fire = np.isfinite(pre_t)
    s = t - pre_t[fire, None] - delays[None, :]
    return float(np.sum(w[fire] * _eps(s, tau)))


def _slope(t, pre_t, w, delays, tau):
    fire = np.isfinite(pre_t)
    s = t - pre_t[fire, None] - delays[None, :]
    return float(np.sum(w[fire] * _eps_prime(s, tau)))


def srm_potential(t, pre_times, weights, delays, tau, out):
    """Membrane potential x_j(t) of every neuron (twin of the kernel of the same name)."""
    for b in range(t.shape[0]):
        for j in range(weights.shape[0]):
            out[b, j] = _potential(t[b, j], pre_times[b], weights[j], delays, tau)
    return out


def _bisect(f, lo, hi):
    """f(lo) < 0 <= f(hi); shrink to adjacent floats."""
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            return hi
        if f(mid) >= 0.0:
            hi = mid
        else:
            lo = mid


def _first_crossing(pre_t, w, delays, tau, theta, t_max):
    fire = np.isfinite(pre_t)
    onsets = (pre_t[fire, None] + delays[None, :]).ravel()
    weights = w[fire].ravel()
    keep = onsets < t_max
    onsets, weights = onsets[keep], weights[keep]
    if onsets.size == 0:
        return np.inf
    edges = np.unique(np.append(onsets, t_max))
    def f(t):
        return _potential(t, pre_t, w, delays, tau) - theta
    for a, c in zip(edges[:-1], edges[1:]):
        active = onsets <= a
        # on [a, c] x(t) = exp(-(t-a)/tau) (alpha + beta (t-a)); its stationary point is
        # t* = tau + weighted mean of the onsets, weights c_n exp((o_n - a)/tau).
        g = weights[active] * np.exp((onsets[active] - a) / tau)
        candidates = []
        if g.sum() > 0:
            t_star = tau + np.sum(g * onsets[active]) / g.sum()
            if a < t_star < c:
                candidates.append(t_star)
        candidates.append(c)
        for tc in candidates:
            if tc >= t_max:
                # the window is open at t_max: check just below it
                if f(np.nextafter(t_max, -np.inf)) < 0:
                    continue
                tc = np.nextafter(t_max, -np.inf)
            if f(tc) >= 0:
                if f(a) >= 0:
                    return float(a)
                return float(_bisect(f, a, tc))
    return np.inf


def srm_first_spike(pre_times, weights, delays, tau, theta, t_max, out):
    """Exact first threshold-crossing times (twin of the kernel of the same name)."""
    for b in range(pre_times.shape[0]):
        for j in range(weights.shape[0]):
            out[b, j] = _first_crossing(pre_times[b], weights[j], delays, tau, theta, t_max)
    return out


def _sample_deltas(in_t, hid_t, out_t, tgt, w_hid, w_out, delays, tau, t_max, min_slope):
    out_eff = np.where(np.isfinite(out_t), out_t, t_max)
    err = 0.5 * float(np.sum((out_eff - tgt) ** 2))
    delta_out = np.empty(w_out.shape[0])
    for j in range(w_out.shape[0]):
        xdot = max(_slope(out_eff[j], hid_t, w_out[j], delays, tau), min_slope)
        delta_out[j] = (tgt[j] - out_eff[j]) / xdot
    delta_hid = np.zeros(w_hid.shape[0])
    for i in range(w_hid.shape[0]):
        if not np.isfinite(hid_t[i]):
            continue
        s = out_eff[:, None] - hid_t[i] - delays[None, :]           # (n_out, m)
        num = np.sum(delta_out[:, None] * w_out[:, i, :] * _eps_prime(s, tau))
        xdot = max(_slope(hid_t[i], in_t, w_hid[i], delays, tau), min_slope)
        delta_hid[i] = num / xdot
    return err, out_eff, delta_out, delta_hid


def _y(post_t, pre_t, delays, tau):
    """y_i^k(t_j) for all j, i, k: shape (n_post, n_pre, m); zero for silent i."""
    s = post_t[:, None, None] - pre_t[None, :, None] - delays[None, None, :]
    y = _eps(np.where(np.isfinite(s), s, -1.0), tau)
    return y


def spikeprop_gradients(in_times, hid_times, out_times, targets, w_hid, w_out, delays, tau,
                        t_max, min_slope, grad_hid, grad_out):
    """dE/dw summed over the batch; returns E (twin of the kernel of the same name)."""
    grad_hid[...] = 0.0
    grad_out[...] = 0.0
    err = 0.0
    for b in range(in_times.shape[0]):
        e, out_eff, d_out, d_hid = _sample_deltas(in_times[b], hid_times[b], out_times[b],
                                                  targets[b], w_hid, w_out, delays, tau, t_max,
                                                  min_slope)
        err += e
        grad_out += _y(out_eff, hid_times[b], delays, tau) * d_out[:, None, None]
        hid_eff = np.where(np.isfinite(hid_times[b]), hid_times[b], 0.0)
        grad_hid += _y(hid_eff, in_times[b], delays, tau) * d_hid[:, None, None]
    return err


def _constrain(w, sign):
    w[:, sign > 0, :] = np.maximum(w[:, sign > 0, :], 0.0)
    w[:, sign < 0, :] = np.minimum(w[:, sign < 0, :], 0.0)


def spikeprop_train_epoch(in_times, targets, order, w_hid, w_out, sign_in, sign_hid, delays,
                          tau, theta, t_max, eta, min_slope, hid_times, out_times):
    """One epoch of online SpikeProp (twin of the kernel of the same name)."""
    err = 0.0
    for n in order:
        srm_first_spike(in_times[n:n + 1], w_hid, delays, tau, theta, t_max, hid_times[n:n + 1])
        srm_first_spike(hid_times[n:n + 1], w_out, delays, tau, theta, t_max, out_times[n:n + 1])
        e, out_eff, d_out, d_hid = _sample_deltas(in_times[n], hid_times[n], out_times[n],
                                                  targets[n], w_hid, w_out, delays, tau, t_max,
                                                  min_slope)
        err += e
        hid_eff = np.where(np.isfinite(hid_times[n]), hid_times[n], 0.0)
        g_out = _y(out_eff, hid_times[n], delays, tau) * d_out[:, None, None]
        g_hid = _y(hid_eff, in_times[n], delays, tau) * d_hid[:, None, None]
        w_out -= eta * g_out
        w_hid -= eta * g_hid
        # the kernel clips only the weights it touched; untouched ones already satisfy it
        _constrain(w_out, sign_hid)
        _constrain(w_hid, sign_in)
    return err


# ----------------------------------------------------------------------------- multi-spike
# Booij & Nguyen (2005): u_j(t) = sum_i sum_g sum_k w_ij^k eps(t - t_i^g - d^k)
#                                 + sum_{t_j^f <= t} eta(t - t_j^f),  eta(s) = -theta exp(-s/tau_r).
# The twin scans the same grid as the kernel but evaluates u vectorised and bisects every
# bracket to adjacent floats (the kernel uses Newton).

def _multi_u(t, pre, w, delays, tau, own, tau_r, theta):
    fire = np.isfinite(pre)                                   # (n_pre, G)
    s = t - pre[:, :, None] - delays[None, None, :]           # (n_pre, G, m)
    s = np.where(fire[:, :, None], s, -1.0)
    syn = float(np.sum(w[:, None, :] * _eps(s, tau)))
    past = np.asarray(own, dtype=np.float64)
    past = past[past <= t]
    return syn - theta * float(np.sum(np.exp(-(t - past) / tau_r)))


def _multi_udot(t, pre, w, delays, tau, own, tau_r, theta):
    fire = np.isfinite(pre)
    s = t - pre[:, :, None] - delays[None, None, :]
    s = np.where(fire[:, :, None], s, -1.0)
    syn = float(np.sum(w[:, None, :] * _eps_prime(s, tau)))
    past = np.asarray(own, dtype=np.float64)
    past = past[past <= t]
    return syn + theta / tau_r * float(np.sum(np.exp(-(t - past) / tau_r)))


def srm_multi_spike_times(pre_times, weights, delays, tau, tau_r, theta, t_max, step, out):
    """All spike times with the refractory kernel (twin of the kernel of the same name)."""
    S = out.shape[2]
    for b in range(pre_times.shape[0]):
        pre = pre_times[b]
        onsets = (pre[:, :, None] + delays[None, None, :])[np.isfinite(pre)]
        t0 = float(onsets.min()) if onsets.size else np.inf
        for j in range(weights.shape[0]):
            out[b, j, :] = np.inf
            own = []
            if not t0 < t_max:
                continue
            grid = t0 + step * np.arange(1, int(np.ceil((t_max - t0) / step)) + 2)
            grid = np.minimum(grid, t_max)
            lo = t0
            def f(t):
                return _multi_u(t, pre, weights[j], delays, tau, own, tau_r, theta) - theta
            for hi in grid:
                while len(own) < S and hi > lo and f(hi) >= 0:
                    tf = _bisect(f, lo, hi)
                    if tf >= t_max:
                        break
                    own.append(tf)
                    lo = tf
                lo = max(lo, hi)
                if hi >= t_max or len(own) >= S:
                    break
            out[b, j, :len(own)] = own
    return out


def spikeprop_multi_gradients(in_times, hid_times, out_times, targets, w_hid, w_out, delays,
                              tau, tau_r, theta, t_max, min_slope, grad_hid, grad_out):
    """dE/dw of the multi-spike network (twin of the kernel of the same name)."""
    grad_hid[...] = 0.0
    grad_out[...] = 0.0
    err = 0.0
    for b in range(in_times.shape[0]):
        x, h = in_times[b], hid_times[b]
        adj = np.zeros(h.shape)                                  # dE/dt_i^g
        for j in range(w_out.shape[0]):
            ta = out_times[b, j] if np.isfinite(out_times[b, j]) else t_max
            err += 0.5 * (ta - targets[b, j]) ** 2
            c = (ta - targets[b, j]) / max(_multi_udot(ta, h, w_out[j], delays, tau, [], tau_r, theta), min_slope)
            s = np.where(np.isfinite(h)[:, :, None], ta - h[:, :, None] - delays[None, None, :], -1.0)
            grad_out[j] -= c * _eps(s, tau).sum(axis=1)                      # (n_hid, m)
            adj += c * np.sum(w_out[j][:, None, :] * _eps_prime(s, tau), axis=2)
        for i in range(w_hid.shape[0]):
            for g in range(h.shape[1] - 1, -1, -1):
                tg = h[i, g]
                if not np.isfinite(tg):
                    continue
                du = max(_multi_udot(tg, x, w_hid[i], delays, tau, h[i, :g], tau_r, theta), min_slope)
                c = adj[i, g] / du
                s = np.where(np.isfinite(x)[:, :, None], tg - x[:, :, None] - delays[None, None, :], -1.0)
                grad_hid[i] -= c * _eps(s, tau).sum(axis=1)
                adj[i, :g] += c * theta / tau_r * np.exp(-(tg - h[i, :g]) / tau_r)
    return err
