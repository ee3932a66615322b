"""Inverse of rank-order coding (up to ties)."""
import numpy as np

from spikecore import _validate as v

from ._common import first_steps, raster


def rank_order_decode(spikes, *, modulation=None, batch_axis=False):
    """Firing order of each input, or Thorpe & Gautrais' (1998) rank weights.

    Inputs are ordered by first spike step (ties, i.e. spikes in the same step, by flat
    index). The decoded rank is :math:`r \\in \\{0, 1, \\dots\\}`, -1 for inputs that never
    fired; this inverts ``spikecore.encoding.rank_order`` exactly when every active input
    had its own step and the values had no ties. With a modulation factor
    :math:`0 < \\mathrm{mod} < 1` the result is the desensitised weight

    .. math:: w = \\mathrm{mod}^{\\,r} \\quad (0 \\text{ for inputs that never fired})

    which a rank-order readout neuron multiplies with its synaptic weights (Thorpe & Gautrais, 1998).

    Parameters
    ----------
    spikes : array_like, shape (T, ...)
        0/1 raster, time first.
    modulation : float, optional
        :math:`\\mathrm{mod}` in (0, 1).
    batch_axis : bool
        Axis 1 (the first after time) indexes samples, ranked separately.

    Returns
    -------
    ndarray of int64 (ranks) or float64 (weights), shape spikes.shape[1:]
    """
    s = raster("spikes", spikes)
    shape = s.shape[1:]
    batch_axis = v.flag("batch_axis", batch_axis)
    if batch_axis and len(shape) < 1:
        v.fail("spikes", "<array of shape %s>" % (s.shape,), "a raster (T, batch, ...) for batch_axis=True")
    # explicit sizes: reshape(..., -1) is ambiguous when an axis is empty
    flat = s.reshape(s.shape[0], shape[0], int(np.prod(shape[1:], dtype=np.int64))) if batch_axis \
        else s.reshape(s.shape[0], 1, int(np.prod(shape, dtype=np.int64)))
    first, fired = first_steps(flat)
    ranks = np.full(first.shape, -1, np.int64)
    for b in range(first.shape[0]):
        idx = np.flatnonzero(fired[b])
        order = idx[np.argsort(first[b, idx], kind="stable")]
        ranks[b, order] = np.arange(order.size)
    ranks = ranks.reshape(shape)
    if modulation is None:
        return ranks
    mod = v.real("modulation", modulation, low=0.0, high=1.0, low_open=True, high_open=True)
    return np.where(ranks >= 0, mod ** np.maximum(ranks, 0).astype(np.float64), 0.0)
