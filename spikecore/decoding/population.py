"""Decoding of Gaussian receptive-field populations."""
import numpy as np

from spikecore import _validate as v
from spikecore.encoding.population import gaussian_fields


def population_decode(times, t_max, *, x_min=0.0, x_max=1.0, beta=1.5, method="pair"):
    """Recover values from the spike times of Bohte et al.'s (2002) Gaussian fields.

    Responses are read back from the times, :math:`f_i = 1 - t_i / t_{\\max}` (fields that
    did not fire, :math:`t_i = \\infty`, are ignored). Two estimators:

    ``'pair'`` (default) inverts the Gaussians exactly from the two strongest responses
    :math:`i, j`: since :math:`\\ln f_i - \\ln f_j = (\\mu_i - \\mu_j)(2x - \\mu_i - \\mu_j)/(2\\sigma^2)`,

    .. math:: \\hat x = \\frac{\\mu_i + \\mu_j}{2} + \\sigma^2 \\frac{\\ln f_i - \\ln f_j}{\\mu_i - \\mu_j}

    (exact for exact times; :math:`\\hat x = \\mu_i` if a single field fired).
    ``'vector'``: the population vector (Georgopoulos, Schwartz & Kettner, 1986),
    :math:`\\hat x = \\sum_i f_i \\mu_i / \\sum_i f_i`, biased towards the centres.

    Parameters
    ----------
    times : array_like, shape (..., m)
        Spike times in steps (``inf`` = no spike), e.g. ``population(..., return_times=True)[1]``
        or ``first_spike_time(raster, never=numpy.inf)`` of a population raster.
    t_max : float
        The encoder's coding interval (steps; its default is T - 1).
    x_min, x_max, beta : float
        The encoder's field parameters (``m`` is ``times.shape[-1]``).
    method : {'pair', 'vector'}

    Returns
    -------
    ndarray of float64, shape times.shape[:-1]; NaN where no field fired.
    """
    t = v.array("times", times, ndim=None, kinds="fiu").astype(np.float64)
    if t.ndim < 1:
        v.fail("times", "<scalar>", "an array whose last axis indexes the fields")
    if np.isnan(t).any() or (t < 0).any() or np.isneginf(t).any():
        v.fail("times", "<array with NaN or negative values>", "spike times >= 0 or inf")
    if t.shape[-1] < 3:
        v.fail("times", "<array of shape %s>" % (t.shape,),
               "a last axis of m >= 3 fields (Gaussian fields, Bohte et al. 2002)")
    t_max = v.positive("t_max", t_max, unit="steps")
    v.choice("method", method, ("pair", "vector"))
    centres, sigma = gaussian_fields(t.shape[-1], x_min, x_max, beta)
    fired = np.isfinite(t)
    f = np.where(fired, np.clip(1.0 - t / t_max, 1e-300, 1.0), 0.0)
    if method == "vector":
        total = f.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (f * centres).sum(axis=-1) / total, np.nan)
    order = np.argsort(-f, axis=-1, kind="stable")
    i = order[..., 0]
    j = order[..., 1]
    fi = np.take_along_axis(f, i[..., None], -1)[..., 0]
    fj = np.take_along_axis(f, j[..., None], -1)[..., 0]
    mu_i, mu_j = centres[i], centres[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        pair = (mu_i + mu_j) / 2 + sigma ** 2 * (np.log(fi) - np.log(fj)) / (mu_i - mu_j)
    return np.where(fj > 0, pair, np.where(fi > 0, mu_i, np.nan))
