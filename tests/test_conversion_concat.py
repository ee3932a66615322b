"""Concatenated branches (SqueezeNet's fire modules, Iandola et al., 2016; inception modules,
Szegedy et al., 2015; DenseNet's [x, F(x)], Huang et al., 2017) in the ANN, the ONNX importer and
the conversion, and networks whose logits are the average of a spiking map (SqueezeNet's tail).
Checked against the ANN (the blocks compute its logits), onnxruntime, and the converted network.
"""
import os
import sys

import numpy as np
import pytest

from spikecore.conversion import (AvgPool2D, BatchNorm, Concat, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential,
                                  convert, to_graph)
from spikecore.conversion.blocks import source_of, to_blocks

sys.path.insert(0, os.path.dirname(__file__))  # the layer-gradient helper of the ANN tests beside this file
from conversion_helpers import block_logits as _block_logits, digits_split as _digits  # noqa: E402
from conversion_helpers import onnx_matches_and_converts as _onnx_matches_and_converts  # noqa: E402
from test_conversion_ann import _numeric_grad  # noqa: E402


def _squeeze_net(seed=0, pool=MaxPool2D):
    """Stem, two fire modules (squeeze 1x1, then expand 1x1 and 3x3 concatenated) with a pooling
    between, an inception-style module with an identity branch, average pooling, dense."""
    g = np.random.default_rng(seed)

    def conv(i, o, k=1):
        return Conv2D(i, o, k, padding=k // 2, random_state=g)

    def fire(cin, s, e):
        return [conv(cin, s), ReLU(), Concat([[conv(s, e), ReLU()], [conv(s, e, 3), ReLU()]])]

    inception = Concat([[conv(16, 8), ReLU()], [conv(16, 4), ReLU(), conv(4, 8, 3), ReLU()], []])
    return Sequential([conv(1, 8, 3), ReLU()] + fire(8, 4, 8) + [pool(2)] + fire(16, 6, 8) + [inception] +
                      [AvgPool2D(4), Flatten(), Dense(32, 10, random_state=g)], (1, 8, 8))


def test_concat_gradients_match_finite_differences():
    g = np.random.default_rng(0)
    layer = Concat([[Conv2D(2, 3, 3, padding=1, random_state=g), ReLU()], [], [Conv2D(2, 1, 1, random_state=g)]])
    x = g.normal(size=(2, 2, 4, 4))
    assert layer.output_shape((2, 4, 4)) == (6, 4, 4)
    proj = g.normal(size=(2, 6, 4, 4))

    def loss():
        return float((layer.forward(x.astype(np.float32)) * proj).sum())

    layer.forward(x.astype(np.float32))
    np.testing.assert_allclose(layer.backward(proj.astype(np.float32)), _numeric_grad(loss, x), rtol=2e-2, atol=2e-2)
    for k, p in enumerate(layer.params):
        layer.forward(x.astype(np.float32))
        layer.backward(proj.astype(np.float32))
        np.testing.assert_allclose(layer.grads[k], _numeric_grad(loss, p), rtol=2e-2, atol=2e-2)
    with pytest.raises(ValueError, match="differ only in the first"):
        Concat([[Conv2D(2, 3, 3, random_state=g)], []]).output_shape((2, 4, 4))


@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
def test_concatenations_become_blocks_that_compute_the_ann(pool):
    """Each branch's first block reads the concatenation's input; a layer reading a
    concatenation reads its last part as the main input and the others as shortcuts."""
    net = _squeeze_net(pool=pool)
    X = np.random.default_rng(1).random((6, 1, 8, 8)).astype(np.float32)
    _, blocks = to_blocks(net)
    assert [(source_of(blocks, i), [s for _, s in b.skips]) for i, b in enumerate(blocks)] == [
        (-1, []), (0, []), (1, []), (1, []), (3, [2]), (4, []), (4, []), (6, [5]), (6, [5]), (8, []),
        (6, [7, 9, 5])]
    if pool is MaxPool2D:  # the pooling after the first fire module pools both of its parts
        assert blocks[2].maxpool is not None and blocks[3].maxpool is not None
    else:  # an average pooling joins the next layer, part by part
        assert blocks[4].prepool == (2, 2) and blocks[4].skips[0][0].prepool == (2, 2)
    ref = net.logits(X)
    np.testing.assert_allclose(_block_logits(blocks, X), ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())


def test_arrangements_around_concatenations_that_do_not_convert():
    g = np.random.default_rng(0)

    def conv(i, o, k=1):
        return Conv2D(i, o, k, padding=k // 2, random_state=g)

    head = [conv(1, 4, 3), ReLU()]
    tail = [Flatten(), Dense(8 * 64, 3, random_state=g)]
    cases = {
        "on the input": ([Concat([[conv(1, 4), ReLU()], [conv(1, 4), ReLU()]]), Flatten(), Dense(8 * 64, 3)],
                         "after a hidden layer"),
        "batch norm after": (head + [Concat([[conv(4, 4), ReLU()], []]), BatchNorm(8)] + tail, "batch normalisation"),
        "branch starting with an average pooling": (head + [Concat([[AvgPool2D(1), conv(4, 4), ReLU()], []])] + tail,
                                                    "starts with a dense or convolution"),
        "branch without activation": (head + [Concat([[conv(4, 4)], []])] + tail, "ends in an activation"),
    }
    for name, (layers, match) in cases.items():
        with pytest.raises(ValueError, match=match):
            to_blocks(Sequential(layers, (1, 8, 8)))
    net = Sequential(head + [Concat([[conv(4, 4), ReLU()], []])] + tail, (1, 8, 8))
    X = g.random((4, 1, 8, 8)).astype(np.float32)
    for method in ("ttfs", "tsc"):
        with pytest.raises(ValueError, match="rate-coded method"):
            convert(net, X, method=method)


def test_logits_averaged_from_a_spiking_map_convert():
    """SqueezeNet and network-in-network end in conv -> ReLU -> global average pooling: the
    conv spikes, and the output layer integrates the average of its map."""
    g = np.random.default_rng(2)
    net = Sequential([Conv2D(1, 6, 3, padding=1, random_state=g), ReLU(), Conv2D(6, 4, 1, random_state=g), ReLU(),
                      AvgPool2D(8), Flatten()], (1, 8, 8))
    X = g.random((12, 1, 8, 8)).astype(np.float32)
    _, blocks = to_blocks(net)
    assert len(blocks) == 3 and blocks[-1].prepool == (8, 8) and blocks[1].activation == "relu"
    ref = net.logits(X)
    np.testing.assert_allclose(_block_logits(blocks, X), ref, rtol=1e-4, atol=1e-6)
    snn = convert(net, X, method="percentile", percentile=100.0)
    assert np.abs(snn.run(X, 512) / 512 - ref).max() < 0.03 * np.abs(ref).max()


def _googlenet(seed=0):
    """Stem, an inception module with GoogLeNet's pool branch (3x3 max-pooling, stride 1, then a
    1x1 convolution), a max-pooling of the whole concatenation (whose identity part the pool
    branch also reads), a DenseNet-style [x, F(x)] with a max-pooling after it, average
    pooling, dense."""
    g = np.random.default_rng(seed)

    def conv(i, o, k=1):
        return Conv2D(i, o, k, padding=k // 2, random_state=g)

    inception = Concat([[conv(6, 4), ReLU()], [conv(6, 3), ReLU(), conv(3, 4, 3), ReLU()],
                        [MaxPool2D(3, stride=1, padding=1), conv(6, 4), ReLU()], []])
    dense = Concat([[], [conv(18, 6, 3), ReLU()]])
    return Sequential([conv(1, 6, 3), ReLU(), inception, MaxPool2D(2), dense, MaxPool2D(2, stride=1),
                       AvgPool2D(3), Flatten(), Dense(24, 10, random_state=g)], (1, 8, 8))


def test_max_pooling_of_spikes_other_layers_read_goes_through_a_relay():
    """GoogLeNet's pool branch and a max-pooling of a concatenation with an identity part each
    get a relay: identity weights into ReLU neurons, the max-pooling after them."""
    net = _googlenet()
    X = np.random.default_rng(1).random((6, 1, 8, 8)).astype(np.float32)
    _, blocks = to_blocks(net)
    def is_relay(b):  # 0/1 weights, one synapse per input neuron, max-pooled
        terms = [b] + [t for t, _ in b.skips]
        return b.maxpool is not None and b.kind == "conv" and b.layer.kernel_size == (1, 1) and all(
            set(np.unique(t.layer.weight)) <= {0.0, 1.0} and (t.layer.weight.sum(axis=0) == 1).all() for t in terms)

    relays = [i for i, b in enumerate(blocks) if is_relay(b)]
    # the pool branch (reads the stem), the stem's identity part under the first max-pooling, and
    # under the second one every part that already has a pooling
    assert len(relays) == 6
    pool_branch = blocks[relays[0]]
    assert source_of(blocks, relays[0]) == 0 and pool_branch.maxpool.stride == (1, 1)
    assert pool_branch.activation == "relu" and np.count_nonzero(pool_branch.layer.weight) == 6
    ref = net.logits(X)
    np.testing.assert_allclose(_block_logits(blocks, X), ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())
    # the relays are ordinary blocks: the converted network approaches the ANN as T grows
    snn = convert(net, X, method="percentile", percentile=100.0)
    err = [np.abs(snn.run(X, T) / T - ref).max() / np.abs(ref).max() for T in (256, 2048)]
    assert err[1] < err[0] and err[1] < 0.04
    ops = snn.operations()
    assert len(ops["spikes_per_layer"]) == len(snn.blocks)


def _pooling_arrangement(name, g):
    """A small network on a (2, 8, 8) input with one arrangement of poolings that needs relays."""
    from spikecore.conversion import Residual

    def conv(i, o, k=1):
        return Conv2D(i, o, k, padding=k // 2, random_state=g)

    stem = [conv(2, 4, 3), ReLU()]
    fire = [Concat([[conv(4, 3), ReLU()], [conv(4, 3, 3), ReLU()]])]
    body = {
        "max then max": [MaxPool2D(2), MaxPool2D(2)],
        "average then max": [AvgPool2D(2), MaxPool2D(2)],
        "max then average": [MaxPool2D(2), AvgPool2D(2)],
        "average then average": [AvgPool2D(2), AvgPool2D(2)],
        "concatenation, average then max": fire + [AvgPool2D(2), MaxPool2D(2)],
        "concatenation, average then average": fire + [AvgPool2D(2), AvgPool2D(2)],
        "average, then [x, F(x)]": [AvgPool2D(2), Concat([[], [conv(4, 3, 3), ReLU()]])],
        "average, then a residual block": [AvgPool2D(2), Residual([conv(4, 4, 3), ReLU(), conv(4, 4, 3)]), ReLU()],
        "average, then a projection residual block": [AvgPool2D(2), Residual([conv(4, 5, 3), ReLU(), conv(5, 5, 3)],
                                                                              [conv(4, 5)]), ReLU()],
        "concatenation, average, then a residual block": fire + [AvgPool2D(2), Residual([conv(6, 6, 3), ReLU(),
                                                                                         conv(6, 6, 3)]), ReLU()],
    }[name]
    net = Sequential(stem + body, (2, 8, 8))
    C, H = net.shapes[-1][0], net.shapes[-1][1]
    return Sequential(stem + body + [Flatten(), Dense(C * H * H, 3, random_state=g)], (2, 8, 8))


@pytest.mark.parametrize("name", ["max then max", "average then max", "max then average", "average then average",
                                  "concatenation, average then max", "concatenation, average then average",
                                  "average, then [x, F(x)]", "average, then a residual block",
                                  "average, then a projection residual block",
                                  "concatenation, average, then a residual block"])
def test_poolings_next_to_poolings_concatenations_and_residuals_convert(name):
    """A second pooling right after another, an average pooling before a concatenation with an
    identity branch, and an average pooling before a residual block: the blocks compute the
    ANN, and the converted network approaches it as T grows."""
    g = np.random.default_rng(7)
    net = _pooling_arrangement(name, g)
    X = g.random((5, 2, 8, 8)).astype(np.float32)
    _, blocks = to_blocks(net)
    ref = net.logits(X)
    np.testing.assert_allclose(_block_logits(blocks, X), ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())
    snn = convert(net, X, method="percentile", percentile=100.0)
    err = [np.abs(snn.run(X, T, random_state=0) / T - ref).max() / np.abs(ref).max() for T in (64, 2048)]
    assert err[1] < err[0] and err[1] < 0.05, err


def test_relays_export_to_nir_and_run_the_same(tmp_path):
    """A relay is an ordinary block: an average pooling before [x, F(x)] and before a residual
    block export to NIR and run the same there (max-pooling has no NIR primitive: refused)."""
    nir_mod = pytest.importorskip("spikecore.interop.nir")
    pytest.importorskip("nir")
    from spikecore.conversion.export import graph_inputs
    for name in ("average, then [x, F(x)]", "average, then a residual block"):
        g = np.random.default_rng(7)
        net = _pooling_arrangement(name, g)
        X = g.random((5, 2, 8, 8)).astype(np.float32)
        snn = convert(net, X, method="percentile", percentile=100.0)
        ref = snn.run(X, 16, random_state=3)
        path = tmp_path / "relay.nir"
        nir_mod.write_nir(to_graph(snn, 16), path)
        back = nir_mod.from_nir(str(path), as_graph=True)
        pot = back.run(graph_inputs(snn, X, 16, random_state=3))[back.outputs[0]][-1]
        np.testing.assert_allclose(pot, ref, rtol=1e-4, atol=1e-4)
    snn = convert(_pooling_arrangement("max then max", np.random.default_rng(7)), X, method="percentile")
    with pytest.raises(ValueError, match="max-pooling"):
        to_graph(snn, 16)


def test_googlenet_style_network_converts_on_digits():
    Xtr, ytr, Xte, yte = _digits()
    net = _googlenet().fit(Xtr, ytr, epochs=12, batch_size=32, learning_rate=3e-3, random_state=0)
    ann = net.score(Xte, yte)
    assert ann > 0.85
    snn = convert(net, Xtr[:300])
    assert snn.score(Xte, yte, timesteps=64, random_state=0) >= ann - 0.03


@pytest.fixture(scope="module")
def trained():
    Xtr, ytr, Xte, yte = _digits()
    net = _squeeze_net(pool=AvgPool2D).fit(Xtr, ytr, epochs=8, batch_size=32, learning_rate=3e-3, random_state=0)
    return net, Xtr, Xte, yte


def test_fire_and_inception_network_converts_on_digits(trained):
    net, Xtr, Xte, yte = trained
    ann = net.score(Xte, yte)
    assert ann > 0.8
    snn = convert(net, Xtr[:300])
    assert snn.score(Xte, yte, timesteps=64, random_state=0) >= ann - 0.03
    snn.run(Xte[:10], 16)
    ops = snn.operations()
    assert len(ops["spikes_per_layer"]) == len(snn.blocks) and min(ops["spikes_per_layer"][1:]) > 0


def test_concat_network_exports_to_nir_and_runs_the_same(trained, tmp_path):
    nir_mod = pytest.importorskip("spikecore.interop.nir")
    pytest.importorskip("nir")
    from spikecore.conversion.export import graph_inputs
    net, Xtr, Xte, _ = trained
    for method in ("percentile", "data"):
        snn = convert(net, Xtr[:200], method=method)
        X, T = Xte[:20], 16
        ref = snn.run(X, T, random_state=3)
        path = tmp_path / ("concat_%s.nir" % method)
        nir_mod.write_nir(to_graph(snn, T), path)
        back = nir_mod.from_nir(str(path), as_graph=True)
        pot = back.run(graph_inputs(snn, X, T, random_state=3))[back.outputs[0]][-1]
        np.testing.assert_allclose(pot, ref, rtol=1e-4, atol=1e-3)


# ----------------------------------------------------------------------------------------- ONNX
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _fire_graph(path, rng, *, swap, pool_branch=False):
    """PyTorch's SqueezeNet layout on a (2, 8, 8) input: a fire module (``Concat`` of the 1x1 and
    3x3 expansions; with ``pool_branch``, also GoogLeNet's 3x3 stride-1 ``MaxPool`` followed by a
    1x1 convolution), a DenseNet-style ``Concat`` of a tensor and a branch of it, then
    SqueezeNet's tail (1x1 convolution to the classes, ReLU, global average pooling, flatten)."""
    init, nodes, count = [], [], [0]

    def node(op, inputs, **attrs):
        count[0] += 1
        out = "t%d" % count[0]
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv(x, cin, cout, k=1):
        w, b = "w%d" % len(init), "b%d" % len(init)
        init.extend([numpy_helper.from_array(rng.normal(0, 1 / np.sqrt(cin * k * k), (cout, cin, k, k))
                                             .astype(np.float32), w),
                     numpy_helper.from_array(rng.normal(0, 0.1, cout).astype(np.float32), b)])
        return node("Relu", [node("Conv", [x, w, b], pads=[k // 2] * 4)])

    s = conv(conv("x", 2, 6, 3), 6, 3)
    e1, e3 = conv(s, 3, 4), conv(s, 3, 4, 3)
    parts = [e3, e1] if swap else [e1, e3]
    if pool_branch:
        parts.insert(1, conv(node("MaxPool", [s], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]), 3, 4))
    fire = node("Concat", parts, axis=1)
    c = 4 * len(parts)
    dense = node("Concat", [fire, conv(fire, c, 4, 3)], axis=-3 if swap else 1)
    top = conv(dense, c + 4, 3)
    nodes.append(helper.make_node("Flatten", [node("GlobalAveragePool", [top])], ["logits"]))
    graph = helper.make_graph(nodes, "fire", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])], init)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


@pytest.mark.parametrize("swap, pool_branch", [(False, False), (True, False), (False, True)])
def test_fire_and_dense_graphs_match_onnxruntime_and_convert(tmp_path, swap, pool_branch):
    rng = np.random.default_rng(4)
    path = str(tmp_path / "fire.onnx")
    _fire_graph(path, rng, swap=swap, pool_branch=pool_branch)
    net = _onnx_matches_and_converts(path, rng.random((16, 2, 8, 8)).astype(np.float32), 1e-6, 1e-3)
    assert sum(isinstance(L, Concat) for L in net.layers) == 2


def test_residual_blocks_reading_a_concatenation_or_a_pooled_linear_map():
    """A residual block after a fire module: its shortcut (identity or projection) splits into one
    term per concatenated part. A linear bottleneck reading an average pooling: the shortcut
    keeps the pooling."""
    from spikecore.conversion import Residual
    g = np.random.default_rng(5)

    def conv(i, o, k=1):
        return Conv2D(i, o, k, padding=k // 2, random_state=g)

    fire = [conv(2, 3), ReLU(), Concat([[conv(3, 2), ReLU()], [conv(3, 2, 3), ReLU()]])]
    for shortcut in (None, [conv(4, 4), BatchNorm(4)]):
        net = Sequential([conv(1, 4, 3), ReLU(), conv(4, 2), ReLU()] + fire +
                         [Residual([conv(4, 4, 3), ReLU(), conv(4, 4, 3)], shortcut), ReLU(), Flatten(),
                          Dense(4 * 64, 3, random_state=g)], (1, 8, 8))
        X = g.random((5, 1, 8, 8)).astype(np.float32)
        _, blocks = to_blocks(net)
        assert [s for _, s in blocks[-2].skips] == [4, 3]  # the two parts of the fire module
        np.testing.assert_allclose(_block_logits(blocks, X), net.logits(X), rtol=1e-4, atol=1e-5)
    pooled = Sequential([conv(1, 4, 3), ReLU(), AvgPool2D(2), conv(4, 4),
                         Residual([conv(4, 8), ReLU(), conv(8, 8, 3), ReLU(), conv(8, 4)]), ReLU(), Flatten(),
                         Dense(4 * 16, 3, random_state=g)], (1, 8, 8))
    _, blocks = to_blocks(pooled)
    short = blocks[-2].skips[0][0]
    assert short.prepool == (2, 2) and short.raw_shape == (4, 8, 8)
    X = g.random((5, 1, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(_block_logits(blocks, X), pooled.logits(X), rtol=1e-4, atol=1e-5)
    snn = convert(pooled, X, method="percentile", percentile=100.0)
    ref = pooled.logits(X)
    assert np.abs(snn.run(X, 512) / 512 - ref).max() < 0.05 * np.abs(ref).max() + 1e-3


def _random_network(g):
    """A random stack of fire, inception, dense-concat, residual (identity or projection, with or
    without the activation after the sum), inverted-residual, pre-activation, convolution and
    pooling modules on a (2, 8, 8) input."""
    from spikecore.conversion import ClippedReLU, Residual
    C, H, linear = int(g.integers(3, 7)), 8, False
    layers = [Conv2D(2, C, 3, padding=1, random_state=g), ReLU()]

    def conv(i, o, k=1, s=1):
        return Conv2D(i, o, k, stride=s, padding=k // 2, random_state=g)

    def bn(c):
        layer = BatchNorm(c)
        layer.mean[:], layer.var[:] = g.normal(0, .2, c), g.random(c) + .5
        layer.gamma[:], layer.beta[:] = g.random(c) + .5, g.normal(0, .1, c)
        return layer

    for _ in range(int(g.integers(1, 5))):
        kind = str(g.choice(["fire", "inception", "googlenet", "dense", "res", "inverted", "preact", "conv", "pool"]))
        act = (lambda: ClippedReLU(6.0)) if g.random() < .3 else ReLU
        if linear and kind in ("fire", "inception", "googlenet", "dense", "pool"):
            layers.append(act())
            linear = False
        if kind == "fire":
            s, e = int(g.integers(2, 5)), int(g.integers(2, 5))
            layers += [conv(C, s), act(), Concat([[conv(s, e), act()], [conv(s, e, 3), act()]])]
            C = 2 * e
        elif kind == "inception":
            a, b = int(g.integers(2, 5)), int(g.integers(2, 5))
            layers.append(Concat([[conv(C, a), act()], [conv(C, 2), act(), conv(2, b, 3), act()], []]))
            C += a + b
        elif kind == "googlenet":  # a max-pooling branch beside a convolution and the identity
            a, b = int(g.integers(2, 5)), int(g.integers(2, 5))
            layers.append(Concat([[conv(C, a), act()], [MaxPool2D(3, stride=1, padding=1), conv(C, b), act()], []]))
            C += a + b
        elif kind == "dense":
            a = int(g.integers(2, 5))
            layers.append(Concat([[], [conv(C, a, 3), bn(a), act()]]))
            C += a
        elif kind == "res":
            if g.random() < .4 and H > 2:
                o = int(g.integers(3, 7))
                layers.append(Residual([conv(C, o, 3, 2), bn(o), act(), conv(o, o, 3), bn(o)], [conv(C, o, 1, 2), bn(o)]))
                C, H = o, H // 2
            else:
                layers.append(Residual([conv(C, C, 3), act(), conv(C, C, 3), bn(C)]))
            linear = g.random() < .3
            if not linear:
                layers.append(act())
        elif kind in ("inverted", "preact"):
            if not linear:
                layers.append(conv(C, C, 1 if kind == "inverted" else 3))
                linear = True
            if kind == "inverted":
                layers.append(Residual([conv(C, 2 * C), bn(2 * C), act(), conv(2 * C, 2 * C, 3), act(), conv(2 * C, C),
                                        bn(C)]))
            else:
                layers.append(Residual([bn(C), ReLU(), conv(C, C, 3), bn(C), ReLU(), conv(C, C, 3)]))
        elif kind == "conv":
            o = int(g.integers(3, 7))
            layers += ([conv(C, o), bn(o), act()] if linear else [conv(C, o, 3), act()])
            C, linear = o, False
        elif H > 2:
            layers.append((MaxPool2D if g.random() < .5 else AvgPool2D)(2))
            H //= 2
    if linear:
        layers.append(ReLU())
    if g.random() < .5:
        layers += [AvgPool2D(H), Flatten(), Dense(C, 3, random_state=g)]
    else:
        layers += [Conv2D(C, 3, 1, random_state=g), ReLU(), AvgPool2D(H), Flatten()]
    return Sequential(layers, (2, 8, 8))


@pytest.mark.parametrize("seed", range(12))
def test_random_branched_networks_refuse_clearly_or_compute_the_ann(seed):
    g = np.random.default_rng(1000 + seed)
    nets = [_random_network(g) for _ in range(8)]
    X = g.random((4, 2, 8, 8)).astype(np.float32)
    for net in nets:
        try:
            _, blocks = to_blocks(net)
        except ValueError as exc:  # an arrangement that does not convert, said so
            assert "expected" in str(exc)
            continue
        ref = net.logits(X).reshape(4, -1)
        got = _block_logits(blocks, X).reshape(4, -1)
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * (np.abs(ref).max() + 1e-3))
