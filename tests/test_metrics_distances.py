"""Spike-train metrics: kernels == reference twins, hand-computable cases, Elephant cross-check."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.kernels import metrics as K
from spikecore.metrics import (pairwise, schreiber_correlation, spike_time_error,
                               van_rossum_distance, victor_purpura_distance)
from spikecore.reference import metrics as R


def _random_trains(seed, n_trains, max_spikes, t_stop=1.0, rate_ties=False):
    rng = np.random.default_rng(seed)
    trains = []
    for _ in range(n_trains):
        t = np.sort(rng.uniform(0, t_stop, rng.integers(0, max_spikes + 1)))
        if rate_ties and t.size > 1:
            t[1] = t[0]                       # a repeated spike time
        trains.append(t)
    return trains


def _pack(trains):
    indptr = np.zeros(len(trains) + 1, np.int64)
    indptr[1:] = np.cumsum([len(t) for t in trains])
    return (np.concatenate(trains) if trains else np.zeros(0)), indptr


@settings(max_examples=40)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 4), st.integers(0, 12),
       st.booleans(), st.floats(1e-3, 0.5))
def test_kernels_match_reference(seed, na, nb, max_spikes, ties, param):
    ta, ia = _pack(_random_trains(seed, na, max_spikes, rate_ties=ties))
    tb, ib = _pack(_random_trains(seed + 1, nb, max_spikes, rate_ties=ties))
    # share some spike times exactly between the two sets (ties across trains)
    if ta.size and tb.size:
        tb[0] = ta[0]
        for p in range(nb):
            tb[ib[p]:ib[p + 1]].sort()
    for name in ("van_rossum_pairwise", "victor_purpura_pairwise", "schreiber_pairwise"):
        p = param * 100 if name == "victor_purpura_pairwise" else param
        a = getattr(K, name)(ta, ia, tb, ib, p, np.empty((na, nb)))
        b = getattr(R, name)(ta, ia, tb, ib, p, np.empty((na, nb)))
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-7 if name == "van_rossum_pairwise" else 1e-12,
                                   equal_nan=True, err_msg=name)


def test_van_rossum_hand_cases():
    tau = 0.02
    assert van_rossum_distance([], [], tau) == 0.0
    assert van_rossum_distance([0.3], [], tau) == pytest.approx(1 / math.sqrt(2))
    # two spikes dt apart: D^2 = 1 - exp(-dt/tau)
    dt = 0.013
    assert van_rossum_distance([0.1], [0.1 + dt], tau) == pytest.approx(math.sqrt(1 - math.exp(-dt / tau)))
    assert van_rossum_distance([0.5, 0.1], [0.1, 0.5], tau) == 0.0      # order does not matter


def test_van_rossum_equals_numerical_integral():
    rng = np.random.default_rng(3)
    a, b, tau = np.sort(rng.uniform(0, 0.2, 5)), np.sort(rng.uniform(0, 0.2, 7)), 0.01
    t = np.arange(0, 0.5, 1e-6)
    f = sum(np.where(t >= s, np.exp(-(t - s) / tau), 0.0) for s in a)
    g = sum(np.where(t >= s, np.exp(-(t - s) / tau), 0.0) for s in b)
    d2 = np.trapezoid((f - g) ** 2, t) / tau
    assert van_rossum_distance(a, b, tau) == pytest.approx(math.sqrt(d2), rel=1e-3)


def test_victor_purpura_hand_cases():
    assert victor_purpura_distance([], [0.1, 0.2], 10.0) == 2.0
    assert victor_purpura_distance([0.1], [0.15], 10.0) == pytest.approx(0.5)   # shift: q*dt
    assert victor_purpura_distance([0.1], [0.4], 10.0) == 2.0                   # delete + insert
    assert victor_purpura_distance([0.1, 0.2, 0.3], [0.5], 0.0) == 2.0          # q = 0: count difference
    assert victor_purpura_distance([0.1, 0.2], [0.12, 0.21], 10.0) == pytest.approx(0.3)


def test_schreiber_hand_cases_and_integral():
    sigma = 0.01
    assert schreiber_correlation([0.1, 0.3], [0.3, 0.1], sigma) == pytest.approx(1.0)
    assert schreiber_correlation([0.1], [0.1 + 0.02], sigma) == pytest.approx(math.exp(-0.02 ** 2 / (4 * sigma ** 2)))
    assert math.isnan(schreiber_correlation([], [0.1], sigma))
    # against the definition: Gaussian-filtered signals on a fine grid, cosine of the angle
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.1, 0.4, 6), rng.uniform(0.1, 0.4, 4)
    t = np.arange(0, 0.5, 1e-5)
    sa = sum(np.exp(-(t - s) ** 2 / (2 * sigma ** 2)) for s in a)
    sb = sum(np.exp(-(t - s) ** 2 / (2 * sigma ** 2)) for s in b)
    cos = np.dot(sa, sb) / math.sqrt(np.dot(sa, sa) * np.dot(sb, sb))
    assert schreiber_correlation(a, b, sigma) == pytest.approx(cos, rel=1e-9)


def test_spike_time_error():
    assert spike_time_error([0.010, 0.016], [0.012, 0.016]) == pytest.approx(0.5 * 0.002 ** 2)
    assert spike_time_error([np.inf], [0.01], t_max=0.05) == pytest.approx(0.5 * 0.04 ** 2)
    assert spike_time_error([np.inf], [0.01]) == np.inf
    with pytest.raises(ValueError, match="actual"):
        spike_time_error([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="actual"):
        spike_time_error([np.nan], [0.1])


def test_pairwise_and_errors():
    trains = [[0.1, 0.5], [0.2], []]
    m = pairwise(trains, metric="victor_purpura", q=10.0)
    assert m.shape == (3, 3) and np.all(np.diag(m) == 0) and np.allclose(m, m.T)
    assert m[0, 1] == victor_purpura_distance([0.1, 0.5], [0.2], 10.0)
    m2 = pairwise(trains, [[0.1]], metric="van_rossum", tau=0.1)
    assert m2.shape == (3, 1)
    with pytest.raises(ValueError, match="metric"):
        pairwise(trains, metric="isi", tau=1.0)
    with pytest.raises(TypeError, match="parameters"):
        pairwise(trains, metric="schreiber", tau=1.0)
    with pytest.raises(ValueError, match="tau"):
        van_rossum_distance([0.1], [0.2], -1.0)
    with pytest.raises(ValueError, match="train_a"):
        van_rossum_distance([0.1, np.nan], [0.2], 1.0)
    with pytest.raises(TypeError, match="trains_a"):
        pairwise(np.array([0.1, 0.2]), metric="van_rossum", tau=1.0)


def test_against_elephant():
    """Elephant (optional test dependency) on random spike trains: same Victor-Purpura distance,
    van Rossum up to Elephant's normalisation (it returns sqrt(2) times van Rossum's D)."""
    pytest.importorskip("elephant")
    neo = pytest.importorskip("neo")
    pq = pytest.importorskip("quantities")
    from elephant.spike_train_dissimilarity import van_rossum_distance as e_vr
    from elephant.spike_train_dissimilarity import victor_purpura_distance as e_vp
    trains = _random_trains(11, 6, 25, t_stop=2.0)
    st_ = [neo.SpikeTrain(t * pq.s, t_stop=2.0 * pq.s) for t in trains]
    for tau in (0.005, 0.05, 0.5):
        ours = pairwise(trains, metric="van_rossum", tau=tau)
        np.testing.assert_allclose(np.sqrt(2) * ours, e_vr(st_, time_constant=tau * pq.s), rtol=1e-9, atol=1e-6)
    for q in (0.0, 2.0, 50.0):
        ours = pairwise(trains, metric="victor_purpura", q=q)
        np.testing.assert_allclose(ours, e_vp(st_, cost_factor=q / pq.s), rtol=1e-9, atol=1e-12)


def test_schreiber_against_elephant_gaussian_rate():
    """Schreiber et al. (2003) correlation == the cosine of Elephant's Gaussian-kernel rate
    estimates (``elephant.statistics.instantaneous_rate``, an independent implementation of the
    filtered trains). Spikes sit at bin centres so Elephant's binning is exact; the sampled
    inner products of Gaussians then equal the continuous ones to rounding."""
    pytest.importorskip("elephant")
    neo = pytest.importorskip("neo")
    pq = pytest.importorskip("quantities")
    import warnings
    from elephant.kernels import GaussianKernel
    from elephant.statistics import instantaneous_rate
    rng = np.random.default_rng(1)
    for sigma in (0.002, 0.01, 0.05):
        dt = sigma / 10
        n_bins = int(round(2.0 / dt))
        bins = np.arange(int(0.5 / dt), int(1.5 / dt))
        trains = [(np.sort(rng.choice(bins, rng.integers(1, 25), replace=False)) + 0.5) * dt
                  for _ in range(5)]
        rates = []
        for t in trains:
            st_ = neo.SpikeTrain(t * pq.s, t_start=0 * pq.s, t_stop=n_bins * dt * pq.s)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = instantaneous_rate(st_, sampling_period=dt * pq.s,
                                       kernel=GaussianKernel(sigma * pq.s), cutoff=10.0)
            rates.append(np.asarray(r.magnitude, dtype=np.float64).ravel())
        ours = pairwise(trains, metric="schreiber", sigma=sigma)
        for a in range(5):
            for b in range(5):
                cos = rates[a] @ rates[b] / math.sqrt((rates[a] @ rates[a]) * (rates[b] @ rates[b]))
                assert abs(ours[a, b] - cos) < 1e-12, (sigma, a, b, ours[a, b], cos)
