r"""Plain-NumPy twins of ``spikecore.kernels.bpstdp``, written from the equations of
Tavanaei & Maida (2019), "BP-STDP: Approximating backpropagation using spike timing dependent
plasticity", Neurocomputing 330, 39-47.

Layout: ``sizes = (n_0, ..., n_L)``; the flat float32 ``w`` holds the row-major ``(n_l, n_{l-1})``
matrices one after the other; per-neuron arrays have one column per non-input neuron, layer 1
first (see the kernel module).

Equations, for each step ``t``::

    IF neuron (eq. 3):   U(t) = U(t-1) + W s(t);   r = [U >= theta];   U[r] = 0
    window count:        c(t) = sum_{t'=t-eps}^{t} s(t')
    at desired spike times (teacher[t] = 1):
      output error (16): xi_i = +1 (target, c_i = 0), -1 (non-target, c_i > 0), else 0
      deltas (20):       delta^(L) = xi;   delta^(l) = [c^(l) > 0] * (W^(l+1)^T delta^(l+1))
      updates (15, 20):  W^(l) += mu * sum_batch outer(delta^(l), c^(l-1))
"""
import numpy as np


def _layers(w, sizes):
    """Views of the flat weights as the list of matrices W^(1) .. W^(L)."""
    mats, start = [], 0
    for l in range(1, len(sizes)):
        n_post, n_pre = int(sizes[l]), int(sizes[l - 1])
        mats.append(w[start:start + n_post * n_pre].reshape(n_post, n_pre))
        start += n_post * n_pre
    return mats


def _if_step(x_t, mats, theta, u):
    """One step of every IF layer (eq. 3); ``u`` is the list of (B, n_l) potentials."""
    spikes, pre = [], x_t.astype(np.float32)
    for l, W in enumerate(mats):
        u[l] += pre @ W.T
        r = u[l] >= theta[l]
        u[l][r] = 0.0
        spikes.append(r.astype(np.uint8))
        pre = r.astype(np.float32)
    return spikes


def bpstdp_forward(x, w, sizes, theta, counts, u):
    """Run the IF network over ``x`` (T, B, n_0) without learning; fill ``counts`` (B, N) and
    update ``u`` (B, N) in place. Twin of :func:`spikecore.kernels.bpstdp.bpstdp_forward`."""
    mats = _layers(w, sizes)
    splits = np.cumsum([int(n) for n in sizes[1:]])[:-1]
    pots = [p.copy() for p in np.split(u, splits, axis=1)]
    total = [np.zeros((x.shape[1], int(n)), np.int64) for n in sizes[1:]]
    for t in range(x.shape[0]):
        for l, r in enumerate(_if_step(x[t], mats, theta, pots)):
            total[l] += r
    counts[...] = np.concatenate(total, axis=1)
    u[...] = np.concatenate(pots, axis=1)


def bpstdp_error(window, labels, xi):
    """Output error xi_i(t) (eq. 16) from the output window counts ``window`` (B, n_L).
    Twin of :func:`spikecore.kernels.bpstdp.bpstdp_error`."""
    target = np.zeros(window.shape, bool)
    target[np.arange(window.shape[0]), labels] = True
    fired = window > 0
    xi[...] = np.where(target & ~fired, 1.0, 0.0) + np.where(~target & fired, -1.0, 0.0)


def bpstdp_train(x, labels, teacher, w, sizes, theta, epsilon, mu, batch, counts, xi_sum):
    """Present ``x`` (T, S, n_0) in consecutive groups of ``batch`` samples and apply BP-STDP at
    the desired spike times; ``w`` updated in place, ``counts`` (S, N) and ``xi_sum`` (S,)
    filled. Twin of :func:`spikecore.kernels.bpstdp.bpstdp_train`."""
    S = x.shape[1]
    for g0 in range(0, S, batch):
        g = slice(g0, min(S, g0 + batch))
        counts[g], xi_sum[g] = _present(x[:, g], labels[g], teacher, w, sizes, theta, epsilon, mu)


def _present(x, labels, teacher, w, sizes, theta, epsilon, mu):
    """One group presented side by side from rest; returns its spike counts and xi sums."""
    T, B, _ = x.shape
    L = len(sizes) - 1
    mats = _layers(w, sizes)
    pots = [np.zeros((B, int(n)), np.float32) for n in sizes[1:]]
    history = [[] for _ in range(L + 1)]            # spikes of every layer, input first
    mu = np.float32(mu)
    xi = np.zeros((B, int(sizes[-1])), np.float32)
    xi_sum = np.zeros(B, np.int64)
    for t in range(T):
        history[0].append(x[t])
        for l, r in enumerate(_if_step(x[t], mats, theta, pots)):
            history[l + 1].append(r)
        if not teacher[t]:
            continue
        lo = max(0, t - epsilon)
        c = [np.sum(h[lo:t + 1], axis=0, dtype=np.int64).astype(np.int32) for h in history]
        bpstdp_error(c[L], labels, xi)
        xi_sum += xi.sum(axis=1).astype(np.int64)
        delta = [None] * (L + 1)
        delta[L] = xi.copy()
        for l in range(L - 1, 0, -1):
            delta[l] = ((c[l] > 0) * (delta[l + 1] @ mats[l])).astype(np.float32)
        for l in range(1, L + 1):
            mats[l - 1] += np.einsum("bi,bj->ij", mu * delta[l], c[l - 1].astype(np.float32))
    counts = np.concatenate([np.sum(h, axis=0, dtype=np.int64) for h in history[1:]], axis=1)
    return counts, xi_sum
