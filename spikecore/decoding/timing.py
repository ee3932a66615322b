"""Time to first spike."""
import numbers

import numpy as np

from spikecore import _validate as v

from ._common import first_steps, raster


def first_spike_time(spikes, never=None):
    """Step of each input's first spike (time-to-first-spike decoding).

    .. math:: t_1 = \\min\\{t : s_t = 1\\}, \\qquad t_1 = \\text{never if no spike}

    (the first-spike latency code of Thorpe, Delorme & VanRullen, 2001).

    Parameters
    ----------
    spikes : array_like, shape (T, ...)
        0/1 raster, time first.
    never : int or float, optional
        Value for inputs that never spiked; default ``T`` (one past the window). A float
        (e.g. ``numpy.inf``) makes the result float64.

    Returns
    -------
    ndarray of int64 (float64 if ``never`` is a float), shape spikes.shape[1:]
    """
    s = raster("spikes", spikes)
    first, fired = first_steps(s)
    if never is None:
        never = s.shape[0]
    v.number("never", never)
    dtype = np.int64 if isinstance(never, numbers.Integral) else np.float64  # np.float32 too
    return np.where(fired, first, never).astype(dtype)
