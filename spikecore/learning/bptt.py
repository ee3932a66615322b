r"""Surrogate-gradient backpropagation through time for LIF networks, by hand.

STBP (Wu et al. 2018) unrolls a spiking network over ``T`` time steps and backpropagates through
the unrolled graph, replacing the zero-almost-everywhere derivative of the spike function by a
surrogate (Zenke & Ganguli 2018; Shrestha & Orchard 2018; Neftci, Mostafa & Zenke 2019). No
autograd: every layer's backward pass is written out below and in ``spikecore.kernels.bptt``.

Layers (applied in sequence; ``x`` is the layer input, ``T`` steps, batch ``B``):

``DenseLIF`` — ``I[t] = W x[t] + b``; LIF dynamics with soft or hard reset::

    soft:  u[t] = beta u[t-1] + I[t] - theta s[t-1]
    hard:  u[t] = beta u[t-1] (1 - s[t-1]) + I[t]
    s[t] = H(u[t] - theta)

  Backward, with ``e[t] = dL/ds[t]`` from above and ``g[t] = sigma'(u[t] - theta)``::

    soft:  dL/ds[t] = e[t] - theta delta[t+1];      delta[t] = dL/ds[t] g[t] + beta delta[t+1]
    hard:  dL/ds[t] = e[t] - beta u[t] delta[t+1];  delta[t] = dL/ds[t] g[t] + beta (1 - s[t]) delta[t+1]
    (delta[T] = 0; the reset term of dL/ds[t] is dropped with ``detach_reset``)
    dL/dW = sum_t delta[t]^T x[t]     dL/db = sum_t,b delta[t]     dL/dx[t] = delta[t] W
    dL/dtheta = sum_t,b (-dL/ds[t] g[t] - [soft] s[t] delta[t+1])
    dL/dbeta  = sum_t,b delta[t] u[t-1] [hard: (1 - s[t-1])]

  ``beta`` and ``theta`` are per-neuron vectors, trainable as an option (DIET-SNN, Rathi & Roy
  2021; after each step ``beta`` is clipped to ``[0, 1]`` and ``theta`` to ``>= 1e-3``).

``LeakyReadout`` — non-spiking leaky integrator ``v[t] = beta_o v[t-1] + W s[t] + b``, output
``z = (1/T) sum_t v[t]`` (time-averaged membrane; logits of a cross-entropy loss). Because ``v``
is linear in its input, ``z = W (sum_k c_k s[k]) + b sum_k c_k`` with
``c_k = (1/T) sum_{j=0}^{T-1-k} beta_o^j``: one GEMM on the time-weighted spike sum instead of
``T``. Backward: ``dL/dW = dz^T S_c``, ``dL/db = sum_b dz * sum_k c_k``,
``dL/ds[k] = c_k dz W`` with ``S_c = sum_k c_k s[k]``.

``SpikeCount`` — ``z = sum_t s[t]`` of the last spiking layer (count logits, or the input of
:func:`spikecore.learning.losses.mse_count`); backward ``dL/ds[t] = dL/dz`` for every ``t``.

Input and threading. A static input (2-D ``(B, n_in)``, the same current every step, which is
how the estimators inject standardised features) has its projection ``W x`` computed once and
``dL/dW = (sum_t delta[t])^T x``. A time-varying input ``(T, B, n_in)`` is projected by one
GEMM with time folded into the batch, ``(T B, n_in) @ W^T``; so are ``dL/dW`` and ``dL/dx``. The
GEMMs run on NumPy's BLAS threads and the recurrences on single-threaded Numba kernels: one
parallel layer per hot path (a Numba-parallel kernel right after an OpenBLAS GEMM ran up to 10x
slower on 2 cores; see ``benchmarks/training.py``).

Fused last hidden layer. A ``DenseLIF`` directly followed by a ``LeakyReadout`` is run as one unit
by :class:`SpikingNetwork`: the readout only needs ``S_c = sum_t c_t s[t]``, so the kernels
``lif_forward_sum``/``lif_backward_sum`` accumulate ``S_c`` on the fly, take
``dL/ds[t] = c_t dL/dS_c`` without materialising it, and never store that layer's spikes
(they are recomputed from ``u`` where the hard reset needs them). Same equations, less memory
traffic.

Memory. Backpropagation through time stores, per LIF layer of width ``n``, the membrane and
spikes of every step, plus the gradient buffer in the backward pass: ``3 T B n`` floats (4 bytes
in float32; ``2 T B n`` for the fused last hidden layer), i.e. ``O(T B n)``. For 784-500-10 at
``T = 25``, ``B = 128``: 13 MB; for the digits conv net (16 channels of 8x8, ``B = 64``) 20 MB.
When that does not fit, truncated BPTT (``SpikingNetwork(truncation=K)``, Williams & Peng 1990)
holds one window of ``K`` steps at a time: ``3 K B n`` floats, ``O(K B n)``, for one extra
forward pass; no gradient crosses a window boundary (equations in :class:`SpikingNetwork`).

``RecurrentLIF`` — ``I[t] = W x[t] + b + V s[t-1]`` (dense recurrent weights ``V``), otherwise a
``DenseLIF``; its backward adds ``V^T delta[t+1]`` to ``dL/ds[t]`` and
``dL/dV = sum_t delta[t+1]^T s[t]`` (full derivation in the class docstring).

Weights are initialised as PyTorch's ``nn.Linear``: ``W, b ~ U(-1/sqrt(n_in), 1/sqrt(n_in))``
(He et al. 2015 with ``a = sqrt(5)``), so a like-for-like snnTorch network starts from the
same distribution.
"""
import numpy as np

from spikecore import _validate
from spikecore.kernels.bptt import (
    lif_backward, lif_backward_sum, lif_forward, lif_forward_sum, rlif_backward, rlif_forward,
)
from spikecore.reference.bptt import _surrogate_primitive
from spikecore.learning.surrogates import surrogate_alpha, surrogate_code

_RESETS = ("soft", "hard")
def _uniform_init(rng, n_in, n_out, dtype):
    bound = 1.0 / np.sqrt(n_in)
    W = rng.uniform(-bound, bound, size=(n_out, n_in)).astype(dtype)
    b = rng.uniform(-bound, bound, size=n_out).astype(dtype)
    return W, b


def lif_parameter_grads(grad_u, u, s, beta, theta, hard_reset):
    """Gradients of the loss with respect to the per-neuron leak and threshold of a LIF layer.

    From ``delta[t] = dL/du[t]`` (the backward kernel's output) and the saved ``u``, ``s``, using
    ``dL/ds[t] g[t] = delta[t] - decay[t] delta[t+1]`` (``decay = beta`` soft, ``beta (1 - s[t])``
    hard; ``delta[T] = 0``)::

        dL/dtheta = sum_t,b ( -(delta[t] - decay[t] delta[t+1]) - [soft] s[t] delta[t+1] )
        dL/dbeta  = sum_t,b delta[t] u[t-1] [hard: (1 - s[t-1])]

    (DIET-SNN, Rathi & Roy 2021, trains these; equations from Wu et al. 2018's recursion.)

    Parameters
    ----------
    grad_u, u, s : ndarray (T, batch, n)
        ``delta``, membrane, spikes.
    beta, theta : ndarray (n,)
        Leak factors and thresholds.
    hard_reset : bool
        Reset mode.

    Returns
    -------
    grad_beta, grad_theta : ndarray (n,)
    """
    delta_next = np.zeros_like(grad_u)
    delta_next[:-1] = grad_u[1:]
    keep = (1.0 - s) if hard_reset else 1.0
    ds_g = grad_u - beta * keep * delta_next
    grad_theta = -ds_g.sum(axis=(0, 1))
    if not hard_reset:
        grad_theta -= (s * delta_next).sum(axis=(0, 1))
    prev = u[:-1] * keep[:-1] if hard_reset else u[:-1]
    grad_beta = (grad_u[1:] * prev).sum(axis=(0, 1))
    return grad_beta.astype(grad_u.dtype), grad_theta.astype(grad_u.dtype)


class LIFNeurons:
    """The LIF part shared by every spiking layer: per-neuron leak and threshold, the forward and
    backward time loops (``spikecore.kernels.bptt``), and the DIET-SNN parameter gradients.

    A layer computes its input current ``I`` ``(T, B, n)`` (its synapses), calls :meth:`_spike`
    to get ``s``, and in the backward pass calls :meth:`_delta` to get ``delta = dL/dI``.
    Equations in the module docstring (Wu et al. 2018; Rathi & Roy 2021 for trained leak and
    threshold). Parameters are those of :class:`DenseLIF`; ``n`` is the number of neurons.
    """

    initial_state = None   # class default, so networks saved by earlier versions load too

    def __init__(self, n, *, beta=0.9, threshold=1.0, reset="soft", detach_reset=True,
                 surrogate="fast_sigmoid", surrogate_scale=None, train_beta=False,
                 train_threshold=False, dtype=np.float32):
        beta = _validate.real("beta", beta, low=0.0, high=1.0)
        threshold = _validate.positive("threshold", threshold)
        self.hard_reset = _validate.choice("reset", reset, _RESETS) == "hard"
        self.detach_reset = bool(detach_reset)
        self.surrogate = surrogate_code(surrogate)
        self.alpha = surrogate_alpha(surrogate, surrogate_scale)
        self.train_beta = bool(train_beta)
        self.train_threshold = bool(train_threshold)
        self.dtype = np.dtype(dtype)
        self.beta = np.full(n, beta, dtype=self.dtype)
        self.threshold = np.full(n, threshold, dtype=self.dtype)
        self._state = None
        self.initial_state = None   # (u0, s0) carried into a truncated-BPTT window, else None

    def _neuron_params(self):
        return ([self.beta] if self.train_beta else []) + ([self.threshold] if self.train_threshold else [])

    def constrain(self):
        """Clip trained leaks to ``[0, 1]`` and thresholds to ``>= 1e-3`` (after an optimiser step)."""
        np.clip(self.beta, 0.0, 1.0, out=self.beta)
        np.maximum(self.threshold, 1e-3, out=self.threshold)

    def _run(self, current, smooth, u, s):
        """Forward time loop (kernel) writing ``u`` and ``s``."""
        lif_forward(current, self.beta, self.threshold, self.hard_reset, bool(smooth),
                    self.surrogate, self.alpha, u, s)

    def _run_backward(self, grad_s, u, s, grad_u):
        """Backward time loop (kernel) writing ``grad_u = delta``."""
        lif_backward(grad_s, u, s, self.beta, self.threshold, self.hard_reset,
                     self.detach_reset, self.surrogate, self.alpha, grad_u)

    def _start(self, current):
        """Fold a carried state into the first step's current (truncated BPTT windows).

        With ``initial_state = (u0, s0)`` (the state before step 0, held constant), the first
        update ``u[0] = beta u0 + I[0] - theta s0`` (soft) or ``beta u0 (1 - s0) + I[0]`` (hard)
        equals the kernel's ``u[0] = I'[0]`` with ``I'[0]`` that sum; returns a writable copy of
        ``current`` with it, or ``current`` itself when there is no carried state.
        """
        if self.initial_state is None:
            return current
        u0, s0 = self.initial_state
        cur = np.array(current, dtype=self.dtype)
        if self.hard_reset:
            cur[0] = self.beta * u0 * (1.0 - s0) + cur[0]
        else:
            cur[0] = self.beta * u0 + cur[0] - self.threshold * s0
        return cur

    def _spike(self, current, smooth):
        """Run the neurons on ``current`` ``(T, B, n)``; keep ``u``, ``s``; return ``s``."""
        current = self._start(current)
        u = np.empty(current.shape, dtype=self.dtype)
        s = np.empty(current.shape, dtype=self.dtype)
        self._run(current, smooth, u, s)
        self._state = (u, s, self.initial_state)
        return s

    def _neuron_grads(self, grad_u, u, s, init):
        """DIET-SNN gradients of the trained leaks/thresholds (empty list when none is trained).

        In a truncated-BPTT window the constant carried state ``(u0, s0)`` enters step 0 through
        ``beta`` and ``theta`` too: ``dL/dbeta += sum_b delta[0] u0 [hard: (1 - s0)]`` and, soft
        reset, ``dL/dtheta -= sum_b delta[0] s0``.
        """
        if not (self.train_beta or self.train_threshold):
            return []
        g_beta, g_theta = lif_parameter_grads(grad_u, u, s, self.beta, self.threshold, self.hard_reset)
        if init is not None:
            u0, s0 = init
            g_beta += (grad_u[0] * (u0 * (1.0 - s0) if self.hard_reset else u0)).sum(axis=0)
            if not self.hard_reset:
                g_theta -= (grad_u[0] * s0).sum(axis=0)
        return ([g_beta] if self.train_beta else []) + ([g_theta] if self.train_threshold else [])

    def _delta(self, grad_s):
        """``delta = dL/dI`` ``(T, B, n)`` from ``dL/ds``; return it and the neuron-parameter grads."""
        u, s, init = self._state
        grad_u = np.empty_like(u)
        self._run_backward(grad_s.astype(self.dtype, copy=False), u, s, grad_u)
        extra = self._neuron_grads(grad_u, u, s, init)
        self._state = None
        return grad_u, extra

    def _spike_sum(self, current, smooth, w):
        """Like :meth:`_spike` but return only ``z = sum_t w[t] s[t]`` ``(B, n)`` (spikes not kept)."""
        current = self._start(current)
        u = np.empty(current.shape, dtype=self.dtype)
        z = np.empty(current.shape[1:], dtype=self.dtype)
        w = w.astype(self.dtype)
        lif_forward_sum(current, self.beta, self.threshold, self.hard_reset, bool(smooth),
                        self.surrogate, self.alpha, w, u, z)
        self._state = (u, w, bool(smooth), self.initial_state)
        return z

    def _spikes_from(self, u, smooth):
        """``s = H(u - theta)``, or the surrogate antiderivative when ``smooth`` (recomputation)."""
        if smooth:
            return _surrogate_primitive(u - self.threshold, self.surrogate, self.alpha).astype(self.dtype)
        return (u >= self.threshold).astype(self.dtype)

    def _delta_sum(self, grad_z):
        """``delta = dL/dI`` ``(T, B, n)`` from ``dL/dz`` of :meth:`_spike_sum`, and neuron-parameter grads."""
        u, w, smooth, init = self._state
        grad_u = np.empty_like(u)
        lif_backward_sum(np.ascontiguousarray(grad_z, dtype=self.dtype), w, u, self.beta,
                         self.threshold, self.hard_reset, self.detach_reset, smooth,
                         self.surrogate, self.alpha, grad_u)
        extra = []
        if self.train_beta or self.train_threshold:
            extra = self._neuron_grads(grad_u, u, self._spikes_from(u, smooth), init)
        self._state = None
        return grad_u, extra

    def last_state(self):
        """``(u[T-1], s[T-1])`` of the last forward pass (copies), the state a truncated-BPTT
        window hands to the next one."""
        if len(self._state) == 3:
            u, s, _ = self._state
            return u[-1].copy(), s[-1].copy()
        u, _, smooth, _ = self._state
        return u[-1].copy(), self._spikes_from(u[-1], smooth)


class DenseLIF(LIFNeurons):
    """Fully connected layer of leaky integrate-and-fire neurons, unrolled over time (STBP).

    ``I[t] = W x[t] + b``; ``u[t] = beta u[t-1] + I[t] - theta s[t-1]`` (soft reset) or
    ``beta u[t-1] (1 - s[t-1]) + I[t]`` (hard reset); ``s[t] = H(u[t] - theta)``, trained with
    the surrogate ``sigma'`` in place of ``H'`` (Wu et al. 2018; Zenke & Ganguli 2018). The
    backward equations are in the module docstring. ``beta = 1`` gives integrate-and-fire.

    Parameters
    ----------
    n_in, n_out : int
        Input width and number of neurons.
    beta : float
        Leak factor per step ``beta = exp(-dt/tau_mem)`` in ``[0, 1]``.
    threshold : float
        Firing threshold ``theta > 0`` (membrane is dimensionless).
    reset : {"soft", "hard"}
        Subtract ``theta`` after a spike, or reset to zero.
    detach_reset : bool
        Do not backpropagate through the reset term (snnTorch's default).
    surrogate : str
        Surrogate name (``spikecore.learning.surrogates``).
    surrogate_scale : float, optional
        Surrogate sharpness ``alpha``; default per surrogate.
    train_beta, train_threshold : bool
        Learn per-neuron ``beta``/``theta`` (DIET-SNN, Rathi & Roy 2021).
    random_state : None, int or numpy.random.Generator
        For the weight initialisation ``U(-1/sqrt(n_in), 1/sqrt(n_in))``.
    dtype : numpy dtype
        ``float32`` (default) or ``float64`` (gradient checks).
    """

    def __init__(self, n_in, n_out, *, beta=0.9, threshold=1.0, reset="soft", detach_reset=True,
                 surrogate="fast_sigmoid", surrogate_scale=None, train_beta=False,
                 train_threshold=False, random_state=None, dtype=np.float32):
        n_in = _validate.integer("n_in", n_in, low=1)
        n_out = _validate.integer("n_out", n_out, low=1)
        super().__init__(n_out, beta=beta, threshold=threshold, reset=reset,
                         detach_reset=detach_reset, surrogate=surrogate,
                         surrogate_scale=surrogate_scale, train_beta=train_beta,
                         train_threshold=train_threshold, dtype=dtype)
        self.weight, self.bias = _uniform_init(_validate.rng(random_state), n_in, n_out, self.dtype)
        self._x = None

    @property
    def params(self):
        """Trainable arrays, in the order of :attr:`grads`."""
        return [self.weight, self.bias] + self._neuron_params()

    def fan_out(self):
        """Synapses driven by each input element ``(n_in,)``: ``n_out`` each."""
        return np.full(self.weight.shape[1], float(self.weight.shape[0]))

    def _current(self, x, n_steps):
        # I[t] = W x[t] + b: once for a static input (broadcast over time), else one GEMM with
        # time folded into the batch
        if x.ndim == 2:
            current = x @ self.weight.T
            current += self.bias
            return np.broadcast_to(current, (n_steps,) + current.shape)
        T, B, n_in = x.shape
        current = (x.reshape(T * B, n_in) @ self.weight.T).reshape(T, B, -1)
        current += self.bias
        return current

    def forward(self, x, n_steps, smooth=False):
        """Spikes ``s`` ``(T, B, n_out)`` for input ``x``: ``(B, n_in)`` static or ``(T, B, n_in)``.

        ``smooth=True`` emits the surrogate's antiderivative instead of ``H`` (gradient check).
        The input, membrane and spikes are kept for :meth:`backward`.
        """
        self._x = x
        return self._spike(self._current(x, n_steps), smooth)

    def forward_sum(self, x, n_steps, w, smooth=False):
        """Only ``z = sum_t w[t] s[t]`` ``(B, n_out)`` (for a following :class:`LeakyReadout`)."""
        self._x = x
        return self._spike_sum(self._current(x, n_steps), smooth, w)

    def backward(self, grad_s, need_input_grad=True):
        """From ``dL/ds`` ``(T, B, n_out)``: store :attr:`grads`; return ``dL/dx`` (or ``None``)."""
        return self._synapse_backward(*self._delta(grad_s), need_input_grad)

    def backward_sum(self, grad_z, need_input_grad=True):
        """Backward of :meth:`forward_sum` from ``dL/dz`` ``(B, n_out)``."""
        return self._synapse_backward(*self._delta_sum(grad_z), need_input_grad)

    def _synapse_backward(self, grad_u, extra, need_input_grad):
        # dL/dW = sum_t delta[t]^T x[t], dL/db = sum delta, dL/dx[t] = delta[t] W
        x = self._x
        T, B, n = grad_u.shape
        if x.ndim == 2:
            g_sum = grad_u.sum(axis=0)
            g_w = g_sum.T @ x
            g_b = g_sum.sum(axis=0)
            g_x = g_sum @ self.weight if need_input_grad else None
        else:
            flat = grad_u.reshape(T * B, n)
            g_w = flat.T @ x.reshape(T * B, -1)
            g_b = flat.sum(axis=0)
            g_x = (flat @ self.weight).reshape(x.shape) if need_input_grad else None
        self.grads = [g_w, g_b] + extra
        self._x = None
        return g_x


class RecurrentLIF(DenseLIF):
    r"""Fully connected LIF layer with dense recurrent weights, unrolled over time (STBP).

    The input current of step ``t`` includes the layer's own spikes of step ``t - 1``
    (recurrent spiking network, Bellec et al. 2018; trained by BPTT as in Wu et al. 2018)::

        I[t] = W x[t] + b + V s[t-1]                     (s[-1] = 0)
        soft:  u[t] = beta u[t-1] + I[t] - theta s[t-1]
        hard:  u[t] = beta u[t-1] (1 - s[t-1]) + I[t]
        s[t] = H(u[t] - theta)

    ``V[i, j]`` is the weight from neuron ``j`` to neuron ``i`` (self-connections included).

    Backward (hand-derived; ``delta[t] = dL/du[t] = dL/dI[t]``, ``delta[T] = 0``,
    ``g[t] = sigma'(u[t] - theta)``, ``e[t] = dL/ds[t]`` from the layer above). The spike
    ``s[t]`` reaches ``u[t+1]`` through ``V`` as well as through the reset::

        soft:  dL/ds[t] = e[t] + V^T delta[t+1] - theta delta[t+1]
               delta[t] = dL/ds[t] g[t] + beta delta[t+1]
        hard:  dL/ds[t] = e[t] + V^T delta[t+1] - beta u[t] delta[t+1]
               delta[t] = dL/ds[t] g[t] + beta (1 - s[t]) delta[t+1]
        (the reset term, the last one of dL/ds[t], is dropped with ``detach_reset``)
        dL/dV = sum_{t>=1} delta[t]^T s[t-1]
        dL/dW = sum_t delta[t]^T x[t]    dL/db = sum_t,b delta[t]    dL/dx[t] = delta[t] W

    and ``dL/dbeta``, ``dL/dtheta`` as in :class:`DenseLIF` (the identity
    ``dL/ds[t] g[t] = delta[t] - decay[t] delta[t+1]`` holds unchanged). The time loops are the
    kernels ``rlif_forward``/``rlif_backward`` (``spikecore.kernels.bptt``); the recurrent product
    costs ``O(T B n^2)`` per pass, done event-driven in the forward pass.

    Parameters
    ----------
    n_in, n_out, beta, threshold, reset, detach_reset, surrogate, surrogate_scale, train_beta, train_threshold, dtype
        As in :class:`DenseLIF`.
    random_state : None, int or numpy.random.Generator
        Initialises ``W``, ``b`` as :class:`DenseLIF` and ``V ~ U(-1/sqrt(n_out), 1/sqrt(n_out))``
        (PyTorch's ``nn.RNN`` default for the hidden-to-hidden weights).
    """

    def __init__(self, n_in, n_out, *, beta=0.9, threshold=1.0, reset="soft", detach_reset=True,
                 surrogate="fast_sigmoid", surrogate_scale=None, train_beta=False,
                 train_threshold=False, random_state=None, dtype=np.float32):
        rng = _validate.rng(random_state)
        super().__init__(n_in, n_out, beta=beta, threshold=threshold, reset=reset,
                         detach_reset=detach_reset, surrogate=surrogate,
                         surrogate_scale=surrogate_scale, train_beta=train_beta,
                         train_threshold=train_threshold, random_state=rng, dtype=dtype)
        bound = 1.0 / np.sqrt(self.weight.shape[0])
        self.weight_rec = rng.uniform(-bound, bound, size=(n_out, n_out)).astype(self.dtype)
        self._w = None

    @property
    def params(self):
        """Trainable arrays ``[W, b, V, (beta), (theta)]``, in the order of :attr:`grads`."""
        return [self.weight, self.bias, self.weight_rec] + self._neuron_params()

    def _run(self, current, smooth, u, s):
        rlif_forward(current, self.weight_rec, self.beta, self.threshold, self.hard_reset,
                     bool(smooth), self.surrogate, self.alpha, u, s)

    def _run_backward(self, grad_s, u, s, grad_u):
        rlif_backward(grad_s, u, s, self.weight_rec, self.beta, self.threshold,
                      self.hard_reset, self.detach_reset, self.surrogate, self.alpha, grad_u)

    def _start(self, current):
        # a carried state also enters step 0 through V: I'[0] += V s0
        cur = super()._start(current)
        if self.initial_state is not None:
            cur[0] += self.initial_state[1] @ self.weight_rec.T
        return cur

    def _delta(self, grad_s):
        u, s, init = self._state
        grad_u, extra = super()._delta(grad_s)
        n = grad_u.shape[-1]
        g_rec = grad_u[1:].reshape(-1, n).T @ s[:-1].reshape(-1, n)
        if init is not None:          # window of truncated BPTT: V s0 entered step 0
            g_rec += grad_u[0].T @ init[1]
        return grad_u, [g_rec] + extra

    def forward_sum(self, x, n_steps, w, smooth=False):
        """``z = sum_t w[t] s[t]``, from the full spikes (no fused kernel for the recurrent layer)."""
        self._w = w
        return np.tensordot(w.astype(self.dtype), self.forward(x, n_steps, smooth), axes=(0, 0))

    def backward_sum(self, grad_z, need_input_grad=True):
        """Backward of :meth:`forward_sum`: ``dL/ds[t] = w[t] dL/dz``."""
        w, self._w = self._w.astype(self.dtype), None
        return self.backward(w[:, None, None] * grad_z.astype(self.dtype)[None], need_input_grad)


class LeakyReadout:
    """Non-spiking leaky-integrator output layer; output is the time-averaged membrane.

    ``v[t] = beta_o v[t-1] + W s[t] + b``, ``v[-1] = 0``, ``z = (1/T) sum_t v[t]``, computed as
    ``z = W S_c + b sum_k c_k`` with ``S_c = sum_k c_k s[k]`` and
    ``c_k = (1/T) sum_{j=0}^{T-1-k} beta_o^j`` (exact, since ``v`` is linear). Used as logits of
    the cross-entropy (Zenke & Vogels 2021 use the membrane of such a readout). Backward:
    ``dL/dW = dz^T S_c``, ``dL/db = sum_b dz sum_k c_k``, ``dL/ds[k] = c_k dz W``.

    Parameters
    ----------
    n_in, n_out : int
        Input width and number of outputs (classes).
    beta : float
        Leak factor ``beta_o`` in ``[0, 1]`` (not trained).
    random_state, dtype
        As in :class:`DenseLIF`.
    """

    time_window = None   # class default, so networks saved by earlier versions load too

    def __init__(self, n_in, n_out, *, beta=0.9, random_state=None, dtype=np.float32):
        n_in = _validate.integer("n_in", n_in, low=1)
        n_out = _validate.integer("n_out", n_out, low=1)
        self.beta = _validate.real("beta", beta, low=0.0, high=1.0)
        self.dtype = np.dtype(dtype)
        self.weight, self.bias = _uniform_init(_validate.rng(random_state), n_in, n_out, self.dtype)
        self._cache = None
        self.time_window = None   # (t0, t1, T) while a truncated-BPTT window runs, else None

    @property
    def params(self):
        """Trainable arrays, in the order of :attr:`grads`."""
        return [self.weight, self.bias]

    def constrain(self):
        """Nothing to constrain (present so all layers share one interface)."""

    def fan_out(self):
        """Synapses driven by each input element ``(n_in,)``: ``n_out`` each."""
        return np.full(self.weight.shape[1], float(self.weight.shape[0]))

    def time_weights(self, n_steps):
        """``c_k = (1/T) sum_{j=0}^{T-1-k} beta_o^j`` for ``k = 0 .. T-1``."""
        powers = self.beta ** np.arange(n_steps, dtype=np.float64)
        return (np.cumsum(powers)[::-1] / n_steps).astype(self.dtype)

    def step_weights(self, n_steps):
        """The ``c_k`` of the steps the input covers: all ``n_steps`` of them, or, while
        :attr:`time_window` ``= (t0, t1, T)`` is set, ``c_{t0} .. c_{t1-1}`` of a ``T``-step run."""
        if self.time_window is None:
            return self.time_weights(n_steps)
        t0, t1, T = self.time_window
        return self.time_weights(T)[t0:t1]

    def forward(self, x, n_steps, smooth=False):
        """Output ``z`` ``(B, n_out)`` for spikes ``x`` ``(T, B, n_in)`` (or static ``(B, n_in)``)."""
        c = self.step_weights(n_steps)
        if x.ndim == 2:
            x_c = x * c.sum()
        else:
            T, B, n_in = x.shape
            x_c = (c @ x.reshape(T, B * n_in)).reshape(B, n_in)
        z = x_c @ self.weight.T
        z += self.bias * c.sum()
        self._cache = (x.shape, x_c, c)
        return z

    def forward_sum(self, x_c, n_steps):
        """Output from the already time-weighted input ``S_c = sum_k c_k s[k]`` ``(B, n_in)``."""
        c = self.step_weights(n_steps)
        z = x_c @ self.weight.T
        z += self.bias * c.sum()
        self._cache = (None, x_c, c)
        return z

    def backward_sum(self, grad_z):
        """Store :attr:`grads`; return ``dL/dS_c = dz W`` ``(B, n_in)`` (backward of :meth:`forward_sum`)."""
        _, x_c, c = self._cache
        grad_z = grad_z.astype(self.dtype, copy=False)
        self.grads = [grad_z.T @ x_c, grad_z.sum(axis=0) * c.sum()]
        self._cache = None
        return grad_z @ self.weight

    def backward(self, grad_z, need_input_grad=True):
        """From ``dL/dz`` ``(B, n_out)``: store :attr:`grads`; return ``dL/dx`` (or ``None``)."""
        shape, x_c, c = self._cache
        grad_z = grad_z.astype(self.dtype, copy=False)
        self.grads = [grad_z.T @ x_c, grad_z.sum(axis=0) * c.sum()]
        self._cache = None
        if not need_input_grad:
            return None
        g = grad_z @ self.weight
        if len(shape) == 2:
            return g * c.sum()
        return c[:, None, None] * g[None]


class SpikeCount:
    """Spike count of the layer below, ``z = sum_t s[t]``; backward ``dL/ds[t] = dL/dz`` (all t).

    The count output of snnTorch's ``ce_count_loss``/``mse_count_loss`` (Eshraghian et al. 2023).
    """

    params = []

    def constrain(self):
        """Nothing to constrain."""

    def forward(self, x, n_steps, smooth=False):
        """Return ``sum_t x[t]`` of ``x`` ``(T, B, n)``."""
        self._shape = x.shape
        self.grads = []
        return x.sum(axis=0)

    def backward(self, grad_z, need_input_grad=True):
        """Return ``dL/ds[t] = dL/dz`` broadcast over ``T`` steps."""
        return np.broadcast_to(grad_z, self._shape)


class SpikingNetwork:
    """A stack of layers trained by backpropagation through time (STBP, Wu et al. 2018).

    ``z = f_L(... f_1(x))``: each layer maps the previous one's output over ``T`` steps;
    :meth:`backward` applies the layers' backward passes in reverse (chain rule).

    Truncated BPTT (``truncation = K``; Williams & Peng 1990). Full BPTT keeps every step of
    every LIF layer: memory ``O(T B n)`` per layer of width ``n`` (``3 T B n`` floats). With
    ``K < T`` the ``T`` steps are cut into windows ``[0, K), [K, 2K), ...`` and only one window
    is ever held: memory ``O(K B n)`` (``3 K B n`` floats, plus ``2 B n`` for the carried state).
    The losses here depend on the whole run (``z`` sums over all steps), so :meth:`forward` runs
    the windows once without keeping them to get ``z``; :meth:`backward` then re-runs each window
    from the state the previous one ended in, backpropagates ``dL/dz`` through it with
    ``delta = 0`` at its end, and adds up the windows' parameter gradients. The state carried
    into a window (``u``, ``s`` of every LIF layer) is a constant of that window ("detached"),
    so no gradient crosses a window boundary::

        dL/dp  ~  sum_w  dL/dp_w     (p_w: the copy of p used in window w, carried state fixed)

    Cost: one extra forward pass. With ``K >= T`` there is one window and the gradient is full
    BPTT's, bit for bit. The readout (:class:`LeakyReadout`, :class:`SpikeCount`) has no state
    to truncate: it is a fixed weighting of every step's spikes, and its gradient stays exact.
    The input is not windowed: a time-varying input ``(T, B, n_in)`` is held whole.

    Parameters
    ----------
    layers : list
        Layer objects (:class:`DenseLIF`, :class:`RecurrentLIF`, :class:`LeakyReadout`,
        :class:`SpikeCount`, and the convolutional layers of :mod:`spikecore.learning.conv`) with
        ``forward(x, n_steps, smooth)``, ``backward(grad, need_input_grad)``, ``params``,
        ``grads`` and ``constrain()``.
    n_steps : int
        Number of time steps ``T``.
    truncation : int or None
        Window length ``K >= 1`` of truncated BPTT; ``None``: full BPTT.
    """

    truncation = None   # class defaults, so networks saved by earlier versions load too
    _pending = None

    def __init__(self, layers, n_steps, truncation=None):
        self.layers = list(layers)
        self.n_steps = _validate.integer("n_steps", n_steps, low=1)
        if truncation is not None:
            truncation = _validate.integer("truncation", truncation, low=1)
        self.truncation = truncation
        self._pending = None

    @property
    def params(self):
        """All trainable arrays, layer by layer."""
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self):
        """Gradients from the last :meth:`backward`, in the order of :attr:`params`."""
        return [g for layer in self.layers for g in layer.grads]

    def _fused(self, k):
        # a DenseLIF directly followed by a LeakyReadout runs as one unit: the readout only needs
        # sum_t c_t s[t], so the layer's spikes are never stored (lif_forward_sum)
        return (k + 1 < len(self.layers) and isinstance(self.layers[k], DenseLIF)
                and isinstance(self.layers[k + 1], LeakyReadout))

    def _forward_layers(self, x, n_steps, smooth):
        k = 0
        while k < len(self.layers):
            layer = self.layers[k]
            if self._fused(k):
                readout = self.layers[k + 1]
                x_c = layer.forward_sum(x, n_steps, readout.step_weights(n_steps), smooth)
                x = readout.forward_sum(x_c, n_steps)
                k += 2
            else:
                x = layer.forward(x, n_steps, smooth)
                k += 1
        return x

    def _backward_layers(self, grad_output):
        g = grad_output
        k = len(self.layers) - 1
        while k >= 0:
            if k >= 1 and self._fused(k - 1):
                g = self.layers[k - 1].backward_sum(self.layers[k].backward_sum(g), need_input_grad=k > 1)
                k -= 2
            else:
                g = self.layers[k].backward(g, need_input_grad=k > 0)
                k -= 1

    def _windows(self):
        K = self.truncation
        return [(t0, min(t0 + K, self.n_steps)) for t0 in range(0, self.n_steps, K)]

    def _forward_window(self, x, t0, t1, smooth, states):
        """Run steps ``[t0, t1)`` from the carried ``states`` (one per layer, updated in place)."""
        if x.ndim in (3, 5):   # time-varying input (T, B, ...); static inputs are 2-D or 4-D
            x = x[t0:t1]
        for k, layer in enumerate(self.layers):
            if isinstance(layer, LIFNeurons):
                layer.initial_state = states[k]
            elif isinstance(layer, LeakyReadout):
                layer.time_window = (t0, t1, self.n_steps)
        try:
            out = self._forward_layers(x, t1 - t0, smooth)
            for k, layer in enumerate(self.layers):
                if isinstance(layer, LIFNeurons):
                    states[k] = layer.last_state()
        finally:
            self._end_window()
        return out

    def _end_window(self):
        for layer in self.layers:
            if isinstance(layer, LIFNeurons):
                layer.initial_state = None
            elif isinstance(layer, LeakyReadout):
                layer.time_window = None

    def forward(self, x, smooth=False):
        """Network output ``(B, n_classes)`` for input ``x`` ``(B, n_in)`` or ``(T, B, n_in)``.

        ``smooth=True`` runs every LIF layer with the surrogate's antiderivative as spike
        function (gradient checks). With :attr:`truncation` set, the windows run one after the
        other and are not kept (see the class docstring); :meth:`backward` re-runs them.
        """
        if self.truncation is None:
            return self._forward_layers(x, self.n_steps, smooth)
        states = [None] * len(self.layers)
        z = None
        for t0, t1 in self._windows():
            out = self._forward_window(x, t0, t1, smooth, states)
            self.clear()
            z = out if z is None else z + out
        self._pending = (x, bool(smooth))
        return z

    def backward(self, grad_output):
        """Backpropagate ``dL/dz`` through every layer; gradients end up in :attr:`grads`."""
        if self.truncation is None:
            self._backward_layers(grad_output)
            return
        if self._pending is None:
            raise RuntimeError("SpikingNetwork.backward: call forward first (truncated BPTT re-runs "
                               "the windows of the last forward pass)")
        x, smooth = self._pending
        states = [None] * len(self.layers)
        total = None
        for t0, t1 in self._windows():
            self._forward_window(x, t0, t1, smooth, states)
            self._backward_layers(grad_output)
            grads = [list(layer.grads) for layer in self.layers]
            if total is None:
                total = grads
            else:
                for acc, new in zip(total, grads):
                    for a, g in zip(acc, new):
                        a += g
        for layer, acc in zip(self.layers, total):
            layer.grads = acc
        self._pending = None

    def constrain(self):
        """Apply every layer's parameter constraints."""
        for layer in self.layers:
            layer.constrain()

    def clear(self):
        """Drop what the layers keep for a backward pass (after inference; keeps saved models small)."""
        self._pending = None
        for layer in self.layers:
            for name in ("_state", "_x", "_cols", "_cache", "_w"):
                if getattr(layer, name, None) is not None:
                    setattr(layer, name, None)

    def activity(self, x):
        """Spike counts and synaptic operations of one inference pass on ``x`` (summed over the batch).

        Every weighted layer (``W``: dense, convolution, readout) receives events: a non-zero
        input element at a step costs one operation per synapse it drives (its fan-out; the
        recurrent weights ``V`` add ``n`` per spike of steps ``0 .. T-2``). Inputs that are
        0/1 spikes (rate coding; spiking layers; the averages of pooled spikes are counted as
        events too) give accumulate operations (``synaptic_operations``); real-valued inputs
        (direct current coding) give multiply-accumulates, counted as if injected every step
        (``input_macs``, as on hardware; computed once here). The usual SNN cost measure
        (e.g. Rathi & Roy 2021).

        Returns
        -------
        dict
            ``spikes``: list of total spikes of each LIF layer; ``neurons``: their widths;
            ``synaptic_operations``, ``input_macs``: floats; ``input_spikes``: total 0/1 input events.
        """
        T = self.n_steps
        spikes, neurons = [], []
        synops = macs = input_spikes = 0.0
        h = x
        for k, layer in enumerate(self.layers):
            fan = layer.fan_out() if hasattr(layer, "fan_out") else None
            if fan is not None:
                static = h.ndim in (2, 4)
                events = (h != 0).reshape((h.shape[0] if static else h.shape[0] * h.shape[1]), -1)
                ops = float(events.sum(axis=0) @ fan) * (T if static else 1)
                binary = bool(np.all((h == 0) | (h == 1)))
                if k == 0 and binary:
                    input_spikes += float(events.sum()) * (T if static else 1)
                if binary or k > 0:
                    synops += ops
                else:
                    macs += ops
            h = layer.forward(h, T)
            if isinstance(layer, LIFNeurons):
                spikes.append(float(h.sum()))
                neurons.append(int(layer.beta.shape[0]))
                if isinstance(layer, RecurrentLIF):
                    synops += float(h[:-1].sum()) * layer.weight_rec.shape[0]
        self.clear()
        return {"spikes": spikes, "neurons": neurons, "synaptic_operations": synops,
                "input_macs": macs, "input_spikes": input_spikes}


def build_mlp(n_in, hidden_layer_sizes, n_out, *, n_steps=25, readout="membrane", beta=0.9,
              threshold=1.0, reset="soft", detach_reset=True, surrogate="fast_sigmoid",
              surrogate_scale=None, train_beta=False, train_threshold=False, recurrent=False,
              truncation=None, random_state=None, dtype=np.float32):
    """Build a spiking multilayer perceptron ``n_in - hidden... - n_out`` of LIF layers.

    ``readout="membrane"``: hidden LIF layers then a :class:`LeakyReadout` (time-averaged membrane
    logits); ``readout="spike_count"``: the output layer is LIF too, followed by
    :class:`SpikeCount`. Parameters as in :class:`DenseLIF`; ``hidden_layer_sizes`` may be empty.
    ``recurrent=True`` makes every hidden layer a :class:`RecurrentLIF` (``I[t] = W x[t] + b +
    V s[t-1]``); ``truncation`` is the truncated-BPTT window of :class:`SpikingNetwork`.

    Returns
    -------
    SpikingNetwork
    """
    n_in = _validate.integer("n_in", n_in, low=1)
    n_out = _validate.integer("n_out", n_out, low=1)
    _validate.choice("readout", readout, ("membrane", "spike_count"))
    sizes = [_validate.integer("hidden_layer_sizes", h, low=1) for h in hidden_layer_sizes]
    rng = _validate.rng(random_state)
    lif = dict(beta=beta, threshold=threshold, reset=reset, detach_reset=detach_reset,
               surrogate=surrogate, surrogate_scale=surrogate_scale, train_beta=train_beta,
               train_threshold=train_threshold, random_state=rng, dtype=dtype)
    hidden = RecurrentLIF if recurrent else DenseLIF
    layers = []
    width = n_in
    for h in sizes:
        layers.append(hidden(width, h, **lif))
        width = h
    if readout == "membrane":
        layers.append(LeakyReadout(width, n_out, beta=beta, random_state=rng, dtype=dtype))
    else:
        layers.append(DenseLIF(width, n_out, **lif))
        layers.append(SpikeCount())
    return SpikingNetwork(layers, n_steps, truncation)
