r"""A liquid state machine front end: a random recurrent LIF column (Maass, Natschläger & Markram 2002).

The reservoir ("liquid") is a column of :math:`n_x \times n_y \times n_z` current-based LIF
neurons on the integer grid, 20 % of them inhibitory. A synapse from neuron :math:`a` to
:math:`b` exists with probability

.. math::

    P(a \to b) = C_{ab}\, e^{-(D(a, b)/\lambda)^2},

:math:`D` the Euclidean grid distance, :math:`\lambda` the connection length and
:math:`C_{ab}` = 0.3 (E→E), 0.2 (E→I), 0.4 (I→E), 0.1 (I→I); its strength is drawn from a
Gamma distribution with mean :math:`A_{ab}` and coefficient of variation ``weight_cv``,
negative for inhibitory neurons; transmission delays 1.5 ms (E→E) and 0.8 ms (others),
rounded to the time step. Each input channel projects to every liquid neuron with probability
``p_input`` (at most ``max_input_synapses / n_inputs``, below). Neurons
(:class:`~spikecore.neurons.CurrentLIF`, two synaptic channels,
:math:`\tau_{exc}` = 3 ms, :math:`\tau_{inh}` = 6 ms, :math:`\tau_m` = 30 ms, refractory 2 ms)
rest at ``v_rest`` = 0.9 of the threshold 1 and reset there — the dimensionless form of
Maass et al.'s 13.5 mV background against a 15 mV threshold — and start from a random potential
in ``[v_rest, 1)``.

Differences from Maass et al. (2002), stated: synapses are static (the paper's dynamic
Markram synapses are not modelled), one refractory period for all neurons (the paper: 3 ms E,
2 ms I), strengths are in threshold units (paper nA values divided by the 15 mV gap between
reset and 0 with 1 MΩ input resistance: A_EE = 2, A_EI = 4, A_IE = A_II = -1.27, input 1.2), and
the number of input synapses per liquid neuron is capped. Maass et al. drove the column with a
few input spike trains, each reaching 30 % of the neurons; with many channels (an encoded
feature vector) that rule gives every neuron ``0.3 n_inputs`` input synapses, its drive grows
with the number of channels, and the liquid saturates at the refractory limit and stops telling
inputs apart (measured with the other defaults, 50 Hz Poisson inputs: 4 channels -> 45 Hz,
64 -> 350 Hz, 384 -> 499 Hz; ``ReSuMeClassifier(front="lsm")`` on the 8x8 digits, 384 channels:
0.28 accuracy). So each channel reaches a neuron with probability
:math:`\min(p_{input}, K / n_{inputs})`, :math:`K` = ``max_input_synapses`` (6): on average at
most :math:`K` input synapses per neuron, each of the paper's strength, so the liquid stays in
its graded regime whatever the number of channels (digits 0.28 -> 0.83). With at most
``K / p_input`` = 20 channels nothing changes.

The liquid is simulated by the network engine (:class:`spikecore.network.Network`); every
random choice is made once, in ``__init__``, and kept as plain arrays, so ``run`` is
deterministic.
"""
import numpy as np

from spikecore import _validate
from spikecore.network import Network
from spikecore.neurons import CurrentLIF

MAX_INPUT_SYNAPSES = 6.0   # default cap on the expected input synapses per liquid neuron (below)
_C = {(0, 0): 0.3, (0, 1): 0.2, (1, 0): 0.4, (1, 1): 0.1}           # (pre inh?, post inh?)
_A = {(0, 0): 2.0, (0, 1): 4.0, (1, 0): -1.27, (1, 1): -1.27}


class LiquidStateMachine:
    r"""Random recurrent LIF reservoir of Maass, Natschläger & Markram (2002), static synapses.

    Equations and constants in the module docstring.

    Parameters
    ----------
    n_inputs : int
        Number of input spike channels.
    shape : tuple of 3 int
        Column shape :math:`(n_x, n_y, n_z)`; Maass et al. used 15 x 3 x 3 = 135 neurons.
    frac_inhibitory : float
        Fraction of inhibitory neurons (0.2).
    lam : float
        Connection length :math:`\lambda` (2 in the paper).
    weight_scale : float
        Multiplies all recurrent strengths :math:`A_{ab}` (1 = the paper's values). With static
        synapses the paper's strengths drive the liquid into saturation (~300 Hz for 10 Hz
        input), so the default is 0.2 (graded 20-180 Hz responses to 10-100 Hz inputs).
    weight_cv : float
        Coefficient of variation of the Gamma-distributed strengths.
    p_input : float
        Probability that an input channel projects to a given liquid neuron (capped by
        ``max_input_synapses``).
    max_input_synapses : float or None
        :math:`K`: the expected number of input synapses per liquid neuron is at most this; the
        connection probability is :math:`\min(p_{input}, K / n_{inputs})` (module docstring).
        ``None``: no cap (the paper's rule for any number of channels).
    input_weight : float
        Mean input strength onto excitatory neurons (half onto inhibitory ones, as in the
        paper); Gamma distributed like the recurrent ones (paper value 1.2).
    tau_mem : float
        Membrane time constant (s).
    v_rest : float
        Resting and reset potential (threshold 1).
    t_ref : float
        Refractory period (s).
    dt : float
        Time step (s).
    random_state : None, int or numpy.random.Generator
        Seed for types, connections, strengths and initial potentials.

    Attributes
    ----------
    n : int
        Number of liquid neurons.
    inhibitory : bool ndarray (n,)
    rec_pre, rec_post : int64 ndarray; rec_weight, rec_delay : float64 ndarray
        The recurrent synapses (pre index, post index, signed strength, delay in s).
    in_pre, in_post : int64 ndarray; in_weight : float64 ndarray
        The input synapses.
    p_input : float
        Connection probability of the input synapses actually used (after the cap).
    v_init : float64 ndarray (n,)
        Initial membrane potentials.
    """

    def __init__(self, n_inputs, shape=(15, 3, 3), *, frac_inhibitory=0.2, lam=2.0,
                 weight_scale=0.2, weight_cv=0.7, p_input=0.3, input_weight=0.6, tau_mem=30e-3,
                 v_rest=0.9, t_ref=2e-3, dt=1e-3, max_input_synapses=MAX_INPUT_SYNAPSES, random_state=None):
        self.n_inputs = _validate.integer("n_inputs", n_inputs, low=1)
        if not (isinstance(shape, (tuple, list)) and len(shape) == 3):
            _validate.fail("shape", shape, "a tuple of 3 positive integers", TypeError)
        self.shape = tuple(_validate.integer("shape[%d]" % k, s, low=1) for k, s in enumerate(shape))
        self.n = int(np.prod(self.shape))
        frac = _validate.real("frac_inhibitory", frac_inhibitory, low=0.0, high=1.0)
        lam = _validate.positive("lam", lam)
        scale = _validate.nonnegative("weight_scale", weight_scale)
        cv = _validate.positive("weight_cv", weight_cv)
        p_in = _validate.real("p_input", p_input, low=0.0, high=1.0)
        if max_input_synapses is not None:
            cap = _validate.positive("max_input_synapses", max_input_synapses)
            p_in = min(p_in, cap / self.n_inputs)
        self.p_input = p_in
        w_in = _validate.nonnegative("input_weight", input_weight)
        self.dt = _validate.positive("dt", dt, "s")
        self.model = CurrentLIF(tau_mem=tau_mem, tau_syn=(3e-3, 6e-3), v_th=1.0, v_reset=v_rest,
                                v_rest=v_rest, t_ref=t_ref, dtype=np.float64)
        rng = _validate.rng(random_state)

        self.inhibitory = np.zeros(self.n, dtype=bool)
        self.inhibitory[rng.permutation(self.n)[:int(round(frac * self.n))]] = True
        pos = np.stack(np.unravel_index(np.arange(self.n), self.shape), axis=1).astype(np.float64)
        dist2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)          # (pre, post)
        typ = self.inhibitory.astype(int)
        C = np.vectorize(lambda i, j: _C[(i, j)])(typ[:, None], typ[None, :])
        A = np.vectorize(lambda i, j: _A[(i, j)])(typ[:, None], typ[None, :]) * scale
        prob = C * np.exp(-dist2 / lam ** 2)
        np.fill_diagonal(prob, 0.0)
        pre, post = np.nonzero(rng.random((self.n, self.n)) < prob)
        self.rec_pre = pre.astype(np.int64)
        self.rec_post = post.astype(np.int64)
        self.rec_weight = self._gamma(rng, A[pre, post], cv)
        both_exc = ~self.inhibitory[pre] & ~self.inhibitory[post]
        self.rec_delay = np.where(both_exc, 1.5e-3, 0.8e-3)

        ip, jp = np.nonzero(rng.random((self.n_inputs, self.n)) < p_in)
        self.in_pre = ip.astype(np.int64)
        self.in_post = jp.astype(np.int64)
        mean_in = np.where(self.inhibitory[jp], 0.5 * w_in, w_in)          # Maass: 18 nA E, 9 nA I
        self.in_weight = self._gamma(rng, mean_in, cv)
        self.v_init = rng.uniform(v_rest, 1.0, self.n)

    @staticmethod
    def _gamma(rng, mean, cv):
        """Strengths with |mean| and coefficient of variation ``cv``, sign of ``mean``."""
        mean = np.asarray(mean, dtype=np.float64)
        k = 1.0 / cv ** 2
        mag = rng.gamma(k, np.abs(mean) / k) if mean.size else np.zeros(0)
        return np.sign(mean) * mag

    @property
    def sign(self):
        """Synapse type of each liquid neuron's outgoing synapses: +1 excitatory, -1 inhibitory."""
        return np.where(self.inhibitory, -1.0, 1.0)

    def run(self, in_spikes):
        """Drive the liquid with ``in_spikes`` (T, batch, n_inputs), from its initial state.

        Returns
        -------
        bool ndarray (T, batch, n)
            The liquid's spike raster (the readout's input).
        """
        x = _validate.array("in_spikes", in_spikes, ndim=3, kinds="biu")
        if x.shape[2] != self.n_inputs:
            _validate.fail("in_spikes", "<array of shape %s>" % (x.shape,),
                           "a raster (T, batch, %d)" % self.n_inputs)
        net = Network(self.dt)
        src = net.add_source(self.n_inputs, name="input")
        liquid = net.add(self.model, self.n, name="liquid", initial={"v": self.v_init})
        net.connect(src, liquid, pairs=(self.in_pre, self.in_post), weight=self.in_weight,
                    target="exc")
        for inh, channel in ((False, "exc"), (True, "inh")):
            m = self.inhibitory[self.rec_pre] == inh
            if m.any():
                net.connect(liquid, liquid, pairs=(self.rec_pre[m], self.rec_post[m]),
                            weight=self.rec_weight[m], delay=self.rec_delay[m], target=channel,
                            max_delay=2e-3)
        net.record_spikes(liquid)
        result = net.run(x.shape[0], inputs={src: np.ascontiguousarray(x, dtype=np.uint8)},
                         batch=x.shape[1])
        return result.raster(liquid)
