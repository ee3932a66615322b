r"""Diehl & Cook (2015): unsupervised digit recognition with STDP, as a scikit-learn-style estimator.

The network (Diehl & Cook, 2015, "Unsupervised learning of digit recognition using
spike-timing-dependent plasticity", Front. Comput. Neurosci. 9:99):

1. each input feature drives a Poisson spike train whose rate is proportional to its value
   (scaled from the training data's range to :math:`[0, r_\max]`), for ``t_present`` seconds;
2. an excitatory layer of LIF neurons with adaptive thresholds (:class:`AdaptiveThreshold`)
   receives all inputs through plastic weights (STDP; by default the triplet rule of the
   paper's code, :meth:`TripletSTDP.diehl_cook`), each neuron's incoming weights normalised to
   a fixed sum before every presentation;
3. lateral inhibition (:class:`LateralInhibition`: the excitatory -> inhibitory ->
   all-other-excitatory loop with an instantaneous relay) makes the neurons compete;
4. if the layer fires fewer than ``min_spikes`` spikes, the input rate is raised by
   ``rate_boost`` and the sample is shown again (as in the paper);
5. after unsupervised training, each neuron is assigned the class for which its average
   response (with learning off) is highest; a sample is classified as the class whose
   assigned neurons have the highest average spike count.

Differences from the paper, stated plainly: current-based delta synapses (a spike of weight
:math:`w` raises :math:`v` by :math:`w`, threshold 1) instead of conductances; the network is
reset between presentations instead of resting 150 ms; the threshold adaptation is frozen while
assigning labels and predicting; the threshold decay time :math:`\tau_\theta` is by default
shortened from the paper's :math:`10^4` s when the inputs are few (``tau_theta="auto"``, see
:class:`DiehlCookClassifier`), so that the thresholds reach an equilibrium the inputs can drive,
as they do in the paper. The whole presentation runs in one compiled loop
(:func:`spikecore.kernels.plasticity.competitive_layer_run`).

For tabular data the classifier codes every feature with Gaussian receptive fields (Bohte, Kok &
La Poutre, 2002, population coding), or optionally by complement coding (Carpenter, Grossberg &
Rosen, 1991, "Fuzzy ART: fast stable learning and categorization of analog patterns by an
adaptive resonance system", Neural Networks 4:759-771); neither is in Diehl & Cook's paper.
By default step 5 weighs each class's average response by the class's number of training
samples (``assignment="total"``), which equals the paper's rule on balanced classes and keeps a
rare class from taking as many neurons as a common one.
"""
import time

import numpy as np
from tqdm.auto import tqdm

from spikecore import _validate as V
from spikecore.kernels import plasticity as K
from spikecore.kernels import rng as _rng
from spikecore.encoding import field_responses
from spikecore.learning.base import BaseEstimator, ClassifierMixin
from spikecore.learning.homeostasis import AdaptiveThreshold, LateralInhibition, normalize_incoming
from spikecore.learning.stdp import RULES, PlasticityRule, TripletSTDP
from spikecore.neurons.adaptive import AdaptiveLIF

_PREDICT_STREAM = 1 << 62
# receptive_fields="auto": fields per feature for tabular data (class docstring)
_AUTO_FIELDS = 10
# tau_theta="auto" (class docstring): Diehl & Cook's tau_theta (1e7 ms) is the upper bound; below it,
# the mean threshold offset equal to the weight sum is in equilibrium with this many layer spikes
# per presentation (the paper's minimum of five)
_PAPER_TAU_THETA = 1e4
_EQUILIBRIUM_SPIKES = 5.0


class CompetitiveLayer:
    r"""Poisson-driven layer of adaptive-threshold LIF neurons with lateral inhibition and STDP.

    The building block of :class:`DiehlCookClassifier`, usable on its own. Neurons:
    :math:`\tau_m dv/dt = -v` with delta synapses (:math:`v \mathrel{+}= \sum_j w_{ij} z_j(t)`),
    spike when :math:`v > 1 + \theta`, reset to 0, refractory ``t_ref``
    (:class:`~spikecore.neurons.AdaptiveLIF` with :math:`R = 1/(1 - e^{-dt/\tau_m})`, which makes
    the input gain exactly 1); :math:`\theta` as in :class:`AdaptiveThreshold`; inhibition as in
    :class:`LateralInhibition`; input weights :math:`W` (``weights_t`` = :math:`W^T`) learn with
    ``rule`` during :meth:`present` when ``learn`` is set.

    Parameters
    ----------
    weights_t : float32 array (n_in, n_out)
        Transposed input weights, used and updated in place.
    theta : float32 array (n_out,)
        Adaptive thresholds, used and updated in place during learning.
    rule : PlasticityRule
        The plasticity rule.
    dt : float
        Time step (s).
    tau_mem, t_ref : float
        Membrane time constant and refractory period (s).
    threshold : AdaptiveThreshold
    inhibition : LateralInhibition
    """

    def __init__(self, weights_t, theta, rule, *, dt, tau_mem, t_ref, threshold, inhibition):
        self.weights_t = weights_t
        self.theta = theta
        self.n_in, self.n_out = weights_t.shape
        self.rule_code, self.params = rule.kernel_params(dt)
        self.neuron = AdaptiveLIF(tau_mem=tau_mem, tau_theta=threshold.tau_theta,
                                  theta_plus=threshold.theta_plus, t_ref=t_ref,
                                  r_m=1.0 / -np.expm1(-dt / tau_mem))
        (self.alpha, self.beta, self.v_rest, self.v_th, self.v_reset, _, self.n_ref,
         self.theta_decay, self.theta_plus) = self.neuron.step_params(dt)
        self.w_inh, self.inh_decay = inhibition.step_params(dt)
        self._batch = 0

    def _state(self, batch):
        if batch != self._batch:
            f = np.float32
            self.v = np.zeros((batch, self.n_out), f)
            self.refrac = np.zeros((batch, self.n_out), np.int32)
            self.i_inh = np.zeros((batch, self.n_out), f)
            self.x1 = np.zeros((batch, self.n_in), f)
            self.x2 = np.zeros((batch, self.n_in), f)
            self.y1 = np.zeros((batch, self.n_out), f)
            self.y2 = np.zeros((batch, self.n_out), f)
            rc = self.rule_code
            self.bcm = np.zeros((batch, self.n_out) if rc == K.RULE_BCM else (1, 1), np.float64)
            self.elig = np.zeros((batch, self.n_in, self.n_out) if rc == K.RULE_RSTDP else (1, 1, 1), f)
            self.counts = np.zeros((batch, self.n_out), np.int32)
            self.no_mod = np.zeros((0, batch), np.float64)
            self._batch = batch
        for a in (self.v, self.refrac, self.i_inh, self.x1, self.x2, self.y1, self.y2, self.counts):
            a[...] = 0
        self.v[...] = self.v_rest

    def present(self, spikes, learn):
        """Run one presentation of input spikes ``(T, batch, n_in)`` from a reset state.

        With ``learn`` the thresholds adapt and the weights learn (shared over the batch, so use
        ``batch = 1`` for the sequential training of the paper); without, both are frozen.
        Returns the spike counts ``(batch, n_out)`` (int32, a buffer reused by the next call).
        """
        batch = spikes.shape[1]
        self._state(batch)
        theta = np.array(np.broadcast_to(self.theta, (batch, self.n_out)), np.float32)
        K.competitive_layer_run(
            spikes, self.weights_t, self.v, theta, self.refrac, self.i_inh, self.x1, self.x2,
            self.y1, self.y2, self.bcm, self.elig, self.no_mod, self.alpha, self.beta, self.v_rest,
            self.v_th, self.v_reset, self.n_ref, self.theta_decay if learn else 1.0,
            self.theta_plus if learn else 0.0, self.w_inh, self.inh_decay, learn, self.rule_code,
            self.params, self.counts)
        if learn:
            self.theta[...] = theta[0]
        return self.counts


def _bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        V.fail(name, value, "True or False", TypeError)
    return bool(value)


class DiehlCookClassifier(ClassifierMixin, BaseEstimator):
    r"""Unsupervised STDP network of Diehl & Cook (2015) with label assignment, as a classifier.

    ``fit`` trains the input weights of a competitive layer of ``n_neurons`` adaptive-threshold
    LIF neurons by STDP without labels (one sample at a time, ``n_epochs`` passes), then assigns
    each neuron a class from its average spike count :math:`\bar r_{c,i}` over the training
    samples of class :math:`c` (weights and thresholds frozen): the paper's
    :math:`\arg\max_c \bar r_{c,i}` (``assignment="mean"``), or by default
    :math:`\arg\max_c N_c \bar r_{c,i}` (``assignment="total"``, :math:`N_c` the number of
    training samples of class :math:`c`): the class that drew most of the neuron's spikes, i.e.
    the most probable class given that the neuron fired. The two are the same rule when the classes
    are balanced (as MNIST's are); with unequal classes the paper's rule gives a rare class as
    many neurons as a common one, and the vote then favours it (a 90/10 split scored 0.63 with
    ``"mean"``, 0.89 with ``"total"``; Wine 0.78 -> 0.85). ``predict`` presents each sample and returns
    :math:`\arg\max_c \frac{1}{|A_c|}\sum_{i \in A_c} n_i`, where :math:`A_c` are the neurons
    assigned to class :math:`c` and :math:`n_i` their spike counts (Diehl & Cook, 2015). The
    network and its differences from the paper are described in :mod:`spikecore.learning.diehl_cook`.

    Inputs are intensities (pixels, counts) or any real features; each is scaled to
    :math:`s = (x - x_{\min})/(x_{\max} - x_{\min})` clipped to :math:`[0, 1]`, with
    :math:`x_{\min}, x_{\max}` taken from the training data (over all features, or per feature;
    see ``scaling``), and presented as a Poisson rate :math:`r = r_\max s`. With complement
    coding (``complement``; Carpenter, Grossberg & Rosen, 1991) the input layer holds
    :math:`(s, 1 - s)`, two neurons per feature, so every sample brings the same total
    intensity :math:`\sum_m (s_m + 1 - s_m) = n_\mathrm{features}`: a sample with small values
    still drives the layer, and the competition with normalised weights compares patterns
    rather than brightness. It suits tabular data better than the raw features (Iris 0.60 ->
    0.82, breast cancer 0.77 -> 0.90, two moons 0.69 -> 0.88 in one held-out split); images
    keep their dark background silent without it.

    Gaussian receptive fields (``receptive_fields``; Bohte, Kok & La Poutre, 2002) do better
    still and are the default for tabular data: each scaled value :math:`s` drives :math:`m`
    inputs at rates :math:`r_\max e^{-(s - \mu_i)^2/2\sigma^2}` (0 below 0.1;
    :func:`spikecore.encoding.field_responses`, centres and width of
    :func:`spikecore.encoding.gaussian_fields`, :math:`\beta = 1.5`), so each range of a
    feature has inputs of its own. The layer's neurons learn prototypes -- normalised weight
    vectors that win the competition for the inputs they match -- and with complement coding
    a feature's two inputs :math:`(s, 1 - s)` let a prototype prefer only the low or the high
    end of its range: a value in the middle is matched best by no one, and classes that sit
    in the middle of a feature cannot own neurons (one feature, three classes: 0.32, majority
    0.36). With fields, the prototype for a middle value weights the middle fields.
    Measured (5-fold stratified CV, the other defaults; complement coding -> 10 fields):
    one feature / 3 classes 0.32 -> 0.93, Iris 0.73 -> 0.94, Wine 0.79 -> 0.98, two moons
    0.83 -> 0.90, circles 0.73 -> 0.93, a 90/10 imbalanced task 0.85 -> 0.89, 30 rows 0.53 ->
    0.60. On one 75/25 split each of 28 data sets, 22 improved (20 blobs 0.63 -> 0.99, 4
    classes 0.39 -> 0.62, 10 classes 0.28 -> 0.41, 20 000 rows 0.56 -> 0.83), 4 were
    unchanged (the 8x8 digits keep their global range and no fields) and 2 lost (90/10 classes
    0.89 -> 0.82, 6 features 0.83 -> 0.70; in 5-fold CV both gained: 0.85 -> 0.89 and
    0.70 -> 0.75); 4, 6 and 16 fields were worse than 10 on most of them. Cost: :math:`m`
    inputs per feature instead of 2.

    Threshold equilibrium (``tau_theta="auto"``). The adaptive threshold of neuron :math:`i` follows
    :math:`\tau_\theta\,d\theta_i/dt = -\theta_i` plus :math:`\theta_+` per spike (Diehl & Cook,
    2015), so over training it settles at :math:`\theta_i^* = \theta_+ \tau_\theta r_i` (:math:`r_i`
    its firing rate), and a layer of :math:`N` neurons with mean offset :math:`\bar\theta` fires
    :math:`S = N T \bar\theta / (\theta_+ \tau_\theta)` spikes per presentation of :math:`T` =
    ``t_present`` seconds. In the paper (:math:`\tau_\theta = 10^4` s, an MNIST epoch of 60 000
    x 0.5 s :math:`= 3\,\tau_\theta`) the thresholds reach that equilibrium within
    the first epoch. With the paper's :math:`\tau_\theta` here (:math:`N = 100`, :math:`T = 0.5` s,
    :math:`\theta_+ = 0.02`) the equilibrium is :math:`S = 0.25\,\bar\theta`: five spikes per
    presentation need :math:`\bar\theta = 20`, beyond what a low-dimensional input can overcome (its
    drive :math:`\sum_j w_j r_j` is bounded by the weight sum :math:`W` times the boosted rate; with
    one feature the layer fired 0.4 spikes per presentation at :math:`\bar\theta \approx 1.5\,W`).
    The thresholds then rise every epoch until the layer barely fires even at the last rate boost,
    and more epochs make the classifier worse. Measured on one feature, three classes (450 rows,
    75/25 split), epochs 1/2/3: mean :math:`\theta` 0.95/1.52/1.58, training samples that exhausted
    ``max_boosts`` 0/20/68 %, test spikes per sample 10.9/5.5/2.6, accuracy 0.97/0.73/0.64.
    ``"auto"`` therefore uses :math:`\tau_\theta = \min(10^4\,\mathrm{s},\ N T W / (5\,\theta_+))`:
    the paper's value, or shorter so that :math:`\bar\theta = W` is in equilibrium with the paper's
    minimum of five spikes per presentation. With the defaults that is :math:`500\,W` s: 500 s for
    one feature (:math:`W = 1`), 2000 s for Iris, 3200 s for the 8x8 digits, the paper's
    :math:`10^4` s from 20 features on (unchanged there). On the data set above, epochs 1/2/3/4 then
    give mean :math:`\theta` 0.51/0.55/0.53/0.52, no exhausted samples, test spikes per sample
    12.8/14.5/12.2/15.3 and accuracy 0.97/0.97/0.96/0.97; in 5-fold CV after three epochs, one
    feature with three classes 0.52 -> 0.92 (one epoch: 0.93), with two classes 0.70 -> 0.86,
    circles 0.94 -> 0.97, the 8x8 digits 0.88 -> 0.87, Iris, Wine, two moons within 0.02. One epoch
    (the default) is unchanged within the spread between seeds: averaged over ten seeds on a 75/25
    split of each of 17 data sets with fewer than 20 features, -0.007 to +0.028 (mean +0.007; digits
    0.848 -> 0.849). A fixed :math:`\tau_\theta` of 481 s (:math:`S = 5.2\,\bar\theta`, the paper's
    ratio :math:`N T / (\theta_+ \tau_\theta)` for 400 neurons, :math:`\theta_+` = 0.05 mV of the 13
    mV from reset to threshold) also stopped the collapse but lowered the 8x8 digits from 0.86 to
    0.83 in a 5-fold CV run (their thresholds settled at :math:`\bar\theta \approx 4` instead of
    rising to 7), and undoing the threshold increments of samples that exhausted the boosts did not
    help (0.63 after 4 epochs).

    Label assignment and ``predict`` (learning off) encode every sample with the same *frozen*
    Poisson noise: one field of Philox words :math:`u_{t,m}` (key ``poisson_key_``) shared by all
    samples, :math:`s_{t,m} = [u_{t,m} < r_m\,dt]`, a fresh field for each rate boost. Each
    sample's spikes are then a valid Poisson sample and a function of that sample alone, so its
    prediction does not depend on the other rows of ``X`` or on its position (as scikit-learn
    requires) and a brighter input never has fewer input spikes. Training draws fresh spikes for
    every presentation.

    Parameters
    ----------
    n_neurons : int
        Number of excitatory neurons.
    n_epochs : int
        Passes over the training data.
    t_present : float
        Presentation time per sample (s); the paper uses 0.35 s, 0.5 s gives less noisy counts.
    dt : float
        Time step (s).
    max_rate : float
        Rate of the largest input (Hz); 63.75 Hz in the paper.
    rule : str or PlasticityRule
        ``"triplet"`` (Diehl & Cook's code rule, :meth:`TripletSTDP.diehl_cook` with ``nu_pre``,
        ``nu_post``), another name of :data:`spikecore.learning.stdp.RULES` (built with its
        defaults), or a rule object.
    nu_pre, nu_post : float
        Learning rates of the default triplet rule (paper: 1e-4 and 1e-2).
    weight_sum : float or None
        Sum of every neuron's incoming weights, restored before each presentation. ``None``:
        ``0.1 * n_inputs``, the inputs of the network (the paper's 78 for 784 inputs), with
        weights in [0, 1].
    tau_mem : float
        Membrane time constant (s); 100 ms in the paper (with conductance synapses), 20 ms
        works better with the delta synapses here.
    t_ref : float
        Refractory period (s).
    theta_plus : float
        Threshold increment per spike (units of the threshold).
    tau_theta : float or "auto"
        Threshold decay time constant (s); the paper's is :math:`10^4` s. ``"auto"`` (default):
        :math:`\min(10^4, N T W / (5\,\theta_+))` with :math:`N` = ``n_neurons``, :math:`T` =
        ``t_present`` and :math:`W` the weight sum (above; ``tau_theta_``).
    inhibition : float
        Lateral inhibition strength :math:`w_\mathrm{inh}` (units of the threshold).
    tau_inh : float
        Inhibition time constant (s).
    min_spikes : int
        Minimum number of layer spikes per presentation before the input rate is boosted.
    rate_boost : float
        Rate increment (Hz) per repetition (paper: 32 Hz).
    max_boosts : int
        Maximum number of repetitions of one sample.
    scaling : {"auto", "global", "feature"}
        Input range over all features (images: keeps relative intensities) or per feature
        (tabular data with unrelated units). ``"auto"``: per feature when some feature is
        negative (centred or standardised data), when the features share no zero baseline
        (median per-feature minimum above 5 % of the median maximum; pixels and counts start at
        0, measurements such as lengths do not) or when their maxima differ widely (90th / 10th
        percentile of the non-zero per-feature maxima > 10); else global.
    receptive_fields : int, None or "auto"
        Gaussian receptive fields per feature :math:`m` (>= 3; above), or ``None``: one input per
        feature (and its complement, see ``complement``). ``"auto"`` (default): 10 when the
        inputs are scaled per feature (tabular data), none for a global range (images).
    complement : {"auto", True, False}
        Complement coding of the inputs, :math:`(s, 1 - s)` (above), when no receptive fields
        are used (ignored with them). ``"auto"``: on when the inputs are scaled per feature
        (tabular data), off for a global range (images).
    assignment : {"total", "mean"}
        Label assignment (above): the class with the largest share of the neuron's spikes over
        the training set (``"total"``), or with its largest average response (``"mean"``,
        Diehl & Cook 2015); identical for balanced classes.
    batch_size : int
        Samples presented in parallel when assigning labels and predicting.
    random_state : None, int or numpy.random.Generator
        Seed of the initial weights, sample order and Poisson spikes.
    verbose : bool
        Show a tqdm progress bar.

    Attributes
    ----------
    weights_ : float32 ndarray (n_neurons, n_inputs)
        Learned input weights; ``n_inputs`` is the number of ``features_``, :math:`m` times that
        with receptive fields, twice that with complement coding (the features, then their
        complements).
    theta_ : float32 ndarray (n_neurons,)
        Learned threshold offsets.
    assignments_ : int64 ndarray (n_neurons,)
        Class index assigned to each neuron (into ``classes_``); -1 for a neuron that fired for
        no training sample during the assignment, which then takes no part in the vote (Diehl &
        Cook's code leaves such neurons "not assigned"; counting them for class 0 would drag
        that class's average down, or, when every neuron is silent, predict it always).
    tau_theta_ : float
        Threshold decay time constant used (s): ``tau_theta``, or its ``"auto"`` value.
    class_rates_ : float64 ndarray (n_classes, n_neurons)
        Average spike count of each neuron per class (used for the assignment, with the class
        counts for ``assignment="total"``).
    x_min_, x_max_ : float64 ndarray (n_features,)
        Input range used for scaling.
    features_ : int64 ndarray
        Indices of the features presented to the network. With a per-feature range, a feature
        constant in the training data is left out: it carries no information, and complement
        coded it would add an input firing at the full rate for every sample, which dilutes the
        competition (Iris with one constant column appended: 0.84 -> 0.58 in one 75/25 split).
        With one global range (images) every feature is kept (a constant dark pixel is silent).
    receptive_fields_ : int
        Receptive fields per feature :math:`m` used (0: none); then ``weights_`` has
        ``m * n_features`` columns, feature-major.
    complement_ : bool
        Whether the inputs are complement-coded (then ``weights_`` has ``2 * n_features``
        columns: the features, then their complements).
    poisson_key_ : int
        Seed of the Poisson spikes (frozen, above, for the label assignment and ``predict``:
        predictions are deterministic).
    history_ : list of float
        Per epoch: accuracy on the training samples of the labels assigned from the responses
        recorded while learning in that epoch (a free, optimistic progress measure).
    report_ : dict
        Activity of ``fit`` (``phase = "fit"``): ``phase``, ``n_samples``, ``steps``,
        ``presentations``, ``input_spikes``, ``output_spikes``, ``synaptic_operations`` (input
        spikes x fan-out + layer spikes x lateral fan-out), ``plasticity_presentations`` and
        ``seconds``. ``predict`` and ``transform`` change no attribute (scikit-learn's rule);
        :meth:`transform_with_report` returns the same report for a prediction.
    """

    def __init__(self, n_neurons=100, n_epochs=1, t_present=0.5, dt=1e-3, max_rate=63.75,
                 rule="triplet", nu_pre=1e-4, nu_post=1e-2, weight_sum=None, tau_mem=0.02,
                 t_ref=5e-3, theta_plus=0.02, tau_theta="auto", inhibition=1.0, tau_inh=2e-3,
                 min_spikes=5, rate_boost=32.0, max_boosts=10, scaling="auto", receptive_fields="auto",
                 complement="auto", assignment="total", batch_size=128, random_state=None, verbose=False):
        self.n_neurons = n_neurons
        self.n_epochs = n_epochs
        self.t_present = t_present
        self.dt = dt
        self.max_rate = max_rate
        self.rule = rule
        self.nu_pre = nu_pre
        self.nu_post = nu_post
        self.weight_sum = weight_sum
        self.tau_mem = tau_mem
        self.t_ref = t_ref
        self.theta_plus = theta_plus
        self.tau_theta = tau_theta
        self.inhibition = inhibition
        self.tau_inh = tau_inh
        self.min_spikes = min_spikes
        self.rate_boost = rate_boost
        self.max_boosts = max_boosts
        self.scaling = scaling
        self.receptive_fields = receptive_fields
        self.complement = complement
        self.assignment = assignment
        self.batch_size = batch_size
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        from sklearn.utils import TransformerTags
        # transform() returns spike counts (int64), whatever the input dtype
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        # Unsupervised competitive STDP on intensity patterns, meant for high-dimensional images
        # (Diehl & Cook 2015): on scikit-learn's 2-feature blobs it scores ~0.4 (chance 0.33), below
        # the 0.83 that check_classifiers_train asks for; poor_score is the tag for this.
        tags.classifier_tags.poor_score = True
        return tags

    # ---------------------------------------------------------------- parameters
    def _check_params(self):
        V.integer("n_neurons", self.n_neurons, low=1)
        V.integer("n_epochs", self.n_epochs, low=1)
        dt = V.positive("dt", self.dt, unit="s")
        steps = int(round(V.positive("t_present", self.t_present, unit="s") / dt))
        if steps < 1:
            V.fail("t_present", self.t_present, "at least one time step dt = %r" % dt)
        rate = V.positive("max_rate", self.max_rate, unit="Hz")
        boost = V.nonnegative("rate_boost", self.rate_boost, unit="Hz")
        boosts = V.integer("max_boosts", self.max_boosts, low=0)
        if (rate + boost * boosts) * dt > 1.0:
            V.fail("max_rate", self.max_rate, "(max_rate + rate_boost * max_boosts) * dt <= 1 "
                   "(at most one spike per step)")
        V.nonnegative("nu_pre", self.nu_pre)
        V.nonnegative("nu_post", self.nu_post)
        if self.weight_sum is not None:
            V.positive("weight_sum", self.weight_sum)
        V.positive("tau_mem", self.tau_mem, unit="s")
        V.nonnegative("t_ref", self.t_ref, unit="s")
        V.nonnegative("theta_plus", self.theta_plus)
        if not (isinstance(self.tau_theta, str) and self.tau_theta == "auto"):
            if isinstance(self.tau_theta, str):
                V.fail("tau_theta", self.tau_theta, '"auto" or a positive number of seconds')
            V.positive("tau_theta", self.tau_theta, unit="s")
        V.nonnegative("inhibition", self.inhibition)
        V.integer("min_spikes", self.min_spikes, low=0)
        V.choice("scaling", self.scaling, ("auto", "global", "feature"))
        if not (isinstance(self.complement, str) and self.complement == "auto") \
                and not isinstance(self.complement, (bool, np.bool_)):
            V.fail("complement", self.complement, '"auto", True or False')
        if self.receptive_fields is not None and not (isinstance(self.receptive_fields, str)
                                                      and self.receptive_fields == "auto"):
            V.integer("receptive_fields", self.receptive_fields, low=3)
        V.choice("assignment", self.assignment, ("total", "mean"))
        V.integer("batch_size", self.batch_size, low=1)
        _bool("verbose", self.verbose)
        return steps

    def _rule(self):
        if isinstance(self.rule, PlasticityRule):
            if self.rule.rule_code == K.RULE_RSTDP:
                V.fail("rule", self.rule, "an unsupervised rule (no neuromodulator is given here)")
            return self.rule
        V.choice("rule", self.rule, tuple(k for k in RULES if k != "reward"))
        if self.rule == "triplet":
            return TripletSTDP.diehl_cook(nu_pre=self.nu_pre, nu_post=self.nu_post)
        return RULES[self.rule]()

    def _layer(self, weights_t, theta):
        return CompetitiveLayer(
            weights_t, theta, self._rule(), dt=self.dt, tau_mem=self.tau_mem, t_ref=self.t_ref,
            threshold=AdaptiveThreshold(self.theta_plus, self._tau_theta()),
            inhibition=LateralInhibition(self.inhibition, self.tau_inh))

    def _tau_theta(self):
        """``tau_theta``, or for ``"auto"`` min(paper's value, n_neurons * t_present * W / (5 theta_plus))
        (class docstring); needs the fitted input layout (the weight sum W)."""
        if not isinstance(self.tau_theta, str):
            return float(self.tau_theta)
        if self.theta_plus == 0:
            return _PAPER_TAU_THETA  # no threshold growth: the decay of theta = 0 does nothing
        balance = self.n_neurons * self.t_present * self._total() / (_EQUILIBRIUM_SPIKES * self.theta_plus)
        return float(min(_PAPER_TAU_THETA, balance))

    def _per_feature(self, X):
        if self.scaling != "auto":
            return self.scaling == "feature"
        if X.min() < 0:
            return True
        minima, maxima = X.min(axis=0), X.max(axis=0)
        if np.median(minima) > 0.05 * np.median(maxima):
            return True  # no shared zero baseline (as pixels and counts have): measurements
        maxima = maxima
        maxima = maxima[maxima > 0]
        if maxima.size < 2:
            return False
        lo, hi = np.percentile(maxima, [10, 90])
        return bool(hi > 10.0 * lo)

    def _scale(self, X):
        """Scaled inputs in [0, 1], ``(n, n_inputs)``: the receptive-field responses of the
        features (feature-major), or the features, then (with complement coding) one minus each."""
        kept = getattr(self, "features_", None)  # None: a model saved before features_ existed
        if kept is not None and kept.size < X.shape[1]:
            X, lo, hi = X[:, kept], self.x_min_[kept], self.x_max_[kept]
        else:
            lo, hi = self.x_min_, self.x_max_
        span = np.where(hi > lo, hi - lo, 1.0)
        scaled = np.clip((X - lo) / span, 0.0, 1.0).astype(np.float32)
        # getattr: estimators saved before receptive fields / complement coding existed
        m = getattr(self, "receptive_fields_", 0)
        if m:
            return field_responses(scaled, m)
        return np.hstack([scaled, 1.0 - scaled]) if getattr(self, "complement_", False) else scaled

    def _inputs_per_feature(self):
        m = getattr(self, "receptive_fields_", 0)
        return m if m else (2 if getattr(self, "complement_", False) else 1)

    def _total(self):
        kept = getattr(self, "features_", None)
        n_kept = self.n_features_in_ if kept is None else kept.size
        n_inputs = n_kept * self._inputs_per_feature()
        return 0.1 * n_inputs if self.weight_sum is None else float(self.weight_sum)

    # ---------------------------------------------------------------- spikes
    def _poisson(self, probs, steps, stream, out):
        """Bernoulli spikes ``out (T, M)`` with probabilities ``probs (M,)`` (Philox, counter-based)."""
        threshold = np.empty(probs.size, np.uint64)
        _rng.probability_threshold(np.ascontiguousarray(probs.ravel(), np.float64), threshold)
        _rng.philox_bernoulli(threshold, np.uint64(self.poisson_key_), np.uint64(stream), 0, out)
        return out

    def _frozen_poisson(self, probs, steps, stream):
        """Spikes ``(T, n, M)`` of probabilities ``probs (n, M)`` with one field of Philox words
        ``(T, M)`` (key ``poisson_key_``, ``stream``) shared by the ``n`` rows (class docstring)."""
        n, m = probs.shape
        words = np.empty((steps, m), np.uint32)
        _rng.philox_uint32(np.uint64(self.poisson_key_), np.uint64(stream), 0, words)
        threshold = np.empty(n * m, np.uint64)
        _rng.probability_threshold(np.ascontiguousarray(probs.ravel(), np.float64), threshold)
        spikes = words[:, None, :] < threshold.reshape(1, n, m)
        return spikes.view(np.uint8)

    def _present_batch(self, layer, Xs, steps, stream, stats):
        """Frozen presentation of many samples (with rate boosts); returns counts (n, n_out).

        Sample ``i``'s spikes depend only on ``Xs[i]``, ``stream`` and the boost (frozen noise)."""
        n = Xs.shape[0]
        out = np.zeros((n, layer.n_out), np.int64)
        dt = self.dt
        for start in range(0, n, self.batch_size):
            idx = np.arange(start, min(n, start + self.batch_size))
            rate = np.full(idx.size, float(self.max_rate))
            for attempt in range(self.max_boosts + 1):
                probs = Xs[idx] * (rate[:, None] * dt)
                raster = self._frozen_poisson(probs, steps, stream + attempt)
                counts = layer.present(raster, learn=False)
                out[idx] = counts
                stats["presentations"] += idx.size
                stats["input_spikes"] += int(raster.sum(dtype=np.int64))
                stats["output_spikes"] += int(counts.sum(dtype=np.int64))
                low = counts.sum(axis=1) < self.min_spikes
                if not low.any():
                    break
                idx = idx[low]
                rate = rate[low] + self.rate_boost
        return out

    # ---------------------------------------------------------------- API
    def fit(self, X, y):
        """Train the network on ``X`` without labels, then assign labels from ``y``.

        Parameters
        ----------
        X : array (n_samples, n_features), intensities or any real features
        y : array (n_samples,) of class labels

        Returns
        -------
        self
        """
        steps = self._check_params()
        X, y = self._check_X_y(X, y)
        rng = V.rng(self.random_state)
        t0 = time.perf_counter()
        n, n_features = X.shape
        per_feature = self._per_feature(X)
        if per_feature:
            self.x_min_ = X.min(axis=0)
            self.x_max_ = X.max(axis=0)
            # a feature constant in the training data carries no information; complement-coded
            # it would be one more input firing at the full rate for every sample
            self.features_ = np.flatnonzero(self.x_max_ > self.x_min_)
            if self.features_.size == 0:
                V.fail("X", "<%d constant features>" % n_features,
                       "at least one feature that varies across the training rows")
        else:
            self.x_min_ = np.full(n_features, X.min(), np.float64)
            self.x_max_ = np.full(n_features, X.max(), np.float64)
            self.features_ = np.arange(n_features)
        if isinstance(self.receptive_fields, str):  # "auto"
            self.receptive_fields_ = _AUTO_FIELDS if per_feature else 0
        else:
            self.receptive_fields_ = 0 if self.receptive_fields is None else int(self.receptive_fields)
        complement = per_feature if isinstance(self.complement, str) else bool(self.complement)
        self.complement_ = complement and not self.receptive_fields_
        Xs = self._scale(X)
        n_in = Xs.shape[1]
        self.poisson_key_ = int(rng.integers(0, 2 ** 63))
        weights_t = np.ascontiguousarray(rng.uniform(0.0, 0.3, (n_in, self.n_neurons)), np.float32)
        theta = np.zeros(self.n_neurons, np.float32)
        self.tau_theta_ = self._tau_theta()
        layer = self._layer(weights_t, theta)
        total = self._total()
        stats = dict(presentations=0, input_spikes=0, output_spikes=0)
        self.history_ = []
        raster = np.empty((steps, n_in), np.uint8)
        n_classes = len(self.classes_)
        bar = tqdm(total=n * self.n_epochs, disable=not self.verbose, desc=type(self).__name__,
                   unit="sample")
        stream = 0
        for epoch in range(self.n_epochs):
            order = rng.permutation(n)
            responses = np.zeros((n, self.n_neurons), np.int64)
            for k in order:
                rate = float(self.max_rate)
                for attempt in range(self.max_boosts + 1):
                    normalize_incoming(weights_t, total)
                    self._poisson(Xs[k] * (rate * self.dt), steps, stream, raster)
                    stream += 1
                    counts = layer.present(raster[:, None, :], learn=True)
                    stats["presentations"] += 1
                    stats["input_spikes"] += int(raster.sum(dtype=np.int64))
                    stats["output_spikes"] += int(counts.sum(dtype=np.int64))
                    if counts.sum() >= self.min_spikes:
                        break
                    rate += self.rate_boost
                responses[k] = counts[0]
                bar.update(1)
            rates = self._class_rates(responses, y, n_classes)
            acc = float(np.mean(self._vote(responses, self._assign(rates, y), n_classes) == y))
            self.history_.append(acc)
            bar.set_postfix(epoch=epoch + 1, train_acc="%.3f" % acc)
        normalize_incoming(weights_t, total)
        learned = stats["presentations"]
        # label assignment with learning off
        responses = self._present_batch(layer, Xs, steps, _PREDICT_STREAM - (1 << 60), stats)
        bar.close()
        self.class_rates_ = self._class_rates(responses, y, n_classes)
        self.assignments_ = self._assign(self.class_rates_, y)
        self.weights_ = np.ascontiguousarray(weights_t.T)
        self.theta_ = theta
        self.report_ = self._report("fit", n, steps, stats, time.perf_counter() - t0,
                                    plastic_presentations=learned)
        return self

    @staticmethod
    def _class_rates(responses, y, n_classes):
        rates = np.zeros((n_classes, responses.shape[1]))
        for c in range(n_classes):
            sel = y == c
            if sel.any():
                rates[c] = responses[sel].mean(axis=0)
        return rates

    def _assign(self, class_rates, y):
        """Class of each neuron from the per-class average responses (``assignment``); -1 for a
        neuron that fired for no training sample (unassigned: it takes no part in the vote, as
        in Diehl & Cook's code, whose assignments start at -1, "not assigned")."""
        if self.assignment == "total":
            class_rates = class_rates * np.bincount(y, minlength=class_rates.shape[0])[:, None]
        out = class_rates.argmax(axis=0).astype(np.int64)
        out[~(class_rates > 0).any(axis=0)] = -1
        return out

    @staticmethod
    def _vote(responses, assignments, n_classes):
        scores = np.full((responses.shape[0], n_classes), -np.inf)
        for c in range(n_classes):
            sel = assignments == c
            if sel.any():
                scores[:, c] = responses[:, sel].mean(axis=1)
        return scores.argmax(axis=1)

    def _report(self, phase, n, steps, stats, seconds, plastic_presentations=0):
        n_out = self.n_neurons
        syn_ops = stats["input_spikes"] * n_out + stats["output_spikes"] * (n_out - 1)
        return {
            "phase": phase, "n_samples": int(n), "steps": int(steps),
            "presentations": int(stats["presentations"]),
            "input_spikes": int(stats["input_spikes"]), "output_spikes": int(stats["output_spikes"]),
            "synaptic_operations": int(syn_ops),
            "plasticity_presentations": int(plastic_presentations),
            "seconds": float(seconds),
        }

    def transform_with_report(self, X):
        """Spike counts of the layer for each sample, ``(n_samples, n_neurons)`` (learning off),
        and the activity report of that run (``phase = "predict"``; keys as ``report_``)."""
        X = self._check_X(X, reset=False)
        steps = self._check_params()
        t0 = time.perf_counter()
        layer = self._layer(np.ascontiguousarray(self.weights_.T, np.float32),
                            np.array(self.theta_, np.float32))
        stats = dict(presentations=0, input_spikes=0, output_spikes=0)
        counts = self._present_batch(layer, self._scale(X), steps, _PREDICT_STREAM, stats)
        return counts, self._report("predict", X.shape[0], steps, stats, time.perf_counter() - t0)

    def transform(self, X):
        """Spike counts of the layer for each sample, ``(n_samples, n_neurons)`` (learning off)."""
        return self.transform_with_report(X)[0]

    def fit_transform(self, X, y):
        """``fit(X, y)``, then the spike counts :meth:`transform` gives for ``X``."""
        return self.fit(X, y).transform(X)

    def predict_with_report(self, X):
        """:meth:`predict` and the activity report of that run (as :meth:`transform_with_report`)."""
        counts, report = self.transform_with_report(X)
        return self.classes_[self._vote(counts, self.assignments_, len(self.classes_))], report

    def predict(self, X):
        """Class of each sample: the class whose assigned neurons fire most on average."""
        return self.predict_with_report(X)[0]
