"""Shared argument handling of the encoders (validation, normalisation, output allocation).

Spikes are ``uint8`` 0/1 arrays, time first: ``(T, *shape)`` for an input of shape ``shape``.
uint8 (not bool) because spike counts are sums over time and the simulator's propagation
kernels multiply spikes by weights; ``raster.astype(bool)`` is free if a mask is wanted.
"""
import numpy as np

from spikecore import _validate as v

SPIKE_DTYPE = np.uint8


def steps(num_steps, name="num_steps"):
    """Check a number of time steps (an integer >= 1)."""
    return v.integer(name, num_steps, low=1)


def values(name, x):
    """Finite numeric array (NaN and inf rejected), as float64."""
    return v.array(name, x, finite=True).astype(np.float64)


def check_range(name, arr, low, high, how="the declared range"):
    """Raise naming the first value of ``arr`` outside [low, high]."""
    if arr.size == 0:
        return
    bad = (arr < low) | (arr > high)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        v.fail(name, "<array with %r at index %s>" % (float(arr[idx]), idx),
               "values in [%r, %r] (%s; rescale the input or pass x_min/x_max)" % (low, high, how))


def intensity(x, x_min, x_max, name="x"):
    """Validate ``x`` against the declared range [x_min, x_max] and normalise it to [0, 1].

    .. math:: \\tilde x = (x - x_{\\min}) / (x_{\\max} - x_{\\min})

    Returns the flat float64 normalised array and the input's shape.
    """
    x_min, x_max = v.ordered("x_min", x_min, "x_max", x_max)
    arr = values(name, x)
    check_range(name, arr, x_min, x_max)
    norm = (arr.ravel() - x_min) / (x_max - x_min)
    return np.clip(norm, 0.0, 1.0), arr.shape


def seed_words(random_state, stream):
    """The Philox key (a 64-bit seed drawn from ``random_state``) and the checked stream number."""
    key = np.uint64(v.rng(random_state).integers(0, 2 ** 64, dtype=np.uint64))
    stream = np.uint64(v.integer("stream", stream, low=0, high=2 ** 63 - 1))
    return key, stream
