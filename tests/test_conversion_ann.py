"""NumPy ANN layers (gradients by finite differences), block folding, normalisation, bad input."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.conversion import (AvgPool2D, BatchNorm, ClippedReLU, Conv2D, Dense, Flatten, MaxPool2D,
                                  ReLU, Scale, Sequential, convert, mlp, small_cnn)
from spikecore.conversion.blocks import to_blocks
from spikecore.conversion.convert import layer_lambdas


def _numeric_grad(f, x, eps=1e-3):
    g = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


@pytest.mark.parametrize("make, shape", [
    (lambda: Dense(5, 3, random_state=0), (4, 5)),
    (lambda: Conv2D(2, 3, 3, stride=2, padding=1, random_state=0), (2, 2, 5, 5)),
    (lambda: AvgPool2D(2), (2, 2, 4, 4)),
    (lambda: MaxPool2D(2, 1), (2, 2, 4, 4)),
    (lambda: MaxPool2D(3, 2, 1, ceil_mode=True), (2, 2, 6, 6)),
    (lambda: BatchNorm(3), (6, 3)),
    (lambda: ClippedReLU(0.5), (3, 4)),
])
def test_layer_gradients_match_finite_differences(make, shape):
    layer = make()
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape).astype(np.float64)
    proj = rng.normal(size=layer.forward(x.astype(np.float32), training=True).shape)

    def loss():
        return float((layer.forward(x.astype(np.float32), training=isinstance(layer, BatchNorm)) * proj).sum())

    y = layer.forward(x.astype(np.float32), training=True)
    gx = layer.backward(proj.astype(np.float32))
    np.testing.assert_allclose(gx, _numeric_grad(loss, x), rtol=2e-2, atol=2e-2)
    for k, p in enumerate(layer.params):
        layer.forward(x.astype(np.float32), training=True)
        layer.backward(proj.astype(np.float32))
        analytic = layer.grads[k].copy()
        np.testing.assert_allclose(analytic, _numeric_grad(loss, p), rtol=2e-2, atol=2e-2)
    assert y.dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(H=st.integers(1, 9), W=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 3),
       seed=st.integers(0, 2**16))
def test_ceil_mode_max_pooling_equals_a_plain_loop(H, W, k, s, p, seed):
    """PyTorch's rule: H_o = ceil((H + 2p - k) / s) + 1, less one when the last window would start
    in the right padding; a window's cells past the padded input are ignored."""
    if p >= k or H + 2 * p < k or W + 2 * p < k:
        return

    def size(n):
        o = -(-(n + 2 * p - k) // s) + 1
        return o - 1 if (o - 1) * s >= n + p else o

    x = np.random.default_rng(seed).normal(size=(2, 3, H, W)).astype(np.float32)
    layer = MaxPool2D(k, s, p, ceil_mode=True)
    Ho, Wo = size(H), size(W)
    assert layer.output_shape((3, H, W)) == (3, Ho, Wo)
    want = np.empty((2, 3, Ho, Wo), np.float32)
    for i in range(Ho):
        for j in range(Wo):
            r0, c0 = i * s - p, j * s - p
            want[:, :, i, j] = x[:, :, max(r0, 0):min(r0 + k, H), max(c0, 0):min(c0 + k, W)].max(axis=(2, 3))
    np.testing.assert_array_equal(layer.forward(x), want)
    assert MaxPool2D(k, s, p).output_shape((3, H, W)) == (3, (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1)
    with pytest.raises(TypeError, match="ceil_mode"):
        MaxPool2D(k, s, p, ceil_mode=1)


def test_blocks_reproduce_the_ann():
    """Batch-norm and average-pool folding are exact: the blocks compute the ANN's logits."""
    rng = np.random.default_rng(0)
    net = small_cnn((1, 8, 8), channels=(3, 4), random_state=0)
    for layer in net.layers:  # non-trivial batch-norm statistics
        if isinstance(layer, BatchNorm):
            layer.mean[:] = rng.normal(size=layer.mean.size)
            layer.var[:] = rng.random(layer.var.size) + 0.5
            layer.gamma[:] = rng.random(layer.gamma.size) + 0.5
    net.layers.insert(0, Scale(2.0, -0.5))
    net = Sequential(net.layers, (1, 8, 8))
    X = rng.random((5, 1, 8, 8)).astype(np.float32)
    pre, blocks = to_blocks(net)
    h = X
    for s in pre:
        h = s.forward(h)
    h = h.reshape(5, -1)
    for b in blocks:
        h = b.pool(b.activate(b.linear(h)))
    np.testing.assert_allclose(h, net.logits(X), rtol=1e-4, atol=1e-4)


def test_max_pool_cnn_blocks_reproduce_the_ann():
    net = small_cnn((1, 8, 8), channels=(3, 4), pool="max", batch_norm=False, random_state=2)
    X = np.random.default_rng(3).random((4, 1, 8, 8)).astype(np.float32)
    _, blocks = to_blocks(net)
    h = X.reshape(4, -1)
    for b in blocks:
        h = b.pool(b.activate(b.linear(h)))
    np.testing.assert_allclose(h, net.logits(X), rtol=1e-4, atol=1e-4)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 31), p=st.floats(50.0, 100.0))
def test_percentile_lambda_is_numpys_percentile(seed, p):
    net = mlp((6, 8, 5, 3), random_state=seed % 1000)
    X = np.random.default_rng(seed).random((40, 6)).astype(np.float32)
    _, blocks = to_blocks(net)
    lams = layer_lambdas(blocks, X, "percentile", p)
    a1 = np.maximum(X @ net.layers[0].weight.T + net.layers[0].bias, 0)
    pos = a1[a1 > 0]
    assert lams[0] == pytest.approx(np.percentile(pos, p), rel=1e-6) if pos.size else lams[0] == 1.0
    a2 = np.maximum(a1 @ net.layers[2].weight.T + net.layers[2].bias, 0)
    pos2 = a2[a2 > 0]
    if pos2.size:
        assert lams[1] == pytest.approx(np.percentile(pos2, p), rel=1e-5)
    # data-based max
    assert layer_lambdas(blocks, X, "max")[0] == pytest.approx(a1.max() if a1.max() > 0 else 1.0, rel=1e-6)


def test_model_based_lambda_bounds_every_activation():
    net = mlp((6, 8, 5, 3), random_state=1)
    X = np.random.default_rng(0).random((200, 6)).astype(np.float32)
    _, blocks = to_blocks(net)
    lam = layer_lambdas(blocks, X, "model", x_range=(0.0, 1.0))
    a1 = np.maximum(X @ net.layers[0].weight.T + net.layers[0].bias, 0)
    assert a1.max() <= lam[0] + 1e-5


def test_training_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    net = mlp((4, 16, 2), random_state=0).fit(X, y, epochs=20, learning_rate=0.01, random_state=0)
    assert net.score(X, y) > 0.95
    assert net.loss_curve_[-1] < net.loss_curve_[0]
    net2 = mlp((4, 16, 2), random_state=0).fit(X, y, epochs=20, optimizer="sgd", learning_rate=0.05, random_state=0)
    assert net2.score(X, y) > 0.95


def test_bad_input_errors():
    net = mlp((6, 8, 3), random_state=0)
    X = np.random.default_rng(0).random((10, 6)).astype(np.float32)
    with pytest.raises(ValueError, match="calibration_data"):
        convert(net, X[:, :5])
    with pytest.raises(ValueError, match="method"):
        convert(net, X, method="nope")
    snn = convert(net, X, method="percentile")
    with pytest.raises(ValueError, match="timesteps"):
        snn.predict(X, timesteps=0)
    with pytest.raises(ValueError, match="timesteps"):
        snn.predict(X, timesteps=-3)
    with pytest.raises(TypeError, match="timesteps"):
        snn.predict(X, timesteps=2.5)
    with pytest.raises(ValueError, match="X"):
        snn.predict(X[:, :4], timesteps=4)
    with pytest.raises(ValueError, match="non-negative"):
        convert(net, X - 0.5, method="data")
    bad = Sequential([Dense(6, 8), BatchNorm(8), ReLU(), ReLU(), Dense(8, 3)], (6,))
    with pytest.raises(ValueError, match=r"layers\[3\]"):
        convert(bad, X)
    with pytest.raises(ValueError, match="average pooling"):
        convert(Sequential([Conv2D(1, 2, 3, padding=1), ReLU(), AvgPool2D(3, 1), Flatten(), Dense(72, 3)],
                           (1, 8, 8)), np.zeros((2, 1, 8, 8)))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), c=st.integers(1, 4), groups=st.sampled_from([1, 2, 0]),
       k=st.integers(1, 3), stride=st.integers(1, 2), pad=st.integers(0, 1), hw=st.integers(3, 6),
       prune=st.floats(0, 0.7))
def test_fan_out_and_macs_count_the_nonzero_synapses(seed, c, groups, k, stride, pad, hw, prune):
    """Blocks count a synapse per nonzero entry of their synapse matrix: a grouped (or, with
    groups=0, depthwise) kernel stored as a full kernel with zero taps, as the ONNX importer
    writes it, or pruned weights, cost no additions."""
    from spikecore.conversion.blocks import Block
    rng = np.random.default_rng(seed)
    g = c if groups == 0 else min(groups, c)
    c = c - c % g
    o = 2 * c
    W = rng.normal(0, 1, (o, c, k, k)).astype(np.float32)
    for out in range(o):  # output channel `out` sees only the input channels of its group
        grp = out // (o // g)
        mask = np.ones(c, bool)
        mask[grp * (c // g): (grp + 1) * (c // g)] = False
        W[out, mask] = 0.0
    W[rng.random(W.shape) < prune] = 0.0
    conv = Block(Conv2D(c, o, k, stride=stride, padding=pad, weight=W), (c, hw, hw))
    S = conv.synapse_matrix()
    np.testing.assert_array_equal(conv.fan_out(), np.count_nonzero(S, axis=1))
    Ho, Wo = conv.out_shape[1:]
    assert conv.macs() == Ho * Wo * np.count_nonzero(W)  # the ANN's count: padded taps included
    if pad == 0:
        assert conv.macs() == np.count_nonzero(S)
    D = rng.normal(0, 1, (5, 7)).astype(np.float32)
    D[rng.random(D.shape) < prune] = 0.0
    dense = Block(Dense(7, 5, weight=D), (7,))
    np.testing.assert_array_equal(dense.fan_out(), np.count_nonzero(dense.synapse_matrix(), axis=1))
    assert dense.macs() == np.count_nonzero(D)
