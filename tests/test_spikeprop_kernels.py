"""SpikeProp kernels == their reference twins (hypothesis), and the spike times == the equations."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.kernels import spikeprop as K
from spikecore.reference import spikeprop as R

TAU = 7e-3
T_MAX = 60e-3


def _random_layer(seed, batch, n_pre, n_post, m, silent_frac=0.2, w_low=-0.05, w_high=0.25):
    rng = np.random.default_rng(seed)
    pre = rng.uniform(0.0, 10e-3, (batch, n_pre))
    pre[rng.random((batch, n_pre)) < silent_frac] = np.inf
    w = rng.uniform(w_low, w_high, (n_post, n_pre, m))
    delays = np.sort(rng.uniform(0.0, 16e-3, m))
    return pre, w, delays


shapes = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(1, 5),
                   st.integers(1, 4), st.integers(1, 5))


@settings(max_examples=40)
@given(shapes, st.floats(3e-3, 12e-3))
def test_srm_potential_matches_reference(shape, tau):
    seed, batch, n_pre, n_post, m = shape
    pre, w, delays = _random_layer(seed, batch, n_pre, n_post, m)
    t = np.random.default_rng(seed + 1).uniform(0.0, 40e-3, (batch, n_post))
    a = K.srm_potential(t, pre, w, delays, tau, np.empty((batch, n_post)))
    b = R.srm_potential(t, pre, w, delays, tau, np.empty((batch, n_post)))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@settings(max_examples=60)
@given(shapes, st.floats(3e-3, 12e-3), st.floats(0.2, 2.0))
def test_srm_first_spike_matches_reference(shape, tau, theta):
    seed, batch, n_pre, n_post, m = shape
    pre, w, delays = _random_layer(seed, batch, n_pre, n_post, m)
    a = K.srm_first_spike(pre, w, delays, tau, theta, T_MAX, np.empty((batch, n_post)))
    b = R.srm_first_spike(pre, w, delays, tau, theta, T_MAX, np.empty((batch, n_post)))
    both = np.isfinite(a) & np.isfinite(b)
    np.testing.assert_allclose(a[both], b[both], rtol=0, atol=1e-12)
    for bb, j in zip(*np.nonzero(np.isfinite(a) != np.isfinite(b))):
        # only a grazing touch of the threshold (zero slope) may be judged differently
        t = a[bb, j] if np.isfinite(a[bb, j]) else b[bb, j]
        slope = R._slope(t, pre[bb], w[j], delays, tau)
        assert abs(slope) < 1e-6 * theta / tau, (bb, j, t, slope)


def test_first_spike_is_the_first_crossing():
    """Spike times satisfy the definition: x(t_j) = theta and x < theta before t_j."""
    pre, w, delays = _random_layer(7, 4, 6, 5, 16, silent_frac=0.1, w_low=-0.02, w_high=0.12)
    t = K.srm_first_spike(pre, w, delays, TAU, 1.0, T_MAX, np.empty((4, 5)))
    assert np.isfinite(t).sum() >= 10
    x = K.srm_potential(np.where(np.isfinite(t), t, 0.0), pre, w, delays, TAU, np.empty((4, 5)))
    np.testing.assert_allclose(x[np.isfinite(t)], 1.0, atol=1e-12)
    grid = np.linspace(0.0, T_MAX, 6001)
    for b in range(4):
        for j in range(5):
            tt = np.broadcast_to(grid[:, None], (grid.size, 1))
            xs = R.srm_potential(np.ascontiguousarray(tt), np.repeat(pre[b:b + 1], grid.size, 0),
                                 w[j:j + 1], delays, TAU, np.empty((grid.size, 1)))[:, 0]
            before = grid < (t[b, j] if np.isfinite(t[b, j]) else T_MAX)
            assert np.all(xs[before] < 1.0)


def test_single_terminal_closed_form():
    """One input at 0, one terminal, weight w: x(t) = w eps(t - d); with w = 1 the crossing is
    at the kernel peak s = tau; with w = e/(e-1)... checked by the equation x = theta."""
    delays = np.array([2e-3])
    pre = np.zeros((1, 1))
    # w = 1: eps peaks at exactly 1 at s = tau -> grazing; w slightly above crosses just before.
    for w, s_expected in [(2.0, None), (1.0 + 1e-9, TAU)]:
        t = K.srm_first_spike(pre, np.full((1, 1, 1), w), delays, TAU, 1.0, T_MAX, np.empty((1, 1)))[0, 0]
        s = t - delays[0]
        assert abs(w * s / TAU * math.exp(1 - s / TAU) - 1.0) < 1e-12
        if s_expected is not None:
            assert abs(s - s_expected) < 2e-4 * TAU  # sqrt(1e-9) sensitivity at the peak
    # w < 1 never reaches threshold
    t = K.srm_first_spike(pre, np.full((1, 1, 1), 0.999), delays, TAU, 1.0, T_MAX, np.empty((1, 1)))
    assert np.isinf(t[0, 0])


def _firing_net(seed, batch=3, n_in=4, n_hid=4, n_out=2, m=5):
    rng = np.random.default_rng(seed)
    delays = np.sort(rng.uniform(1e-3, 12e-3, m))
    x = rng.uniform(0, 6e-3, (batch, n_in))
    w_hid = rng.uniform(0.0, 0.35, (n_hid, n_in, m))
    w_out = rng.uniform(0.0, 0.35, (n_out, n_hid, m))
    w_out[:, -1] *= -0.3
    h = K.srm_first_spike(x, w_hid, delays, TAU, 1.0, T_MAX, np.empty((batch, n_hid)))
    o = K.srm_first_spike(h, w_out, delays, TAU, 1.0, T_MAX, np.empty((batch, n_out)))
    tgt = rng.uniform(10e-3, 25e-3, (batch, n_out))
    return x, w_hid, w_out, delays, h, o, tgt


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1), st.floats(1.0, 500.0))
def test_spikeprop_gradients_match_reference(seed, min_slope):
    x, w_hid, w_out, delays, h, o, tgt = _firing_net(seed)
    ga, go_a = np.empty_like(w_hid), np.empty_like(w_out)
    gb, go_b = np.empty_like(w_hid), np.empty_like(w_out)
    ea = K.spikeprop_gradients(x, h, o, tgt, w_hid, w_out, delays, TAU, T_MAX, min_slope, ga, go_a)
    eb = R.spikeprop_gradients(x, h, o, tgt, w_hid, w_out, delays, TAU, T_MAX, min_slope, gb, go_b)
    assert ea == pytest.approx(eb, rel=1e-12)
    np.testing.assert_allclose(ga, gb, rtol=1e-9, atol=1e-9 * np.abs(gb).max())
    np.testing.assert_allclose(go_a, go_b, rtol=1e-9, atol=1e-9 * np.abs(go_b).max())


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_spikeprop_train_epoch_matches_reference(seed, constrain):
    x, w_hid, w_out, delays, h, o, tgt = _firing_net(seed)
    sign_in = np.zeros(x.shape[1], np.int8)
    sign_hid = np.ones(w_hid.shape[0], np.int8) if constrain else np.zeros(w_hid.shape[0], np.int8)
    if constrain:
        sign_hid[-1] = -1
    order = np.random.default_rng(seed).permutation(x.shape[0]).astype(np.int64)
    results = []
    for mod in (K, R):
        wh, wo = w_hid.copy(), w_out.copy()
        hh = np.empty_like(h)
        oo = np.empty_like(o)
        e = mod.spikeprop_train_epoch(x, tgt, order, wh, wo, sign_in, sign_hid, delays, TAU, 1.0,
                                      T_MAX, 3e3, 100.0, hh, oo)
        results.append((e, wh, wo, hh, oo))
    (ea, wha, woa, ha, oa), (eb, whb, wob, hb, ob) = results
    assert ea == pytest.approx(eb, rel=1e-9)
    np.testing.assert_allclose(wha, whb, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(woa, wob, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ha, hb, rtol=0, atol=1e-12)
    np.testing.assert_allclose(oa, ob, rtol=0, atol=1e-12)
    if constrain:
        assert np.all(woa[:, :-1] >= 0) and np.all(woa[:, -1] <= 0)
