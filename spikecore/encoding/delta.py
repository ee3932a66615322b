"""Delta modulation / temporal contrast: ON and OFF events when a signal moves by a threshold."""
import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k

from ._common import SPIKE_DTYPE, values


def delta(x, threshold):
    """Delta modulation with separate ON and OFF channels (send-on-delta; the temporal
    contrast rule of event cameras, Lichtsteiner, Posch & Delbruck, 2008).

    A reference starts at :math:`\\hat x_0 = x_0` and follows the signal in steps of
    :math:`\\vartheta`:

    .. math::
        \\mathrm{on}_t = [x_t - \\hat x_{t-1} \\ge \\vartheta], \\quad
        \\mathrm{off}_t = [\\hat x_{t-1} - x_t \\ge \\vartheta], \\quad
        \\hat x_t = \\hat x_{t-1} + \\vartheta\\,(\\mathrm{on}_t - \\mathrm{off}_t)

    If the signal moves at most :math:`\\vartheta` per step, :math:`|x_t - \\hat x_t| < \\vartheta`
    for all ``t``, so ``spikecore.decoding.delta_decode(on, off, threshold, x[0])``
    reconstructs it to within one threshold. For a log-intensity (DVS-like) code pass
    ``numpy.log(x + eps)``.

    Parameters
    ----------
    x : array_like, shape (T, ...)
        Finite signals, time first (T >= 1).
    threshold : float
        :math:`\\vartheta > 0`, in the units of ``x``.

    Returns
    -------
    on, off : ndarray of uint8, each of shape x.shape
    """
    arr = values("x", x)
    if arr.ndim < 1 or arr.shape[0] < 1:
        v.fail("x", "<array of shape %s>" % (arr.shape,), "a time series with time first and at least one step")
    threshold = v.positive("threshold", threshold)
    flat = np.ascontiguousarray(arr.reshape(arr.shape[0], -1))
    on = np.empty(flat.shape, SPIKE_DTYPE)
    off = np.empty(flat.shape, SPIKE_DTYPE)
    _k.delta_encode(flat, threshold, on, off)
    return on.reshape(arr.shape), off.reshape(arr.shape)
