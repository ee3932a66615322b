r"""Integrate-and-fire neurons: perfect (IF) and leaky (LIF).

Both share :func:`spikecore.kernels.neurons.lif_step`, which advances
:math:`v \leftarrow v_\mathrm{rest} + \alpha (v - v_\mathrm{rest}) + \beta I`; the models differ
only in the propagator :math:`(\alpha, \beta)` they hand it (see :func:`lif_propagator`).
"""
import math

import numpy as np

from spikecore import _validate
from spikecore.kernels import neurons as _k
from spikecore.neurons.base import NeuronModel, refractory_steps

METHODS = ("exact", "euler")


def lif_propagator(tau_mem, r_m, dt, method):
    r"""Propagator :math:`(\alpha, \beta)` of :math:`\tau_m dv/dt = -(v - v_\mathrm{rest}) + R I` over ``dt``.

    ``"exact"``: :math:`\alpha = e^{-dt/\tau_m}`, :math:`\beta = R(1 - \alpha)` (exact for a
    current held over the step; Rotter & Diesmann 1999). ``"euler"``: :math:`\alpha = 1 -
    dt/\tau_m`, :math:`\beta = R\,dt/\tau_m`.

    Parameters
    ----------
    tau_mem : float
        Membrane time constant :math:`\tau_m` (s).
    r_m : float
        Membrane resistance :math:`R`.
    dt : float
        Time step (s).
    method : {"exact", "euler"}
        Integration scheme.
    """
    if method == "exact":
        alpha = math.exp(-dt / tau_mem)
        return alpha, -r_m * math.expm1(-dt / tau_mem)
    return 1.0 - dt / tau_mem, r_m * dt / tau_mem


class _ThresholdResetModel(NeuronModel):
    """Shared parameter checks of the IF/LIF family (threshold, reset, refractory period)."""

    def _set_common(self, v_th, v_reset, v_rest, t_ref, r_m, reset, dtype, rest_name="v_rest"):
        NeuronModel.__init__(self, dtype)
        self.v_th = _validate.real("v_th", v_th)
        self.v_reset = _validate.real("v_reset", v_reset)
        if not self.v_reset < self.v_th:
            _validate.fail("v_reset", v_reset, "a value below v_th = %r" % self.v_th)
        self.v_rest = _validate.real(rest_name, v_rest)
        self.t_ref = _validate.nonnegative("t_ref", t_ref, unit="s")
        self.r_m = _validate.positive("r_m", r_m)
        self.reset = _validate.choice("reset", reset, ("hard", "soft"))

    def _check_dt(self, dt):
        return _validate.positive("dt", dt, unit="s")

    def _initial_values(self):
        return {"v": self.v_rest, "refrac": 0}


class IF(_ThresholdResetModel):
    r"""Perfect (non-leaky) integrate-and-fire neuron (Lapicque 1907; Gerstner & Kistler 2002, 4.1).

    .. math::
        \tau_m \frac{dv}{dt} = R\, I(t), \qquad v > v_\mathrm{th} \Rightarrow
        \text{spike},\ v \leftarrow v_\mathrm{reset}\ \text{(hard) or}\
        v - (v_\mathrm{th} - v_\mathrm{reset})\ \text{(soft)},

    i.e. a capacitor :math:`C = \tau_m / R` charged by :math:`I`; integrated exactly
    (:math:`v \leftarrow v + R\,I\,dt/\tau_m`). The potential is dimensionless (threshold 1).

    Parameters
    ----------
    tau_mem : float
        Time constant :math:`\tau_m = RC` (s) setting the input scale, > 0.
    v_th : float
        Threshold :math:`v_\mathrm{th}`.
    v_reset : float
        Reset potential, below ``v_th``.
    v_init : float
        Initial (and "rest") potential of a fresh state.
    t_ref : float
        Absolute refractory period (s), >= 0.
    r_m : float
        Input resistance :math:`R`, > 0.
    reset : {"hard", "soft"}
        Reset to ``v_reset`` or subtract ``v_th - v_reset``.
    dtype : numpy float dtype
        float32 (default) or float64 state.
    """

    state_names = ("v", "refrac")
    kernel_step = staticmethod(_k.lif_step)
    kernel_run = staticmethod(_k.lif_run)

    def __init__(self, tau_mem=20e-3, v_th=1.0, v_reset=0.0, v_init=0.0, t_ref=0.0, r_m=1.0,
                 reset="hard", dtype=np.float32):
        self.tau_mem = _validate.positive("tau_mem", tau_mem, unit="s")
        self._set_common(v_th, v_reset, v_init, t_ref, r_m, reset, dtype, rest_name="v_init")

    def step_params(self, dt):
        """``(alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref)`` of ``lif_step``: alpha = 1."""
        dt = self._check_dt(dt)
        return (1.0, self.r_m * dt / self.tau_mem, self.v_rest, self.v_th, self.v_reset,
                self.reset == "soft", refractory_steps(self.t_ref, dt))


class LIF(_ThresholdResetModel):
    r"""Leaky integrate-and-fire neuron (Lapicque 1907; Gerstner & Kistler 2002, 4.1).

    .. math::
        \tau_m \frac{dv}{dt} = -(v - v_\mathrm{rest}) + R\, I(t), \qquad
        v > v_\mathrm{th} \Rightarrow \text{spike},\ v \leftarrow v_\mathrm{reset}\
        \text{(hard) or}\ v - (v_\mathrm{th} - v_\mathrm{reset})\ \text{(soft)},

    with an absolute refractory period :math:`t_\mathrm{ref}` during which :math:`v` is clamped.
    Integrated exactly for a current held over each step
    (:math:`v \leftarrow v_\mathrm{rest} + (v - v_\mathrm{rest}) e^{-dt/\tau_m}
    + R I (1 - e^{-dt/\tau_m})`), or by forward Euler. For a constant current with
    :math:`R I > v_\mathrm{th}` (:math:`v_\mathrm{rest} = v_\mathrm{reset} = 0`) the rate is
    :math:`1 / (t_\mathrm{ref} + \tau_m \ln(R I / (R I - v_\mathrm{th})))`. The potential is
    dimensionless (threshold 1) by default; any consistent unit works.

    Parameters
    ----------
    tau_mem : float
        Membrane time constant :math:`\tau_m` (s), > 0.
    v_th : float
        Threshold :math:`v_\mathrm{th}`.
    v_reset : float
        Reset potential, below ``v_th``.
    v_rest : float
        Resting potential :math:`v_\mathrm{rest}` (may lie above threshold: tonic firing).
    t_ref : float
        Absolute refractory period :math:`t_\mathrm{ref}` (s), >= 0.
    r_m : float
        Membrane resistance :math:`R`, > 0.
    reset : {"hard", "soft"}
        Reset to ``v_reset`` or subtract ``v_th - v_reset``.
    method : {"exact", "euler"}
        Exponential (exact) integration or forward Euler.
    dtype : numpy float dtype
        float32 (default) or float64 state.
    """

    state_names = ("v", "refrac")
    kernel_step = staticmethod(_k.lif_step)
    kernel_run = staticmethod(_k.lif_run)

    def __init__(self, tau_mem=20e-3, v_th=1.0, v_reset=0.0, v_rest=0.0, t_ref=0.0, r_m=1.0,
                 reset="hard", method="exact", dtype=np.float32):
        self.tau_mem = _validate.positive("tau_mem", tau_mem, unit="s")
        self._set_common(v_th, v_reset, v_rest, t_ref, r_m, reset, dtype)
        self.method = _validate.choice("method", method, METHODS)

    def step_params(self, dt):
        """``(alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref)`` of ``lif_step``."""
        dt = self._check_dt(dt)
        alpha, beta = lif_propagator(self.tau_mem, self.r_m, dt, self.method)
        return (alpha, beta, self.v_rest, self.v_th, self.v_reset, self.reset == "soft",
                refractory_steps(self.t_ref, dt))
