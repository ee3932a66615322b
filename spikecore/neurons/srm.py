r"""Spike response model SRM0 (Gerstner 1995) in kernel form."""
import math

import numpy as np

from spikecore import _validate
from spikecore.kernels import neurons as _k
from spikecore.neurons.base import NeuronModel, refractory_steps


class SRM0(NeuronModel):
    r"""Simplified spike response model SRM0 (Gerstner 1995; Gerstner & Kistler 2002, 4.2.3).

    The membrane potential is a sum of kernels, not the solution of a reset ODE:

    .. math::
        u(t) = v_\mathrm{rest} + \eta(t - \hat t) + \int_0^\infty \varepsilon(s)\, I(t - s)\, ds,
        \qquad u(t) > \vartheta \Rightarrow \text{spike at } \hat t = t,

    where :math:`\hat t` is the neuron's last spike (SRM0 keeps only that one), the response
    kernel to input is

    .. math::
        \varepsilon(s) = \frac{R}{\tau_m - \tau_s}\left(e^{-s/\tau_m} - e^{-s/\tau_s}\right)
        \quad (\tau_s > 0), \qquad
        \varepsilon(s) = \frac{R}{\tau_m} e^{-s/\tau_m} \quad (\tau_s = 0),

    (:math:`\int_0^\infty \varepsilon = R`, so a constant current gives :math:`u \to R I`), and
    the refractory (reset) kernel is :math:`\eta(s) = -\eta_0 e^{-s/\tau_\eta}`, plus an
    absolute refractory period :math:`t_\mathrm{ref}` (:math:`\eta = -\infty` there, i.e. no
    spike). The integral is not reset by a spike: after-spike suppression comes from
    :math:`\eta` only — the difference from LIF. Exponential kernels make the integrals exact
    first-order recursions (see :func:`spikecore.kernels.neurons.srm0_step`).

    Parameters
    ----------
    tau_m : float
        Membrane (decay) time constant of :math:`\varepsilon` (s), > 0.
    tau_s : float
        Rise (synaptic) time constant of :math:`\varepsilon` (s), 0 <= tau_s < tau_m.
    r_m : float
        Resistance :math:`R` (area of :math:`\varepsilon`), > 0.
    eta_0 : float
        Amplitude of the reset kernel, > 0 (the potential right after a spike is lowered by it).
    tau_eta : float
        Time constant of the reset kernel (s), > 0.
    v_th : float
        Threshold :math:`\vartheta`.
    v_rest : float
        Resting potential.
    t_ref : float
        Absolute refractory period (s), >= 0.
    dtype : numpy float dtype
        float32 (default) or float64 state.
    """

    state_names = ("u", "z_m", "z_s", "eta", "refrac")
    voltage_name = "u"
    kernel_step = staticmethod(_k.srm0_step)
    kernel_run = staticmethod(_k.srm0_run)

    def __init__(self, tau_m=10e-3, tau_s=0.0, r_m=1.0, eta_0=1.0, tau_eta=10e-3, v_th=1.0,
                 v_rest=0.0, t_ref=0.0, dtype=np.float32):
        NeuronModel.__init__(self, dtype)
        self.tau_m = _validate.positive("tau_m", tau_m, unit="s")
        self.tau_s = _validate.nonnegative("tau_s", tau_s, unit="s")
        if not self.tau_s < self.tau_m:
            _validate.fail("tau_s", tau_s, "a rise time below tau_m = %r s" % self.tau_m)
        self.r_m = _validate.positive("r_m", r_m)
        self.eta_0 = _validate.positive("eta_0", eta_0)
        self.tau_eta = _validate.positive("tau_eta", tau_eta, unit="s")
        self.v_th = _validate.real("v_th", v_th)
        self.v_rest = _validate.real("v_rest", v_rest)
        self.t_ref = _validate.nonnegative("t_ref", t_ref, unit="s")

    def _initial_values(self):
        return {"u": self.v_rest, "z_m": 0.0, "z_s": 0.0, "eta": 0.0, "refrac": 0}

    def step_params(self, dt):
        """``(a_m, a_s, g_m, g_s, c_m, c_s, eta_decay, eta_0, v_rest, v_th, n_ref)``."""
        dt = _validate.positive("dt", dt, unit="s")
        a_m = math.exp(-dt / self.tau_m)
        g_m = -self.r_m * math.expm1(-dt / self.tau_m)
        if self.tau_s > 0.0:
            a_s = math.exp(-dt / self.tau_s)
            g_s = -self.r_m * math.expm1(-dt / self.tau_s)
        else:
            a_s, g_s = 0.0, self.r_m
        c_m = self.tau_m / (self.tau_m - self.tau_s)
        c_s = self.tau_s / (self.tau_m - self.tau_s)
        return (a_m, a_s, g_m, g_s, c_m, c_s, math.exp(-dt / self.tau_eta), self.eta_0,
                self.v_rest, self.v_th, refractory_steps(self.t_ref, dt))
