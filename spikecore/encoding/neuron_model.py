"""Neuron-model encoders (Kim, Lee, Song & Myung, 2019): the input drives a LIF or a
simplified IF neuron and the neuron's spikes are the code."""
import math

import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k

from ._common import SPIKE_DTYPE, intensity, steps


def _run(x, num_steps, beta, alpha, gain, v_th, v_reset, reset, refractory, x_min, x_max, return_membrane):
    T = steps(num_steps)
    return_membrane = v.flag("return_membrane", return_membrane)
    gain = v.real("gain", gain, low=0.0)
    v_th = v.real("v_th", v_th)
    v_reset = v.real("v_reset", v_reset)
    if not v_reset < v_th:
        v.fail("v_reset", v_reset, "a value below v_th = %r" % v_th)
    v.choice("reset", reset, ("zero", "subtract"))
    refractory = v.integer("refractory", refractory, low=0)
    norm, shape = intensity(x, x_min, x_max)
    current = gain * norm
    out = np.empty((T, norm.size), SPIKE_DTYPE)
    trace = np.empty((T if return_membrane else 0, norm.size), np.float64)
    _k.neuron_encode(current, beta, alpha, v_th, v_reset, reset == "subtract", refractory, out, trace)
    spikes = out.reshape((T,) + shape)
    return (spikes, trace.reshape((T,) + shape)) if return_membrane else spikes


def lif(x, num_steps, *, tau_mem=20e-3, dt=1e-3, gain=2.0, v_th=1.0, v_reset=0.0, reset="zero",
        refractory=0, x_min=0.0, x_max=1.0, return_membrane=False):
    """Leaky integrate-and-fire encoder (Kim, Lee, Song & Myung, 2019, LIF module).

    Each input drives its own LIF neuron with the constant current :math:`I = g\\,\\tilde x`
    (:math:`\\tilde x` the input normalised to [0, 1]):

    .. math::
        \\tau_m \\frac{dv}{dt} = -v + I \\;\\Rightarrow\\;
        v_t = \\beta v_{t-1} + (1 - \\beta) I, \\quad \\beta = e^{-\\Delta t / \\tau_m}

    (exact integration over a step), spike when :math:`v_t \\ge v_{th}`, then reset
    (:math:`v \\leftarrow v_{reset}`, or :math:`v - v_{th}` with ``reset='subtract'``) and
    stay refractory for ``refractory`` steps. With a constant input the neuron fires only if
    :math:`I > v_{th}` (rheobase), at intervals :math:`\\tau_m \\ln\\frac{I - v_{reset}}{I - v_{th}}`
    (plus the refractory period): intensity becomes rate.

    Parameters
    ----------
    x : array_like, any shape
        Intensities in [x_min, x_max].
    num_steps : int
        ``T`` (>= 1).
    tau_mem, dt : float
        Membrane time constant :math:`\\tau_m` and step :math:`\\Delta t` (seconds).
    gain : float
        :math:`g`: current of the largest input, in threshold units (>= 0).
    v_th, v_reset : float
        Threshold and reset potential (dimensionless, threshold 1.0).
    reset : {'zero', 'subtract'}
        Reset rule.
    refractory : int
        Refractory period in steps.
    x_min, x_max : float
        Declared input range.
    return_membrane : bool
        Also return the membrane trace (T, *x.shape), float64, before reset.

    Returns
    -------
    spikes : ndarray of uint8, shape (T, *x.shape)
    membrane : ndarray of float64 (only with ``return_membrane``)
    """
    tau_mem = v.positive("tau_mem", tau_mem, unit="s")
    dt = v.positive("dt", dt, unit="s")
    beta = math.exp(-dt / tau_mem)
    return _run(x, num_steps, beta, 1.0 - beta, gain, v_th, v_reset, reset, refractory, x_min, x_max,
                return_membrane)


def integrate_fire(x, num_steps, *, gain=1.0, v_th=1.0, v_reset=0.0, reset="subtract", refractory=0,
                   x_min=0.0, x_max=1.0, return_membrane=False):
    """Simplified integrate-and-fire encoder (Kim, Lee, Song & Myung, 2019, IF module).

    No leak: the input is added every step,

    .. math:: v_t = v_{t-1} + g\\,\\tilde x, \\qquad s_t = [v_t \\ge v_{th}]

    followed by reset (default: subtract :math:`v_{th}`, which makes the count exactly
    :math:`\\lfloor T g \\tilde x / v_{th} \\rfloor` up to rounding when :math:`v_{reset} = 0`
    and there is no refractory period). Parameters as in :func:`lif`.

    Returns
    -------
    spikes : ndarray of uint8, shape (T, *x.shape)
    membrane : ndarray of float64 (only with ``return_membrane``)
    """
    return _run(x, num_steps, 1.0, 1.0, gain, v_th, v_reset, reset, refractory, x_min, x_max, return_membrane)
