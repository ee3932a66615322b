"""Argument checks shared by the decoders."""
import numpy as np

from spikecore import _validate as v


def raster(name, spikes, min_ndim=1):
    """A spike raster (time first) of 0/1 values, returned as uint8.

    Bool, integer and float dtypes are accepted (other libraries, e.g. snnTorch, emit float
    spikes); any value other than 0 or 1 is an error.
    """
    arr = v.array(name, spikes)
    if arr.ndim < min_ndim or arr.shape[0] < 1:
        v.fail(name, "<array of shape %s>" % (arr.shape,),
               "a spike raster with time first, at least %d dimension(s) and one step" % min_ndim)
    if arr.dtype != np.bool_ and arr.size:
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            v.fail(name, "<array with %r at index %s>" % (arr[idx].item(), idx), "spikes of 0 or 1")
    return arr.astype(np.uint8, copy=False)


def first_steps(spikes):
    """Index of the first spike along axis 0, and a mask of inputs that spiked at all."""
    fired = spikes.any(axis=0)
    return np.argmax(spikes, axis=0), fired
