"""Inverse of temporal switch coding (and of phase coding)."""
import numpy as np

from spikecore import _validate as v

from ._common import raster


def tsc_decode(spikes, *, x_max=1.0):
    """Magnitude from a temporal-switch-coded raster (Han & Roy, 2020).

    .. math:: |\\hat x| = x_{\\max}\\, \\frac{t_2 - t_1}{N - 1}

    where :math:`t_1 < t_2` are the input's two spikes in the window of :math:`N` steps, and
    0 when it has none. Since :math:`p^* - 1 = \\lfloor p (N-1) \\rfloor`, the result is within
    :math:`x_{\\max}/(N-1)` below :math:`|x|` (exact on the grid :math:`k/(N-1)`).

    Parameters
    ----------
    spikes : array_like, shape (N, ...)
        0/1 raster from ``spikecore.encoding.tsc``: 0 or 2 spikes per input.
    x_max : float
        The encoder's full scale.

    Returns
    -------
    ndarray of float64, shape spikes.shape[1:]
    """
    s = raster("spikes", spikes)
    N = s.shape[0]
    x_max = v.positive("x_max", x_max)
    count = s.sum(axis=0, dtype=np.int64)
    bad = (count != 0) & (count != 2)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        v.fail("spikes", "<raster with %d spikes for input %s>" % (count[idx], idx),
               "0 or 2 spikes per input (a temporal-switch-coded raster)")
    if N < 2:
        return np.zeros(s.shape[1:])
    first = np.argmax(s, axis=0)
    last = N - 1 - np.argmax(s[::-1], axis=0)
    return np.where(count == 2, (last - first) / (N - 1) * x_max, 0.0)


def phase_decode(spikes, n_phases, *, x_min=0.0, x_max=1.0):
    """Value from a phase-coded raster (Kim, Park, Na & Yoon, 2018), averaged over whole periods.

    .. math:: \\hat{\\tilde x} = \\frac{1}{P}\\sum_{p<P} \\frac{\\sum_{k<K} s_{pK+k}\\, 2^{K-1-k}}{2^K - 1}

    exact for a raster from ``spikecore.encoding.phase`` (it inverts the quantisation grid).

    Parameters
    ----------
    spikes : array_like, shape (T, ...)
        0/1 raster with T >= n_phases.
    n_phases : int
        :math:`K`.
    x_min, x_max : float
        The encoder's range.

    Returns
    -------
    ndarray of float64, shape spikes.shape[1:]
    """
    s = raster("spikes", spikes)
    K = v.integer("n_phases", n_phases, low=1, high=32)
    x_min, x_max = v.ordered("x_min", x_min, "x_max", x_max)
    P = s.shape[0] // K
    if P < 1:
        v.fail("spikes", "<raster with %d steps>" % s.shape[0], "at least n_phases = %d steps" % K)
    weights = 2.0 ** np.arange(K - 1, -1, -1)
    periods = s[: P * K].reshape((P, K) + s.shape[1:]).astype(np.float64)
    q = np.tensordot(weights, periods, axes=([0], [1])).mean(axis=0)
    return x_min + q / (2.0 ** K - 1) * (x_max - x_min)
