"""Burst coding (Park et al., 2019): kernel == twin, the paper's equations, decoding bound, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spikecore import decoding as D
from spikecore import encoding as E
from spikecore.encoding.burst import burst_parameters
from spikecore.kernels import encoding as K
from spikecore.reference import encoding as R


@settings(max_examples=60, deadline=None)
@given(n=hnp.arrays(np.int64, st.integers(1, 12), elements=st.integers(0, 6)),
       isi=st.integers(1, 8), period=st.integers(1, 40), T=st.integers(1, 90))
def test_kernel_equals_reference(n, isi, period, T):
    isis = np.full(n.size, isi, np.int64)
    k = np.zeros((T, n.size), np.uint8)
    r = np.ones((T, n.size), np.uint8)
    K.burst_encode(n, isis, period, k)
    R.burst_encode(n, isis, period, r)
    np.testing.assert_array_equal(k, r)


def test_paper_equations_by_hand():
    # N_max 5, T_min 2, T_max 10: p = 0.5 -> N_s = ceil(2.5) = 3, ISI = ceil(10 - 8 * 0.5) = 6
    s = E.burst([0.5], 41)[:, 0]
    assert list(np.flatnonzero(s)) == [0, 6, 12]
    # p = 1 -> 5 spikes 2 steps apart; p = 0.1 -> one spike (ISI = T_max); p = 0 -> none
    assert list(np.flatnonzero(E.burst([1.0], 41)[:, 0])) == [0, 2, 4, 6, 8]
    assert list(np.flatnonzero(E.burst([0.1], 41)[:, 0])) == [0]
    assert E.burst([0.0], 41).sum() == 0
    # bursts repeat every period L = (5 - 1) * 10 + 1 = 41 steps
    assert list(np.flatnonzero(E.burst([0.5], 90)[:, 0])) == [0, 6, 12, 41, 47, 53, 82, 88]


@settings(max_examples=80, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(0.0, 1.0)),
       n_max=st.integers(1, 8), t_min=st.integers(1, 4), extra=st.integers(0, 8))
def test_decode_within_half_cell(x, n_max, t_min, extra):
    t_max = t_min + extra
    L = (n_max - 1) * t_max + 1
    s = E.burst(x, L, n_max=n_max, t_min=t_min, t_max=t_max)
    x_hat = D.burst_decode(s, n_max=n_max, t_min=t_min, t_max=t_max)
    assert np.all(np.abs(x_hat - x) <= 1 / (2 * n_max) + 1e-9)
    assert np.all(x_hat[x == 0] == 0)


def test_stronger_input_more_and_closer_spikes():
    x = np.linspace(0, 1, 201)
    n_spikes, isi = burst_parameters(x, 5, 2, 10)
    assert np.all(np.diff(n_spikes) >= 0)
    multi = n_spikes > 1
    assert np.all(np.diff(isi[multi]) <= 0)
    counts = E.burst(x, 41).sum(axis=0)
    np.testing.assert_array_equal(counts, n_spikes)


def test_decode_beats_count_alone():
    x = np.random.default_rng(0).random(2000)
    s = E.burst(x, 41)
    err_burst = np.abs(D.burst_decode(s) - x).mean()
    counts = s.sum(axis=0)
    err_count = np.abs(np.where(counts > 0, (counts - 0.5) / 5, 0) - x).mean()
    assert err_burst < 0.8 * err_count


@pytest.mark.parametrize("call, text", [
    (lambda: E.burst([1.5], 10), "x"),
    (lambda: E.burst([np.nan], 10), "x"),
    (lambda: E.burst([0.5], 0), "num_steps"),
    (lambda: E.burst([0.5], 10, t_min=5, t_max=3), "t_max"),
    (lambda: E.burst([0.5], 10, period=5), "period = 5"),
    (lambda: D.burst_decode(np.ones((41, 1))), "at most n_max"),
    (lambda: D.burst_decode(np.zeros((3, 1))), "longest burst"),
])
def test_bad_input(call, text):
    with pytest.raises(ValueError, match=text):
        call()
