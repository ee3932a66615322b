r"""SpikeProp classifier: Gaussian receptive-field encoding + a SpikeProp-trained SRM network.

Bohte, Kok & La Poutré (2002), "Error-backpropagation in temporally encoded networks of
spiking neurons", Neurocomputing 48. The network and its learning rule are in
:mod:`spikecore.learning.srm_network` (:class:`SpikePropNetwork`, which also trains on
spike-time targets directly); this module adds the paper's input and output codes and a
scikit-learn-style estimator around them.
"""
import numpy as np

from spikecore import _validate
from spikecore.encoding.population import gaussian_fields
from spikecore.learning.base import BaseEstimator, ClassifierMixin
from spikecore.learning.srm_network import SpikePropNetwork, _progress


def gaussian_receptive_fields(X, n_fields, feature_min, feature_max, *, gamma=1.5,
                              t_code=10e-3, min_response=0.1):
    r"""Encode real features as spike times with overlapping Gaussian receptive fields.

    Bohte, Kok & La Poutré (2002), §3.3: a feature ``n`` with range
    ``[I_min^n, I_max^n]`` is seen by ``m`` neurons with Gaussian fields of centres and width

    .. math::

        \mu_i = I_{min}^n + \frac{2i - 3}{2}\,\frac{I_{max}^n - I_{min}^n}{m - 2},
        \qquad \sigma = \frac{1}{\gamma}\,\frac{I_{max}^n - I_{min}^n}{m - 2},
        \qquad i = 1 \dots m,

    response :math:`r_i = \exp(-(x - \mu_i)^2 / (2\sigma^2)) \in (0, 1]` and spike time
    :math:`t_i = t_{code}\,(1 - r_i)`: the best-matching field fires at 0, weak ones late;
    a field with :math:`r_i < r_{min}` does not fire (time ``inf``). Times are exact reals,
    not rounded to a grid (SpikeProp computes with exact spike times).

    Parameters
    ----------
    X : array (n_samples, n_features)
        Real feature values.
    n_fields : int
        Fields per feature ``m`` (>= 3; Bohte used 12 for Iris).
    feature_min, feature_max : array (n_features,)
        ``I_min`` and ``I_max`` of each feature (a constant feature gets a range of 1).
    gamma : float
        Width factor ``gamma`` (1.5 in the paper).
    t_code : float
        Coding interval ``t_code`` (s); 10 ms as in the paper.
    min_response : float
        Responses below it produce no spike (0.1: spike times within 0..9 ms).

    Returns
    -------
    ndarray (n_samples, n_features * n_fields) float64
        Spike times (s), feature-major (the fields of feature 0 first); ``inf`` = no spike.
    """
    X = _validate.array("X", X, ndim=2, dtype=np.float64, finite=True)
    m = _validate.integer("n_fields", n_fields, low=3)
    gamma = _validate.positive("gamma", gamma)
    t_code = _validate.positive("t_code", t_code, "s")
    min_response = _validate.real("min_response", min_response, low=0.0, high=1.0)
    lo = _validate.array("feature_min", feature_min, ndim=1, dtype=np.float64, finite=True,
                         shape=(X.shape[1],))
    hi = _validate.array("feature_max", feature_max, ndim=1, dtype=np.float64, finite=True,
                         shape=(X.shape[1],))
    span = np.where(hi > lo, hi - lo, 1.0)
    fields = [gaussian_fields(m, a, a + w, beta=gamma) for a, w in zip(lo, span)]
    centres = np.array([c for c, _ in fields]).reshape(len(lo), m)                   # (F, m)
    sigma = np.array([s for _, s in fields])                                         # (F,)
    r = np.exp(-((X[:, :, None] - centres[None]) ** 2) / (2.0 * sigma[None, :, None] ** 2))
    t = t_code * (1.0 - r)
    t[r < min_response] = np.inf
    return t.reshape(X.shape[0], -1)


class SpikePropClassifier(ClassifierMixin, BaseEstimator):
    r"""SpikeProp classifier (Bohte, Kok & La Poutré 2002), scikit-learn style.

    Each feature that varies in the training data is encoded by ``n_fields`` Gaussian
    receptive fields (:func:`gaussian_receptive_fields`, ranges learned in ``fit``; a feature
    constant in the training data carries no information and is dropped, see
    ``drop_constant``), plus ``n_bias`` reference
    neurons firing at 0; a hidden layer of ``n_hidden`` SRM neurons and one output neuron per
    class follow, each connection having ``n_terminals`` delayed terminals (delays
    ``delay_step, 2 delay_step, ...``). The output neuron of the true class is trained to fire at
    ``t_early`` and the others at ``t_late``, by online gradient descent on
    :math:`E = \frac12 \sum_j (t_j^a - t_j^d)^2` with the SpikeProp deltas (equations in
    :mod:`spikecore.learning.srm_network`). ``predict`` returns the class whose output neuron
    fires first (a silent neuron counts as firing at ``t_max``; ties go to the lower class).

    Scaling to many inputs. One SpikeProp update changes a neuron's potential by
    :math:`\Delta x_j(t) = -\eta\,\delta_j \sum_i \sum_k y_i^k(t_j)\,y_i^k(t)`, a sum over
    every presynaptic spike: with :math:`\bar n` inputs firing per pattern the step grows like
    :math:`\bar n`. Bohte's :math:`\eta` = 0.01 ms^-2 was set for Iris, where about 13 of the
    50 inputs fire per pattern; on 64-pixel digits about 150 fire, the steps are ten times
    larger and training first oscillates, then drives hidden neurons silent. So the rate
    used is

    .. math::

        \eta_{eff} = \eta \, \min\left(1, \frac{n_{ref}}{\bar n}\right),

    :math:`\bar n` the mean number of input neurons (fields and bias) firing per training
    pattern and :math:`n_{ref}` = ``reference_fan_in`` (16: Bohte's XOR and Iris settings,
    with :math:`\bar n \le 16`, are unchanged). Hidden neurons silent for a whole epoch are
    revived (``revive_silent``, the convention in :mod:`spikecore.learning.srm_network`).

    Parameters
    ----------
    n_hidden : int or "auto"
        Hidden SRM neurons. ``"auto"`` (default): :math:`\max(10, 2K)` for :math:`K` classes --
        Bohte's 10 for up to 5 classes. Each hidden neuron fires once, so the hidden layer hands
        the output layer only ``n_hidden`` spike times from which to order :math:`K` output
        spikes; 10 were set for Iris's 3 classes and starve a many-class problem (20 Gaussian
        blobs in 8-D, 75/25 split: 0.43 with 10 hidden neurons, 0.93 with 40; a 10-class
        30-feature synthetic task 0.37 -> 0.49 with 20).
    n_fields : int
        Gaussian receptive fields per feature (12 for Iris in the paper).
    n_bias : int
        Reference input neurons that always fire at 0 ms.
    n_inhibitory : int
        Inhibitory hidden neurons (negative outgoing weights; Bohte 2002, §3).
    n_terminals : int
        Delayed terminals per connection ``m`` (16 in the paper).
    delay_step : float
        Delays are ``d^k = k * delay_step``, ``k = 1..m`` (s); 1 ms in the paper.
    tau : float
        Alpha-kernel time constant (s); 7 ms in the paper.
    theta : float
        Firing threshold.
    t_early, t_late : float
        Desired output spike times for the true class and the other classes (s).
    t_max : float
        End of the simulated window (s).
    learning_rate : float
        ``eta`` (s^-2); 1e4 s^-2 equals Bohte's 0.01 ms^-2.
    epochs : int
        Passes over the training set (online updates, shuffled each epoch).
    min_slope : float
        Lower bound on ``dx/dt`` at a crossing (s^-1), against the near-threshold blow-up.
    sign_constraint : bool
        Hidden neurons keep the sign of their outgoing weights (Bohte 2002).
    random_state : None, int or numpy.random.Generator
        Seed for the weights and the presentation order.
    verbose : bool
        Show a tqdm progress bar during ``fit``.
    multi_spike : bool
        Hidden neurons fire repeatedly with the refractory kernel
        :math:`\eta(s) = -\theta e^{-s/\tau_r}` (Booij & Nguyen 2005); default False.
    tau_refractory : float, optional
        :math:`\tau_r` (s); default ``tau``. Used only with ``multi_spike``.
    reference_fan_in : float or None
        :math:`n_{ref}`: ``learning_rate`` is the rate for a network whose patterns fire at most
        this many input neurons on average; with more, it is scaled down by
        :math:`n_{ref}/\bar n` (see above). ``None``: no scaling. Default 16.
    drop_constant : bool
        Drop features with zero variance in the training data before the receptive-field
        coding (default True). Their fields would fire at the same time for every pattern:
        extra bias neurons that only add to the fan-in.
    revive_silent : float
        ``rho`` of the silent-hidden-neuron convention of :class:`SpikePropNetwork`: after
        each epoch, a hidden neuron silent on every training pattern has its incoming weights
        raised by ``rho`` times their mean magnitude; 0 disables it. Default 0.1.
    early_stopping : bool or "auto"
        Hold out a stratified ``validation_fraction`` of the training rows, measure the
        SpikeProp error :math:`E/N` on them after every epoch, stop when it has not
        improved for ``n_iter_no_change`` epochs and keep the weights of the best epoch
        (as scikit-learn's ``MLPClassifier(early_stopping=True)``). ``"auto"`` (default):
        on for single-spike SpikeProp, off with ``multi_spike``. Online single-spike
        SpikeProp overfits: on the bundled digits the held-out error is lowest after 20-40
        epochs and test accuracy falls from ~92 % there to ~86 % at 200 epochs; single
        epochs can also jump (Iris: one test split went 98 % -> 82 % -> 98 % between
        epochs). Multi-spike training instead sits on long plateaus of the error before
        it separates the last class (Iris folds left one at epoch 100-130), which a
        patience-based stop takes for convergence, so ``"auto"`` trains it for ``epochs``
        epochs. When a class has too few rows to give both sets one (fewer than 2 rows),
        every row is used for training and the run lasts ``epochs`` epochs.
    validation_fraction : float
        Share of each class held out for early stopping, in (0, 1); at least one row per
        class. Default 0.1.
    n_iter_no_change : int
        Epochs without a lower validation error before stopping. Default 10.

    Attributes
    ----------
    classes_ : ndarray
        Class labels seen in ``fit``.
    n_features_in_ : int
    features_ : ndarray of int
        Indices of the features that are encoded (all, or the non-constant ones with
        ``drop_constant``).
    feature_min_, feature_max_ : ndarray (n_encoded_features,)
        Ranges of the receptive fields of ``features_`` (from the training data).
    n_hidden_ : int
        Hidden neurons used (``n_hidden`` with ``"auto"`` resolved).
    learning_rate_ : float
        :math:`\eta_{eff}`, the rate actually used (s^-2).
    network_ : SpikePropNetwork
        The trained network (the lower level; trains on spike-time targets directly).
    history_ : ndarray (n_epochs_,)
        Mean error per pattern ``E/N`` of each epoch (s^2), measured during the online pass.
    validation_history_ : ndarray (n_epochs_,) or None
        Mean error per pattern on the held-out rows after each epoch (s^2); None without
        early stopping.
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int
        Epoch (1-based) whose weights the model keeps: the lowest validation error with
        early stopping, else the last.
    """

    def __init__(self, n_hidden="auto", n_fields=12, n_bias=1, n_inhibitory=0, n_terminals=16,
                 delay_step=1e-3, tau=7e-3, theta=1.0, t_early=14e-3, t_late=20e-3, t_max=40e-3,
                 learning_rate=1e4, epochs=200, min_slope=100.0, sign_constraint=True,
                 random_state=None, verbose=False, multi_spike=False, tau_refractory=None,
                 reference_fan_in=16, drop_constant=True, revive_silent=0.1, early_stopping="auto",
                 validation_fraction=0.1, n_iter_no_change=10):
        self.n_hidden = n_hidden
        self.n_fields = n_fields
        self.n_bias = n_bias
        self.n_inhibitory = n_inhibitory
        self.n_terminals = n_terminals
        self.delay_step = delay_step
        self.tau = tau
        self.theta = theta
        self.t_early = t_early
        self.t_late = t_late
        self.t_max = t_max
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.min_slope = min_slope
        self.sign_constraint = sign_constraint
        self.random_state = random_state
        self.verbose = verbose
        self.multi_spike = multi_spike
        self.tau_refractory = tau_refractory
        self.reference_fan_in = reference_fan_in
        self.drop_constant = drop_constant
        self.revive_silent = revive_silent
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    # ------------------------------------------------------------------ helpers
    def _check_params(self):
        if not (isinstance(self.n_hidden, str) and self.n_hidden == "auto"):
            _validate.integer("n_hidden", self.n_hidden, low=1)
        _validate.integer("n_fields", self.n_fields, low=3)
        _validate.integer("n_bias", self.n_bias, low=0)
        _validate.integer("n_terminals", self.n_terminals, low=1)
        _validate.positive("delay_step", self.delay_step, "s")
        t_early = _validate.positive("t_early", self.t_early, "s")
        t_late = _validate.positive("t_late", self.t_late, "s")
        t_max = _validate.positive("t_max", self.t_max, "s")
        if not t_early < t_late:
            _validate.fail("t_early", self.t_early, "a time earlier than t_late = %r" % self.t_late)
        if not t_late < t_max:
            _validate.fail("t_late", self.t_late, "a time earlier than t_max = %r" % self.t_max)
        _validate.positive("learning_rate", self.learning_rate, "1/s^2")
        _validate.integer("epochs", self.epochs, low=1)
        if self.reference_fan_in is not None:
            _validate.positive("reference_fan_in", self.reference_fan_in)
        if not isinstance(self.drop_constant, (bool, np.bool_)):
            _validate.fail("drop_constant", self.drop_constant, "a bool", TypeError)
        if not isinstance(self.verbose, (bool, np.bool_, int)):
            _validate.fail("verbose", self.verbose, "a bool", TypeError)
        if not (isinstance(self.early_stopping, (bool, np.bool_)) or self.early_stopping == "auto"):
            _validate.fail("early_stopping", self.early_stopping, 'a bool or "auto"', TypeError)
        _validate.real("validation_fraction", self.validation_fraction, low=0.0, high=1.0, low_open=True,
                       high_open=True)
        _validate.integer("n_iter_no_change", self.n_iter_no_change, low=1)

    def encode(self, X):
        """Input spike times for ``X`` (s): receptive fields then ``n_bias`` zeros; needs ``fit``."""
        X = self._check_X(X, reset=False)
        return self._encode(X)

    def _encode(self, X):
        kept = getattr(self, "features_", None)          # None: a model saved before drop_constant
        t = gaussian_receptive_fields(X if kept is None else X[:, kept], self.n_fields,
                                      self.feature_min_, self.feature_max_)
        return np.hstack([t, np.zeros((X.shape[0], self.n_bias))])

    def _targets(self, y_index):
        n = len(self.classes_)
        target = np.full((y_index.shape[0], n), float(self.t_late))
        target[np.arange(y_index.shape[0]), y_index] = float(self.t_early)
        return target

    def _early_stopping(self):
        """Whether ``fit`` stops early (``early_stopping`` with ``"auto"`` resolved)."""
        if isinstance(self.early_stopping, str):
            return not self.multi_spike
        return bool(self.early_stopping)

    def _validation_rows(self, y_index, rng):
        """Stratified held-out rows for early stopping (a boolean mask), or None."""
        if not self._early_stopping():
            return None
        held = np.zeros(y_index.shape[0], bool)
        for c in range(len(self.classes_)):
            rows = np.flatnonzero(y_index == c)
            k = max(1, int(round(float(self.validation_fraction) * rows.size)))
            if rows.size - k < 1:
                return None  # too few rows of this class to hold one out
            held[rng.choice(rows, k, replace=False)] = True
        return held

    # ------------------------------------------------------------------ API
    def fit(self, X, y):
        """Encode ``X``, set the targets from ``y`` and train for up to ``epochs`` epochs
        (fewer with ``early_stopping``, which keeps the weights of the best epoch)."""
        self._check_params()
        X, y_index = self._check_X_y(X, y)
        rng = _validate.rng(self.random_state)
        # the split has its own stream, so the network's initial weights and presentation
        # order are those of a run without early stopping
        held = self._validation_rows(y_index, _child(rng)) if self._early_stopping() else None
        lo = X.min(axis=0).astype(np.float64)
        hi = X.max(axis=0).astype(np.float64)
        self.features_ = np.flatnonzero(hi > lo) if self.drop_constant else np.arange(X.shape[1])
        if self.features_.size == 0:
            _validate.fail("X", "<%d constant features>" % X.shape[1],
                           "at least one feature that varies across the training rows")
        self.feature_min_, self.feature_max_ = lo[self.features_], hi[self.features_]
        x = self._encode(X)
        target = self._targets(y_index)
        eta = float(self.learning_rate)
        if self.reference_fan_in is not None:
            fan_in = float(np.mean(np.sum(np.isfinite(x), axis=1)))
            eta *= min(1.0, float(self.reference_fan_in) / fan_in)
        self.learning_rate_ = eta
        if held is not None:
            x_val, target_val = x[held], target[held]
            x, target = x[~held], target[~held]
        self.n_hidden_ = (max(10, 2 * len(self.classes_)) if isinstance(self.n_hidden, str)
                          else int(self.n_hidden))
        net = SpikePropNetwork(
            x.shape[1], self.n_hidden_, len(self.classes_),
            delays=np.arange(1, self.n_terminals + 1) * float(self.delay_step), tau=self.tau,
            theta=self.theta, t_max=self.t_max, n_inhibitory=self.n_inhibitory,
            sign_constraint=self.sign_constraint, min_slope=self.min_slope,
            random_state=rng, multi_spike=self.multi_spike,
            tau_refractory=self.tau_refractory, revive_silent=self.revive_silent)
        net.initialize(x, target)
        history, val_history = [], []
        best, best_epoch, best_weights = np.inf, 0, None
        bar = _progress(self.epochs, self.verbose, "SpikeProp")
        for epoch in range(1, self.epochs + 1):
            history.append(net._train_epoch(x, target, eta) / x.shape[0])
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss_ms2="%.4g" % (history[-1] * 1e6))
            if held is None:
                continue
            val_history.append(_mean_error(net, x_val, target_val))
            if val_history[-1] < best:
                best, best_epoch = val_history[-1], epoch
                best_weights = (net.w_hid.copy(), net.w_out.copy())
            elif epoch - best_epoch >= int(self.n_iter_no_change):
                break
        if bar is not None:
            bar.close()
        if best_weights is not None:
            net.w_hid, net.w_out = best_weights
        self.network_ = net
        self.history_ = np.asarray(history)
        self.validation_history_ = np.asarray(val_history) if held is not None else None
        self.n_epochs_ = len(history)
        self.best_epoch_ = best_epoch if best_weights is not None else len(history)
        return self

    def output_times(self, X):
        """Output spike times (n_samples, n_classes) in s; ``inf`` for a silent output neuron."""
        x = self.encode(X)
        return self.network_._forward(x)[1]

    def predict(self, X):
        """The class whose output neuron fires first (silent = ``t_max``; ties: lower class)."""
        t = self.output_times(X)
        t = np.where(np.isfinite(t), t, self.network_.t_max)
        return self.classes_[np.argmin(t, axis=1)]


def _child(rng):
    """An independent generator derived from ``rng``: spawned from its seed sequence, so
    ``rng``'s own stream is untouched (one raw draw instead when it has no seed sequence)."""
    try:
        return rng.spawn(1)[0]
    except (TypeError, ValueError, AttributeError):  # a bit generator without a SeedSequence
        return np.random.default_rng(rng.bit_generator.random_raw())


def _mean_error(net, x, target):
    """SpikeProp error per pattern :math:`E/N = \\frac{1}{2N}\\sum_n \\sum_j (t_j^a - t_j^d)^2`
    of ``net`` on input times ``x`` against ``target`` (a silent output counts as ``t_max``)."""
    out = net._forward(x)[1]
    out = np.where(np.isfinite(out), out, net.t_max)
    return 0.5 * float(np.mean(np.sum((out - target) ** 2, axis=1)))
