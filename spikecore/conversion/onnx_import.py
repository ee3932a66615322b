r"""Import a feed-forward ONNX model (MLP or CNN) as a :class:`~.ann.Sequential`.

Supported operators (ONNX operator specification, opset 7-21), mapped onto
:mod:`spikecore.conversion.layers`:

=============================================== =================================================
ONNX                                            layer
=============================================== =================================================
``Gemm`` (``alpha``, ``beta``, ``transB``)       :class:`Dense`, :math:`W = \alpha B^\top` (or
                                                :math:`\alpha B` with ``transB=1``), :math:`b = \beta C`
``MatMul`` by a constant, then ``Add``           :class:`Dense` (the ``Add`` becomes its bias)
``Conv`` (2-D)                                  :class:`Conv2D` (see below for padding, dilation, groups)
``Pad`` (constant 0, spatial axes) + ``Conv``    the padding joins the convolution's
``BatchNormalization``                          :class:`BatchNorm` (inference statistics)
``Relu``; ``Clip`` with min 0                    :class:`ReLU`; :class:`ClippedReLU` (ceiling = max)
``AveragePool``, ``GlobalAveragePool``,         :class:`AvgPool2D`
``ReduceMean`` over (H, W)
``MaxPool`` (``ceil_mode`` too)                  :class:`MaxPool2D`
``Flatten`` (axis 1); ``Reshape``, ``Squeeze``,  :class:`Flatten` to (N, -1); otherwise :class:`Reshape`
``Unsqueeze`` keeping the batch axis first      (same values, same order)
``Transpose`` keeping the batch axis first      on the input: :class:`Transpose` (e.g. Keras' NHWC
                                                images to NCHW); before a flatten into a dense
                                                layer: folded into that layer's weight columns
``Add``/``Sub``/``Mul``/``Div`` by a constant    :class:`Scale` (input normalisation), or folded into
                                                the weights/bias of the preceding dense/convolution
                                                layer (``Mul``/``Div`` per output unit or channel:
                                                a batch norm exported as ``Mul`` + ``Add``)
``Add`` of two tensors that branch from one       :class:`~.layers.Residual` (a residual block,
tensor                                          :math:`F(x) + G(x)`; below)
``Concat`` (channels) of tensors that branch     :class:`~.layers.Concat` (fire, inception and
from one tensor                                 dense blocks, :math:`[F_1(x); \dots]`; below)
``Identity``, ``Dropout``, ``Cast``              nothing (identity at inference)
``Softmax``, ``LogSoftmax``, ``ArgMax`` and the  ignored: the model ends at the logits
label nodes after them
=============================================== =================================================

Shape arithmetic is evaluated at import time: ``Shape`` of the running tensor (its batch size
unknown) and any node whose inputs are all constants (``Gather``, ``Slice``, ``Concat``,
``Unsqueeze``, ``Cast``, ``Mul``, ... as PyTorch's ``x.view(x.size(0), -1)`` and tf2onnx's
flatten export them) become constants, so a ``Reshape`` fed by them is read like one with a
constant shape.

Convolutions: asymmetric ``pads`` (tf2onnx's ``padding="same"`` with stride 2) and
``auto_pad="SAME_UPPER"/"SAME_LOWER"`` become symmetric padding around a kernel enlarged with
rows/columns of zeros on the side that had less padding; ``dilations`` become a kernel with zeros
between its taps; ``group > 1`` (e.g. depthwise) becomes a full convolution whose kernel is zero
between groups. All three are exact. The zero taps are stored (im2col computes over the full
kernel; the event-driven kernel adds only a tap's nonzero channels), but they are no synapses: the
operation counts (``Sequential.macs``, the converted network's ``fan_out``, ``macs`` and
synaptic additions) count only nonzero weights, i.e. those of the grouped, dilated convolution.

The graph must be a chain from its (single, non-initializer) input: every supported node
consumes one tensor of the chain and constants (initializers, ``Constant`` nodes, or folded shape
arithmetic), except residual blocks: where a tensor :math:`x` feeds two operators, the two
branches are read as chains of their own until an ``Add`` joins them, :math:`F(x) + G(x)`, in any
node order (PyTorch writes the shortcut after the branch, other exporters before it); the branch
with fewer dense/convolution layers, or :math:`x` itself, is the shortcut :math:`G`; likewise a
``Concat`` along the channels of the branches of one tensor (SqueezeNet's fire modules,
inception modules, DenseNet's :math:`[x, F(x)]`) becomes a :class:`~.layers.Concat` layer.
Branches may nest. A tensor read by more operators than its join consumes, an ``Add`` or
``Concat`` of tensors from different forks, and anything else raise ValueError naming the node
and its operator. The
``onnx`` package is optional (``pip install onnx``) and imported only here.
"""
import os

import numpy as np

from spikecore import _validate as V

from .ann import Sequential
from .layers import (AvgPool2D, BatchNorm, ClippedReLU, Concat, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Reshape, Residual,
                     Scale, Transpose)

__all__ = ["load_onnx"]

_POST = ("Softmax", "LogSoftmax", "ArgMax")
_AFTER_POST = ("Softmax", "LogSoftmax", "ArgMax", "ArrayFeatureExtractor", "ZipMap", "Reshape", "Cast",
               "Identity", "Flatten", "Squeeze", "Unsqueeze", "Constant", "LabelEncoder")
_UNKNOWN_BATCH = 1_000_003  # stands for the unknown batch size in folded shape arithmetic
_SUPPORTED = ("Gemm, MatMul, Add (also of two residual branches), Concat (of branches), Sub, Mul, Div, Conv, Pad, "
              "BatchNormalization, Relu, Clip, AveragePool, MaxPool, GlobalAveragePool, ReduceMean, Flatten, "
              "Reshape, Squeeze, Unsqueeze, Transpose, Identity, Dropout, Cast, shape arithmetic on constants, "
              "and Softmax/ArgMax post-processing")


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as exc:
        raise ImportError("spikecore.conversion.load_onnx needs the optional 'onnx' package: pip install onnx") from exc
    return onnx, numpy_helper


def _attrs(node, onnx):
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _err(node, why):
    raise ValueError("ONNX node %r (operator %s): %s" % (node.name or node.output[0], node.op_type, why))


def _axes(node, a, ins, consts, ndim):
    """The ``axes`` of Squeeze/Unsqueeze/ReduceMean (attribute before opset 13/18, input after),
    made non-negative for a tensor of ``ndim`` axes (batch included); None when absent."""
    axes = a.get("axes")
    if axes is None and len(ins) > 1 and ins[1]:
        axes = consts[ins[1]].ravel().tolist()
    if axes is None:
        return None
    return sorted(int(x) + ndim if int(x) < 0 else int(x) for x in axes)


# ------------------------------------------------------------------------- constant folding
def _fold(node, a, vals, nh):
    """Evaluate a node whose inputs are all constants (shape arithmetic); None if not foldable."""
    op = node.op_type
    x = vals[0] if vals else None
    if op in ("Identity", "Cast"):
        if op == "Cast":
            import onnx
            return [x.astype(onnx.helper.tensor_dtype_to_np_dtype(a["to"]))]
        return [x]
    if op == "Gather":
        return [np.take(x, vals[1].astype(np.int64), axis=a.get("axis", 0))]
    if op == "Concat":
        return [np.concatenate([np.atleast_1d(v) for v in vals], axis=a.get("axis", 0))]
    if op == "Unsqueeze":
        axes = a.get("axes", None)
        axes = vals[1].ravel().tolist() if axes is None else axes
        out = x
        for ax in sorted(int(v) + out.ndim + 1 if int(v) < 0 else int(v) for v in axes):
            out = np.expand_dims(out, ax)
        return [out]
    if op == "Squeeze":
        axes = a.get("axes", None)
        if axes is None and len(vals) > 1:
            axes = vals[1].ravel().tolist()
        return [np.squeeze(x) if axes is None else np.squeeze(x, axis=tuple(int(v) for v in axes))]
    if op == "Slice":
        if "starts" in a:  # opset < 10
            starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
        else:
            starts, ends = vals[1].tolist(), vals[2].tolist()
            axes = vals[3].tolist() if len(vals) > 3 and vals[3] is not None else None
            steps = vals[4].tolist() if len(vals) > 4 and vals[4] is not None else None
        axes = list(range(len(starts))) if axes is None else axes
        steps = [1] * len(starts) if steps is None else steps
        idx = [slice(None)] * x.ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            idx[int(ax)] = slice(int(st), int(en), int(sp))
        return [x[tuple(idx)]]
    if op in ("Add", "Sub", "Mul", "Div"):
        y = vals[1]
        if op == "Div" and np.issubdtype(x.dtype, np.integer):
            return [np.floor_divide(x, y)]
        return [{"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](x, y)]
    if op == "ReduceProd":
        axes = a.get("axes")
        if axes is None and len(vals) > 1:
            axes = vals[1].ravel().tolist()
        keep = bool(a.get("keepdims", 1))
        return [np.prod(x, axis=None if axes is None else tuple(axes), keepdims=keep)]
    if op == "Reshape":
        return [x.reshape([d if d != 0 else x.shape[i] for i, d in enumerate(vals[1].tolist())])]
    if op == "ConstantOfShape":
        value = nh.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full(x.astype(np.int64).tolist(), value.ravel()[0], value.dtype)]
    if op == "Range":
        return [np.arange(x, vals[1], vals[2])]
    if op == "Size":
        return [np.array(x.size, np.int64)]
    if op == "Shape":
        return [np.array(x.shape, np.int64)[a.get("start", 0):a.get("end", None)]]
    return None


# ------------------------------------------------------------------------- convolution kernels
def _conv_pads(node, a, in_hw, k, dil):
    """(top, left, bottom, right) padding of a Conv from ``pads`` or ``auto_pad``."""
    mode = a.get("auto_pad", "NOTSET")
    strides = list(a.get("strides", [1, 1]))
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        begin, end = [], []
        for n, kk, s, d in zip(in_hw, k, strides, dil):
            out = -(-n // s)
            total = max((out - 1) * s + (kk - 1) * d + 1 - n, 0)
            small, large = total // 2, total - total // 2
            begin.append(small if mode == "SAME_UPPER" else large)
            end.append(large if mode == "SAME_UPPER" else small)
        return begin[0], begin[1], end[0], end[1]
    if mode not in ("NOTSET", "VALID"):
        _err(node, "auto_pad %s: expected NOTSET, VALID, SAME_UPPER or SAME_LOWER" % mode)
    pads = list(a.get("pads", [0, 0, 0, 0])) if mode == "NOTSET" else [0, 0, 0, 0]
    if len(pads) != 4:
        _err(node, "pads %s: a 2-D convolution has 4 pads" % pads)
    return tuple(int(p) for p in pads)


def _conv_weight(node, W, group, dil, pads):
    """A group=1, dilation-1 kernel with symmetric padding computing the same convolution
    (module docstring): returns (weight, (pad_h, pad_w))."""
    c_out, c_in_g, kh, kw = W.shape
    if group != 1:
        if c_out % group:
            _err(node, "group = %d does not divide %d output channels" % (group, c_out))
        full = np.zeros((c_out, c_in_g * group, kh, kw), np.float32)
        per = c_out // group
        for g in range(group):
            full[g * per:(g + 1) * per, g * c_in_g:(g + 1) * c_in_g] = W[g * per:(g + 1) * per]
        W = full
    dh, dw = dil
    if dh != 1 or dw != 1:
        spread = np.zeros(W.shape[:2] + ((kh - 1) * dh + 1, (kw - 1) * dw + 1), np.float32)
        spread[:, :, ::dh, ::dw] = W
        W = spread
    top, left, bottom, right = pads
    ph, pw = max(top, bottom), max(left, right)
    if (top, left) != (bottom, right):
        grown = np.zeros(W.shape[:2] + (W.shape[2] + 2 * ph - top - bottom, W.shape[3] + 2 * pw - left - right),
                         np.float32)
        grown[:, :, ph - top:ph - top + W.shape[2], pw - left:pw - left + W.shape[3]] = W
        W = grown
    return np.ascontiguousarray(W), (ph, pw)


def _symmetric_pads(node, pads):
    pads = list(pads or [0, 0, 0, 0])
    if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
        _err(node, "pads %s: only symmetric 2-D padding converts for pooling" % pads)
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
        Computes the logits the ONNX model computes (post-processing after them dropped). Its
        ``input_shape`` is the ONNX input's per-sample shape (channels-last for a Keras CNN,
        whose leading ``Transpose`` becomes the first layer).

    Raises
    ------
    ImportError
        ``onnx`` is not installed.
    ValueError
        Unsupported operator or graph shape (the message names the node and the operator), or a
        file that is not a valid ONNX model (the message names the file).
    """
    path = V.path("path", path)
    onnx, nh = _onnx()
    if not os.path.isfile(path):
        V.fail("path", path, "an existing ONNX file", FileNotFoundError)
    try:
        model = onnx.load(path)
    except Exception as exc:  # protobuf DecodeError and friends
        raise ValueError("%s: not a readable ONNX model (%s); expected an ONNX protobuf file" % (path, exc)) from exc
    try:
        return _Importer(model, path, onnx, nh).run()
    except ValueError as exc:  # an unsupported node, or values a damaged file holds: name the file
        if str(path) in str(exc):
            raise
        raise type(exc)("%s: %s" % (path, exc)) from exc
    except (TypeError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        raise ValueError("%s: not a valid ONNX model (%s: %s)" % (path, type(exc).__name__, exc)) from exc


class _Importer:
    """One pass over the nodes of a chain-shaped graph (see :func:`load_onnx`)."""

    def __init__(self, model, path, onnx, nh):
        self.graph, self.path, self.onnx, self.nh = model.graph, path, onnx, nh
        self.consts = {t.name: nh.to_array(t) for t in self.graph.initializer}
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            V.fail("path", path, "a model with one input (found %d)" % len(inputs))
        dims = inputs[0].type.tensor_type.shape.dim
        self.in_shape = tuple(int(d.dim_value) for d in dims[1:])
        if not self.in_shape or min(self.in_shape) < 1:
            V.fail("path", path, "an input with a batch axis and fixed per-sample sizes (found %s)"
                   % [d.dim_value or d.dim_param for d in dims])
        self.batch = int(dims[0].dim_value) if dims[0].dim_value > 0 else _UNKNOWN_BATCH
        self.running = inputs[0].name
        self.layers, self.shape = [], self.in_shape
        self.shapes = {self.running: self.in_shape}  # per-sample shape of every tensor of the chain
        self.last_synaptic = None  # the Dense/Conv2D that produced the running tensor (folding)
        self.order = None  # pending transpose: original flat index of each value, in the ONNX layout
        self.columns = None  # flattened pending transpose, to fold into the next dense layer
        self.pad = None  # a pending Pad, joined to the next Conv: (top, left, bottom, right)
        self.fork = None  # the tensor this chain branches from (None: the chain from the model input)
        # Residual blocks: the graph forks where a tensor feeds two operators and joins at an Add of
        # two tensors. Every chain being built is kept by its running tensor (``chains``); a chain
        # that reached a fork waits in ``forks`` (with the operators of the fork still to come)
        # until its branches are added up and it continues with a Residual layer.
        self.users = {}  # tensor -> operators reading it as data (Shape/Size read only its shape;
        # the output post-processing, e.g. Softmax and ArgMax both on the logits, is dropped)
        for node in self.graph.node:
            if node.op_type not in ("Shape", "Size") + _POST:
                for name in set(i for i in node.input if i):
                    self.users[name] = self.users.get(name, 0) + 1
        self.chains = {}
        self.forks = {}

    # ------------------------------------------------------------------ helpers
    def push(self, layer):
        self.shape = layer.output_shape(self.shape)
        self.layers.append(layer)

    @property
    def logical_shape(self):
        """Per-sample shape of the running tensor as the ONNX graph sees it."""
        return self.order.shape if self.order is not None else self.shape

    def only_layout_so_far(self):
        return self.fork is None and all(isinstance(L, (Scale, Flatten, Reshape, Transpose)) for L in self.layers)

    # ------------------------------------------------------------------ chains and residual blocks
    _STATE = ("layers", "shape", "last_synaptic", "order", "columns", "pad", "running", "fork")

    def save(self):
        """The state of the chain being built, as a dict (see :meth:`load`)."""
        return {k: getattr(self, k) for k in self._STATE}

    def load(self, chain):
        for k in self._STATE:
            setattr(self, k, chain[k])

    def park(self, node):
        """File the current chain under its running tensor, or as a fork when several operators
        read that tensor."""
        n = self.users.get(self.running, 0)
        if n < 2:
            self.chains[self.running] = self.save()
            return
        if self.order is not None or self.columns is not None or self.pad is not None:
            _err(node, "a tensor read by several operators right after a transpose or a pad does not convert")
        self.forks[self.running] = dict(trunk=self.save(), open=n)

    def enter(self, node, name):
        """Make the chain whose running tensor is ``name`` current (a new branch if ``name`` is a
        fork)."""
        if name in self.forks:
            fork = self.forks[name]
            fork["open"] -= 1
            self.load(dict(layers=[], shape=self.shapes[name], last_synaptic=None, order=None, columns=None,
                           pad=None, running=name, fork=name))
        elif name in self.chains:
            self.load(self.chains.pop(name))
        else:
            _err(node, "input %r is not produced by a converted operator from the model input (the graph must be a "
                 "chain of operators, with residual blocks)" % name)

    def branches(self, node, names, what):
        """The chains ending in ``names`` (the fork's tensor itself: an empty chain, the identity),
        all branches of one fork; returns ``(sides, fork name)``. ``what`` names the join in the
        error ("a residual branch", "a concatenated branch")."""
        sides = []
        for name in names:
            if name in self.forks:  # the fork's tensor itself: the identity
                self.forks[name]["open"] -= 1
                sides.append(dict(layers=[], fork=name, order=None, columns=None, pad=None))
            elif name in self.chains:
                sides.append(self.chains.pop(name))
            else:
                _err(node, "input %r is not produced by a converted operator from the model input" % name)
        forks = {side["fork"] for side in sides}
        if None in forks or len(forks) != 1:
            _err(node, "adds two tensors that do not branch from the same tensor (only residual blocks, "
                 "y = F(x) + G(x), convert)" if node.op_type == "Add" else
                 "concatenates tensors that do not branch from the same tensor (only concatenations of the "
                 "branches of one tensor, y = [F_1(x); ...; F_k(x)], convert)")
        for side in sides:
            if side["order"] is not None or side["columns"] is not None or side["pad"] is not None:
                _err(node, "%s that ends in a transpose or a pad does not convert" % what)
        return sides, forks.pop()

    def join(self, node, fork_name, layer, open_message, fail_message):
        """Close the fork ``fork_name`` (every operator reading it consumed, else ``open_message``
        % (fork, count)): its trunk continues with ``layer()`` (a ValueError from it: ``fail_message``)."""
        fork = self.forks[fork_name]
        if fork["open"]:
            _err(node, open_message % (fork_name, fork["open"]))
        del self.forks[fork_name]
        self.load(fork["trunk"])
        try:
            self.push(layer())
        except ValueError as exc:
            _err(node, "%s: %s" % (fail_message, exc))
        self.last_synaptic = None
        self.running = node.output[0]
        self.shapes[self.running] = tuple(self.shape)
        self.park(node)

    def merge(self, node, a, b):
        """``Add(a, b)`` of two branches of one fork: the trunk gains ``Residual(branch, shortcut)``."""
        sides, fork = self.branches(node, (a, b), "a residual branch")
        if not sides[0]["layers"] and not sides[1]["layers"]:
            _err(node, "adds a tensor to itself")
        n_syn = [sum(isinstance(L, (Dense, Conv2D)) for L in side["layers"]) for side in sides]
        branch, shortcut = (sides[0], sides[1]) if n_syn[0] >= n_syn[1] else (sides[1], sides[0])
        self.join(node, fork, lambda: Residual(branch["layers"], shortcut["layers"]),
                  "tensor %r feeds %d more operators than the two branches of this addition (only two-way "
                  "residual blocks convert)", "its two branches do not add up")

    def concat(self, node, names, axis):
        """``Concat(names, axis)`` of the branches of one fork along the channels: the trunk gains
        ``Concat(branches)`` (an empty branch where the fork's tensor itself is concatenated)."""
        sides, fork = self.branches(node, names, "a concatenated branch")
        rank = len(self.shapes[fork]) + 1
        if axis not in (1, 1 - rank):
            _err(node, "axis %d: only the channel axis (1, after the batch axis) converts" % axis)
        self.join(node, fork, lambda: Concat([side["layers"] for side in sides]),
                  "tensor %r feeds %d more operators than the branches of this concatenation",
                  "its branches do not concatenate")

    def new_shape(self, node, target):
        """Per-sample shape of a Reshape to ``target`` (batch axis first, ONNX's 0 and -1 rules)."""
        full = (self.batch,) + tuple(self.logical_shape)
        t = [full[i] if v == 0 and i < len(full) else int(v) for i, v in enumerate(target)]
        n = int(np.prod(self.logical_shape))
        if not t or t[0] not in (self.batch, _UNKNOWN_BATCH, -1):
            _err(node, "shape %s: the batch axis must stay first" % list(target))
        rest = t[1:]
        if t[0] == -1:
            if any(v < 1 for v in rest) or int(np.prod(rest)) != n:
                _err(node, "shape %s: expected the batch axis then %d values per sample" % (list(target), n))
            return tuple(rest)
        if rest.count(-1) > 1 or any(v < -1 or v == 0 for v in rest):
            _err(node, "shape %s: at most one -1 and no other non-positive size" % list(target))
        known = int(np.prod([v for v in rest if v != -1]))
        if -1 in rest:
            if known == 0 or n % known:
                _err(node, "shape %s does not divide %d values per sample" % (list(target), n))
            rest = [n // known if v == -1 else v for v in rest]
        if int(np.prod(rest)) != n:
            _err(node, "shape %s: %d values per sample, not %d" % (list(target), int(np.prod(rest)), n))
        return tuple(rest)

    def reshape_to(self, node, shape):
        """Give the running tensor the per-sample ``shape`` (values kept in order)."""
        if self.order is not None:
            if len(shape) != 1:
                _err(node, "after a transpose only a flatten converts (to %d values), not %s"
                     % (int(np.prod(self.order.shape)), shape))
            self.columns = self.order.ravel()
            self.order = None
            self.push(Flatten())
        elif len(shape) == 1:
            if len(self.shape) != 1:
                self.push(Flatten())
        elif tuple(shape) != tuple(self.shape):
            self.push(Reshape(shape))

    def dense(self, node, W, bias):
        """Append a Dense layer (weights (n_out, n_in) in the ONNX input order)."""
        if len(self.shape) != 1:
            _err(node, "a dense layer needs a flat input (found per-sample shape %s); add a Flatten" % (self.shape,))
        if W.shape[1] != self.shape[0]:
            _err(node, "weight of %d inputs for %d input values" % (W.shape[1], self.shape[0]))
        if self.columns is not None:  # a transpose before the flatten: read the values where they are
            moved = np.empty_like(W)
            moved[:, self.columns] = W
            W, self.columns = moved, None
        self.push(Dense(W.shape[1], W.shape[0], weight=np.ascontiguousarray(W), bias=bias))

    # ------------------------------------------------------------------ the pass
    def run(self):
        finished = False
        self.park(None)
        for node in self.graph.node:
            op, a = node.op_type, _attrs(node, self.onnx)
            if op == "Constant":
                val = a.get("value")
                if val is None:
                    for key in ("value_float", "value_floats", "value_int", "value_ints"):
                        if key in a:
                            val = np.asarray(a[key], np.float32 if "float" in key else np.int64)
                    if val is None:
                        _err(node, "only tensor- or number-valued Constant nodes are supported")
                    self.consts[node.output[0]] = val
                else:
                    self.consts[node.output[0]] = self.nh.to_array(val)
                continue
            ins = list(node.input)
            if finished:
                if op not in _AFTER_POST:
                    _err(node, "unsupported operator after the output post-processing")
                continue
            if ins and all(i == "" or i in self.consts for i in ins):  # shape arithmetic
                out = _fold(node, a, [self.consts[i] if i else None for i in ins], self.nh)
                if out is None:
                    _err(node, "cannot evaluate this operator on constants (supported: %s)" % _SUPPORTED)
                for name, val in zip(node.output, out):
                    self.consts[name] = np.asarray(val)
                continue
            if op in ("Shape", "Size") and ins[0] in self.shapes:  # shape arithmetic on a tensor of the chain
                full = np.array((self.batch,) + tuple(self.shapes[ins[0]]), np.int64)
                self.consts[node.output[0]] = (full[a.get("start", 0):a.get("end", None)] if op == "Shape"
                                               else np.array(int(np.prod(full)), np.int64))
                continue
            data = [i for i in dict.fromkeys(ins) if i and i not in self.consts]
            if op == "Add" and len(data) == 2 and all(i in self.chains or i in self.forks for i in data):
                self.merge(node, *data)  # a residual block's y = F(x) + G(x)
                continue
            if op == "Concat" and len(data) >= 2 and all(i in self.chains or i in self.forks for i in data):
                if len(data) != len([i for i in ins if i]) or any(i in self.consts for i in ins if i):
                    _err(node, "a concatenation of distinct branches of one tensor (no constants, no repeats)")
                self.concat(node, data, a.get("axis", 1))  # fire / inception modules: [F_1(x); ...; F_k(x)]
                continue
            if len(data) != 1:
                _err(node, "reads %d tensors computed from the input (%s); only residual additions of two "
                     "branches do" % (len(data), ", ".join(map(repr, data))))
            self.enter(node, data[0])
            others = [i for i in ins if i != self.running and i != ""]
            for o in others:
                if o not in self.consts:
                    _err(node, "input %r is neither the running tensor nor a constant" % o)
            if op in _POST:
                if self.fork is not None or self.chains or self.forks:
                    _err(node, "output post-processing inside a residual branch")
                finished = True
                self.chains[self.running] = self.save()  # the logits: read by the post-processing only
                continue
            if self.pad is not None and op != "Conv":
                _err(node, "a Pad converts only directly before a Conv")
            if self.columns is not None and op not in ("Gemm", "MatMul", "Identity", "Dropout", "Cast"):
                _err(node, "a transpose before a flatten converts only when a dense layer (Gemm/MatMul) follows")
            produced = self.step(node, op, a, ins, others)
            self.last_synaptic = produced
            self.running = node.output[0]
            self.shapes[self.running] = tuple(self.logical_shape)
            self.park(node)
        if self.forks:
            V.fail("path", self.path, "a model whose branches all join (tensor %r feeds operators whose results are "
                   "never added back)" % next(iter(self.forks)))
        if len(self.chains) != 1:
            V.fail("path", self.path, "a model with one output chain (%d chains are left: %s)"
                   % (len(self.chains), ", ".join(map(repr, self.chains))))
        self.load(next(iter(self.chains.values())))
        if self.order is not None or self.columns is not None:
            V.fail("path", self.path, "a model whose transposes are followed by a flatten and a dense layer")
        if not self.layers:
            V.fail("path", self.path, "a model with at least one supported layer")
        return Sequential(self.layers, self.in_shape)

    def step(self, node, op, a, ins, others):
        """Convert one node that consumes the running tensor; returns the synaptic layer that
        now produces the running tensor (for folding), or None."""
        consts = self.consts
        if self.order is not None and op not in ("Transpose", "Reshape", "Flatten", "Squeeze", "Relu", "Clip",
                                                 "Identity", "Dropout", "Cast"):
            _err(node, "after a transpose only a flatten into a dense layer converts")
        if op in ("Identity", "Dropout", "Cast"):
            return self.last_synaptic
        if op == "Gemm":
            if ins[0] != self.running or a.get("transA", 0):
                _err(node, "only Gemm(x, W, b) with transA = 0")
            B = consts[ins[1]].astype(np.float32)
            W = (B if a.get("transB", 0) else B.T) * np.float32(a.get("alpha", 1.0))
            bias = np.zeros(W.shape[0], np.float32)
            if len(ins) > 2 and ins[2]:
                bias = bias + np.float32(a.get("beta", 1.0)) * np.broadcast_to(
                    consts[ins[2]].astype(np.float32).ravel(), W.shape[:1])
            self.dense(node, W, bias)
            return self.layers[-1]
        if op == "MatMul":
            if ins[0] != self.running:
                _err(node, "only MatMul(x, W) with a constant right operand")
            B = consts[ins[1]].astype(np.float32)
            if B.ndim != 2 or len(self.shape) != 1 or B.shape[0] != self.shape[0]:
                _err(node, "a 2-D constant (%d, n) for a flat input of %s (got %s)"
                     % (int(np.prod(self.shape)), self.shape, B.shape))
            self.dense(node, B.T, None)
            return self.layers[-1]
        if op == "Conv":
            return self.conv(node, a, ins)
        if op == "Pad":
            return self.pad_node(node, a, ins)
        if op == "BatchNormalization":
            scale, beta, mean, var = (consts[i].astype(np.float32) for i in ins[1:5])
            self.push(BatchNorm(scale.size, eps=a.get("epsilon", 1e-5), gamma=scale, beta=beta, mean=mean, var=var))
            return None
        if op == "Relu":
            self.push(ReLU())
            return None
        if op == "Clip":
            lo, hi = a.get("min", None), a.get("max", None)
            if len(ins) > 1 and ins[1]:
                lo = float(consts[ins[1]])
            if len(ins) > 2 and ins[2]:
                hi = float(consts[ins[2]])
            if lo is None or float(lo) != 0.0:
                _err(node, "Clip with min = %s: only min = 0 (a clipped ReLU) converts" % lo)
            self.push(ReLU() if hi is None or not np.isfinite(hi) else ClippedReLU(float(hi)))
            return None
        if op in ("AveragePool", "MaxPool"):
            ceil = bool(a.get("ceil_mode", 0))
            if op == "MaxPool" and any(d != 1 for d in a.get("dilations", [1, 1])):
                _err(node, "dilations are not supported")
            if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
                _err(node, "auto_pad %s: only explicit symmetric pads for pooling" % a["auto_pad"])
            k = tuple(a["kernel_shape"])
            pads = _symmetric_pads(node, a.get("pads") if a.get("auto_pad", "NOTSET") == "NOTSET" else None)
            if op == "AveragePool" and any(pads) and not a.get("count_include_pad", 0):
                _err(node, "padded average pooling with count_include_pad = 0 is not supported")
            strides = tuple(a.get("strides", [1, 1]))
            if op == "MaxPool":
                self.push(MaxPool2D(k, strides, pads, ceil_mode=ceil))
                return None
            if ceil and MaxPool2D(k, strides, pads, ceil_mode=True).output_shape(self.shape) != \
                    AvgPool2D(k, strides, pads).output_shape(self.shape):
                _err(node, "ceil_mode = 1 that changes the output size of an average pooling is not supported")
            self.push(AvgPool2D(k, strides, pads))
            return None
        if op == "GlobalAveragePool":
            if len(self.shape) != 3:
                _err(node, "needs a (C, H, W) input, got %s" % (self.shape,))
            self.push(AvgPool2D(self.shape[1:], self.shape[1:]))
            return None
        if op == "ReduceMean":
            axes = _axes(node, a, ins, consts, len(self.shape) + 1)
            if len(self.shape) != 3 or axes != [2, 3]:
                _err(node, "only the mean over the two spatial axes of a (C, H, W) input converts (axes %s)" % axes)
            self.push(AvgPool2D(self.shape[1:], self.shape[1:]))
            if not a.get("keepdims", 1):
                self.push(Flatten())
            return None
        if op == "Flatten":
            if a.get("axis", 1) != 1:
                _err(node, "axis = %d: only axis = 1" % a["axis"])
            self.reshape_to(node, (int(np.prod(self.logical_shape)),))
            return None
        if op == "Reshape":
            if ins[0] != self.running:
                _err(node, "the data input must be the running tensor")
            if a.get("allowzero", 0) and 0 in consts[ins[1]].ravel().tolist():
                _err(node, "allowzero = 1 with a 0 in the shape is not supported")
            self.reshape_to(node, self.new_shape(node, consts[ins[1]].ravel().tolist()))
            return None
        if op in ("Squeeze", "Unsqueeze"):
            shape = list(self.logical_shape)
            ndim = len(shape) + 1 + (len(_axes(node, a, ins, consts, 0) or []) if op == "Unsqueeze" else 0)
            axes = _axes(node, a, ins, consts, ndim if op == "Unsqueeze" else len(shape) + 1)
            if op == "Squeeze":
                axes = axes if axes is not None else [i + 1 for i, d in enumerate(shape) if d == 1]
                if 0 in axes or any(shape[i - 1] != 1 for i in axes):
                    _err(node, "axes %s: only per-sample axes of size 1 can be squeezed (shape %s)" % (axes, shape))
                new = [d for i, d in enumerate(shape) if i + 1 not in axes]
            else:
                if axes is None or 0 in axes:
                    _err(node, "axes %s: the batch axis must stay first" % axes)
                new = list(shape)
                for ax in axes:
                    new.insert(ax - 1, 1)
            self.reshape_to(node, tuple(new) if new else (1,))
            return None
        if op == "Transpose":
            return self.transpose(node, a)
        if op in ("Add", "Sub", "Mul", "Div"):
            return self.elementwise(node, op, ins, others)
        _err(node, "unsupported operator (supported: %s)" % _SUPPORTED)

    def transpose(self, node, a):
        ndim = len(self.logical_shape) + 1
        perm = list(a.get("perm", list(range(ndim))[::-1]))
        if len(perm) != ndim or sorted(perm) != list(range(ndim)) or perm[0] != 0:
            _err(node, "perm %s: the batch axis must stay first" % perm)
        axes = tuple(p - 1 for p in perm[1:])
        if axes == tuple(range(ndim - 1)):
            return self.last_synaptic
        if self.order is None and self.only_layout_so_far():
            self.push(Transpose(axes))  # on the input: a layout change the spiking model applies first
            return None
        if self.order is None:
            self.order = np.arange(int(np.prod(self.shape))).reshape(self.shape)
        self.order = self.order.transpose(axes)
        return self.last_synaptic

    def pad_node(self, node, a, ins):
        mode = a.get("mode", "constant")
        pads = a.get("pads")
        if pads is None:
            pads = self.consts[ins[1]].ravel().tolist()
        value = a.get("value", 0.0)
        if len(ins) > 2 and ins[2]:
            value = float(self.consts[ins[2]].ravel()[0])
        if len(ins) > 3 and ins[3]:  # opset 18: the pads of the listed axes only
            axes = [int(x) % 4 for x in self.consts[ins[3]].ravel().tolist()]
            if len(pads) != 2 * len(axes) or len(set(axes)) != len(axes):
                _err(node, "pads %s for axes %s: expected two pads per axis" % (list(pads), axes))
            full = [0] * 8
            for k, ax in enumerate(axes):
                full[ax], full[ax + 4] = pads[k], pads[k + len(axes)]
            pads = full
        if mode != "constant" or value != 0.0:
            _err(node, "mode %r with value %g: only zero padding converts" % (mode, value))
        if len(self.shape) != 3 or len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
            _err(node, "pads %s: only zero padding of the two spatial axes of a (C, H, W) input" % list(pads))
        if min(pads) < 0:
            _err(node, "pads %s: negative padding (cropping) is not supported" % list(pads))
        self.pad = (int(pads[2]), int(pads[3]), int(pads[6]), int(pads[7]))
        return None

    def conv(self, node, a, ins):
        W = self.consts[ins[1]].astype(np.float32)
        if W.ndim != 4:
            _err(node, "only 2-D convolutions (weight of 4 axes, got %d)" % W.ndim)
        if len(self.shape) != 3:
            _err(node, "a convolution needs a (C, H, W) input, got %s" % (self.shape,))
        group = int(a.get("group", 1))
        if W.shape[1] * group != self.shape[0]:
            _err(node, "weight of %d input channels x group %d for %d channels" % (W.shape[1], group, self.shape[0]))
        dil = tuple(int(d) for d in a.get("dilations", [1, 1]))
        pads = _conv_pads(node, a, self.shape[1:], W.shape[2:], dil)
        if self.pad is not None:
            pads = tuple(p + q for p, q in zip(pads, self.pad))
            self.pad = None
        W, padding = _conv_weight(node, W, group, dil, pads)
        bias = self.consts[ins[2]].astype(np.float32) if len(ins) > 2 and ins[2] else None
        self.push(Conv2D(W.shape[1], W.shape[0], W.shape[2:], stride=tuple(a.get("strides", [1, 1])),
                         padding=padding, weight=W, bias=bias))
        return self.layers[-1]

    def elementwise(self, node, op, ins, others):
        if len(others) != 1:
            _err(node, "one operand must be a constant")
        c = self.consts[others[0]].astype(np.float32)
        shape = self.logical_shape
        running_first = ins[0] == self.running
        if op == "Div" and not running_first:
            _err(node, "division of a constant by the input is not supported")
        # per-sample broadcast shape: drop a leading batch axis of size 1
        cs = c.reshape(c.shape[1:]) if c.ndim == len(shape) + 1 and c.shape[0] == 1 else c
        try:
            np.broadcast_to(cs, shape)
        except ValueError:
            _err(node, "constant of shape %s does not broadcast to the per-sample shape %s" % (c.shape, shape))
        if self.order is not None:
            _err(node, "arithmetic after a transpose does not convert")
        L = self.last_synaptic
        if L is not None and self.layers and self.layers[-1] is L:
            if op == "Sub" and not running_first:
                _err(node, "constant minus the output of a layer is not supported")
            per = self.per_unit(node, L, cs, shape)
            if op in ("Add", "Sub"):
                L.bias += np.float32(-1.0 if op == "Sub" else 1.0) * per
            else:
                s = per if op == "Mul" else np.float32(1.0) / per
                L.weight *= s.reshape((-1,) + (1,) * (L.weight.ndim - 1))
                L.bias *= s
            return L
        if op == "Add":
            s = Scale(1.0, cs)
        elif op == "Sub":
            s = Scale(1.0, -cs) if running_first else Scale(-1.0, cs)
        elif op == "Mul":
            s = Scale(cs, 0.0)
        else:
            s = Scale(1.0 / cs, 0.0)
        self.push(s)
        return None

    @staticmethod
    def per_unit(node, L, cs, shape):
        """A constant after a dense/convolution layer as one value per output unit/channel."""
        full = np.broadcast_to(cs, shape)
        if isinstance(L, Dense):
            return np.ascontiguousarray(full.reshape(-1), np.float32)
        ch = full.reshape(shape[0], -1)
        if not np.all(ch == ch[:, :1]):
            _err(node, "a per-pixel constant after a convolution is not supported (only per channel)")
        return np.ascontiguousarray(ch[:, 0], np.float32)
