r"""Forward and backward recursions of a layer of LIF neurons unrolled over time (Numba).

These are the time loops of surrogate-gradient backpropagation through time (STBP, Wu et al.
2018; surrogate derivatives from Zenke & Ganguli 2018 and Shrestha & Orchard 2018). The
matrix products around them (input currents ``W x[t]`` for every ``t`` at once, weight
gradients) are NumPy GEMMs done by the caller, ``spikecore.learning.bptt``; the kernels here
are single-threaded on purpose (one parallel layer per hot path: OpenBLAS's threads do the
GEMMs, see ARCHITECTURE.md).

Model, for each batch row ``b`` and neuron ``i`` (indices dropped), ``t = 0 .. T-1`` and
``u[-1] = s[-1] = 0``::

    soft reset ("subtract"):  u[t] = beta * u[t-1] + I[t] - theta * s[t-1]
    hard reset ("to zero"):   u[t] = beta * u[t-1] * (1 - s[t-1]) + I[t]
    spike:                    s[t] = H(u[t] - theta)

``I[t]`` is the input current, ``beta`` the leak factor per step (``beta = 1``: IF neuron),
``theta`` the threshold, ``H`` the Heaviside step. Spikes are stored as 0.0/1.0 floats so
they feed the next layer's GEMM directly.

Backward recursion. Given ``e[t] = dL/ds[t]`` from the layer above (or the loss), the kernel
computes ``delta[t] = dL/du[t]`` (which is also ``dL/dI[t]``) from ``t = T-1`` down to ``0``,
with ``delta[T] = 0`` and the surrogate ``g[t] = sigma'(u[t] - theta)``::

    soft:  dL/ds[t]  = e[t] - theta * delta[t+1]            (reset path; dropped if detached)
           delta[t]  = dL/ds[t] * g[t] + beta * delta[t+1]
    hard:  dL/ds[t]  = e[t] - beta * u[t] * delta[t+1]      (reset path; dropped if detached)
           delta[t]  = dL/ds[t] * g[t] + beta * (1 - s[t]) * delta[t+1]

The gradients of the per-neuron parameters follow from ``delta`` alone and are computed by the
caller when needed (``spikecore.learning.bptt.lif_parameter_grads``), since
``dL/ds[t] g[t] = delta[t] - decay[t] delta[t+1]`` with ``decay = beta`` (soft) or
``beta (1 - s[t])`` (hard)::

    dL/dtheta = sum_t ( -dL/ds[t] * g[t]  -  [soft] s[t] * delta[t+1] )
    dL/dbeta  = sum_t delta[t] * u[t-1]                 (soft)
              = sum_t delta[t] * u[t-1] * (1 - s[t-1])  (hard)

"Detached reset" (snnTorch's default; Zenke & Vogels 2021) treats the reset signal ``s[t-1]``
in the ``u[t]`` update as a constant: only the ``dL/ds[t]`` line loses its reset term.

With ``smooth=True`` the forward pass emits ``s[t] = sigma(u[t] - theta)``, the antiderivative
of the surrogate (``spikecore.learning.surrogates.surrogate_primitive``), instead of ``H``; the
network is then differentiable and the backward recursion above is its exact gradient, which is
what the finite-difference gradient check relies on.

Surrogate codes (``spikecore.learning.surrogates``): 0 fast sigmoid ``1/(1+alpha|x|)^2``,
1 arctan ``(alpha/2)/(1+(pi alpha x/2)^2)``, 2 triangle ``max(0, 1-alpha|x|)``,
3 exponential ``exp(-alpha|x|)``.
"""
import math

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _surrogate_grad(x, code, alpha):
    ax = abs(x)
    if code == 0:
        d = 1.0 + alpha * ax
        return 1.0 / (d * d)
    if code == 1:
        z = math.pi * alpha * x / 2.0
        return (alpha / 2.0) / (1.0 + z * z)
    if code == 2:
        return max(0.0, 1.0 - alpha * ax)
    return math.exp(-alpha * ax)


@njit(cache=True, inline="always")
def _surrogate_primitive(x, code, alpha):
    if code == 0:
        return 1.0 / alpha + x / (1.0 + alpha * abs(x))
    if code == 1:
        return 0.5 + math.atan(math.pi * alpha * x / 2.0) / math.pi
    if code == 2:
        xc = min(max(x, -1.0 / alpha), 1.0 / alpha)
        if xc < 0.0:
            return (1.0 + alpha * xc) ** 2 / (2.0 * alpha)
        return 1.0 / alpha - (1.0 - alpha * xc) ** 2 / (2.0 * alpha)
    if x < 0.0:
        return math.exp(alpha * x) / alpha
    return 2.0 / alpha - math.exp(-alpha * x) / alpha


@njit(cache=True)
def lif_forward(current, beta, theta, hard_reset, smooth, surrogate, alpha, u, s):
    """Run a layer of LIF neurons over ``T`` steps: membrane ``u`` and spikes ``s``.

    ``u[t] = beta u[t-1] + I[t] - theta s[t-1]`` (soft) or ``beta u[t-1] (1 - s[t-1]) + I[t]``
    (hard), ``s[t] = H(u[t] - theta)`` (Wu et al. 2018); ``smooth`` replaces ``H`` by the
    surrogate's antiderivative (gradient check). See the module docstring.

    Parameters
    ----------
    current : ndarray (T, batch, n) float
        Input current ``I[t]`` (may be a broadcast view with stride 0 along time).
    beta, theta : ndarray (n,) float
        Leak factor per step and threshold of each neuron.
    hard_reset : bool
        Reset to zero (True) or by subtraction of ``theta`` (False).
    smooth : bool
        Emit ``sigma(u - theta)`` instead of ``H(u - theta)``.
    surrogate : int
        Surrogate code (used only when ``smooth``).
    alpha : float
        Surrogate sharpness.
    u, s : ndarray (T, batch, n) float
        Outputs, overwritten.
    """
    T, B, n = current.shape
    # One batch row at a time, whole rows per step: the previous step's row of u and s is
    # still in L1 cache, and every inner loop is branch-free (vectorised).
    for b in range(B):
        for t in range(T):
            cur = current[t, b]
            ut = u[t, b]
            st = s[t, b]
            if t == 0:
                for i in range(n):
                    ut[i] = cur[i]
            elif hard_reset:
                up = u[t - 1, b]
                sp = s[t - 1, b]
                for i in range(n):
                    ut[i] = beta[i] * up[i] * (1.0 - sp[i]) + cur[i]
            else:
                up = u[t - 1, b]
                sp = s[t - 1, b]
                for i in range(n):
                    ut[i] = beta[i] * up[i] + cur[i] - theta[i] * sp[i]
            if smooth:
                for i in range(n):
                    st[i] = _surrogate_primitive(ut[i] - theta[i], surrogate, alpha)
            else:
                for i in range(n):
                    st[i] = 1.0 if ut[i] >= theta[i] else 0.0


@njit(cache=True)
def lif_backward(grad_s, u, s, beta, theta, hard_reset, detach_reset, surrogate, alpha, grad_u):
    """Backward recursion of :func:`lif_forward`: ``delta[t] = dL/du[t]`` (= ``dL/dI[t]``).

    Implements, from ``t = T-1`` down to 0 with ``delta[T] = 0`` and
    ``g[t] = sigma'(u[t] - theta)`` (Wu et al. 2018; surrogate of Zenke & Ganguli 2018 or
    Shrestha & Orchard 2018)::

        soft: dL/ds[t] = e[t] - theta delta[t+1];       delta[t] = dL/ds[t] g[t] + beta delta[t+1]
        hard: dL/ds[t] = e[t] - beta u[t] delta[t+1];   delta[t] = dL/ds[t] g[t] + beta (1-s[t]) delta[t+1]

    (the reset term of ``dL/ds[t]`` is dropped when ``detach_reset``).

    Parameters
    ----------
    grad_s : ndarray (T, batch, n) float
        ``e[t]``: gradient of the loss with respect to the spikes from everything downstream
        (may be a broadcast view).
    u, s : ndarray (T, batch, n) float
        Membrane and spikes saved by :func:`lif_forward`.
    beta, theta : ndarray (n,) float
        Leak factors and thresholds.
    hard_reset, detach_reset : bool
        Reset mode, and whether the reset path carries gradient.
    surrogate : int
        Surrogate code (0 fast sigmoid, 1 arctan, 2 triangle, 3 exponential).
    alpha : float
        Surrogate sharpness.
    grad_u : ndarray (T, batch, n) float
        Output ``delta[t]``, overwritten.
    """
    T, B, n = u.shape
    g = np.empty(n, dtype=grad_u.dtype)      # surrogate of one row, reused (allocated once)
    zero = np.zeros(n, dtype=grad_u.dtype)   # delta[T] = 0
    for b in range(B):
        for t in range(T - 1, -1, -1):
            ut = u[t, b]
            _surrogate_row(ut, theta, surrogate, alpha, g)
            dn = zero if t == T - 1 else grad_u[t + 1, b]
            e = grad_s[t, b]
            _delta_row(grad_u[t, b], e, g, ut, s[t, b], dn, beta, theta, hard_reset, detach_reset)


@njit(cache=True)
def _delta_row(out, e, g, ut, st, dn, beta, theta, hard_reset, detach_reset):
    # delta[t] = dL/du[t] of one row from the spike gradient e, the surrogate g = sigma'(u - theta)
    # and delta[t+1] = dn (the equations of lif_backward); one branch per row so each loop vectorises
    n = out.shape[0]
    if hard_reset:
        if detach_reset:
            for i in range(n):
                out[i] = e[i] * g[i] + beta[i] * (1.0 - st[i]) * dn[i]
        else:
            for i in range(n):
                out[i] = (e[i] - beta[i] * ut[i] * dn[i]) * g[i] + beta[i] * (1.0 - st[i]) * dn[i]
    elif detach_reset:
        for i in range(n):
            out[i] = e[i] * g[i] + beta[i] * dn[i]
    else:
        for i in range(n):
            out[i] = (e[i] - theta[i] * dn[i]) * g[i] + beta[i] * dn[i]


@njit(cache=True)
def _surrogate_row(ut, theta, code, alpha, g):
    # g[i] = sigma'(ut[i] - theta[i]); one branch per row so each loop vectorises
    n = ut.shape[0]
    if code == 0:
        for i in range(n):
            q = 1.0 + alpha * abs(ut[i] - theta[i])
            g[i] = 1.0 / (q * q)
    elif code == 1:
        for i in range(n):
            z = (math.pi / 2.0) * alpha * (ut[i] - theta[i])
            g[i] = (alpha / 2.0) / (1.0 + z * z)
    elif code == 2:
        for i in range(n):
            g[i] = max(0.0, 1.0 - alpha * abs(ut[i] - theta[i]))
    else:
        for i in range(n):
            g[i] = math.exp(-alpha * abs(ut[i] - theta[i]))


@njit(cache=True)
def lif_forward_sum(current, beta, theta, hard_reset, smooth, surrogate, alpha, w, u, z):
    """:func:`lif_forward` for a layer read only through a time-weighted spike sum.

    Same recursion for ``u``; the spikes are not stored, only ``z = sum_t w[t] s[t]``
    ``(batch, n)``, which is all a linear time-invariant readout (the leaky integrator of
    ``spikecore.learning.bptt.LeakyReadout``, ``w[t] = c_t``) needs. Saves writing and re-reading
    ``T x batch x n`` spikes (Wu et al. 2018 recursion unchanged).

    Parameters
    ----------
    current, beta, theta, hard_reset, smooth, surrogate, alpha
        As in :func:`lif_forward`.
    w : ndarray (T,) float
        Time weights.
    u : ndarray (T, batch, n) float
        Output membrane, overwritten.
    z : ndarray (batch, n) float
        Output ``sum_t w[t] s[t]``, overwritten.
    """
    T, B, n = current.shape
    sp = np.empty(n, dtype=u.dtype)   # spikes of the previous step of one row (allocated once)
    for b in range(B):
        zb = z[b]
        for i in range(n):
            zb[i] = 0.0
            sp[i] = 0.0
        for t in range(T):
            cur = current[t, b]
            ut = u[t, b]
            if t == 0:
                for i in range(n):
                    ut[i] = cur[i]
            elif hard_reset:
                up = u[t - 1, b]
                for i in range(n):
                    ut[i] = beta[i] * up[i] * (1.0 - sp[i]) + cur[i]
            else:
                up = u[t - 1, b]
                for i in range(n):
                    ut[i] = beta[i] * up[i] + cur[i] - theta[i] * sp[i]
            wt = w[t]
            if smooth:
                for i in range(n):
                    sp[i] = _surrogate_primitive(ut[i] - theta[i], surrogate, alpha)
                    zb[i] += wt * sp[i]
            else:
                for i in range(n):
                    sp[i] = 1.0 if ut[i] >= theta[i] else 0.0
                    zb[i] += wt * sp[i]


@njit(cache=True)
def lif_backward_sum(grad_z, w, u, beta, theta, hard_reset, detach_reset, smooth, surrogate,
                     alpha, grad_u):
    """:func:`lif_backward` for ``z = sum_t w[t] s[t]``: the incoming ``e[t] = w[t] dL/dz``.

    The spikes are recomputed from the saved membrane (``s[t] = H(u[t] - theta)``, or the
    surrogate antiderivative when ``smooth``), then the recursion of :func:`lif_backward` runs.

    Parameters
    ----------
    grad_z : ndarray (batch, n) float
        ``dL/dz``.
    w : ndarray (T,) float
        Time weights of the forward pass.
    u : ndarray (T, batch, n) float
        Membrane saved by :func:`lif_forward_sum`.
    beta, theta, hard_reset, detach_reset, surrogate, alpha
        As in :func:`lif_backward`.
    smooth : bool
        As in the forward pass (only used to recompute ``s`` for the hard reset).
    grad_u : ndarray (T, batch, n) float
        Output ``delta[t] = dL/du[t]``, overwritten.
    """
    T, B, n = u.shape
    g = np.empty(n, dtype=grad_u.dtype)
    zero = np.zeros(n, dtype=grad_u.dtype)
    for b in range(B):
        gz = grad_z[b]
        for t in range(T - 1, -1, -1):
            ut = u[t, b]
            _surrogate_row(ut, theta, surrogate, alpha, g)
            dn = zero if t == T - 1 else grad_u[t + 1, b]
            out = grad_u[t, b]
            wt = w[t]
            if hard_reset:
                for i in range(n):
                    if smooth:
                        st = _surrogate_primitive(ut[i] - theta[i], surrogate, alpha)
                    else:
                        st = 1.0 if ut[i] >= theta[i] else 0.0
                    e = wt * gz[i]
                    if not detach_reset:
                        e -= beta[i] * ut[i] * dn[i]
                    out[i] = e * g[i] + beta[i] * (1.0 - st) * dn[i]
            elif detach_reset:
                for i in range(n):
                    out[i] = wt * gz[i] * g[i] + beta[i] * dn[i]
            else:
                for i in range(n):
                    out[i] = (wt * gz[i] - theta[i] * dn[i]) * g[i] + beta[i] * dn[i]


@njit(cache=True)
def rlif_forward(current, weight_rec, beta, theta, hard_reset, smooth, surrogate, alpha, u, s):
    """Run a layer of recurrently connected LIF neurons over ``T`` steps: membrane ``u``, spikes ``s``.

    The input current of step ``t`` adds the layer's own spikes of the previous step through the
    dense recurrent weights ``V`` (``V[i, j]``: from neuron ``j`` to neuron ``i``)::

        soft:  u[t] = beta u[t-1] + I[t] + V s[t-1] - theta s[t-1]
        hard:  u[t] = beta u[t-1] (1 - s[t-1]) + I[t] + V s[t-1]
        s[t] = H(u[t] - theta)          (or sigma(u[t] - theta) when ``smooth``)

    with ``u[-1] = s[-1] = 0`` (recurrent SNN of Bellec et al. 2018, trained by STBP, Wu et al.
    2018). The product ``V s[t-1]`` is event-driven: only columns of ``V`` whose neuron spiked
    are added.

    Parameters
    ----------
    current : ndarray (T, batch, n) float
        Feed-forward input current ``I[t]`` (may be a broadcast view with stride 0 along time).
    weight_rec : ndarray (n, n) float
        Recurrent weights ``V`` (post, pre).
    beta, theta, hard_reset, smooth, surrogate, alpha
        As in :func:`lif_forward`.
    u, s : ndarray (T, batch, n) float
        Outputs, overwritten.
    """
    T, B, n = current.shape
    vt = np.ascontiguousarray(weight_rec.T)   # (pre, post): column j of V is row j (once)
    for b in range(B):
        for t in range(T):
            cur = current[t, b]
            ut = u[t, b]
            st = s[t, b]
            if t == 0:
                for i in range(n):
                    ut[i] = cur[i]
            else:
                up = u[t - 1, b]
                sp = s[t - 1, b]
                if hard_reset:
                    for i in range(n):
                        ut[i] = beta[i] * up[i] * (1.0 - sp[i]) + cur[i]
                else:
                    for i in range(n):
                        ut[i] = beta[i] * up[i] + cur[i] - theta[i] * sp[i]
                for j in range(n):
                    sj = sp[j]
                    if sj != 0.0:
                        row = vt[j]
                        for i in range(n):
                            ut[i] += sj * row[i]
            if smooth:
                for i in range(n):
                    st[i] = _surrogate_primitive(ut[i] - theta[i], surrogate, alpha)
            else:
                for i in range(n):
                    st[i] = 1.0 if ut[i] >= theta[i] else 0.0


@njit(cache=True)
def rlif_backward(grad_s, u, s, weight_rec, beta, theta, hard_reset, detach_reset, surrogate,
                  alpha, grad_u):
    """Backward recursion of :func:`rlif_forward`: ``delta[t] = dL/du[t]`` (= ``dL/dI[t]``).

    The spikes ``s[t]`` now also reach ``u[t+1]`` through ``V``, so their gradient gains the
    term ``V^T delta[t+1]``; otherwise the recursion is :func:`lif_backward`'s (``delta[T] = 0``,
    ``g[t] = sigma'(u[t] - theta)``; Wu et al. 2018)::

        soft: dL/ds[t] = e[t] + V^T delta[t+1] - theta delta[t+1]
              delta[t] = dL/ds[t] g[t] + beta delta[t+1]
        hard: dL/ds[t] = e[t] + V^T delta[t+1] - beta u[t] delta[t+1]
              delta[t] = dL/ds[t] g[t] + beta (1 - s[t]) delta[t+1]

    (the reset term, last in ``dL/ds[t]``, is dropped when ``detach_reset``; the recurrent
    term never is: it is a synapse, not the reset). The weight gradient
    ``dL/dV = sum_t delta[t+1]^T s[t]`` is one GEMM done by the caller.

    Parameters
    ----------
    grad_s : ndarray (T, batch, n) float
        ``e[t]``: gradient of the loss with respect to the spikes from downstream layers.
    u, s : ndarray (T, batch, n) float
        Membrane and spikes saved by :func:`rlif_forward`.
    weight_rec : ndarray (n, n) float
        Recurrent weights ``V`` (post, pre).
    beta, theta, hard_reset, detach_reset, surrogate, alpha
        As in :func:`lif_backward`.
    grad_u : ndarray (T, batch, n) float
        Output ``delta[t]``, overwritten.
    """
    T, B, n = u.shape
    g = np.empty(n, dtype=grad_u.dtype)      # surrogate of one row (allocated once)
    e = np.empty(n, dtype=grad_u.dtype)      # total dL/ds[t] of one row
    zero = np.zeros(n, dtype=grad_u.dtype)   # delta[T] = 0
    for b in range(B):
        for t in range(T - 1, -1, -1):
            ut = u[t, b]
            _surrogate_row(ut, theta, surrogate, alpha, g)
            es = grad_s[t, b]
            for j in range(n):
                e[j] = es[j]
            if t == T - 1:
                dn = zero
            else:
                dn = grad_u[t + 1, b]
                for i in range(n):          # e += V^T delta[t+1], row by row of V
                    di = dn[i]
                    if di != 0.0:
                        row = weight_rec[i]
                        for j in range(n):
                            e[j] += di * row[j]
            _delta_row(grad_u[t, b], e, g, ut, s[t, b], dn, beta, theta, hard_reset, detach_reset)


@njit(cache=True)
def adam_update(p, g, m, v, learning_rate, beta1, beta2, eps, k):
    """One Adam step (Kingma & Ba 2015) on flat arrays, in place, in a single pass.

    ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g^2``;
    ``p <- p - eta (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps)``.

    Parameters
    ----------
    p, g, m, v : ndarray (n,) float
        Parameters, gradient, first and second moment estimates (``p``, ``m``, ``v`` updated).
    learning_rate, beta1, beta2, eps : float
        ``eta``, ``b1``, ``b2``, ``eps``.
    k : int
        Step number, from 1.
    """
    c1 = 1.0 - beta1 ** k
    c2 = 1.0 - beta2 ** k
    step = learning_rate / c1
    inv_c2 = 1.0 / c2
    for i in range(p.shape[0]):
        gi = g[i]
        mi = beta1 * m[i] + (1.0 - beta1) * gi
        vi = beta2 * v[i] + (1.0 - beta2) * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= step * mi / (math.sqrt(vi * inv_c2) + eps)
