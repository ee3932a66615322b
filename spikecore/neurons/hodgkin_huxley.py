r"""Hodgkin-Huxley (1952) squid-axon model with RK4 or exponential-Euler integration."""
import numpy as np

from spikecore import _validate
from spikecore.kernels import neurons as _k
from spikecore.neurons.base import NeuronModel
from spikecore.reference.neurons import hh_rates

METHODS = {"rk4": 0, "exponential_euler": 1}


class HodgkinHuxley(NeuronModel):
    r"""Hodgkin & Huxley (1952) model of the squid giant axon (mV, ms, µA/cm², mS/cm², µF/cm²).

    .. math::
        C_m \frac{dV}{dt} = I - \bar g_\mathrm{Na} m^3 h (V - E_\mathrm{Na})
            - \bar g_\mathrm{K} n^4 (V - E_\mathrm{K}) - g_L (V - E_L), \qquad
        \frac{dx}{dt} = \alpha_x(V) (1 - x) - \beta_x(V)\, x \quad (x = m, h, n),

    with the 1952 rate functions written for a resting potential of -65 mV (rates in 1/ms;
    see :func:`spikecore.kernels.neurons.hh_step`) and the classic parameters
    :math:`\bar g_\mathrm{Na} = 120`, :math:`\bar g_\mathrm{K} = 36`, :math:`g_L = 0.3` mS/cm²,
    :math:`E_\mathrm{Na} = 50`, :math:`E_\mathrm{K} = -77`, :math:`E_L = -54.387` mV,
    :math:`C_m = 1` µF/cm². The rates are per ms, so the time step (seconds, like every model)
    is converted to ms. Input is a current density :math:`I` in µA/cm²; the model fires
    repetitively for constant :math:`I` above about 6.2 µA/cm². A spike is an upward crossing
    of ``v_th`` (0 mV). Integrators: ``"rk4"`` (classic Runge-Kutta; dt <= 0.05 ms) or
    ``"exponential_euler"`` (MacGregor 1987; Dayan & Abbott 2001; dt <= 0.025 ms).

    Parameters
    ----------
    g_na, g_k, g_l : float
        Maximal sodium, potassium and leak conductances (mS/cm²), >= 0 (``g_l`` > 0).
    e_na, e_k, e_l : float
        Reversal potentials (mV).
    c_m : float
        Membrane capacitance (µF/cm²), > 0.
    v_th : float
        Spike-detection threshold (mV).
    v_init : float
        Initial potential of a fresh state (mV); gates start at their steady state there.
    method : {"rk4", "exponential_euler"}
        Integration scheme.
    dtype : numpy float dtype
        float32 (default) or float64 state (float64 recommended for long runs).
    """

    state_names = ("v", "m", "h", "n")
    kernel_step = staticmethod(_k.hh_step)
    kernel_run = staticmethod(_k.hh_run)

    def __init__(self, g_na=120.0, g_k=36.0, g_l=0.3, e_na=50.0, e_k=-77.0, e_l=-54.387,
                 c_m=1.0, v_th=0.0, v_init=-65.0, method="rk4", dtype=np.float32):
        NeuronModel.__init__(self, dtype)
        self.g_na = _validate.nonnegative("g_na", g_na, unit="mS/cm^2")
        self.g_k = _validate.nonnegative("g_k", g_k, unit="mS/cm^2")
        self.g_l = _validate.positive("g_l", g_l, unit="mS/cm^2")
        self.e_na = _validate.real("e_na", e_na, unit="mV")
        self.e_k = _validate.real("e_k", e_k, unit="mV")
        self.e_l = _validate.real("e_l", e_l, unit="mV")
        self.c_m = _validate.positive("c_m", c_m, unit="uF/cm^2")
        self.v_th = _validate.real("v_th", v_th, unit="mV")
        self.v_init = _validate.real("v_init", v_init, unit="mV")
        self.method = _validate.choice("method", method, tuple(METHODS))

    def steady_state(self, v):
        r"""Gate values at rest for potential ``v`` (mV): :math:`x_\infty = \alpha_x/(\alpha_x + \beta_x)`."""
        am, bm, ah, bh, an, bn = hh_rates(np.asarray(v, dtype=np.float64))
        return am / (am + bm), ah / (ah + bh), an / (an + bn)

    def init_state(self, batch, n, /, **initial):
        """Fresh state; gates not given start at their steady state for the initial ``v``."""
        v0 = _validate.array("v", initial.get("v", self.v_init), finite=True)
        m0, h0, n0 = self.steady_state(v0)
        for name, value in (("m", m0), ("h", h0), ("n", n0)):
            initial.setdefault(name, value)
        initial.setdefault("v", v0)
        return NeuronModel.init_state(self, batch, n, **initial)

    def _initial_values(self):
        m0, h0, n0 = self.steady_state(self.v_init)
        return {"v": self.v_init, "m": float(m0), "h": float(h0), "n": float(n0)}

    def step_params(self, dt):
        """``(dt_ms, g_na, g_k, g_l, e_na, e_k, e_l, c_m, v_th, method)`` of ``hh_step``."""
        dt = _validate.positive("dt", dt, unit="s")
        return (dt * 1e3, self.g_na, self.g_k, self.g_l, self.e_na, self.e_k, self.e_l, self.c_m,
                self.v_th, METHODS[self.method])
