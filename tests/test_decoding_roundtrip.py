"""decode(encode(x)) recovers x within each code's quantisation."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spikecore import decoding as D
from spikecore import encoding as E

unit = st.floats(0.0, 1.0)


@given(x=hnp.arrays(np.float64, st.integers(1, 50), elements=unit), T=st.integers(2, 200),
       threshold=st.floats(0.0, 0.5))
def test_latency_linear_roundtrip_within_half_step(x, T, threshold):
    spikes = E.latency(x, T, threshold=threshold)
    decoded = D.latency_decode(spikes, threshold=threshold)
    tau = (T - 1) / (1 - threshold)
    above = x >= threshold
    assert (np.abs(decoded - x)[above] <= 0.5 / tau + 1e-12).all()
    # below threshold: "at most threshold", up to the rounding of the decoder's arithmetic
    # (absolute: threshold = 1e-12 decoded as 1.00009e-12 is 9e-17 off)
    np.testing.assert_allclose(decoded[~above], threshold, rtol=1e-7, atol=1e-12)


def test_latency_log_roundtrip_within_rounding_of_the_step():
    x = np.linspace(0.31, 1.0, 400)
    tau, theta, T = 20.0, 0.3, 200
    spikes = E.latency(x, T, method="log", tau=tau, threshold=theta)
    decoded = D.latency_decode(spikes, method="log", tau=tau, threshold=theta)
    step = spikes.argmax(axis=0).astype(float)
    inverse = lambda t: theta / -np.expm1(-np.maximum(t, 1e-12) / tau)  # noqa: E731
    bound = np.abs(inverse(step - 0.5) - inverse(step + 0.5))  # t* lies within half a step
    in_window = step < T - 1
    assert (np.abs(decoded - x)[in_window] <= bound[in_window] + 1e-12).all()


@given(x=hnp.arrays(np.float64, st.integers(1, 50), elements=st.floats(-2.0, 2.0)), N=st.integers(2, 300))
def test_tsc_roundtrip_within_one_step(x, N):
    decoded = D.tsc_decode(E.tsc(x, N, x_max=2.0), x_max=2.0)
    err = np.abs(x) - decoded
    assert (err >= -1e-12).all() and (err <= 2.0 / (N - 1) + 1e-12).all()


def test_tsc_grid_values_are_exact_and_zero_has_no_spikes():
    N = 17
    grid = np.arange(N) / (N - 1)
    s = E.tsc(grid[::2], N)
    np.testing.assert_allclose(D.tsc_decode(s), grid[::2], atol=1e-12)
    assert E.tsc([0.0], N).sum() == 0 and D.tsc_decode(E.tsc([0.0], N))[0] == 0.0


@given(steps=hnp.arrays(np.float64, st.tuples(st.integers(2, 200), st.integers(1, 3)), elements=st.floats(-1.0, 1.0)),
       threshold=st.floats(0.01, 1.0), x0=st.floats(-5, 5))
def test_delta_roundtrip_within_threshold(steps, threshold, x0):
    signal = x0 + np.cumsum(steps * threshold, axis=0)  # moves at most one threshold per step
    on, off = E.delta(signal, threshold)
    decoded = D.delta_decode(on, off, threshold, signal[0])
    assert (np.abs(decoded - signal) <= threshold * (1 + 1e-9)).all()


def test_population_roundtrip_exact_times_and_raster():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 1.0, 2000)
    T, m, beta = 1001, 12, 1.5
    spikes, times = E.population(x, T, n_fields=m, beta=beta, return_times=True)
    np.testing.assert_allclose(D.population_decode(times, T - 1, beta=beta), x, atol=1e-9)
    # from the raster: each time is known to +-0.5 step; propagate through the pair formula
    t_hat = D.first_spike_time(spikes, never=np.inf)
    decoded = D.population_decode(t_hat, T - 1, beta=beta)
    centres, sigma = E.gaussian_fields(m, 0.0, 1.0, beta)
    f = np.where(np.isfinite(t_hat), 1 - t_hat / (T - 1), 0.0)
    order = np.argsort(-f, axis=1, kind="stable")
    h = 0.5 / (T - 1)
    fi = np.take_along_axis(f, order[:, :1], 1)[:, 0]
    fj = np.take_along_axis(f, order[:, 1:2], 1)[:, 0]
    dlog = lambda g: np.log(g + h) - np.log(g - h)  # noqa: E731  (bound on |d ln f| for |df| <= h)
    bound = sigma ** 2 / np.abs(centres[order[:, 0]] - centres[order[:, 1]]) * (dlog(fi) + dlog(fj))
    assert (np.abs(decoded - x) <= bound + 1e-12).all()
    assert np.abs(decoded - x).max() < 1e-3
    vector = D.population_decode(times, T - 1, beta=beta, method="vector")
    assert np.abs(vector - x).max() < 0.05  # the population vector is biased, but close


@given(x=hnp.arrays(np.float64, st.integers(1, 30), elements=unit), K=st.integers(1, 16), periods=st.integers(1, 3))
def test_phase_roundtrip_to_the_quantisation_grid(x, K, periods):
    decoded = D.phase_decode(E.phase(x, K * periods, n_phases=K), K)
    assert (np.abs(decoded - x) <= 0.5 / (2 ** K - 1) + 1e-12).all()


@given(x=hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-5, 5), unique=True))
def test_rank_order_decode_inverts_the_order(x):
    ranks = D.rank_order_decode(E.rank_order(x))
    np.testing.assert_array_equal(ranks, np.argsort(np.argsort(-x, kind="stable"), kind="stable"))


def test_rank_order_weights_and_silent_inputs():
    s = E.rank_order([0.2, 0.9, 0.0, 0.5], threshold=0.1)
    np.testing.assert_array_equal(D.rank_order_decode(s), [2, 0, -1, 1])
    np.testing.assert_allclose(D.rank_order_decode(s, modulation=0.5), [0.25, 1.0, 0.0, 0.5])
    b = E.rank_order([[0.2, 0.9], [0.7, 0.1]], batch_axis=True)
    np.testing.assert_array_equal(D.rank_order_decode(b, batch_axis=True), [[1, 0], [0, 1]])


@pytest.mark.parametrize("call, message", [
    (lambda: D.tsc_decode(np.ones((4, 2), np.uint8)), "expected 0 or 2 spikes per input"),
    (lambda: D.delta_decode(np.zeros((3, 2)), np.zeros((3, 1)), 0.1, [0, 0]), "off = <array of shape (3, 1)>"),
    (lambda: D.population_decode([[np.nan, 1.0, 2.0]], 10), "times = <array with NaN"),
    (lambda: D.phase_decode(np.zeros((3, 1)), 4), "expected at least n_phases = 4 steps"),
    (lambda: D.latency_decode(np.zeros((3, 1)), method="log"), "tau = None"),
    (lambda: D.rank_order_decode(np.zeros((3, 2)), modulation=1.5), "modulation = 1.5"),
])
def test_decoder_bad_input(call, message):
    with pytest.raises((ValueError, TypeError)) as exc:
        call()
    assert message in str(exc.value).replace("'<", "<").replace(">'", ">")
