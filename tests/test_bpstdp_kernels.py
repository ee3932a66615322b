"""BP-STDP kernels (Tavanaei & Maida 2019): kernel == reference twin, and hand-worked cases.

Exactness: weights are drawn on the grid k/16 and thresholds on k/8, and mu = 1/64, so the
sums of weights, the deltas and the updates of the first steps are exact in float32 whatever the
summation order, and spikes, counts and xi sums must agree bit for bit. Each update puts the
weights on a finer dyadic grid (the hidden deltas are sums of w * xi with the updated w), so after
many steps of a deep network the grid outgrows float32's 24 bits and the twins' different
summation orders can round differently: the trained weights (of order 1) are compared to 1e-6.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.kernels import bpstdp as K
from spikecore.learning.bpstdp import bpstdp_mse, regular_with_lags
from spikecore.reference import bpstdp as R


@st.composite
def network_case(draw):
    n_layers = draw(st.integers(1, 3))
    sizes = np.array([draw(st.integers(1, 6)) for _ in range(n_layers + 1)], np.int64)
    T = draw(st.integers(1, 16))
    S = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n_w = int(np.sum(sizes[1:] * sizes[:-1]))
    return dict(
        x=(rng.random((T, S, sizes[0])) < draw(st.floats(0.0, 1.0))).astype(np.uint8),
        labels=rng.integers(0, sizes[-1], size=S).astype(np.int64),
        teacher=(rng.random(T) < draw(st.floats(0.0, 1.0))).astype(np.uint8),
        w=(rng.integers(-16, 25, size=n_w) / 16.0).astype(np.float32),
        sizes=sizes,
        theta=(rng.integers(1, 17, size=n_layers) / 8.0).astype(np.float32),
        epsilon=draw(st.integers(0, 5)),
        batch=draw(st.integers(1, 4)),
    )


def _train(mod, c):
    w = c["w"].copy()
    S, N = c["x"].shape[1], int(c["sizes"][1:].sum())
    counts = np.full((S, N), -7, np.int32)
    xi_sum = np.full(S, -7, np.int64)
    mod.bpstdp_train(c["x"], c["labels"], c["teacher"], w, c["sizes"], c["theta"], c["epsilon"], 1 / 64,
                     c["batch"], counts, xi_sum)
    return w, counts, xi_sum


@settings(max_examples=60)
@given(network_case())
def test_train_kernel_equals_reference(c):
    (w_k, counts_k, xi_k), (w_r, counts_r, xi_r) = _train(K, c), _train(R, c)
    np.testing.assert_array_equal(counts_k, counts_r)
    np.testing.assert_array_equal(xi_k, xi_r)
    np.testing.assert_allclose(w_k, w_r, rtol=1e-6, atol=1e-6)  # weights are O(1)


@settings(max_examples=60)
@given(network_case())
def test_forward_kernel_equals_reference(c):
    S, N = c["x"].shape[1], int(c["sizes"][1:].sum())
    u0 = (np.random.default_rng(S).integers(-8, 8, size=(S, N)) / 8.0).astype(np.float32)
    out = []
    for mod in (K, R):
        counts = np.full((S, N), -7, np.int32)
        u = u0.copy()
        mod.bpstdp_forward(c["x"], c["w"], c["sizes"], c["theta"], counts, u)
        out.append((counts, u))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


@settings(max_examples=60)
@given(st.integers(1, 5), st.integers(1, 6), st.integers(0, 2 ** 32 - 1))
def test_error_kernel_equals_reference(B, M, seed):
    rng = np.random.default_rng(seed)
    window = rng.integers(0, 3, size=(B, M)).astype(np.int32)
    labels = rng.integers(0, M, size=B).astype(np.int64)
    xk, xr = np.full((B, M), 9, np.float32), np.full((B, M), 9, np.float32)
    K.bpstdp_error(window, labels, xk)
    R.bpstdp_error(window, labels, xr)
    np.testing.assert_array_equal(xk, xr)


def test_error_matches_equation_16():
    window = np.array([[0, 0, 3], [2, 1, 0]], np.int32)
    labels = np.array([0, 0], np.int64)
    for mod in (K, R):
        xi = np.zeros((2, 3), np.float32)
        mod.bpstdp_error(window, labels, xi)
        # target silent -> +1; non-target silent -> 0; non-target fired -> -1; target fired -> 0
        np.testing.assert_array_equal(xi, [[1, 0, -1], [0, -1, 0]])


def _hand_case(w_hidden):
    """2 inputs -> 1 hidden -> 2 outputs, T = 3, eps = 2, one desired spike time t = 2, label 0."""
    x = np.array([[[1, 0]], [[1, 1]], [[0, 1]]], np.uint8)        # (T=3, S=1, 2)
    sizes = np.array([2, 1, 2], np.int64)
    w = np.array(w_hidden + [0.25, 1.0], np.float32)              # W1 (1x2), W2 (2x1)
    theta = np.array([0.9, 0.9], np.float32)
    teacher = np.array([0, 0, 1], np.uint8)
    return x, sizes, w, theta, teacher


@pytest.mark.parametrize("mod", [K, R], ids=["kernel", "reference"])
def test_hand_built_raster(mod):
    x, sizes, w, theta, teacher = _hand_case([1.0, 0.5])
    mu = 0.125
    counts = np.zeros((1, 3), np.int32)
    xi_sum = np.zeros(1, np.int64)
    mod.bpstdp_train(x, np.array([0]), teacher, w, sizes, theta, 2, mu, 1, counts, xi_sum)
    # hidden: U = 1.0 (spike), 1.5 (spike), 0.5 -> c_h = 2; out0: 0.25, 0.5, 0.5 -> silent;
    # out1: 1.0 (spike), 1.0 (spike), 0 -> c = 2.  At t = 2: xi = (+1, -1).
    np.testing.assert_array_equal(counts, [[2, 0, 2]])
    assert xi_sum[0] == 0
    # output (eq. 15): dw_ih = mu * xi_i * c_h
    np.testing.assert_array_equal(w[2:], [0.25 + mu * 2, 1.0 - mu * 2])
    # hidden (eq. 20): delta_h = sum_i xi_i w_ih (old weights) = 0.25 - 1.0; dw_hj = mu delta_h c_j
    delta = 0.25 - 1.0
    np.testing.assert_array_equal(w[:2], np.float32([1.0 + mu * delta * 2, 0.5 + mu * delta * 2]))


@pytest.mark.parametrize("mod", [K, R], ids=["kernel", "reference"])
def test_hidden_update_is_zero_when_hidden_silent(mod):
    x, sizes, w, theta, teacher = _hand_case([0.1, 0.1])            # hidden never reaches 0.9
    w0 = w.copy()
    counts = np.zeros((1, 3), np.int32)
    xi_sum = np.zeros(1, np.int64)
    # make the output fire on its own is impossible without hidden spikes, so xi = (+1, 0):
    mod.bpstdp_train(x, np.array([0]), teacher, w, sizes, theta, 2, 0.125, 1, counts, xi_sum)
    np.testing.assert_array_equal(counts, [[0, 0, 0]])
    assert xi_sum[0] == 1
    np.testing.assert_array_equal(w, w0)     # hidden gate closed; output dw = mu * 1 * c_h = 0


def test_updates_only_at_desired_spike_times():
    x, sizes, w, theta, _ = _hand_case([1.0, 0.5])
    w0 = w.copy()
    K.bpstdp_train(x, np.array([0]), np.zeros(3, np.uint8), w, sizes, theta, 2, 0.125, 1,
                   np.zeros((1, 3), np.int32), np.zeros(1, np.int64))
    np.testing.assert_array_equal(w, w0)


def test_batch_one_is_sequential_online_learning():
    """batch = 1 over S samples == S separate calls one after the other (weights carry over)."""
    rng = np.random.default_rng(3)
    sizes = np.array([5, 4, 3], np.int64)
    x = (rng.random((20, 6, 5)) < 0.4).astype(np.uint8)
    labels = rng.integers(0, 3, 6).astype(np.int64)
    teacher = (np.arange(20) % 4 == 3).astype(np.uint8)
    w = (rng.integers(-16, 25, 32) / 16.0).astype(np.float32)
    theta = np.array([0.875, 1.0], np.float32)
    w_all = w.copy()
    K.bpstdp_train(x, labels, teacher, w_all, sizes, theta, 4, 1 / 64, 1, np.zeros((6, 7), np.int32),
                   np.zeros(6, np.int64))
    w_seq = w.copy()
    for i in range(6):
        K.bpstdp_train(np.ascontiguousarray(x[:, i:i + 1]), labels[i:i + 1], teacher, w_seq, sizes, theta, 4,
                       1 / 64, 1, np.zeros((1, 7), np.int32), np.zeros(1, np.int64))
    np.testing.assert_array_equal(w_all, w_seq)


def test_mse_is_equation_22():
    xi_sum = np.array([5, -5, 0, 10])
    assert bpstdp_mse(xi_sum, 50) == pytest.approx(np.mean([0.01, 0.01, 0.0, 0.04]))


@settings(max_examples=40)
@given(st.integers(1, 80), st.floats(0.01, 1.0), st.integers(0, 2 ** 32 - 1))
def test_regular_with_lags_counts_and_spacing(T, p_max, seed):
    x = np.random.default_rng(seed).random((3, 4))
    s = regular_with_lags(x, T, p_max, random_state=seed)
    assert s.shape == (T, 3, 4) and s.dtype == np.uint8 and s.max() <= 1
    n = s.sum(axis=0)
    base = np.floor(T * x * p_max)
    assert np.all((n == base) | (n == base + 1))       # floor(Tp + phi), phi in [0, 1)
    np.testing.assert_array_equal(regular_with_lags(x, T, p_max, random_state=seed), s)


def test_regular_with_lags_rejects_out_of_range():
    with pytest.raises(ValueError, match="x"):
        regular_with_lags(np.array([[1.5]]), 10, 0.25)
    with pytest.raises(ValueError, match="p_max"):
        regular_with_lags(np.array([[0.5]]), 10, 1.5)
