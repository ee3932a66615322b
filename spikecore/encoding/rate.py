"""Rate codes: Poisson/Bernoulli spikes and deterministic evenly spaced spikes."""
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k
from spikecore.kernels import rng as _rng

from ._common import SPIKE_DTYPE, intensity, seed_words, steps


def _probability(x, max_rate, dt, x_min, x_max):
    max_rate = v.positive("max_rate", max_rate, unit="Hz")
    dt = v.positive("dt", dt, unit="s")
    if max_rate * dt > 1.0:
        v.fail("max_rate", max_rate, "max_rate * dt <= 1 (at most one spike per step; dt = %r s)" % dt)
    norm, shape = intensity(x, x_min, x_max)
    return norm * (max_rate * dt), shape


#: Below this many spike decisions one thread does the work (thread start-up would cost more).
PARALLEL_MIN_ELEMENTS = 1 << 21

_pools = {}
# a forked child inherits the pool objects but not their threads: start afresh there
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_pools.clear)


def _pool(n):
    """A thread pool of ``n`` workers, made once and kept (threads idle on a queue)."""
    if n not in _pools:
        _pools[n] = ThreadPoolExecutor(n, thread_name_prefix="spikecore-poisson")
    return _pools[n]


def _bernoulli_rows(threshold, key, stream, out, n_threads):
    """Fill ``out`` (T, M) with :func:`~spikecore.kernels.rng.philox_bernoulli`, its rows split
    into contiguous blocks over ``n_threads`` threads (the kernel releases the GIL). Row ``t``
    is drawn with global row index ``t`` whatever the split, so the spikes are the same."""
    T = out.shape[0]
    n = min(n_threads, T)
    if n <= 1 or out.size < PARALLEL_MIN_ELEMENTS:
        _rng.philox_bernoulli(threshold, key, stream, 0, out)
        return
    bounds = [T * i // n for i in range(n + 1)]
    pool = _pool(n)
    jobs = [pool.submit(_rng.philox_bernoulli, threshold, key, stream, a, out[a:b])
            for a, b in zip(bounds[1:-1], bounds[2:])]
    _rng.philox_bernoulli(threshold, key, stream, 0, out[:bounds[1]])  # this thread takes the first block
    for job in jobs:
        job.result()


def poisson(x, num_steps, *, max_rate=1000.0, dt=1e-3, x_min=0.0, x_max=1.0, random_state=None, stream=0,
            n_threads=None):
    """Poisson (Bernoulli) rate coding: each step spikes independently with probability
    proportional to the input.

    .. math::
        r = \\tilde x\\, r_{\\max}, \\qquad p = r\\,\\Delta t, \\qquad
        s_t \\sim \\mathrm{Bernoulli}(p) \\;\\text{i.i.d. over } t

    where :math:`\\tilde x = (x - x_{\\min})/(x_{\\max} - x_{\\min}) \\in [0, 1]` is the
    normalised input, :math:`r_{\\max}` the rate of the largest input and :math:`\\Delta t`
    the step. The count over ``T`` steps is Binomial(T, p): the discrete-time Poisson process
    of rate coding (Adrian, 1926; Gerstner & Kistler, 2002, sec. 1.5; snnTorch's
    ``spikegen.rate`` is the case :math:`r_{\\max}\\Delta t = 1`). To encode rates in Hz,
    pass them as ``x`` with ``x_max = max_rate``.

    Random numbers: Philox4x32-10 (Salmon et al., 2011) keyed by a seed drawn from
    ``random_state`` and by ``stream``; element ``(t, m)`` uses its own counter, so the result
    does not depend on how the work is split (see ``spikecore.kernels.rng``).
    :math:`P(s=1) = \\lfloor p\\,2^{32} \\rfloor / 2^{32}`.

    Parameters
    ----------
    x : array_like, any shape
        Intensities in [x_min, x_max] (values outside, NaN or inf raise ValueError).
    num_steps : int
        Number of time steps ``T`` (>= 1).
    max_rate : float
        :math:`r_{\\max}` in Hz (> 0, with ``max_rate * dt <= 1``).
    dt : float
        Step :math:`\\Delta t` in seconds.
    x_min, x_max : float
        Declared input range.
    random_state : None, int or numpy.random.Generator
        Seed source; the same seed gives the same spikes.
    stream : int
        Stream number in [0, 2**63): independent spike trains under the same seed.
    n_threads : int, optional
        Threads drawing blocks of time steps (default: Numba's thread count,
        ``numba.get_num_threads()``; outputs below 2**21 elements use one). The spikes do not
        depend on it.

    Returns
    -------
    ndarray of uint8, shape (T, *x.shape)
    """
    T = steps(num_steps)
    n_threads = numba.get_num_threads() if n_threads is None else v.integer("n_threads", n_threads, low=1)
    p, shape = _probability(x, max_rate, dt, x_min, x_max)
    key, stream = seed_words(random_state, stream)
    threshold = np.empty(p.size, np.uint64)
    _rng.probability_threshold(p, threshold)
    out = np.empty((T, p.size), SPIKE_DTYPE)
    _bernoulli_rows(threshold, key, stream, out, n_threads)
    return out.reshape((T,) + shape)


def regular(x, num_steps, *, max_rate=1000.0, dt=1e-3, x_min=0.0, x_max=1.0):
    """Deterministic regular-rate coding: evenly spaced spikes at the input's rate.

    .. math::
        p = \\tilde x\\, r_{\\max} \\Delta t, \\qquad
        s_t = \\lfloor (t+1)\\,p \\rfloor - \\lfloor t\\,p \\rfloor

    giving exactly :math:`\\lfloor T p \\rfloor` spikes in ``T`` steps, one every :math:`1/p`
    steps: the rate code without Poisson noise (Gerstner & Kistler, 2002, sec. 1.5).
    Symbols as in :func:`poisson`.

    Parameters
    ----------
    x : array_like, any shape
        Intensities in [x_min, x_max].
    num_steps : int
        ``T`` (>= 1).
    max_rate, dt, x_min, x_max : float
        As in :func:`poisson`.

    Returns
    -------
    ndarray of uint8, shape (T, *x.shape)
    """
    T = steps(num_steps)
    p, shape = _probability(x, max_rate, dt, x_min, x_max)
    out = np.empty((T, p.size), SPIKE_DTYPE)
    _k.regular_encode(p, out)
    return out.reshape((T,) + shape)
