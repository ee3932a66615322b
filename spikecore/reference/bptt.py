"""Plain-NumPy twins of ``spikecore.kernels.bptt``: a LIF layer unrolled over time, forward and
backward (STBP, Wu et al. 2018), written straight from the equations for a reader.

Forward (``u[-1] = s[-1] = 0``)::

    soft reset:  u[t] = beta u[t-1] + I[t] - theta s[t-1]
    hard reset:  u[t] = beta u[t-1] (1 - s[t-1]) + I[t]
    spikes:      s[t] = H(u[t] - theta)           (or sigma(u[t] - theta) when smooth)

Backward (``delta[T] = 0``, ``g[t] = sigma'(u[t] - theta)``, ``e[t]`` = incoming dL/ds[t])::

    soft: dL/ds[t] = e[t] - theta delta[t+1]        delta[t] = dL/ds[t] g[t] + beta delta[t+1]
    hard: dL/ds[t] = e[t] - beta u[t] delta[t+1]    delta[t] = dL/ds[t] g[t] + beta (1 - s[t]) delta[t+1]
    (the reset term of dL/ds[t] is left out when the reset is detached)

Surrogate codes: 0 fast sigmoid ``1/(1+alpha|x|)^2`` (Zenke & Ganguli 2018), 1 arctan
``(alpha/2)/(1+(pi alpha x/2)^2)`` (Fang et al. 2021), 2 triangle ``max(0, 1-alpha|x|)``
(Bellec et al. 2018), 3 exponential ``exp(-alpha|x|)`` (Shrestha & Orchard 2018).
"""
import numpy as np


def _surrogate_grad(x, code, alpha):
    """Surrogate derivative sigma'(x) of the spike function, by code (table above)."""
    ax = np.abs(x)
    if code == 0:
        return 1.0 / (1.0 + alpha * ax) ** 2
    if code == 1:
        return (alpha / 2.0) / (1.0 + (np.pi * alpha * x / 2.0) ** 2)
    if code == 2:
        return np.maximum(0.0, 1.0 - alpha * ax)
    return np.exp(-alpha * ax)


def _surrogate_primitive(x, code, alpha):
    """Antiderivative sigma(x) of the surrogate with sigma(-inf) = 0, by code."""
    if code == 0:
        return 1.0 / alpha + x / (1.0 + alpha * np.abs(x))
    if code == 1:
        return 0.5 + np.arctan(np.pi * alpha * x / 2.0) / np.pi
    if code == 2:
        xc = np.clip(x, -1.0 / alpha, 1.0 / alpha)
        return np.where(xc < 0, (1.0 + alpha * xc) ** 2 / (2.0 * alpha),
                        1.0 / alpha - (1.0 - alpha * xc) ** 2 / (2.0 * alpha))
    return np.where(x < 0, np.exp(alpha * np.minimum(x, 0.0)) / alpha,
                    2.0 / alpha - np.exp(-alpha * np.maximum(x, 0.0)) / alpha)


def lif_forward(current, beta, theta, hard_reset, smooth, surrogate, alpha, u, s):
    """Reference LIF forward over ``T`` steps; same contract as the kernel of the same name.

    ``u[t] = beta u[t-1] + I[t] - theta s[t-1]`` (soft) or ``beta u[t-1] (1 - s[t-1]) + I[t]``
    (hard); ``s[t] = H(u[t] - theta)``, or the surrogate antiderivative when ``smooth``
    (Wu et al. 2018). ``current``, ``u``, ``s``: ``(T, batch, n)``; ``beta``, ``theta``: ``(n,)``.
    """
    u_prev = np.zeros(current.shape[1:])
    s_prev = np.zeros(current.shape[1:])
    for t in range(current.shape[0]):
        if hard_reset:
            u_now = beta * u_prev * (1.0 - s_prev) + current[t]
        else:
            u_now = beta * u_prev + current[t] - theta * s_prev
        u[t] = u_now
        if smooth:
            s[t] = _surrogate_primitive(u[t].astype(np.float64) - theta, surrogate, alpha)
        else:
            s[t] = (u[t] >= theta).astype(s.dtype)
        # continue from the stored (possibly float32-rounded) values, as the kernel does
        u_prev = u[t]
        s_prev = s[t]


def lif_backward(grad_s, u, s, beta, theta, hard_reset, detach_reset, surrogate, alpha, grad_u):
    """Reference backward recursion; same contract as the kernel of the same name.

    Writes ``grad_u[t] = delta[t] = dL/du[t]`` from the incoming ``grad_s[t] = dL/ds[t]``
    (Wu et al. 2018; equations in the module docstring).
    """
    delta_next = np.zeros(u.shape[1:])
    for t in range(u.shape[0] - 1, -1, -1):
        g = _surrogate_grad(u[t].astype(np.float64) - theta, surrogate, alpha)
        ds = grad_s[t].astype(np.float64)
        if not detach_reset:
            ds = ds - (beta * u[t] if hard_reset else theta) * delta_next
        if hard_reset:
            grad_u[t] = ds * g + beta * (1.0 - s[t]) * delta_next
        else:
            grad_u[t] = ds * g + beta * delta_next
        delta_next = grad_u[t]


def lif_forward_sum(current, beta, theta, hard_reset, smooth, surrogate, alpha, w, u, z):
    """Reference of the kernel of the same name: :func:`lif_forward`, then
    ``z = sum_t w[t] s[t]`` (spikes not returned)."""
    s = np.empty_like(u)
    lif_forward(current, beta, theta, hard_reset, smooth, surrogate, alpha, u, s)
    z[:] = np.tensordot(w, s, axes=(0, 0))


def lif_backward_sum(grad_z, w, u, beta, theta, hard_reset, detach_reset, smooth, surrogate,
                     alpha, grad_u):
    """Reference of the kernel of the same name: spikes recomputed from ``u``, then
    :func:`lif_backward` with ``dL/ds[t] = w[t] dL/dz``."""
    if smooth:
        s = _surrogate_primitive(u.astype(np.float64) - theta, surrogate, alpha).astype(u.dtype)
    else:
        s = (u >= theta).astype(u.dtype)
    grad_s = w[:, None, None] * grad_z[None]
    lif_backward(grad_s, u, s, beta, theta, hard_reset, detach_reset, surrogate, alpha, grad_u)


def rlif_forward(current, weight_rec, beta, theta, hard_reset, smooth, surrogate, alpha, u, s):
    """Reference recurrent LIF forward; same contract as the kernel of the same name.

    ``u[t] = beta u[t-1] + I[t] + V s[t-1] - theta s[t-1]`` (soft) or
    ``beta u[t-1] (1 - s[t-1]) + I[t] + V s[t-1]`` (hard); ``s[t] = H(u[t] - theta)`` or the
    surrogate antiderivative when ``smooth`` (Bellec et al. 2018; Wu et al. 2018).
    ``weight_rec`` ``V`` is ``(n, n)`` (post, pre).
    """
    u_prev = np.zeros(current.shape[1:])
    s_prev = np.zeros(current.shape[1:])
    for t in range(current.shape[0]):
        recurrent = s_prev @ weight_rec.T
        if hard_reset:
            u[t] = beta * u_prev * (1.0 - s_prev) + current[t] + recurrent
        else:
            u[t] = beta * u_prev + current[t] + recurrent - theta * s_prev
        if smooth:
            s[t] = _surrogate_primitive(u[t].astype(np.float64) - theta, surrogate, alpha)
        else:
            s[t] = (u[t] >= theta).astype(s.dtype)
        u_prev = u[t]
        s_prev = s[t]


def rlif_backward(grad_s, u, s, weight_rec, beta, theta, hard_reset, detach_reset, surrogate,
                  alpha, grad_u):
    """Reference backward of :func:`rlif_forward`; same contract as the kernel of the same name.

    ``dL/ds[t] = e[t] + V^T delta[t+1] - [reset] (theta | beta u[t]) delta[t+1]``, then
    ``delta[t]`` as in :func:`lif_backward` (Wu et al. 2018).
    """
    delta_next = np.zeros(u.shape[1:])
    for t in range(u.shape[0] - 1, -1, -1):
        g = _surrogate_grad(u[t].astype(np.float64) - theta, surrogate, alpha)
        ds = grad_s[t].astype(np.float64) + delta_next @ weight_rec
        if not detach_reset:
            ds = ds - (beta * u[t] if hard_reset else theta) * delta_next
        if hard_reset:
            grad_u[t] = ds * g + beta * (1.0 - s[t]) * delta_next
        else:
            grad_u[t] = ds * g + beta * delta_next
        delta_next = grad_u[t]


def adam_update(p, g, m, v, learning_rate, beta1, beta2, eps, k):
    """Reference of the kernel of the same name: one Adam step (Kingma & Ba 2015), in place::

        m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
        p <- p - eta (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps)
    """
    m[:] = beta1 * m + (1.0 - beta1) * g
    v[:] = beta2 * v + (1.0 - beta2) * g * g
    p -= learning_rate * (m / (1.0 - beta1 ** k)) / (np.sqrt(v / (1.0 - beta2 ** k)) + eps)
