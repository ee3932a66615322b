r"""NEF ensembles: populations of neurons that represent a vector (Eliasmith & Anderson 2003).

Neuron :math:`i` of an ensemble of radius :math:`r` receives the current

.. math::  J_i(x) = \alpha_i \, \frac{e_i \cdot x}{r} + J_i^{bias},

with a unit encoder :math:`e_i` (its preferred direction), a gain :math:`\alpha_i` and a bias
:math:`J_i^{bias}` chosen so that it starts firing at the *intercept* :math:`x_i^0`
(:math:`e_i\cdot x/r = x_i^0`) and fires at its *maximum rate* :math:`a_i^{max}` at
:math:`e_i\cdot x/r = 1`. Its rate is the neuron's tuning curve :math:`a_i = G(J_i)`; for the
leaky integrate-and-fire neuron (Lapicque 1907)

.. math::  G(J) = \frac{1}{\tau_{ref} - \tau_{RC}\ln(1 - 1/J)} \quad (J > 1), \qquad 0 \text{ otherwise}.

Neuron types: ``"lif"`` (spiking LIF), ``"lif_rate"``, ``"if"`` (spiking rectified linear,
a non-leaky integrate-and-fire neuron with rate :math:`\max(J, 0)`) and ``"relu"`` (its rate
twin). The formulas are Nengo's (Bekolay et al. 2014), so the same encoders, rates and
intercepts give the same gains, biases and tuning curves.
"""
import numpy as np

from spikecore import _validate
from spikecore.nef import dists

NEURON_TYPES = ("lif", "lif_rate", "if", "relu")
SPIKING_TO_RATE = {"lif": "lif_rate", "lif_rate": "lif_rate", "if": "relu", "relu": "relu"}


def _family(neuron_type):
    _validate.choice("neuron_type", neuron_type, NEURON_TYPES)
    return "lif" if neuron_type in ("lif", "lif_rate") else "linear"


def lif_rate(J, tau_rc=0.02, tau_ref=0.002, amplitude=1.0):
    r"""LIF tuning curve :math:`G(J) = A/(\tau_{ref} - \tau_{RC}\ln(1 - 1/J))` for :math:`J > 1`, else 0.

    Computed as :math:`A/(\tau_{ref} + \tau_{RC}\,\mathrm{log1p}(1/(J - 1)))` (Lapicque 1907;
    Eliasmith & Anderson 2003, eq. 4.10).

    Parameters
    ----------
    J : array-like
        Input current (the threshold current is 1).
    tau_rc, tau_ref : float
        Membrane time constant :math:`\tau_{RC}` and refractory period :math:`\tau_{ref}` (s).
    amplitude : float
        Output scale :math:`A`.

    Returns
    -------
    float64 ndarray, the shape of ``J``
        Firing rates (Hz).
    """
    J = _validate.array("J", J, finite=True, dtype=np.float64)
    tau_rc = _validate.positive("tau_rc", tau_rc, "s")
    tau_ref = _validate.nonnegative("tau_ref", tau_ref, "s")
    amplitude = _validate.real("amplitude", amplitude)
    x = J - 1.0
    out = np.zeros_like(J)
    pos = x > 0
    out[pos] = amplitude / (tau_ref + tau_rc * np.log1p(1.0 / x[pos]))
    return out


def rates_from_current(J, neuron_type="lif", tau_rc=0.02, tau_ref=0.002, amplitude=1.0):
    r"""Steady-state rate :math:`G(J)` of a neuron type (LIF: :func:`lif_rate`; IF/ReLU: :math:`A\max(J, 0)`)."""
    if _family(neuron_type) == "lif":
        return lif_rate(J, tau_rc, tau_ref, amplitude)
    J = _validate.array("J", J, finite=True, dtype=np.float64)
    return _validate.real("amplitude", amplitude) * np.maximum(J, 0.0)


def gain_bias(max_rates, intercepts, neuron_type="lif", tau_rc=0.02, tau_ref=0.002):
    r"""Gains and biases that give each neuron its maximum rate and intercept.

    LIF (Eliasmith & Anderson 2003, sec. 4.3): solving :math:`G(\alpha + J^{bias}) = a^{max}`
    and :math:`\alpha x^0 + J^{bias} = 1` gives

    .. math::
        z = \Big(1 - e^{(\tau_{ref} - 1/a^{max})/\tau_{RC}}\Big)^{-1}, \qquad
        \alpha = \frac{1 - z}{x^0 - 1}, \qquad J^{bias} = 1 - \alpha x^0 .

    Rectified linear (IF, ReLU): :math:`\alpha = a^{max}/(1 - x^0)`, :math:`J^{bias} = -\alpha x^0`.

    Parameters
    ----------
    max_rates : array-like (n,)
        Maximum rates :math:`a^{max}` (Hz), positive; for LIF below :math:`1/\tau_{ref}`.
    intercepts : array-like (n,)
        Intercepts :math:`x^0` in (-1, 1).
    neuron_type : {"lif", "lif_rate", "if", "relu"}
    tau_rc, tau_ref : float
        LIF time constants (s).

    Returns
    -------
    gain, bias : float64 ndarray (n,)
    """
    max_rates = _validate.array("max_rates", max_rates, ndim=1, finite=True, dtype=np.float64)
    intercepts = _validate.array("intercepts", intercepts, ndim=1, finite=True, dtype=np.float64)
    if max_rates.shape != intercepts.shape:
        _validate.fail("intercepts", "<array of shape %s>" % (intercepts.shape,),
                       "the shape of max_rates %s" % (max_rates.shape,))
    if np.any(max_rates <= 0):
        _validate.fail("max_rates", float(max_rates[max_rates <= 0][0]), "positive rates (Hz)")
    bad = (intercepts <= -1) | (intercepts >= 1)
    if np.any(bad):
        _validate.fail("intercepts", float(intercepts[bad][0]), "values in the open interval (-1, 1)")
    if _family(neuron_type) == "lif":
        tau_rc = _validate.positive("tau_rc", tau_rc, "s")
        tau_ref = _validate.nonnegative("tau_ref", tau_ref, "s")
        if tau_ref > 0 and np.any(max_rates >= 1.0 / tau_ref):
            _validate.fail("max_rates", float(max_rates.max()),
                           "rates below 1/tau_ref = %.6g Hz" % (1.0 / tau_ref))
        z = 1.0 / (1 - np.exp((tau_ref - (1.0 / max_rates)) / tau_rc))
        gain = (1 - z) / (intercepts - 1.0)
        bias = 1 - gain * intercepts
    else:
        gain = max_rates / (1 - intercepts)
        bias = -intercepts * gain
    return gain, bias


def max_rates_intercepts(gain, bias, neuron_type="lif", tau_rc=0.02, tau_ref=0.002):
    r"""Inverse of :func:`gain_bias`: :math:`x^0 = (1 - J^{bias})/\alpha`, :math:`a^{max} = G(\alpha + J^{bias})`.

    (For rectified-linear neurons :math:`x^0 = -J^{bias}/\alpha`.)
    """
    gain = _validate.array("gain", gain, ndim=1, finite=True, dtype=np.float64)
    bias = _validate.array("bias", bias, ndim=1, finite=True, dtype=np.float64)
    if bias.shape != gain.shape:
        _validate.fail("bias", "<array of shape %s>" % (bias.shape,), "the shape of gain %s" % (gain.shape,))
    if np.any(gain <= 0):
        _validate.fail("gain", float(gain[gain <= 0][0]), "positive gains")
    if _family(neuron_type) == "lif":
        tau_rc = _validate.positive("tau_rc", tau_rc, "s")
        tau_ref = _validate.nonnegative("tau_ref", tau_ref, "s")
        intercepts = (1 - bias) / gain
        max_rates = 1.0 / (tau_ref - tau_rc * np.log1p(1.0 / (gain * (intercepts - 1) - 1)))
    else:
        intercepts = -bias / gain
        max_rates = gain * (1 - intercepts)
    return max_rates, intercepts


def default_n_eval_points(n_neurons, dimensions):
    r"""Number of evaluation points :math:`\max(\mathrm{clip}(500 d, 750, 2500),\ 2n)` (Nengo's rule)."""
    return max(min(max(500 * dimensions, 750), 2500), 2 * n_neurons)


class Neurons:
    """The neurons of an ensemble, as a connection end point (``ensemble.neurons``).

    Connecting from ``ens.neurons`` uses the neurons' outputs (spikes of height 1/dt, or
    rates); connecting to ``ens.neurons`` adds :math:`\\alpha_j \\cdot` (input) to their currents.
    """

    def __init__(self, ensemble):
        self.ensemble = ensemble

    @property
    def size(self):
        return self.ensemble.n_neurons

    def __repr__(self):
        return "<Neurons of %r>" % self.ensemble


class Ensemble:
    r"""A population of ``n_neurons`` neurons representing a ``dimensions``-vector (Eliasmith & Anderson 2003).

    All parameters are drawn at construction from ``seed``, so they can be inspected before
    any simulation: ``encoders`` (unit rows), ``gain``, ``bias``, ``max_rates``,
    ``intercepts``, ``eval_points`` (scaled by the radius) and ``scaled_encoders``
    :math:`\alpha_i e_i / r`. The current of neuron :math:`i` is
    :math:`J_i = \alpha_i\, e_i\cdot x / r + J_i^{bias}`.

    Parameters
    ----------
    n_neurons : int
        Number of neurons :math:`n`.
    dimensions : int
        Dimension :math:`d` of the represented vector.
    radius : float
        Radius :math:`r` of the represented region.
    neuron_type : {"lif", "lif_rate", "if", "relu"}
        Neuron model (see the module docstring).
    tau_rc, tau_ref : float
        LIF membrane time constant and refractory period (s).
    encoders : Distribution or array (n, d)
        Preferred directions; arrays are normalised to unit length. Default
        ``ScatteredHypersphere(surface=True)``.
    max_rates : Distribution or array (n,)
        Rates at :math:`e\cdot x/r = 1` (Hz). Default ``Uniform(200, 400)``.
    intercepts : Distribution or array (n,)
        Where firing starts, in (-1, 1). Default ``Uniform(-1, 0.9)``.
    gain, bias : array (n,), optional
        Give both to set them directly (then max rates and intercepts follow from them).
    eval_points : Distribution or array (m, d)
        Points (in units of the radius) where decoders are fitted. Default
        ``ScatteredHypersphere(surface=False)``.
    n_eval_points : int, optional
        Number of evaluation points drawn from a distribution; default
        :func:`default_n_eval_points`.
    seed : int or numpy.random.Generator, optional
        Randomness for every parameter drawn here.
    label : str, optional
    """

    def __init__(self, n_neurons, dimensions, *, radius=1.0, neuron_type="lif", tau_rc=0.02,
                 tau_ref=0.002, encoders=None, max_rates=None, intercepts=None, gain=None,
                 bias=None, eval_points=None, n_eval_points=None, seed=None, label=None):
        self.n_neurons = _validate.integer("n_neurons", n_neurons, low=1)
        self.dimensions = _validate.integer("dimensions", dimensions, low=1)
        self.radius = _validate.positive("radius", radius)
        self.neuron_type = _validate.choice("neuron_type", neuron_type, NEURON_TYPES)
        self.tau_rc = _validate.positive("tau_rc", tau_rc, "s")
        self.tau_ref = _validate.nonnegative("tau_ref", tau_ref, "s")
        self.label = label
        self.seed = seed
        rng = _validate.rng(seed)
        n, d = self.n_neurons, self.dimensions

        if eval_points is None:
            eval_points = dists.ScatteredHypersphere(surface=False)
        if isinstance(eval_points, dists.Distribution):
            m = default_n_eval_points(n, d) if n_eval_points is None else \
                _validate.integer("n_eval_points", n_eval_points, low=1)
            points = eval_points.sample(m, d, rng)
        else:
            points = _validate.array("eval_points", eval_points, ndim=2, shape=(None, d),
                                     finite=True, dtype=np.float64).copy()
            if not len(points):
                _validate.fail("eval_points", "<array of shape %s>" % (points.shape,), "at least one point")
        self.eval_points = points * self.radius

        if encoders is None:
            encoders = dists.ScatteredHypersphere(surface=True)
        enc = dists.sample("encoders", encoders, n, d, rng)
        norms = np.linalg.norm(enc, axis=1, keepdims=True)
        if np.any(norms == 0):
            _validate.fail("encoders", "<array with a zero row %d>" % int(np.argmin(norms[:, 0])),
                           "non-zero encoders (each row is normalised to unit length)")
        self.encoders = enc / norms

        if (gain is None) != (bias is None):
            _validate.fail("gain" if gain is None else "bias", None,
                           "an array too: give both gain and bias, or neither")
        if gain is not None:
            self.gain = _validate.array("gain", gain, shape=(n,), finite=True, dtype=np.float64).copy()
            self.bias = _validate.array("bias", bias, shape=(n,), finite=True, dtype=np.float64).copy()
            if np.any(self.gain <= 0):
                _validate.fail("gain", float(self.gain[self.gain <= 0][0]), "positive gains")
            self.max_rates, self.intercepts = max_rates_intercepts(
                self.gain, self.bias, neuron_type, self.tau_rc, self.tau_ref)
        else:
            rates = dists.sample("max_rates", dists.Uniform(200, 400) if max_rates is None else max_rates,
                                 n, None, rng)
            icpt = dists.sample("intercepts", dists.Uniform(-1.0, 0.9) if intercepts is None else intercepts,
                                n, None, rng)
            self.gain, self.bias = gain_bias(rates, icpt, neuron_type, self.tau_rc, self.tau_ref)
            self.max_rates, self.intercepts = rates, icpt
        self.neurons = Neurons(self)

    @property
    def size(self):
        """Dimension of the represented vector (the size of a decoded connection's input)."""
        return self.dimensions

    @property
    def scaled_encoders(self):
        r""":math:`\alpha_i e_i / r`, shape (n, d)."""
        return self.encoders * (self.gain / self.radius)[:, None]

    def currents(self, x):
        r"""Input currents :math:`J = \alpha\, (x E^\top)/r + J^{bias}` for points ``x`` (m, d); shape (m, n)."""
        x = _validate.array("x", x, ndim=(1, 2), finite=True, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None] if self.dimensions == 1 else x[None, :]
        if x.shape[1] != self.dimensions:
            _validate.fail("x", "<array of shape %s>" % (x.shape,),
                           "points with %d columns (the ensemble's dimensions)" % self.dimensions)
        return self.gain * (x @ self.encoders.T / self.radius) + self.bias

    def rates(self, x, neuron_type=None):
        """Tuning curves: steady-state rates (Hz) of every neuron at points ``x`` (m, d); shape (m, n).

        Spiking types use their rate curve (``lif`` -> LIF rate, ``if`` -> rectified linear).
        """
        kind = SPIKING_TO_RATE[self.neuron_type if neuron_type is None else
                               _validate.choice("neuron_type", neuron_type, NEURON_TYPES)]
        return rates_from_current(self.currents(x), kind, self.tau_rc, self.tau_ref)

    def __repr__(self):
        name = " %r" % self.label if self.label else ""
        return "<Ensemble%s: %d %s neurons, %d-D, radius %g>" % (
            name, self.n_neurons, self.neuron_type, self.dimensions, self.radius)
