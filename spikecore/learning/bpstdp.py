r"""``BPSTDPClassifier``: multilayer integrate-and-fire networks trained by BP-STDP.

Tavanaei & Maida (2019), "BP-STDP: Approximating backpropagation using spike timing dependent
plasticity", Neurocomputing 330, 39-47. The rule needs no gradient at all: at every desired
spike time of a teacher train, the output layer undergoes STDP (target neuron that stayed
silent) or anti-STDP (non-target neuron that fired), and the same error, sent back through the
weights, drives STDP in the hidden layers wherever the hidden neuron itself fired. The time
loops are Numba kernels (``spikecore.kernels.bpstdp``) with plain-NumPy twins
(``spikecore.reference.bpstdp``).
"""
import numpy as np
from tqdm.auto import tqdm

from spikecore import _validate
from spikecore.encoding import field_responses, poisson, regular
from spikecore.kernels import bpstdp as _k
from spikecore.learning.base import BaseEstimator, ClassifierMixin, not_fitted_error


# receptive_fields="auto": Gaussian fields from this many training rows on (class docstring)
_AUTO_FIELDS_MIN_ROWS = 100
# theta_output=None: this many times the width of the last hidden layer (class docstring; the
# paper's 0.025 silenced the hidden layer on 10 overlapping classes)
_THETA_OUTPUT_PER_HIDDEN = 0.2


def bpstdp_mse(xi_sum, n_steps):
    r"""The paper's convergence measure (Tavanaei & Maida 2019, eq. 22).

    .. math::
        \mathrm{MSE} = \frac{1}{N} \sum_{k=1}^{N} \Big( \frac{1}{T} \sum_{t=1}^{T} \xi^k(t) \Big)^2,
        \qquad \xi^k(t) = \sum_i \xi_i^k(t)

    :math:`N` number of samples, :math:`T` steps per presentation, :math:`\xi_i^k(t)` the output
    error of neuron ``i`` for sample ``k`` (eq. 16; zero outside the desired spike times).

    Parameters
    ----------
    xi_sum : array (N,)
        :math:`\sum_t \xi^k(t)` of each sample (``bpstdp_train``'s ``xi_sum``).
    n_steps : int
        :math:`T`.

    Returns
    -------
    float
    """
    xi_sum = np.asarray(xi_sum, dtype=np.float64)
    return float(np.mean((xi_sum / n_steps) ** 2)) if xi_sum.size else 0.0


def regular_with_lags(x, n_steps, p_max, random_state=None):
    r"""Regular spike trains at a rate proportional to the input, each with a random lag.

    .. math::
        p = \tilde x\, p_{\max}, \qquad
        s_t = \lfloor (t+1)\,p + \phi \rfloor - \lfloor t\,p + \phi \rfloor, \qquad
        \phi \sim \mathcal U[0, 1)

    One spike every :math:`1/p` steps, the first after a random lag (a random phase
    :math:`\phi` of the period): the count over ``T`` steps is :math:`\lfloor Tp + \phi\rfloor`,
    :math:`\lfloor Tp \rfloor` or one more. This is how Tavanaei & Maida (2019, sec. 3.3) describe
    their inputs ("spike rates proportional to the normalised pixel values, with random lags");
    with :math:`\phi = 0` it is ``spikecore.encoding.regular``.

    Parameters
    ----------
    x : array (n_samples, n_features)
        :math:`\tilde x` in ``[0, 1]``.
    n_steps : int
        ``T``.
    p_max : float
        Spike probability per step of :math:`\tilde x = 1` (``max_rate * dt``, in ``(0, 1]``).
    random_state : None, int or numpy.random.Generator
        Source of the lags.

    Returns
    -------
    ndarray of uint8, shape (T, n_samples, n_features)
    """
    x = _validate.array("x", x, ndim=2, finite=True).astype(np.float64)
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        _validate.fail("x", "<array with values outside [0, 1]>", "values in [0, 1]")
    T = _validate.integer("n_steps", n_steps, low=1)
    p_max = _validate.real("p_max", p_max, low=0.0, high=1.0, low_open=True)
    return _lagged_trains(x * p_max, _validate.rng(random_state).random(x.shape), T)


def _lagged_trains(p, phi, n_steps):
    """Spikes :math:`\\lfloor (t+1)p + \\phi \\rfloor - \\lfloor t p + \\phi \\rfloor` of
    :func:`regular_with_lags`, ``(T, *p.shape)`` uint8; ``phi`` broadcasts against ``p``."""
    t = np.arange(n_steps + 1, dtype=np.float64)[:, None, None]
    edges = np.floor(t * p[None] + phi[None])
    return (edges[1:] - edges[:-1]).astype(np.uint8)


class BPSTDPClassifier(ClassifierMixin, BaseEstimator):
    r"""Multilayer IF spiking network trained by BP-STDP (Tavanaei & Maida 2019), sklearn-style.

    **Network.** ``n_features - hidden_layer_sizes... - n_classes`` layers of non-leaky IF neurons
    with reset to zero (paper eq. 3), one output neuron per class, run for ``T = n_steps`` steps
    of ``dt`` seconds::

        U_h(t) = U_h(t-1) + sum_j w_hj s_j(t);   U_h(t) >= theta  =>  r_h(t) = 1, U_h(t) = 0

    Hidden layers have threshold ``theta_hidden`` (paper: 0.9), the output layer
    ``theta_output`` (default ``0.2 H`` with ``H`` the width of the last hidden layer; the
    paper's ``0.025 H`` is ``theta_output=0.025 * H``). Weights start Gaussian with mean 0 and
    standard deviation ``init_std``.

    *Why the output threshold is higher than the paper's.* At the paper's ``0.025 H`` nearly
    every output neuron fires from the first presentation on. Each firing non-target is an
    anti-STDP event (:math:`\xi_i = -1`), and a hidden neuron drives the non-targets that fire
    *because* its weights to them are positive, so :math:`\delta_h = \sum_i \xi_i w_{ih}`
    is negative for the active hidden neurons: with ``K`` classes, up to ``K - 1`` negative
    events against one positive per desired spike time. Their inputs are pushed down until the
    hidden layer falls silent, and a silent neuron's gate :math:`[c_h > 0]` stops all learning
    below it (the "dying ReLU" of an unbalanced error). With ``0.2 H`` the outputs start nearly
    silent, the target's +1 events dominate early on, and the hidden layer stays active.
    Measured (one stratified 75/25 split each, the other defaults; ``0.025 H`` -> ``0.2 H``):
    10 overlapping classes of 30 features (1 500 rows) 0.19 -> 0.77 (hidden spikes per sample
    after training 51 -> 396; logistic regression 0.56, an MLP 0.74); a second hidden layer
    on the 8x8 digits (64-40 hidden) 0.10 -> 0.97; 8x8 digits 0.96 -> 0.98; a 4-class task
    0.71 -> 0.75; 200 features 0.63 -> 0.67. Of 19 data sets, 14 improved, one was unchanged
    and four lost one or two test rows; the largest loss is on a 30-row two-class set (2 of 8
    test rows; 5-fold CV 0.70 -> 0.63), the others are within 0.01 in 5-fold CV (a 5-feature
    two-class set 0.876 -> 0.870, one feature and 3 classes 0.918 -> 0.931; Iris 0.960 ->
    0.967, Wine 0.966 -> 0.961). ``0.1 H`` and ``0.4 H`` were worse than ``0.2 H`` on most of
    the 19 (10 classes: 0.63 and 0.765).

    **Input encoding** (done by the estimator).

    1. *Scaling*: each feature is mapped to ``[0, 1]`` (``input_scaling``: ``"minmax"`` per
       feature with the training minimum and maximum, default; ``"global"`` one minimum and
       maximum for all features, for images; ``"none"``: ``X`` must already be in ``[0, 1]``).
       Values beyond the training range at predict time are clipped.
    2. *Receptive fields* (``receptive_fields="auto"``, default: 6 fields when ``fit`` gets at
       least 100 rows, and with ``partial_fit``): every scaled value :math:`\tilde x`
       is seen by :math:`m` Gaussian receptive fields on ``[0, 1]`` (Bohte, Kok & La Poutré
       2002, population coding; centres and width of :func:`spikecore.encoding.gaussian_fields`,
       :math:`\beta = 1.5`), and field :math:`k`'s response :math:`r_k = e^{-(\tilde x -
       \mu_k)^2 / 2\sigma^2}` (0 below 0.1) is the input's value, so each feature drives
       :math:`m` inputs of which the one or two whose centres are nearest fire most. Not in the
       paper, whose inputs are near-binary pixels. With real-valued features and one input per
       feature (or the feature and its complement, below), most values sit away from the ends
       of the range, so every sample drives nearly the same input rates and the hidden IF
       neurons (no biases) see small differences on a large common drive; the fields give each
       range of values its own inputs (a radial-basis expansion) that the rule can weigh
       separately. Measured
       with the other defaults on one stratified 75/25 split each, complement coding ->
       fields: a 4-class / 20-feature synthetic task 0.57 -> 0.72, 3 classes with 20 % label
       noise 0.49 -> 0.71, integer-valued features 0.63 -> 0.81, features on scales 1e-6..1e6
       0.78 -> 0.93, two moons 0.89 -> 0.99, 200 features (10 informative) 0.41 -> 0.63,
       20 000 x 20 features 0.87 -> 0.94, 8x8 digits 0.95 -> 0.97, Iris 1.00 -> 0.95 (2 of
       38 rows; 5-fold CV 0.92 -> 0.95). Cost: :math:`m` inputs per feature instead of 2, and
       more passes before the training accuracy stops improving: fits take 1.3x (digits) to
       6x (200 features) as long. On a few dozen rows the wider input layer overfits (30-row
       two-class sets, 5 data sets x 5-fold CV: complement coding 0.84, fields 0.79), so
       ``"auto"`` keeps complement coding below 100 training rows. ``receptive_fields=None``
       presents :math:`\tilde x` itself:
    3. *Complement coding* (``complement_coding=True``, used with ``receptive_fields=None``):
       every scaled value
       :math:`\tilde x` is presented together with :math:`1 - \tilde x` (Carpenter, Grossberg &
       Rosen 1991, Fuzzy ART; ON/OFF channels). Not in the paper; needed because an IF network
       without biases is positively homogeneous -- doubling every input rate roughly doubles
       every spike count -- so the class with the most output spikes depends on the direction of
       :math:`\tilde x` only, not on its size, and classes that differ mainly in magnitude
       (Iris versicolor / virginica) cannot be separated. Measured with the other defaults:
       Iris 5-fold 67 % without it, 95 % with it; digits (one 75/25 split, 20 passes) 97 %
       without, 96 % with.
       ``receptive_fields=None, complement_coding=False`` gives the paper's network exactly.
    4. *Spike trains*, rate :math:`\tilde x\,\beta` (``max_rate = beta``, the teacher's rate):
       ``encoding="regular"`` (default) regular trains with a random lag each
       (:func:`regular_with_lags`: the paper's "spike rates proportional to the values, with
       random lags", sec. 3.3); ``encoding="poisson"`` Bernoulli/Poisson trains
       (``spikecore.encoding.poisson``). Poisson's count noise (standard deviation
       about :math:`\sqrt{T p}`) costs accuracy at ``T = 50``: digits 80 % instead of 96 % (same
       split, 20 passes), Iris 5-fold 87 % instead of 95 %, and XOR's 0.2-inputs (2.5 spikes) are then
       hard to tell from silence.

    **Teacher and learning.** The desired train :math:`z` fires regularly at the maximum rate
    :math:`\beta` (``max_rate``; ``spikecore.encoding.regular``) for the target neuron; the
    others are silent. At each desired spike time ``t``, with ``c_k(t)`` the spikes of neuron
    ``k`` in the window ``[t - eps, t]`` (``epsilon`` seconds, ``eps = round(epsilon/dt)``
    steps)::

        xi_i(t)     = +1 (target, silent in the window) | -1 (non-target, fired) | 0   (eq. 16)
        Delta w_ih  = mu * xi_i(t) * c_h(t)                                            (eq. 15)
        delta_h     = [c_h(t) > 0] * sum_i xi_i(t) w_ih(t)                             (eq. 20)
        Delta w_hj  = mu * delta_h * c_j(t)                                            (eq. 20)

    applied recursively to every hidden layer. ``batch_size = 1`` (default) is the paper's online
    rule; a larger batch presents samples side by side and sums their updates at each step.

    **Prediction.** The class of the output neuron with the most spikes; ties go to the larger
    final membrane potential (:meth:`decision_function`). Prediction encodes every row with the
    same *frozen* noise, drawn from a seed fixed at ``fit``: one lag :math:`\phi_m` per input
    channel (regular trains) or one field of uniforms :math:`u_{t,m}` (Poisson trains,
    :math:`s_{t,m} = [u_{t,m} < \tilde x_m \beta\,dt]`), shared by all rows. Each row's
    spikes are then a valid sample of the encoding and a function of that row alone, so its
    prediction is the same whatever else is in ``X`` and wherever it sits (as scikit-learn
    requires), the same ``X`` always gives the same answer, and a larger input never has
    fewer input spikes. (Keying the noise by position would make a row's answer depend on its
    neighbours; keying it by the row's bytes would make it jump at the smallest change of a
    value.) Training draws fresh noise for every presentation.

    **Convergence.** ``history_`` holds the paper's MSE (eq. 22, :func:`bpstdp_mse`) of each
    training pass. That measure sums the signed errors of a sample before squaring, so a silent
    target (+1) and a firing non-target (-1) cancel, and it flattens long before the accuracy
    does (Iris: flat after ~20 passes, accuracy still rising until ~60). Training therefore stops
    after ``max_epochs`` passes, or when the training accuracy by spike count
    (``train_scores_``; with ``early_stopping``, the validation accuracy) has not improved by
    ``tol`` for ``n_iter_no_change`` passes.

    Convolutional layers: the paper defines BP-STDP for fully connected layers only, so none
    are offered.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        Widths of the hidden IF layers (at least one; the paper uses one or two). With the
        paper's output threshold ``0.025 H`` a second hidden layer fell silent on the digits
        and stayed at chance; with the default ``0.2 H`` it learns (above).
    n_steps : int
        Steps per presentation ``T`` (paper: 50 steps of 1 ms).
    dt : float
        Step in seconds.
    max_rate : float
        :math:`\beta` in Hz: the teacher's rate and the input rate of a feature at its maximum
        (paper: 250 Hz; ``max_rate * dt <= 1``).
    epsilon : float
        STDP window :math:`\epsilon` in seconds (paper: 4 ms).
    learning_rate : float
        :math:`\mu` (paper: 0.0005 - 0.005).
    theta_hidden : float
        Threshold of the hidden layers (paper: 0.9).
    theta_output : float or None
        Threshold of the output layer; ``None``: ``0.2 * H`` (above; the paper's is
        ``0.025 * H``).
    init_std : float
        Standard deviation of the initial Gaussian weights (paper: 1).
    input_scaling : {"minmax", "global", "none"}
        How features are mapped to ``[0, 1]`` (above).
    receptive_fields : int, None or "auto"
        Gaussian receptive fields per feature :math:`m` (>= 3; above), or ``None``: one input per
        feature (and its complement with ``complement_coding``). ``"auto"`` (default): 6 when
        ``fit`` gets at least 100 rows or the network is started by ``partial_fit`` (a stream),
        else ``None``.
    complement_coding : bool
        With ``receptive_fields=None``: also present ``1 - x`` for every scaled feature (above;
        doubles the inputs). Ignored with receptive fields.
    encoding : {"regular", "poisson"}
        Spike trains of the inputs (above).
    batch_size : int
        Samples presented side by side (1: the paper's online rule).
    max_epochs : int
        Maximum passes over the training data.
    early_stopping : bool
        Hold out ``validation_fraction`` (stratified), stop when its accuracy has not improved by
        ``tol`` for ``n_iter_no_change`` passes, keep the best weights.
    validation_fraction : float
        In ``(0, 1)``.
    n_iter_no_change : int
        Patience in passes.
    tol : float
        Minimum improvement of the training (or validation) accuracy.
    random_state : None, int or numpy.random.Generator
        Seeds the weights, the order of presentation, the validation split and the spike trains.
    verbose : bool
        tqdm progress bar with the MSE and the training accuracy.

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    n_features_in_ : int
    layer_sizes_ : ndarray of int64
        ``(n_inputs, hidden..., n_classes)``; ``n_inputs = m n_features`` with :math:`m`
        receptive fields, ``2 n_features`` with complement coding, else ``n_features``.
    receptive_fields_ : int
        :math:`m` used (0: none).
    weights_ : ndarray of float32
        All weights, flat: layer ``l`` is the row-major ``(n_l, n_{l-1})`` block
        (:attr:`coefs_` gives the matrices).
    thresholds_ : ndarray of float32
        Threshold of each layer.
    input_offset_, input_scale_ : ndarray of float64
        ``x_scaled = (x - input_offset_) / input_scale_``.
    history_ : list of float
        The paper's MSE (eq. 22) of each training pass.
    train_scores_ : list of float
        Accuracy by output spike count during each training pass (the samples as they were
        learned, before their own update took full effect).
    validation_scores_ : list of float
        Validation accuracy of each pass (``early_stopping`` only).
    n_epochs_ : int
        Passes run.
    report_ : dict
        Spike counts of the last training pass: mean spikes per sample of the input, of each
        hidden layer and of the output; mean output spikes of the target and of the other
        neurons; synaptic events per sample (spikes times fan-out).
    """

    def __init__(self, hidden_layer_sizes=(100,), n_steps=50, dt=1e-3, max_rate=250.0, epsilon=4e-3,
                 learning_rate=0.001, theta_hidden=0.9, theta_output=None, init_std=1.0,
                 input_scaling="minmax", complement_coding=True, receptive_fields="auto", encoding="regular",
                 batch_size=1, max_epochs=100, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=20, tol=1e-4, random_state=None,
                 verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_steps = n_steps
        self.dt = dt
        self.max_rate = max_rate
        self.epsilon = epsilon
        self.learning_rate = learning_rate
        self.theta_hidden = theta_hidden
        self.theta_output = theta_output
        self.init_std = init_std
        self.input_scaling = input_scaling
        self.complement_coding = complement_coding
        self.receptive_fields = receptive_fields
        self.encoding = encoding
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
        try:
            sizes = tuple(self.hidden_layer_sizes)
        except TypeError:
            _validate.fail("hidden_layer_sizes", self.hidden_layer_sizes, "a tuple of positive integers",
                           TypeError)
        if not sizes:
            _validate.fail("hidden_layer_sizes", self.hidden_layer_sizes,
                           "at least one hidden layer (BP-STDP trains multilayer networks)")
        for h in sizes:
            _validate.integer("hidden_layer_sizes", h, low=1)
        _validate.integer("n_steps", self.n_steps, low=1)
        dt = _validate.positive("dt", self.dt, unit="s")
        rate = _validate.positive("max_rate", self.max_rate, unit="Hz")
        if rate * dt > 1.0:
            _validate.fail("max_rate", self.max_rate, "max_rate * dt <= 1 (at most one spike per step; "
                           "dt = %r s)" % self.dt)
        eps = _validate.nonnegative("epsilon", self.epsilon, unit="s")
        _validate.positive("learning_rate", self.learning_rate)
        _validate.positive("theta_hidden", self.theta_hidden)
        if self.theta_output is not None:
            _validate.positive("theta_output", self.theta_output)
        _validate.positive("init_std", self.init_std)
        _validate.choice("input_scaling", self.input_scaling, ("minmax", "global", "none"))
        if self.receptive_fields is not None and not (isinstance(self.receptive_fields, str)
                                                      and self.receptive_fields == "auto"):
            _validate.integer("receptive_fields", self.receptive_fields, low=3)
        _validate.choice("encoding", self.encoding, ("poisson", "regular"))
        _validate.integer("batch_size", self.batch_size, low=1)
        _validate.integer("max_epochs", self.max_epochs, low=1)
        _validate.real("validation_fraction", self.validation_fraction, low=0.0, high=1.0,
                       low_open=True, high_open=True)
        _validate.integer("n_iter_no_change", self.n_iter_no_change, low=1)
        _validate.nonnegative("tol", self.tol)
        return sizes, int(round(eps / dt))

    # ------------------------------------------------------------------ encoding
    def _fit_scaling(self, X):
        n = X.shape[1]
        if self.input_scaling == "none":
            bad = (X < 0) | (X > 1)
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                _validate.fail("X", "<array with %r at index %s>" % (float(X[idx]), idx),
                               "values in [0, 1] with input_scaling='none' (or use 'minmax')")
            lo, span = np.zeros(n), np.ones(n)
        elif self.input_scaling == "global":
            lo = np.full(n, X.min(), np.float64)
            span = np.full(n, X.max() - X.min(), np.float64)
        else:
            lo = X.min(axis=0).astype(np.float64)
            span = X.max(axis=0) - lo
        self.input_offset_ = lo
        self.input_scale_ = np.where(span > 0, span, 1.0)

    def _n_inputs(self, n_features, n_rows=None):
        """Set ``receptive_fields_`` from the parameters (``"auto"``: from ``n_rows``, the rows
        given to ``fit``; None for ``partial_fit``); return the number of network inputs."""
        if isinstance(self.receptive_fields, str):   # "auto"
            self.receptive_fields_ = 6 if n_rows is None or n_rows >= _AUTO_FIELDS_MIN_ROWS else 0
        else:
            self.receptive_fields_ = 0 if self.receptive_fields is None else int(self.receptive_fields)
        if self.receptive_fields_:
            return n_features * self.receptive_fields_
        return n_features * (2 if self.complement_coding else 1)

    def _scale(self, X):
        """Network inputs in [0, 1]: the receptive-field responses of the scaled features
        (feature-major), or the scaled features followed by their complements when
        ``complement_coding``, or the scaled features."""
        z = np.clip((X - self.input_offset_) / self.input_scale_, 0.0, 1.0).astype(np.float32)
        m = getattr(self, "receptive_fields_", 0)   # 0: a model saved before receptive fields
        if m:
            return field_responses(z, m, beta=1.5, min_response=0.1)
        return np.concatenate([z, 1.0 - z], axis=1) if self.complement_coding else z

    def _encode(self, Xs, rng):
        """``(T, n_samples, n_features)`` uint8 spikes of the scaled inputs ``Xs`` (training: fresh
        noise from ``rng`` for every sample)."""
        if self.encoding == "poisson":
            return poisson(Xs, self.n_steps, max_rate=self.max_rate, dt=self.dt, random_state=rng)
        return regular_with_lags(Xs, self.n_steps, self.max_rate * self.dt, rng)

    def _encode_frozen(self, Xs):
        """Prediction spikes ``(T, n_samples, n_features)``: the frozen noise of the class
        docstring (seed ``_predict_seed``), shared by every row."""
        p = Xs.astype(np.float64) * (self.max_rate * self.dt)
        if self.encoding == "poisson":
            u = np.random.default_rng((self._predict_seed, 2)).random((self.n_steps, 1, Xs.shape[1]))
            return (u < p[None]).astype(np.uint8)
        phi = np.random.default_rng((self._predict_seed, 1)).random(Xs.shape[1])
        return _lagged_trains(p, phi[None, :], self.n_steps)

    # ------------------------------------------------------------------ network
    def _init_network(self, n_features, sizes, n_classes, rng):
        self.layer_sizes_ = np.array((n_features,) + sizes + (n_classes,), np.int64)
        n_w = int(np.sum(self.layer_sizes_[1:] * self.layer_sizes_[:-1]))
        self.weights_ = (rng.standard_normal(n_w) * self.init_std).astype(np.float32)
        theta_out = _THETA_OUTPUT_PER_HIDDEN * sizes[-1] if self.theta_output is None else self.theta_output
        self.thresholds_ = np.array([self.theta_hidden] * len(sizes) + [theta_out], np.float32)

    def _check_fitted(self):
        if not hasattr(self, "weights_"):
            raise not_fitted_error(self)

    @property
    def coefs_(self):
        """Weight matrices ``W^(l)`` of shape ``(n_l, n_{l-1})`` (views of :attr:`weights_`)."""
        self._check_fitted()
        mats, start = [], 0
        for n_pre, n_post in zip(self.layer_sizes_[:-1], self.layer_sizes_[1:]):
            mats.append(self.weights_[start:start + n_post * n_pre].reshape(n_post, n_pre))
            start += n_post * n_pre
        return mats

    def _teacher(self):
        return regular(np.ones(1), self.n_steps, max_rate=self.max_rate, dt=self.dt)[:, 0].copy()

    # ------------------------------------------------------------------ training
    def _split(self, y, rng):
        """Stratified train/validation indices."""
        val = []
        for k in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == k))
            n_val = int(round(self.validation_fraction * len(idx)))
            val.extend(idx[: min(n_val, len(idx) - 1)])
        val = np.array(sorted(val), dtype=np.int64)
        if len(val) == 0:
            _validate.fail("validation_fraction", self.validation_fraction,
                           "a fraction that leaves at least one validation sample")
        return np.setdiff1d(np.arange(len(y)), val), val

    def _pass(self, Xs, y, order, eps, rng, chunk=256):
        """One training pass over ``order``; returns (xi sums, output counts, all counts, input spikes)."""
        sizes = self.layer_sizes_
        N = int(sizes[1:].sum())
        teacher = self._teacher()
        xi_sum = np.empty(len(order), np.int64)
        counts = np.empty((len(order), N), np.int32)
        n_input_spikes = 0
        for start in range(0, len(order), chunk):
            idx = order[start:start + chunk]
            x = self._encode(Xs[idx], rng)
            n_input_spikes += int(x.sum(dtype=np.int64))
            _k.bpstdp_train(x, y[idx], teacher, self.weights_, sizes, self.thresholds_, eps,
                            float(self.learning_rate), int(self.batch_size), counts[start:start + len(idx)],
                            xi_sum[start:start + len(idx)])
        return xi_sum, counts, n_input_spikes

    def fit(self, X, y):
        """Train on ``X`` ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)``.

        Returns
        -------
        self
        """
        sizes, eps = self._check_params()
        X, y = self._check_X_y(X, y)
        rng = _validate.rng(self.random_state)
        if self.early_stopping:
            train, val = self._split(y, rng)
        else:
            train, val = np.arange(len(y)), None
        self._fit_scaling(X[train])
        self._init_network(self._n_inputs(X.shape[1], len(y)), sizes, len(self.classes_), rng)
        self._predict_seed = int(rng.integers(2 ** 63 - 1))
        self._rng = rng
        self.history_, self.train_scores_, self.validation_scores_ = [], [], []
        self.n_epochs_ = 0
        Xs = self._scale(X).astype(np.float32)
        best, best_w, stall = None, None, 0
        bar = tqdm(range(self.max_epochs), disable=not self.verbose, desc=type(self).__name__, unit="pass")
        for _ in bar:
            self._epoch(Xs, y, rng.permutation(train), eps, rng)
            if self.early_stopping:
                score = float(np.mean(self._predict_index(X[val]) == y[val]))
                self.validation_scores_.append(score)
            else:
                score = self.train_scores_[-1]
            if best is None or score > best + self.tol:
                best, stall = score, 0
                if self.early_stopping:
                    best_w = self.weights_.copy()
            else:
                stall += 1
            bar.set_postfix(mse="%.4f" % self.history_[-1], acc="%.3f" % self.train_scores_[-1])
            if stall >= self.n_iter_no_change:
                break
        bar.close()
        if best_w is not None:
            self.weights_[...] = best_w
        return self

    def partial_fit(self, X, y, classes=None):
        """One more training pass over ``X``, ``y`` (BP-STDP is online, so this is natural).

        The first call initialises the network (like :meth:`fit` with ``max_epochs = 1``); it
        needs ``classes`` when ``y`` does not contain every class. Later calls keep the input
        scaling and weights of the first.

        Returns
        -------
        self
        """
        sizes, eps = self._check_params()
        if not hasattr(self, "weights_"):
            X, y_idx = self._check_X_y(X, y)
            if classes is not None:
                given = np.unique(np.asarray(classes))
                if not np.all(np.isin(self.classes_, given)):
                    _validate.fail("classes", classes, "every label present in y")
                self.classes_ = given
                y_idx = np.searchsorted(given, np.asarray(y))
            self._rng = _validate.rng(self.random_state)
            self._fit_scaling(X)
            self._init_network(self._n_inputs(X.shape[1]), sizes, len(self.classes_), self._rng)
            self._predict_seed = int(self._rng.integers(2 ** 63 - 1))
            self.history_, self.train_scores_, self.validation_scores_ = [], [], []
            self.n_epochs_ = 0
        else:
            X = self._check_X(X, reset=False)
            y_idx = self._labels_to_index(y, X.shape[0])
        self._epoch(self._scale(X).astype(np.float32), y_idx, self._rng.permutation(len(y_idx)), eps,
                    self._rng)
        return self

    def _labels_to_index(self, y, n):
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n:
            _validate.fail("y", "<array of shape %s>" % (y.shape,), "a 1-D array with one label per row of X")
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        if not np.all(self.classes_[idx] == y):
            bad = y[self.classes_[idx] != y][0]
            _validate.fail("y", bad, "labels among classes_ = %s" % (list(self.classes_),))
        return idx.astype(np.int64)

    def _epoch(self, Xs, y, order, eps, rng):
        xi_sum, counts, n_in = self._pass(Xs, y, order, eps, rng)
        sizes = self.layer_sizes_
        out = counts[:, -sizes[-1]:]
        self.history_.append(bpstdp_mse(xi_sum, self.n_steps))
        self.train_scores_.append(float(np.mean(np.argmax(out, axis=1) == y[order])))
        self.n_epochs_ += 1
        per_layer = np.split(counts, np.cumsum(sizes[1:-1]), axis=1)
        target = out[np.arange(len(order)), y[order]]
        spikes = [n_in / len(order)] + [float(c.sum()) / len(order) for c in per_layer]
        self.report_ = {
            "input_spikes_per_sample": spikes[0],
            "hidden_spikes_per_sample": np.array(spikes[1:-1]),
            "output_spikes_per_sample": spikes[-1],
            "target_spikes_mean": float(target.mean()),
            "non_target_spikes_mean": float((out.sum(axis=1) - target).mean() / max(1, sizes[-1] - 1)),
            "teacher_spikes": int(self._teacher().sum()),
            "synaptic_events_per_sample": float(np.dot(spikes[:-1], sizes[1:])),
            "mse": self.history_[-1],
        }

    # ------------------------------------------------------------------ prediction
    def _output(self, X, chunk=512):
        """Output spike counts and final output potentials, ``(n, n_classes)`` each."""
        sizes = self.layer_sizes_
        N = int(sizes[1:].sum())
        Xs = self._scale(X).astype(np.float32)
        counts = np.empty((X.shape[0], sizes[-1]), np.int32)
        pots = np.empty((X.shape[0], sizes[-1]), np.float32)
        for start in range(0, X.shape[0], chunk):
            x = self._encode_frozen(Xs[start:start + chunk])
            c = np.zeros((x.shape[1], N), np.int32)
            u = np.zeros((x.shape[1], N), np.float32)
            _k.bpstdp_forward(x, self.weights_, sizes, self.thresholds_, c, u)
            counts[start:start + chunk] = c[:, -sizes[-1]:]
            pots[start:start + chunk] = u[:, -sizes[-1]:]
        return counts, pots

    def _scores(self, X):
        counts, pots = self._output(X)
        frac = np.clip(pots / self.thresholds_[-1], 0.0, 0.999)
        return counts + frac

    def _predict_index(self, X):
        return np.argmax(self._scores(X), axis=1)

    def decision_function(self, X):
        r"""Scores :math:`z_c`: the output spike count of each class plus the final output potential
        as a fraction of the threshold, clipped to ``[0, 0.999]`` (it only breaks ties between
        equal counts).

        Returns ``(n_samples, n_classes)``; for two classes the score of ``classes_[1]``,
        :math:`(z_1 - z_0) / (z_0 + z_1)` (0 when both are 0) of shape ``(n_samples,)``: the
        difference of the two :meth:`predict_proba` columns, so it ranks the samples as
        ``predict_proba(X)[:, 1]`` does, and is positive exactly when ``classes_[1]`` is predicted.
        """
        X = self._check_X(X, reset=False)
        z = self._scores(X)
        if z.shape[1] != 2:
            return z
        p = self._normalised(z)
        return p[:, 1] - p[:, 0]

    def predict_proba(self, X):
        """Normalised scores: the :meth:`decision_function` scores divided by their row sum
        (uniform when every output neuron stayed silent). Not calibrated probabilities."""
        X = self._check_X(X, reset=False)
        return self._normalised(self._scores(X))

    @staticmethod
    def _normalised(z):
        """Scores divided by their row sum (uniform for an all-zero row), float64."""
        z = z.astype(np.float64)
        total = z.sum(axis=1, keepdims=True)
        return np.where(total > 0, z / np.where(total > 0, total, 1.0), 1.0 / z.shape[1])

    def output_spike_counts(self, X):
        """Output spike count of every class neuron for each row of ``X``, ``(n_samples, n_classes)``."""
        X = self._check_X(X, reset=False)
        return self._output(X)[0]

    def predict(self, X):
        """Class whose output neuron fired most (ties: larger final potential, then first class)."""
        X = self._check_X(X, reset=False)
        return self.classes_[self._predict_index(X)]
