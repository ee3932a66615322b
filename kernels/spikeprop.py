r"""SpikeProp hot loops (Numba): SRM membrane potential, exact first-spike times, gradients.

Model (Bohte, Kok & La Poutré 2002, "Error-backpropagation in temporally encoded networks
of spiking neurons"). Neuron ``j`` receives from every neuron ``i`` of the layer below
through ``m`` delayed terminals ``k = 0 .. m-1`` with weights ``w_ij^k`` and delays ``d^k``::

    x_j(t)   = sum_i sum_k w_ij^k * y_i^k(t),      y_i^k(t) = eps(t - t_i - d^k)
    eps(s)   = (s / tau) * exp(1 - s / tau)  for s > 0,   0 otherwise      (alpha kernel)
    t_j      = min { t : x_j(t) >= theta }    (first threshold crossing; one spike per neuron)

``x_j`` membrane potential (dimensionless, threshold ``theta``), ``t_i`` the presynaptic
spike time (``inf``: the neuron is silent), ``tau`` the kernel time constant. Times and
``tau`` may be in any unit as long as it is the same for all of them (spikecore passes
seconds). Everything is float64: the spike-time search and the gradient check need it.

Exact spike times. Between two consecutive terminal onsets ``o = t_i + d^k`` the potential is
``x(r + u) = (e/tau) exp(-u/tau) (P + Q u)`` with ``Q = sum c exp(-(r-o)/tau)`` and
``P = sum c exp(-(r-o)/tau) (r - o)`` over the onsets ``o <= r`` (``c`` their weights). On a
segment it rises only when ``Q > 0``, up to its peak at ``u* = tau - P/Q``, and is concave
there, so the first crossing is found segment by segment (walking the sorted onsets) and
refined by Newton's method from the left inside the bracket ``[0, min(u*, L)]`` (with
bisection as a safeguard) to machine precision — no time grid.

Gradients (Bohte 2002, eqs. 10-17; ``dx/dt`` written with ``eps'(s) = d eps / ds =
(1/tau)(1 - s/tau) exp(1 - s/tau)`` for ``s > 0``)::

    E         = 1/2 sum_j (t_j^a - t_j^d)^2
    xdot_j    = max( sum_i sum_k w_ij^k eps'(t_j^a - t_i - d^k),  min_slope )
    delta_j   = (t_j^d - t_j^a) / xdot_j                                     (output layer)
    delta_i   = sum_j delta_j sum_k w_ij^k eps'(t_j^a - t_i - d^k) / xdot_i  (hidden layer)
    dE/dw_ij^k = y_i^k(t_j^a) delta_j ,   Delta w_ij^k = -eta y_i^k(t_j^a) delta_j

``t^a`` actual and ``t^d`` desired spike times, ``eta`` the learning rate, ``min_slope`` the
lower bound on ``dx/dt`` at the crossing that keeps the update finite near the
threshold-grazing discontinuity. Conventions for silent neurons (see
``spikecore.learning.srm_network``): an output neuron that does not fire before ``t_max``
is treated as firing at ``t_max`` for the error and the gradient (its clipped slope makes the
update raise its weights); a silent hidden neuron has ``delta_i = 0`` and, since it sends
nothing, no gradient through it (the exact gradient). Sign constraint (Bohte 2002, §3: a
neuron is either excitatory or inhibitory): after each update a weight from a presynaptic
neuron with sign ``+1`` is clipped to ``>= 0``, with sign ``-1`` to ``<= 0``; sign ``0`` is
unconstrained.

Array layouts: spike times ``(batch, n)``; weights ``(n_post, n_pre, m)``; delays ``(m,)``.
"""
import math

import numpy as np
from numba import njit

_E = math.e


# ----------------------------------------------------------------------------- helpers

@njit(cache=True)
def _eps(s, tau):
    if s > 0.0:
        return s / tau * math.exp(1.0 - s / tau)
    return 0.0


@njit(cache=True)
def _heapsort(key, a, b, n):
    """Sort key[:n] ascending in place, carrying the companion arrays a, b along."""
    # build heap
    start = n // 2 - 1
    while start >= 0:
        _sift(key, a, b, start, n)
        start -= 1
    end = n - 1
    while end > 0:
        key[0], key[end] = key[end], key[0]
        a[0], a[end] = a[end], a[0]
        b[0], b[end] = b[end], b[0]
        _sift(key, a, b, 0, end)
        end -= 1


@njit(cache=True)
def _sift(key, a, b, root, n):
    while True:
        child = 2 * root + 1
        if child >= n:
            return
        if child + 1 < n and key[child + 1] > key[child]:
            child += 1
        if key[child] > key[root]:
            key[root], key[child] = key[child], key[root]
            a[root], a[child] = a[child], a[root]
            b[root], b[child] = b[child], b[root]
            root = child
        else:
            return


@njit(cache=True)
def _collect_onsets(pre_t, delays, t_max, on_t, on_i, on_k):
    """Write the onsets t_i + d^k < t_max of all firing presynaptic neurons, sorted; return count."""
    n = 0
    m = delays.shape[0]
    for i in range(pre_t.shape[0]):
        ti = pre_t[i]
        if not math.isfinite(ti):
            continue
        for k in range(m):
            o = ti + delays[k]
            if o < t_max:
                on_t[n] = o
                on_i[n] = i
                on_k[n] = k
                n += 1
    _heapsort(on_t, on_i, on_k, n)
    return n


@njit(cache=True)
def _solve_segment(P, Q, tau, theta, hi):
    """Root of (e/tau) exp(-u/tau) (P + Q u) = theta on [0, hi], where the left side rises."""
    K = _E / tau
    lo = 0.0
    u = 0.0
    tol = 4.0 * 2.220446049250313e-16 * (hi + tau)
    for _ in range(200):
        ex = math.exp(-u / tau)
        g = K * ex * (P + Q * u) - theta
        if g == 0.0:
            return u
        if g < 0.0:
            lo = u
        else:
            hi = u
        dg = K * ex * (Q - (P + Q * u) / tau)
        if dg > 0.0:
            un = u - g / dg
        else:
            un = 0.5 * (lo + hi)
        if not (un > lo and un < hi):
            un = 0.5 * (lo + hi)
        if abs(un - u) <= tol or hi - lo <= tol:
            return un
        u = un
    return u


@njit(cache=True)
def _first_crossing(on_t, on_i, on_k, n_on, w, tau, theta, t_max):
    """First time the potential with weights w[i, k] over the sorted onsets reaches theta."""
    if n_on == 0:
        return np.inf
    K = _E / tau
    P = 0.0
    Q = 0.0
    r = on_t[0]
    n = 0
    while n < n_on:
        o = on_t[n]
        if o > r:
            D = o - r
            a = math.exp(-D / tau)
            P = (P + Q * D) * a
            Q = Q * a
            r = o
        Q += w[on_i[n], on_k[n]]
        n += 1
        r_end = on_t[n] if n < n_on else t_max
        L = r_end - r
        if L <= 0.0 or Q <= 0.0:
            continue
        u_star = tau - P / Q
        if u_star <= 0.0:
            continue
        u_pk = u_star if u_star < L else L
        if K * (P + Q * u_pk) < theta:      # cheap bound: exp(-u/tau) <= 1
            continue
        if K * math.exp(-u_pk / tau) * (P + Q * u_pk) >= theta:
            if K * P >= theta:          # at the start already (rounding at a segment joint)
                return r
            return r + _solve_segment(P, Q, tau, theta, u_pk)
    return np.inf


@njit(cache=True)
def _first_spike_row(pre_t, weights, delays, tau, theta, t_max, on_t, on_i, on_k, out_row):
    n_on = _collect_onsets(pre_t, delays, t_max, on_t, on_i, on_k)
    for j in range(weights.shape[0]):
        out_row[j] = _first_crossing(on_t, on_i, on_k, n_on, weights[j], tau, theta, t_max)


@njit(cache=True)
def _slope(pre_t, w, t, delays, expd, tau):
    """dx/dt at time t: sum_i sum_k w[i,k] eps'(t - t_i - d^k)."""
    total = 0.0
    m = delays.shape[0]
    for i in range(pre_t.shape[0]):
        ti = pre_t[i]
        if not math.isfinite(ti):
            continue
        s0 = t - ti
        A = math.exp(1.0 - s0 / tau)
        for k in range(m):
            s = s0 - delays[k]
            if s > 0.0:
                total += w[i, k] * (1.0 - s / tau) * A * expd[k] / tau
    return total


@njit(cache=True)
def _deltas(in_t, hid_t, out_t, tgt, w_hid, w_out, delays, expd, tau, t_max, min_slope,
            out_eff, delta_out, delta_hid):
    """Output and hidden deltas of one sample; returns the sample's error E."""
    n_out = w_out.shape[0]
    n_hid = w_hid.shape[0]
    m = delays.shape[0]
    err = 0.0
    for j in range(n_out):
        ta = out_t[j]
        if not math.isfinite(ta):
            ta = t_max                  # silent output: treated as firing at t_max
        out_eff[j] = ta
        xdot = _slope(hid_t, w_out[j], ta, delays, expd, tau)
        if xdot < min_slope:
            xdot = min_slope
        delta_out[j] = (tgt[j] - ta) / xdot
        err += 0.5 * (ta - tgt[j]) ** 2
    for i in range(n_hid):
        ti = hid_t[i]
        if not math.isfinite(ti):
            delta_hid[i] = 0.0          # silent hidden neuron: no gradient flows through it
            continue
        num = 0.0
        for j in range(n_out):
            s0 = out_eff[j] - ti
            A = math.exp(1.0 - s0 / tau)
            for k in range(m):
                s = s0 - delays[k]
                if s > 0.0:
                    num += delta_out[j] * w_out[j, i, k] * (1.0 - s / tau) * A * expd[k] / tau
        xdot = _slope(in_t, w_hid[i], ti, delays, expd, tau)
        if xdot < min_slope:
            xdot = min_slope
        delta_hid[i] = num / xdot
    return err


@njit(cache=True)
def _accumulate(pre_t, post_t, delta, delays, expd, tau, scale, pre_sign, target):
    """target[j,i,k] += scale * y_i^k(t_j) * delta_j, then apply the sign constraint."""
    m = delays.shape[0]
    for j in range(target.shape[0]):
        dj = delta[j]
        if dj == 0.0:
            continue
        tj = post_t[j]
        for i in range(pre_t.shape[0]):
            ti = pre_t[i]
            if not math.isfinite(ti):
                continue
            s0 = tj - ti
            A = math.exp(1.0 - s0 / tau)
            sg = pre_sign[i]
            for k in range(m):
                s = s0 - delays[k]
                if s > 0.0:
                    v = target[j, i, k] + scale * dj * (s / tau) * A * expd[k]
                    if sg > 0 and v < 0.0:
                        v = 0.0
                    elif sg < 0 and v > 0.0:
                        v = 0.0
                    target[j, i, k] = v


# ----------------------------------------------------------------------------- public kernels

@njit(cache=True)
def srm_potential(t, pre_times, weights, delays, tau, out):
    """Membrane potential x_j(t) = sum_i sum_k w_ij^k eps(t - t_i - d^k) (Bohte et al. 2002).

    Parameters: ``t`` (batch, n_post) evaluation times; ``pre_times`` (batch, n_pre), ``inf``
    for silent neurons; ``weights`` (n_post, n_pre, m); ``delays`` (m,); ``tau`` kernel time
    constant; ``out`` (batch, n_post) float64, written and returned.
    """
    batch = t.shape[0]
    n_post = weights.shape[0]
    n_pre = weights.shape[1]
    m = delays.shape[0]
    for b in range(batch):
        for j in range(n_post):
            tj = t[b, j]
            total = 0.0
            for i in range(n_pre):
                ti = pre_times[b, i]
                if not math.isfinite(ti):
                    continue
                for k in range(m):
                    total += weights[j, i, k] * _eps(tj - ti - delays[k], tau)
            out[b, j] = total
    return out


@njit(cache=True)
def srm_first_spike(pre_times, weights, delays, tau, theta, t_max, out):
    """Exact first threshold-crossing time of every SRM neuron (Bohte et al. 2002).

    ``t_j = min{t < t_max : x_j(t) >= theta}``, ``inf`` when the neuron stays below
    ``theta`` until ``t_max``. Parameters as :func:`srm_potential`; ``theta`` threshold,
    ``t_max`` end of the simulated window; ``out`` (batch, n_post) float64.
    """
    n_pre = weights.shape[1]
    m = delays.shape[0]
    on_t = np.empty(n_pre * m)
    on_i = np.empty(n_pre * m, np.int64)
    on_k = np.empty(n_pre * m, np.int64)
    for b in range(pre_times.shape[0]):
        _first_spike_row(pre_times[b], weights, delays, tau, theta, t_max, on_t, on_i, on_k, out[b])
    return out


@njit(cache=True)
def spikeprop_gradients(in_times, hid_times, out_times, targets, w_hid, w_out, delays, tau,
                        t_max, min_slope, grad_hid, grad_out):
    """Gradients dE/dw of E = 1/2 sum (t^a - t^d)^2 summed over the batch (Bohte et al. 2002).

    ``in_times`` (batch, n_in), ``hid_times`` (batch, n_hid) and ``out_times`` (batch,
    n_out) are the spike times of a forward pass; ``targets`` (batch, n_out) the desired
    output times. ``grad_hid`` (n_hid, n_in, m) and ``grad_out`` (n_out, n_hid, m) are
    overwritten. Returns the total error E.
    """
    n_out = w_out.shape[0]
    n_hid = w_hid.shape[0]
    expd = np.exp(delays / tau)
    out_eff = np.empty(n_out)
    delta_out = np.empty(n_out)
    delta_hid = np.empty(n_hid)
    no_sign_hid = np.zeros(n_hid, np.int8)
    no_sign_in = np.zeros(w_hid.shape[1], np.int8)
    grad_hid[...] = 0.0
    grad_out[...] = 0.0
    err = 0.0
    for b in range(in_times.shape[0]):
        err += _deltas(in_times[b], hid_times[b], out_times[b], targets[b], w_hid, w_out,
                       delays, expd, tau, t_max, min_slope, out_eff, delta_out, delta_hid)
        _accumulate(hid_times[b], out_eff, delta_out, delays, expd, tau, 1.0, no_sign_hid, grad_out)
        _accumulate(in_times[b], hid_times[b], delta_hid, delays, expd, tau, 1.0, no_sign_in, grad_hid)
    return err


@njit(cache=True)
def spikeprop_train_epoch(in_times, targets, order, w_hid, w_out, sign_in, sign_hid, delays,
                          tau, theta, t_max, eta, min_slope, hid_times, out_times):
    """One epoch of online SpikeProp: for each sample in ``order`` forward, then update.

    Per sample ``n``: spike times of the hidden and output layers (written into
    ``hid_times[n]``, ``out_times[n]``, before the update), the deltas, and
    ``w <- w - eta * y * delta`` for both layers (Bohte et al. 2002), followed by the sign
    constraint (``sign_in`` (n_in,) and ``sign_hid`` (n_hid,) int8: +1 excitatory, -1
    inhibitory, 0 free). Returns the summed error E of the epoch (each sample's error is
    measured before its own update).
    """
    n_in = w_hid.shape[1]
    n_hid = w_hid.shape[0]
    n_out = w_out.shape[0]
    m = delays.shape[0]
    size = max(n_in, n_hid) * m
    on_t = np.empty(size)
    on_i = np.empty(size, np.int64)
    on_k = np.empty(size, np.int64)
    expd = np.exp(delays / tau)
    out_eff = np.empty(n_out)
    delta_out = np.empty(n_out)
    delta_hid = np.empty(n_hid)
    err = 0.0
    for idx in range(order.shape[0]):
        n = order[idx]
        _first_spike_row(in_times[n], w_hid, delays, tau, theta, t_max, on_t, on_i, on_k, hid_times[n])
        _first_spike_row(hid_times[n], w_out, delays, tau, theta, t_max, on_t, on_i, on_k, out_times[n])
        err += _deltas(in_times[n], hid_times[n], out_times[n], targets[n], w_hid, w_out,
                       delays, expd, tau, t_max, min_slope, out_eff, delta_out, delta_hid)
        _accumulate(hid_times[n], out_eff, delta_out, delays, expd, tau, -eta, sign_hid, w_out)
        _accumulate(in_times[n], hid_times[n], delta_hid, delays, expd, tau, -eta, sign_in, w_hid)
    return err


# ----------------------------------------------------------------------------- multi-spike
# Booij & Nguyen (2005), "A gradient descent rule for spiking neurons emitting multiple
# spikes", Information Processing Letters 95. A neuron may fire several times; after each of
# its own spikes t_j^f the refractory kernel eta(s) = -theta exp(-s / tau_r) (s >= 0) is added:
#
#     u_j(t) = sum_i sum_g sum_k w_ij^k eps(t - t_i^g - d^k) + sum_{t_j^f <= t} eta(t - t_j^f)
#
# (right-continuous: at its own spike time the reset has already happened, u_j(t_j^f) = 0 +
# the synaptic change). Spikes are the successive upward crossings of theta. They are located
# by scanning u_j on the grid t0 + n*step (t0 = earliest onset; after a spike, scanning resumes
# at the spike) and refining each bracketed crossing by safeguarded Newton to machine precision.
# A pair of crossings closer together than ``step`` (a grazing touch) can be missed. On the grid
# u_j is carried forward as running sums over the sorted onsets o (one update per grid step and
# per onset, not a full sum per step): with s = r - o and c = w_ij^k,
#     P = sum c s e^{-s/tau},  Q = sum c e^{-s/tau},  R = theta sum_f e^{-(r - t_j^f)/tau_r},
#     u_j(r) = (e/tau) P - R;  advancing by h: P <- (P + Q h) e^{-h/tau}, Q <- Q e^{-h/tau},
#     R <- R e^{-h/tau_r}.
# Within 1e-6 (theta + R) of theta, and in the refinement, u_j is summed directly, so the
# decisions do not depend on the running sums' rounding.
#
# Gradient (reverse mode over the spike times, Booij & Nguyen 2005, eqs. for dt/dw): each spike
# satisfies u_j(t_j^f) = theta, so by implicit differentiation, with
# udot_j^f = sum w eps'(t_j^f - t_i^g - d^k) + sum_{f' < f} eta'(t_j^f - t_j^f'),
#     d t_j^f / d w_ij^k   = - sum_g eps(t_j^f - t_i^g - d^k) / udot_j^f
#     d t_j^f / d t_i^g    =   sum_k w_ij^k eps'(t_j^f - t_i^g - d^k) / udot_j^f
#     d t_j^f / d t_j^f'   =   eta'(t_j^f - t_j^f') / udot_j^f,   eta'(s) = (theta/tau_r) exp(-s/tau_r)
# and dE/dt is accumulated backwards (latest spike first) through these partials.


@njit(cache=True)
def _multi_potential(t, pre, w, delays, tau, own, n_own, tau_r, theta):
    """(u(t), du/dt) of one neuron: synaptic part over all presynaptic spikes + refractory part."""
    expd = np.exp(delays / tau)
    return _multi_u(t, pre, w, delays, expd, np.min(delays), tau, own, n_own, tau_r, theta)


@njit(cache=True)
def _multi_u(t, pre, w, delays, expd, d_min, tau, own, n_own, tau_r, theta):
    """``_multi_potential`` with ``expd = exp(delays / tau)`` and ``d_min = min(delays)`` given.

    Uses ``exp(1 - s/tau) = exp(1 - (t - t_g)/tau) exp(d^k/tau)`` for ``s = t - t_g - d^k``:
    one exponential per presynaptic spike instead of one per terminal. Only spikes with
    ``t - t_g > d_min`` (some terminal has begun) are visited, so the first factor is at most
    ``e``; when it would underflow (``t - t_g > 700 tau``) each term is computed directly.
    """
    # u = (1/tau) sum base w s e^(d/tau), du = (1/tau^2) sum base w (tau - s) e^(d/tau)
    u = 0.0
    du = 0.0
    m = delays.shape[0]
    inv = 1.0 / tau
    for i in range(pre.shape[0]):
        for g in range(pre.shape[1]):
            tg = pre[i, g]
            if not math.isfinite(tg):
                continue
            lag = t - tg
            if lag <= d_min:
                continue
            su = 0.0
            sd = 0.0
            if lag < 700.0 * tau:
                for k in range(m):
                    s = lag - delays[k]
                    if s > 0.0:
                        a = w[i, k] * expd[k]
                        su += s * a
                        sd += (tau - s) * a
                base = math.exp(1.0 - lag * inv)
                u += base * su
                du += base * sd
            else:
                for k in range(m):
                    s = lag - delays[k]
                    if s > 0.0:
                        a = w[i, k] * math.exp(1.0 - s * inv)
                        u += s * a
                        du += (tau - s) * a
    u *= inv
    du *= inv * inv
    for f in range(n_own):
        s = t - own[f]
        if s >= 0.0:
            r = theta * math.exp(-s / tau_r)
            u -= r
            du += r / tau_r
    return u, du


@njit(cache=True)
def _multi_refine(lo, hi, pre, w, delays, expd, d_min, tau, own, n_own, tau_r, theta):
    """Root of u(t) = theta in [lo, hi] with u(lo) < theta <= u(hi).

    Safeguarded Newton until its step is a few ulps, then the bracket is closed around the
    Newton point and bisected to adjacent floats; returns the upper end (first float with
    u >= theta).
    """
    t = hi
    for _ in range(100):
        u, du = _multi_u(t, pre, w, delays, expd, d_min, tau, own, n_own, tau_r, theta)
        g = u - theta
        if g >= 0.0:
            hi = t
        else:
            lo = t
        tn = t - g / du if du > 0.0 else 0.5 * (lo + hi)
        if not (tn > lo and tn < hi):
            tn = 0.5 * (lo + hi)
        if abs(tn - t) <= 4.0 * 2.220446049250313e-16 * abs(t):
            break
        t = tn
    # close the bracket near the Newton point, then bisect to adjacent floats
    d = 4.0 * 2.220446049250313e-16 * abs(t)
    while hi - lo > d:
        c = t + d
        if c >= hi:
            break
        u, du = _multi_u(c, pre, w, delays, expd, d_min, tau, own, n_own, tau_r, theta)
        if u >= theta:
            hi = c
            break
        lo = c
        d *= 4.0
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            return hi
        u, du = _multi_u(mid, pre, w, delays, expd, d_min, tau, own, n_own, tau_r, theta)
        if u >= theta:
            hi = mid
        else:
            lo = mid


@njit(cache=True)
def srm_multi_spike_times(pre_times, weights, delays, tau, tau_r, theta, t_max, step, out):
    r"""All spike times of SRM neurons with a refractory kernel (Booij & Nguyen 2005).

    .. math::
        u_j(t) = \sum_i \sum_g \sum_k w_{ij}^k \varepsilon(t - t_i^g - d^k)
                 + \sum_{t_j^f \le t} \eta(t - t_j^f), \qquad
        \eta(s) = -\theta e^{-s/\tau_r}

    with the alpha kernel :math:`\varepsilon(s) = (s/\tau) e^{1 - s/\tau}` (Bohte et al.
    2002); spikes are the successive upward crossings of :math:`\theta` before ``t_max``.

    Parameters
    ----------
    pre_times : (batch, n_pre, n_pre_spikes) float64
        Presynaptic spike times :math:`t_i^g`, ``inf`` padded.
    weights : (n_post, n_pre, m) float64
    delays : (m,) float64
    tau, tau_r : float
        Time constants of the synaptic kernel and of the refractory kernel.
    theta : float
        Threshold (also the reset depth of :math:`\eta`).
    t_max : float
        End of the window.
    step : float
        Scan step of the crossing search; crossings are then refined to machine precision.
        Two crossings closer than ``step`` (a grazing touch) may be missed.
    out : (batch, n_post, max_spikes) float64
        Written: spike times ascending, ``inf`` padded (at most ``max_spikes`` per neuron).
    """
    S = out.shape[2]
    m = delays.shape[0]
    expd = np.exp(delays / tau)
    d_min = np.min(delays)
    size = pre_times.shape[1] * pre_times.shape[2] * m
    on_t = np.empty(size)
    on_i = np.empty(size, np.int64)
    on_k = np.empty(size, np.int64)
    K = _E / tau
    for b in range(pre_times.shape[0]):
        pre = pre_times[b]
        # onsets t_i^g + d^k before t_max, sorted (their minimum t0 starts the scan grid)
        n_on = 0
        for i in range(pre.shape[0]):
            for g in range(pre.shape[1]):
                if math.isfinite(pre[i, g]):
                    for k in range(m):
                        o = pre[i, g] + delays[k]
                        if o < t_max:
                            on_t[n_on] = o
                            on_i[n_on] = i
                            on_k[n_on] = k
                            n_on += 1
        _heapsort(on_t, on_i, on_k, n_on)
        t0 = on_t[0] if n_on > 0 else np.inf
        for j in range(weights.shape[0]):
            wj = weights[j]
            own = out[b, j]
            own[:] = np.inf
            n_own = 0
            if not t0 < t_max:
                continue
            # running state at time r: x_syn(r) = K P, P = sum c s e^(-s/tau), Q = sum c e^(-s/tau)
            # over the onsets o <= r (s = r - o, c = w_ij^k);
            # refractory part R = theta sum e^(-(r - t^f)/tau_r)
            P = 0.0
            Q = 0.0
            R = 0.0
            r = t0
            nxt = 0
            lo = t0
            n = 0
            while n_own < S:
                n += 1
                hi = t0 + n * step
                if hi > t_max:
                    hi = t_max
                if hi <= lo:
                    if hi >= t_max:
                        break
                    continue
                h = hi - r
                if h > 0.0:
                    dec = math.exp(-h / tau)
                    P = (P + Q * h) * dec
                    Q *= dec
                    R *= math.exp(-h / tau_r)
                    r = hi
                while nxt < n_on and on_t[nxt] <= hi:
                    sk = hi - on_t[nxt]
                    e = math.exp(-sk / tau)
                    c = wj[on_i[nxt], on_k[nxt]]
                    P += c * sk * e
                    Q += c * e
                    nxt += 1
                # The running value decides only far from theta; near it, the direct sum does
                # (same decision as the reference twin, whatever the accumulated rounding).
                if K * P - R >= theta - 1e-6 * (theta + R):
                    u, du = _multi_u(hi, pre, wj, delays, expd, d_min, tau, own, n_own, tau_r, theta)
                    if u >= theta:
                        tf = _multi_refine(lo, hi, pre, wj, delays, expd, d_min, tau, own, n_own,
                                           tau_r, theta)
                        if tf >= t_max:
                            break
                        own[n_own] = tf
                        n_own += 1
                        R += theta * math.exp(-(r - tf) / tau_r)
                        lo = tf
                        n -= 1                  # rescan the rest of this cell after the reset
                        continue
                if hi >= t_max:
                    break
                lo = hi
    return out


@njit(cache=True)
def _multi_sample_gradients(x, h, o, tgt, w_hid, w_out, delays, expd, d_min, tau, tau_r, theta,
                            t_max, min_slope, adj, grad_hid, grad_out):
    n_out = w_out.shape[0]
    n_hid = w_hid.shape[0]
    S = h.shape[1]
    m = delays.shape[0]
    err = 0.0
    adj[...] = 0.0
    for j in range(n_out):
        ta = o[j] if math.isfinite(o[j]) else t_max
        err += 0.5 * (ta - tgt[j]) ** 2
        _, du = _multi_u(ta, h, w_out[j], delays, expd, d_min, tau, h[0], 0, tau_r, theta)
        if du < min_slope:
            du = min_slope
        c = (ta - tgt[j]) / du                  # dE/dt_j / udot_j
        for i in range(n_hid):
            for g in range(S):
                tg = h[i, g]
                if not math.isfinite(tg):
                    continue
                for k in range(m):
                    s = ta - tg - delays[k]
                    if s > 0.0:
                        a = math.exp(1.0 - s / tau)
                        grad_out[j, i, k] -= c * s / tau * a
                        adj[i, g] += c * w_out[j, i, k] * (1.0 - s / tau) * a / tau
    for i in range(n_hid):
        for g in range(S - 1, -1, -1):
            tg = h[i, g]
            if not math.isfinite(tg) or adj[i, g] == 0.0:
                continue
            _, du = _multi_u(tg, x, w_hid[i], delays, expd, d_min, tau, h[i], g, tau_r, theta)
            if du < min_slope:
                du = min_slope
            c = adj[i, g] / du
            for p in range(x.shape[0]):
                for q in range(x.shape[1]):
                    tp = x[p, q]
                    if not math.isfinite(tp):
                        continue
                    for k in range(m):
                        s = tg - tp - delays[k]
                        if s > 0.0:
                            grad_hid[i, p, k] -= c * s / tau * math.exp(1.0 - s / tau)
            for f in range(g):
                adj[i, f] += c * theta / tau_r * math.exp(-(tg - h[i, f]) / tau_r)
    return err


@njit(cache=True)
def spikeprop_multi_gradients(in_times, hid_times, out_times, targets, w_hid, w_out, delays,
                              tau, tau_r, theta, t_max, min_slope, grad_hid, grad_out):
    r"""dE/dw of the multi-spike SpikeProp network, summed over the batch (Booij & Nguyen 2005).

    Error on each output neuron's first spike, :math:`E = \frac12 \sum_j (t_j^a - t_j^d)^2`
    (a silent output counts as firing at ``t_max``); the gradient runs through every hidden
    spike and through the dependence of each hidden spike on the earlier ones via
    :math:`\eta` (partials in the comment block above; ``udot`` bounded below by
    ``min_slope``).

    Parameters
    ----------
    in_times : (batch, n_in, n_in_spikes) float64
    hid_times : (batch, n_hid, max_spikes) float64
        From :func:`srm_multi_spike_times`, ``inf`` padded.
    out_times : (batch, n_out) float64
        First output spike times (``inf``: silent).
    targets : (batch, n_out) float64
        Desired first output spike times :math:`t_j^d`.
    w_hid : (n_hid, n_in, m); w_out : (n_out, n_hid, m); delays : (m,)
    tau, tau_r, theta, t_max, min_slope : float
    grad_hid, grad_out : arrays shaped like the weights, overwritten.

    Returns
    -------
    float
        The batch error ``E``.
    """
    grad_hid[...] = 0.0
    grad_out[...] = 0.0
    adj = np.empty((hid_times.shape[1], hid_times.shape[2]))
    expd = np.exp(delays / tau)
    d_min = np.min(delays)
    err = 0.0
    for b in range(in_times.shape[0]):
        err += _multi_sample_gradients(in_times[b], hid_times[b], out_times[b], targets[b], w_hid,
                                       w_out, delays, expd, d_min, tau, tau_r, theta, t_max,
                                       min_slope, adj, grad_hid, grad_out)
    return err
