r"""LIF neuron with an adaptive threshold (Diehl & Cook 2015)."""
import math

import numpy as np

from spikecore import _validate
from spikecore.kernels import neurons as _k
from spikecore.neurons.base import refractory_steps
from spikecore.neurons.lif import METHODS, _ThresholdResetModel, lif_propagator


class AdaptiveLIF(_ThresholdResetModel):
    r"""LIF neuron whose threshold rises with every spike and relaxes back (Diehl & Cook 2015).

    .. math::
        \tau_m \frac{dv}{dt} = -(v - v_\mathrm{rest}) + R I, \qquad
        \tau_\theta \frac{d\theta}{dt} = -\theta, \qquad
        v > v_\mathrm{th} + \theta \Rightarrow \text{spike},\
        v \leftarrow v_\mathrm{reset},\ \theta \leftarrow \theta + \theta_+ .

    The adaptive threshold :math:`\theta` is the homeostasis of Diehl & Cook's excitatory
    neurons (there with :math:`\tau_\theta = 10^7` ms, :math:`\theta_+ = 0.05` mV); it decays
    exactly (:math:`\theta \leftarrow \theta e^{-dt/\tau_\theta}`) also while refractory.
    Soft reset subtracts the effective threshold :math:`v_\mathrm{th} + \theta -
    v_\mathrm{reset}`. :math:`v` is integrated as in :class:`~spikecore.neurons.LIF`.

    Parameters
    ----------
    tau_mem : float
        Membrane time constant (s), > 0.
    tau_theta : float
        Time constant :math:`\tau_\theta` of the threshold adaptation (s), > 0.
    theta_plus : float
        Threshold increment per spike :math:`\theta_+`, >= 0.
    v_th, v_reset, v_rest, t_ref, r_m, reset, method
        As in :class:`~spikecore.neurons.LIF`.
    dtype : numpy float dtype
        float32 (default) or float64 state.
    """

    state_names = ("v", "theta", "refrac")
    kernel_step = staticmethod(_k.adaptive_lif_step)
    kernel_run = staticmethod(_k.adaptive_lif_run)

    def __init__(self, tau_mem=20e-3, tau_theta=1e4, theta_plus=0.05, v_th=1.0, v_reset=0.0,
                 v_rest=0.0, t_ref=0.0, r_m=1.0, reset="hard", method="exact", dtype=np.float32):
        self.tau_mem = _validate.positive("tau_mem", tau_mem, unit="s")
        self.tau_theta = _validate.positive("tau_theta", tau_theta, unit="s")
        self.theta_plus = _validate.nonnegative("theta_plus", theta_plus)
        self._set_common(v_th, v_reset, v_rest, t_ref, r_m, reset, dtype)
        self.method = _validate.choice("method", method, METHODS)

    def _initial_values(self):
        return {"v": self.v_rest, "theta": 0.0, "refrac": 0}

    def step_params(self, dt):
        """``(alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref, theta_decay, theta_plus)``."""
        dt = self._check_dt(dt)
        alpha, beta = lif_propagator(self.tau_mem, self.r_m, dt, self.method)
        return (alpha, beta, self.v_rest, self.v_th, self.v_reset, self.reset == "soft",
                refractory_steps(self.t_ref, dt), math.exp(-dt / self.tau_theta), self.theta_plus)
