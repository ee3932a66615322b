r"""Current-based LIF neuron with exponential synaptic currents (the CUBA neuron)."""
import math

import numpy as np

from spikecore import _validate
from spikecore.kernels import neurons as _k
from spikecore.neurons.base import refractory_steps
from spikecore.neurons.lif import METHODS, _ThresholdResetModel, lif_propagator


def synaptic_propagator(tau_mem, tau_syn, r_m, dt, method):
    r"""Decay :math:`d_k` of a synaptic current and its gain :math:`G_k` onto :math:`v` over ``dt``.

    For :math:`\tau_m \dot v = -(v - v_\mathrm{rest}) + R i`, :math:`\tau_s \dot i = -i`, the
    exact one-step solution adds :math:`G\, i(t)` to :math:`v`, where

    .. math::
        G = R \frac{\tau_s}{\tau_s - \tau_m}\left(e^{-dt/\tau_s} - e^{-dt/\tau_m}\right)
          = R \frac{dt}{\tau_m} e^{-dt/\tau_m} \frac{\operatorname{expm1}(x)}{x},
        \qquad x = dt \frac{\tau_s - \tau_m}{\tau_m \tau_s},

    the second form being free of cancellation and continuous at :math:`\tau_s = \tau_m`
    (:math:`G = R\,(dt/\tau_m) e^{-dt/\tau_m}`), and :math:`d = e^{-dt/\tau_s}` (Rotter &
    Diesmann 1999). Forward Euler: :math:`G = R\,dt/\tau_m`, :math:`d = 1 - dt/\tau_s`.

    Parameters
    ----------
    tau_mem, tau_syn : float
        Membrane and synaptic time constants (s).
    r_m : float
        Membrane resistance :math:`R`.
    dt : float
        Time step (s).
    method : {"exact", "euler"}
        Integration scheme.

    Returns
    -------
    (float, float)
        :math:`(d, G)`.
    """
    if method == "euler":
        return 1.0 - dt / tau_syn, r_m * dt / tau_mem
    x = dt * (tau_syn - tau_mem) / (tau_mem * tau_syn)
    ratio = math.expm1(x) / x if x != 0.0 else 1.0
    return math.exp(-dt / tau_syn), r_m * (dt / tau_mem) * math.exp(-dt / tau_mem) * ratio


def check_arithmetic(arithmetic, dtype):
    """Return ``numpy.dtype(arithmetic)``: float64, or float32 when the state ``dtype`` is float32."""
    try:  # (numpy reads None as float64; the arithmetic is stated explicitly)
        a = np.dtype(arithmetic).name if arithmetic is not None else None
    except TypeError:
        a = None
    if a == "float64" or (a == "float32" and np.dtype(dtype).name == "float32"):
        return np.dtype(a)
    _validate.fail("arithmetic", arithmetic, "numpy.float64, or numpy.float32 with dtype=numpy.float32 "
                   "(the state dtype here is %s)" % np.dtype(dtype).name, TypeError)


class CurrentLIF(_ThresholdResetModel):
    r"""Current-based LIF neuron with one or more exponential synaptic currents (CUBA).

    .. math::
        \tau_m \frac{dv}{dt} = -(v - v_\mathrm{rest}) + R\Big(I + \sum_k i_k\Big), \qquad
        \tau_k \frac{di_k}{dt} = -i_k, \qquad
        \text{spike } j \text{ on channel } k:\ i_k \leftarrow i_k + w,

    threshold, reset and absolute refractoriness as :class:`~spikecore.neurons.LIF`; while
    refractory :math:`v` is clamped and the :math:`i_k` keep decaying. This is the neuron of the
    CUBA benchmark (Vogels & Abbott 2005; Brette et al. 2007), which with
    ``tau_syn=(5e-3, 10e-3)``, ``v_rest=-49e-3``, ``v_th=-50e-3``, ``v_reset=-60e-3``,
    ``t_ref=5e-3`` and :math:`R = 1` (currents in volts) is Brian2's
    ``dv/dt = (ge + gi - (v - El))/taum``. The coupled linear system is integrated exactly
    over each step (closed form, as Brian2's ``exact`` method; see
    :func:`synaptic_propagator`), or by forward Euler.

    Parameters
    ----------
    tau_mem : float
        Membrane time constant :math:`\tau_m` (s), > 0.
    tau_syn : float or sequence of float
        Synaptic time constant(s) :math:`\tau_k` (s), > 0, one per channel; e.g. ``5e-3`` or
        ``(5e-3, 10e-3)`` for separate excitatory and inhibitory currents.
    v_th, v_reset, v_rest, t_ref, r_m, reset, method
        As in :class:`~spikecore.neurons.LIF`.
    dtype : numpy float dtype
        float32 (default) or float64 (use it for spike-exact comparisons with Brian2).
    arithmetic : numpy float dtype
        Precision of the update's arithmetic. float64 (default): the library's convention
        (:mod:`spikecore.kernels.neurons`), parameters and intermediate results in float64,
        rounded to ``dtype`` once per step. float32 (only with ``dtype=np.float32``): the
        parameters :math:`\alpha, \beta, v_\mathrm{rest}, v_\mathrm{th}, v_\mathrm{reset},
        d_k, G_k` are rounded to float32 and every operation is done in float32, as
        single-precision simulators do (Brian2 with ``default_float_dtype = float32``,
        snnTorch, Lava-dl). The update then uses twice as many SIMD lanes: 1 s of CUBA in the
        network engine ran 1.4x (N = 4 000) and 1.7x (N = 100 000) faster than with float64
        arithmetic (``benchmarks/cuba.py``). Spike trains drift from the float64 ones after
        some time, as any two precisions do; rates and ISI statistics stay the same.

    Notes
    -----
    ``current`` in :meth:`step`/:meth:`run` is an external current injected into the membrane
    (held over the step); synaptic input goes to the state ``i_syn`` of shape
    ``(n_syn, batch, n)`` (``synaptic_target = "i_syn"``), or through ``run(...,
    syn_input=...)``.
    """

    state_names = ("v", "i_syn", "refrac")
    synaptic_target = "i_syn"
    kernel_step = staticmethod(_k.cuba_lif_step)
    kernel_run = staticmethod(_k.cuba_lif_run)

    def __init__(self, tau_mem=20e-3, tau_syn=5e-3, v_th=1.0, v_reset=0.0, v_rest=0.0, t_ref=0.0,
                 r_m=1.0, reset="hard", method="exact", dtype=np.float32, arithmetic=np.float64):
        self.tau_mem = _validate.positive("tau_mem", tau_mem, unit="s")
        taus = tau_syn if isinstance(tau_syn, (tuple, list, np.ndarray)) else (tau_syn,)
        if len(taus) < 1:
            _validate.fail("tau_syn", tau_syn, "a positive time constant or a non-empty sequence")
        self.tau_syn = tuple(_validate.positive("tau_syn[%d]" % k, t, unit="s")
                             for k, t in enumerate(taus))
        self._set_common(v_th, v_reset, v_rest, t_ref, r_m, reset, dtype)
        self.method = _validate.choice("method", method, METHODS)
        self.arithmetic = check_arithmetic(arithmetic, self.dtype)

    @property
    def n_channels(self):
        """Number of synaptic current channels."""
        return len(self.tau_syn)

    def state_shape(self, name, batch, n):
        """``i_syn`` is ``(n_syn, batch, n)``; the rest ``(batch, n)``."""
        return (self.n_channels, batch, n) if name == "i_syn" else (batch, n)

    def _initial_values(self):
        return {"v": self.v_rest, "i_syn": 0.0, "refrac": 0}

    def step_params(self, dt):
        """``(alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref, syn_decay, syn_gain)``."""
        dt = self._check_dt(dt)
        alpha, beta = lif_propagator(self.tau_mem, self.r_m, dt, self.method)
        pairs = [synaptic_propagator(self.tau_mem, t, self.r_m, dt, self.method)
                 for t in self.tau_syn]
        f = self.arithmetic.type  # float64, or float32 for single-precision arithmetic
        decay = np.array([p[0] for p in pairs], dtype=f)
        gain = np.array([p[1] for p in pairs], dtype=f)
        return (f(alpha), f(beta), f(self.v_rest), f(self.v_th), f(self.v_reset),
                self.reset == "soft", refractory_steps(self.t_ref, dt), decay, gain)

    def run(self, current, dt, state=None, record_v=False, syn_input=None):
        """Simulate ``T`` steps; see :meth:`NeuronModel.run`.

        Parameters
        ----------
        current : array-like (T, batch, n)
            External current injected into the membrane at every step.
        dt : float
            Time step (s).
        state : dict, optional
            Initial state, updated in place.
        record_v : bool
            Also return the membrane potential after every step.
        syn_input : array-like (T, n_syn, batch, n), optional
            Increments of the synaptic currents, added at the start of each step
            (:math:`i_k \\mathrel{+}= \\mathrm{syn\\_input}[t, k]`).
        """
        cur = self._check_current(current, (None, None, None))
        T, batch, n = cur.shape
        if syn_input is None:
            syn = np.zeros((0, self.n_channels, batch, n), dtype=self.dtype)
        else:
            syn = _validate.array("syn_input", syn_input, shape=(T, self.n_channels, batch, n),
                                  finite=True, kinds="iuf")
            syn = np.ascontiguousarray(syn, dtype=self.dtype)
        return self._run(cur, dt, state, record_v, (syn,))
