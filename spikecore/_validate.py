"""Argument checks shared by every layer.

Each check either returns the (possibly converted) value or raises an exception whose
message names the argument, shows the value received and says what was expected, e.g.::

    ValueError: tau_mem = -0.02: expected a positive finite number (seconds)

They are deliberately small and explicit; call them at construction time or at the top of
a public function, never inside a hot loop.
"""
import collections.abc
import numbers
import os

import numpy as np


class _Described(str):
    """A description standing in for a value too large to show (an array): printed as is."""

    def __repr__(self):
        return str(self)


def _show(value, limit=200):
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def fail(name, value, expected, exc=ValueError):
    """Raise ``exc`` with the project's standard message: argument, value, expectation."""
    raise exc("%s = %s: expected %s" % (name, _show(value), expected))


def real(name, value, *, low=None, high=None, low_open=False, high_open=False, unit=""):
    """Check ``value`` is a finite real number within the stated bounds; return it as float."""
    suffix = " (%s)" % unit if unit else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fail(name, value, "a real number" + suffix, TypeError)
    v = float(value)
    if not np.isfinite(v):
        fail(name, value, "a finite number" + suffix)
    if low is not None and (v < low or (low_open and v == low)):
        fail(name, value, "a number %s %s%s" % (">" if low_open else ">=", low, suffix))
    if high is not None and (v > high or (high_open and v == high)):
        fail(name, value, "a number %s %s%s" % ("<" if high_open else "<=", high, suffix))
    return v


def positive(name, value, unit=""):
    """Check ``value`` is a finite number > 0; return it as float."""
    suffix = " (%s)" % unit if unit else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fail(name, value, "a positive finite number" + suffix, TypeError)
    v = float(value)
    if not (np.isfinite(v) and v > 0):
        fail(name, value, "a positive finite number" + suffix)
    return v


def nonnegative(name, value, unit=""):
    """Check ``value`` is a finite number >= 0; return it as float."""
    return real(name, value, low=0.0, unit=unit)


def integer(name, value, *, low=None, high=None):
    """Check ``value`` is an integer (not bool) within bounds; return it as int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        fail(name, value, "an integer", TypeError)
    v = int(value)
    if low is not None and v < low:
        fail(name, value, "an integer >= %d" % low)
    if high is not None and v > high:
        fail(name, value, "an integer <= %d" % high)
    return v


def choice(name, value, options):
    """Check ``value`` is one of ``options``; return it."""
    if value not in options:
        fail(name, value, "one of " + ", ".join(repr(o) for o in options))
    return value


def array(name, value, *, ndim=None, dtype=None, finite=False, shape=None, kinds="biuf"):
    """Convert ``value`` to an ndarray and check it.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    ndim : int or tuple of int, optional
        Allowed number of dimensions.
    dtype : numpy dtype, optional
        Convert to this dtype (after checking the kind).
    finite : bool
        Reject NaN and infinite values.
    shape : tuple, optional
        Required shape; ``None`` entries match any length.
    kinds : str
        Allowed ``dtype.kind`` letters of the input (default: bool, int, uint, float).
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # e.g. ragged lists
        fail(name, value, "an array-like (%s)" % exc, TypeError)
    if arr.dtype.kind not in kinds:
        fail(name, _Described("<array of dtype %s>" % arr.dtype), "a numeric array (dtype kind in %r)" % kinds, TypeError)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            fail(name, _Described("<array of shape %s>" % (arr.shape,)),
                 "an array with %s dimension(s)" % " or ".join(map(str, allowed)))
    if shape is not None:
        ok = len(shape) == arr.ndim and all(s is None or s == a for s, a in zip(shape, arr.shape))
        if not ok:
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            fail(name, _Described("<array of shape %s>" % (arr.shape,)), "shape " + want)
    if finite and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        fail(name, _Described("<array with %s at index %s>" % (arr[tuple(bad)].item(), tuple(int(i) for i in bad))),
             "finite values (no NaN or inf)")
    if dtype is not None:
        arr = np.ascontiguousarray(arr, dtype=dtype)
    return arr


_RNG_KINDS = ("None, a non-negative integer seed, a numpy.random.Generator, a legacy "
              "numpy.random.RandomState, a SeedSequence or a BitGenerator")


def rng(random_state):
    """Turn ``random_state`` into a ``numpy.random.Generator``.

    ``None`` (fresh entropy), a non-negative int seed, a Generator (used as is), a SeedSequence
    or BitGenerator (wrapped), or a legacy ``numpy.random.RandomState``, as scikit-learn accepts:
    the Generator is then seeded with 128 bits drawn from it, so the same RandomState state gives
    the same results and the RandomState advances, as it would in scikit-learn.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, (np.random.SeedSequence, np.random.BitGenerator)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2 ** 32, size=4, dtype=np.uint64))
    if random_state is None or (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)):
        if random_state is not None and random_state < 0:
            fail("random_state", random_state, _RNG_KINDS)
        return np.random.default_rng(random_state)
    fail("random_state", random_state, _RNG_KINDS, TypeError)


class NotFoundError(KeyError, ValueError):
    """A name or key that is not there (a population, a state variable, a recorded monitor).

    Both a ``KeyError`` (a failed lookup) and a ``ValueError`` (bad input), so either ``except``
    catches it; printed as the plain message (a bare ``KeyError`` would quote it).
    """

    def __str__(self):
        return Exception.__str__(self)


def flag(name, value):
    """Check ``value`` is a boolean (``bool``, ``numpy.bool_`` or the integers 0 and 1); return a bool.

    A string such as ``"False"`` is truthy in Python, so flags are not converted with ``bool()``.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    fail(name, value, "True or False", TypeError)


def number(name, value, unit=""):
    """Check ``value`` is a real number (not bool); NaN and infinities allowed (markers such as
    "never"); return it unchanged."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fail(name, value, "a real number" + (" (%s)" % unit if unit else ""), TypeError)
    return value


def indices(name, value, *, ndim=1, shape=None):
    """An array of integer indices as int64 (integer dtype; an empty list or array of any numeric
    dtype is accepted, since ``numpy.asarray([])`` is float)."""
    arr = array(name, value, ndim=ndim, shape=shape, kinds="biuf")
    if arr.size and arr.dtype.kind not in "iu":
        fail(name, _Described("<array of dtype %s>" % arr.dtype), "integer indices", TypeError)
    return arr.astype(np.int64)


def whole(name, arr, low=None, high=None):
    """Check the numeric array ``arr`` holds whole numbers (finite, integral) within [low, high];
    return it unchanged (the caller converts it to the integer type it needs)."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "f" and arr.size:
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            fail(name, _Described("<array with %r at index %s>" % (arr[idx].item(), idx)), "integer values")
    if arr.size and low is not None and arr.min() < low:
        fail(name, _Described("<array with minimum %r>" % (arr.min().item(),)), "integers >= %d" % low)
    if arr.size and high is not None and arr.max() > high:
        fail(name, _Described("<array with maximum %r>" % (arr.max().item(),)), "integers <= %d" % high)
    return arr


def path(name, value):
    """Check ``value`` is a file-system path (``str``, ``bytes`` or ``os.PathLike``); return
    ``os.fspath(value)``. (``os.fspath`` alone raises a TypeError that names no argument.)"""
    try:
        return os.fspath(value)
    except TypeError:
        fail(name, value, "a file path (str or os.PathLike)", TypeError)


def sequence(name, value, expected="a sequence (list or tuple)"):
    """Check ``value`` is a finite iterable other than a string (a string would be read one
    character at a time) or a mapping; return it as a list."""
    if isinstance(value, (str, bytes, collections.abc.Mapping)) or not isinstance(value, collections.abc.Iterable):
        fail(name, value, expected, TypeError)
    return list(value)


def ordered(low_name, low, high_name, high):
    """Check a range: two real numbers with ``low < high`` (the error names ``high_name``);
    return them as floats (e.g. an encoder's ``x_min``/``x_max``, a rule's ``w_min``/``w_max``)."""
    low = real(low_name, low)
    high = real(high_name, high)
    if not high > low:
        fail(high_name, high, "a number > %s = %r" % (low_name, low))
    return low, high
