r"""Convolutional spiking layers for surrogate-gradient BPTT: 2-D convolution of LIF neurons,
average pooling and flattening, with hand-written backward passes (STBP, Wu et al. 2018).

Shapes: a time-varying input is ``(T, B, C, H, W)``; a static one (the same current every
step, how the estimators inject images) is ``(B, C, H, W)``; a flat row ``C*H*W`` is accepted
for either and reshaped with the layer's ``in_shape``.

``Conv2dLIF`` — ``I[t] = W * x[t] + b`` (cross-correlation, stride 1, zero padding ``p``), then the
LIF recursion of :class:`spikecore.learning.bptt.LIFNeurons` on every output position. Written as
one GEMM over all ``T B`` images with time folded into the batch (im2col, Chellapilla et al. 2006):
``cols[(c, i, j), (n, y, x)] = x_pad[n, c, y + i, x + j]``, ``I = W_mat cols + b``. Backward,
with ``delta = dL/dI`` ``(F, N Ho Wo)`` from the LIF recursion::

    dL/dW_mat = delta cols^T        dL/db = sum delta
    dL/dcols  = W_mat^T delta       dL/dx = col2im(dL/dcols)  (scatter-add of the windows)

For a static input the columns are built once and ``delta`` is summed over time first.

``AvgPool2d`` — ``y[c, Y, X] = (1/k^2) sum_{i,j<k} x[c, kY + i, kX + j]`` (non-overlapping windows;
trailing rows/columns that do not fill a window are dropped); backward ``dL/dx = dL/dy / k^2``
spread over each window (zero on dropped rows/columns).

``Flatten`` — ``(T, B, C, H, W) -> (T, B, C H W)``; backward reshapes back.
"""
import numpy as np

from spikecore import _validate
from spikecore.learning.bptt import (
    DenseLIF, LeakyReadout, LIFNeurons, RecurrentLIF, SpikeCount, SpikingNetwork,
)


def _shape3(name, shape):
    try:
        shape = tuple(int(v) for v in shape)
    except TypeError:
        _validate.fail(name, shape, "a tuple (channels, height, width) or (height, width)", TypeError)
    if len(shape) == 2:
        shape = (1,) + shape
    if len(shape) != 3 or min(shape) < 1:
        _validate.fail(name, shape, "a tuple of positive (channels, height, width) or (height, width)")
    return shape


def im2col(x, k, p):
    """Window matrix of ``x`` ``(N, C, H, W)`` zero-padded by ``p``, channel-major:
    ``cols[(c, i, j), (n, y, x)] = x_pad[n, c, y + i, x + j]``, shape ``(C k k, N Ho Wo)`` with
    ``Ho = H + 2p - k + 1`` (Chellapilla et al. 2006). Built with ``k^2`` contiguous slice copies."""
    N, C, H, W = x.shape
    Ho, Wo = H + 2 * p - k + 1, W + 2 * p - k + 1
    xp = np.zeros((C, N, H + 2 * p, W + 2 * p), dtype=x.dtype)
    xp[:, :, p:p + H, p:p + W] = x.transpose(1, 0, 2, 3)
    cols = np.empty((C, k, k, N, Ho, Wo), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, i, j] = xp[:, :, i:i + Ho, j:j + Wo]
    return cols.reshape(C * k * k, N * Ho * Wo)


def col2im(cols, x_shape, k, p):
    """Adjoint of :func:`im2col`: scatter-add ``(C k k, N Ho Wo)`` window values into an array of
    ``x_shape`` ``(N, C, H, W)`` (the input gradient of a convolution)."""
    N, C, H, W = x_shape
    Ho, Wo = H + 2 * p - k + 1, W + 2 * p - k + 1
    d = cols.reshape(C, k, k, N, Ho, Wo)
    dxp = np.zeros((C, N, H + 2 * p, W + 2 * p), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + Ho, j:j + Wo] += d[:, i, j]
    return dxp[:, :, p:p + H, p:p + W].transpose(1, 0, 2, 3)


class Conv2dLIF(LIFNeurons):
    """2-D convolution feeding LIF neurons, unrolled over time (STBP, Wu et al. 2018).

    ``I[t] = W * x[t] + b`` (stride 1, zero padding), LIF dynamics and backward pass as in
    :class:`spikecore.learning.bptt.DenseLIF`, one neuron per output channel and position (each
    with its own ``beta``, ``theta`` when trained, as DIET-SNN, Rathi & Roy 2021, allows).

    Parameters
    ----------
    in_shape : tuple
        ``(C, H, W)`` of the input (or ``(H, W)`` for one channel).
    channels : int
        Output channels ``F``.
    kernel_size : int
        Square kernel side ``k``.
    padding : int
        Zero padding ``p`` on every side (``(k - 1) / 2`` keeps the size).
    beta, threshold, reset, detach_reset, surrogate, surrogate_scale, train_beta, train_threshold, dtype
        As in :class:`spikecore.learning.bptt.DenseLIF`.
    random_state : None, int or numpy.random.Generator
        Weights and biases ``~ U(-1/sqrt(C k^2), 1/sqrt(C k^2))`` (PyTorch's ``Conv2d`` default).
    """

    def __init__(self, in_shape, channels, kernel_size=3, padding=1, *, beta=0.9, threshold=1.0,
                 reset="soft", detach_reset=True, surrogate="fast_sigmoid", surrogate_scale=None,
                 train_beta=False, train_threshold=False, random_state=None, dtype=np.float32):
        self.in_shape = _shape3("in_shape", in_shape)
        F = _validate.integer("channels", channels, low=1)
        self.k = _validate.integer("kernel_size", kernel_size, low=1)
        self.p = _validate.integer("padding", padding, low=0)
        C, H, W = self.in_shape
        Ho, Wo = H + 2 * self.p - self.k + 1, W + 2 * self.p - self.k + 1
        if Ho < 1 or Wo < 1:
            _validate.fail("kernel_size", kernel_size, "a kernel no larger than the padded input %s"
                           % ((H + 2 * self.p, W + 2 * self.p),))
        self.out_shape = (F, Ho, Wo)
        super().__init__(F * Ho * Wo, beta=beta, threshold=threshold, reset=reset,
                         detach_reset=detach_reset, surrogate=surrogate,
                         surrogate_scale=surrogate_scale, train_beta=train_beta,
                         train_threshold=train_threshold, dtype=dtype)
        fan_in = C * self.k * self.k
        bound = 1.0 / np.sqrt(fan_in)
        rng = _validate.rng(random_state)
        self.weight = rng.uniform(-bound, bound, size=(F, C, self.k, self.k)).astype(self.dtype)
        self.bias = rng.uniform(-bound, bound, size=F).astype(self.dtype)
        self._cols = None

    @property
    def params(self):
        """Trainable arrays, in the order of :attr:`grads`."""
        return [self.weight, self.bias] + self._neuron_params()

    def fan_out(self):
        """Synapses driven by each input element ``(C H W,)``: ``F`` times the number of output
        positions whose window covers it (fewer at the zero-padded borders)."""
        C, H, W = self.in_shape
        F, Ho, Wo = self.out_shape
        cover = col2im(np.ones((C * self.k * self.k, Ho * Wo)), (1, C, H, W), self.k, self.p)
        return F * cover.reshape(-1)

    def forward(self, x, n_steps, smooth=False):
        """Spikes ``(T, B, F, Ho, Wo)`` for ``x`` ``(B, C, H, W)`` (static) or ``(T, B, C, H, W)``
        (flat ``C*H*W`` rows accepted: ``(B, CHW)`` static, ``(T, B, CHW)`` time-varying)."""
        static = x.ndim in (2, 4)
        lead = x.shape[:1] if static else x.shape[:2]
        imgs = x.reshape((-1,) + self.in_shape)
        N = imgs.shape[0]
        F, Ho, Wo = self.out_shape
        cols = im2col(imgs, self.k, self.p)                      # (C k k, N Ho Wo)
        cur_t = (self.weight.reshape(F, -1) @ cols).reshape(F, N, Ho * Wo)
        cur = np.empty((N, F, Ho * Wo), dtype=self.dtype)
        np.add(cur_t.transpose(1, 0, 2), self.bias[:, None], out=cur)
        if static:
            current = np.broadcast_to(cur.reshape(1, N, -1), (n_steps, N, F * Ho * Wo))
        else:
            current = cur.reshape(lead + (F * Ho * Wo,))
        self._cols, self._lead, self._static = cols, lead, static
        s = self._spike(current, smooth)
        return s.reshape((s.shape[0], s.shape[1]) + self.out_shape)

    def backward(self, grad_s, need_input_grad=True):
        """From ``dL/ds`` ``(T, B, F, Ho, Wo)``: store :attr:`grads`; return ``dL/dx`` in the input's shape."""
        F, Ho, Wo = self.out_shape
        T, B = grad_s.shape[:2]
        grad_u, extra = self._delta(grad_s.reshape(T, B, -1))
        d = grad_u.sum(axis=0) if self._static else grad_u.reshape(T * B, -1)
        N = d.shape[0]
        d_t = np.ascontiguousarray(d.reshape(N, F, Ho * Wo).transpose(1, 0, 2)).reshape(F, -1)
        self.grads = [(d_t @ self._cols.T).reshape(self.weight.shape), d_t.sum(axis=1)] + extra
        self._cols = None
        if not need_input_grad:
            return None
        dx = col2im(self.weight.reshape(F, -1).T @ d_t, (N,) + self.in_shape, self.k, self.p)
        return dx.reshape(self._lead + self.in_shape)


class AvgPool2d:
    """Average pooling over non-overlapping ``k x k`` windows of ``(T, B, C, H, W)`` spike maps.

    ``y[c, Y, X] = (1/k^2) sum_{i,j} x[c, kY + i, kX + j]`` (as in Wu et al. 2019's spiking CNNs);
    rows/columns beyond the last full window are dropped. Backward spreads ``dL/dy / k^2`` over
    each window.

    Parameters
    ----------
    in_shape : tuple
        ``(C, H, W)`` of the input.
    size : int
        Window side ``k`` (also the stride).
    """

    params = []

    def __init__(self, in_shape, size=2):
        self.in_shape = _shape3("in_shape", in_shape)
        self.size = _validate.integer("size", size, low=1)
        C, H, W = self.in_shape
        if H < self.size or W < self.size:
            _validate.fail("size", size, "a window no larger than the input %s" % ((H, W),))
        self.out_shape = (C, H // self.size, W // self.size)

    def constrain(self):
        """Nothing to constrain."""

    def forward(self, x, n_steps, smooth=False):
        """Pooled maps ``(T, B, C, H // k, W // k)`` of ``x`` ``(T, B, C, H, W)``."""
        k = self.size
        C, Ho, Wo = self.out_shape
        self._shape = x.shape
        self.grads = []
        y = np.zeros(x.shape[:-2] + (Ho, Wo), dtype=x.dtype)
        for i in range(k):
            for j in range(k):
                y += x[..., i:Ho * k:k, j:Wo * k:k]
        y *= 1.0 / (k * k)
        return y

    def backward(self, grad_y, need_input_grad=True):
        """``dL/dx``: each window gets ``dL/dy / k^2``; dropped rows/columns get zero."""
        k = self.size
        g = np.repeat(np.repeat(grad_y / (k * k), k, axis=-2), k, axis=-1)
        if g.shape == self._shape:
            return g
        out = np.zeros(self._shape, dtype=g.dtype)
        out[..., :g.shape[-2], :g.shape[-1]] = g
        return out


class Flatten:
    """``(T, B, C, H, W) -> (T, B, C H W)`` (row-major); backward reshapes back."""

    params = []

    def constrain(self):
        """Nothing to constrain."""

    def forward(self, x, n_steps, smooth=False):
        """Return ``x`` with its last three axes merged."""
        self._shape = x.shape
        self.grads = []
        return x.reshape(x.shape[:-3] + (-1,))

    def backward(self, grad, need_input_grad=True):
        """Return ``grad`` in the input's shape."""
        return grad.reshape(self._shape)


def build_convnet(input_shape, conv_channels, n_out, *, kernel_size=3, pool_size=2,
                  hidden_layer_sizes=(), n_steps=25, readout="membrane", beta=0.9, threshold=1.0,
                  reset="soft", detach_reset=True, surrogate="fast_sigmoid", surrogate_scale=None,
                  train_beta=False, train_threshold=False, recurrent=False, truncation=None,
                  random_state=None, dtype=np.float32):
    """Build a spiking convolutional network trained by STBP (Wu et al. 2018; 2019).

    ``[Conv2dLIF(k x k, same padding) -> AvgPool2d(pool_size)] x len(conv_channels) -> Flatten
    -> DenseLIF x len(hidden_layer_sizes) -> readout``; the readout is as in
    :func:`spikecore.learning.bptt.build_mlp`. Pooling is skipped once a map is smaller than the
    window. Other parameters as in :class:`Conv2dLIF`; ``recurrent=True`` makes the dense
    hidden layers :class:`spikecore.learning.bptt.RecurrentLIF`; ``truncation`` is the
    truncated-BPTT window of :class:`spikecore.learning.bptt.SpikingNetwork`.

    Returns
    -------
    SpikingNetwork
    """
    shape = _shape3("input_shape", input_shape)
    _validate.choice("readout", readout, ("membrane", "spike_count"))
    kernel_size = _validate.integer("kernel_size", kernel_size, low=1)
    if kernel_size % 2 == 0:
        _validate.fail("kernel_size", kernel_size, "an odd integer (same padding)")
    pool_size = _validate.integer("pool_size", pool_size, low=1)
    rng = _validate.rng(random_state)
    lif = dict(beta=beta, threshold=threshold, reset=reset, detach_reset=detach_reset,
               surrogate=surrogate, surrogate_scale=surrogate_scale, train_beta=train_beta,
               train_threshold=train_threshold, random_state=rng, dtype=dtype)
    layers = []
    for ch in conv_channels:
        conv = Conv2dLIF(shape, _validate.integer("conv_channels", ch, low=1), kernel_size,
                         kernel_size // 2, **lif)
        layers.append(conv)
        shape = conv.out_shape
        if pool_size > 1 and min(shape[1:]) >= pool_size:
            layers.append(AvgPool2d(shape, pool_size))
            shape = layers[-1].out_shape
    layers.append(Flatten())
    width = int(np.prod(shape))
    hidden = RecurrentLIF if recurrent else DenseLIF
    for h in hidden_layer_sizes:
        layers.append(hidden(width, _validate.integer("hidden_layer_sizes", h, low=1), **lif))
        width = h
    n_out = _validate.integer("n_out", n_out, low=1)
    if readout == "membrane":
        layers.append(LeakyReadout(width, n_out, beta=beta, random_state=rng, dtype=dtype))
    else:
        layers.append(DenseLIF(width, n_out, **lif))
        layers.append(SpikeCount())
    return SpikingNetwork(layers, n_steps, truncation)
