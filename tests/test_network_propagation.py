"""Propagation kernels == their plain-NumPy references (dense matmul of the spike vector)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spikecore.kernels import propagation as K
from spikecore.reference import propagation as R


def _random_spikes(rng, batch, n, p):
    spikes = (rng.random((batch, n)) < p).astype(np.uint8)
    idx = np.zeros((batch, n), np.int32)
    count = np.zeros(batch, np.int64)
    K.spike_list(spikes, idx, count)
    return spikes, idx, count


@settings(max_examples=40)
@given(seed=st.integers(0, 2**31), batch=st.integers(1, 3), n=st.integers(0, 200),
       p=st.floats(0, 1))
def test_spike_list_matches_reference(seed, batch, n, p):
    spikes = (np.random.default_rng(seed).random((batch, n)) < p).astype(np.uint8)
    idx_k, cnt_k = np.full((batch, n), -1, np.int32), np.zeros(batch, np.int64)
    idx_r, cnt_r = np.full((batch, n), -1, np.int32), np.zeros(batch, np.int64)
    K.spike_list(spikes, idx_k, cnt_k)
    R.spike_list(spikes, idx_r, cnt_r)
    np.testing.assert_array_equal(cnt_k, cnt_r)
    for b in range(batch):  # the columns after count[b] are scratch
        np.testing.assert_array_equal(idx_k[b, :cnt_k[b]], idx_r[b, :cnt_r[b]])
    assert cnt_k.sum() == spikes.sum()


@settings(max_examples=60)
@given(seed=st.integers(0, 2**31), batch=st.integers(1, 3), n_pre=st.integers(1, 30),
       n_post=st.integers(1, 30), density=st.floats(0, 1), p_spike=st.floats(0, 1),
       n_slots=st.integers(1, 5), use_delays=st.booleans(), slot=st.integers(0, 10))
def test_csr_propagate_matches_dense_matmul(seed, batch, n_pre, n_post, density, p_spike,
                                            n_slots, use_delays, slot):
    rng = np.random.default_rng(seed)
    mask = rng.random((n_pre, n_post)) < density
    pre, post = np.nonzero(mask)
    # duplicate a few synapses: multapses must add up
    dup = rng.random(pre.size) < 0.1
    pre = np.concatenate([pre, pre[dup]])
    post = np.concatenate([post, post[dup]])
    order = np.argsort(pre, kind="stable")
    pre, post = pre[order], post[order]
    indptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=n_pre), out=indptr[1:])
    indices = post.astype(np.int32)
    weights = rng.normal(size=pre.size)
    delays = (rng.integers(0, n_slots, pre.size).astype(np.int32) if use_delays
              else np.zeros(0, np.int32))
    _, idx, count = _random_spikes(rng, batch, n_pre, p_spike)
    slot = slot % n_slots
    ring_k = rng.normal(size=(n_slots, batch, n_post))
    ring_r = ring_k.copy()
    K.csr_propagate(idx, count, indptr, indices, weights, delays, ring_k, slot)
    R.csr_propagate(idx, count, indptr, indices, weights, delays, ring_r, slot)
    np.testing.assert_allclose(ring_k, ring_r, rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(seed=st.integers(0, 2**31), batch=st.integers(1, 3), n_pre=st.integers(1, 30),
       n_post=st.integers(1, 30), p_spike=st.floats(0, 1), dtype=st.sampled_from([np.float32, np.float64]))
def test_dense_propagate_matches_matmul(seed, batch, n_pre, n_post, p_spike, dtype):
    rng = np.random.default_rng(seed)
    weights_t = rng.normal(size=(n_pre, n_post)).astype(dtype)
    _, idx, count = _random_spikes(rng, batch, n_pre, p_spike)
    ring_k = np.zeros((2, batch, n_post), dtype)
    ring_r = ring_k.copy()
    K.dense_propagate(idx, count, weights_t, ring_k, 1)
    R.dense_propagate(idx, count, weights_t, ring_r, 1)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ring_k, ring_r, rtol=tol, atol=tol)
    assert not ring_k[0].any()


@settings(max_examples=40)
@given(seed=st.integers(0, 2**31), batch=st.integers(1, 2), c_in=st.integers(1, 3),
       c_out=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       k_h=st.integers(1, 4), k_w=st.integers(1, 4), s_y=st.integers(1, 3), s_x=st.integers(1, 3),
       p_y=st.integers(0, 2), p_x=st.integers(0, 2), p_spike=st.floats(0, 1))
def test_conv2d_propagate_matches_cross_correlation(seed, batch, c_in, c_out, h, w, k_h, k_w,
                                                    s_y, s_x, p_y, p_x, p_spike):
    out_h = (h + 2 * p_y - k_h) // s_y + 1
    out_w = (w + 2 * p_x - k_w) // s_x + 1
    if out_h < 1 or out_w < 1:
        return
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=(c_out, c_in, k_h, k_w))
    _, idx, count = _random_spikes(rng, batch, c_in * h * w, p_spike)
    ring_k = np.zeros((1, batch, c_out * out_h * out_w))
    ring_r = ring_k.copy()
    args = (kernel, h, w, out_h, out_w, s_y, s_x, p_y, p_x)
    K.conv2d_propagate(idx, count, *args, ring_k, 0)
    R.conv2d_propagate(idx, count, *args, ring_r, 0)
    np.testing.assert_allclose(ring_k, ring_r, rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(seed=st.integers(0, 2**31), batch=st.integers(1, 2), c=st.integers(1, 3),
       h=st.integers(1, 9), w=st.integers(1, 9), size_y=st.integers(1, 3), size_x=st.integers(1, 3),
       s_y=st.integers(1, 3), s_x=st.integers(1, 3), p_spike=st.floats(0, 1), average=st.booleans())
def test_pool2d_propagate_matches_window_sums(seed, batch, c, h, w, size_y, size_x, s_y, s_x,
                                              p_spike, average):
    out_h = (h - size_y) // s_y + 1
    out_w = (w - size_x) // s_x + 1
    if out_h < 1 or out_w < 1:
        return
    rng = np.random.default_rng(seed)
    scale = 1.0 / (size_y * size_x) if average else 1.0
    _, idx, count = _random_spikes(rng, batch, c * h * w, p_spike)
    ring_k = np.zeros((1, batch, c * out_h * out_w))
    ring_r = ring_k.copy()
    args = (h, w, out_h, out_w, size_y, size_x, s_y, s_x, scale)
    K.pool2d_propagate(idx, count, *args, ring_k, 0)
    R.pool2d_propagate(idx, count, *args, ring_r, 0)
    np.testing.assert_allclose(ring_k, ring_r, rtol=1e-12, atol=1e-12)
