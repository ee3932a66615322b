"""Rate, timing and membrane read-outs."""
import numpy as np
import pytest

from spikecore import decoding as D
from spikecore import encoding as E


def test_counts_rates_and_first_spike():
    s = np.zeros((10, 3), np.uint8)
    s[[2, 5, 7], 0] = 1
    s[9, 1] = 1
    np.testing.assert_array_equal(D.spike_count(s), [3, 1, 0])
    np.testing.assert_allclose(D.firing_rate(s), [0.3, 0.1, 0.0])
    np.testing.assert_allclose(D.firing_rate(s, dt=1e-3), [300.0, 100.0, 0.0])
    np.testing.assert_array_equal(D.first_spike_time(s), [2, 9, 10])
    t = D.first_spike_time(s, never=np.inf)
    assert t.dtype == np.float64 and np.isinf(t[2])
    np.testing.assert_array_equal(D.first_spike_time(s.astype(bool), never=-1), [2, 9, -1])
    np.testing.assert_array_equal(D.spike_count(s.astype(np.float32)), [3, 1, 0])  # float rasters (snnTorch)


def test_firing_rate_inverts_regular_and_estimates_poisson():
    x = np.linspace(0, 1, 21)
    assert np.abs(D.firing_rate(E.regular(x, 400)) - x).max() < 1 / 400
    rate = D.firing_rate(E.poisson(np.full(2000, 0.3), 200, random_state=1))
    assert abs(rate.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / (200 * 2000))


def test_membrane_readouts():
    _, v = E.lif([0.4, 1.0], 50, gain=0.9, return_membrane=True)  # subthreshold: v -> I (1 - beta^t)
    np.testing.assert_allclose(D.max_membrane(v), v.max(axis=0))
    np.testing.assert_allclose(D.final_membrane(v), v[-1])
    np.testing.assert_allclose(D.mean_membrane(v), v.mean(axis=0))
    beta = np.exp(-1e-3 / 20e-3)
    np.testing.assert_allclose(D.final_membrane(v), np.array([0.36, 0.9]) * (1 - beta ** 50), rtol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: D.spike_count(np.array([[2, 0]])), "spikes = <array with 2 at index (0, 0)>: expected spikes of 0 or 1"),
    (lambda: D.spike_count(np.zeros((0, 3))), "expected a spike raster"),
    (lambda: D.spike_count(np.full((3, 2), 0.5, np.float32)), "<array with 0.5 at index (0, 0)>"),
    (lambda: D.spike_count(np.array([["a"]])), "expected a numeric array"),
    (lambda: D.firing_rate(np.zeros((3, 2), np.uint8), dt=-1.0), "dt = -1.0"),
    (lambda: D.max_membrane([[np.nan]]), "expected finite values"),
])
def test_bad_input(call, message):
    with pytest.raises((ValueError, TypeError)) as exc:
        call()
    assert message in str(exc.value).replace("'<", "<").replace(">'", ">")
