"""Inverse of latency coding."""
import numpy as np

from spikecore import _validate as v

from ._common import first_steps, raster


def latency_decode(spikes, *, method="linear", tau=None, threshold=0.01, x_min=0.0, x_max=1.0, never=None):
    """Invert ``spikecore.encoding.latency``: the value whose spike time is the first spike step.

    With :math:`k` the first spike step and the encoder's :math:`\\tau, \\vartheta`:

    .. math::
        \\text{linear: } \\tilde x = 1 - k/\\tau, \\qquad
        \\text{log: } \\tilde x = \\frac{\\vartheta}{1 - e^{-k/\\tau}}
        \\;(\\tilde x = 1 \\text{ for } k = 0)

    clipped to :math:`[\\vartheta, 1]` and mapped back to :math:`x = x_{\\min} +
    \\tilde x (x_{\\max} - x_{\\min})` (mappings of Eshraghian et al., 2023). The encoder rounds
    :math:`t^*` to the nearest step, so the linear inverse is exact to :math:`1/(2\\tau)`
    (in :math:`\\tilde x`). Inputs that never fired decode to ``never`` (default ``x_min``);
    a spike at the last step may also mean "below threshold" unless the encoder clipped.

    Parameters
    ----------
    spikes : array_like, shape (T, ...)
        0/1 raster, time first.
    method, tau, threshold, x_min, x_max
        The encoder's arguments (``tau`` default as in the encoder).
    never : float, optional
        Value for inputs with no spike.

    Returns
    -------
    ndarray of float64, shape spikes.shape[1:]
    """
    s = raster("spikes", spikes)
    T = s.shape[0]
    v.choice("method", method, ("linear", "log"))
    threshold = v.real("threshold", threshold, low=0.0, high=1.0, high_open=True)
    if tau is None:
        if method == "log":
            v.fail("tau", tau, "the encoder's time constant in steps (required for method='log')")
        # T = 1: every spike is at step 0 (decoded as 1 whatever tau); any positive tau will do
        tau = (T - 1) / (1.0 - threshold) if T > 1 else 1.0
    tau = v.positive("tau", tau, unit="steps")
    x_min, x_max = v.ordered("x_min", x_min, "x_max", x_max)
    k, fired = first_steps(s)
    k = k.astype(np.float64)
    if method == "linear":
        norm = 1.0 - k / tau
    else:
        with np.errstate(divide="ignore"):
            norm = np.where(k > 0, threshold / -np.expm1(-k / tau), 1.0)
    norm = np.clip(norm, threshold, 1.0)
    value = x_min + norm * (x_max - x_min)
    return np.where(fired, value, x_min if never is None else v.real("never", never))
