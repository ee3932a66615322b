r"""Distributions that NEF ensembles sample their parameters from.

``Uniform``               scalar :math:`U[\mathrm{low}, \mathrm{high})` (max rates, intercepts)
``UniformHypersphere``    Monte-Carlo points on / in the unit hypersphere (Muller 1959)
``ScatteredHypersphere``  quasi-random points on / in the unit hypersphere: the
                          :math:`R_d` low-discrepancy sequence (Roberts 2018) mapped by the
                          Tashiro–Fang–Wang–Wong transform (Fang & Wang 1994, sec. 4.3) and
                          randomly rotated — the default for encoders and evaluation points, as
                          in Nengo (Bekolay et al. 2014)

Every ``sample(n, d, rng)`` takes a ``numpy.random.Generator``; the same generator state gives
the same samples.
"""
import numpy as np

from spikecore import _validate


class Distribution:
    """Base class: ``sample(n, d=None, rng)`` returns ``(n,)`` (``d`` None) or ``(n, d)`` samples."""

    def sample(self, n, d=None, rng=None):
        raise NotImplementedError


class Uniform(Distribution):
    r"""Uniform distribution :math:`U[\mathrm{low}, \mathrm{high})`.

    Parameters
    ----------
    low, high : float
        Bounds, ``low < high``.
    """

    def __init__(self, low, high):
        self.low = _validate.real("low", low)
        self.high = _validate.real("high", high)
        if not self.high > self.low:
            _validate.fail("high", high, "a number > low = %r" % self.low)

    def sample(self, n, d=None, rng=None):
        rng = _validate.rng(rng)
        n = _validate.integer("n", n, low=0)
        shape = (n,) if d is None else (n, _validate.integer("d", d, low=1))
        return rng.uniform(self.low, self.high, size=shape)

    def __repr__(self):
        return "Uniform(%r, %r)" % (self.low, self.high)


class UniformHypersphere(Distribution):
    r"""Uniform random points on the unit sphere :math:`S^{d-1}` or in the unit ball.

    A direction is a normalised standard-normal vector (Muller 1959); inside the ball the
    radius is :math:`\rho = u^{1/d}`, :math:`u \sim U[m^d, 1)` so points are uniform in volume
    with magnitude at least ``min_magnitude`` :math:`m`.

    Parameters
    ----------
    surface : bool
        Points on the sphere (True) or in the ball (False).
    min_magnitude : float
        Smallest magnitude in the ball, in [0, 1).
    """

    def __init__(self, surface=False, min_magnitude=0.0):
        self.surface = _validate.flag("surface", surface)
        self.min_magnitude = _validate.real("min_magnitude", min_magnitude, low=0.0, high=1.0,
                                            high_open=True)

    def sample(self, n, d=None, rng=None):
        rng = _validate.rng(rng)
        d = _validate.integer("d", d, low=1)
        n = _validate.integer("n", n, low=0)
        x = rng.standard_normal((n, d))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        if self.surface:
            return x
        return x * rng.uniform(self.min_magnitude ** d, 1.0, size=(n, 1)) ** (1.0 / d)

    def __repr__(self):
        return "UniformHypersphere(surface=%r)" % self.surface


def rd_sequence(n, d, rng):
    r"""Randomly shifted :math:`R_d` quasi-random sequence in :math:`[0, 1)^d` (Roberts 2018).

    :math:`z_k = (s + k\,\boldsymbol\alpha) \bmod 1`, :math:`\alpha_j = \phi_d^{-j}` where
    :math:`\phi_d` is the unique positive root of :math:`x^{d+1} = x + 1`; for ``d == 1`` the
    evenly spaced :math:`z_k = (s + k/n) \bmod 1`. The shift :math:`s \sim U[0,1)^d`, and the
    rows are shuffled.

    Parameters
    ----------
    n, d : int
        Number of points and dimensions.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray (n, d)
    """
    seed = rng.uniform(0.0, 1.0, size=d)
    if d == 1:
        z = ((seed + np.arange(n, dtype=np.float64) / n) % 1.0)[:, None]
    else:
        phi = 1.0
        for _ in range(100):  # Newton iteration for phi_d
            step = (phi ** (d + 1) - phi - 1.0) / ((d + 1) * phi ** d - 1.0)
            phi -= step
            if abs(step) < 1e-12:
                break
        alpha = (1.0 / phi) ** np.arange(1, d + 1)
        z = (seed + np.outer(np.arange(1, n + 1), alpha)) % 1.0
    rng.shuffle(z)
    return z


def tfww_transform(c):
    r"""Map points of the unit cube :math:`[0,1]^{s-1}` onto the sphere :math:`S^{s-1} \subset R^s`.

    The Tashiro–Fang–Wang–Wong construction (Fang & Wang 1994, sec. 4.3): with
    :math:`m = \lfloor s/2 \rfloor`, products of powers of the first coordinates give the
    cumulative squared radii :math:`g_0 = 0 \le g_1 \le \dots \le g_m = 1` of :math:`m` planes,
    :math:`d_j = \sqrt{g_{j+1} - g_j}`, and the remaining coordinates give the angles
    :math:`2\pi c` in each plane (for odd :math:`s` one extra coordinate places a point on
    :math:`S^2`). Uniform points in the cube map to uniform points on the sphere.

    Parameters
    ----------
    c : ndarray (n, s-1)
        Points in the unit cube.

    Returns
    -------
    ndarray (n, s)
    """
    c = np.asarray(c, dtype=np.float64)
    n, s1 = c.shape
    s = s1 + 1
    x = np.zeros((n, s))
    if s == 2:
        phi = 2 * np.pi * c[:, 0]
        x[:, 0], x[:, 1] = np.cos(phi), np.sin(phi)
        return x
    even = s % 2 == 0
    m = s // 2
    g = np.zeros((n, m + 1))
    g[:, m] = 1.0
    for j in range(m - 1, 0, -1):
        power = (1.0 / j) if even else (2.0 / (2 * j + 1))
        g[:, j] = g[:, j + 1] * c[:, j - 1] ** power
    radii = np.sqrt(np.diff(g, axis=1))
    phi = c[:, m - 1:].copy()
    if even:
        phi *= 2 * np.pi
        x[:, 0::2] = radii * np.cos(phi)
        x[:, 1::2] = radii * np.sin(phi)
    else:
        phi[:, 1:] *= 2 * np.pi
        f = 2 * radii[:, 0] * np.sqrt(phi[:, 0] * (1 - phi[:, 0]))
        x[:, 0] = radii[:, 0] * (1 - 2 * phi[:, 0])
        x[:, 1] = f * np.cos(phi[:, 1])
        x[:, 2] = f * np.sin(phi[:, 1])
        if s > 3:
            x[:, 3::2] = radii[:, 1:] * np.cos(phi[:, 2:])
            x[:, 4::2] = radii[:, 1:] * np.sin(phi[:, 2:])
    return x


def random_orthogonal(d, rng):
    r"""Random orthogonal matrix :math:`UV^\top` from the SVD of a Gaussian matrix."""
    u, _, vt = np.linalg.svd(rng.standard_normal((d, d)))
    return u @ vt


class ScatteredHypersphere(Distribution):
    r"""Quasi-random, evenly scattered points on the unit sphere or in the unit ball.

    :math:`R_d` points (:func:`rd_sequence`) mapped to the sphere by :func:`tfww_transform`,
    then rotated by a random orthogonal matrix; inside the ball the last quasi-random
    coordinate :math:`u` sets the radius :math:`\rho = (m^d + (1 - m^d) u)^{1/d}`. In one
    dimension, the sphere is :math:`\{-1, 1\}` and the ball is two evenly spaced sets on
    :math:`[m, 1)` and :math:`(-1, -m]`. The discrepancy is :math:`\tilde O(1/n)` rather than
    the Monte-Carlo :math:`O(1/\sqrt n)` (Fang & Wang 1994).

    Parameters
    ----------
    surface : bool
        Points on the sphere (True) or in the ball (False).
    min_magnitude : float
        Smallest magnitude in the ball, in [0, 1).
    """

    def __init__(self, surface=False, min_magnitude=0.0):
        self.surface = _validate.flag("surface", surface)
        self.min_magnitude = _validate.real("min_magnitude", min_magnitude, low=0.0, high=1.0,
                                            high_open=True)

    def sample(self, n, d=None, rng=None):
        rng = _validate.rng(rng)
        d = _validate.integer("d", d, low=1)
        n = _validate.integer("n", n, low=0)
        if n == 0:
            return np.zeros((0, d))
        if d == 1:
            if self.surface:
                return np.sign(rd_sequence(n, 1, rng) - 0.5)
            pos = rd_sequence(n // 2, 1, rng) if n // 2 else np.zeros((0, 1))
            neg = rd_sequence(n - n // 2, 1, rng)
            m = self.min_magnitude
            out = np.vstack([m + (1 - m) * pos, -(m + (1 - m) * neg)])
            rng.shuffle(out)
            return out
        if self.surface:
            mapped = tfww_transform(rd_sequence(n, d - 1, rng))
        else:
            z = rd_sequence(n, d, rng)
            md = self.min_magnitude ** d
            radius = (md + (1 - md) * z[:, -1:]) ** (1.0 / d)
            mapped = tfww_transform(z[:, :-1]) * radius
        return mapped @ random_orthogonal(d, rng)

    def __repr__(self):
        return "ScatteredHypersphere(surface=%r)" % self.surface


def sample(name, value, n, d, rng):
    """Samples of ``value`` (a :class:`Distribution` or an array) with shape ``(n,)`` or ``(n, d)``.

    An array must already have that shape; the error names ``name``.
    """
    if isinstance(value, Distribution):
        return np.asarray(value.sample(n, d, rng), dtype=np.float64)
    shape = (n,) if d is None else (n, d)
    if np.isscalar(value) and d is None:
        return np.full(n, _validate.real(name, value))
    return _validate.array(name, value, shape=shape, finite=True, dtype=np.float64)
