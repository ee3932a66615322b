r"""A feed-forward artificial neural network in NumPy, trained by hand-written backpropagation.

:class:`Sequential` chains the layers of :mod:`spikecore.conversion.layers` and trains them with
the softmax cross-entropy loss

.. math:: L = -\frac{1}{N} \sum_{n} \log \frac{e^{z_{n, y_n}}}{\sum_k e^{z_{n,k}}},\qquad
          \frac{\partial L}{\partial z} = \frac{\mathrm{softmax}(z) - \mathrm{onehot}(y)}{N}

(:math:`z` the logits, the output of the last layer that is not a :class:`~.layers.Softmax`),
back-propagated layer by layer (Rumelhart, Hinton & Williams, 1986), with the SGD or Adam
optimisers of :mod:`spikecore.learning.optimizers`. :func:`mlp`, :func:`small_cnn` and
:func:`small_resnet` build the networks the conversion tests and benchmarks use.
"""
import numpy as np

from spikecore import _validate as V
from spikecore.learning.optimizers import SGD, Adam

from .layers import (QCFS, AvgPool2D, BatchNorm, ClippedReLU, Conv2D, Dense, Flatten, Layer, MaxPool2D,
                     ReLU, Residual, SoftLIF, Softmax, Concat)

__all__ = ["Sequential", "mlp", "small_cnn", "small_resnet"]


class Sequential:
    r"""A chain of layers :math:`f = f_L \circ \dots \circ f_1` on inputs of one per-sample shape.

    Parameters
    ----------
    layers : list of Layer
        The layers of :mod:`spikecore.conversion.layers`, in order.
    input_shape : tuple of int
        Per-sample input shape: ``(features,)`` or ``(C, H, W)``.

    Attributes
    ----------
    shapes : list of tuple
        Per-sample output shape of every layer (``shapes[i]`` after ``layers[i]``).
    """

    def __init__(self, layers, input_shape):
        layers = V.sequence("layers", layers, "a non-empty list of layers")
        if not layers:
            V.fail("layers", layers, "a non-empty list of layers")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                V.fail("layers[%d]" % i, layer, "a layer of spikecore.conversion.layers", TypeError)
        self.layers = layers
        self.input_shape = _shape("input_shape", input_shape)
        self.shapes = []
        shape = self.input_shape
        for i, layer in enumerate(layers):
            try:
                shape = tuple(layer.output_shape(shape))
            except ValueError as exc:
                V.fail("layers[%d]" % i, layer, "a layer that accepts the per-sample shape %s it receives (input_shape "
                       "= %s): %s" % (shape, self.input_shape, exc))
            if any(s < 1 for s in shape):
                V.fail("layers[%d]" % i, layer, "a layer whose output is not empty: it turns the per-sample shape %s "
                       "into %s (input_shape = %s)" % (self.shapes[-1] if self.shapes else self.input_shape, shape,
                                                        self.input_shape))
            self.shapes.append(shape)

    # ------------------------------------------------------------------ inference
    def check_input(self, X, name="X"):
        """``X`` as a float32 array of shape ``(N, *input_shape)``; a flat ``(N, prod(shape))`` is
        reshaped. Raises ValueError naming ``name`` otherwise."""
        X = V.array(name, X, dtype=np.float32, finite=True)
        size = int(np.prod(self.input_shape))
        if X.ndim == 2 and X.shape[1] == size:
            return X.reshape((X.shape[0],) + self.input_shape)
        if X.shape[1:] != self.input_shape or X.ndim < 2:
            V.fail(name, V._Described("<array of shape %s>" % (X.shape,)),
                   "shape (n_samples, %s) or (n_samples, %d)" % (", ".join(map(str, self.input_shape)), size))
        return X

    def logits(self, X, batch_size=512):
        """Output of the last layer before a trailing softmax (the logits :math:`z`)."""
        X = self.check_input(X)
        batch_size = V.integer("batch_size", batch_size, low=1)
        stop = len(self.layers) - (1 if isinstance(self.layers[-1], Softmax) else 0)
        out = []
        for i in range(0, X.shape[0], batch_size):
            h = X[i:i + batch_size]
            for layer in self.layers[:stop]:
                h = layer.forward(h)
            out.append(h)
        return np.concatenate(out) if out else np.zeros((0,) + self.shapes[stop - 1], np.float32)

    def forward(self, X, training=False):
        """Output of every layer for a batch: list ``[a_1, ..., a_L]`` (``a_i`` after ``layers[i]``)."""
        h = self.check_input(X)
        acts = []
        for layer in self.layers:
            h = layer.forward(h, training)
            acts.append(h)
        return acts

    def predict(self, X):
        """Class labels :math:`\\arg\\max_k z_k`."""
        z = self.logits(X)
        return z.reshape(z.shape[0], int(np.prod(z.shape[1:]))).argmax(1)

    def score(self, X, y):
        """Classification accuracy on ``(X, y)``."""
        X = self.check_input(X)
        y = V.array("y", y, ndim=1, kinds="iu")
        if y.shape[0] != X.shape[0]:
            V.fail("y", V._Described("<%d labels>" % y.shape[0]), "one label per sample (%d)" % X.shape[0])
        return float(np.mean(self.predict(X) == y))

    def macs(self):
        """Multiply-accumulates of one inference, per layer (dense and convolution layers), and the
        additions of average pooling and of residual sums: a list of ``(name, macs, adds)``
        (the layers inside a :class:`~.layers.Residual` are listed as ``"i.branch.k"`` and
        ``"i.shortcut.k"``). A weight of exactly 0 is no connection (the zero taps of an imported
        grouped or depthwise convolution, pruned weights) and is not counted."""
        return _mac_rows(self.layers, self.input_shape, "")

    # ------------------------------------------------------------------ training
    def fit(self, X, y, *, epochs=20, batch_size=64, optimizer="adam", learning_rate=1e-3,
            random_state=None, verbose=False):
        """Train with mini-batch softmax cross-entropy (module docstring) and SGD or Adam.

        Parameters
        ----------
        X : array (n_samples, *input_shape)
        y : int array (n_samples,)
            Class labels in ``0 .. n_outputs - 1``.
        epochs, batch_size : int
        optimizer : {"adam", "sgd"} or an optimiser object with ``step(params, grads)``
            Adam (Kingma & Ba, 2015) or SGD with momentum 0.9 (:mod:`spikecore.learning.optimizers`).
        learning_rate : float
        random_state : None, int or Generator
            Shuffling order.
        verbose : bool
            Print the loss after every epoch.

        Returns
        -------
        self
        """
        X = self.check_input(X)
        y = V.array("y", y, ndim=1, kinds="iu").astype(np.int64)
        if y.shape[0] != X.shape[0]:
            V.fail("y", V._Described("<%d labels>" % y.shape[0]), "one label per sample (%d)" % X.shape[0])
        n_out = int(np.prod(self.shapes[-1]))
        if y.size and (y.min() < 0 or y.max() >= n_out):
            V.fail("y", V._Described("<labels in [%d, %d]>" % (y.min(), y.max())), "labels in [0, %d]" % (n_out - 1))
        epochs = V.integer("epochs", epochs, low=1)
        batch_size = V.integer("batch_size", batch_size, low=1)
        if isinstance(optimizer, str):
            V.choice("optimizer", optimizer, ("adam", "sgd"))
            optimizer = (Adam(learning_rate) if optimizer == "adam" else SGD(learning_rate, momentum=0.9))
        elif not callable(getattr(optimizer, "step", None)):
            V.fail("optimizer", optimizer, "'adam', 'sgd' or an optimiser object with step(params, grads)", TypeError)
        gen = V.rng(random_state)
        verbose = V.flag("verbose", verbose)
        stop = len(self.layers) - (1 if isinstance(self.layers[-1], Softmax) else 0)
        params = [p for layer in self.layers for p in layer.params]
        grads = [g for layer in self.layers for g in layer.grads]
        self.loss_curve_ = []
        for epoch in range(epochs):
            order = gen.permutation(X.shape[0])
            total = 0.0
            for i in range(0, X.shape[0], batch_size):
                idx = order[i:i + batch_size]
                h = X[idx]
                for layer in self.layers[:stop]:
                    h = layer.forward(h, training=True)
                z = h.reshape(len(idx), -1)
                e = np.exp(z - z.max(1, keepdims=True))
                p = e / e.sum(1, keepdims=True)
                total += -np.log(np.maximum(p[np.arange(len(idx)), y[idx]], 1e-30)).sum()
                g = p
                g[np.arange(len(idx)), y[idx]] -= 1.0
                g = (g / len(idx)).astype(np.float32).reshape(h.shape)
                for layer in reversed(self.layers[:stop]):
                    g = layer.backward(g)
                optimizer.step(params, grads)
            self.loss_curve_.append(total / X.shape[0])
            if verbose:
                print("epoch %d: loss %.4f" % (epoch + 1, self.loss_curve_[-1]))
        return self

    def __repr__(self):
        return "Sequential([%s], input_shape=%s)" % (", ".join(map(repr, self.layers)), self.input_shape)


def _mac_rows(layers, shape, prefix):
    """The rows of :meth:`Sequential.macs` for a chain of layers fed the per-sample ``shape``."""
    rows = []
    for i, layer in enumerate(layers):
        name = "%s%d" % (prefix, i)
        out = tuple(layer.output_shape(shape))
        if isinstance(layer, Dense):
            rows.append(("%s:%r" % (name, layer), int(np.count_nonzero(layer.weight)), 0))
        elif isinstance(layer, Conv2D):
            rows.append(("%s:%r" % (name, layer), int(np.prod(out[1:])) * int(np.count_nonzero(layer.weight)), 0))
        elif isinstance(layer, AvgPool2D):
            rows.append(("%s:%r" % (name, layer), 0, int(np.prod(out)) * layer.kernel_size[0] * layer.kernel_size[1]))
        elif isinstance(layer, Residual):
            rows += _mac_rows(layer.branch, shape, name + ".branch.")
            rows += _mac_rows(layer.shortcut, shape, name + ".shortcut.")
            rows.append(("%s:sum" % name, 0, int(np.prod(out))))
        elif isinstance(layer, Concat):
            for j, chain in enumerate(layer.branches):
                rows += _mac_rows(chain, shape, "%s.branch%d." % (name, j))
        shape = out
    return rows


def _shape(name, shape):
    """A per-sample shape: a positive integer or a non-empty sequence of them (no float truncated)."""
    if isinstance(shape, (str, bytes)):
        V.fail(name, shape, "a positive integer or a tuple of them", TypeError)
    dims = np.atleast_1d(np.asarray(shape, dtype=object) if not isinstance(shape, np.ndarray) else shape)
    if dims.ndim != 1 or dims.size == 0:
        V.fail(name, shape, "a positive integer or a non-empty tuple of them")
    return tuple(V.integer(name, s, low=1) for s in dims.tolist())


def _softlif_options(softlif):
    if softlif is None:
        return {}
    if not isinstance(softlif, dict):
        V.fail("softlif", softlif, "None or a dict of SoftLIF keyword arguments (tau_rc, tau_ref, gamma, amplitude, "
               "noise)", TypeError)
    known = ("tau_rc", "tau_ref", "gamma", "amplitude", "noise")
    for key in softlif:
        if key not in known:
            V.fail("softlif", softlif, "keys among %s (SoftLIF's arguments; random_state comes from the network's)"
                   % ", ".join(known), TypeError)
    return softlif


def _activation(activation, ceiling, levels, softlif, gen):
    if activation == "relu":
        return ReLU()
    if activation == "clipped":
        return ClippedReLU(ceiling)
    if activation == "qcfs":
        return QCFS(levels, ceiling)
    return SoftLIF(**dict(_softlif_options(softlif), random_state=gen))


def mlp(sizes, *, activation="relu", ceiling=1.0, levels=8, dropout=0.0, softlif=None, random_state=None):
    """A multilayer perceptron ``sizes[0] -> ... -> sizes[-1]``: Dense layers with ReLU (or
    :class:`~.layers.ClippedReLU` with ``activation="clipped"``, :class:`~.layers.QCFS` with
    ``activation="qcfs"``, :class:`~.layers.SoftLIF` with ``activation="softlif"``) between them
    and linear logits.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first (e.g. ``(64, 128, 64, 10)``).
    activation : {"relu", "clipped", "qcfs", "softlif"}
    ceiling : float
        Ceiling :math:`\\lambda` of the clipped ReLU (Deng & Gu, 2021), initial threshold of QCFS.
    levels : int
        Quantisation steps :math:`L` of QCFS (Bu et al., 2022).
    dropout : float
        Dropout rate after each hidden activation (0: none).
    softlif : dict, optional
        Keyword arguments of :class:`~.layers.SoftLIF` (``tau_rc``, ``tau_ref``, ``gamma``,
        ``amplitude``, ``noise``) for ``activation="softlif"`` (Hunsberger & Eliasmith, 2015).
    random_state : None, int or Generator

    Returns
    -------
    Sequential
    """
    from .layers import Dropout
    sizes = [V.integer("sizes", s, low=1) for s in V.sequence("sizes", sizes, "a sequence of layer widths")]
    if len(sizes) < 2:
        V.fail("sizes", sizes, "at least two widths (input and output)")
    V.choice("activation", activation, ("relu", "clipped", "qcfs", "softlif"))
    dropout = V.real("dropout", dropout, low=0.0, high=1.0, high_open=True)
    if activation == "softlif":
        _softlif_options(softlif)
    gen = V.rng(random_state)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, random_state=gen))
        if i < len(sizes) - 2:
            layers.append(_activation(activation, ceiling, levels, softlif, gen))
            if dropout:
                layers.append(Dropout(dropout, random_state=gen))
    return Sequential(layers, (sizes[0],))


def _image_net_args(pool, input_shape, n_classes, channels):
    """Checked arguments of :func:`small_cnn` / :func:`small_resnet`: ``(input_shape, n_classes,
    channels)``."""
    V.choice("pool", pool, ("avg", "max"))
    input_shape = _shape("input_shape", input_shape)
    if len(input_shape) != 3:
        V.fail("input_shape", input_shape, "(C, H, W)")
    n_classes = V.integer("n_classes", n_classes, low=1)
    channels = [V.integer("channels", c, low=1)
                for c in V.sequence("channels", channels, "a non-empty sequence of channel counts")]
    if not channels:
        V.fail("channels", channels, "a non-empty sequence of channel counts")
    return input_shape, n_classes, channels


def small_cnn(input_shape=(1, 8, 8), n_classes=10, *, channels=(16, 32), pool="avg", batch_norm=True,
              activation="relu", ceiling=1.0, softlif=None, random_state=None):
    """A small CNN: ``[Conv3x3(pad 1) -> BatchNorm -> ReLU -> Pool2] x 2 -> Flatten -> Dense``.

    Parameters
    ----------
    input_shape : (C, H, W)
        H and W divisible by 4.
    n_classes : int
    channels : pair of int
        Channels of the two convolutions.
    pool : {"avg", "max"}
        Pooling (2x2, stride 2).
    batch_norm : bool
        Insert batch normalisation after each convolution (folded at conversion).
    activation : {"relu", "clipped", "qcfs", "softlif"}
    ceiling : float
        Ceiling of the clipped ReLU (initial threshold of QCFS).
    softlif : dict, optional
        Keyword arguments of :class:`~.layers.SoftLIF` for ``activation="softlif"``.
    random_state : None, int or Generator

    Returns
    -------
    Sequential
    """
    V.choice("activation", activation, ("relu", "clipped", "qcfs", "softlif"))
    input_shape, n_classes, channels = _image_net_args(pool, input_shape, n_classes, channels)
    batch_norm = V.flag("batch_norm", batch_norm)
    c, h, w = input_shape
    if min(h, w) >> len(channels) < 1:
        V.fail("input_shape", input_shape, "H and W of at least 2**%d = %d (each of the %d stages halves them)"
               % (len(channels), 1 << len(channels), len(channels)))
    if activation == "softlif":
        _softlif_options(softlif)
    gen = V.rng(random_state)
    layers = []
    for cout in channels:
        layers.append(Conv2D(c, cout, 3, padding=1, random_state=gen))
        if batch_norm:
            layers.append(BatchNorm(cout))
        layers.append(_activation(activation, ceiling, 8, softlif, gen))
        layers.append(AvgPool2D(2) if pool == "avg" else MaxPool2D(2))
        c, h, w = cout, h // 2, w // 2
    layers += [Flatten(), Dense(c * h * w, n_classes, random_state=gen)]
    return Sequential(layers, input_shape)


def small_resnet(input_shape=(1, 8, 8), n_classes=10, *, channels=(8, 16), pool="avg", random_state=None):
    r"""A small residual CNN (He, Zhang, Ren & Sun, 2016, ResNet v1 basic blocks):

    ``Conv3x3 -> BN -> ReLU``, then per entry of ``channels`` one basic block
    :math:`\mathrm{ReLU}(F(x) + G(x))` with :math:`F` = ``Conv3x3 -> BN -> ReLU -> Conv3x3 -> BN``
    (the first block keeps the stem's channels and size, :math:`G` the identity; every later
    block halves H and W with stride 2 and changes the channels, :math:`G` a strided 1x1
    convolution with its batch norm), then a 2x2 pooling, ``Flatten`` and ``Dense``.

    Parameters
    ----------
    input_shape : (C, H, W)
        H and W divisible by :math:`2^{\mathrm{len(channels)}}`.
    n_classes : int
    channels : sequence of int
        Channels of the stem and first block, then of each further (strided) block.
    pool : {"avg", "max"}
        The pooling before the dense layer.
    random_state : None, int or Generator

    Returns
    -------
    Sequential
    """
    input_shape, n_classes, channels = _image_net_args(pool, input_shape, n_classes, channels)
    c, h, w = input_shape
    halvings = len(channels)  # every block after the first, and the final pooling
    if h % (1 << halvings) or w % (1 << halvings):
        V.fail("input_shape", input_shape, "H and W divisible by 2**%d = %d (%d strided blocks and the pooling)"
               % (halvings, 1 << halvings, halvings - 1))
    gen = V.rng(random_state)
    layers = [Conv2D(c, channels[0], 3, padding=1, random_state=gen), BatchNorm(channels[0]), ReLU()]
    c = channels[0]
    for k, cout in enumerate(channels):
        stride = 1 if k == 0 else 2
        branch = [Conv2D(c, cout, 3, stride=stride, padding=1, random_state=gen), BatchNorm(cout), ReLU(),
                  Conv2D(cout, cout, 3, padding=1, random_state=gen), BatchNorm(cout)]
        shortcut = None if k == 0 else [Conv2D(c, cout, 1, stride=2, random_state=gen), BatchNorm(cout)]
        layers += [Residual(branch, shortcut), ReLU()]
        c, h, w = cout, h // stride, w // stride
    layers += [AvgPool2D(2) if pool == "avg" else MaxPool2D(2), Flatten(),
               Dense(c * (h // 2) * (w // 2), n_classes, random_state=gen)]
    return Sequential(layers, input_shape)
