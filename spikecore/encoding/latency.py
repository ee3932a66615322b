"""Latency (time-to-first-spike) coding, linear or logarithmic (RC charging)."""
import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k

from ._common import SPIKE_DTYPE, intensity, steps


def latency(x, num_steps, *, method="linear", tau=None, threshold=0.01, clip=False,
            x_min=0.0, x_max=1.0, return_times=False):
    """Latency coding: one spike per input, earlier for larger inputs.

    With :math:`\\tilde x \\in [0, 1]` the normalised input and :math:`\\vartheta` the threshold,

    .. math::
        \\text{linear:}\\; t^* = \\tau (1 - \\tilde x) \\;(\\tilde x \\ge \\vartheta), \\qquad
        \\text{log:}\\; t^* = \\tau \\ln\\frac{\\tilde x}{\\tilde x - \\vartheta} \\;(\\tilde x > \\vartheta)

    The log mapping is the time an RC circuit charged by current :math:`\\tilde x` takes to
    reach :math:`\\vartheta` (both as in snnTorch's ``spikegen.latency``, Eshraghian et al.,
    2023; latency coding after Thorpe, Delorme & VanRullen, 2001). The spike is at the nearest
    step to :math:`t^*`. Below-threshold inputs and those whose step is past the window spike
    at the last step, or never with ``clip=True``. Larger inputs never spike later
    (:math:`t^*` is decreasing in :math:`\\tilde x`).

    Parameters
    ----------
    x : array_like, any shape
        Intensities in [x_min, x_max].
    num_steps : int
        ``T`` (>= 1).
    method : {'linear', 'log'}
        The mapping.
    tau : float, optional
        :math:`\\tau` in steps. Linear default :math:`(T-1)/(1-\\vartheta)` (normalised:
        :math:`\\tilde x = 1` at step 0, :math:`\\tilde x = \\vartheta` at step T-1); required
        for ``'log'``.
    threshold : float
        :math:`\\vartheta` in [0, 1).
    clip : bool
        Suppress spikes of below-threshold / out-of-window inputs.
    x_min, x_max : float
        Declared input range.
    return_times : bool
        Also return the exact :math:`t^*` (float64, steps; ``inf`` below threshold).

    Returns
    -------
    spikes : ndarray of uint8, shape (T, *x.shape)
    times : ndarray of float64, shape x.shape (only with ``return_times``)
    """
    T = steps(num_steps)
    v.choice("method", method, ("linear", "log"))
    clip = v.flag("clip", clip)
    return_times = v.flag("return_times", return_times)
    threshold = v.real("threshold", threshold, low=0.0, high=1.0, high_open=True)
    if tau is None:
        if method == "log":
            v.fail("tau", tau, "a positive time constant in steps (required for method='log')")
        tau = (T - 1) / (1.0 - threshold)
    else:
        tau = v.positive("tau", tau, unit="steps")
    norm, shape = intensity(x, x_min, x_max)
    out = np.empty((T, norm.size), SPIKE_DTYPE)
    times = np.empty(norm.size, np.float64)
    _k.latency_encode(norm, float(tau), threshold, method == "log", bool(clip), out, times)
    spikes = out.reshape((T,) + shape)
    return (spikes, times.reshape(shape)) if return_times else spikes
