"""Temporal and neuron-model codes: the properties each paper's definition promises."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spikecore import encoding as E

unit_arrays = hnp.arrays(np.float64, st.integers(2, 30), elements=st.floats(0.0, 1.0))


@pytest.mark.parametrize("method, tau", [("linear", None), ("log", 10.0)])
def test_latency_is_monotone_decreasing_and_single_spike(method, tau):
    x = np.linspace(0.0, 1.0, 501)
    spikes, times = E.latency(x, 60, method=method, tau=tau, threshold=0.05, return_times=True)
    assert (spikes.sum(axis=0) == 1).all()  # at most (here: exactly, clip=False) one spike
    first = spikes.argmax(axis=0)
    assert (np.diff(first) <= 0).all()  # larger value, never later
    finite = np.isfinite(times)
    assert (np.diff(times[finite]) < 0).all()
    assert first[-1] < first[finite.argmax()]
    clipped = E.latency(x, 60, method=method, tau=tau, threshold=0.05, clip=True)
    assert clipped[:, x < 0.05].sum() == 0 and clipped.sum(axis=0).max() == 1


def test_latency_linear_normalised_endpoints_and_log_formula():
    s = E.latency([1.0, 0.2, 0.0], 11, threshold=0.2)
    assert s[0, 0] == 1 and s[10, 1] == 1 and s[10, 2] == 1  # x = 1 -> step 0; x = threshold -> T-1
    _, t = E.latency([0.9], 100, method="log", tau=7.0, threshold=0.3, return_times=True)
    assert t[0] == pytest.approx(7.0 * math.log(0.9 / 0.6))
    assert E.latency([0.9], 5, x_min=0.0, x_max=2.0, threshold=0.0).argmax() == 2  # 0.45 of range


@given(x=unit_arrays, T=st.integers(1, 40))
def test_latency_larger_never_later(x, T):
    first = E.latency(x, T).argmax(axis=0)
    order = np.argsort(x, kind="stable")
    assert (np.diff(first[order]) <= 0).all()


@given(x=hnp.arrays(np.float64, st.integers(1, 25), elements=st.floats(-10, 10), unique=True))
def test_rank_order_preserves_order(x):
    s = E.rank_order(x)
    assert s.shape == (x.size, x.size) and (s.sum(axis=0) == 1).all()
    first = s.argmax(axis=0)
    np.testing.assert_array_equal(np.argsort(first), np.argsort(-x))


def test_rank_order_batches_threshold_and_short_windows():
    x = np.array([[0.1, 0.9, 0.5, 0.0], [0.3, 0.2, 0.1, 0.4]])
    s = E.rank_order(x, threshold=0.05, batch_axis=True)
    assert s.shape == (4, 2, 4)
    assert s[:, 0, 3].sum() == 0  # at or below threshold: silent
    np.testing.assert_array_equal(s.argmax(axis=0)[0, :3], [2, 0, 1])
    np.testing.assert_array_equal(s.argmax(axis=0)[1], [1, 2, 3, 0])
    short = E.rank_order(np.arange(10.0)[::-1], 3)  # 10 ranks in 3 steps: order kept per step
    steps = short.argmax(axis=0)
    assert (np.diff(steps) >= 0).all() and steps[-1] == 2 and (short.sum(axis=0) == 1).all()


def test_population_fields_as_in_bohte_2002():
    centres, sigma = E.gaussian_fields(12, 0.0, 1.0, beta=1.5)
    width = 1.0 / 10
    np.testing.assert_allclose(centres, -0.05 + width * np.arange(12))
    assert sigma == pytest.approx(width / 1.5)
    s, t = E.population(np.array([0.33]), 11, n_fields=12, return_times=True)
    f = np.exp(-((0.33 - centres) ** 2) / (2 * sigma ** 2))
    expected = np.where(f >= 0.1, 10 * (1 - f), np.inf)
    np.testing.assert_allclose(t[0], expected)
    assert s.shape == (11, 1, 12) and (s.sum(axis=0)[0] == (f >= 0.1)).all()
    assert np.argmin(t[0]) == np.argmax(f)


def test_delta_on_off_channels():
    x = np.array([0.0, 0.05, 0.12, 0.25, 0.1, -0.2])[:, None]
    on, off = E.delta(x, 0.1)
    np.testing.assert_array_equal(on[:, 0], [0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(off[:, 0], [0, 0, 0, 0, 1, 1])
    assert (on & off).sum() == 0


def test_bsa_reconstructs_smooth_signals():
    from spikecore.decoding import bsa_decode

    t = np.linspace(0, 12, 600)
    signals = np.stack([0.5 + 0.3 * np.sin(t), 0.2 + 0.1 * np.sin(3 * t), 0.8 + 0.15 * np.sin(0.5 * t)], axis=1)
    spikes = E.bsa(signals)
    err = bsa_decode(spikes) - signals
    rms = np.sqrt((err[20:] ** 2).mean(axis=0))  # skip the filter's start-up
    assert (rms < 0.1).all(), rms
    assert rms.max() < np.sqrt(((signals - signals.mean(axis=0)) ** 2).mean(axis=0)).max()


def test_lif_and_if_encoders_turn_intensity_into_rate():
    dyadic = np.arange(9) / 8  # exact in binary: the IF count is exactly floor(T x)
    np.testing.assert_array_equal(E.integrate_fire(dyadic, 100).sum(axis=0), np.floor(100 * dyadic))
    x = np.linspace(0, 1, 11)
    assert np.abs(E.integrate_fire(x, 100).sum(axis=0) - 100 * x).max() <= 1  # float rounding
    s, v = E.lif(x, 200, gain=2.0, return_membrane=True)
    counts = s.sum(axis=0)
    assert (np.diff(counts) >= 0).all()
    assert counts[x * 2.0 <= 1.0].sum() == 0  # below rheobase (I <= v_th): silent
    # closed form for I = 2: interval tau ln(I / (I - 1)) = 20 ms * ln 2 -> ceil(13.86) = 14 steps
    assert counts[-1] == 200 // 14
    assert v.max() < 2.0 and (v[s == 1] >= 1.0).all()
    refr = E.lif([1.0], 200, gain=2.0, refractory=5).sum()
    assert refr == 200 // 19


@given(x=hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-1.0, 1.0)), N=st.integers(2, 100))
def test_tsc_two_spikes_or_none(x, N):
    s = E.tsc(x, N)
    count = s.sum(axis=0)
    p_star = np.floor(np.abs(x) * (N - 1)) + 1
    np.testing.assert_array_equal(count, np.where(p_star >= 2, 2, 0))
    assert (count[np.abs(x) >= 1.0 / (N - 1)] == 2).all()
    fired = count == 2
    assert (s[0, fired] == 1).all()
    np.testing.assert_array_equal(s[::-1].argmax(axis=0)[fired], (N - p_star)[fired])


def test_phase_bits_msb_first():
    s = E.phase([0.0, 1.0, 5 / 7], 6, n_phases=3)
    np.testing.assert_array_equal(s[:, 2], [1, 0, 1, 1, 0, 1])
    assert s[:, 0].sum() == 0 and s[:, 1].sum() == 6


@pytest.mark.parametrize("call, message", [
    (lambda: E.latency([0.5], 10, method="cubic"), "method = 'cubic': expected one of"),
    (lambda: E.latency([0.5], 10, method="log"), "tau = None"),
    (lambda: E.latency([1.5], 10), "at index (0,)>: expected values in [0.0, 1.0]"),
    (lambda: E.latency([0.5], 10, threshold=1.0), "threshold = 1.0"),
    (lambda: E.rank_order([1.0, np.inf]), "expected finite values"),
    (lambda: E.population([2.0], 10), "expected values in [0.0, 1.0]"),
    (lambda: E.population([0.5], 10, n_fields=2), "n_fields = 2: expected an integer >= 3"),
    (lambda: E.population([0.5], 10, t_max=20), "t_max = 20"),
    (lambda: E.delta([[0.0], [1.0]], 0.0), "threshold = 0.0: expected a positive"),
    (lambda: E.bsa([0.5, 1.5]), "expected values in [0.0, 1.0"),
    (lambda: E.bsa([0.5], fir=[[1.0]]), "fir = <array of shape (1, 1)"),
    (lambda: E.lif([0.5], 10, tau_mem=0.0), "tau_mem = 0.0"),
    (lambda: E.lif([0.5], 10, reset="soft"), "reset = 'soft'"),
    (lambda: E.integrate_fire([0.5], 10, v_reset=2.0), "v_reset = 2.0: expected a value below v_th"),
    (lambda: E.tsc([0.5], 1), "num_steps = 1: expected an integer >= 2"),
    (lambda: E.tsc([-1.5], 8), "expected values in [-1.0, 1.0]"),
    (lambda: E.phase([0.5], 8, n_phases=40), "n_phases = 40"),
    (lambda: E.regular([0.5], 0), "num_steps = 0"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError)) as exc:
        call()
    assert message in str(exc.value).replace("'<", "<").replace(">'", ">")


@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=st.floats(0, 1)),
       m=st.integers(3, 12), r_min=st.floats(0, 0.9))
def test_field_responses_equal_the_gaussians_of_the_fields(x, m, r_min):
    r = E.field_responses(x, m, min_response=r_min)
    assert r.dtype == np.float32 and r.shape == (x.shape[0], x.shape[1] * m)
    centres, sigma = E.gaussian_fields(m, 0.0, 1.0, beta=1.5)
    for k in range(x.shape[0]):
        for f in range(x.shape[1]):
            for i in range(m):
                want = math.exp(-(x[k, f] - centres[i]) ** 2 / (2 * sigma ** 2))
                got = r[k, f * m + i]  # feature-major
                if want < r_min - 1e-6:
                    assert got == 0.0
                elif want > r_min + 1e-6:
                    assert got == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_field_responses_bad_input():
    with pytest.raises(ValueError, match="x"):
        E.field_responses(np.array([[0.5, np.nan]]), 6)
    with pytest.raises(ValueError, match="n_fields"):
        E.field_responses(np.zeros((2, 2)), 2)
    with pytest.raises(ValueError, match="min_response"):
        E.field_responses(np.zeros((2, 2)), 6, min_response=1.0)
