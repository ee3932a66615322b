"""``SurrogateGradientClassifier``: a spiking MLP trained by surrogate-gradient BPTT, sklearn-style."""
import time

import numpy as np
from tqdm.auto import tqdm

from spikecore import _validate
from spikecore.learning.base import BaseEstimator, ClassifierMixin
from spikecore.learning.blas_threads import limit_blas_threads
from spikecore.learning.bptt import build_mlp
from spikecore.learning.conv import _shape3, build_convnet
from spikecore.learning.losses import cross_entropy, mse_count, softmax
from spikecore.learning.optimizers import SGD, Adam
from spikecore.learning.surrogates import surrogate_alpha


class SurrogateGradientClassifier(ClassifierMixin, BaseEstimator):
    """Spiking multilayer perceptron of LIF neurons trained by surrogate-gradient BPTT.

    The network ``n_features - hidden_layer_sizes... - n_classes`` is unrolled over ``T =
    n_steps`` steps and trained by backpropagation through time with a surrogate derivative of
    the spike function (STBP, Wu et al. 2018; surrogates of Zenke & Ganguli 2018 and Shrestha &
    Orchard 2018). Hidden layers are LIF (:class:`spikecore.learning.bptt.DenseLIF`)::

        u[t] = beta u[t-1] + W x[t] + b - theta s[t-1]     (soft reset; or hard: beta u[t-1](1-s[t-1]))
        s[t] = H(u[t] - theta)

    The output is either a non-spiking leaky readout whose time-averaged membrane gives the
    logits (``readout="membrane"``, default), or a LIF layer whose spike counts do
    (``readout="spike_count"``). Every backward equation is in :mod:`spikecore.learning.bptt`.

    Input encoding (done by the estimator):

    - ``"direct"`` (default): each feature is standardised with the training mean and standard
      deviation (constant features are only centred), ``z = (x - mean) / std``, and injected as a
      constant current every step (Rueckauer et al. 2017; Wu et al. 2019 "direct training").
      Works on any tabular data and on images in ``[0, 1]`` without tuning.
    - ``"rate"``: each feature is scaled to ``[0, 1]`` with the training minimum and maximum and
      drives a Bernoulli spike train with that probability per step (rate coding). Predictions
      use one field of random numbers drawn from a seed fixed at ``fit`` and shared by all rows,
      so they are repeatable and each row's answer does not depend on the rest of the batch.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        Widths of the hidden LIF layers (may be empty).
    n_steps : int
        Number of time steps ``T >= 1``.
    encoding : {"direct", "rate"}
        Input encoding, above.
    conv_channels : tuple of int
        If not empty, the network starts with one block per entry: a 3x3 convolution (same
        padding) of LIF neurons with that many channels followed by 2x2 average pooling
        (:func:`spikecore.learning.conv.build_convnet`; Wu et al. 2019), then flattens into the
        hidden layers. Needs ``input_shape``.
    input_shape : tuple or None
        ``(height, width)`` or ``(channels, height, width)`` of each row of ``X`` (row-major),
        for the convolutional layers; its product must equal ``n_features``.
    beta : float
        Leak factor per step ``exp(-dt/tau_mem)`` in ``[0, 1]`` of every layer (1: IF neurons).
    threshold : float
        Firing threshold ``theta > 0``.
    reset : {"soft", "hard"}
        Subtract ``theta`` after a spike, or reset the membrane to zero.
    detach_reset : bool
        Treat the reset as a constant in the backward pass (snnTorch's default).
    surrogate : {"fast_sigmoid", "arctan", "triangle", "exponential"}
        Surrogate derivative (``spikecore.learning.surrogates``).
    surrogate_scale : float or None
        Its sharpness ``alpha``; ``None`` uses the surrogate's default (25, 2, 1, 5).
    readout : {"membrane", "spike_count"}
        Output layer, above.
    loss : {"cross_entropy", "mse_count"}
        Softmax cross-entropy on the output, or MSE between output spike counts and targets
        ``0.8 T`` (true class) / ``0.2 T`` (others); ``"mse_count"`` needs
        ``readout="spike_count"``.
    train_beta, train_threshold : bool
        Also learn the per-neuron leaks / thresholds of the LIF layers (DIET-SNN, Rathi & Roy 2021).
    recurrent : bool
        Give every dense hidden layer recurrent weights ``V`` (``I[t] = W x[t] + b + V s[t-1]``;
        :class:`spikecore.learning.bptt.RecurrentLIF`, Bellec et al. 2018). Costs ``O(T B n^2)``
        more per pass for a layer of width ``n``.
    truncation : int or None
        Truncated BPTT (Williams & Peng 1990): backpropagate through windows of ``K = truncation``
        steps, carrying the neuron state forward as a constant, so training memory grows with
        ``K`` instead of ``T`` (``O(K B n)`` instead of ``O(T B n)`` per layer; one extra forward
        pass). ``None`` (default) or ``K >= T``: full BPTT. See
        :class:`spikecore.learning.bptt.SpikingNetwork`.
    optimizer : {"adam", "sgd"}
        Adam (Kingma & Ba 2015) or SGD with momentum.
    learning_rate : float
        Step size.
    momentum : float
        SGD momentum in ``[0, 1)`` (ignored by Adam).
    batch_size : int
        Mini-batch size (clipped to the number of samples).
    max_epochs : int
        Maximum passes over the training data.
    early_stopping : bool
        Hold out ``validation_fraction`` of the training data (stratified), stop when its accuracy
        has not improved by ``tol`` for ``n_iter_no_change`` epochs, and keep the best weights.
        Otherwise training stops when the training loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs.
    validation_fraction : float
        In ``(0, 1)``.
    n_iter_no_change : int
        Patience in epochs.
    tol : float
        Minimum improvement.
    random_state : None, int or numpy.random.Generator
        Seeds weight initialisation, shuffling, the validation split and rate encoding.
    verbose : bool
        Show a tqdm progress bar with the loss.

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    n_features_in_ : int
        Number of input features.
    network_ : spikecore.learning.bptt.SpikingNetwork
        The trained network.
    history_ : list of float
        Mean training loss of each epoch.
    train_scores_ : list of float
        Accuracy on the training mini-batches of each epoch, as they were learned (before their
        own update).
    validation_scores_, validation_loss_ : list of float
        Validation accuracy and mean loss of each epoch (``early_stopping`` only; else empty).
    n_epochs_ : int
        Epochs run.
    report_ : dict
        Activity of the trained network on the training samples (one inference pass after
        ``fit``; see :meth:`spikecore.learning.bptt.SpikingNetwork.activity`): ``n_samples``,
        ``n_steps``, ``layers`` (class name of each LIF layer), ``neurons`` (their widths),
        ``spikes_per_sample`` (array: spikes of each LIF layer per sample over the ``T`` steps),
        ``spike_rate`` (array: spikes per neuron per step), ``input_spikes_per_sample`` (rate
        coding; 0 for direct coding), ``synaptic_operations_per_sample`` (spike-driven
        accumulates: events times fan-out), ``input_macs_per_sample`` (direct coding: analog input
        times fan-out, every step), ``seconds`` (wall time of ``fit``).

    Notes
    -----
    Memory during training grows as ``3 T B n`` floats per LIF layer of width ``n`` (batch
    ``B``): membrane, spikes and the backward buffer of every step are kept; ``3 K B n`` with
    ``truncation = K``.
    """

    def __init__(self, hidden_layer_sizes=(100,), n_steps=25, encoding="direct", conv_channels=(),
                 input_shape=None, beta=0.9,
                 threshold=1.0, reset="soft", detach_reset=True, surrogate="fast_sigmoid",
                 surrogate_scale=None, readout="membrane", loss="cross_entropy",
                 train_beta=False, train_threshold=False, recurrent=False, truncation=None,
                 optimizer="adam", learning_rate=1e-3,
                 momentum=0.9, batch_size=64, max_epochs=60, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, tol=1e-4, random_state=None,
                 verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_steps = n_steps
        self.encoding = encoding
        self.conv_channels = conv_channels
        self.input_shape = input_shape
        self.beta = beta
        self.threshold = threshold
        self.reset = reset
        self.detach_reset = detach_reset
        self.surrogate = surrogate
        self.surrogate_scale = surrogate_scale
        self.readout = readout
        self.loss = loss
        self.train_beta = train_beta
        self.train_threshold = train_threshold
        self.recurrent = recurrent
        self.truncation = truncation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        _validate.integer("n_steps", self.n_steps, low=1)
        _validate.choice("encoding", self.encoding, ("direct", "rate"))
        _validate.real("beta", self.beta, low=0.0, high=1.0)
        _validate.positive("threshold", self.threshold)
        _validate.choice("reset", self.reset, ("soft", "hard"))
        surrogate_alpha(self.surrogate, self.surrogate_scale)
        _validate.choice("readout", self.readout, ("membrane", "spike_count"))
        _validate.choice("loss", self.loss, ("cross_entropy", "mse_count"))
        if self.loss == "mse_count" and self.readout != "spike_count":
            _validate.fail("loss", self.loss, "'cross_entropy' when readout='membrane' "
                           "(mse_count needs readout='spike_count')")
        if self.truncation is not None:
            _validate.integer("truncation", self.truncation, low=1)
        _validate.choice("optimizer", self.optimizer, ("adam", "sgd"))
        _validate.positive("learning_rate", self.learning_rate)
        _validate.real("momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        _validate.integer("batch_size", self.batch_size, low=1)
        _validate.integer("max_epochs", self.max_epochs, low=1)
        _validate.real("validation_fraction", self.validation_fraction, low=0.0, high=1.0,
                       low_open=True, high_open=True)
        _validate.integer("n_iter_no_change", self.n_iter_no_change, low=1)
        _validate.nonnegative("tol", self.tol)
        try:
            sizes = tuple(self.hidden_layer_sizes)
        except TypeError:
            _validate.fail("hidden_layer_sizes", self.hidden_layer_sizes, "a tuple of positive integers",
                           TypeError)
        for h in sizes:
            _validate.integer("hidden_layer_sizes", h, low=1)
        try:
            conv = tuple(self.conv_channels)
        except TypeError:
            _validate.fail("conv_channels", self.conv_channels, "a tuple of positive integers", TypeError)
        for c in conv:
            _validate.integer("conv_channels", c, low=1)
        if conv and self.input_shape is None:
            _validate.fail("input_shape", None, "the (height, width) or (channels, height, width) of "
                           "each row of X when conv_channels is given")
        return sizes, conv

    # ------------------------------------------------------------------ encoding
    def _fit_encoder(self, X):
        if self.encoding == "direct":
            self._offset = X.mean(axis=0)
            std = X.std(axis=0)
            self._scale = np.where(std > 1e-12 * (1.0 + np.abs(self._offset)), std, 1.0)
        else:
            self._offset = X.min(axis=0)
            span = X.max(axis=0) - self._offset
            self._scale = np.where(span > 0, span, 1.0)

    def _encode(self, X, rng):
        """``(B, n)`` constant current (direct) or ``(T, B, n)`` Bernoulli spikes (rate).

        With ``rng=None`` (prediction) the rate code uses one frozen field of uniforms
        :math:`u_{t,m}` drawn from the seed fixed at ``fit`` and shared by every row,
        :math:`s_{t,i,m} = [u_{t,m} < p_{i,m}]`: each row's spikes, hence its prediction, are
        a function of that row alone (not of the other rows or of its position in ``X``).
        """
        z = ((X - self._offset) / self._scale).astype(np.float32)
        if self.encoding == "direct":
            return z
        p = np.clip(z, 0.0, 1.0)
        if rng is None:
            u = np.random.default_rng(self._predict_seed).random((self.n_steps, 1, p.shape[1]), dtype=np.float32)
        else:
            u = rng.random((self.n_steps,) + p.shape, dtype=np.float32)
        return (u < p).astype(np.float32)

    # ------------------------------------------------------------------ training
    def _loss(self, output, y):
        if self.loss == "cross_entropy":
            return cross_entropy(output, y)
        return mse_count(output, y, self.n_steps)

    def _split(self, y, rng):
        """Stratified train/validation indices."""
        val = []
        for k in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == k))
            n_val = int(round(self.validation_fraction * len(idx)))
            val.extend(idx[: min(n_val, len(idx) - 1)])
        val = np.array(sorted(val), dtype=np.int64)
        train = np.setdiff1d(np.arange(len(y)), val)
        if len(val) == 0:
            _validate.fail("validation_fraction", self.validation_fraction,
                           "a fraction that leaves at least one validation sample")
        return train, val

    def fit(self, X, y):
        """Train on ``X`` ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)``.

        BLAS runs single-threaded during training (:func:`spikecore.learning.limit_blas_threads`).

        Returns
        -------
        self
        """
        with limit_blas_threads(1):
            return self._fit(X, y)

    def _fit(self, X, y):
        t0 = time.perf_counter()
        sizes, conv = self._check_params()
        X, y = self._check_X_y(X, y)
        if conv:
            shape = _shape3("input_shape", self.input_shape)
            if int(np.prod(shape)) != X.shape[1]:
                _validate.fail("input_shape", self.input_shape, "a shape with %d elements, the number "
                               "of features of X" % X.shape[1])
        rng = _validate.rng(self.random_state)
        if self.early_stopping:
            train, val = self._split(y, rng)
        else:
            train, val = np.arange(len(y)), None
        self._fit_encoder(X[train])
        self._predict_seed = int(rng.integers(2 ** 63 - 1))
        lif = dict(n_steps=self.n_steps, readout=self.readout, beta=self.beta,
                   threshold=self.threshold, reset=self.reset, detach_reset=self.detach_reset,
                   surrogate=self.surrogate, surrogate_scale=self.surrogate_scale,
                   train_beta=self.train_beta, train_threshold=self.train_threshold,
                   recurrent=bool(self.recurrent), truncation=self.truncation, random_state=rng)
        if conv:
            net = build_convnet(shape, conv, len(self.classes_), hidden_layer_sizes=sizes, **lif)
        else:
            net = build_mlp(X.shape[1], sizes, len(self.classes_), **lif)
        if self.optimizer == "adam":
            opt = Adam(self.learning_rate)
        else:
            opt = SGD(self.learning_rate, self.momentum)
        self.network_ = net
        self.history_ = []
        self.train_scores_ = []
        self.validation_scores_ = []
        self.validation_loss_ = []
        best, best_params, stall = None, None, 0
        batch = min(self.batch_size, len(train))
        bar = tqdm(range(self.max_epochs), disable=not self.verbose, desc=type(self).__name__,
                   unit="epoch")
        epoch = 0
        for epoch in bar:
            order = rng.permutation(train)
            total = 0.0
            correct = 0
            for start in range(0, len(order), batch):
                idx = order[start:start + batch]
                out = net.forward(self._encode(X[idx], rng))
                loss, grad = self._loss(out, y[idx])
                net.backward(grad)
                opt.step(net.params, net.grads)
                net.constrain()
                total += loss * len(idx)
                correct += int(np.sum(np.argmax(out, axis=1) == y[idx]))
            self.history_.append(total / len(order))
            self.train_scores_.append(correct / len(order))
            if self.early_stopping:
                out = self._output(X[val])
                score = float(np.mean(np.argmax(out, axis=1) == y[val]))
                self.validation_scores_.append(score)
                self.validation_loss_.append(float(self._loss(out, y[val])[0]))
                improved = best is None or score > best + self.tol
                if improved:
                    best_params = [p.copy() for p in net.params]
            else:
                score = -self.history_[-1]
                improved = best is None or score > best + self.tol
            if improved:
                best, stall = score, 0
            else:
                stall += 1
            bar.set_postfix(loss="%.4f" % self.history_[-1])
            if stall >= self.n_iter_no_change:
                break
        bar.close()
        if best_params is not None:
            for p, q in zip(net.params, best_params):
                p[...] = q
        for layer in net.layers:
            layer.grads = []  # free the last batch's gradients (and keep saved models small)
        net.clear()
        self.n_epochs_ = epoch + 1
        self.report_ = self._activity_report(X[train], time.perf_counter() - t0)
        return self

    def _activity_report(self, X, seconds):
        """``report_``: spikes per layer and synaptic operations per sample on ``X`` (inference)."""
        net = self.network_
        totals = {"synaptic_operations": 0.0, "input_macs": 0.0, "input_spikes": 0.0}
        spikes = 0.0
        with limit_blas_threads(1):
            for i in range(0, X.shape[0], 512):
                act = net.activity(self._encode(X[i:i + 512], None))
                spikes = spikes + np.array(act["spikes"], dtype=np.float64)
                for key in totals:
                    totals[key] += act[key]
        n = X.shape[0]
        spikes = np.atleast_1d(spikes / n)
        neurons = np.array(act["neurons"], dtype=np.int64)
        return {
            "n_samples": int(n),
            "n_steps": int(self.n_steps),
            "layers": [type(layer).__name__ for layer in net.layers if hasattr(layer, "last_state")],
            "neurons": neurons,
            "spikes_per_sample": spikes,
            "spike_rate": spikes / np.maximum(neurons, 1) / self.n_steps,
            "input_spikes_per_sample": totals["input_spikes"] / n,
            "synaptic_operations_per_sample": totals["synaptic_operations"] / n,
            "input_macs_per_sample": totals["input_macs"] / n,
            "seconds": float(seconds),
        }

    # ------------------------------------------------------------------ prediction
    def _output(self, X):
        with limit_blas_threads(1):
            chunks = [self.network_.forward(self._encode(X[i:i + 512], None))
                      for i in range(0, X.shape[0], 512)]
            self.network_.clear()   # inference keeps no state for a backward pass
        return np.concatenate(chunks, axis=0)

    def _predict_index(self, X):
        return np.argmax(self._output(X), axis=1)

    def decision_function(self, X):
        """Network output ``z`` per class: time-averaged readout membrane or output spike counts.

        Returns ``(n_samples, n_classes)``; for two classes, scikit-learn's convention
        ``z_1 - z_0`` of shape ``(n_samples,)`` (positive favours ``classes_[1]``).
        """
        X = self._check_X(X, reset=False)
        z = self._output(X)
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def predict_proba(self, X):
        """Class probabilities ``softmax(z)`` of the network output ``z`` (rows sum to 1)."""
        X = self._check_X(X, reset=False)
        return softmax(self._output(X).astype(np.float64))

    def predict(self, X):
        """Most likely class of each row of ``X`` (largest output; ties go to the first class)."""
        X = self._check_X(X, reset=False)
        return self.classes_[self._predict_index(X)]
