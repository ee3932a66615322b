"""Inverse of burst coding (Park, Kim, Choe & Yoon, 2019)."""
import numpy as np

from spikecore import _validate as v
from spikecore.encoding.burst import MAX_STEPS, check_burst

from ._common import raster


def burst_decode(spikes, *, n_max=5, t_min=2, t_max=10, period=None, x_min=0.0, x_max=1.0):
    """Value from a burst-coded raster (``spikecore.encoding.burst``, Park et al., 2019),
    read from the first period of :math:`L` steps.

    A burst of :math:`N_s` spikes puts :math:`p` in :math:`((N_s - 1)/N_{\\max},\\,
    N_s/N_{\\max}]` (:math:`N_s = \\lceil N_{\\max} p \\rceil`); for :math:`N_s > 1` its
    interval :math:`\\mathrm{ISI} = \\lceil T_{\\max} - \\Delta p \\rceil`,
    :math:`\\Delta = T_{\\max} - T_{\\min}`, puts it in
    :math:`[(T_{\\max} - \\mathrm{ISI})/\\Delta,\\, (T_{\\max} - \\mathrm{ISI} + 1)/\\Delta)`.
    The estimate is the midpoint of the intersection of the two intervals,

    .. math:: \\hat x = x_{\\min} + \\hat p\\,(x_{\\max} - x_{\\min}),

    so :math:`|\\hat x - x|` is at most half that cell's width (at most
    :math:`(x_{\\max} - x_{\\min}) / (2 N_{\\max})`); no spikes decode to :math:`x_{\\min}`.

    Parameters
    ----------
    spikes : array_like, shape (T, ...)
        0/1 raster with at least one whole burst (T >= the longest burst).
    n_max, t_min, t_max, period, x_min, x_max
        The encoder's settings.

    Returns
    -------
    ndarray of float64, shape spikes.shape[1:]
    """
    s = raster("spikes", spikes)
    n_max, t_min, t_max, longest = check_burst(n_max, t_min, t_max)
    period = longest if period is None else v.integer("period", period, low=longest, high=MAX_STEPS)
    x_min, x_max = v.ordered("x_min", x_min, "x_max", x_max)
    if s.shape[0] < longest:
        v.fail("spikes", "<raster with %d steps>" % s.shape[0], "at least the longest burst, %d steps" % longest)
    window = s[: min(period, s.shape[0])]
    count = window.sum(axis=0, dtype=np.int64)
    if (count > n_max).any():
        idx = tuple(int(i) for i in np.argwhere(count > n_max)[0])
        v.fail("spikes", "<raster with %d spikes in the first period for input %s>" % (count[idx], idx),
               "at most n_max = %d spikes per period (a burst-coded raster)" % n_max)
    lo = np.maximum(count - 1, 0) / n_max
    hi = count / n_max
    delta = t_max - t_min
    if delta > 0:
        first = np.argmax(window, axis=0)
        second = np.argmax(np.where(np.arange(window.shape[0]).reshape((-1,) + (1,) * (s.ndim - 1)) > first,
                                    window, 0), axis=0)
        isi = (second - first).astype(np.float64)
        multi = count > 1
        lo = np.where(multi, np.maximum(lo, (t_max - isi) / delta), lo)
        hi = np.where(multi, np.minimum(hi, (t_max - isi + 1) / delta), hi)
    p = np.clip(np.where(count == 0, 0.0, (lo + hi) / 2), 0.0, 1.0)
    return x_min + p * (x_max - x_min)
