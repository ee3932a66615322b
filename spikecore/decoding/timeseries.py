"""Inverses of the time-series codes: delta modulation and BSA."""
import numpy as np

from spikecore import _validate as v

from ._common import raster


def delta_decode(on, off, threshold, x0):
    """Reconstruct a delta-modulated signal (``spikecore.encoding.delta``).

    .. math:: \\hat x_t = x_0 + \\vartheta \\sum_{\\tau \\le t} (\\mathrm{on}_\\tau - \\mathrm{off}_\\tau)

    equal to the encoder's tracked reference, within :math:`\\vartheta` of the signal while it
    moves at most :math:`\\vartheta` per step (send-on-delta; Lichtsteiner, Posch & Delbruck, 2008).

    Parameters
    ----------
    on, off : array_like, shape (T, ...)
        ON and OFF rasters.
    threshold : float
        The encoder's :math:`\\vartheta`.
    x0 : array_like, shape on.shape[1:] (or broadcastable)
        The signal's first sample.

    Returns
    -------
    ndarray of float64, shape on.shape
    """
    on = raster("on", on)
    off = raster("off", off)
    if on.shape != off.shape:
        v.fail("off", "<array of shape %s>" % (off.shape,), "the shape of on, %s" % (on.shape,))
    threshold = v.positive("threshold", threshold)
    x0 = v.array("x0", x0, finite=True).astype(np.float64)
    try:
        ok = np.broadcast_shapes(x0.shape, on.shape[1:]) == on.shape[1:]
    except ValueError:
        ok = False
    if not ok:
        v.fail("x0", "<array of shape %s>" % (x0.shape,), "the first sample, of shape on.shape[1:] = %s "
               "(or broadcastable to it)" % (on.shape[1:],))
    steps = np.cumsum(on.astype(np.int64) - off.astype(np.int64), axis=0)
    return x0 + threshold * steps


def bsa_decode(spikes, fir=None):
    """Reconstruct a BSA-encoded signal (Schrauwen & Van Campenhout, 2003) by filtering.

    .. math:: \\hat x_t = \\sum_{k=0}^{\\min(t, L-1)} s_{t-k}\\, h_k

    Parameters
    ----------
    spikes : array_like, shape (T, ...)
        0/1 raster, time first.
    fir : array_like, optional
        The encoder's filter (default ``spikecore.encoding.bsa_filter()``).

    Returns
    -------
    ndarray of float64, shape spikes.shape
    """
    from spikecore.encoding.bsa import bsa_filter

    s = raster("spikes", spikes).astype(np.float64)
    h = bsa_filter() if fir is None else v.array("fir", fir, ndim=1, finite=True).astype(np.float64)
    if h.size < 1:
        v.fail("fir", "<empty array>", "a 1-D filter with at least one tap")
    out = np.zeros_like(s)
    T = s.shape[0]
    for k in range(min(h.size, T)):
        out[k:] += h[k] * s[: T - k]
    return out
