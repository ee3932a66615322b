r"""BP-STDP: multilayer integrate-and-fire networks trained by STDP / anti-STDP (Numba).

Tavanaei & Maida (2019), "BP-STDP: Approximating backpropagation using spike timing dependent
plasticity", Neurocomputing 330, 39-47. The plain-NumPy twins, written line by line from the
equations, are in ``spikecore.reference.bpstdp``; the estimator is
``spikecore.learning.BPSTDPClassifier``.

Network layout (shared by every kernel)
---------------------------------------
``sizes = (n_0, n_1, ..., n_L)`` (int64): ``n_0`` inputs, ``L`` layers of IF neurons, layer ``L``
the output. The weights of all layers are one flat float32 array ``w``: layer ``l`` (1-based)
is the row-major ``(n_l, n_{l-1})`` matrix :math:`W^{(l)}` (post x pre, ARCHITECTURE.md) at
offset :math:`\sum_{k<l} n_k n_{k-1}`. Per-neuron arrays (``counts``, ``u``) have one column
per non-input neuron, layer 1 first: ``N = n_1 + ... + n_L`` columns.

Neuron model (paper eq. 3, non-leaky IF, reset to :math:`U_{rest} = 0`), every layer, every step
``t = 0 .. T-1``, propagation within the same step (layer ``l`` sees layer ``l-1``'s spikes of
step ``t``)::

    U_h(t) = U_h(t-1) + sum_j w_hj s_j(t)
    if U_h(t) >= theta_l:  r_h(t) = 1,  U_h(t) = 0       (else r_h(t) = 0)

Learning (paper eqs. 15, 16, 20), applied at the desired (teacher) spike times ``t`` — the
steps with ``teacher[t] = 1`` — with ``c_k(t) = sum_{t'=t-eps}^{t} s_k(t')`` the spike count of
neuron ``k`` in the window ``[t-eps, t]`` (``eps + 1`` steps, clipped at ``t = 0``)::

    xi_i(t) = +1  if i is the sample's target and c_i(t) = 0       (should have fired, did not)
              -1  if i is not the target and c_i(t) > 0           (fired, should be silent)
               0  otherwise
    delta^(L)_i = xi_i(t)
    delta^(l)_h = [c_h(t) > 0] * sum_i delta^(l+1)_i w^(l+1)_ih     (hidden layers, l < L)
    Delta w^(l)_hj = mu * delta^(l)_h * c_j(t)                       (c_j: layer l-1, or input)

All ``delta`` use the weights *before* the step's update; then every layer is updated. Samples
are presented one group of ``batch`` after the other; within a group they run side by side and
the step's updates are summed over the group (``batch = 1`` is the paper's online rule exactly).

Floating point: potentials and weights are float32; the input current of a step is summed in
float32 over the presynaptic spikes in ascending index order, and ``Delta w`` is computed as
``float32(mu) * delta * float32(c)``. The twins use NumPy products, whose summation order may
differ: the two agree bit for bit whenever the sums are exact (the hypothesis tests use weights
on a dyadic grid for that reason) and to float32 rounding otherwise.

Threading: single-threaded on purpose. No BLAS call is involved (the propagation is
event-driven: only the inputs that spiked are summed), so there is no pool to fight over.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def _offsets(sizes):
    """Weight offsets (L+1,) and neuron offsets (L+1,) of the flat layout."""
    L = sizes.shape[0] - 1
    woff = np.zeros(L + 1, np.int64)
    noff = np.zeros(L + 1, np.int64)
    for l in range(L):
        woff[l + 1] = woff[l] + sizes[l + 1] * sizes[l]
        noff[l + 1] = noff[l] + sizes[l + 1]
    return woff, noff


@njit(cache=True, inline="always")
def _if_step(xb, b, t, x, w, sizes, theta, woff, noff, u, s, active):
    """One step of every IF layer for sample ``xb`` of ``x`` held in state row ``b``: updates
    ``u[b, :]`` and writes the spikes ``s[b, :]`` (uint8)."""
    L = sizes.shape[0] - 1
    for l in range(L):
        n_pre = sizes[l]
        n_post = sizes[l + 1]
        # indices of the presynaptic neurons that spiked at t
        k = 0
        if l == 0:
            for j in range(n_pre):
                if x[t, xb, j] != 0:
                    active[k] = j
                    k += 1
        else:
            base = noff[l - 1]
            for j in range(n_pre):
                if s[b, base + j] != 0:
                    active[k] = j
                    k += 1
        th = theta[l]
        for i in range(n_post):
            row = woff[l] + i * n_pre
            acc = np.float32(0.0)
            for a in range(k):
                acc += w[row + active[a]]
            col = noff[l] + i
            v = u[b, col] + acc
            if v >= th:
                s[b, col] = 1
                u[b, col] = 0.0
            else:
                s[b, col] = 0
                u[b, col] = v


@njit(cache=True)
def bpstdp_forward(x, w, sizes, theta, counts, u):
    r"""Run a multilayer IF network over an input raster without learning (paper eq. 3).

    .. math::
        U_h(t) = U_h(t-1) + \sum_j w_{hj} s_j(t); \quad
        U_h(t) \ge \theta_l \Rightarrow r_h(t) = 1,\ U_h(t) = 0

    Tavanaei & Maida (2019), eq. 3: :math:`U` membrane potential, :math:`w_{hj}` weight from
    presynaptic neuron ``j`` to ``h``, :math:`s_j(t) \in \{0, 1\}` presynaptic spike,
    :math:`\theta_l` threshold of layer ``l``, :math:`r_h(t)` output spike.

    Parameters
    ----------
    x : uint8 (T, B, n_0)
        Input spikes (0/1).
    w : float32 (sum_l n_l n_{l-1},)
        Flat weights (module docstring).
    sizes : int64 (L+1,)
        Layer widths ``n_0 .. n_L``.
    theta : float32 (L,)
        Threshold of each layer.
    counts : int32 (B, N)
        Output: spike count of every non-input neuron over the ``T`` steps.
    u : float32 (B, N)
        Membrane potentials, updated in place (pass zeros to start at rest).
    """
    T, B, _ = x.shape
    woff, noff = _offsets(sizes)
    N = noff[-1]
    n_max = 0
    for l in range(sizes.shape[0]):
        n_max = max(n_max, sizes[l])
    active = np.empty(n_max, np.int64)
    s = np.zeros((B, N), np.uint8)
    counts[:, :] = 0
    for t in range(T):
        for b in range(B):
            _if_step(b, b, t, x, w, sizes, theta, woff, noff, u, s, active)
            for c in range(N):
                counts[b, c] += s[b, c]


@njit(cache=True)
def bpstdp_error(window, labels, xi):
    r"""Output error :math:`\xi_i(t)` of BP-STDP at a desired spike time (paper eq. 16).

    .. math::
        \xi_i(t) = \begin{cases} 1 & z_i(t) = 1,\ r_i \ne 1 \text{ in } [t-\epsilon, t] \\
                   -1 & z_i(t) = 0,\ r_i = 1 \text{ in } [t-\epsilon, t] \\
                   0 & \text{otherwise} \end{cases}

    Tavanaei & Maida (2019), eq. 16: :math:`z_i` teacher spike train (the target neuron fires
    at the maximum rate :math:`\beta`, the others are silent), :math:`r_i` output spikes,
    :math:`\epsilon` the STDP window.

    Parameters
    ----------
    window : int32 (B, n_L)
        Output spike counts in the window :math:`[t-\epsilon, t]`.
    labels : int64 (B,)
        Target neuron of each sample.
    xi : float32 (B, n_L)
        Output: :math:`\xi_i(t)`.
    """
    B, M = window.shape
    for b in range(B):
        for i in range(M):
            if i == labels[b]:
                xi[b, i] = 1.0 if window[b, i] == 0 else 0.0
            else:
                xi[b, i] = -1.0 if window[b, i] > 0 else 0.0




@njit(cache=True)
def bpstdp_train(x, labels, teacher, w, sizes, theta, epsilon, mu, batch, counts, xi_sum):
    r"""Present input rasters and apply BP-STDP at every desired spike time.

    .. math::
        \Delta w_{ih}(t) = \mu\, \xi_i(t) \sum_{t'=t-\epsilon}^{t} s_h(t'), \qquad
        \Delta w_{hj}(t) = \begin{cases} \mu \sum_i \xi_i(t) w_{ih}(t)
        \sum_{t'=t-\epsilon}^{t} s_j(t') & s_h = 1 \text{ in } [t-\epsilon, t] \\
        0 & \text{otherwise} \end{cases}

    Tavanaei & Maida (2019), eqs. 15-17 (output layer) and 20-21 (hidden layer), applied to every
    hidden layer recursively (module docstring): :math:`\mu` learning rate, :math:`\xi_i(t)`
    output error (:func:`bpstdp_error`), :math:`s` presynaptic spikes, :math:`\epsilon` the
    window in steps. The ``S`` samples are presented in consecutive groups of ``batch``: one
    group after the other (the weights carry over), the samples of a group side by side with
    their updates summed at each step (``batch = 1``: the paper's online rule). Every
    presentation starts at rest (:math:`U = 0`, empty windows); the network runs as in
    :func:`bpstdp_forward`.

    Parameters
    ----------
    x : uint8 (T, S, n_0)
        Input spikes of ``S`` samples.
    labels : int64 (S,)
        Target output neuron of each sample, in ``[0, n_L)``.
    teacher : uint8 (T,)
        1 at the desired spike times :math:`z(t)` of the target neuron (the update times).
    w : float32 (sum_l n_l n_{l-1},)
        Flat weights, updated in place.
    sizes : int64 (L+1,)
        Layer widths.
    theta : float32 (L,)
        Thresholds.
    epsilon : int
        Window :math:`\epsilon` in steps (>= 0); the window holds ``epsilon + 1`` steps.
    mu : float
        Learning rate :math:`\mu`.
    batch : int
        Samples presented side by side (>= 1).
    counts : int32 (S, N)
        Output: spike count of every non-input neuron.
    xi_sum : int64 (S,)
        Output: :math:`\sum_t \sum_i \xi_i(t)` of each sample (for the paper's MSE, eq. 22).
    """
    T, S, n0 = x.shape
    L = sizes.shape[0] - 1
    woff, noff = _offsets(sizes)
    N = noff[-1]
    M = sizes[L]
    out0 = noff[L - 1]
    n_max = 0
    for l in range(L + 1):
        n_max = max(n_max, sizes[l])
    mu32 = np.float32(mu)
    B = min(batch, S)
    # state and scratch, allocated once
    active = np.empty(n_max, np.int64)
    u = np.zeros((B, N), np.float32)
    s = np.zeros((B, N), np.uint8)
    hist = np.zeros((epsilon + 1, B, N), np.uint8)    # ring buffer of the last eps+1 steps
    win_in = np.zeros((B, n0), np.int32)               # c_j(t) of the inputs
    win = np.zeros((B, N), np.int32)                    # c_h(t) of every IF neuron
    win_out = np.zeros((B, M), np.int32)
    lab = np.zeros(B, np.int64)
    xi = np.zeros((B, M), np.float32)
    delta = np.zeros((B, N), np.float32)
    counts[:, :] = 0
    xi_sum[:] = 0
    for g0 in range(0, S, B):
        nb = min(B, S - g0)
        u[:, :] = 0.0
        s[:, :] = 0
        hist[:, :, :] = 0
        win_in[:, :] = 0
        win[:, :] = 0
        for b in range(nb):
            lab[b] = labels[g0 + b]
        for t in range(T):
            slot = t % (epsilon + 1)
            for b in range(nb):
                xb = g0 + b
                _if_step(xb, b, t, x, w, sizes, theta, woff, noff, u, s, active)
                # slide the windows: add step t, drop step t - eps - 1
                for j in range(n0):
                    win_in[b, j] += x[t, xb, j]
                    if t >= epsilon + 1:
                        win_in[b, j] -= x[t - epsilon - 1, xb, j]
                for c in range(N):
                    win[b, c] += np.int32(s[b, c]) - np.int32(hist[slot, b, c])
                    hist[slot, b, c] = s[b, c]
                    counts[xb, c] += s[b, c]
            if teacher[t] == 0:
                continue
            # output error xi (eq. 16)
            for b in range(nb):
                for i in range(M):
                    win_out[b, i] = win[b, out0 + i]
            bpstdp_error(win_out[:nb], lab[:nb], xi[:nb])
            for b in range(nb):
                for i in range(M):
                    delta[b, out0 + i] = xi[b, i]
                    xi_sum[g0 + b] += np.int64(xi[b, i])
            # hidden deltas, top down, with the weights before this step's update (eq. 20)
            for l in range(L - 1, 0, -1):          # layer l (1-based) receives from layer l+1
                n_h = sizes[l]
                n_up = sizes[l + 1]
                h0 = noff[l - 1]
                up0 = noff[l]
                for b in range(nb):
                    for h in range(n_h):
                        delta[b, h0 + h] = 0.0
                    for i in range(n_up):
                        d = delta[b, up0 + i]
                        if d == 0.0:
                            continue
                        row = woff[l] + i * n_h
                        for h in range(n_h):
                            if win[b, h0 + h] > 0:
                                delta[b, h0 + h] += d * w[row + h]
            # weight updates (eqs. 15, 17, 20, 21)
            for l in range(L):
                n_pre = sizes[l]
                n_post = sizes[l + 1]
                for b in range(nb):
                    k = 0
                    if l == 0:
                        for j in range(n_pre):
                            if win_in[b, j] > 0:
                                active[k] = j
                                k += 1
                    else:
                        for j in range(n_pre):
                            if win[b, noff[l - 1] + j] > 0:
                                active[k] = j
                                k += 1
                    if k == 0:
                        continue
                    for i in range(n_post):
                        d = delta[b, noff[l] + i]
                        if d == 0.0:
                            continue
                        coef = mu32 * d
                        row = woff[l] + i * n_pre
                        if l == 0:
                            for a in range(k):
                                j = active[a]
                                w[row + j] += coef * np.float32(win_in[b, j])
                        else:
                            base = noff[l - 1]
                            for a in range(k):
                                j = active[a]
                                w[row + j] += coef * np.float32(win[b, base + j])
