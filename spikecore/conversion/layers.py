r"""Layers of the NumPy artificial neural networks (ANNs) that :mod:`spikecore.conversion` converts.

Every layer has a hand-written forward and backward pass (no autograd):

* ``forward(x, training=False)`` returns :math:`y = f(x)` and keeps what backward needs;
* ``backward(g)`` takes :math:`g = \partial L/\partial y` and returns :math:`\partial L/\partial x`,
  storing :math:`\partial L/\partial\theta` of its parameters in ``grads`` (same order as ``params``);
* ``output_shape(in_shape)`` gives the per-sample output shape.

Shapes are per batch: ``(N, features)`` for dense data, ``(N, C, H, W)`` for images (PyTorch's and
ONNX's NCHW). Weights follow spikecore's convention, ``(n_out, n_in)`` for :class:`Dense` and
``(C_out, C_in, k_h, k_w)`` for :class:`Conv2D` (cross-correlation, as PyTorch and ONNX).
float32 throughout.

Convolution and pooling are computed with im2col (Chellapilla, Puri & Simard, 2006): every
:math:`k_h \times k_w` window of the zero-padded input becomes a row, so a convolution is one
matrix product and its backward pass a scatter-add of the window gradients (col2im).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from spikecore import _validate as V

__all__ = ["Dense", "Conv2D", "AvgPool2D", "MaxPool2D", "BatchNorm", "ReLU", "ClippedReLU", "QCFS", "SoftLIF",
           "Flatten", "Reshape", "Transpose", "Dropout", "Softmax", "Scale", "Residual", "Concat", "im2col",
           "col2im"]


def _pair(name, value):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            V.fail(name, value, "an integer or a pair of integers")
        return (V.integer(name, value[0], low=0), V.integer(name, value[1], low=0))
    v = V.integer(name, value, low=0)
    return (v, v)


def _conv_out(size, k, stride, pad):
    return tuple((s + 2 * p - kk) // st + 1 for s, kk, st, p in zip(size, k, stride, pad))


def im2col(x, k, stride, pad, fill=0.0):
    r"""Rows of every window of ``x`` ``(N, C, H, W)`` (Chellapilla et al., 2006).

    .. math:: \mathrm{cols}[(n, y, x), (c, i, j)] = x_\mathrm{pad}[n, c, s_h y + i, s_w x + j]

    with :math:`x_\mathrm{pad}` the input padded by :math:`p` with ``fill`` on each side.

    Parameters
    ----------
    x : ndarray (N, C, H, W)
    k, stride, pad : pair of int
        Window :math:`(k_h, k_w)`, stride :math:`(s_h, s_w)`, padding :math:`(p_h, p_w)`.
    fill : float
        Padding value (0 for convolution and average pooling, -inf for max pooling).

    Returns
    -------
    cols : ndarray (N * H_o * W_o, C * k_h * k_w)
    out_hw : tuple (H_o, W_o)
    """
    N, C, H, W = x.shape
    if pad[0] or pad[1]:
        x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])), constant_values=fill)
    win = sliding_window_view(x, k, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]  # (N, C, Ho, Wo, kh, kw)
    Ho, Wo = win.shape[2], win.shape[3]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * Ho * Wo, C * k[0] * k[1]), (Ho, Wo)


def col2im(dcols, x_shape, k, stride, pad):
    r"""Adjoint of :func:`im2col`: scatter-add window rows ``(N H_o W_o, C k_h k_w)`` into ``x_shape``.

    .. math:: \frac{\partial L}{\partial x[n, c, h, w]} = \sum_{(y, x, i, j):\, s_h y + i - p_h = h,\,
              s_w x + j - p_w = w} \frac{\partial L}{\partial \mathrm{cols}[(n, y, x), (c, i, j)]}
    """
    N, C, H, W = x_shape
    Ho, Wo = _conv_out((H, W), k, stride, pad)
    d = dcols.reshape(N, Ho, Wo, C, k[0], k[1])
    dxp = np.zeros((N, C, H + 2 * pad[0], W + 2 * pad[1]), dtype=dcols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            dxp[:, :, i: i + stride[0] * (Ho - 1) + 1: stride[0], j: j + stride[1] * (Wo - 1) + 1: stride[1]] += \
                d[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, pad[0]: pad[0] + H, pad[1]: pad[1] + W]


class Layer:
    """Base class: a layer without parameters that passes shapes through unchanged."""

    params = ()
    grads = ()

    def output_shape(self, in_shape):
        """Per-sample output shape for a per-sample input shape."""
        return tuple(in_shape)

    def __repr__(self):
        return "%s()" % type(self).__name__


class Dense(Layer):
    r"""Fully connected layer :math:`y = x W^\top + b`.

    Parameters
    ----------
    n_in, n_out : int
        Input and output features.
    weight : array (n_out, n_in), optional
        :math:`W`; default: He initialisation :math:`W \sim \mathcal N(0, 2/n_\mathrm{in})`
        (He et al., 2015).
    bias : array (n_out,), optional
        :math:`b` (default 0).
    random_state : None, int or Generator
        Seed of the initialisation.

    Notes
    -----
    Backward: :math:`\partial L/\partial W = g^\top x`, :math:`\partial L/\partial b = \sum_n g`,
    :math:`\partial L/\partial x = g W`.
    """

    def __init__(self, n_in, n_out, *, weight=None, bias=None, random_state=None):
        n_in = V.integer("n_in", n_in, low=1)
        n_out = V.integer("n_out", n_out, low=1)
        if weight is None:
            weight = V.rng(random_state).normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in))
        self.weight = V.array("weight", weight, shape=(n_out, n_in), dtype=np.float32, finite=True)
        self.bias = (np.zeros(n_out, np.float32) if bias is None else
                     V.array("bias", bias, shape=(n_out,), dtype=np.float32, finite=True))
        self.params = [self.weight, self.bias]
        self.grads = [np.zeros_like(self.weight), np.zeros_like(self.bias)]

    def forward(self, x, training=False):
        """:math:`y = x W^\\top + b` for ``x`` of shape (N, n_in)."""
        self._x = x
        return x @ self.weight.T + self.bias

    def backward(self, g):
        """Gradients of the weight and bias; returns :math:`g W`."""
        self.grads[0][...] = g.T @ self._x
        self.grads[1][...] = g.sum(0)
        return g @ self.weight

    def output_shape(self, in_shape):
        if int(np.prod(in_shape)) != self.weight.shape[1] or len(in_shape) != 1:
            V.fail("in_shape", tuple(in_shape), "(%d,) for Dense(%d, %d)" % ((self.weight.shape[1],) + self.weight.shape[::-1]))
        return (self.weight.shape[0],)

    def __repr__(self):
        return "Dense(%d, %d)" % (self.weight.shape[1], self.weight.shape[0])


class Conv2D(Layer):
    r"""2-D convolution (cross-correlation, as PyTorch and ONNX)

    .. math:: y[n, o, y, x] = b_o + \sum_{c, i, j} W[o, c, i, j]\;
              x_\mathrm{pad}[n, c, s_h y + i, s_w x + j]

    computed as one matrix product of the im2col rows with :math:`W` reshaped to
    :math:`(C_\mathrm{out}, C_\mathrm{in} k_h k_w)` (Chellapilla et al., 2006).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding : int or pair
    weight : array (out_channels, in_channels, k_h, k_w), optional
        Default: He initialisation, variance :math:`2/(C_\mathrm{in} k_h k_w)` (He et al., 2015).
    bias : array (out_channels,), optional
    random_state : None, int or Generator
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, *, stride=1, padding=0, weight=None,
                 bias=None, random_state=None):
        cin = V.integer("in_channels", in_channels, low=1)
        cout = V.integer("out_channels", out_channels, low=1)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.stride = _pair("stride", stride)
        self.padding = _pair("padding", padding)
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            V.fail("kernel_size/stride", (kernel_size, stride), "positive sizes")
        shape = (cout, cin) + self.kernel_size
        if weight is None:
            fan_in = cin * self.kernel_size[0] * self.kernel_size[1]
            weight = V.rng(random_state).normal(0.0, np.sqrt(2.0 / fan_in), shape)
        self.weight = V.array("weight", weight, shape=shape, dtype=np.float32, finite=True)
        self.bias = (np.zeros(cout, np.float32) if bias is None else
                     V.array("bias", bias, shape=(cout,), dtype=np.float32, finite=True))
        self.params = [self.weight, self.bias]
        self.grads = [np.zeros_like(self.weight), np.zeros_like(self.bias)]

    def forward(self, x, training=False):
        """Convolution of ``x`` (N, C_in, H, W) -> (N, C_out, H_o, W_o)."""
        cols, (Ho, Wo) = im2col(x, self.kernel_size, self.stride, self.padding)
        self._cols, self._x_shape = cols, x.shape
        y = cols @ self.weight.reshape(self.weight.shape[0], -1).T + self.bias
        return y.reshape(x.shape[0], Ho, Wo, -1).transpose(0, 3, 1, 2)

    def backward(self, g):
        r""":math:`\partial L/\partial W = g_\mathrm{mat}^\top \mathrm{cols}`,
        :math:`\partial L/\partial x = \mathrm{col2im}(g_\mathrm{mat} W_\mathrm{mat})`."""
        gm = g.transpose(0, 2, 3, 1).reshape(-1, self.weight.shape[0])
        self.grads[0][...] = (gm.T @ self._cols).reshape(self.weight.shape)
        self.grads[1][...] = gm.sum(0)
        dcols = gm @ self.weight.reshape(self.weight.shape[0], -1)
        return col2im(dcols, self._x_shape, self.kernel_size, self.stride, self.padding)

    def output_shape(self, in_shape):
        if len(in_shape) != 3 or in_shape[0] != self.weight.shape[1]:
            V.fail("in_shape", tuple(in_shape), "(%d, H, W) for %r" % (self.weight.shape[1], self))
        return (self.weight.shape[0],) + _conv_out(in_shape[1:], self.kernel_size, self.stride, self.padding)

    def __repr__(self):
        return "Conv2D(%d, %d, kernel_size=%s, stride=%s, padding=%s)" % (
            self.weight.shape[1], self.weight.shape[0], self.kernel_size, self.stride, self.padding)


class _Pool(Layer):
    def __init__(self, kernel_size=2, stride=None, padding=0):
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else _pair("stride", stride)
        self.padding = _pair("padding", padding)
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            V.fail("kernel_size/stride", (kernel_size, stride), "positive sizes")

    def _extra(self, hw):
        """Padding past the end of each spatial axis beyond ``padding`` (MaxPool2D's ceil_mode)."""
        return (0, 0)

    def _windows(self, x, fill):
        eh, ew = self._extra(x.shape[2:])
        if eh or ew:
            x = np.pad(x, ((0, 0), (0, 0), (0, eh), (0, ew)), constant_values=fill)
        N, C = x.shape[:2]
        cols, (Ho, Wo) = im2col(x.reshape(N * C, 1, *x.shape[2:]), self.kernel_size, self.stride,
                                self.padding, fill)
        return cols, (N, C, Ho, Wo)

    def output_shape(self, in_shape):
        if len(in_shape) != 3:
            V.fail("in_shape", tuple(in_shape), "(C, H, W) for %r" % self)
        eh, ew = self._extra(in_shape[1:])
        return (in_shape[0],) + _conv_out((in_shape[1] + eh, in_shape[2] + ew), self.kernel_size, self.stride,
                                          self.padding)

    def __repr__(self):
        return "%s(kernel_size=%s, stride=%s, padding=%s)" % (type(self).__name__, self.kernel_size,
                                                              self.stride, self.padding)


class AvgPool2D(_Pool):
    r"""Average pooling :math:`y[n,c,y,x] = \frac{1}{k_h k_w} \sum_{i<k_h, j<k_w}
    x_\mathrm{pad}[n, c, s_h y + i, s_w x + j]` (zero padding counted, ONNX's
    ``count_include_pad=1``). Backward spreads :math:`g/(k_h k_w)` over each window."""

    def forward(self, x, training=False):
        cols, shape = self._windows(x, 0.0)
        self._x_shape = x.shape
        return cols.mean(1).reshape(shape).astype(x.dtype, copy=False)

    def backward(self, g):
        N, C = self._x_shape[:2]
        k = self.kernel_size[0] * self.kernel_size[1]
        dcols = np.repeat(g.reshape(-1, 1) / k, k, axis=1)
        dx = col2im(dcols, (N * C, 1) + self._x_shape[2:], self.kernel_size, self.stride, self.padding)
        return dx.reshape(self._x_shape)


class MaxPool2D(_Pool):
    r"""Max pooling :math:`y[n,c,y,x] = \max_{i<k_h, j<k_w} x_\mathrm{pad}[n, c, s_h y + i, s_w x + j]`
    (padding with :math:`-\infty`). Backward routes :math:`g` to the first maximal element of each
    window. The padding must be smaller than the window (as PyTorch and ONNX exporters require), so
    every window holds at least one input value (a window of padding only would output
    :math:`-\infty`).

    With ``ceil_mode`` (PyTorch's and ONNX's, used by GoogLeNet), the output size rounds up,
    :math:`H_o = \lceil (H + 2p - k)/s \rceil + 1`, less one if the last window would start in
    the right padding (:math:`(H_o - 1)s \ge H + p`); the windows that reach past the padded
    input see :math:`-\infty` there."""

    def __init__(self, kernel_size=2, stride=None, padding=0, ceil_mode=False):
        super().__init__(kernel_size, stride, padding)
        if self.padding[0] >= self.kernel_size[0] or self.padding[1] >= self.kernel_size[1]:
            V.fail("padding", padding, "padding smaller than kernel_size = %s (a window of padding only would "
                   "output -inf)" % (self.kernel_size,))
        if not isinstance(ceil_mode, (bool, np.bool_)):
            V.fail("ceil_mode", ceil_mode, "True or False", TypeError)
        self.ceil_mode = bool(ceil_mode)

    def _extra(self, hw):
        """Padding past the end of each spatial axis that ``ceil_mode`` adds: ``(e_h, e_w)``."""
        if not self.ceil_mode:
            return (0, 0)
        out = []
        for n, k, s, p in zip(hw, self.kernel_size, self.stride, self.padding):
            o = -(-(n + 2 * p - k) // s) + 1
            if (o - 1) * s >= n + p:
                o -= 1
            out.append(max(0, (o - 1) * s + k - (n + 2 * p)))
        return tuple(out)

    def forward(self, x, training=False):
        cols, shape = self._windows(x, -np.inf)
        self._arg = cols.argmax(1)
        self._x_shape = x.shape
        return cols[np.arange(cols.shape[0]), self._arg].reshape(shape)

    def backward(self, g):
        N, C, H, W = self._x_shape
        eh, ew = self._extra((H, W))
        k = self.kernel_size[0] * self.kernel_size[1]
        dcols = np.zeros((self._arg.size, k), g.dtype)
        dcols[np.arange(self._arg.size), self._arg] = g.ravel()
        dx = col2im(dcols, (N * C, 1, H + eh, W + ew), self.kernel_size, self.stride, self.padding)
        return dx[:, :, :H, :W].reshape(self._x_shape)

    def __repr__(self):
        text = super().__repr__()
        return text[:-1] + ", ceil_mode=True)" if self.ceil_mode else text


class BatchNorm(Layer):
    r"""Batch normalisation (Ioffe & Szegedy, 2015) over the feature axis 1 of (N, F) or (N, C, H, W).

    .. math:: y = \gamma \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    Training uses the batch mean :math:`\mu_B` and (biased) variance :math:`\sigma_B^2` and updates
    the running statistics :math:`\mu \leftarrow (1-m)\mu + m\mu_B`,
    :math:`\sigma^2 \leftarrow (1-m)\sigma^2 + m\sigma_B^2` (momentum :math:`m`); inference uses the
    running statistics.

    Parameters
    ----------
    n_features : int
    eps : float
        :math:`\epsilon`.
    momentum : float
        :math:`m` in (0, 1].
    gamma, beta, mean, var : arrays (n_features,), optional
        :math:`\gamma` (default 1), :math:`\beta` (0), running :math:`\mu` (0) and :math:`\sigma^2` (1).
    """

    def __init__(self, n_features, *, eps=1e-5, momentum=0.1, gamma=None, beta=None, mean=None, var=None):
        n = V.integer("n_features", n_features, low=1)
        self.eps = V.positive("eps", eps)
        self.momentum = V.real("momentum", momentum, low=0.0, high=1.0, low_open=True)

        def vec(name, val, default):
            return (np.full(n, default, np.float32) if val is None else
                    V.array(name, val, shape=(n,), dtype=np.float32, finite=True))
        self.gamma, self.beta = vec("gamma", gamma, 1.0), vec("beta", beta, 0.0)
        self.mean, self.var = vec("mean", mean, 0.0), vec("var", var, 1.0)
        if np.any(self.var < 0):
            V.fail("var", "<negative entries>", "non-negative variances")
        self.params = [self.gamma, self.beta]
        self.grads = [np.zeros_like(self.gamma), np.zeros_like(self.beta)]

    def _view(self, a, ndim):
        return a.reshape((1, -1) + (1,) * (ndim - 2))

    def forward(self, x, training=False):
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        if training:
            mu, var = x.mean(axes), x.var(axes)
            self.mean *= 1 - self.momentum
            self.mean += self.momentum * mu
            self.var *= 1 - self.momentum
            self.var += self.momentum * var
        else:
            mu, var = self.mean, self.var
        self._inv = (1.0 / np.sqrt(var + self.eps)).astype(np.float32)
        self._xhat = (x - self._view(mu, x.ndim)) * self._view(self._inv, x.ndim)
        self._training, self._axes = training, axes
        return self._xhat * self._view(self.gamma, x.ndim) + self._view(self.beta, x.ndim)

    def backward(self, g):
        r"""Standard batch-norm backward: with :math:`\hat x` the normalised input and :math:`M`
        the number of values per feature,
        :math:`\partial L/\partial x = \frac{\gamma}{M\sqrt{\sigma^2+\epsilon}}
        (M g - \sum g - \hat x \sum g \hat x)` in training, :math:`\gamma g/\sqrt{\sigma^2+\epsilon}`
        in inference."""
        axes, nd = self._axes, g.ndim
        self.grads[0][...] = (g * self._xhat).sum(axes)
        self.grads[1][...] = g.sum(axes)
        scale = self._view(self.gamma * self._inv, nd)
        if not self._training:
            return g * scale
        M = g.size // g.shape[1]
        gs = self._view(g.sum(axes), nd)
        gx = self._view((g * self._xhat).sum(axes), nd)
        return scale / M * (M * g - gs - self._xhat * gx)

    def fold(self):
        r"""The per-feature affine map of inference, :math:`y = a x + c`:
        :math:`a = \gamma/\sqrt{\sigma^2+\epsilon}`, :math:`c = \beta - a\mu` (used for batch-norm
        folding, Rueckauer et al., 2017)."""
        a = self.gamma / np.sqrt(self.var + self.eps)
        return a.astype(np.float32), (self.beta - a * self.mean).astype(np.float32)

    def __repr__(self):
        return "BatchNorm(%d)" % self.gamma.size


class ReLU(Layer):
    """Rectified linear unit :math:`y = \\max(0, x)`; backward :math:`g\\,[x > 0]`."""

    def forward(self, x, training=False):
        self._mask = x > 0
        return x * self._mask

    def backward(self, g):
        return g * self._mask


class ClippedReLU(Layer):
    r"""Clipped (threshold) ReLU :math:`y = \min(\max(0, x), \lambda)`, the activation trained for
    low-latency conversion (Deng & Gu, 2021, "threshold ReLU"; Rueckauer et al., 2017, clip at
    :math:`\lambda`). The ceiling :math:`\lambda` becomes the layer's normalisation factor.
    Backward :math:`g\,[0 < x < \lambda]`.

    Parameters
    ----------
    ceiling : float
        :math:`\lambda > 0`.
    """

    def __init__(self, ceiling=1.0):
        self.ceiling = V.positive("ceiling", ceiling)

    def forward(self, x, training=False):
        self._mask = (x > 0) & (x < self.ceiling)
        return np.clip(x, 0.0, self.ceiling).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * self._mask

    def __repr__(self):
        return "ClippedReLU(ceiling=%g)" % self.ceiling


class QCFS(Layer):
    r"""Quantization-clip-floor-shift activation (Bu, Fang, Ding, Dai, Yu & Huang, 2022, "Optimal
    ANN-SNN conversion for high-accuracy and ultra-low-latency spiking neural networks", ICLR):

    .. math:: h(z) = \frac{\lambda}{L}\,\mathrm{clip}\Big(\Big\lfloor \frac{zL}{\lambda} + \frac12
              \Big\rfloor, 0, L\Big)

    with :math:`L` the quantisation steps (levels) and :math:`\lambda` a trainable threshold that
    becomes the converted layer's firing threshold. Backward with the straight-through estimator
    (the floor's derivative taken as 1, as in Bu et al., 2022):
    :math:`\partial h/\partial z = [0 < z < \lambda]` and
    :math:`\partial h/\partial\lambda = [z \ge \lambda] + [0 < z < \lambda]\,(h - z)/\lambda`.

    Parameters
    ----------
    levels : int
        :math:`L \ge 1`.
    threshold : float
        Initial :math:`\lambda > 0` (one per layer).
    """

    def __init__(self, levels=8, threshold=4.0):
        self.levels = V.integer("levels", levels, low=1)
        self.threshold = np.array([V.positive("threshold", threshold)], np.float32)
        self.params = [self.threshold]
        self.grads = [np.zeros_like(self.threshold)]

    @property
    def ceiling(self):
        r""":math:`\lambda`, the largest output (the conversion's normalisation factor)."""
        return float(self.threshold[0])

    def forward(self, x, training=False):
        lam = np.float32(max(float(self.threshold[0]), 1e-6))
        L = np.float32(self.levels)
        h = (lam / L) * np.clip(np.floor(x * (L / lam) + np.float32(0.5)), 0.0, L)
        self._x, self._h, self._lam = x, h.astype(x.dtype, copy=False), lam
        return self._h

    def backward(self, g):
        x, h, lam = self._x, self._h, self._lam
        inside = (x > 0) & (x < lam)
        dlam = np.where(x >= lam, 1.0, np.where(inside, (h - x) / lam, 0.0))
        self.grads[0][0] = np.float32((g * dlam).sum())
        return g * inside

    def __repr__(self):
        return "QCFS(levels=%d, threshold=%g)" % (self.levels, self.ceiling)


class SoftLIF(Layer):
    r"""Soft leaky integrate-and-fire rate nonlinearity (Hunsberger & Eliasmith, 2015, "Spiking deep
    networks with LIF neurons", arXiv:1510.08829), for training an ANN that converts to LIF neurons.

    A LIF neuron :math:`\tau_{RC}\,\dot v = -v + j` with threshold :math:`V_\mathrm{th} = 1`, reset
    to 0 and refractory period :math:`\tau_\mathrm{ref}` fires, for a constant current :math:`j`, at

    .. math:: r(j) = \Big[\tau_\mathrm{ref} + \tau_{RC} \log\Big(1 + \frac{V_\mathrm{th}}{\rho(j - V_\mathrm{th})}\Big)\Big]^{-1}

    with :math:`\rho(x) = \max(x, 0)` (:math:`r = 0` for :math:`j \le V_\mathrm{th}`). Its derivative
    is unbounded at threshold; the soft LIF replaces :math:`\rho` by the softplus
    :math:`\rho_\gamma(x) = \gamma \log(1 + e^{x/\gamma})` (smoothing :math:`\gamma`). The layer
    input :math:`z` is the current above threshold, :math:`j = z + V_\mathrm{th}`, and the output is
    the rate times an amplitude :math:`A` (the value a spike carries to the next layer):

    .. math:: y = A\,\Big[\tau_\mathrm{ref} + \tau_{RC}\log\big(1 + 1/\rho_\gamma(z)\big)\Big]^{-1}

    Backward (hand-written; float64 inside): with :math:`p = \rho_\gamma(z)`,
    :math:`\partial p/\partial z = \sigma(z/\gamma)` (the logistic function) and
    :math:`\partial \log(1 + 1/p)/\partial p = -1/(p(p+1))`,

    .. math:: \frac{\partial y}{\partial z} = \frac{y^2}{A}\,\frac{\tau_{RC}\,\sigma(z/\gamma)}{p\,(p + 1)}

    Training with noise (Hunsberger & Eliasmith, 2015, section 2.3): with ``noise`` :math:`\sigma_n > 0`,
    training adds :math:`\mathcal N(0, (\sigma_n A/\tau_\mathrm{ref})^2)` to the output, the
    variability spikes put on a rate; inference is noise-free.

    Parameters
    ----------
    tau_rc : float
        Membrane time constant :math:`\tau_{RC}` in seconds (default 0.02, as the paper).
    tau_ref : float
        Refractory period :math:`\tau_\mathrm{ref}` in seconds (default 0.002; the paper used 0.001-0.004).
    gamma : float
        Smoothing :math:`\gamma` of the softplus, in units of the threshold (default 0.05).
    amplitude : float
        :math:`A`, the activation a rate of 1 Hz stands for (default 0.01: 100 Hz -> 1).
    noise : float
        :math:`\sigma_n` of the training noise, relative to :math:`A/\tau_\mathrm{ref}` (default 0).
    random_state : None, int or Generator
        Noise generator.
    """

    def __init__(self, tau_rc=0.02, tau_ref=0.002, gamma=0.05, amplitude=0.01, noise=0.0, random_state=None):
        self.tau_rc = V.positive("tau_rc", tau_rc, "s")
        self.tau_ref = V.real("tau_ref", tau_ref, low=0.0)
        self.gamma = V.positive("gamma", gamma)
        self.amplitude = V.positive("amplitude", amplitude)
        self.noise = V.real("noise", noise, low=0.0)
        self._rng = V.rng(random_state)

    def _softplus(self, z):
        u = z / self.gamma
        p = self.gamma * (np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u))))
        return np.maximum(p, 1e-300), u

    def forward(self, x, training=False):
        z = np.asarray(x, np.float64)
        p, u = self._softplus(z)
        y = self.amplitude / (self.tau_ref + self.tau_rc * np.log1p(1.0 / p))
        self._p, self._u, self._y = p, u, y
        if training and self.noise > 0:
            y = y + self._rng.normal(0.0, self.noise * self.amplitude / max(self.tau_ref, 1e-3), y.shape)
        return y.astype(np.float32)

    def backward(self, g):
        p, u, y = self._p, self._u, self._y
        sig = np.exp(-np.logaddexp(0.0, -u))  # logistic 1/(1 + e^-u), accurate far into the tails
        dy = (y * y / self.amplitude) * self.tau_rc * sig / (p * (p + 1.0))
        return (g * dy).astype(np.float32)

    def rate(self, j):
        r"""Rate :math:`r(j)` (Hz) of the LIF neuron the layer converts to, for a constant input current
        :math:`j` (threshold 1), without smoothing: the spiking network's target."""
        j = np.asarray(j, np.float64)
        out = np.zeros_like(j)
        on = j > 1.0
        out[on] = 1.0 / (self.tau_ref + self.tau_rc * np.log1p(1.0 / (j[on] - 1.0)))
        return out

    def __repr__(self):
        return "SoftLIF(tau_rc=%g, tau_ref=%g, gamma=%g, amplitude=%g)" % (
            self.tau_rc, self.tau_ref, self.gamma, self.amplitude)


class Flatten(Layer):
    """Flatten every axis after the batch axis: (N, C, H, W) -> (N, C H W) (row-major, as ONNX)."""

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, g):
        return g.reshape(self._shape)

    def output_shape(self, in_shape):
        return (int(np.prod(in_shape)),)


class Reshape(Layer):
    """Give every sample a new shape with the same values in the same (row-major) order, as ONNX
    ``Reshape`` does; e.g. a one-channel image stored ``(H, W, 1)`` becomes ``(1, H, W)``.

    Parameters
    ----------
    shape : tuple of int
        Per-sample output shape (its product equals the input's).
    """

    def __init__(self, shape):
        self.shape = tuple(V.integer("shape", s, low=1) for s in np.atleast_1d(shape).tolist())

    def forward(self, x, training=False):
        self._shape = x.shape
        if int(np.prod(x.shape[1:])) != int(np.prod(self.shape)):
            V.fail("x", V._Described("<array of shape %s>" % (x.shape,)),
                   "%d values per sample for Reshape%s" % (int(np.prod(self.shape)), self.shape))
        return x.reshape((x.shape[0],) + self.shape)

    def backward(self, g):
        return g.reshape(self._shape)

    def output_shape(self, in_shape):
        if int(np.prod(in_shape)) != int(np.prod(self.shape)):
            V.fail("shape", self.shape, "a shape of %d values (the input is %s)" % (int(np.prod(in_shape)), in_shape))
        return self.shape

    def __repr__(self):
        return "Reshape(%s)" % (self.shape,)


class Transpose(Layer):
    """Permute the axes of every sample (ONNX ``Transpose`` with the batch axis kept first), e.g.
    ``axes=(2, 0, 1)`` turns channels-last ``(H, W, C)`` images (Keras/TensorFlow) into ``(C, H, W)``.

    Parameters
    ----------
    axes : tuple of int
        Per-sample permutation: output axis ``i`` is input axis ``axes[i]``.
    """

    def __init__(self, axes):
        axes = tuple(V.integer("axes", a, low=0) for a in np.atleast_1d(axes).tolist())
        if sorted(axes) != list(range(len(axes))):
            V.fail("axes", axes, "a permutation of 0..%d" % (len(axes) - 1))
        self.axes = axes

    def _check(self, in_shape):
        if len(in_shape) != len(self.axes):
            V.fail("axes", self.axes, "one axis per input axis (the input is %s)" % (tuple(in_shape),))

    def forward(self, x, training=False):
        self._check(x.shape[1:])
        return np.ascontiguousarray(x.transpose((0,) + tuple(a + 1 for a in self.axes)))

    def backward(self, g):
        inverse = np.argsort(self.axes)
        return np.ascontiguousarray(g.transpose((0,) + tuple(int(a) + 1 for a in inverse)))

    def output_shape(self, in_shape):
        self._check(in_shape)
        return tuple(int(in_shape[a]) for a in self.axes)

    def __repr__(self):
        return "Transpose(%s)" % (self.axes,)


class Dropout(Layer):
    r"""Inverted dropout (Srivastava et al., 2014): in training :math:`y = x \odot m / (1 - r)`
    with :math:`m_i \sim \mathrm{Bernoulli}(1 - r)`; the identity at inference.

    Parameters
    ----------
    rate : float
        Drop probability :math:`r` in [0, 1).
    random_state : None, int or Generator
    """

    def __init__(self, rate=0.5, random_state=None):
        self.rate = V.real("rate", rate, low=0.0, high=1.0, high_open=True)
        self._rng = V.rng(random_state)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        self._mask = (self._rng.random(x.shape) >= self.rate).astype(x.dtype) / np.float32(1.0 - self.rate)
        return x * self._mask

    def backward(self, g):
        return g if self._mask is None else g * self._mask

    def __repr__(self):
        return "Dropout(rate=%g)" % self.rate


class Softmax(Layer):
    r"""Softmax over the last axis, :math:`y_k = e^{x_k - \max x} / \sum_j e^{x_j - \max x}`.
    Backward: :math:`\partial L/\partial x = y \odot (g - \sum_k g_k y_k)`. A trailing softmax is
    ignored by conversion (the class is the argmax of the logits)."""

    def forward(self, x, training=False):
        e = np.exp(x - x.max(-1, keepdims=True))
        self._y = e / e.sum(-1, keepdims=True)
        return self._y

    def backward(self, g):
        return self._y * (g - (g * self._y).sum(-1, keepdims=True))


class Scale(Layer):
    r"""Fixed element-wise affine map :math:`y = a \odot x + c` (input normalisation such as
    ``(x - mean) / std``, imported from ONNX ``Sub``/``Mul``/``Div``/``Add`` by constants). No
    trainable parameters; :math:`a` and :math:`c` broadcast against the per-sample shape.

    Parameters
    ----------
    scale, shift : float or array
        :math:`a` and :math:`c`.
    """

    def __init__(self, scale=1.0, shift=0.0):
        self.scale = V.array("scale", scale, dtype=np.float32, finite=True)
        self.shift = V.array("shift", shift, dtype=np.float32, finite=True)

    def forward(self, x, training=False):
        return (x * self.scale + self.shift).astype(np.float32, copy=False)

    def backward(self, g):
        return g * self.scale

    def output_shape(self, in_shape):
        in_shape = tuple(in_shape)
        for name, value in (("scale", self.scale), ("shift", self.shift)):
            try:
                out = np.broadcast_shapes(in_shape, value.shape)
            except ValueError:
                out = None
            if out != in_shape:
                V.fail(name, V._Described("<array of shape %s>" % (value.shape,)),
                       "a scalar or an array that broadcasts to the per-sample shape %s" % (in_shape,))
        return in_shape

    def __repr__(self):
        return "Scale(scale=%s, shift=%s)" % (np.array2string(self.scale, threshold=4),
                                              np.array2string(self.shift, threshold=4))


class Residual(Layer):
    r"""A residual block (He, Zhang, Ren & Sun, 2016, "Deep residual learning for image
    recognition"): two chains of layers applied to the same input and added,

    .. math:: y = F(x) + G(x),

    with :math:`F` the ``branch`` and :math:`G` the ``shortcut`` (the identity, :math:`G(x) = x`,
    when ``shortcut`` is None or empty; else a projection such as a strided 1x1 convolution with
    its batch norm). The activation that usually follows the addition (ResNet's
    :math:`\mathrm{ReLU}(F(x) + x)`) is the next layer of the enclosing :class:`~.ann.Sequential`.

    Backward: the gradient reaches the input through both chains,
    :math:`\partial L/\partial x = J_F^\top g + J_G^\top g`.

    Parameters
    ----------
    branch : list of Layer
        :math:`F`, at least one layer.
    shortcut : list of Layer or None
        :math:`G`; None or ``[]`` for the identity.
    """

    def __init__(self, branch, shortcut=None):
        self.branch = V.sequence("branch", branch, "a non-empty list of layers")
        self.shortcut = [] if shortcut is None else V.sequence("shortcut", shortcut, "a list of layers or None")
        if not self.branch:
            V.fail("branch", branch, "a non-empty list of layers")
        for name, chain in (("branch", self.branch), ("shortcut", self.shortcut)):
            for i, layer in enumerate(chain):
                if not isinstance(layer, Layer):
                    V.fail("%s[%d]" % (name, i), layer, "a layer of spikecore.conversion.layers", TypeError)
        self.params = [p for layer in self.branch + self.shortcut for p in layer.params]
        self.grads = [g for layer in self.branch + self.shortcut for g in layer.grads]

    @staticmethod
    def _shapes(chain, in_shape):
        shape = tuple(in_shape)
        for layer in chain:
            shape = tuple(layer.output_shape(shape))
        return shape

    def output_shape(self, in_shape):
        out = self._shapes(self.branch, in_shape)
        short = self._shapes(self.shortcut, in_shape)
        if out != short:
            V.fail("shortcut", self.shortcut or "<identity>",
                   "a shortcut whose output shape equals the branch's: the branch gives %s, the shortcut %s "
                   "(input %s)" % (out, short, tuple(in_shape)))
        return out

    def forward(self, x, training=False):
        y = x
        for layer in self.branch:
            y = layer.forward(y, training)
        s = x
        for layer in self.shortcut:
            s = layer.forward(s, training)
        return y + s

    def backward(self, g):
        gb = g
        for layer in reversed(self.branch):
            gb = layer.backward(gb)
        gs = g
        for layer in reversed(self.shortcut):
            gs = layer.backward(gs)
        return gb + gs

    def __repr__(self):
        return "Residual([%s], shortcut=%s)" % (", ".join(map(repr, self.branch)),
                                                "[%s]" % ", ".join(map(repr, self.shortcut)) if self.shortcut
                                                else "identity")


class Concat(Layer):
    r"""Branches applied to the same input and concatenated along the channels (the first
    per-sample axis): SqueezeNet's fire modules (Iandola et al., 2016), GoogLeNet's inception
    modules (Szegedy et al., 2015), DenseNet's :math:`[x, F(x)]` (Huang et al., 2017),

    .. math:: y = \big[F_1(x);\ F_2(x);\ \dots;\ F_k(x)\big],

    with :math:`F_j` the ``branches`` (an empty branch is the identity, :math:`F_j(x) = x`).

    Backward: the gradient splits by channels and reaches the input through every branch,
    :math:`\partial L/\partial x = \sum_j J_{F_j}^\top g_j`.

    Parameters
    ----------
    branches : list of lists of Layer
        At least two; every branch's output has the same shape but for the first axis.
    """

    def __init__(self, branches):
        self.branches = [list(b) for b in V.sequence("branches", branches, "a list of at least two lists of layers")]
        if len(self.branches) < 2:
            V.fail("branches", branches, "a list of at least two lists of layers")
        for j, chain in enumerate(self.branches):
            for i, layer in enumerate(chain):
                if not isinstance(layer, Layer):
                    V.fail("branches[%d][%d]" % (j, i), layer, "a layer of spikecore.conversion.layers", TypeError)
        self.params = [p for chain in self.branches for layer in chain for p in layer.params]
        self.grads = [g for chain in self.branches for layer in chain for g in layer.grads]
        self._sizes = None

    def branch_shapes(self, in_shape):
        """Per-sample output shape of every branch."""
        return [Residual._shapes(chain, in_shape) for chain in self.branches]

    def output_shape(self, in_shape):
        shapes = self.branch_shapes(in_shape)
        if any(len(s) != len(shapes[0]) or s[1:] != shapes[0][1:] for s in shapes):
            V.fail("branches", "<branch outputs %s>" % shapes,
                   "branches whose outputs differ only in the first (channel) axis (input %s)" % (tuple(in_shape),))
        return (sum(s[0] for s in shapes),) + tuple(shapes[0][1:])

    def forward(self, x, training=False):
        outs = []
        for chain in self.branches:
            y = x
            for layer in chain:
                y = layer.forward(y, training)
            outs.append(y)
        self._sizes = [y.shape[1] for y in outs]
        return np.concatenate(outs, axis=1)

    def backward(self, g):
        total = None
        start = 0
        for chain, size in zip(self.branches, self._sizes):
            gj = g[:, start:start + size]
            start += size
            for layer in reversed(chain):
                gj = layer.backward(gj)
            total = gj if total is None else total + gj
        return total

    def __repr__(self):
        return "Concat(%s)" % ", ".join("[%s]" % ", ".join(map(repr, chain)) if chain else "identity"
                                        for chain in self.branches)
