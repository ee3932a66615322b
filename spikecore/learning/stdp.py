r"""Spike-timing-dependent plasticity rules, and plastic synapses to attach them to.

A rule object holds validated parameters (SI units: seconds) and turns them into the code and
float64 parameter vector of the compiled kernels (:mod:`spikecore.kernels.plasticity`) for a
time step ``dt``. All rules are written with synaptic traces (Morrison, Diesmann & Gerstner,
2008): presynaptic traces :math:`x_1, x_2`, postsynaptic traces :math:`y_1, y_2`, each decaying
with its own time constant and jumping at its neuron's spikes (``+1`` for all-to-all pairing,
``=1`` for nearest-spike pairing). Weights change only at spikes and are kept in
:math:`[w_\min, w_\max]`.

=========================  ====================================================================
:class:`PairSTDP`          exponential window, additive (hard bounds) or multiplicative (soft)
:class:`TripletSTDP`       Pfister & Gerstner (2006); Diehl & Cook's code rule as a preset
:class:`PresynapticTraceSTDP`  Diehl & Cook (2015): :math:`\eta (x_\mathrm{pre} - x_\mathrm{tar})(w_\max - w)^\mu`
:class:`ExponentialSTDP`   Diehl & Cook (2015): exponential weight dependence with :math:`\beta`
:class:`PrePostTraceSTDP`  Diehl & Cook (2015): pre- and postsynaptic trace product rule
:class:`RewardModulatedSTDP`  three-factor rule with an eligibility trace (Izhikevich, 2007)
:class:`BCM`               sliding-threshold rate rule (Bienenstock, Cooper & Munro, 1982)
:class:`PlasticSynapses`   weights (dense or CSR) + a rule + its traces: ``step`` / ``run``
:func:`stdp_window`        the weight change of one pre/post pair, measured from the kernels
=========================  ====================================================================
"""
import math

import numpy as np

from spikecore import _validate as V
from spikecore.kernels import plasticity as K
from spikecore.kernels.propagation import spike_list
from spikecore.network.connections import csr_columns  # noqa: F401 (the connection's column index)


class PlasticityRule:
    """Base class: parameter checks and the kernel parameter vector.

    Subclasses set ``rule_code`` and implement :meth:`_fill` (writing their parameters into the
    vector ``p`` laid out by :mod:`spikecore.kernels.plasticity`'s ``P_*`` indices).
    """

    rule_code = K.RULE_STDP

    def kernel_params(self, dt):
        """Return ``(rule_code, p)``: the kernels' rule code and float64 parameter vector for ``dt``."""
        dt = V.positive("dt", dt, unit="s")
        p = np.zeros(K.N_PARAMS, np.float64)
        for k in (K.P_DECAY_X1, K.P_DECAY_X2, K.P_DECAY_Y1, K.P_DECAY_Y2, K.P_DECAY_ELIG,
                  K.P_DECAY_THETA):
            p[k] = 1.0
        p[K.P_BCM_NU0] = 1.0
        self._fill(p, dt)
        if not p[K.P_W_MAX] > p[K.P_W_MIN]:
            V.fail("w_max", p[K.P_W_MAX], "a number > w_min = %r" % p[K.P_W_MIN])
        return self.rule_code, p

    def _fill(self, p, dt):
        raise NotImplementedError

    def __repr__(self):
        fields = ", ".join("%s=%r" % (k, v) for k, v in vars(self).items())
        return "%s(%s)" % (type(self).__name__, fields)

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    @staticmethod
    def _decay(tau, dt):
        return math.exp(-dt / tau)


def _pairing(value):
    return V.choice("pairing", value, ("all", "nearest"))


def _bounds(w_min, w_max):
    return V.ordered("w_min", w_min, "w_max", w_max)


class PairSTDP(PlasticityRule):
    r"""Pair-based STDP with an exponential window (Bi & Poo, 1998; Song, Miller & Abbott, 2000).

    For a presynaptic spike at :math:`t_\mathrm{pre}` and a postsynaptic spike at
    :math:`t_\mathrm{post}`, :math:`\Delta t = t_\mathrm{post} - t_\mathrm{pre}`:

    .. math::
        \Delta w = \begin{cases} A_+\, F_+(w)\, e^{-\Delta t/\tau_+} & \Delta t \ge 0 \\
                                 -A_-\, F_-(w)\, e^{\Delta t/\tau_-} & \Delta t < 0 \end{cases}

    implemented with a presynaptic trace :math:`x` (:math:`\tau_+`) read at postsynaptic spikes
    and a postsynaptic trace :math:`y` (:math:`\tau_-`) read at presynaptic spikes (Morrison,
    Diesmann & Gerstner, 2008). Weight dependence:

    * ``"additive"``: :math:`F_\pm = 1`, weights clipped to :math:`[w_\min, w_\max]` (hard
      bounds; Song, Miller & Abbott, 2000);
    * ``"multiplicative"``: soft bounds :math:`F_+ = (w_\max - w)^\mu`,
      :math:`F_- = (w - w_\min)^\mu` (:math:`\mu = 1`: van Rossum, Bi & Turrigiano, 2000,
      Rubin, Lee & Sompolinsky, 2001; general :math:`\mu`: Gütig et al., 2003).

    Pairing ``"all"`` sums over all earlier spikes (traces add 1), ``"nearest"`` uses only the
    latest one (traces reset to 1; Morrison et al., 2008, "symmetric nearest-spike").

    Parameters
    ----------
    a_plus, a_minus : float
        Amplitudes :math:`A_+, A_- \ge 0` (defaults 0.005 and 1.05 x that: Song et al., 2000).
    tau_plus, tau_minus : float
        Window time constants :math:`\tau_+, \tau_-` (s).
    w_min, w_max : float
        Weight bounds.
    weight_dependence : {"additive", "multiplicative"}
    mu : float
        Exponent :math:`\mu \ge 0` of the multiplicative rule.
    pairing : {"all", "nearest"}
    """

    def __init__(self, a_plus=0.005, a_minus=0.00525, tau_plus=20e-3, tau_minus=20e-3, w_min=0.0,
                 w_max=1.0, weight_dependence="additive", mu=1.0, pairing="all"):
        self.a_plus = V.nonnegative("a_plus", a_plus)
        self.a_minus = V.nonnegative("a_minus", a_minus)
        self.tau_plus = V.positive("tau_plus", tau_plus, unit="s")
        self.tau_minus = V.positive("tau_minus", tau_minus, unit="s")
        self.w_min, self.w_max = _bounds(w_min, w_max)
        self.weight_dependence = V.choice("weight_dependence", weight_dependence,
                                          ("additive", "multiplicative"))
        self.mu = V.nonnegative("mu", mu)
        self.pairing = _pairing(pairing)

    def _fill(self, p, dt):
        p[K.P_A2_PLUS] = self.a_plus
        p[K.P_A2_MINUS] = self.a_minus
        p[K.P_W_MIN] = self.w_min
        p[K.P_W_MAX] = self.w_max
        mu = self.mu if self.weight_dependence == "multiplicative" else 0.0
        p[K.P_MU_PLUS] = p[K.P_MU_MINUS] = mu
        p[K.P_DECAY_X1] = self._decay(self.tau_plus, dt)
        p[K.P_DECAY_Y1] = self._decay(self.tau_minus, dt)
        p[K.P_NEAREST] = self.pairing == "nearest"


class TripletSTDP(PlasticityRule):
    r"""Triplet STDP (Pfister & Gerstner, 2006).

    Presynaptic traces :math:`r_1` (:math:`\tau_+`), :math:`r_2` (:math:`\tau_x`); postsynaptic
    traces :math:`o_1` (:math:`\tau_-`), :math:`o_2` (:math:`\tau_y`):

    .. math::
        \text{pre spike: } & w \leftarrow w - o_1(t)\,\big[A_2^- + A_3^-\, r_2(t - \epsilon)\big] \\
        \text{post spike: } & w \leftarrow w + r_1(t)\,\big[A_2^+ + A_3^+\, o_2(t - \epsilon)\big]

    (:math:`\epsilon`: the triplet traces are read before the current spike's own jump).
    With :math:`A_3^\pm = 0` it is :class:`PairSTDP` with additive weights. Defaults: the
    nearest-spike "visual cortex" fit of Pfister & Gerstner (2006, Table 2). Weights are
    clipped to :math:`[w_\min, w_\max]`.

    Parameters
    ----------
    a2_plus, a3_plus, a2_minus, a3_minus : float
        Pair and triplet amplitudes, >= 0.
    tau_plus, tau_x, tau_minus, tau_y : float
        Trace time constants (s).
    w_min, w_max : float
        Weight bounds.
    pairing : {"all", "nearest"}
    """

    def __init__(self, a2_plus=7.5e-10, a3_plus=9.3e-3, a2_minus=7e-3, a3_minus=2.3e-4,
                 tau_plus=16.8e-3, tau_x=101e-3, tau_minus=33.7e-3, tau_y=125e-3, w_min=0.0,
                 w_max=1.0, pairing="nearest"):
        self.a2_plus = V.nonnegative("a2_plus", a2_plus)
        self.a3_plus = V.nonnegative("a3_plus", a3_plus)
        self.a2_minus = V.nonnegative("a2_minus", a2_minus)
        self.a3_minus = V.nonnegative("a3_minus", a3_minus)
        self.tau_plus = V.positive("tau_plus", tau_plus, unit="s")
        self.tau_x = V.positive("tau_x", tau_x, unit="s")
        self.tau_minus = V.positive("tau_minus", tau_minus, unit="s")
        self.tau_y = V.positive("tau_y", tau_y, unit="s")
        self.w_min, self.w_max = _bounds(w_min, w_max)
        self.pairing = _pairing(pairing)

    @classmethod
    def diehl_cook(cls, nu_pre=1e-4, nu_post=1e-2, tau_pre=20e-3, tau_post1=20e-3, tau_post2=40e-3,
                   w_max=1.0):
        r"""The rule of Diehl & Cook's (2015) published network code (their "triplet" rule).

        .. math::
            \text{pre: } w \leftarrow w - \nu_\mathrm{pre}\, y_1, \qquad
            \text{post: } w \leftarrow w + \nu_\mathrm{post}\, x_\mathrm{pre}\, y_2(t-\epsilon)

        with traces reset to 1 at spikes (nearest-spike), :math:`\tau_\mathrm{pre} = 20` ms,
        :math:`\tau_{\mathrm{post}1} = 20` ms, :math:`\tau_{\mathrm{post}2} = 40` ms,
        :math:`\nu_\mathrm{pre} = 10^{-4}`, :math:`\nu_\mathrm{post} = 10^{-2}`, weights in
        :math:`[0, 1]`: :class:`TripletSTDP` with :math:`A_2^+ = A_3^- = 0`.
        """
        return cls(a2_plus=0.0, a3_plus=nu_post, a2_minus=nu_pre, a3_minus=0.0, tau_plus=tau_pre,
                   tau_x=tau_pre, tau_minus=tau_post1, tau_y=tau_post2, w_min=0.0, w_max=w_max,
                   pairing="nearest")

    def _fill(self, p, dt):
        p[K.P_A2_PLUS] = self.a2_plus
        p[K.P_A3_PLUS] = self.a3_plus
        p[K.P_A2_MINUS] = self.a2_minus
        p[K.P_A3_MINUS] = self.a3_minus
        p[K.P_W_MIN] = self.w_min
        p[K.P_W_MAX] = self.w_max
        p[K.P_DECAY_X1] = self._decay(self.tau_plus, dt)
        p[K.P_DECAY_X2] = self._decay(self.tau_x, dt)
        p[K.P_DECAY_Y1] = self._decay(self.tau_minus, dt)
        p[K.P_DECAY_Y2] = self._decay(self.tau_y, dt)
        p[K.P_NEAREST] = self.pairing == "nearest"


class PresynapticTraceSTDP(PlasticityRule):
    r"""Diehl & Cook's (2015) presynaptic-trace rule with a target trace value.

    At every postsynaptic spike

    .. math::
        \Delta w = \eta\, \big(x_\mathrm{pre} - x_\mathrm{tar}\big)\, (w_\max - w)^{\mu}

    where :math:`x_\mathrm{pre}` is the presynaptic trace (time constant
    :math:`\tau_\mathrm{pre}`), :math:`x_\mathrm{tar}` its target value at the moment of a
    postsynaptic spike (inputs that rarely precede the spike are depressed), :math:`w_\max`
    the maximum weight and :math:`\mu` the weight dependence. Presynaptic spikes alone do not
    change the weight. The window: :math:`\eta (e^{-\Delta t/\tau_\mathrm{pre}} -
    x_\mathrm{tar})(w_\max - w)^\mu` for :math:`\Delta t \ge 0`, :math:`-\eta x_\mathrm{tar}
    (w_\max - w)^\mu` otherwise.

    Parameters
    ----------
    eta : float
        Learning rate :math:`\eta \ge 0`.
    x_tar : float
        Target :math:`x_\mathrm{tar} \ge 0`.
    w_max : float
        :math:`w_\max` (weights in :math:`[0, w_\max]`).
    mu : float
        :math:`\mu \ge 0`.
    tau_pre : float
        :math:`\tau_\mathrm{pre}` (s).
    pairing : {"all", "nearest"}
        Trace jump (+1, the paper's text; or reset to 1).
    """

    def __init__(self, eta=0.01, x_tar=0.4, w_max=1.0, mu=1.0, tau_pre=20e-3, pairing="all"):
        self.eta = V.nonnegative("eta", eta)
        self.x_tar = V.nonnegative("x_tar", x_tar)
        self.w_max = V.positive("w_max", w_max)
        self.mu = V.nonnegative("mu", mu)
        self.tau_pre = V.positive("tau_pre", tau_pre, unit="s")
        self.pairing = _pairing(pairing)

    def _fill(self, p, dt):
        p[K.P_A2_PLUS] = self.eta
        p[K.P_X_TAR] = self.x_tar
        p[K.P_W_MAX] = self.w_max
        p[K.P_MU_PLUS] = self.mu
        p[K.P_DECAY_X1] = self._decay(self.tau_pre, dt)
        p[K.P_NEAREST] = self.pairing == "nearest"


class ExponentialSTDP(PlasticityRule):
    r"""Diehl & Cook's (2015) rule with exponential weight dependence (after Querlioz et al., 2013).

    At every postsynaptic spike

    .. math::
        \Delta w = \eta \big(x_\mathrm{pre}\, e^{-\beta w} - x_\mathrm{tar}\, e^{-\beta (w_\max - w)}\big)

    :math:`\beta` sets how strongly the change depends on the current weight; symbols as in
    :class:`PresynapticTraceSTDP`. Weights in :math:`[0, w_\max]`.

    Parameters
    ----------
    eta, x_tar, w_max, tau_pre, pairing
        As in :class:`PresynapticTraceSTDP`.
    beta : float
        :math:`\beta \ge 0`.
    """

    def __init__(self, eta=0.01, x_tar=0.4, w_max=1.0, beta=3.0, tau_pre=20e-3, pairing="all"):
        self.eta = V.nonnegative("eta", eta)
        self.x_tar = V.nonnegative("x_tar", x_tar)
        self.w_max = V.positive("w_max", w_max)
        self.beta = V.nonnegative("beta", beta)
        self.tau_pre = V.positive("tau_pre", tau_pre, unit="s")
        self.pairing = _pairing(pairing)

    def _fill(self, p, dt):
        p[K.P_A2_PLUS] = self.eta
        p[K.P_X_TAR] = self.x_tar
        p[K.P_W_MAX] = self.w_max
        p[K.P_BETA] = self.beta
        p[K.P_WDEP] = K.WDEP_EXP
        p[K.P_DECAY_X1] = self._decay(self.tau_pre, dt)
        p[K.P_NEAREST] = self.pairing == "nearest"


class PrePostTraceSTDP(PlasticityRule):
    r"""Diehl & Cook's (2015) pre- and postsynaptic trace rule, with weight dependence.

    .. math::
        \text{pre spike: } \Delta w = -\eta_\mathrm{pre}\, x_\mathrm{post}\, w^{\mu}, \qquad
        \text{post spike: } \Delta w = \eta_\mathrm{post}\, x_\mathrm{pre}\, (w_\max - w)^{\mu}

    with traces :math:`x_\mathrm{pre}` (:math:`\tau_\mathrm{pre}`) and :math:`x_\mathrm{post}`
    (:math:`\tau_\mathrm{post}`); weights in :math:`[0, w_\max]`. It is the soft-bounded pair
    rule (:class:`PairSTDP`, ``"multiplicative"``) with :math:`w_\min = 0`.

    Parameters
    ----------
    eta_pre, eta_post : float
        Learning rates, >= 0.
    w_max : float
        :math:`w_\max`.
    mu : float
        :math:`\mu \ge 0`.
    tau_pre, tau_post : float
        Trace time constants (s).
    pairing : {"all", "nearest"}
    """

    def __init__(self, eta_pre=1e-4, eta_post=1e-2, w_max=1.0, mu=1.0, tau_pre=20e-3,
                 tau_post=20e-3, pairing="all"):
        self.eta_pre = V.nonnegative("eta_pre", eta_pre)
        self.eta_post = V.nonnegative("eta_post", eta_post)
        self.w_max = V.positive("w_max", w_max)
        self.mu = V.nonnegative("mu", mu)
        self.tau_pre = V.positive("tau_pre", tau_pre, unit="s")
        self.tau_post = V.positive("tau_post", tau_post, unit="s")
        self.pairing = _pairing(pairing)

    def _fill(self, p, dt):
        p[K.P_A2_PLUS] = self.eta_post
        p[K.P_A2_MINUS] = self.eta_pre
        p[K.P_W_MAX] = self.w_max
        p[K.P_MU_PLUS] = p[K.P_MU_MINUS] = self.mu
        p[K.P_DECAY_X1] = self._decay(self.tau_pre, dt)
        p[K.P_DECAY_Y1] = self._decay(self.tau_post, dt)
        p[K.P_NEAREST] = self.pairing == "nearest"


class RewardModulatedSTDP(PlasticityRule):
    r"""Reward-modulated STDP with an eligibility trace: a three-factor rule.

    Pair STDP (:class:`PairSTDP`, same window and weight dependence) does not change the weight
    directly but an eligibility trace :math:`c_{ij}` (one per batch element), which decays with
    :math:`\tau_c`; the weight follows a neuromodulator :math:`M(t)` (reward or dopamine signal
    minus baseline) given per step:

    .. math::
        \frac{dc_{ij}}{dt} = -\frac{c_{ij}}{\tau_c} + \mathrm{STDP}_{ij}(t), \qquad
        \frac{dw_{ij}}{dt} = \eta\, M(t)\, c_{ij}(t)

    (Izhikevich, 2007, where :math:`M` is the dopamine concentration :math:`d(t)`; Frémaux &
    Gerstner, 2016), stepped as :math:`w \leftarrow w + \eta\, dt\, M(t)\, c(t)` every step.
    :math:`M = 0` leaves the weights unchanged; the sign of :math:`M` sets the sign of the change.

    Parameters
    ----------
    a_plus, a_minus, tau_plus, tau_minus, w_min, w_max, weight_dependence, mu, pairing
        As in :class:`PairSTDP`.
    tau_c : float
        Eligibility time constant :math:`\tau_c` (s; 1 s in Izhikevich, 2007).
    eta : float
        Modulation learning rate :math:`\eta \ge 0` (1/s per unit of :math:`M`).
    """

    rule_code = K.RULE_RSTDP

    def __init__(self, a_plus=1.0, a_minus=1.5, tau_plus=20e-3, tau_minus=20e-3, tau_c=1.0,
                 eta=0.01, w_min=0.0, w_max=1.0, weight_dependence="additive", mu=1.0,
                 pairing="all"):
        self.stdp = PairSTDP(a_plus, a_minus, tau_plus, tau_minus, w_min, w_max,
                             weight_dependence, mu, pairing)
        self.tau_c = V.positive("tau_c", tau_c, unit="s")
        self.eta = V.nonnegative("eta", eta)

    def _fill(self, p, dt):
        self.stdp._fill(p, dt)
        p[K.P_DECAY_ELIG] = self._decay(self.tau_c, dt)
        p[K.P_ETA_MOD] = self.eta * dt


class BCM(PlasticityRule):
    r"""The BCM rule with a sliding threshold (Bienenstock, Cooper & Munro, 1982), spike-driven.

    .. math::
        \frac{dw_{ij}}{dt} = \eta\, \nu_j\, \phi(\nu_i, \theta_i),\quad
        \phi(\nu, \theta) = \nu (\nu - \theta), \qquad
        \tau_\theta \frac{d\theta_i}{dt} = \frac{\nu_i^2}{\nu_0} - \theta_i

    The presynaptic rate :math:`\nu_j` is represented by its spikes (each presynaptic spike
    applies :math:`\Delta w_{ij} = \eta\, \nu_i(\nu_i - \theta_i)`), the postsynaptic rate by an
    all-to-all trace, :math:`\nu_i = y_i/\tau_\nu` (Hz); the threshold follows
    :math:`\langle \nu_i^2 \rangle / \nu_0` (Intrator & Cooper, 1992), which makes the rate
    :math:`\nu_0` the stable fixed point of a neuron driven by a fixed input. Weights are
    clipped to :math:`[w_\min, w_\max]`.

    Parameters
    ----------
    eta : float
        Learning rate :math:`\eta \ge 0` (weight per spike per Hz²).
    tau_rate : float
        :math:`\tau_\nu` of the rate estimate (s).
    tau_theta : float
        :math:`\tau_\theta` (s); must be slower than the rate estimate for stability.
    nu0 : float
        Reference rate :math:`\nu_0` (Hz).
    w_min, w_max : float
        Weight bounds.
    """

    rule_code = K.RULE_BCM

    def __init__(self, eta=1e-6, tau_rate=0.1, tau_theta=1.0, nu0=10.0, w_min=0.0, w_max=1.0):
        self.eta = V.nonnegative("eta", eta)
        self.tau_rate = V.positive("tau_rate", tau_rate, unit="s")
        self.tau_theta = V.positive("tau_theta", tau_theta, unit="s")
        self.nu0 = V.positive("nu0", nu0, unit="Hz")
        self.w_min, self.w_max = _bounds(w_min, w_max)

    def _fill(self, p, dt):
        p[K.P_A2_PLUS] = self.eta
        p[K.P_W_MIN] = self.w_min
        p[K.P_W_MAX] = self.w_max
        p[K.P_DECAY_Y1] = self._decay(self.tau_rate, dt)
        p[K.P_RATE_SCALE] = 1.0 / self.tau_rate
        p[K.P_DECAY_THETA] = self._decay(self.tau_theta, dt)
        p[K.P_BCM_NU0] = self.nu0


RULES = {
    "pair": PairSTDP,
    "triplet": TripletSTDP,
    "pre_trace": PresynapticTraceSTDP,
    "exponential": ExponentialSTDP,
    "pre_post": PrePostTraceSTDP,
    "reward": RewardModulatedSTDP,
    "bcm": BCM,
}


class PlasticSynapses:
    r"""Weights (dense or CSR) with a plasticity rule and its traces, updated step by step.

    This is how a rule is attached to a connection: it owns (or shares) the weight array in the
    layout the propagation kernels read, the traces :math:`x_1, x_2` (per presynaptic neuron),
    :math:`y_1, y_2` (per postsynaptic neuron), and the eligibility / BCM threshold when the
    rule needs them, all batched ``(batch, n)``. :meth:`step` applies one step of
    :func:`spikecore.kernels.plasticity.stdp_dense_step` (or the CSR kernel) to the spikes of
    that step; :meth:`run` applies ``T`` steps of given rasters in one compiled loop. The
    update equations are those of the rule (see its class) and of
    :mod:`spikecore.kernels.plasticity` (schedule, pairing, clipping).

    Parameters
    ----------
    rule : PlasticityRule
        The rule (e.g. :class:`PairSTDP`).
    weights : array (n_post, n_pre), optional
        Dense weights :math:`W` (copied; stored transposed as ``weights_t``).
    csr : tuple (indptr, indices, data, n_post), optional
        Sparse weights by presynaptic row (``data`` is used in place when it is a C-contiguous
        float array, so a connection sharing it sees the changes).
    dt : float
        Time step (s).
    batch : int
        Number of independent copies (weights are shared; updates of the copies accumulate).
    dtype : float32 or float64
        dtype of dense weights and traces.
    """

    def __init__(self, rule, *, weights=None, csr=None, dt=1e-3, batch=1, dtype=np.float32):
        if not isinstance(rule, PlasticityRule):
            V.fail("rule", rule, "a PlasticityRule (e.g. spikecore.learning.PairSTDP())", TypeError)
        if (weights is None) == (csr is None):
            V.fail("weights", "<%s>" % ("both weights and csr" if weights is not None else "none"),
                   "exactly one of weights=(n_post, n_pre) array or csr=(indptr, indices, data, n_post)")
        self.rule = rule
        self.dt = V.positive("dt", dt, unit="s")
        self.batch = V.integer("batch", batch, low=1)
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            V.fail("dtype", dtype, "numpy.float32 or numpy.float64", TypeError)
        self.rule_code, self.params = rule.kernel_params(self.dt)
        if weights is not None:
            w = V.array("weights", weights, ndim=2, finite=True)
            self.kind = "dense"
            self.n_post, self.n_pre = w.shape
            self.weights_t = np.ascontiguousarray(w.T, dtype=dtype)
            n_syn = (self.n_pre, self.n_post)
        else:
            if not isinstance(csr, tuple) or len(csr) != 4:
                V.fail("csr", csr, "a tuple (indptr, indices, data, n_post)", TypeError)
            indptr, indices, data, n_post = csr
            self.kind = "csr"
            self.indptr = V.array("indptr", indptr, ndim=1, kinds="iu", dtype=np.int64)
            self.indices = V.array("indices", indices, ndim=1, kinds="iu", dtype=np.int32)
            self.n_post = V.integer("n_post", n_post, low=1)
            self.n_pre = self.indptr.shape[0] - 1
            data = np.asarray(data)
            if not (data.ndim == 1 and data.dtype.kind == "f" and data.flags.c_contiguous):
                data = V.array("data", data, ndim=1, finite=True, dtype=dtype)
            if data.shape[0] != self.indices.shape[0] or self.indptr[-1] != data.shape[0]:
                V.fail("csr", "<indptr[-1]=%d, %d indices, %d weights>" % (
                    self.indptr[-1], self.indices.shape[0], data.shape[0]), "consistent CSR arrays")
            if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= self.n_post):
                V.fail("indices", "<values in [%d, %d]>" % (self.indices.min(), self.indices.max()),
                       "postsynaptic indices in [0, %d)" % self.n_post)
            self.weights = data
            self.post_ptr, self.post_syn, self.syn_pre = csr_columns(self.indptr, self.indices,
                                                                     self.n_post)
            n_syn = (data.shape[0],)
        self.dtype = dtype
        b = self.batch
        self.x1 = np.zeros((b, self.n_pre), dtype)
        self.x2 = np.zeros((b, self.n_pre), dtype)
        self.y1 = np.zeros((b, self.n_post), dtype)
        self.y2 = np.zeros((b, self.n_post), dtype)
        self.theta = np.zeros((b, self.n_post) if self.rule_code == K.RULE_BCM else (1, 1), np.float64)
        shape = (b,) + n_syn if self.rule_code == K.RULE_RSTDP else (1,) * (1 + len(n_syn))
        self.eligibility = np.zeros(shape, dtype)
        self._pre = (np.zeros((b, self.n_pre), np.int32), np.zeros(b, np.int64))
        self._post = (np.zeros((b, self.n_post), np.int32), np.zeros(b, np.int64))

    # -- views ---------------------------------------------------------------------------------
    def dense_weights(self):
        """The weights as a dense ``(n_post, n_pre)`` array (a copy)."""
        if self.kind == "dense":
            return self.weights_t.T.copy()
        w = np.zeros((self.n_post, self.n_pre), self.weights.dtype)
        np.add.at(w, (self.indices, self.syn_pre), self.weights)
        return w

    def reset_traces(self):
        """Set every trace (and eligibility, BCM threshold) to zero."""
        for a in (self.x1, self.x2, self.y1, self.y2, self.theta, self.eligibility):
            a[...] = 0.0

    # -- updates -------------------------------------------------------------------------------
    def _spikes(self, name, spikes, n):
        s = V.array(name, spikes, shape=(self.batch, n), finite=True)
        return np.ascontiguousarray(s != 0, dtype=np.uint8)

    def _modulator(self, modulator, lead):
        shape = lead + (self.batch,)
        if modulator is None:
            return np.zeros(shape, np.float64)
        if self.rule_code != K.RULE_RSTDP:
            V.fail("modulator", modulator, "None: %s takes no neuromodulator" % type(self.rule).__name__)
        m = V.array("modulator", modulator, finite=True, dtype=np.float64)
        if m.ndim == len(lead):
            m = m[..., None]  # one value per step for every batch element
        try:
            return np.ascontiguousarray(np.broadcast_to(m, shape))
        except ValueError:
            V.fail("modulator", "<array of shape %s>" % (m.shape,), "shape %s or %s" % (lead, shape))

    def step(self, pre_spikes, post_spikes, modulator=None):
        """Apply one step of the rule to the spikes of that step.

        Parameters
        ----------
        pre_spikes : array (batch, n_pre) of 0/1
        post_spikes : array (batch, n_post) of 0/1
        modulator : float or array (batch,), optional
            Neuromodulator :math:`M` of the step (``RewardModulatedSTDP`` only; default 0).
        """
        pre = self._spikes("pre_spikes", pre_spikes, self.n_pre)
        post = self._spikes("post_spikes", post_spikes, self.n_post)
        m = self._modulator(modulator, ())
        spike_list(pre, *self._pre)
        spike_list(post, *self._post)
        if self.kind == "dense":
            K.stdp_dense_step(self.weights_t, *self._pre, *self._post, self.x1, self.x2, self.y1,
                              self.y2, self.theta, self.eligibility, m, self.rule_code, self.params)
        else:
            K.stdp_csr_step(self.indptr, self.indices, self.weights, self.post_ptr, self.post_syn,
                            self.syn_pre, *self._pre, *self._post, self.x1, self.x2, self.y1,
                            self.y2, self.theta, self.eligibility, m, self.rule_code, self.params)

    def run(self, pre_spikes, post_spikes, modulator=None):
        """Apply the rule over ``T`` steps of rasters ``(T, batch, n_pre)`` and ``(T, batch, n_post)``.

        ``modulator`` (R-STDP): ``(T,)`` or ``(T, batch)`` per-step neuromodulator.
        """
        pre = V.array("pre_spikes", pre_spikes, ndim=3, finite=True)
        post = V.array("post_spikes", post_spikes, ndim=3, finite=True)
        if pre.shape[1:] != (self.batch, self.n_pre):
            V.fail("pre_spikes", "<array of shape %s>" % (pre.shape,), "shape (T, %d, %d)" % (self.batch, self.n_pre))
        if post.shape != (pre.shape[0], self.batch, self.n_post):
            V.fail("post_spikes", "<array of shape %s>" % (post.shape,),
                   "shape (%d, %d, %d)" % (pre.shape[0], self.batch, self.n_post))
        pre = np.ascontiguousarray(pre != 0, dtype=np.uint8)
        post = np.ascontiguousarray(post != 0, dtype=np.uint8)
        m = self._modulator(modulator, (pre.shape[0],))
        if self.kind == "dense":
            K.stdp_dense_run(self.weights_t, pre, post, self.x1, self.x2, self.y1, self.y2,
                             self.theta, self.eligibility, m, self.rule_code, self.params)
        else:
            K.stdp_csr_run(self.indptr, self.indices, self.weights, self.post_ptr, self.post_syn,
                           self.syn_pre, pre, post, self.x1, self.x2, self.y1, self.y2, self.theta,
                           self.eligibility, m, self.rule_code, self.params)


def stdp_window(rule, delta_t, *, dt=1e-4, w=0.5, modulator=1.0):
    r"""Weight change caused by ONE presynaptic and ONE postsynaptic spike, measured by the kernels.

    For each :math:`\Delta t = t_\mathrm{post} - t_\mathrm{pre}` a single synapse with initial
    weight ``w`` receives a presynaptic spike and a postsynaptic spike :math:`\Delta t` apart
    (rounded to steps of ``dt``) and the kernel's weight change is returned: the rule's
    learning window as implemented (e.g. :math:`A_+ e^{-\Delta t/\tau_+}` for
    :math:`\Delta t \ge 0` and :math:`-A_- e^{\Delta t/\tau_-}` otherwise for
    :class:`PairSTDP`; Bi & Poo, 1998). For :class:`RewardModulatedSTDP` a constant modulator
    ``modulator`` is applied from the first spike until the eligibility has decayed below
    1e-9 of its peak.

    Parameters
    ----------
    rule : PlasticityRule
    delta_t : float or array
        Time differences (s).
    dt : float
        Time step (s).
    w : float
        Initial weight.
    modulator : float
        Neuromodulator for reward-modulated rules.

    Returns
    -------
    ndarray of float64, the shape of ``delta_t``
    """
    dts = np.atleast_1d(np.asarray(delta_t, np.float64))
    out = np.empty(dts.shape)
    for k, d in enumerate(dts.ravel()):
        lag = int(round(abs(d) / dt))
        tail = 1
        if isinstance(rule, RewardModulatedSTDP):
            tail = int(math.ceil(rule.tau_c * math.log(1e9) / dt))
        T = lag + 1 + tail
        pre = np.zeros((T, 1, 1), np.uint8)
        post = np.zeros((T, 1, 1), np.uint8)
        t_pre, t_post = (0, lag) if d >= 0 else (lag, 0)
        pre[t_pre, 0, 0] = 1
        post[t_post, 0, 0] = 1
        syn = PlasticSynapses(rule, weights=np.full((1, 1), w), dt=dt, dtype=np.float64)
        mod = np.full((T, 1), modulator) if isinstance(rule, RewardModulatedSTDP) else None
        syn.run(pre, post, modulator=mod)
        out.ravel()[k] = syn.weights_t[0, 0] - w
    return out.reshape(np.shape(delta_t)) if np.ndim(delta_t) else float(out[0])
