"""Residual blocks (He et al., 2016) in the ANN, the ONNX importer and the conversion.

The importer is checked against onnxruntime on ResNet-style graphs in the orders PyTorch and
other exporters write them (identity and projection shortcuts, batch norms folded or not, the
shortcut before or after the branch); the conversion against the ANN it converts.
"""
import os
import sys

import numpy as np
import pytest

from spikecore.conversion import (BatchNorm, Conv2D, Dense, Flatten, ReLU, Residual, Sequential, convert,
                                  small_resnet, to_graph)
from spikecore.conversion.blocks import to_blocks

sys.path.insert(0, os.path.dirname(__file__))  # the layer-gradient helper of the ANN tests beside this file
from conversion_helpers import block_logits, digits_split as _digits, onnx_matches_and_converts  # noqa: E402
from test_conversion_ann import _numeric_grad  # noqa: E402


def _resnet(channels=(4, 8), pool="avg", seed=0, bn_stats=False):
    """``small_resnet``: a stem, an identity residual block, a strided block with a 1x1 projection,
    pooling, dense; optionally with non-trivial batch-norm statistics."""
    net = small_resnet((1, 8, 8), channels=channels, pool=pool, random_state=seed)
    if bn_stats:
        g = np.random.default_rng(seed + 1)
        layers = net.layers
        for layer in layers + layers[3].branch + layers[5].branch + layers[5].shortcut:
            if isinstance(layer, BatchNorm):
                layer.mean[:] = g.normal(0, 0.2, layer.mean.size)
                layer.var[:] = g.random(layer.var.size) + 0.5
                layer.gamma[:] = g.random(layer.gamma.size) + 0.5
                layer.beta[:] = g.normal(0, 0.1, layer.beta.size)
    return net


# ---------------------------------------------------------------------------------------- ANN
@pytest.mark.parametrize("shortcut", [None, "projection"])
def test_residual_gradients_match_finite_differences(shortcut):
    g = np.random.default_rng(0)
    short = None if shortcut is None else [Conv2D(2, 3, 1, stride=2, random_state=g), BatchNorm(3)]
    cin = 3 if shortcut is None else 2
    layer = Residual([Conv2D(cin, 3, 3, stride=1 if shortcut is None else 2, padding=1, random_state=g), ReLU(),
                      Conv2D(3, 3, 3, padding=1, random_state=g)], short)
    x = g.normal(size=(2, cin, 4, 4))
    proj = g.normal(size=layer.forward(x.astype(np.float32)).shape)

    def loss():
        return float((layer.forward(x.astype(np.float32)) * proj).sum())

    layer.forward(x.astype(np.float32))
    gx = layer.backward(proj.astype(np.float32))
    np.testing.assert_allclose(gx, _numeric_grad(loss, x), rtol=2e-2, atol=2e-2)
    for k, p in enumerate(layer.params):
        layer.forward(x.astype(np.float32))
        layer.backward(proj.astype(np.float32))
        np.testing.assert_allclose(layer.grads[k], _numeric_grad(loss, p), rtol=2e-2, atol=2e-2)


def test_small_resnet_shapes_and_errors():
    net = small_resnet((3, 16, 16), n_classes=5, channels=(4, 8, 16), pool="max", random_state=0)
    assert net.shapes[-1] == (5,)
    assert [type(L).__name__ for L in net.layers].count("Residual") == 3
    assert net.layers[-5].shortcut[0].stride == (2, 2)
    with pytest.raises(ValueError, match="divisible by 2"):
        small_resnet((1, 8, 8), channels=(4, 8, 16, 32))
    with pytest.raises(ValueError, match="channels"):
        small_resnet(channels=())


def test_residual_shape_errors_and_macs():
    with pytest.raises(ValueError, match="shortcut"):
        Sequential([Residual([Conv2D(2, 3, 3, padding=1)])], (2, 4, 4))  # identity: 2 channels in, 3 out
    with pytest.raises(ValueError, match="branch"):
        Residual([])
    with pytest.raises(TypeError, match=r"branch\[0\]"):
        Residual(["conv"])
    net = _resnet()
    rows = dict((name, (macs, adds)) for name, macs, adds in net.macs())
    assert rows["5.shortcut.0:Conv2D(4, 8, kernel_size=(1, 1), stride=(2, 2), padding=(0, 0))"] == (16 * 32, 0)
    assert rows["3:sum"] == (0, 4 * 8 * 8)


def test_blocks_reproduce_the_residual_ann():
    """Batch norms folded into the branches and the projection, the projection's bias moved to the
    branch's last block: the blocks with their shortcuts compute the ANN's logits."""
    for pool in ("avg", "max"):
        net = _resnet(pool=pool, bn_stats=True)
        X = np.random.default_rng(1).random((6, 1, 8, 8)).astype(np.float32)
        _, blocks = to_blocks(net)
        assert [[s for _, s in b.skips] for b in blocks] == [[], [], [0], [], [2], []]
        np.testing.assert_allclose(block_logits(blocks, X), net.logits(X), rtol=1e-4, atol=1e-4)


def test_arrangements_that_do_not_convert():
    X = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    g = np.random.default_rng(0)
    on_input = Sequential([Residual([Conv2D(1, 1, 3, padding=1, random_state=g)]), ReLU(), Flatten(),
                           Dense(64, 3, random_state=g)], (1, 8, 8))
    with pytest.raises(ValueError, match="after a hidden layer"):
        to_blocks(on_input)
    activated_end = Sequential([Conv2D(1, 2, 3, padding=1, random_state=g), ReLU(),
                                Residual([Conv2D(2, 2, 3, padding=1, random_state=g), ReLU()]), ReLU(),
                                Flatten(), Dense(128, 3, random_state=g)], (1, 8, 8))
    with pytest.raises(ValueError, match="ends in a dense or convolution layer"):
        to_blocks(activated_end)
    bad_shortcut = Sequential([Conv2D(1, 2, 3, padding=1, random_state=g), ReLU(),
                               Residual([Conv2D(2, 2, 3, padding=1, random_state=g)],
                                        [Conv2D(2, 2, 1, random_state=g), ReLU()]), ReLU(),
                               Flatten(), Dense(128, 3, random_state=g)], (1, 8, 8))
    with pytest.raises(ValueError, match="shortcut"):
        to_blocks(bad_shortcut)
    last = Sequential([Conv2D(1, 2, 3, padding=1, random_state=g), ReLU(),
                       Residual([Conv2D(2, 2, 3, padding=1, random_state=g)])], (1, 8, 8))
    _, blocks = to_blocks(last)  # the output layer integrates its shortcut's spikes too
    assert [[s for _, s in b.skips] for b in blocks] == [[], [0]]
    snn = convert(last, X, method="percentile", percentile=100.0)
    ref = last.logits(X).reshape(len(X), -1)
    assert np.abs(snn.run(X, 512) / 512 - ref).max() < 0.05 * np.abs(ref).max() + 0.01
    net = _resnet()
    for method in ("ttfs", "tsc"):
        with pytest.raises(ValueError, match="residual"):
            convert(net, X, method=method)


# ----------------------------------------------------------------------------------- conversion
def test_identity_shortcut_alone_copies_its_source_spike_for_spike():
    """A residual block whose branch ends in zero weights passes its source through the identity
    shortcut: with the same lambda on both sides, every source spike is one unit of current and
    the block fires exactly the source's spikes (one synaptic addition each)."""
    g = np.random.default_rng(3)
    end = Conv2D(3, 3, 3, padding=1, weight=np.zeros((3, 3, 3, 3), np.float32))
    net = Sequential([Conv2D(1, 3, 3, padding=1, random_state=g), ReLU(),
                      Residual([Conv2D(3, 3, 3, padding=1, random_state=g), ReLU(), end]), ReLU(),
                      Flatten(), Dense(3 * 36, 4, random_state=g)], (1, 6, 6))
    X = g.random((20, 1, 6, 6)).astype(np.float32)
    snn = convert(net, X, method="percentile", percentile=100.0)
    assert snn.lambdas[1] == snn.lambdas[3]
    snn.run(X, 40)
    s = snn.last_stats
    np.testing.assert_array_equal(s["out_spikes"][2], s["out_spikes"][0])
    ops = snn.operations()
    assert ops["spikes_per_layer"][3] == ops["spikes_per_layer"][1] > 0
    branch_adds = float(s["in_spikes"][2] @ snn._fan_out[2])  # the zero kernel has no synapse: 0
    assert branch_adds == 0.0
    assert ops["synaptic_adds_per_layer"][2] == pytest.approx(ops["spikes_per_layer"][1])


def test_residual_cnn_on_digits_converts_within_a_point_of_the_ann():
    Xtr, ytr, Xte, yte = _digits()
    net = _resnet().fit(Xtr, ytr, epochs=5, batch_size=32, learning_rate=3e-3, random_state=0)
    ann = net.score(Xte, yte)
    assert ann > 0.93
    snn = convert(net, Xtr[:300])  # "shift"
    assert snn.score(Xte, yte, 32, random_state=0) >= ann - 0.015
    # Poisson input with reset by subtraction. (Reset to zero, methods "data"/"model", loses the
    # charge above threshold and scores ~0.4 on this 6-layer network with or without shortcuts:
    # 0.48 with the shortcuts and 0.37 without them at T = 256.)
    assert convert(net, Xtr[:300], method="rmp").score(Xte, yte, 256, random_state=0) >= ann - 0.02
    # Spike-Norm measures the junction's threshold with both paths spiking (Sengupta et al., 2019)
    sn = convert(net, Xtr[:100], method="spike-norm", reset="subtract")
    assert sn.score(Xte, yte, 256, random_state=0) >= ann - 0.03
    # the dense and event-driven propagations agree (a block with a shortcut always takes the dense one)
    a = snn.run(Xte[:40], 24, propagation="dense")
    b = snn.run(Xte[:40], 24, propagation="event")
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)


# ----------------------------------------------------------------------------------------- ONNX
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from spikecore.conversion import load_onnx  # noqa: E402


def _graph(path, rng, *, shortcut_first=False, swap_add=False, batch_norm=False, identity=False):
    """x -> Conv/Relu (stem) -> [Conv/Relu/Conv (+ BN)] + shortcut -> Relu -> GlobalAveragePool ->
    Flatten -> Gemm. ``shortcut_first`` writes the projection's nodes before the branch's,
    ``swap_add`` the branch as the Add's second operand."""
    def f32(name, arr):
        return numpy_helper.from_array(np.asarray(arr, np.float32), name)
    cb = 4 if identity else 6
    init = [f32("w0", rng.normal(0, 0.5, (4, 2, 3, 3))), f32("b0", rng.normal(0, 0.1, 4)),
            f32("w1", rng.normal(0, 0.3, (cb, 4, 3, 3))), f32("b1", rng.normal(0, 0.1, cb)),
            f32("w2", rng.normal(0, 0.3, (cb, cb, 3, 3))), f32("b2", rng.normal(0, 0.1, cb)),
            f32("ws", rng.normal(0, 0.5, (cb, 4, 1, 1))), f32("bs", rng.normal(0, 0.1, cb)),
            f32("wd", rng.normal(0, 0.5, (3, cb))), f32("bd", rng.normal(0, 0.1, 3))]
    stride = 1 if identity else 2
    branch = [helper.make_node("Conv", ["s", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[stride, stride]),
              helper.make_node("Relu", ["c1"], ["r1"]),
              helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1])]
    end = "c2"
    short, short_out = [], "s"
    if batch_norm:
        for k, n in (("g", cb), ("be", cb), ("mu", cb)):
            init.append(f32(k, rng.normal(1.0 if k == "g" else 0.0, 0.2, n)))
        init.append(f32("var", rng.random(cb) + 0.5))
        branch.append(helper.make_node("BatchNormalization", ["c2", "g", "be", "mu", "var"], ["n2"]))
        end = "n2"
    if not identity:
        short = [helper.make_node("Conv", ["s", "ws", "bs"], ["p"], strides=[2, 2])]
        short_out = "p"
    body = short + branch if shortcut_first else branch + short
    nodes = ([helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], pads=[1, 1, 1, 1]),
              helper.make_node("Relu", ["c0"], ["s"])] + body +
             [helper.make_node("Add", [short_out, end] if swap_add else [end, short_out], ["sum"]),
              helper.make_node("Relu", ["sum"], ["r"]),
              helper.make_node("GlobalAveragePool", ["r"], ["gap"]),
              helper.make_node("Flatten", ["gap"], ["flat"]),
              helper.make_node("Gemm", ["flat", "wd", "bd"], ["logits"], transB=1)])
    graph = helper.make_graph(nodes, "res", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])], init)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


@pytest.mark.parametrize("variant", [dict(), dict(shortcut_first=True), dict(swap_add=True, batch_norm=True),
                                     dict(identity=True), dict(identity=True, swap_add=True, batch_norm=True)])
def test_residual_graphs_match_onnxruntime_and_convert(tmp_path, variant):
    rng = np.random.default_rng(7)
    path = str(tmp_path / "res.onnx")
    _graph(path, rng, **variant)
    net = onnx_matches_and_converts(path, rng.random((16, 2, 8, 8)).astype(np.float32), 1e-5, 0.02)
    assert sum(isinstance(L, Residual) for L in net.layers) == 1


def test_graphs_that_are_not_residual_blocks(tmp_path):
    rng = np.random.default_rng(0)

    def f32(name, arr):
        return numpy_helper.from_array(np.asarray(arr, np.float32), name)

    def save(nodes, outs, name):
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                                  [helper.make_tensor_value_info(o, TensorProto.FLOAT, ["N", 4]) for o in outs],
                                  [f32("w", rng.normal(size=(4, 4))), f32("v", rng.normal(size=(4, 4)))])
        path = str(tmp_path / name)
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
        return path

    three_way = save([helper.make_node("Relu", ["x"], ["r"]),
                      helper.make_node("MatMul", ["r", "w"], ["a"]),
                      helper.make_node("MatMul", ["r", "v"], ["b"]),
                      helper.make_node("Add", ["a", "b"], ["c"]),
                      helper.make_node("Add", ["c", "r"], ["y"], name="third")], ["y"], "three.onnx")
    with pytest.raises(ValueError, match="tensor .r. feeds 1 more operators"):
        load_onnx(three_way)
    dangling = save([helper.make_node("MatMul", ["x", "w"], ["a"]),
                     helper.make_node("Relu", ["a"], ["y"]),
                     helper.make_node("MatMul", ["a", "v"], ["z"])], ["y", "z"], "dangling.onnx")
    with pytest.raises(ValueError, match="dangling.onnx"):
        load_onnx(dangling)
    concat = save([helper.make_node("MatMul", ["x", "w"], ["a"]),
                   helper.make_node("MatMul", ["x", "v"], ["b"]),
                   helper.make_node("Concat", ["a", "b"], ["y"], axis=1, name="cat")], ["y"], "concat.onnx")
    net = load_onnx(concat)  # a concatenation of two branches of the input imports ...
    X = rng.normal(size=(3, 4)).astype(np.float32)
    ref = ort.InferenceSession(concat, providers=["CPUExecutionProvider"]).run(["y"], {"x": X})[0]
    np.testing.assert_allclose(net.logits(X), ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="concatenation after a hidden layer"):  # ... but does not convert
        to_blocks(net)
    crossed = save([helper.make_node("Relu", ["x"], ["r"]),
                    helper.make_node("MatMul", ["r", "w"], ["a"]), helper.make_node("Relu", ["a"], ["ra"]),
                    helper.make_node("MatMul", ["r", "v"], ["b"]),
                    helper.make_node("Concat", ["b", "ra"], ["y"], axis=1, name="crossed"),
                    helper.make_node("MatMul", ["ra", "w"], ["z"])], ["y", "z"], "crossed.onnx")
    with pytest.raises(ValueError, match="'crossed'.*same tensor"):
        load_onnx(crossed)


def test_residual_network_exports_to_nir_and_runs_the_same(tmp_path):
    nir_mod = pytest.importorskip("spikecore.interop.nir")
    pytest.importorskip("nir")
    Xtr, ytr, Xte, yte = _digits()
    net = _resnet(bn_stats=True)
    for method in ("percentile", "data"):  # reset by subtraction (sub-graph) and to zero (IF node)
        snn = convert(net, Xtr[:200], method=method)
        X, T = Xte[:30], 24
        ref = snn.run(X, T, random_state=2)
        graph = to_graph(snn, T)
        kinds = [n.kind for n in graph.nodes.values()]
        assert kinds.count("Conv2d") == 7  # 5 convolutions and 2 shortcuts (identity, projection)
        path = tmp_path / ("res_%s.nir" % method)
        nir_mod.write_nir(graph, path)
        back = nir_mod.from_nir(str(path), as_graph=True)
        from spikecore.conversion.export import graph_inputs
        pot = back.run(graph_inputs(snn, X, T, random_state=2))[back.outputs[0]][-1]
        np.testing.assert_array_equal(pot.argmax(1), ref.argmax(1))
        np.testing.assert_allclose(pot, ref, rtol=1e-4, atol=1e-3)
    lava = pytest.importorskip("spikecore.interop.lava")
    with pytest.raises(ValueError, match="one chain"):
        lava.write_netx(to_graph(snn, output="spiking"), tmp_path / "res.net")


def test_nested_residual_blocks(tmp_path):
    """A residual block inside another's branch (the inner shortcut starts inside the outer branch)."""
    rng = np.random.default_rng(0)
    init = [numpy_helper.from_array(rng.normal(0, 0.4, (3, 3, 3, 3)).astype(np.float32), "w%d" % k)
            for k in range(1, 5)]
    init += [numpy_helper.from_array(rng.normal(0, 0.5, (3, 1, 3, 3)).astype(np.float32), "w0"),
             numpy_helper.from_array(rng.normal(0, 0.5, (2, 3)).astype(np.float32), "wd")]

    def conv(i, o, w):
        return helper.make_node("Conv", [i, w], [o], pads=[1, 1, 1, 1])

    nodes = [conv("x", "s0", "w0"), helper.make_node("Relu", ["s0"], ["s"]),
             conv("s", "a", "w1"), helper.make_node("Relu", ["a"], ["ar"]),
             conv("ar", "b", "w2"), helper.make_node("Relu", ["b"], ["br"]), conv("br", "c", "w3"),
             helper.make_node("Add", ["ar", "c"], ["inner"]), helper.make_node("Relu", ["inner"], ["ir"]),
             conv("ir", "d", "w4"), helper.make_node("Add", ["d", "s"], ["outer"]),
             helper.make_node("Relu", ["outer"], ["o"]), helper.make_node("GlobalAveragePool", ["o"], ["g"]),
             helper.make_node("Flatten", ["g"], ["fl"]), helper.make_node("Gemm", ["fl", "wd"], ["logits"], transB=1)]
    graph = helper.make_graph(nodes, "nested", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 6, 6])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])], init)
    path = str(tmp_path / "nested.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    net = load_onnx(path)
    X = rng.random((8, 1, 6, 6)).astype(np.float32)
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": X})[0]
    np.testing.assert_allclose(net.logits(X), ref, rtol=1e-4, atol=1e-5)
    snn = convert(net, X, method="percentile", percentile=100.0)
    assert [[s for _, s in b.skips] for b in snn.blocks] == [[], [], [], [1], [0], []]
    assert np.abs(snn.run(X, 1024) / 1024 - ref).max() < 0.02 * np.abs(ref).max() + 0.005


def test_logits_read_by_two_post_processing_operators(tmp_path):
    """Softmax and ArgMax both reading the logits (a classifier's usual outputs) is no fork."""
    rng = np.random.default_rng(0)
    init = [numpy_helper.from_array(rng.normal(size=(4, 3)).astype(np.float32), "w")]
    nodes = [helper.make_node("MatMul", ["x", "w"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["prob"], axis=1),
             helper.make_node("ArgMax", ["logits"], ["label"], axis=1)]
    graph = helper.make_graph(nodes, "post", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 3]),
                               helper.make_tensor_value_info("label", TensorProto.INT64, ["N", 1])], init)
    path = str(tmp_path / "post.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    X = rng.random((5, 4)).astype(np.float32)
    np.testing.assert_allclose(load_onnx(path).logits(X), X @ numpy_helper.to_array(init[0]), rtol=1e-5)
