r"""Izhikevich (2003) simple model, with the paper's named presets."""
import numpy as np

from spikecore import _validate
from spikecore.kernels import neurons as _k
from spikecore.neurons.base import NeuronModel

#: (a, b, c, d) of the cortical and thalamic cell classes in Izhikevich (2003), fig. 2.
PRESETS = {
    "RS": (0.02, 0.2, -65.0, 8.0),     # regular spiking: adapting tonic firing
    "IB": (0.02, 0.2, -55.0, 4.0),     # intrinsically bursting: an initial burst, then tonic
    "CH": (0.02, 0.2, -50.0, 2.0),     # chattering: repetitive bursts
    "FS": (0.1, 0.2, -65.0, 2.0),      # fast spiking: high rate, no adaptation
    "LTS": (0.02, 0.25, -65.0, 2.0),   # low-threshold spiking: high rate, adapting
    "TC": (0.02, 0.25, -65.0, 0.05),   # thalamo-cortical: tonic, rebound burst
    "RZ": (0.1, 0.26, -65.0, 2.0),     # resonator: damped subthreshold oscillations
}

#: Long names accepted by :meth:`Izhikevich.preset`.
PRESET_NAMES = {
    "regular_spiking": "RS", "intrinsically_bursting": "IB", "chattering": "CH",
    "fast_spiking": "FS", "low_threshold_spiking": "LTS", "thalamo_cortical": "TC",
    "resonator": "RZ",
}


class Izhikevich(NeuronModel):
    r"""Izhikevich (2003) simple spiking neuron; :math:`v, u` in mV, time in ms inside the model.

    .. math::
        \frac{dv}{dt} = 0.04 v^2 + 5 v + 140 - u + I, \qquad
        \frac{du}{dt} = a (b v - u), \qquad
        v \ge 30\ \mathrm{mV} \Rightarrow v \leftarrow c,\ u \leftarrow u + d,

    with :math:`t` in ms and :math:`I` in the paper's units (the examples use
    :math:`I \approx 10`). :math:`v` is advanced by ``v_substeps`` Euler sub-steps per step and
    :math:`u` by one (the paper: :math:`dt = 1` ms, two sub-steps of 0.5 ms); the time step is
    given in seconds like every model and converted to ms. Named cell classes:
    :meth:`preset` (``"RS"``, ``"IB"``, ``"CH"``, ``"FS"``, ``"LTS"``, ``"TC"``, ``"RZ"``).

    Parameters
    ----------
    a : float
        Time scale of the recovery variable :math:`u` (1/ms), > 0.
    b : float
        Sensitivity of :math:`u` to subthreshold :math:`v`.
    c : float
        After-spike reset of :math:`v` (mV), below ``v_peak``.
    d : float
        After-spike increment of :math:`u`.
    v_peak : float
        Spike cut-off (mV), 30 in the paper.
    v_init : float
        Initial :math:`v` of a fresh state (mV); :math:`u` starts at :math:`b\, v_\mathrm{init}`.
    v_substeps : int
        Euler sub-steps of :math:`v` per time step, >= 1.
    dtype : numpy float dtype
        float32 (default) or float64 state.
    """

    state_names = ("v", "u")
    kernel_step = staticmethod(_k.izhikevich_step)
    kernel_run = staticmethod(_k.izhikevich_run)

    def __init__(self, a=0.02, b=0.2, c=-65.0, d=8.0, v_peak=30.0, v_init=-65.0, v_substeps=2,
                 dtype=np.float32):
        NeuronModel.__init__(self, dtype)
        self.a = _validate.positive("a", a, unit="1/ms")
        self.b = _validate.real("b", b)
        self.c = _validate.real("c", c, unit="mV")
        self.d = _validate.real("d", d)
        self.v_peak = _validate.real("v_peak", v_peak, unit="mV")
        if not self.c < self.v_peak:
            _validate.fail("c", c, "a reset potential below v_peak = %r mV" % self.v_peak)
        self.v_init = _validate.real("v_init", v_init, unit="mV")
        self.v_substeps = _validate.integer("v_substeps", v_substeps, low=1)

    @classmethod
    def preset(cls, name, **kwargs):
        """A model with the (a, b, c, d) of a named cell class of Izhikevich (2003), fig. 2.

        Parameters
        ----------
        name : str
            ``"RS"`` regular spiking, ``"IB"`` intrinsically bursting, ``"CH"`` chattering,
            ``"FS"`` fast spiking, ``"LTS"`` low-threshold spiking, ``"TC"``
            thalamo-cortical, ``"RZ"`` resonator (or the long names, e.g. ``"fast_spiking"``).
        **kwargs
            Other constructor arguments (``v_substeps``, ``dtype`` ...).
        """
        if not isinstance(name, str):
            _validate.fail("name", name, "a preset name: one of " + ", ".join(repr(k) for k in PRESETS),
                           TypeError)
        key = PRESET_NAMES.get(name, name)
        _validate.choice("name", key, tuple(PRESETS) + tuple(PRESET_NAMES))
        a, b, c, d = PRESETS[key]
        return cls(a=a, b=b, c=c, d=d, **kwargs)

    def init_state(self, batch, n, /, **initial):
        """Fresh state; ``u`` defaults to ``b * v`` (the paper's initial condition)."""
        if "v" in initial and "u" not in initial:
            initial["u"] = self.b * _validate.array("v", initial["v"], finite=True).astype(np.float64)
        return NeuronModel.init_state(self, batch, n, **initial)

    def _initial_values(self):
        return {"v": self.v_init, "u": self.b * self.v_init}

    def step_params(self, dt):
        """``(a, b, c, d, v_peak, dt_ms, n_sub)`` of ``izhikevich_step``."""
        dt = _validate.positive("dt", dt, unit="s")
        return (self.a, self.b, self.c, self.d, self.v_peak, dt * 1e3, self.v_substeps)
