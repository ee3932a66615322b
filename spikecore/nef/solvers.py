r"""Decoder solvers: regularised least squares on the ensemble's tuning curves.

Given the activity matrix :math:`A` (:math:`m` evaluation points × :math:`n` neurons) and the
target values :math:`Y = f(X)` (:math:`m \times d`), the NEF's optimal linear decoders
(Eliasmith & Anderson 2003, sec. 2.2 and 7.4) minimise

.. math::  \|A D - Y\|^2 + m\,\sigma^2 \|D\|^2, \qquad \sigma = \rho \max_{k,i} A_{ki},

where the L2 penalty models spiking noise of standard deviation :math:`\sigma`, a fraction
:math:`\rho` (``reg``, default 0.1) of the largest firing rate — Nengo's ``LstsqL2``
(Bekolay et al. 2014). Solved by Cholesky-style normal equations
:math:`(A^\top A + m\sigma^2 I) D = A^\top Y`, or, when :math:`m < n`, through
:math:`D = A^\top (A A^\top + m\sigma^2 I)^{-1} Y`. Computed in float64 (the normal equations
need it).
"""
import numpy as np

from spikecore import _validate


class LstsqL2:
    r"""L2-regularised least-squares decoders, noise-scaled: :math:`\sigma = \rho\max A` (Nengo's LstsqL2).

    Parameters
    ----------
    reg : float
        :math:`\rho`, the noise level relative to the largest rate (>= 0).
    weights : bool
        Solve for full neuron→neuron weights (gain·encoder·decoder) instead of decoders when
        the connection ends on an ensemble.
    """

    def __init__(self, reg=0.1, weights=False):
        self.reg = _validate.nonnegative("reg", reg)
        self.weights = _validate.flag("weights", weights)

    def __call__(self, A, Y):
        """Solve for decoders.

        Parameters
        ----------
        A : array (m, n)
            Activities of the :math:`n` neurons at the :math:`m` evaluation points.
        Y : array (m, d) or (m,)
            Targets.

        Returns
        -------
        D : float64 ndarray (n, d) (or (n,) for 1-D ``Y``)
        info : dict
            ``rmses`` — RMS error of :math:`A D` against each target column.
        """
        A = _validate.array("A", A, ndim=2, finite=True, dtype=np.float64)
        Y = _validate.array("Y", Y, ndim=(1, 2), finite=True, dtype=np.float64)
        if Y.shape[0] != A.shape[0]:
            _validate.fail("Y", "<array of shape %s>" % (Y.shape,),
                           "one row per row of A (%d evaluation points)" % A.shape[0])
        sigma = self.reg * A.max()
        D = solve_l2(A, Y, sigma)
        rmses = np.sqrt(np.mean((Y - A @ D) ** 2, axis=0))
        return D, {"rmses": rmses}

    def __repr__(self):
        return "LstsqL2(reg=%r, weights=%r)" % (self.reg, self.weights)


def solve_l2(A, Y, sigma):
    r"""Minimise :math:`\|AD - Y\|^2 + m\sigma^2\|D\|^2` (ridge regression, Tikhonov 1963).

    Uses the :math:`n \times n` normal equations, or the :math:`m \times m` dual system when
    :math:`A` has fewer rows than columns (:math:`D = A^\top(AA^\top + m\sigma^2 I)^{-1}Y`).
    The system matrix is symmetric positive definite; it is factorised by Cholesky.

    Parameters
    ----------
    A : float64 array (m, n)
    Y : float64 array (m, d) or (m,)
    sigma : float
        Noise standard deviation :math:`\sigma`.

    Returns
    -------
    float64 ndarray (n, d) or (n,)
    """
    A = _validate.array("A", A, ndim=2, finite=True, dtype=np.float64)
    Y = _validate.array("Y", Y, ndim=(1, 2), finite=True, dtype=np.float64)
    if Y.shape[0] != A.shape[0]:
        _validate.fail("Y", "<array of shape %s>" % (Y.shape,), "one row per row of A (%d)" % A.shape[0])
    sigma = _validate.nonnegative("sigma", sigma)
    m, n = A.shape
    lam = m * sigma ** 2
    transpose = m < n
    if transpose:
        G = A @ A.T
        b = Y
    else:
        G = A.T @ A
        b = A.T @ Y
    G[np.diag_indices_from(G)] += lam
    try:
        L = np.linalg.cholesky(G)
        X = _cho_solve(L, b)
    except np.linalg.LinAlgError:
        # singular without regularisation: least-norm solution
        X = np.linalg.lstsq(G, b, rcond=None)[0]
    return A.T @ X if transpose else X


def _cho_solve(L, b):
    # L L^T x = b, with NumPy only (solve against the triangular factors)
    y = np.linalg.solve(L, b)
    return np.linalg.solve(L.T, y)
