"""Linear bottlenecks (MobileNetV2, Sandler et al., 2018) and other linear maps between synaptic
layers: a 1x1 convolution (or a dense layer) directly after a layer with no activation folds into
it, and a residual block whose input has no activation carries that input's own inputs as
shortcuts. Checked against the ANN (the blocks compute its logits), against onnxruntime on
MobileNetV2-style graphs, and by the converted network's accuracy.
"""
import os
import sys

import numpy as np
import pytest

from spikecore.conversion import (AvgPool2D, BatchNorm, ClippedReLU, Conv2D, Dense, Flatten, ReLU, Residual,
                                  Sequential, convert, to_graph)
from spikecore.conversion.blocks import to_blocks

sys.path.insert(0, os.path.dirname(__file__))  # the conversion tests' helpers beside this file
from conversion_helpers import block_logits as _block_logits, digits_split as _digits  # noqa: E402


def _mobilenet_v2(seed=0, bn_stats=False):
    """Stem, a block without expansion (3x3, then a linear 1x1 projection), two inverted residual
    blocks (1x1 expansion, ReLU6, 3x3, ReLU6, linear 1x1 projection, identity shortcut, no
    activation after the addition), a 1x1 convolution with ReLU6, global average pooling, dense."""
    g = np.random.default_rng(seed)

    def conv(i, o, k=1):
        return Conv2D(i, o, k, padding=k // 2, random_state=g)

    def bn(n):
        layer = BatchNorm(n)
        if bn_stats:
            layer.mean[:] = g.normal(0, 0.2, n)
            layer.var[:] = g.random(n) + 0.5
            layer.gamma[:] = g.random(n) + 0.5
            layer.beta[:] = g.normal(0, 0.1, n)
        return layer

    def inverted(c, t):
        h = c * t
        return Residual([conv(c, h), bn(h), ClippedReLU(6.0), conv(h, h, 3), bn(h), ClippedReLU(6.0),
                         conv(h, c), bn(c)])

    layers = [conv(1, 8, 3), bn(8), ClippedReLU(6.0), conv(8, 8, 3), bn(8), ClippedReLU(6.0), conv(8, 4), bn(4),
              inverted(4, 3), inverted(4, 3), conv(4, 16), bn(16), ClippedReLU(6.0), AvgPool2D(8), Flatten(),
              Dense(16, 10, random_state=g)]
    return Sequential(layers, (1, 8, 8))


def test_linear_bottlenecks_fold_and_reproduce_the_ann():
    """Each expansion folds into the projection before it; the second block's expansion also
    reads the first projection's input (the shortcut), the final 1x1 both earlier ones."""
    net = _mobilenet_v2(bn_stats=True)
    X = np.random.default_rng(1).random((6, 1, 8, 8)).astype(np.float32)
    _, blocks = to_blocks(net)
    assert [[s for _, s in b.skips] for b in blocks] == [[], [], [], [], [1], [], [3, 1], []]
    assert [b.activation for b in blocks] == ["clip"] * 7 + [None]
    ref = net.logits(X)
    np.testing.assert_allclose(_block_logits(blocks, X), ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
    # the expansion folded into the projection: one 1x1 convolution 8 -> 12 reading block 1
    assert blocks[2].layer.weight.shape == (12, 8, 1, 1)


def test_linear_maps_that_fold_and_that_do_not():
    g = np.random.default_rng(0)
    X = g.random((5, 12)).astype(np.float32)
    dense = Sequential([Dense(12, 8, random_state=g), Dense(8, 6, random_state=g), ReLU(),
                        Dense(6, 3, random_state=g)], (12,))
    _, blocks = to_blocks(dense)
    assert len(blocks) == 2 and blocks[0].layer.weight.shape == (6, 12)
    np.testing.assert_allclose(_block_logits(blocks, X), dense.logits(X), rtol=1e-4, atol=1e-5)
    three_by_three = Sequential([Conv2D(1, 2, 3, padding=1, random_state=g), ReLU(),
                                 Conv2D(2, 2, 1, random_state=g), Conv2D(2, 2, 3, padding=1, random_state=g), ReLU(),
                                 Flatten(), Dense(128, 3, random_state=g)], (1, 8, 8))
    with pytest.raises(ValueError, match="1x1 convolution with stride 1 and no padding"):
        to_blocks(three_by_three)
    flattened = Sequential([Conv2D(1, 2, 3, padding=1, random_state=g), ReLU(), Conv2D(2, 2, 1, random_state=g),
                            Flatten(), Dense(128, 3, random_state=g)], (1, 8, 8))
    with pytest.raises(ValueError, match="after a dense layer"):
        to_blocks(flattened)
    linear_branch = Sequential([Conv2D(1, 2, 3, padding=1, random_state=g), ReLU(), Conv2D(2, 2, 1, random_state=g),
                                Residual([Conv2D(2, 2, 1, random_state=g)]), ReLU(), Flatten(),
                                Dense(128, 3, random_state=g)], (1, 8, 8))
    with pytest.raises(ValueError, match="activation inside"):
        to_blocks(linear_branch)


def test_pre_activation_residual_blocks():
    """ResNet v2 (He et al., 2016b): the branch starts with batch norm and ReLU of the block's
    input, which has no activation; the shortcut carries that input's own inputs."""
    g = np.random.default_rng(3)

    def bn(n):
        layer = BatchNorm(n)
        layer.mean[:], layer.var[:] = g.normal(0, 0.2, n), g.random(n) + 0.5
        layer.gamma[:], layer.beta[:] = g.random(n) + 0.5, g.normal(0, 0.1, n)
        return layer

    def pre_act(c):
        return Residual([bn(c), ReLU(), Conv2D(c, c, 3, padding=1, random_state=g), bn(c), ReLU(),
                         Conv2D(c, c, 3, padding=1, random_state=g)])

    net = Sequential([Conv2D(1, 4, 3, padding=1, random_state=g), ReLU(), Conv2D(4, 4, 3, padding=1, random_state=g),
                      pre_act(4), pre_act(4), bn(4), ReLU(), AvgPool2D(2), Flatten(), Dense(64, 3, random_state=g)],
                     (1, 8, 8))
    X = g.random((6, 1, 8, 8)).astype(np.float32)
    _, blocks = to_blocks(net)
    assert [[s for _, s in b.skips] for b in blocks] == [[], [], [], [0], [], [2, 0], []]
    np.testing.assert_allclose(_block_logits(blocks, X), net.logits(X), rtol=1e-4, atol=1e-4)


def test_relu6_ceiling_caps_lambda_and_qcfs_keeps_it():
    """A ReLU6 layer's lambda is min(6, the data's); only QCFS takes the ceiling itself."""
    from spikecore.conversion.convert import layer_lambdas
    net = _mobilenet_v2(bn_stats=True)
    X = np.random.default_rng(2).random((40, 1, 8, 8)).astype(np.float32).reshape(40, -1)
    _, blocks = to_blocks(net)
    capped = layer_lambdas(blocks, X, "max")
    assert layer_lambdas(blocks, X, "max", ceilings="exact") == [6.0] * 7
    assert all(0 < lam <= 6.0 for lam in capped) and min(capped) < 6.0
    first = float(np.clip(blocks[0].linear(X), 0, 6).max())  # the largest activation of layer 1
    assert capped[0] == pytest.approx(first, rel=1e-6)


@pytest.fixture(scope="module")
def trained():
    Xtr, ytr, Xte, yte = _digits()
    net = _mobilenet_v2().fit(Xtr, ytr, epochs=6, batch_size=32, learning_rate=3e-3, random_state=0)
    return net, Xtr, Xte, yte


def test_mobilenet_v2_style_network_converts_on_digits(trained):
    net, Xtr, Xte, yte = trained
    ann = net.score(Xte, yte)
    assert ann > 0.85
    snn = convert(net, Xtr[:300])  # shift (the default)
    assert snn.score(Xte, yte, timesteps=128, random_state=0) >= ann - 0.03
    # the ANN's cost is its own layers' (the folded expansion x projection would count more)
    assert snn.operations()["ann_macs"] == sum(m for _, m, _ in net.macs())


def test_linear_bottleneck_network_exports_to_nir_and_runs_the_same(trained, tmp_path):
    nir_mod = pytest.importorskip("spikecore.interop.nir")
    pytest.importorskip("nir")
    from spikecore.conversion.export import graph_inputs
    net, Xtr, Xte, _ = trained
    snn = convert(net, Xtr[:200], method="percentile")
    X, T = Xte[:20], 24
    ref = snn.run(X, T)
    graph = to_graph(snn, T)
    assert {"skip4", "skip6", "skip6_1"} <= set(graph.nodes)  # one synapse node per shortcut
    path = tmp_path / "bottleneck.nir"
    nir_mod.write_nir(graph, path)
    back = nir_mod.from_nir(str(path), as_graph=True)
    pot = back.run(graph_inputs(snn, X, T))[back.outputs[0]][-1]
    np.testing.assert_allclose(pot, ref, rtol=1e-4, atol=1e-3)


# ----------------------------------------------------------------------------------------- ONNX
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from spikecore.conversion import load_onnx  # noqa: E402


def _mobilenet_graph(path, rng, *, batch_norm, swap_add):
    """MobileNetV2 as PyTorch writes it (ReLU6 as Clip with min/max inputs, depthwise convolutions
    as Conv with group = channels, the projection's Add with the shortcut, no activation after it),
    on a (2, 8, 8) input."""
    init = []

    def f32(name, arr):
        init.append(numpy_helper.from_array(np.asarray(arr, np.float32), name))
        return name

    nodes = []
    count = [0]

    def node(op, inputs, **attrs):
        count[0] += 1
        out = "t%d" % count[0]
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv(x, cin, cout, k=1, group=1, stride=1):
        w = f32("w%d" % len(init), rng.normal(0, 1.0 / np.sqrt(cin // group * k * k), (cout, cin // group, k, k)))
        b = f32("b%d" % len(init), rng.normal(0, 0.1, cout))
        return node("Conv", [x, w, b], pads=[k // 2] * 4, group=group, strides=[stride, stride])

    def relu6(x):
        return node("Clip", [x, "zero", "six"])

    def bn(x, c):
        if not batch_norm:
            return x
        args = [f32("g%d" % len(init), rng.random(c) + 0.5), f32("be%d" % len(init), rng.normal(0, 0.1, c)),
                f32("mu%d" % len(init), rng.normal(0, 0.2, c)), f32("var%d" % len(init), rng.random(c) + 0.5)]
        return node("BatchNormalization", [x] + args)

    f32("zero", 0.0)
    f32("six", 6.0)
    s = relu6(conv("x", 2, 6, 3))
    y = bn(conv(relu6(conv(s, 6, 6, 3, group=6)), 6, 3), 3)  # t = 1: depthwise, linear projection
    for _ in range(2):  # inverted residual blocks, t = 2
        h = relu6(conv(relu6(bn(conv(y, 3, 6), 6)), 6, 6, 3, group=6))
        p = bn(conv(h, 6, 3), 3)
        y = node("Add", [y, p] if swap_add else [p, y])
    top = relu6(conv(y, 3, 8))
    flat = node("Flatten", [node("GlobalAveragePool", [top])])
    nodes.append(helper.make_node("Gemm", [flat, f32("wd", rng.normal(0, 0.5, (3, 8))), f32("bd", np.zeros(3))],
                                  ["logits"], transB=1))
    graph = helper.make_graph(nodes, "mnv2", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])], init)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


@pytest.mark.parametrize("variant", [dict(batch_norm=False, swap_add=False), dict(batch_norm=True, swap_add=True)])
def test_mobilenet_v2_graphs_match_onnxruntime_and_convert(tmp_path, variant):
    rng = np.random.default_rng(5)
    path = str(tmp_path / "mnv2.onnx")
    _mobilenet_graph(path, rng, **variant)
    net = load_onnx(path)
    X = rng.random((16, 2, 8, 8)).astype(np.float32)
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["logits"], {"x": X})[0]
    np.testing.assert_allclose(net.logits(X), ref, rtol=1e-4, atol=1e-5)
    _, blocks = to_blocks(net)
    assert [[s for _, s in b.skips] for b in blocks] == [[], [], [], [], [1], [], [3, 1], []]
    snn = convert(net, X, method="percentile", percentile=100.0)
    z = snn.run(X, 512) / 512  # the integrated output approaches the logits
    assert np.abs(z - ref).max() < 0.05 * np.abs(ref).max() + 0.02
