r"""Spike-train distances and similarities: van Rossum, Victor-Purpura, Schreiber, spike-time error.

A spike train is a 1-D array of spike times (any unit; the parameter ``tau``, ``q`` or
``sigma`` must be in the same unit — spikecore uses seconds). The pairwise work is done by
``spikecore.kernels.metrics`` (twins in ``spikecore.reference.metrics``).
"""
import numpy as np

from spikecore import _validate
from spikecore.kernels import metrics as _k


def _train(name, train):
    t = _validate.array(name, train, ndim=1, dtype=np.float64, finite=True, kinds="iuf")
    return np.sort(t)


def _pack(name, trains):
    if isinstance(trains, np.ndarray) and trains.ndim == 1 and trains.dtype != object:
        _validate.fail(name, "<1-D array>", "a sequence of spike trains (use the two-train "
                       "functions for a single pair)", TypeError)
    if not isinstance(trains, np.ndarray):
        trains = _validate.sequence(name, trains, "a sequence of spike trains (1-D arrays of spike times)")
    sorted_trains = [_train("%s[%d]" % (name, i), t) for i, t in enumerate(trains)]
    indptr = np.zeros(len(sorted_trains) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([t.size for t in sorted_trains])
    times = np.concatenate(sorted_trains) if sorted_trains else np.zeros(0)
    return np.ascontiguousarray(times, dtype=np.float64), indptr


def _one_pair(kernel, train_a, train_b, param):
    a = _train("train_a", train_a)
    b = _train("train_b", train_b)
    out = np.empty((1, 1))
    kernel(a, np.array([0, a.size], np.int64), b, np.array([0, b.size], np.int64), param, out)
    return float(out[0, 0])


def van_rossum_distance(train_a, train_b, tau):
    r"""van Rossum distance between two spike trains (van Rossum 2001), exact.

    Each train is filtered with a causal exponential, :math:`f(t) = \sum_i H(t - t_i)
    e^{-(t - t_i)/\tau}`, and

    .. math::

        D^2 = \frac{1}{\tau} \int_0^\infty (f(t) - g(t))^2\, dt
            = \tfrac12 \Big[\sum_{i,j} e^{-|a_i - a_j|/\tau} + \sum_{i,j} e^{-|b_i - b_j|/\tau}
              - 2 \sum_{i,j} e^{-|a_i - b_j|/\tau}\Big],

    computed in closed form (no time grid) in O(n + m). One spike against none gives
    :math:`D = 1/\sqrt2`. (Elephant's ``van_rossum_distance`` omits the 1/2: it returns
    :math:`\sqrt2\,D`.)

    Parameters
    ----------
    train_a, train_b : array of float
        Spike times :math:`a_i`, :math:`b_j` (any order).
    tau : float
        Time constant :math:`\tau` of the filter, in the unit of the spike times.
    """
    tau = _validate.positive("tau", tau)
    return _one_pair(_k.van_rossum_pairwise, train_a, train_b, tau)


def victor_purpura_distance(train_a, train_b, q):
    r"""Victor-Purpura spike-time distance :math:`D^{spike}[q]` (Victor & Purpura 1996).

    The minimum total cost of transforming one train into the other, where deleting or
    inserting a spike costs 1 and moving a spike by :math:`\Delta t` costs :math:`q|\Delta t|`.
    Computed by dynamic programming over the sorted trains:

    .. math::

        G_{i,j} = \min(G_{i-1,j} + 1,\; G_{i,j-1} + 1,\; G_{i-1,j-1} + q|a_i - b_j|),
        \quad G_{i,0} = i,\; G_{0,j} = j,\quad D = G_{n,m}.

    Parameters
    ----------
    train_a, train_b : array of float
        Spike times.
    q : float
        Cost per unit time of moving a spike (>= 0; ``q = 0`` counts the spike-number
        difference; large ``q`` counts unmatched spikes).
    """
    q = _validate.nonnegative("q", q)
    return _one_pair(_k.victor_purpura_pairwise, train_a, train_b, q)


def schreiber_correlation(train_a, train_b, sigma):
    r"""Schreiber et al. (2003) correlation-based reliability of two spike trains.

    Both trains are convolved with a Gaussian of width :math:`\sigma` and compared by the
    cosine of the angle between the filtered signals :math:`s_a, s_b`. Over the whole time
    axis the integrals are closed form (a Gaussian correlated with itself is a Gaussian of
    variance :math:`2\sigma^2`):

    .. math::

        C = \frac{\int s_a s_b\, dt}{\sqrt{\int s_a^2\, dt \int s_b^2\, dt}}
          = \frac{\sum_{i,j} e^{-(a_i - b_j)^2 / 4\sigma^2}}
                 {\sqrt{\sum_{i,j} e^{-(a_i - a_j)^2 / 4\sigma^2}\,
                        \sum_{i,j} e^{-(b_i - b_j)^2 / 4\sigma^2}}}.

    :math:`C = 1` for identical trains, near 0 for trains far apart relative to
    :math:`\sigma`; ``nan`` if either train is empty (the cosine is undefined). No window edge
    effects (the filtered signals are not truncated to a recording window).

    Parameters
    ----------
    train_a, train_b : array of float
        Spike times.
    sigma : float
        Gaussian width :math:`\sigma`, in the unit of the spike times.
    """
    sigma = _validate.positive("sigma", sigma)
    return _one_pair(_k.schreiber_pairwise, train_a, train_b, sigma)


_PAIRWISE = {
    "van_rossum": (_k.van_rossum_pairwise, "tau"),
    "victor_purpura": (_k.victor_purpura_pairwise, "q"),
    "schreiber": (_k.schreiber_pairwise, "sigma"),
}


def pairwise(trains_a, trains_b=None, *, metric, **param):
    r"""Matrix of a metric between every train of ``trains_a`` and every train of ``trains_b``.

    ``out[p, q] = metric(trains_a[p], trains_b[q])`` for ``metric`` one of
    ``"van_rossum"`` (parameter ``tau``; van Rossum 2001), ``"victor_purpura"`` (``q``;
    Victor & Purpura 1996) and ``"schreiber"`` (``sigma``; Schreiber et al. 2003); the
    equations are in :func:`van_rossum_distance`, :func:`victor_purpura_distance` and
    :func:`schreiber_correlation`. ``trains_b`` defaults to ``trains_a``.

    Returns
    -------
    ndarray (len(trains_a), len(trains_b)) float64
    """
    _validate.choice("metric", metric, tuple(_PAIRWISE))
    kernel, pname = _PAIRWISE[metric]
    if set(param) != {pname}:
        _validate.fail("parameters", sorted(param), "exactly one keyword %r for metric %r" % (pname, metric), TypeError)
    value = (_validate.nonnegative if pname == "q" else _validate.positive)(pname, param[pname])
    ta, ia = _pack("trains_a", trains_a)
    tb, ib = (ta, ia) if trains_b is None else _pack("trains_b", trains_b)
    out = np.empty((ia.size - 1, ib.size - 1))
    return kernel(ta, ia, tb, ib, value, out)


def spike_time_error(actual, desired, t_max=None):
    r"""Spike-time error :math:`E = \frac12 \sum_j (t_j^a - t_j^d)^2` (Bohte et al. 2002).

    The error SpikeProp minimises, for single spikes per neuron.

    Parameters
    ----------
    actual, desired : array of float, same shape
        Actual spike times :math:`t_j^a` (``inf`` for a neuron that did not fire) and desired
        times :math:`t_j^d` (finite).
    t_max : float, optional
        If given, a non-firing neuron (``inf``) counts as firing at ``t_max`` (SpikeProp's
        convention); otherwise any ``inf`` in ``actual`` gives ``E = inf``.

    Returns
    -------
    float
    """
    a = _validate.array("actual", actual, dtype=np.float64, kinds="iuf")
    d = _validate.array("desired", desired, dtype=np.float64, finite=True, kinds="iuf")
    if a.shape != d.shape:
        _validate.fail("actual", "<array of shape %s>" % (a.shape,), "the shape of desired %s" % (d.shape,))
    if np.any(np.isnan(a)) or np.any(a == -np.inf):
        _validate.fail("actual", "<array containing NaN or -inf>", "spike times, or +inf for no spike")
    if t_max is not None:
        a = np.where(np.isfinite(a), a, _validate.real("t_max", t_max))
    return float(0.5 * np.sum((a - d) ** 2))
