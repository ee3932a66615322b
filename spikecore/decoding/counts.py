"""Rate decoders: spike count and firing rate."""
import numpy as np

from spikecore import _validate as v

from ._common import raster


def spike_count(spikes):
    """Number of spikes of each input over the window (rate decoding).

    .. math:: n = \\sum_{t=0}^{T-1} s_t

    (the spike-count rate of Adrian, 1926; Gerstner & Kistler, 2002, sec. 1.5).

    Parameters
    ----------
    spikes : array_like, shape (T, ...)
        0/1 raster, time first.

    Returns
    -------
    ndarray of int64, shape spikes.shape[1:]
    """
    return raster("spikes", spikes).sum(axis=0, dtype=np.int64)


def firing_rate(spikes, dt=None):
    """Firing rate: spikes per step, or per second when ``dt`` is given.

    .. math:: r = \\frac{1}{T} \\sum_t s_t \\quad\\text{or}\\quad r = \\frac{1}{T\\,\\Delta t} \\sum_t s_t

    (Gerstner & Kistler, 2002, sec. 1.5). Inverts ``encoding.regular`` to within 1/T and is
    the unbiased estimator of ``encoding.poisson``'s probability.

    Parameters
    ----------
    spikes : array_like, shape (T, ...)
        0/1 raster, time first.
    dt : float, optional
        Step :math:`\\Delta t` in seconds.

    Returns
    -------
    ndarray of float64, shape spikes.shape[1:]
    """
    s = raster("spikes", spikes)
    rate = s.sum(axis=0, dtype=np.int64) / s.shape[0]
    return rate if dt is None else rate / v.positive("dt", dt, unit="s")
