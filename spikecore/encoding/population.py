"""Population coding with Gaussian receptive fields (Bohte, Kok & La Poutre, 2002)."""
import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k

from ._common import SPIKE_DTYPE, check_range, steps, values


def gaussian_fields(n_fields, x_min, x_max, beta=1.5):
    """Centres and width of Bohte et al.'s (2002) Gaussian receptive fields.

    For :math:`m` fields covering :math:`[I_{\\min}, I_{\\max}]`:

    .. math::
        \\mu_i = I_{\\min} + \\frac{2i - 3}{2}\\,\\frac{I_{\\max} - I_{\\min}}{m - 2}, \\quad i = 1..m,
        \\qquad \\sigma = \\frac{1}{\\beta}\\,\\frac{I_{\\max} - I_{\\min}}{m - 2}

    (two fields centred just outside the range; :math:`\\beta = 1.5` in the paper).

    Parameters
    ----------
    n_fields : int
        :math:`m` (>= 3).
    x_min, x_max : float
        :math:`I_{\\min} < I_{\\max}`.
    beta : float
        :math:`\\beta > 0`.

    Returns
    -------
    centres : ndarray of float64, shape (m,)
    sigma : float
    """
    m = v.integer("n_fields", n_fields, low=3)
    x_min, x_max = v.ordered("x_min", x_min, "x_max", x_max)
    beta = v.positive("beta", beta)
    width = (x_max - x_min) / (m - 2)
    i = np.arange(1, m + 1, dtype=np.float64)
    return x_min + (2 * i - 3) / 2 * width, width / beta


def field_responses(x, n_fields, *, beta=1.5, min_response=0.1):
    """Gaussian receptive-field responses of values in [0, 1] (Bohte, Kok & La Poutre, 2002).

    .. math::
        r_{k,f,i} = \\exp\\!\\Big(-\\frac{(x_{k,f} - \\mu_i)^2}{2\\sigma^2}\\Big), \\qquad
        r_{k,f,i} \\leftarrow 0 \\text{ where } r_{k,f,i} < r_{\\min}

    with the centres :math:`\\mu_i` and width :math:`\\sigma` of :func:`gaussian_fields` on
    :math:`[0, 1]`. Used as input intensities (spike rates) by the estimators that code
    real-valued features by population: each value drives the one or two fields whose centres
    are nearest most strongly, so every range of a feature has inputs of its own.

    Parameters
    ----------
    x : array (n_samples, n_features)
        Values in [0, 1] (already scaled; not checked beyond being finite).
    n_fields : int
        :math:`m` (>= 3).
    beta : float
        :math:`\\beta` of :func:`gaussian_fields`.
    min_response : float
        :math:`r_{\\min}` in [0, 1): weaker responses are set to 0 (the paper's fields that
        would fire after 9/10 of the window stay silent).

    Returns
    -------
    ndarray of float32, shape (n_samples, n_features * n_fields)
        Feature-major: columns ``f * m .. f * m + m - 1`` belong to feature ``f``.
    """
    x = v.array("x", x, ndim=2, finite=True)
    min_response = v.real("min_response", min_response, low=0.0, high=1.0, high_open=True)
    centres, sigma = gaussian_fields(n_fields, 0.0, 1.0, beta=beta)
    z = x.astype(np.float32)
    r = np.exp(-((z[:, :, None] - centres.astype(np.float32)) ** 2) / np.float32(2.0 * sigma ** 2))
    r[r < min_response] = 0.0
    return r.reshape(z.shape[0], -1).astype(np.float32)


def population(x, num_steps, *, n_fields=8, x_min=0.0, x_max=1.0, beta=1.5, t_max=None,
               min_response=0.1, return_times=False):
    """Gaussian receptive-field population coding, as SpikeProp uses it (Bohte et al., 2002).

    Each value is seen by :math:`m` fields (:func:`gaussian_fields`); field :math:`i` responds
    :math:`f_i = \\exp(-(x-\\mu_i)^2 / 2\\sigma^2)` and fires once at

    .. math:: t_i = t_{\\max}\\,(1 - f_i), \\qquad f_i \\ge f_{\\min}

    so the best-matching field fires first; fields with :math:`f_i < f_{\\min}` stay silent
    (the paper's "later than t = 9 of 10": :math:`f_{\\min} = 0.1`). The raster puts each spike
    at the nearest step; SpikeProp needs the exact times, returned with ``return_times``.

    Parameters
    ----------
    x : array_like, any shape
        Values in [x_min, x_max].
    num_steps : int
        ``T`` (>= 1).
    n_fields : int
        :math:`m` (>= 3).
    x_min, x_max, beta : float
        Range and width factor of the fields.
    t_max : float, optional
        Coding interval :math:`t_{\\max}` in steps, at most T-1 (default T-1).
    min_response : float
        :math:`f_{\\min}` in (0, 1].
    return_times : bool
        Also return the exact spike times (float64, steps; ``inf`` = no spike).

    Returns
    -------
    spikes : ndarray of uint8, shape (T, *x.shape, m)
    times : ndarray of float64, shape (*x.shape, m) (only with ``return_times``)
    """
    T = steps(num_steps)
    return_times = v.flag("return_times", return_times)
    centres, sigma = gaussian_fields(n_fields, x_min, x_max, beta)
    t_max = float(T - 1) if t_max is None else v.real("t_max", t_max, low=0.0, high=T - 1)
    min_response = v.real("min_response", min_response, low=0.0, high=1.0, low_open=True)
    arr = values("x", x)
    check_range("x", arr, float(x_min), float(x_max))
    flat = arr.ravel()
    out = np.empty((T, flat.size, centres.size), SPIKE_DTYPE)
    times = np.empty((flat.size, centres.size), np.float64)
    _k.population_encode(flat, centres, sigma, t_max, min_response, out, times)
    spikes = out.reshape((T,) + arr.shape + (centres.size,))
    return (spikes, times.reshape(arr.shape + (centres.size,))) if return_times else spikes
