r"""Plain-NumPy twins of ``spikecore.kernels.metrics`` (same names and signatures).

Written straight from the definitions, with the O(n m) double sums and the full dynamic
programming table (the kernels use the O(n + m) recursion and a rolling row)::

    van Rossum (2001):   D^2 = 1/2 [S(a,a) + S(b,b) - 2 S(a,b)],  S(a,b) = sum_ij exp(-|a_i - b_j|/tau)
    Victor-Purpura (1996): G[i,j] = min(G[i-1,j] + 1, G[i,j-1] + 1, G[i-1,j-1] + q |a_i - b_j|)
    Schreiber (2003):    C = S_g(a,b) / sqrt(S_g(a,a) S_g(b,b)),  S_g(a,b) = sum_ij exp(-(a_i-b_j)^2/(4 sigma^2))

Agreement with the kernels: 1e-9 relative (float summation order differs).
"""
import numpy as np


def _trains(times, indptr):
    return [times[indptr[p]:indptr[p + 1]] for p in range(len(indptr) - 1)]


def _pairs(a, b, fn):
    d = np.subtract.outer(a, b)
    return float(np.sum(fn(d)))


def van_rossum_pairwise(times_a, indptr_a, times_b, indptr_b, tau, out):
    """van Rossum (2001) distance of every pair (twin of the kernel of the same name)."""
    k = lambda d: np.exp(-np.abs(d) / tau)
    for p, a in enumerate(_trains(times_a, indptr_a)):
        for q, b in enumerate(_trains(times_b, indptr_b)):
            if np.array_equal(a, b):
                out[p, q] = 0.0
                continue
            d2 = 0.5 * (_pairs(a, a, k) + _pairs(b, b, k)) - _pairs(a, b, k)
            out[p, q] = np.sqrt(max(d2, 0.0))
    return out


def victor_purpura_pairwise(times_a, indptr_a, times_b, indptr_b, q, out):
    """Victor & Purpura (1996) distance of every pair (twin of the kernel of the same name)."""
    for p, a in enumerate(_trains(times_a, indptr_a)):
        for r, b in enumerate(_trains(times_b, indptr_b)):
            G = np.zeros((len(a) + 1, len(b) + 1))
            G[:, 0] = np.arange(len(a) + 1)
            G[0, :] = np.arange(len(b) + 1)
            for i in range(1, len(a) + 1):
                for j in range(1, len(b) + 1):
                    G[i, j] = min(G[i - 1, j] + 1, G[i, j - 1] + 1,
                                  G[i - 1, j - 1] + q * abs(a[i - 1] - b[j - 1]))
            out[p, r] = G[len(a), len(b)]
    return out


def schreiber_pairwise(times_a, indptr_a, times_b, indptr_b, sigma, out):
    """Schreiber et al. (2003) correlation of every pair (twin of the kernel of the same name)."""
    k = lambda d: np.exp(-d ** 2 / (4 * sigma ** 2))
    for p, a in enumerate(_trains(times_a, indptr_a)):
        for r, b in enumerate(_trains(times_b, indptr_b)):
            if len(a) == 0 or len(b) == 0:
                out[p, r] = np.nan
            else:
                out[p, r] = _pairs(a, b, k) / np.sqrt(_pairs(a, a, k) * _pairs(b, b, k))
    return out
