"""ONNX graphs as PyTorch and Keras (tf2onnx) really export them: channels-last inputs, shape
arithmetic for flatten, asymmetric / "same" padding, batch norm as Mul + Add, dilated and grouped
convolutions. Every imported model must compute what onnxruntime computes.

The graphs are written here with ``onnx.helper`` in the layouts the exporters produce (checked
against real exports: torch 2.13 ``torch.onnx.export(..., dynamo=False)`` with a dynamic batch axis,
and tf2onnx 1.17 ``--saved-model`` of Keras 3 models from TensorFlow 2.21, opset 13).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from spikecore.conversion import Reshape, Transpose, convert, load_onnx  # noqa: E402


def _f32(name, arr):
    return numpy_helper.from_array(np.asarray(arr, np.float32), name)


def _i64(name, arr):
    return numpy_helper.from_array(np.asarray(arr, np.int64), name)


def _save(path, nodes, init, in_shape, out_name, batch="N", opset=13):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch] + list(in_shape))
    y = helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, str(path))
    return str(path)


def _ort(path, X):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": X})[0]


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _keras_rgb_cnn(path, rng, offset=-0.5):
    """tf2onnx's export of a Keras CNN on (16, 16, 3) images: Rescaling, Conv2D(same) / stride-2
    Conv2D(same) (pads [0, 0, 1, 1]), Flatten (transpose back to NHWC + Shape arithmetic),
    Dense, BatchNormalization (Mul + Add), Dense, softmax."""
    init = [
        _f32("scale", 1 / 255.0), _f32("offset", offset),
        _f32("w1", rng.normal(0, 0.4, (8, 3, 3, 3))), _f32("b1", rng.normal(0, 0.1, 8)),
        _f32("w2", rng.normal(0, 0.3, (6, 8, 3, 3))), _f32("b2", rng.normal(0, 0.1, 6)),
        _i64("gather_idx", [0]), _i64("starts", [0]), _i64("ends", [1]), _i64("minus1", [-1]),
        _f32("w3", rng.normal(0, 0.2, (6 * 4 * 4, 12))), _f32("b3", rng.normal(0, 0.1, 12)),
        _f32("bn_mul", rng.random(12) + 0.5), _f32("bn_add", rng.normal(0, 0.2, 12)),
        _f32("w4", rng.normal(0, 0.4, (12, 5))), _f32("b4", rng.normal(0, 0.1, 5)),
    ]
    nodes = [
        helper.make_node("Mul", ["x", "scale"], ["r1"]),
        helper.make_node("Add", ["r1", "offset"], ["r2"]),
        helper.make_node("Transpose", ["r2"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["c1"], ["a1"]),
        helper.make_node("AveragePool", ["a1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], pads=[0, 0, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c2"], ["a2"]),
        helper.make_node("Transpose", ["a2"], ["nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Shape", ["a2"], ["shp"]),
        helper.make_node("Gather", ["shp", "gather_idx"], ["n0"]),
        helper.make_node("Cast", ["n0"], ["n1"], to=TensorProto.INT32),
        helper.make_node("Slice", ["n1", "starts", "ends", "starts"], ["n2"]),
        helper.make_node("Cast", ["n2"], ["n3"], to=TensorProto.INT64),
        helper.make_node("Concat", ["n3", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["nhwc", "target"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w3"], ["d3"]),
        helper.make_node("Add", ["d3", "b3"], ["e3"]),
        helper.make_node("Mul", ["e3", "bn_mul"], ["f3"]),
        helper.make_node("Add", ["f3", "bn_add"], ["g3"]),
        helper.make_node("Relu", ["g3"], ["h3"]),
        helper.make_node("MatMul", ["h3", "w4"], ["d4"]),
        helper.make_node("Add", ["d4", "b4"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["prob"], axis=-1),
    ]
    return _save(path, nodes, init, (16, 16, 3), "prob")


def test_keras_channels_last_cnn_matches_onnxruntime(tmp_path):
    rng = np.random.default_rng(0)
    path = _keras_rgb_cnn(tmp_path / "keras.onnx", rng)
    model = load_onnx(path)
    assert model.input_shape == (16, 16, 3)
    assert isinstance(model.layers[2], Transpose) and model.layers[2].axes == (2, 0, 1)
    X = (rng.random((7, 16, 16, 3)) * 255).astype(np.float32)
    np.testing.assert_allclose(_softmax(model.logits(X)), _ort(path, X), atol=1e-5)
    # the batch norm (Mul + Add after the dense layer) is folded, not a Scale layer
    assert [type(L).__name__ for L in model.layers].count("Scale") == 2


def test_keras_cnn_converts_with_its_input_layout(tmp_path):
    rng = np.random.default_rng(1)
    # (no offset: with spike-coded input a shift does not fold exactly into a padded convolution)
    model = load_onnx(_keras_rgb_cnn(tmp_path / "keras.onnx", rng, offset=0.0))
    X = (rng.random((120, 16, 16, 3)) * 255).astype(np.float32)
    ann = model.predict(X)
    for method, T in (("data", 300), ("shift", 64)):
        snn = convert(model, X[:60], method=method)
        assert snn.raw_input_shape == (16, 16, 3) and snn.input_shape == (3, 16, 16)
        assert [type(p).__name__ for p in snn.layout] == ["Transpose"]
        pred = snn.predict(X[60:], timesteps=T, random_state=0)
        assert np.mean(pred == ann[60:]) >= 0.9, method
        # flat rows in the raw (channels-last) order give the same potentials (same Poisson
        # draws: without a random_state two runs differ, and a near-tie can flip a label)
        np.testing.assert_array_equal(snn.run(X[60:].reshape(60, -1), T, random_state=0),
                                      snn.run(X[60:], T, random_state=0))


def test_one_channel_keras_input_reshape(tmp_path):
    """tf2onnx writes NHWC -> NCHW of a one-channel image as a Reshape to (-1, 1, H, W)."""
    rng = np.random.default_rng(2)
    init = [_i64("to_nchw", [-1, 1, 6, 6]), _f32("w", rng.normal(0, 0.5, (3, 1, 3, 3))),
            _f32("wd", rng.normal(0, 0.5, (3 * 4 * 4, 4))), _i64("flat", [0, -1])]
    nodes = [helper.make_node("Reshape", ["x", "to_nchw"], ["a"]),
             helper.make_node("Conv", ["a", "w"], ["b"]),
             helper.make_node("Relu", ["b"], ["c"]),
             helper.make_node("Reshape", ["c", "flat"], ["d"]),
             helper.make_node("MatMul", ["d", "wd"], ["y"])]
    path = _save(tmp_path / "gray.onnx", nodes, init, (6, 6, 1), "y")
    model = load_onnx(path)
    assert isinstance(model.layers[0], Reshape) and model.layers[0].shape == (1, 6, 6)
    X = rng.random((5, 6, 6, 1)).astype(np.float32)
    np.testing.assert_allclose(model.logits(X), _ort(path, X), atol=1e-5)


@pytest.mark.parametrize("batch", ["N", 3])
def test_pytorch_view_flatten(tmp_path, batch):
    """``x.view(x.size(0), -1)`` with a dynamic batch axis: Shape, Gather, Unsqueeze, Concat;
    with a fixed batch of 3 torch writes the constant shape (3, -1)."""
    rng = np.random.default_rng(3)
    init = [_f32("w", rng.normal(0, 0.5, (4, 2, 3, 3))), _f32("b", rng.normal(0, 0.1, 4)),
            _f32("wl", rng.normal(0, 0.3, (5, 4 * 3 * 3))), _f32("bl", rng.normal(0, 0.1, 5))]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("AveragePool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2])]
    if batch == "N":
        nodes += [helper.make_node("Shape", ["p"], ["s"]),
                  helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, np.int64))),
                  helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
                  helper.make_node("Constant", [], ["ax"], value=numpy_helper.from_array(np.array([0], np.int64))),
                  helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
                  helper.make_node("Constant", [], ["m1"], value=numpy_helper.from_array(np.array([-1], np.int64))),
                  helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0)]
    else:
        fixed = numpy_helper.from_array(np.array([3, -1], np.int64))
        nodes += [helper.make_node("Constant", [], ["shape"], value=fixed)]
    nodes += [helper.make_node("Reshape", ["p", "shape"], ["f"]),
              helper.make_node("Gemm", ["f", "wl", "bl"], ["y"], transB=1)]
    path = _save(tmp_path / "view.onnx", nodes, init, (2, 6, 6), "y", batch=batch)
    model = load_onnx(path)
    X = rng.random((3, 2, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(model.logits(X), _ort(path, X), atol=1e-5)


@pytest.mark.parametrize("head", ["squeeze", "reducemean"])
def test_global_average_heads(tmp_path, head):
    """Keras' GlobalAveragePooling2D (GlobalAveragePool + Squeeze) and PyTorch's x.mean((2, 3))
    (ReduceMean, keepdims 0) before the classifier."""
    rng = np.random.default_rng(4)
    init = [_f32("w", rng.normal(0, 0.5, (6, 2, 3, 3))), _f32("wd", rng.normal(0, 0.5, (6, 3))),
            _i64("axes", [2, 3])]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"])]
    if head == "squeeze":
        nodes += [helper.make_node("GlobalAveragePool", ["r"], ["g"]),
                  helper.make_node("Squeeze", ["g", "axes"], ["f"])]
    else:
        nodes += [helper.make_node("ReduceMean", ["r"], ["f"], axes=[2, 3], keepdims=0)]
    nodes += [helper.make_node("MatMul", ["f", "wd"], ["y"])]
    path = _save(tmp_path / "gap.onnx", nodes, init, (2, 5, 5), "y")
    X = rng.random((4, 2, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(load_onnx(path).logits(X), _ort(path, X), atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([1, 2]), st.sampled_from([1, 2]),
       st.sampled_from(["pads", "SAME_UPPER", "SAME_LOWER", "VALID", "pad-node"]), st.sampled_from([1, 2, 4]))
def test_convolution_variants_match_onnxruntime(tmp_path_factory, seed, stride, dilation, padding, group):
    """Asymmetric pads, auto_pad, a separate Pad node, dilation and groups (4 = depthwise)."""
    rng = np.random.default_rng(seed)
    C, H, W = 4, int(rng.integers(5, 10)), int(rng.integers(5, 10))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    c_out = 4 * int(rng.integers(1, 3))
    init = [_f32("w", rng.normal(0, 0.5, (c_out, C // group, kh, kw))), _f32("b", rng.normal(0, 0.1, c_out))]
    kw_args = dict(strides=[stride, stride], dilations=[dilation, dilation], group=group)
    nodes = []
    src = "x"
    if padding == "pads":
        kw_args["pads"] = [int(v) for v in rng.integers(0, 3, 4)]
    elif padding == "pad-node":
        p = [int(v) for v in rng.integers(0, 3, 4)]
        init.append(_i64("padding", [0, 0, p[0], p[1], 0, 0, p[2], p[3]]))
        nodes.append(helper.make_node("Pad", ["x", "padding"], ["xp"], mode="constant"))
        src = "xp"
    else:
        kw_args["auto_pad"] = padding
    nodes.append(helper.make_node("Conv", [src, "w", "b"], ["y"], **kw_args))
    path = _save(tmp_path_factory.mktemp("conv") / "conv.onnx", nodes, init, (C, H, W), "y")
    X = rng.random((2, C, H, W)).astype(np.float32)
    try:
        ref = _ort(path, X)
    except Exception:  # a configuration onnxruntime itself rejects (output smaller than 1)
        return
    model = load_onnx(path)
    np.testing.assert_allclose(model.logits(X), ref, atol=1e-4)
    # the operation count is that of the grouped convolution, not of its zero-padded full kernel
    # (dilation also widens the kernel with zero taps)
    (name, macs, adds), = [r for r in model.macs() if "Conv2D" in r[0]]
    assert macs == ref.shape[2] * ref.shape[3] * np.count_nonzero(numpy_helper.to_array(init[0]))


@pytest.mark.parametrize("axes", [[2, 3], [-1, -2], [3]])
def test_opset18_pad_with_axes(tmp_path, axes):
    """Opset 18's Pad lists the padded axes in a fourth input; the pads are those axes' only."""
    rng = np.random.default_rng(1)
    pads = [int(v) for v in rng.integers(0, 3, 2 * len(axes))]
    init = [_f32("w", rng.normal(0, 0.5, (3, 2, 3, 3))), _i64("pads", pads), _i64("axes", axes)]
    nodes = [helper.make_node("Pad", ["x", "pads", "", "axes"], ["xp"], mode="constant"),
             helper.make_node("Conv", ["xp", "w"], ["y"])]
    path = _save(tmp_path / "pad18.onnx", nodes, init, (2, 5, 6), "y", opset=18)
    X = rng.random((2, 2, 5, 6)).astype(np.float32)
    np.testing.assert_allclose(load_onnx(path).logits(X), _ort(path, X), atol=1e-5)


def test_layout_errors_are_clear(tmp_path):
    rng = np.random.default_rng(5)
    init = [_f32("w", rng.normal(0, 0.5, (3, 2, 3, 3))), _i64("bad", [2, -1])]
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2, 3])]
    with pytest.raises(ValueError, match="Transpose.*batch axis must stay first"):
        load_onnx(_save(tmp_path / "a.onnx", nodes, init, (2, 4, 4), "t"))
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("MaxPool", ["t"], ["y"], kernel_shape=[2, 2])]
    with pytest.raises(ValueError, match="MaxPool.*after a transpose"):
        load_onnx(_save(tmp_path / "b.onnx", nodes, init, (2, 4, 4), "y"))
    nodes = [helper.make_node("Reshape", ["x", "bad"], ["y"])]
    with pytest.raises(ValueError, match="Reshape.*batch axis must stay first"):
        load_onnx(_save(tmp_path / "c.onnx", nodes, init, (2, 4, 4), "y"))


def test_reshape_and_transpose_layers():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    t = Transpose((1, 2, 0))
    y = t.forward(x)
    assert y.shape == (2, 4, 5, 3) and t.output_shape((3, 4, 5)) == (4, 5, 3)
    assert np.array_equal(y, x.transpose(0, 2, 3, 1))
    assert np.array_equal(t.backward(y), x)
    r = Reshape((12, 5))
    assert np.array_equal(r.backward(r.forward(x)), x) and r.output_shape((3, 4, 5)) == (12, 5)
    with pytest.raises(ValueError, match="axes"):
        Transpose((0, 0, 1))
    with pytest.raises(ValueError, match="shape"):
        r.output_shape((3, 4, 4))
