"""Conversion kernels == their reference twins, and the conversion invariants of issue 12."""
import numpy as np
from hypothesis import given, settings, strategies as st

from spikecore.kernels import conversion as K
from spikecore.reference import conversion as R
from spikecore.encoding import tsc as tsc_encode

SET = settings(max_examples=25, deadline=None)


def _arrays(seed, *shape, scale=1.0):
    return (np.random.default_rng(seed).normal(0, scale, shape)).astype(np.float32)


@SET
@given(seed=st.integers(0, 2 ** 31), T=st.integers(1, 12), batch=st.integers(1, 3), n=st.integers(1, 7),
       const=st.booleans(), soft=st.booleans(), v_th=st.floats(0.25, 2.0))
def test_if_neuron_run_matches_reference(seed, T, batch, n, const, soft, v_th):
    cur = _arrays(seed, 1 if const else T, batch, n)
    bias = _arrays(seed + 1, n, scale=0.1)
    v0 = _arrays(seed + 2, batch, n, scale=0.3)
    out_k, out_r = np.empty((T, batch, n), np.float32), np.empty((T, batch, n), np.float32)
    vk, vr = v0.copy(), v0.copy()
    K.if_neuron_run(cur, bias, vk, np.float32(v_th), soft, out_k)  # the same float32 threshold
    R.if_neuron_run(cur, bias, vr, np.float32(v_th), soft, out_r)
    np.testing.assert_array_equal(out_k, out_r)
    np.testing.assert_allclose(vk, vr, rtol=1e-6, atol=1e-6)


@SET
@given(seed=st.integers(0, 2 ** 31), T=st.integers(1, 10), batch=st.integers(1, 3), n_out=st.integers(1, 5),
       k=st.integers(1, 4))
def test_maxpool_gate_run_matches_reference(seed, T, batch, n_out, k):
    rng = np.random.default_rng(seed)
    n_in = n_out * k
    spikes = (rng.random((T, batch, n_in)) < 0.4).astype(np.float32)
    window = rng.permutation(n_in).reshape(n_out, k).astype(np.int64)
    window[rng.random(window.shape) < 0.2] = -1
    ck, cr = np.zeros((batch, n_in), np.float32), np.zeros((batch, n_in), np.float32)
    ok, orf = np.empty((T, batch, n_out), np.float32), np.empty((T, batch, n_out), np.float32)
    K.maxpool_gate_run(spikes, window, ck, ok)
    R.maxpool_gate_run(spikes, window, cr, orf)
    np.testing.assert_array_equal(ok, orf)
    np.testing.assert_array_equal(ck, cr)


@SET
@given(seed=st.integers(0, 2 ** 31), N=st.integers(2, 20), batch=st.integers(1, 3), n=st.integers(1, 6))
def test_tsc_fire_and_duration_match_reference(seed, N, batch, n):
    v = _arrays(seed, batch, n, scale=N / 2.0)
    sk, sr = np.empty((N, batch, n), np.float32), np.empty((N, batch, n), np.float32)
    K.tsc_fire(v, 1.0, sk)
    R.tsc_fire(v, np.float32(1.0), sr)
    np.testing.assert_array_equal(sk, sr)
    dk, dr = np.empty((batch, n), np.float32), np.empty((batch, n), np.float32)
    K.tsc_on_duration(sk, dk)
    R.tsc_on_duration(sr, dr)
    np.testing.assert_array_equal(dk, dr)
    # the on-time is floor(v / V_th) clipped to [0, N - 1]: at most two spikes per neuron
    np.testing.assert_array_equal(dk, np.clip(np.floor(v), 0, N - 1))
    assert sk.sum(0).max() <= 2


@SET
@given(seed=st.integers(0, 2 ** 31), N=st.integers(2, 16), batch=st.integers(1, 3), n_in=st.integers(1, 6),
       n_out=st.integers(1, 5))
def test_tsc_dense_events_two_additions_per_synapse(seed, N, batch, n_in, n_out):
    rng = np.random.default_rng(seed)
    x = rng.random((batch, n_in))
    spikes = tsc_encode(x, N).astype(np.float32)  # (N, batch, n_in)
    W, b = _arrays(seed, n_out, n_in), _arrays(seed + 1, n_out, scale=0.1)
    cur = np.empty((batch, n_out), np.float32)
    vk, vr = np.zeros((batch, n_out), np.float32), np.zeros((batch, n_out), np.float32)
    ak, ar = np.zeros((n_out, n_in), np.int64), np.zeros((n_out, n_in), np.int64)
    K.tsc_dense_events(spikes, W, b, cur, vk, ak)
    R.tsc_dense_events(spikes, W, b, cur.copy(), vr, ar)
    np.testing.assert_array_equal(ak, ar)
    np.testing.assert_allclose(vk, vr, rtol=1e-5, atol=1e-4)
    # each synapse: at most two additions per sample, exactly two for every active input
    active = (spikes.sum(0) > 0).sum(0)
    np.testing.assert_array_equal(ak, np.broadcast_to(2 * active, ak.shape))
    assert ak.max() <= 2 * batch
    # the event-driven potential equals W d + (N - 1) b with d the on-times
    d = np.empty((batch, n_in), np.float32)
    K.tsc_on_duration(spikes, d)
    np.testing.assert_allclose(vk, d @ W.T + (N - 1) * b, rtol=1e-4, atol=1e-3)


@SET
@given(z=st.lists(st.floats(-1.0, 2.0), min_size=1, max_size=20), T=st.integers(1, 300),
       v_th=st.floats(0.5, 2.0))
def test_soft_reset_rate_converges_to_clipped_relu(z, T, v_th):
    """Rate x V_th -> clip(ReLU(z), 0, V_th) within V_th / T (Rueckauer et al., 2017)."""
    z = np.asarray(z, np.float32) * np.float32(v_th)
    cur = z[None, None, :]
    spikes = np.empty((T, 1, z.size), np.float32)
    K.if_neuron_run(cur, np.zeros(z.size, np.float32), np.zeros((1, z.size), np.float32), v_th, True, spikes)
    rate = spikes.sum(0)[0] / T
    target = np.clip(z, 0.0, v_th)
    err = np.abs(rate * v_th - target)
    assert np.all(err <= v_th / T + 1e-4 * v_th)


@SET
@given(z=st.lists(st.floats(-1.0, 2.0), min_size=1, max_size=20), T=st.integers(1, 300),
       v_th=st.floats(0.5, 2.0))
def test_shift_halves_the_rounding_error(z, T, v_th):
    """With the V_th/2T bias shift (Deng & Gu, 2021) the error is at most V_th / (2T)."""
    z = np.asarray(z, np.float32) * np.float32(v_th)
    cur = z[None, None, :]
    spikes = np.empty((T, 1, z.size), np.float32)
    bias = np.full(z.size, v_th / (2.0 * T), np.float32)
    K.if_neuron_run(cur, bias, np.zeros((1, z.size), np.float32), v_th, True, spikes)
    err = np.abs(spikes.sum(0)[0] / T * v_th - np.clip(z, 0.0, v_th))
    assert np.all(err <= v_th / (2 * T) + 1e-4 * v_th)


@SET
@given(x=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30), N=st.integers(2, 128))
def test_tsc_code_decodes_within_one_step(x, N):
    """p* in {1..N} and the on-time decodes |p| within 1/(N-1) (Han & Roy, 2020)."""
    x = np.asarray(x)
    s = tsc_encode(x, N).astype(np.float32)[:, None, :]
    d = np.empty((1, x.size), np.float32)
    K.tsc_on_duration(s, d)
    p_star = d[0] + 1
    assert np.all((p_star >= 1) & (p_star <= N))
    # decode in float64: a float32 quotient (5/6 -> 0.83333331) alone exceeds the bound at x -> 1
    assert np.all(np.abs(d[0].astype(np.float64) / (N - 1) - x) <= 1.0 / (N - 1) + 1e-12)
    assert s.sum(0).max() <= 2
