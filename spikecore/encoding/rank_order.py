"""Rank-order coding (Thorpe & Gautrais, 1998)."""
import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k

from ._common import SPIKE_DTYPE, steps, values


def rank_order(x, num_steps=None, *, threshold=None, batch_axis=False):
    """Rank-order coding: each active input spikes once; the order of spikes is the order of
    the values (largest first) (Thorpe & Gautrais, 1998).

    Active inputs are those :math:`> \\vartheta`. Within a sample, the input of rank
    :math:`r` (0 = largest; ties by flat index) spikes at step

    .. math:: t(r) = r \\;\\text{ if } A \\le T, \\qquad t(r) = \\lfloor r T / A \\rfloor \\;\\text{ otherwise}

    where :math:`A` is the number of active inputs. Only the order carries information.

    Parameters
    ----------
    x : array_like
        Finite values (no range restriction: the code is invariant to monotone rescaling).
    num_steps : int, optional
        ``T``; default: the number of values per sample (one step per rank).
    threshold : float, optional
        :math:`\\vartheta`; default: every input is active.
    batch_axis : bool
        If true the first axis indexes samples, each ranked on its own; otherwise the
        whole array is one sample.

    Returns
    -------
    ndarray of uint8, shape (T, *x.shape)
    """
    arr = values("x", x)
    shape = arr.shape
    if v.flag("batch_axis", batch_axis):
        if arr.ndim < 1:
            v.fail("x", "<scalar>", "an array with a leading batch axis (batch_axis=True)")
        flat = arr.reshape(shape[0], int(np.prod(shape[1:], dtype=np.int64)))  # also for 0 samples
    else:
        flat = arr.reshape(1, -1)
    T = flat.shape[1] if num_steps is None else steps(num_steps)
    T = max(T, 1)
    threshold = -np.inf if threshold is None else v.real("threshold", threshold)
    out = np.empty((T,) + flat.shape, SPIKE_DTYPE)
    _k.rank_order_encode(np.ascontiguousarray(flat), float(threshold), out)
    return out.reshape((T,) + shape)
