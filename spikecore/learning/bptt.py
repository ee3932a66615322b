r"""Surrogate-gradient backpropagation through time for feed-forward LIF networks, by hand.

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
in float32; ``2 T B n`` for the fused last hidden layer). For 784-500-10 at ``T = 25``,
``B = 128``: 13 MB; for the digits conv net (16 channels of 8x8, ``B = 64``) 20 MB. Truncated
BPTT is not implemented: lower ``batch_size`` if memory is short.

Weights are initialised as PyTorch's ``nn.Linear``: ``W, b ~ U(-1/sqrt(n_in), 1/sqrt(n_in))``
(He et al. 2015 with ``a = sqrt(5)``), so a like-for-like snnTorch network starts from the
same distribution.
"""
import numpy as np

from spikecore import _validate
from spikecore.kernels.bptt import lif_backward, lif_backward_sum, lif_forward, lif_forward_sum
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

    def _neuron_params(self):
        return ([self.beta] if self.train_beta else []) + ([self.threshold] if self.train_threshold else [])

    def constrain(self):
        """Clip trained leaks to ``[0, 1]`` and thresholds to ``>= 1e-3`` (after an optimiser step)."""
        np.clip(self.beta, 0.0, 1.0, out=self.beta)
        np.maximum(self.threshold, 1e-3, out=self.threshold)

    def _spike(self, current, smooth):
        """Run the neurons on ``current`` ``(T, B, n)``; keep ``u``, ``s``; return ``s``."""
        u = np.empty(current.shape, dtype=self.dtype)
        s = np.empty(current.shape, dtype=self.dtype)
        lif_forward(current, self.beta, self.threshold, self.hard_reset, bool(smooth),
                    self.surrogate, self.alpha, u, s)
        self._state = (u, s)
        return s

    def _delta(self, grad_s):
        """``delta = dL/dI`` ``(T, B, n)`` from ``dL/ds``; return it and the neuron-parameter grads."""
        u, s = self._state
        grad_u = np.empty_like(u)
        lif_backward(grad_s.astype(self.dtype, copy=False), u, s, self.beta, self.threshold,
                     self.hard_reset, self.detach_reset, self.surrogate, self.alpha, grad_u)
        extra = []
        if self.train_beta or self.train_threshold:
            g_beta, g_theta = lif_parameter_grads(grad_u, u, s, self.beta, self.threshold, self.hard_reset)
            extra = ([g_beta] if self.train_beta else []) + ([g_theta] if self.train_threshold else [])
        self._state = None
        return grad_u, extra

    def _spike_sum(self, current, smooth, w):
        """Like :meth:`_spike` but return only ``z = sum_t w[t] s[t]`` ``(B, n)`` (spikes not kept)."""
        u = np.empty(current.shape, dtype=self.dtype)
        z = np.empty(current.shape[1:], dtype=self.dtype)
        w = w.astype(self.dtype)
        lif_forward_sum(current, self.beta, self.threshold, self.hard_reset, bool(smooth),
                        self.surrogate, self.alpha, w, u, z)
        self._state = (u, w, bool(smooth))
        return z

    def _delta_sum(self, grad_z):
        """``delta = dL/dI`` ``(T, B, n)`` from ``dL/dz`` of :meth:`_spike_sum`, and neuron-parameter grads."""
        u, w, smooth = self._state
        grad_u = np.empty_like(u)
        lif_backward_sum(np.ascontiguousarray(grad_z, dtype=self.dtype), w, u, self.beta,
                         self.threshold, self.hard_reset, self.detach_reset, smooth,
                         self.surrogate, self.alpha, grad_u)
        extra = []
        if self.train_beta or self.train_threshold:
            if smooth:
                s = _surrogate_primitive(u - self.threshold, self.surrogate, self.alpha).astype(self.dtype)
            else:
                s = (u >= self.threshold).astype(self.dtype)
            g_beta, g_theta = lif_parameter_grads(grad_u, u, s, self.beta, self.threshold, self.hard_reset)
            extra = ([g_beta] if self.train_beta else []) + ([g_theta] if self.train_threshold else [])
        self._state = None
        return grad_u, extra


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

    def __init__(self, n_in, n_out, *, beta=0.9, random_state=None, dtype=np.float32):
        n_in = _validate.integer("n_in", n_in, low=1)
        n_out = _validate.integer("n_out", n_out, low=1)
        self.beta = _validate.real("beta", beta, low=0.0, high=1.0)
        self.dtype = np.dtype(dtype)
        self.weight, self.bias = _uniform_init(_validate.rng(random_state), n_in, n_out, self.dtype)
        self._cache = None

    @property
    def params(self):
        """Trainable arrays, in the order of :attr:`grads`."""
        return [self.weight, self.bias]

    def constrain(self):
        """Nothing to constrain (present so all layers share one interface)."""

    def time_weights(self, n_steps):
        """``c_k = (1/T) sum_{j=0}^{T-1-k} beta_o^j`` for ``k = 0 .. T-1``."""
        powers = self.beta ** np.arange(n_steps, dtype=np.float64)
        return (np.cumsum(powers)[::-1] / n_steps).astype(self.dtype)

    def forward(self, x, n_steps, smooth=False):
        """Output ``z`` ``(B, n_out)`` for spikes ``x`` ``(T, B, n_in)`` (or static ``(B, n_in)``)."""
        c = self.time_weights(n_steps)
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
        c = self.time_weights(n_steps)
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

    Parameters
    ----------
    layers : list
        Layer objects (:class:`DenseLIF`, :class:`LeakyReadout`, :class:`SpikeCount`) with
        ``forward(x, n_steps, smooth)``, ``backward(grad, need_input_grad)``, ``params``,
        ``grads`` and ``constrain()``.
    n_steps : int
        Number of time steps ``T``.
    """

    def __init__(self, layers, n_steps):
        self.layers = list(layers)
        self.n_steps = _validate.integer("n_steps", n_steps, low=1)

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

    def forward(self, x, smooth=False):
        """Network output ``(B, n_classes)`` for input ``x`` ``(B, n_in)`` or ``(T, B, n_in)``."""
        k = 0
        while k < len(self.layers):
            layer = self.layers[k]
            if self._fused(k):
                readout = self.layers[k + 1]
                x_c = layer.forward_sum(x, self.n_steps, readout.time_weights(self.n_steps), smooth)
                x = readout.forward_sum(x_c, self.n_steps)
                k += 2
            else:
                x = layer.forward(x, self.n_steps, smooth)
                k += 1
        return x

    def backward(self, grad_output):
        """Backpropagate ``dL/dz`` through every layer; gradients end up in :attr:`grads`."""
        g = grad_output
        k = len(self.layers) - 1
        while k >= 0:
            if k >= 1 and self._fused(k - 1):
                g = self.layers[k - 1].backward_sum(self.layers[k].backward_sum(g), need_input_grad=k > 1)
                k -= 2
            else:
                g = self.layers[k].backward(g, need_input_grad=k > 0)
                k -= 1

    def constrain(self):
        """Apply every layer's parameter constraints."""
        for layer in self.layers:
            layer.constrain()


def build_mlp(n_in, hidden_layer_sizes, n_out, *, n_steps=25, readout="membrane", beta=0.9,
              threshold=1.0, reset="soft", detach_reset=True, surrogate="fast_sigmoid",
              surrogate_scale=None, train_beta=False, train_threshold=False, random_state=None,
              dtype=np.float32):
    """Build a spiking multilayer perceptron ``n_in - hidden... - n_out`` of LIF layers.

    ``readout="membrane"``: hidden LIF layers then a :class:`LeakyReadout` (time-averaged membrane
    logits); ``readout="spike_count"``: the output layer is LIF too, followed by
    :class:`SpikeCount`. Parameters as in :class:`DenseLIF`; ``hidden_layer_sizes`` may be empty.

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
    layers = []
    width = n_in
    for h in sizes:
        layers.append(DenseLIF(width, h, **lif))
        width = h
    if readout == "membrane":
        layers.append(LeakyReadout(width, n_out, beta=beta, random_state=rng, dtype=dtype))
    else:
        layers.append(DenseLIF(width, n_out, **lif))
        layers.append(SpikeCount())
    return SpikingNetwork(layers, n_steps)
