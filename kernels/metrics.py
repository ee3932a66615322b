r"""Spike-train distances and similarities between all pairs of two sets of trains (Numba).

Trains are packed CSR-style: the spikes of train ``p`` are ``times[indptr[p]:indptr[p+1]]``,
sorted ascending, all in one unit (the parameters ``tau``, ``q``, ``sigma`` in the same unit).
Each kernel fills ``out[p, q]`` for train ``p`` of set A and train ``q`` of set B.

* van Rossum (2001): ``f(t) = sum_i H(t - t_i) exp(-(t - t_i)/tau)``, and
  ``D^2 = (1/tau) int_0^inf (f - g)^2 dt = 1/2 [S(a,a) + S(b,b) - 2 S(a,b)]`` with
  ``S(a,b) = sum_i sum_j exp(-|a_i - b_j| / tau)`` — exact, evaluated in O(n + m) per pair by
  the running-sum recursion over the merged sorted trains (Houghton & Kreuz 2012). The
  difference of sums loses digits: absolute accuracy about ``1e-8 * sqrt(S)``; identical trains
  give exactly 0.
* Victor & Purpura (1996): the minimum cost of turning one train into the other by deleting or
  inserting a spike (cost 1 each) or moving one by ``dt`` (cost ``q |dt|``), by the dynamic
  programme ``G[i,j] = min(G[i-1,j] + 1, G[i,j-1] + 1, G[i-1,j-1] + q |a_i - b_j|)``.
* Schreiber et al. (2003): trains convolved with a Gaussian of width ``sigma`` and compared by
  the cosine of the angle between them; on the whole time axis the integrals are closed form,
  ``C = S_g(a,b) / sqrt(S_g(a,a) S_g(b,b))``, ``S_g(a,b) = sum_i sum_j exp(-(a_i - b_j)^2 /
  (4 sigma^2))``; ``nan`` when a train is empty (the cosine is undefined).
"""
import math

import numpy as np
from numba import njit


@njit(cache=True)
def _self_sum(t, tau):
    """S(a, a) = n + 2 sum_{i>j} exp(-(a_i - a_j)/tau) for a sorted train."""
    n = t.shape[0]
    total = float(n)
    run = 0.0
    for i in range(1, n):
        run = math.exp(-(t[i] - t[i - 1]) / tau) * (run + 1.0)
        total += 2.0 * run
    return total


@njit(cache=True)
def _cross_sum(a, b, tau):
    """S(a, b) = sum_i sum_j exp(-|a_i - b_j|/tau) for sorted trains, in O(n + m)."""
    total = 0.0
    # part 1: pairs with b_j <= a_i, as sum_i exp(-a_i/tau) sum_{b_j <= a_i} exp(b_j/tau),
    # carried as a running sum referenced to the last b added.
    run = 0.0
    last = 0.0
    j = 0
    m = b.shape[0]
    for i in range(a.shape[0]):
        while j < m and b[j] <= a[i]:
            if j > 0:
                run *= math.exp(-(b[j] - last) / tau)
            run += 1.0
            last = b[j]
            j += 1
        if j > 0:
            total += run * math.exp(-(a[i] - last) / tau)
    # part 2: pairs with a_i < b_j
    return total + _causal_sum(a, b, tau)


@njit(cache=True)
def _causal_sum(pre, post, tau):
    """sum over post spikes t of sum over pre spikes t' < t of exp(-(t - t')/tau), for sorted
    trains, in O(n + m) (a running sum referenced to the last pre spike). Also used by ReSuMe's
    integrated rule (kernels/resume.py)."""
    total = 0.0
    run = 0.0
    last = 0.0
    j = 0
    m = pre.shape[0]
    for k in range(post.shape[0]):
        while j < m and pre[j] < post[k]:
            if j > 0:
                run *= math.exp(-(pre[j] - last) / tau)
            run += 1.0
            last = pre[j]
            j += 1
        if j > 0:
            total += run * math.exp(-(post[k] - last) / tau)
    return total


@njit(cache=True)
def _identical(a, b):
    if a.shape[0] != b.shape[0]:
        return False
    for i in range(a.shape[0]):
        if a[i] != b[i]:
            return False
    return True


@njit(cache=True)
def van_rossum_pairwise(times_a, indptr_a, times_b, indptr_b, tau, out):
    """van Rossum (2001) distance of every pair (exact, exponential kernel); see module doc."""
    na = indptr_a.shape[0] - 1
    nb = indptr_b.shape[0] - 1
    self_b = np.empty(nb)
    for q in range(nb):
        self_b[q] = _self_sum(times_b[indptr_b[q]:indptr_b[q + 1]], tau)
    for p in range(na):
        a = times_a[indptr_a[p]:indptr_a[p + 1]]
        sa = _self_sum(a, tau)
        for q in range(nb):
            b = times_b[indptr_b[q]:indptr_b[q + 1]]
            if _identical(a, b):        # exactly 0, not the rounding residue of the sums
                out[p, q] = 0.0
                continue
            d2 = 0.5 * (sa + self_b[q]) - _cross_sum(a, b, tau)
            out[p, q] = math.sqrt(d2) if d2 > 0.0 else 0.0
    return out


@njit(cache=True)
def victor_purpura_pairwise(times_a, indptr_a, times_b, indptr_b, q, out):
    """Victor & Purpura (1996) spike-time distance D^spike[q] of every pair; see module doc."""
    na = indptr_a.shape[0] - 1
    nb = indptr_b.shape[0] - 1
    longest = 0
    for k in range(nb):
        longest = max(longest, indptr_b[k + 1] - indptr_b[k])
    prev = np.empty(longest + 1)
    cur = np.empty(longest + 1)
    for p in range(na):
        a = times_a[indptr_a[p]:indptr_a[p + 1]]
        for r in range(nb):
            b = times_b[indptr_b[r]:indptr_b[r + 1]]
            m = b.shape[0]
            for j in range(m + 1):
                prev[j] = j
            for i in range(1, a.shape[0] + 1):
                cur[0] = i
                for j in range(1, m + 1):
                    v = prev[j] + 1.0
                    w = cur[j - 1] + 1.0
                    if w < v:
                        v = w
                    w = prev[j - 1] + q * abs(a[i - 1] - b[j - 1])
                    if w < v:
                        v = w
                    cur[j] = v
                for j in range(m + 1):
                    prev[j] = cur[j]
            out[p, r] = prev[m]
    return out


@njit(cache=True)
def _gauss_sum(a, b, sigma):
    s = 0.0
    c = 1.0 / (4.0 * sigma * sigma)
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            d = a[i] - b[j]
            s += math.exp(-d * d * c)
    return s


@njit(cache=True)
def schreiber_pairwise(times_a, indptr_a, times_b, indptr_b, sigma, out):
    """Schreiber et al. (2003) correlation (Gaussian-filtered cosine) of every pair; see module doc."""
    na = indptr_a.shape[0] - 1
    nb = indptr_b.shape[0] - 1
    self_b = np.empty(nb)
    for r in range(nb):
        b = times_b[indptr_b[r]:indptr_b[r + 1]]
        self_b[r] = _gauss_sum(b, b, sigma)
    for p in range(na):
        a = times_a[indptr_a[p]:indptr_a[p + 1]]
        sa = _gauss_sum(a, a, sigma)
        for r in range(nb):
            b = times_b[indptr_b[r]:indptr_b[r + 1]]
            if sa == 0.0 or self_b[r] == 0.0:
                out[p, r] = np.nan
            else:
                out[p, r] = _gauss_sum(a, b, sigma) / math.sqrt(sa * self_b[r])
    return out
