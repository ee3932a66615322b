"""Temporal switch coding (Han & Roy, 2020)."""
import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k

from ._common import SPIKE_DTYPE, check_range, steps, values


def tsc(x, num_steps, *, x_max=1.0):
    """Temporal switch coding: two spikes per input, their interval proportional to the
    intensity (Han & Roy, 2020, "Deep spiking neural network: energy efficiency through
    time based coding", ECCV).

    In a window of :math:`N` steps, with :math:`p = |x| / x_{\\max} \\in [0, 1]`:

    .. math:: p^* = \\lfloor p\\,(N - 1) \\rfloor + 1 \\in \\{1, \\dots, N\\}

    The input switches on (spike at step 0) and off (spike at step :math:`p^* - 1`); the
    interval :math:`p^* - 1` steps gives :math:`p` to within :math:`1/(N-1)`
    (``spikecore.decoding.tsc_decode``). Zero: when :math:`p^* = 1`, i.e.
    :math:`p < 1/(N-1)` (including :math:`x = 0`), on and off coincide and the input emits
    **no** spike; every other input emits exactly two. The code carries the magnitude
    :math:`|x|`; the sign, where a caller needs it, travels separately (Han & Roy apply
    it through the weights).

    Parameters
    ----------
    x : array_like, any shape
        Values with :math:`|x| \\le x_{\\max}`.
    num_steps : int
        :math:`N` (>= 2).
    x_max : float
        Full-scale magnitude (> 0).

    Returns
    -------
    ndarray of uint8, shape (N, *x.shape)
    """
    N = steps(num_steps)
    if N < 2:
        v.fail("num_steps", num_steps, "an integer >= 2 (two spikes need two steps)")
    x_max = v.positive("x_max", x_max)
    arr = values("x", x)
    check_range("x", arr, -x_max, x_max, "|x| <= x_max")
    p = np.clip(np.abs(arr.ravel()) / x_max, 0.0, 1.0)
    out = np.empty((N, p.size), SPIKE_DTYPE)
    _k.tsc_encode(p, out)
    return out.reshape((N,) + arr.shape)
