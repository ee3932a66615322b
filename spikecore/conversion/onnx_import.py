r"""Import a feed-forward ONNX model (MLP or CNN) as a :class:`~.ann.Sequential`.

Supported operators (ONNX operator specification, opset 7-21), mapped onto
:mod:`spikecore.conversion.layers`:

=============================================== =================================================
ONNX                                            layer
=============================================== =================================================
``Gemm`` (``alpha``, ``beta``, ``transB``)       :class:`Dense`, :math:`W = \alpha B^\top` (or
                                                :math:`\alpha B` with ``transB=1``), :math:`b = \beta C`
``MatMul`` by a constant, then ``Add``           :class:`Dense` (the ``Add`` becomes its bias)
``Conv`` (2-D, ``group=1``, no dilation)         :class:`Conv2D` (symmetric ``pads``)
``BatchNormalization``                          :class:`BatchNorm` (inference statistics)
``Relu``; ``Clip`` with min 0                    :class:`ReLU`; :class:`ClippedReLU` (ceiling = max)
``AveragePool``, ``GlobalAveragePool``          :class:`AvgPool2D`
``MaxPool``                                     :class:`MaxPool2D`
``Flatten`` (axis 1), ``Reshape`` to (N, -1)     :class:`Flatten`
``Add``/``Sub``/``Mul``/``Div`` by a constant    :class:`Scale` (input normalisation), or folded into
                                                the bias of the preceding dense/convolution layer
``Identity``, ``Dropout``, ``Cast``              nothing (identity at inference)
``Softmax``, ``LogSoftmax``, ``ArgMax`` and the  ignored: the model ends at the logits
label nodes after them
=============================================== =================================================

The graph must be one chain from its (single, non-initializer) input: every supported node
consumes the running tensor and constants (initializers or ``Constant`` nodes). Anything else
raises ValueError naming the node and its operator. The ``onnx`` package is optional
(``pip install onnx``) and imported only here.
"""
import os

import numpy as np

from spikecore import _validate as V

from .ann import Sequential
from .layers import (AvgPool2D, BatchNorm, ClippedReLU, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Scale)

__all__ = ["load_onnx"]

_POST = ("Softmax", "LogSoftmax", "ArgMax")
_AFTER_POST = ("Softmax", "LogSoftmax", "ArgMax", "ArrayFeatureExtractor", "ZipMap", "Reshape", "Cast",
               "Identity", "Flatten", "Squeeze", "Unsqueeze", "Constant", "LabelEncoder")


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as exc:
        raise ImportError("spikecore.conversion.load_onnx needs the optional 'onnx' package: pip install onnx") from exc
    return onnx, numpy_helper


def _attrs(node, onnx):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _err(node, why):
    raise ValueError("ONNX node %r (operator %s): %s" % (node.name or node.output[0], node.op_type, why))


def _symmetric_pads(node, pads):
    pads = list(pads or [0, 0, 0, 0])
    if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
        _err(node, "pads %s: only symmetric 2-D padding converts" % pads)
    return (int(pads[0]), int(pads[1]))


def load_onnx(path):
    """Read an ONNX model file into a :class:`~.ann.Sequential` (operators in the module docstring).

    Parameters
    ----------
    path : str or path-like
        The ``.onnx`` file.

    Returns
    -------
    Sequential
        Computes the logits the ONNX model computes (post-processing after them dropped).

    Raises
    ------
    ImportError
        ``onnx`` is not installed.
    ValueError
        Unsupported operator or graph shape (the message names the node and the operator), or a
        file that is not a valid ONNX model (the message names the file).
    """
    onnx, nh = _onnx()
    path = os.fspath(path)
    if not os.path.isfile(path):
        V.fail("path", path, "an existing ONNX file", FileNotFoundError)
    try:
        model = onnx.load(path)
    except Exception as exc:  # protobuf DecodeError and friends
        raise ValueError("%s: not a readable ONNX model (%s)" % (path, exc)) from exc
    graph = model.graph
    consts = {t.name: nh.to_array(t) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in consts]
    if len(inputs) != 1:
        V.fail("path", path, "a model with one input (found %d)" % len(inputs))
    dims = inputs[0].type.tensor_type.shape.dim
    in_shape = tuple(int(d.dim_value) for d in dims[1:])
    if not in_shape or min(in_shape) < 1:
        V.fail("path", path, "an input with a batch axis and fixed per-sample sizes (found %s)"
               % [d.dim_value or d.dim_param for d in dims])
    running = inputs[0].name
    layers, shape = [], in_shape
    last_synaptic = None  # the Dense/Conv2D that produced the running tensor, for bias folding
    finished = False

    def push(layer):
        nonlocal shape
        shape = layer.output_shape(shape)
        layers.append(layer)

    for node in graph.node:
        op, a = node.op_type, _attrs(node, onnx)
        if op == "Constant":
            val = a.get("value")
            if val is None:
                _err(node, "only tensor-valued Constant nodes are supported")
            consts[node.output[0]] = nh.to_array(val)
            continue
        if finished:
            if op not in _AFTER_POST:
                _err(node, "unsupported operator after the output post-processing")
            continue
        ins = list(node.input)
        if running not in ins:
            _err(node, "does not consume the running tensor %r (only a single chain of operators converts)" % running)
        others = [i for i in ins if i != running and i != ""]
        for o in others:
            if o not in consts:
                _err(node, "input %r is neither the running tensor nor a constant" % o)
        produced = None
        if op in _POST:
            finished = True
            continue
        if op in ("Identity", "Dropout", "Cast"):
            produced = last_synaptic
        elif op == "Gemm":
            if ins[0] != running or a.get("transA", 0):
                _err(node, "only Gemm(x, W, b) with transA = 0")
            if len(shape) != 1:
                _err(node, "a Gemm needs a flat input (found per-sample shape %s); add a Flatten" % (shape,))
            B = consts[ins[1]].astype(np.float32)
            W = (B if a.get("transB", 0) else B.T) * np.float32(a.get("alpha", 1.0))
            bias = np.zeros(W.shape[0], np.float32)
            if len(ins) > 2 and ins[2]:
                bias = bias + np.float32(a.get("beta", 1.0)) * np.broadcast_to(consts[ins[2]].astype(np.float32).ravel(), W.shape[:1])
            push(Dense(W.shape[1], W.shape[0], weight=W, bias=bias))
            produced = layers[-1]
        elif op == "MatMul":
            if ins[0] != running:
                _err(node, "only MatMul(x, W) with a constant right operand")
            B = consts[ins[1]].astype(np.float32)
            if B.ndim != 2 or len(shape) != 1 or B.shape[0] != shape[0]:
                _err(node, "a 2-D constant (%d, n) for a flat input of %s (got %s)" % (int(np.prod(shape)), shape, B.shape))
            push(Dense(B.shape[0], B.shape[1], weight=B.T))
            produced = layers[-1]
        elif op == "Conv":
            W = consts[ins[1]].astype(np.float32)
            if W.ndim != 4:
                _err(node, "only 2-D convolutions (weight of 4 axes, got %d)" % W.ndim)
            if a.get("group", 1) != 1:
                _err(node, "group = %d: only group = 1" % a["group"])
            if any(d != 1 for d in a.get("dilations", [1, 1])):
                _err(node, "dilations %s: only 1" % a["dilations"])
            if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
                _err(node, "auto_pad %s: only explicit pads" % a["auto_pad"])
            bias = consts[ins[2]].astype(np.float32) if len(ins) > 2 and ins[2] else None
            push(Conv2D(W.shape[1], W.shape[0], W.shape[2:], stride=tuple(a.get("strides", [1, 1])),
                        padding=_symmetric_pads(node, a.get("pads")), weight=W, bias=bias))
            produced = layers[-1]
        elif op == "BatchNormalization":
            scale, beta, mean, var = (consts[i].astype(np.float32) for i in ins[1:5])
            push(BatchNorm(scale.size, eps=a.get("epsilon", 1e-5), gamma=scale, beta=beta, mean=mean, var=var))
        elif op == "Relu":
            push(ReLU())
        elif op == "Clip":
            lo = a.get("min", None)
            hi = a.get("max", None)
            if len(ins) > 1 and ins[1]:
                lo = float(consts[ins[1]])
            if len(ins) > 2 and ins[2]:
                hi = float(consts[ins[2]])
            if lo is None or float(lo) != 0.0:
                _err(node, "Clip with min = %s: only min = 0 (a clipped ReLU) converts" % lo)
            push(ReLU() if hi is None or not np.isfinite(hi) else ClippedReLU(float(hi)))
        elif op in ("AveragePool", "MaxPool"):
            if a.get("ceil_mode", 0):
                _err(node, "ceil_mode = 1 is not supported")
            if op == "MaxPool" and any(d != 1 for d in a.get("dilations", [1, 1])):
                _err(node, "dilations are not supported")
            k = tuple(a["kernel_shape"])
            pads = _symmetric_pads(node, a.get("pads"))
            if op == "AveragePool" and any(pads) and not a.get("count_include_pad", 0):
                _err(node, "padded average pooling with count_include_pad = 0 is not supported")
            cls = AvgPool2D if op == "AveragePool" else MaxPool2D
            push(cls(k, tuple(a.get("strides", [1, 1])), pads))
        elif op == "GlobalAveragePool":
            if len(shape) != 3:
                _err(node, "needs a (C, H, W) input, got %s" % (shape,))
            push(AvgPool2D(shape[1:], shape[1:]))
        elif op == "Flatten":
            if a.get("axis", 1) != 1:
                _err(node, "axis = %d: only axis = 1" % a["axis"])
            push(Flatten())
        elif op == "Reshape":
            target = [int(s) for s in consts[ins[1]].ravel()]
            n = int(np.prod(shape))
            if len(target) != 2 or target[1] not in (-1, n) or target[0] not in (-1, 0):
                if not (len(target) == 2 and target[0] == -1 and target[1] == n):
                    _err(node, "shape %s: only a flatten to (batch, %d)" % (target, n))
            push(Flatten())
        elif op in ("Add", "Sub", "Mul", "Div"):
            if len(others) != 1:
                _err(node, "one operand must be a constant")
            c = consts[others[0]].astype(np.float32)
            running_first = ins[0] == running
            if op == "Div" and not running_first:
                _err(node, "division of a constant by the input is not supported")
            # per-sample broadcast shape: drop a leading batch axis of size 1
            cs = c.reshape(c.shape[1:]) if c.ndim == len(shape) + 1 and c.shape[0] == 1 else c
            try:
                np.broadcast_to(cs, shape)
            except ValueError:
                _err(node, "constant of shape %s does not broadcast to the per-sample shape %s" % (c.shape, shape))
            if op in ("Add", "Sub") and last_synaptic is not None and layers[-1] is last_synaptic:
                sign = -1.0 if (op == "Sub" and running_first) else 1.0
                L = last_synaptic
                if not running_first and op == "Sub":
                    _err(node, "constant minus the output of a layer is not supported")
                if isinstance(L, Dense):
                    L.bias += np.float32(sign) * np.broadcast_to(cs, shape).reshape(-1)
                else:
                    full = np.broadcast_to(cs, shape).reshape(shape[0], -1)
                    if not np.all(full == full[:, :1]):
                        _err(node, "a per-pixel addition after a convolution is not supported")
                    L.bias += np.float32(sign) * full[:, 0]
                produced = L
            else:
                if op == "Add":
                    s = Scale(1.0, cs)
                elif op == "Sub":
                    s = Scale(1.0, -cs) if running_first else Scale(-1.0, cs)
                elif op == "Mul":
                    s = Scale(cs, 0.0)
                else:
                    s = Scale(1.0 / cs, 0.0)
                push(s)
        else:
            _err(node, "unsupported operator (supported: Gemm, MatMul, Add, Sub, Mul, Div, Conv, "
                       "BatchNormalization, Relu, Clip, AveragePool, MaxPool, GlobalAveragePool, Flatten, "
                       "Reshape, Identity, Dropout, Cast, and Softmax/ArgMax post-processing)")
        last_synaptic = produced
        running = node.output[0]
    if not layers:
        V.fail("path", path, "a model with at least one supported layer")
    return Sequential(layers, in_shape)
