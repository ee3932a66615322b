"""ONNX import: outputs equal onnxruntime's; scikit-learn's MLPClassifier converts; clear errors."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from spikecore.conversion import convert, load_onnx  # noqa: E402


def _const(name, arr):
    return numpy_helper.from_array(np.asarray(arr, np.float32), name)


def _cnn_graph(path, rng):
    """A PyTorch-style CNN: normalisation, Conv/BN/Relu/MaxPool, Conv/Clip/AveragePool,
    GlobalAveragePool-free flatten, Gemm, Softmax."""
    init = [
        _const("mean", [0.25]), _const("std", [0.5]),
        _const("w1", rng.normal(0, 0.5, (4, 1, 3, 3))), _const("b1", rng.normal(0, 0.1, 4)),
        _const("g", rng.random(4) + 0.5), _const("be", rng.normal(0, 0.1, 4)),
        _const("mu", rng.normal(0, 0.1, 4)), _const("var", rng.random(4) + 0.5),
        _const("w2", rng.normal(0, 0.5, (6, 4, 3, 3))),
        _const("w3", rng.normal(0, 0.5, (10, 24))), _const("b3", rng.normal(0, 0.1, 10)),
        _const("lo", 0.0), _const("hi", 2.0),
    ]
    nodes = [
        helper.make_node("Sub", ["x", "mean"], ["a"]),
        helper.make_node("Div", ["a", "std"], ["b"]),
        helper.make_node("Conv", ["b", "w1", "b1"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "g", "be", "mu", "var"], ["d"], epsilon=1e-5),
        helper.make_node("Relu", ["d"], ["e"]),
        helper.make_node("MaxPool", ["e"], ["f"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["f", "w2"], ["g2"], pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["g2", "lo", "hi"], ["h"]),
        helper.make_node("AveragePool", ["h"], ["i"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["i"], ["j"], axis=1),
        helper.make_node("Dropout", ["j"], ["k"]),
        helper.make_node("Gemm", ["k", "w3", "b3"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["prob"], axis=1),
    ]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10]),
                               helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 10])], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, path)


def test_cnn_matches_onnxruntime(tmp_path):
    rng = np.random.default_rng(0)
    path = str(tmp_path / "cnn.onnx")
    _cnn_graph(path, rng)
    net = load_onnx(path)
    X = rng.random((7, 1, 8, 8)).astype(np.float32)
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["logits"], {"x": X})[0]
    np.testing.assert_allclose(net.logits(X), ref, rtol=1e-4, atol=1e-4)
    snn = convert(net, X, method="percentile")  # converts (max pool, clip, avg pool, BN, scaling)
    assert snn.predict(X, 16).shape == (7,)


def _pool_graph(path, rng, op, size=9):
    """Conv/Relu, a 3x3 stride-2 pooling with ceil_mode = 1 (GoogLeNet's), flatten, Gemm."""
    out = -(-(size - 3) // 2) + 1
    init = [_const("w1", rng.normal(0, 0.5, (3, 1, 3, 3))), _const("w2", rng.normal(0, 0.5, (4, 3 * out * out)))]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node(op, ["b"], ["c"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
             helper.make_node("Flatten", ["c"], ["d"], axis=1),
             helper.make_node("Gemm", ["d", "w2"], ["logits"], transB=1)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, size, size])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 4])
    graph = helper.make_graph(nodes, "pool", [x], [y], init)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def test_ceil_mode_max_pooling_matches_onnxruntime_and_converts(tmp_path):
    rng = np.random.default_rng(0)
    for size in (8, 9):  # ceil_mode changes the output size at 8 (4 against 3), not at 9
        path = str(tmp_path / ("maxpool%d.onnx" % size))
        _pool_graph(path, rng, "MaxPool", size)
        net = load_onnx(path)
        X = rng.random((5, 1, size, size)).astype(np.float32)
        ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["logits"], {"x": X})[0]
        np.testing.assert_allclose(net.logits(X), ref, rtol=1e-5, atol=1e-6)
        snn = convert(net, X, method="percentile", percentile=100.0)
        assert np.abs(snn.run(X, 1024) / 1024 - ref).max() < 0.05 * np.abs(ref).max()
    _pool_graph(str(tmp_path / "avg9.onnx"), rng, "AveragePool", 9)  # same size either way: accepted
    load_onnx(str(tmp_path / "avg9.onnx"))
    _pool_graph(str(tmp_path / "avg8.onnx"), rng, "AveragePool", 8)
    with pytest.raises(ValueError, match="ceil_mode = 1 that changes the output size"):
        load_onnx(str(tmp_path / "avg8.onnx"))


def test_unsupported_operator_names_node(tmp_path):
    nodes = [helper.make_node("Sigmoid", ["x"], ["y"], name="act1")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])])
    path = str(tmp_path / "bad.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    with pytest.raises(ValueError, match=r"'act1'.*Sigmoid"):
        load_onnx(path)


def test_not_an_onnx_file(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x08\x07garbage" * 10)
    with pytest.raises(ValueError, match="junk.onnx"):
        load_onnx(path)


def test_sklearn_mlpclassifier_converts(tmp_path):
    sk = pytest.importorskip("sklearn.neural_network")
    skl2onnx = pytest.importorskip("skl2onnx")
    from spikecore.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    idx = np.random.default_rng(0).permutation(len(X))
    tr, te = idx[:1300], idx[1300:]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: a short fit is enough here
        clf = sk.MLPClassifier((64,), max_iter=40, random_state=0).fit(X[tr], y[tr])
    model = skl2onnx.to_onnx(clf, X[:1], options={id(clf): {"zipmap": False}})
    path = str(tmp_path / "mlp.onnx")
    onnx.save(model, path)
    net = load_onnx(path)
    prob = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["probabilities"], {"X": X[te]})[0]
    z = net.logits(X[te])
    e = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(1, keepdims=True), prob, rtol=1e-4, atol=1e-5)
    ann = net.score(X[te], y[te])
    assert ann == pytest.approx(clf.score(X[te], y[te]), abs=1e-9)
    snn = convert(net, X[tr[:500]], method="percentile")
    assert snn.score(X[te], y[te], 64) >= ann - 0.03
