r"""Canonical form of a network to convert: a chain of *blocks*, each one synaptic operation
(dense or convolution, with batch normalisation and average pooling folded in), an optional
activation and an optional max-pooling.

Folding (all exact at inference):

* **batch norm** after a synaptic layer (Rueckauer et al., 2017, eq. 9): with
  :math:`a = \gamma/\sqrt{\sigma^2+\epsilon}` and :math:`c = \beta - a\mu`,
  :math:`W' = a \odot W` (per output channel) and :math:`b' = a b + c`;
* **average pooling** (non-overlapping, :math:`k_h \times k_w`, stride = kernel, no padding, sizes
  divisible) before a synaptic layer is linear, so it becomes part of that layer: the synapses
  are those of :math:`W' = (W \otimes \mathbf 1_{k_h \times k_w}) / (k_h k_w)` (Kronecker upsampling
  of the kernel, the convolution's stride and padding multiplied by :math:`k`), so spikes stay
  binary and each input spike costs exactly its fan-out in :math:`W'` in additions. It is
  *computed* as a sum-pooling of the spikes followed by :math:`W / (k_h k_w)` (``prepool``):
  the same numbers with :math:`k_h k_w` times fewer multiply-adds in the matrix product;
* **input normalisation** (:class:`~.layers.Scale`, :math:`x' = \alpha x + c`) before the first
  synaptic layer, when the input is spike-coded (Poisson or TSC): :math:`W' = W \odot \alpha`,
  :math:`b' = b + W c` (dense; for a convolution :math:`\alpha, c` per input channel and, unless
  :math:`c = 0`, no padding).

**Residual blocks** (He et al., 2016; converted as in Hu, Tang & Pan, 2018, "Spiking deep
residual networks", and Sengupta et al., 2019): a :class:`~.layers.Residual` layer
:math:`y = \mathrm{act}(F(x) + G(x))` after a hidden block :math:`j` (whose output is :math:`x`)
becomes the blocks of its branch :math:`F`; the last of them gets a second input, the shortcut
:math:`G` (a ``(Block, j)`` pair in ``skips``, the Block reading block :math:`j`'s output):
the identity as a 1x1 convolution (or dense layer) with the identity matrix, so each source spike
is one synaptic addition, or a projection ``[Dense or Conv2D, optional BatchNorm]``, folded, whose
bias joins the branch's bias. The block's neurons integrate
:math:`W_F s_{l-1} + W_G s_j + b_F + b_G` and fire after the activation that follows the
addition, which the next layer of the model must provide. An average pooling of :math:`x`
before the residual block joins the shortcut as it joins the branch's first layer.

**Linear maps between synaptic layers** (MobileNetV2's linear bottlenecks, Sandler et al.,
2018, "MobileNetV2: inverted residuals and linear bottlenecks"; pre-activation ResNets, He et
al., 2016b): a block with no activation yet is a linear map of spikes, not spikes, so

* a 1x1 convolution (stride 1, no padding) after a convolution, or a dense layer after a dense
  layer, folds into it: :math:`E(Px + b_P) + b_E = (EP)x + (E b_P + b_E)`, shortcuts included;
* a residual block whose input :math:`x = W s_{l-1} + \sum_k W_k s_{j_k} + b` is such a map
  adds :math:`x`'s own terms to its branch's last block as shortcuts (``skips`` holds them all,
  in order), and its branch starts from that block (a 1x1 expansion folds into it; a batch norm
  and ReLU make it a spiking block).

So in MobileNetV2 every expansion reads the depthwise blocks of the earlier bottlenecks of its
stage, one shortcut each, and no neuron ever carries the linear bottleneck itself.

**Concatenations** (:class:`~.layers.Concat`: SqueezeNet's fire modules, Iandola et al., 2016;
inception modules, Szegedy et al., 2015; DenseNet's :math:`[x, F(x)]`, Huang et al., 2017) join
spikes, so they need no neurons: each branch's blocks follow one another, its first block reading
the concatenation's input (``source``, which is otherwise the block before), and a layer that
reads a concatenation :math:`[s_1; \dots; s_k]` is one block,
:math:`W[s_1; \dots; s_k] = \sum_j W_{[:,j]} s_j`, whose main input is the last part and whose
shortcuts are the others (:func:`_from_parts`). A max-pooling after a concatenation pools each
part's block; an average pooling joins the next layer part by part (and an average pooling
before a concatenation joins each branch's first layer); a residual block reading a
concatenation splits its shortcut into one term per part (:func:`_concat_terms`). A branch must
start with a dense or convolution layer or a max-pooling (or be the identity) and end in an
activation.

**Max-pooling of spikes that other layers also read** (GoogLeNet's pool branch, max-pooling
then a 1x1 convolution; a max-pooling after DenseNet's :math:`[x, F(x)]`): a block has one
output, pooled or not, so such a pooling gets a *relay* (:func:`_relay`): the identity into
ReLU neurons, one per input neuron, with the max-pooling after them. Its ReLU changes nothing
in the ANN (spikes' rates are non-negative), so it is normalised and converted like any block;
in the SNN it costs one neuron and one synaptic addition per relayed spike. The identity
branch of a concatenation after an average pooling (DenseNet's transition, then
:math:`[x, F(x)]`) is a relay too, with the pooling joined to its identity, and so is a
second pooling right after another (the relay spikes what the first gives, the second pools
the relay).

**An average of spiking maps as the logits** (SqueezeNet's and network-in-network's tail: a
convolution to the classes, ReLU, global average pooling): the convolution becomes a spiking
block and the output layer integrates the average of its map (a 1x1 identity convolution with
the pooling joined).
"""
import copy

import numpy as np

from spikecore import _validate as V

from .layers import (AvgPool2D, BatchNorm, ClippedReLU, Concat, Conv2D, Dense, Dropout, Flatten, MaxPool2D,
                     QCFS, ReLU, Reshape, Residual, Scale, SoftLIF, Softmax, Transpose, col2im, im2col)

_LAYOUT = (Flatten, Reshape, Transpose)  # layers that only move values (no arithmetic)


class Block:
    """One synaptic operation (``layer``: a :class:`Dense` or :class:`Conv2D` with folded
    weights), its activation (``"relu"``, ``"clip"`` with ``ceiling``, ``"softlif"`` with the
    :class:`~.layers.SoftLIF` layer in ``softlif``, or ``None`` for the logits) and an optional
    ``maxpool`` (:class:`MaxPool2D`) after the activation.

    Attributes
    ----------
    raw_shape : tuple
        Per-sample shape of the block's input neurons.
    prepool : pair of int or None
        Window of an average pooling joined to the layer (the input is sum-pooled first).
    in_shape, out_shape : tuple
        Per-sample shape consumed by ``layer`` and produced by it.
    pool_shape : tuple
        Per-sample shape after the max-pooling (``out_shape`` without one).
    """

    def __init__(self, layer, in_shape, prepool=None):
        self.layer = layer
        self.prepool = None if prepool is None else prepool[0]
        self.raw_shape = tuple(in_shape) if prepool is None else tuple(prepool[1])
        self.in_shape = tuple(in_shape)  # what ``layer`` consumes (after the sum-pooling)
        self.out_shape = layer.output_shape(self.in_shape)
        self.activation = None
        self.ceiling = None
        self.softlif = None
        self.maxpool = None
        self.pool_shape = self.out_shape
        # second inputs of a residual addition: (Block, source) pairs, each Block reading the
        # output of blocks[source] (module docstring)
        self.skips = []
        # the block whose output is the main input: the one before (i - 1, -1 for the network
        # input) except for a branch of a concatenation; set by to_blocks
        self.source = None

    def copy(self):
        """A copy with its own synaptic layer (weights and bias copied, also the shortcut's); the
        rest is shared."""
        new = copy.copy(self)
        new.layer = _copy(self.layer)
        new.skips = [(sb.copy(), source) for sb, source in self.skips]
        return new

    @property
    def kind(self):
        return "dense" if isinstance(self.layer, Dense) else "conv"

    @property
    def n_in(self):
        """Input neurons (before the joined pooling)."""
        return int(np.prod(self.raw_shape))

    @property
    def n_out(self):
        return int(np.prod(self.out_shape))

    def linear(self, x, with_bias=True):
        """:math:`W x (+ b)` for ``x`` (M, n_in) flat; returns (M, n_out) flat (im2col for a
        convolution, Chellapilla et al., 2006)."""
        L = self.layer
        x = self.sum_pool(x)
        if self.kind == "dense":
            y = x @ L.weight.T
        elif L.kernel_size == (1, 1) and L.padding == (0, 0):  # pointwise: one product per sample, no im2col
            C, H, W = self.in_shape
            (sh, sw), M = L.stride, x.shape[0]
            xs = x.reshape(M, C, H, W)[:, :, ::sh, ::sw] if (sh, sw) != (1, 1) else x
            y = np.matmul(L.weight.reshape(L.weight.shape[0], C), xs.reshape(M, C, -1)).reshape(M, -1)
        else:
            cols, (Ho, Wo) = im2col(x.reshape((x.shape[0],) + self.in_shape), L.kernel_size, L.stride, L.padding)
            y = cols @ L.weight.reshape(L.weight.shape[0], -1).T
            y = y.reshape(x.shape[0], Ho * Wo, -1).transpose(0, 2, 1).reshape(x.shape[0], -1)
        return y + self.bias_per_neuron() if with_bias else y

    def sum_pool(self, x):
        r"""The joined average pooling's sum-pooling of ``x`` (M, n_in) flat -> (M, n_in of
        ``layer``): :math:`\tilde x_{c,y,x} = \sum_{i<k_h, j<k_w} x_{c,\,k_h y + i,\,k_w x + j}`;
        ``x`` itself without a joined pooling."""
        if self.prepool is None:
            return x
        (kh, kw), (C, H, W) = self.prepool, self.raw_shape
        x6 = x.reshape(x.shape[0], C, H // kh, kh, W // kw, kw)
        pooled = x6[:, :, :, 0, :, 0].copy()
        for i in range(kh):
            for j in range(kw):
                if i or j:
                    pooled += x6[:, :, :, i, :, j]
        return pooled.reshape(x.shape[0], -1)

    def synapse_matrix(self):
        r"""The synaptic operation as a matrix :math:`S` (n_in of ``layer``, n_out), float32, with
        :math:`W x = x S` for a flat input row :math:`x` (after :meth:`sum_pool`).

        Dense: :math:`S = W^\top`. Convolution (stride :math:`s`, padding :math:`p`): the input
        :math:`(c, i_y, i_x)` reaches the output :math:`(o, y, x)` through at most one kernel tap,

        .. math:: S[(c, i_y, i_x), (o, y, x)] = W[o, c, i_y - s_h y + p_h, i_x - s_w x + p_w]

        (0 where the tap falls outside the kernel), so every entry is a weight or zero, exactly.
        """
        L = self.layer
        if self.kind == "dense":
            S = np.ascontiguousarray(L.weight.T, np.float32)
        else:
            C, H, W = self.in_shape
            O, Ho, Wo = self.out_shape
            (kh, kw), (sh, sw), (ph, pw) = L.kernel_size, L.stride, L.padding
            S = np.zeros((C, H, W, O, Ho, Wo), np.float32)
            for i in range(kh):
                for j in range(kw):
                    for y in range(Ho):
                        iy = sh * y - ph + i
                        if not 0 <= iy < H:
                            continue
                        for x in range(Wo):
                            ix = sw * x - pw + j
                            if 0 <= ix < W:
                                S[:, iy, ix, :, y, x] = L.weight[:, :, i, j].T
            S = S.reshape(C * H * W, O * Ho * Wo)
        return S

    def input_rows(self):
        """For every input neuron (before the joined pooling), its row of :meth:`synapse_matrix`
        (the pooled input it feeds), (n_in,) int64."""
        idx = np.arange(int(np.prod(self.in_shape)), dtype=np.int64)
        if self.prepool is None:
            return idx
        (kh, kw), (C, H, W) = self.prepool, self.raw_shape
        return np.repeat(np.repeat(idx.reshape(C, H // kh, W // kw), kh, axis=1), kw, axis=2).ravel()

    def bias_per_neuron(self):
        """The bias of every output neuron (a convolution's bias repeated over positions)."""
        return np.repeat(self.layer.bias, self.n_out // self.layer.bias.size).astype(np.float32)

    def activate(self, z):
        if self.activation == "relu":
            return np.maximum(z, 0.0)
        if self.activation == "clip":
            return np.clip(z, 0.0, self.ceiling)
        if self.activation == "softlif":
            return self.softlif.forward(z)
        return z

    def pool(self, a):
        """Max-pool a flat activation map (M, n_out) -> (M, n_pool)."""
        if self.maxpool is None:
            return a
        return self.maxpool.forward(a.reshape((a.shape[0],) + self.out_shape)).reshape(a.shape[0], -1)

    def fan_out(self):
        """Synapses leaving each input neuron, (n_in,) int64: for a dense layer the nonzero
        weights of its column; for a convolution, summed over the windows that contain the input
        position, the output channels whose kernel tap at that position is nonzero.

        A weight of exactly 0 is no synapse: the zero taps of an imported grouped or depthwise
        convolution (:mod:`spikecore.conversion.onnx_import` expands it to a full kernel) and
        pruned weights cost no addition. With every weight nonzero this is ``n_out`` (dense) and
        output channels x covering windows (convolution)."""
        L = self.layer
        if self.kind == "dense":
            f = np.count_nonzero(L.weight, axis=0).astype(np.int64).reshape(self.in_shape)
        else:
            Ho, Wo = self.out_shape[1:]
            taps = np.count_nonzero(L.weight, axis=0).astype(np.float64).reshape(1, -1)  # (C kh kw)
            per_window = np.repeat(taps, Ho * Wo, axis=0)  # im2col column order: (c, i, j)
            cover = col2im(per_window, (1,) + self.in_shape, L.kernel_size, L.stride, L.padding)
            f = np.rint(cover[0]).astype(np.int64)
        if self.prepool is not None:  # every input of a pooling window reaches the same synapses
            (kh, kw), (C, H, W) = self.prepool, self.raw_shape
            f = np.repeat(np.repeat(f.reshape(C, H // kh, W // kw), kh, axis=1), kw, axis=2)
        return f.ravel()

    def macs(self):
        """Multiply-accumulates of the synaptic operation for one sample (the joined pooling's
        additions not included; weights of exactly 0 are no synapse, as in :meth:`fan_out`)."""
        nonzero = int(np.count_nonzero(self.layer.weight))
        if self.kind == "dense":
            return nonzero
        return int(np.prod(self.out_shape[1:])) * nonzero

    def pool_windows(self):
        """Flat input indices of every max-pooling window, (n_pool, k); -1 for padding."""
        C, H, W = self.out_shape
        idx = np.arange(C * H * W, dtype=np.float64).reshape(1, C, H, W) + 1.0  # +1: 0 marks padding
        cols, (_, _, Ho, Wo) = self.maxpool._windows(idx, 0.0)
        return (cols.astype(np.int64) - 1).reshape(C * Ho * Wo, -1)

    def __repr__(self):
        return "Block(%r, %s%s%s%s)" % (self.layer, self.activation,
                                      ", maxpool" if self.maxpool is not None else "",
                                      "" if self.source is None else ", reads block %d" % self.source,
                                      "".join(", shortcut from block %d: %r" % (source, sb.layer)
                                              for sb, source in self.skips))


def source_of(blocks, i):
    """Index of the block whose output block ``i`` reads as its main input (-1: the network
    input): ``i - 1`` but for the first block of a concatenated branch."""
    s = blocks[i].source
    return i - 1 if s is None else s


def scale_synapses(blocks, i, scale, divisor=1.0):
    """Rescale block ``i``'s synapses (in place) by what a spike of each of its inputs stands
    for, over ``divisor``: :math:`W \leftarrow W\,s_{j+1}/d` for its main input (block
    :math:`j` = :func:`source_of`) and :math:`W_k \leftarrow W_k\,s_{k+1}/d` for each shortcut
    reading block :math:`k`, with ``scale`` = :math:`s` (``scale[0]``: the network input) -- the
    weight part of data-based normalisation (:math:`d = \lambda_l`) and of the output layer's
    scaling (:math:`d = 1`). The bias is left to the caller."""
    b = blocks[i]
    b.layer.weight *= np.float32(scale[source_of(blocks, i) + 1] / divisor)
    for sb, source in b.skips:
        sb.layer.weight *= np.float32(scale[source + 1] / divisor)


def _fold_avgpool(pool, pool_in, layer):
    """Check a non-overlapping average pooling on ``pool_in`` (C, H, W) can join the next layer;
    return that layer with its weights divided by the window size (see module docstring)."""
    k, st, pad = pool.kernel_size, pool.stride, pool.padding
    C, H, W = pool_in
    if st != k or pad != (0, 0) or H % k[0] or W % k[1]:
        V.fail("model", "<%r on input %s>" % (pool, pool_in),
               "average pooling with stride = kernel, no padding and divisible sizes (only such a "
               "pooling folds exactly into the next layer)")
    layer.weight *= np.float32(1.0 / (k[0] * k[1]))
    return layer


def _with_weight(layer, weight):
    """A layer of ``layer``'s kind (and kernel, stride, padding) with ``weight`` and bias 0."""
    bias = np.zeros(weight.shape[0], np.float32)
    if isinstance(layer, Dense):
        return Dense(weight.shape[1], weight.shape[0], weight=weight, bias=bias)
    return Conv2D(weight.shape[1], weight.shape[0], layer.kernel_size, stride=layer.stride, padding=layer.padding,
                  weight=weight, bias=bias)


def _copy(layer):
    new = _with_weight(layer, layer.weight.copy())
    new.bias[...] = layer.bias
    return new


def to_blocks(model):
    """Split a :class:`~.ann.Sequential` into its input preprocessing (a list of :class:`Scale`,
    :class:`Flatten`, :class:`Reshape` and :class:`Transpose` layers; :func:`split_input` puts it
    in canonical form) and a list of :class:`Block` (module docstring).

    Dropout and a trailing softmax are dropped (identity at inference). A :class:`Residual`
    layer becomes the blocks of its branch, the last of which also receives the shortcut from
    the block before the residual (``skips``; module docstring); a synaptic layer directly after
    one with no activation folds into it where that is exact (module docstring). Raises
    ValueError naming the layer for an arrangement that does not convert (e.g. batch norm not
    after a synaptic layer, pooling before the activation, overlapping average pooling).
    """
    pre, blocks = [], []
    # pending_pool: (AvgPool2D, its input shape) waiting for the next synaptic layer; concat: the
    # (block, channels) parts of a concatenation of spikes, waiting for the layer that reads it
    state = dict(pending_pool=None, concat=None, concat_pool=None)
    n = len(model.layers)

    def take_chain(chain, prefix, shape, first=0):
        """The layers of a branch, named ``prefix[first + k]``; returns the branch's output shape."""
        for k, sub in enumerate(chain, first):
            take(sub, "%s[%d]" % (prefix, k), shape, False)
            shape = tuple(sub.output_shape(shape))
        return shape

    def take(layer, where, shape, last):
        cur = blocks[-1] if blocks else None
        pending_pool = state["pending_pool"]
        if isinstance(layer, Dropout):
            pass  # the identity at inference: nothing to convert
        elif isinstance(layer, Softmax):
            if not last:
                V.fail(where, layer, "a softmax only as the last layer")
        elif isinstance(layer, (Scale,) + _LAYOUT) and not blocks and pending_pool is None:
            pre.append(layer)
        elif isinstance(layer, (Flatten, Reshape)):
            pass  # spikes are kept flat; the next layer's input shape says how to read them
        elif isinstance(layer, Transpose):
            V.fail(where, layer, "a transpose only before the first dense or convolution layer (load_onnx "
                   "folds a transpose that precedes a flatten into the next dense layer's weights)")
        elif isinstance(layer, (Dense, Conv2D)):
            if state["concat"] is not None:  # reads the spikes of several blocks (a concatenation)
                blocks.append(_from_parts(layer, state["concat"], shape, where, state["concat_pool"]))
                state["concat"] = state["concat_pool"] = None
                return
            if cur is not None and cur.activation is None:
                # no activation since the last synaptic layer: the two are one linear map
                blocks[-1] = _compose(layer, cur, where)
                return
            new = _copy(layer)
            in_shape = shape
            prepool = None
            if pending_pool is not None:
                pool, pool_in = pending_pool
                new = _fold_avgpool(pool, pool_in, new)
                prepool = (pool.kernel_size, pool_in)
                state["pending_pool"] = None
            elif isinstance(new, Dense):
                in_shape = (int(np.prod(shape)),)
            blocks.append(Block(new, in_shape, prepool))
            blocks[-1].source = len(blocks) - 2
        elif isinstance(layer, BatchNorm):
            if cur is None or cur.activation is not None or pending_pool is not None:
                V.fail(where, layer, "batch normalisation directly after a dense or convolution layer")
            _fold_bn(cur, layer)
        elif isinstance(layer, (ReLU, ClippedReLU, QCFS, SoftLIF)):
            if cur is None or cur.activation is not None or pending_pool is not None:
                V.fail(where, layer, "an activation directly after a synaptic layer (or its batch norm)")
            cur.activation = ("relu" if isinstance(layer, ReLU) else "softlif" if isinstance(layer, SoftLIF)
                              else "clip")
            cur.ceiling = getattr(layer, "ceiling", None)
            cur.softlif = layer if isinstance(layer, SoftLIF) else None
        elif isinstance(layer, (AvgPool2D, MaxPool2D)) and state["concat"] is not None:
            if state["concat_pool"] is not None:  # a second pooling: a relay spikes the average-pooled rates
                blocks.append(_relay(state["concat"], shape, None, where, state["concat_pool"]))
                state["concat"], state["concat_pool"] = [(len(blocks) - 1, shape[0])], None
            if isinstance(layer, AvgPool2D):  # joins the layer that reads the concatenation, part by part
                state["concat_pool"] = (layer, shape)
            else:
                state["concat"] = _pool_parts(layer, state["concat"], blocks, where)
        elif isinstance(layer, (AvgPool2D, MaxPool2D)):
            if cur is None or cur.activation is None:
                V.fail(where, layer, "pooling after an activation (pooling of inputs or of logits does not convert)")
            if cur.maxpool is not None or pending_pool is not None:
                # a second pooling: a relay spikes what the first one gives
                blocks.append(_relay([(len(blocks) - 1, shape[0])], shape, None, where, pending_pool))
                state["pending_pool"], cur = None, blocks[-1]
            if isinstance(layer, MaxPool2D):
                cur.maxpool = layer
                cur.pool_shape = layer.output_shape(cur.out_shape)
            else:
                state["pending_pool"] = (layer, cur.out_shape)
        elif isinstance(layer, Residual):
            if state["concat"] is not None:  # the input: a concatenation of spikes (perhaps average-pooled)
                terms, bias = _concat_terms(layer.shortcut, state["concat"], shape, where, state["concat_pool"])
            elif cur is not None and cur.activation is not None and pending_pool is not None:
                # the input: an average pooling of the block before's spikes, joined to the shortcut
                # as to the branch's first layer
                terms, bias = _concat_terms(layer.shortcut, [(len(blocks) - 1, cur.out_shape[0])], shape, where,
                                            pending_pool)
            elif cur is None or pending_pool is not None or (cur.activation is None and cur.source < 0):
                V.fail(where, layer, "a residual block after a hidden layer (its input must be the spikes of a "
                       "hidden layer, an average pooling of them or a linear map of them; a residual block on the "
                       "network input does not convert)")
            elif cur.activation is not None:  # the input: the spikes of the block before
                short, bias = _shortcut_block(layer.shortcut, where, shape)
                terms = [(short, len(blocks) - 1)]
            else:  # the input: cur's current, a linear map of earlier spikes (a linear bottleneck)
                terms, bias = _linear_terms(cur, layer.shortcut, where)
            start = len(blocks)  # (a pending concatenation is read by the branch's first layer)
            take_chain(layer.branch, where + ".branch", shape)
            end = blocks[-1]
            if len(blocks) == start or end.activation is not None or end.maxpool is not None \
                    or state["pending_pool"] is not None or state["concat"] is not None:
                V.fail(where, layer, "a residual branch that starts with a dense or convolution layer, has an "
                       "activation inside and ends in a dense or convolution layer (and its batch norm), with no "
                       "activation before the addition")
            end.skips.extend(terms)  # the two currents add before the activation (if any) that follows
            if bias is not None:
                end.layer.bias[...] = end.layer.bias + bias
        elif isinstance(layer, Concat):
            incoming = state["concat"]
            if incoming is None and (cur is None or cur.activation is None):
                V.fail(where, layer, "a concatenation after a hidden layer (its branches must read the spikes of "
                       "hidden layers; on the network input or a linear map it does not convert)")
            incoming_pool = state["concat_pool"]
            if incoming is None and pending_pool is not None:  # an average pooling of one block's spikes
                incoming_pool, state["pending_pool"] = pending_pool, None
            state["concat"] = state["concat_pool"] = None
            inputs = incoming if incoming is not None else [(len(blocks) - 1, cur.pool_shape[0])]
            parts = []
            for j, chain in enumerate(layer.branches):
                chain = [L for L in chain if not isinstance(L, Dropout)]
                if not chain:  # the identity: the input's own parts
                    if incoming_pool is not None:  # average-pooled: a relay spikes the pooled rates
                        blocks.append(_relay(inputs, shape, None, "%s.branches[%d]" % (where, j), incoming_pool))
                        parts.append((len(blocks) - 1, shape[0]))
                    else:
                        parts += inputs
                    continue
                name = "%s.branches[%d]" % (where, j)
                first = 0
                inner = shape
                start = len(blocks)
                if isinstance(chain[0], MaxPool2D):
                    # GoogLeNet's pool branch: the input's spikes pass through a relay whose
                    # max-pooling starts the branch (module docstring)
                    blocks.append(_relay(inputs, shape, chain[0], name, incoming_pool))
                    inner, first = blocks[-1].pool_shape, 1
                elif not isinstance(chain[0], (Dense, Conv2D)):
                    V.fail(name, chain[0], "a branch that starts with a dense or convolution layer or a "
                           "max-pooling, or is the identity")
                else:
                    state["concat"] = list(inputs)  # the branch's first layer reads the input's parts
                    state["concat_pool"] = incoming_pool
                inner = take_chain(chain[first:], name, inner, first)
                end = blocks[-1]
                if len(blocks) == start or end.activation is None or state["pending_pool"] is not None:
                    V.fail("%s.branches[%d]" % (where, j), chain, "a branch that ends in an activation (or its "
                           "max-pooling): the concatenation joins spikes")
                parts.append((len(blocks) - 1, inner[0]))
            state["concat"] = parts
        elif isinstance(layer, Scale):
            V.fail(where, layer, "input scaling only before the first synaptic layer")
        else:
            V.fail(where, layer, "a layer that converts", TypeError)

    shape = model.input_shape
    for i, layer in enumerate(model.layers):
        take(layer, "model.layers[%d]" % i, shape, i == n - 1)
        shape = model.shapes[i]
    if not blocks:
        V.fail("model", model, "at least one dense or convolution layer")
    if state["pending_pool"] is not None:  # the logits are an average of spiking maps (SqueezeNet, NiN)
        pool, pool_in = state["pending_pool"]
        C = pool_in[0]
        mean = _fold_avgpool(pool, pool_in, Conv2D(C, C, 1, weight=np.eye(C, dtype=np.float32).reshape(C, C, 1, 1)))
        blocks.append(Block(mean, pool.output_shape(pool_in), (pool.kernel_size, pool_in)))
        blocks[-1].source = len(blocks) - 2
    if state["concat"] is not None:
        V.fail("model", "<a concatenation at the end>", "a dense or convolution layer after every concatenation")
    for i, b in enumerate(blocks):
        if b.source is None:
            b.source = i - 1
    if blocks[-1].activation is not None:
        blocks[-1].activation = None  # argmax of ReLU(z) is argmax of z whenever any logit is positive
    for b in blocks[:-1]:
        if b.activation is None:
            V.fail("model", b, "an activation after every hidden synaptic layer")
    return pre, blocks


def _fold_bn(block, bn):
    """Fold a batch norm into ``block``'s layer and its shortcuts' (module docstring)."""
    a, c = bn.fold()
    for L in [block.layer] + [sb.layer for sb, _ in block.skips]:
        L.weight *= a.reshape((-1,) + (1,) * (L.weight.ndim - 1))
    L = block.layer
    L.bias[...] = a * L.bias + c


def _compose(outer, block, where):
    r"""``outer`` applied to the current of ``block`` (a block with no activation yet) as one
    block: both maps are linear, so :math:`E(Px + b_P) + b_E = (EP)x + (Eb_P + b_E)`, for the main
    input and for every shortcut of ``block``. Exact (only the rounding of the product changes)
    when ``outer`` is a 1x1 convolution with stride 1 and no padding after a convolution
    (:math:`W[o,c,k_y,k_x] = \sum_m E[o,m] P[m,c,k_y,k_x]`, ``block``'s stride and padding) or
    a dense layer after a dense layer (:math:`W = EP`). Used for the linear bottlenecks of
    MobileNetV2 (Sandler et al., 2018), whose projections have no activation."""
    one_by_one = isinstance(outer, Conv2D) and outer.kernel_size == (1, 1) and outer.stride == (1, 1) \
        and outer.padding == (0, 0)
    if not ((one_by_one and block.kind == "conv") or (isinstance(outer, Dense) and block.kind == "dense")):
        V.fail(where, outer, "an activation between two synaptic layers, or, directly after a linear one, a 1x1 "
               "convolution with stride 1 and no padding (after a convolution) or a dense layer (after a dense "
               "layer), which fold into it (found %r directly after %r)" % (outer, block.layer))
    E = outer.weight.reshape(outer.weight.shape[0], -1).astype(np.float64)

    def fold(b):
        P = b.layer.weight.astype(np.float64)
        W = (E @ P.reshape(P.shape[0], -1)).reshape((E.shape[0],) + P.shape[1:]).astype(np.float32)
        folded = Block(_with_weight(b.layer, W), b.in_shape)
        folded.prepool, folded.raw_shape = b.prepool, b.raw_shape
        return folded

    out = fold(block)
    out.layer.bias[...] = (E @ block.layer.bias.astype(np.float64) + outer.bias).astype(np.float32)
    out.skips = [(fold(sb), source) for sb, source in block.skips]
    out.source = block.source
    return out


def _from_parts(layer, parts, shape, where, pool=None):
    r"""The block of ``layer`` reading a concatenation of spikes, ``parts`` = [(block, channels)]
    in channel order: :math:`W[s_1; s_2; \dots] = \sum_j W_{[:, j]} s_j`, with :math:`W_{[:, j]}`
    the weights of part :math:`j`'s channels (for a dense layer after a flatten, its columns:
    the flat (c, y, x) order keeps each part's channels together). The last part is the main
    input, the others shortcuts; the bias stays with the main input. An average pooling
    ``pool = (AvgPool2D, its input shape)`` between the concatenation and ``layer`` joins every
    part (sum-pooling, as for a single input)."""
    total = sum(c for _, c in parts)
    dense = isinstance(layer, Dense)
    per_channel = int(np.prod(shape)) // total if dense else 1
    if dense and per_channel * total != int(np.prod(shape)):
        V.fail(where, layer, "a dense layer reading the whole concatenation (%d values)" % int(np.prod(shape)))
    built, c0 = [], 0
    for source, c in parts:
        lo, hi = c0 * per_channel, (c0 + c) * per_channel
        c0 += c
        part = _with_weight(layer, layer.weight[:, lo:hi].copy())
        in_shape = (hi - lo,) if dense else (c,) + tuple(shape[1:])
        prepool = None
        if pool is not None:
            raw = (c,) + tuple(pool[1][1:])
            part = _fold_avgpool(pool[0], raw, part)
            prepool = (pool[0].kernel_size, raw)
        built.append((Block(part, in_shape, prepool), source))
    main, source = built[-1]
    main.layer.bias[...] = layer.bias
    main.source = source
    main.skips = built[:-1]
    return main


def _pool_parts(pool, parts, blocks, where):
    """A max-pooling after a concatenation of spikes pools every part (the pooling is per
    channel): a part's block gains it when the concatenation alone reads that block and it has
    no pooling yet; otherwise (an identity branch, DenseNet's :math:`[x, F(x)]`, whose block
    other layers read too) a relay of that part's spikes is pooled instead. Returns the parts
    of the pooled concatenation."""
    pooled = []
    for source, c in parts:
        b = blocks[source]
        readers = [k for k, o in enumerate(blocks) if o.source == source or any(s == source for _, s in o.skips)]
        if b.maxpool is not None or readers:
            blocks.append(_relay([(source, c)], b.pool_shape, pool, where, None))
            pooled.append((len(blocks) - 1, c))
            continue
        b.maxpool = pool
        b.pool_shape = pool.output_shape(b.out_shape)
        pooled.append((source, c))
    return pooled


def _relay(parts, shape, pool, where, prepool):
    """A block that passes the spikes of ``parts`` (a concatenation of shape ``shape``, or one
    block's output) on, max-pooled by ``pool`` if given: the identity (:func:`_identity`, one
    synapse per input neuron) into ReLU neurons, the :class:`~.layers.MaxPool2D` after them.
    Its ReLU changes nothing in the ANN (its input is already non-negative), so it converts
    like any other block; in the SNN it costs one neuron and one synaptic addition per input
    spike. ``prepool`` is a pending average pooling of the input, joined as for any layer
    reading it (then the relay spikes the pooled rates: the identity branch of a
    concatenation after an average pooling)."""
    relay = _from_parts(_identity(shape), parts, shape, where, prepool)
    relay.activation = "relu"
    if pool is not None:
        relay.maxpool = pool
        relay.pool_shape = pool.output_shape(relay.out_shape)
    return relay


def _projection(chain, where):
    """The layers of a residual shortcut ``chain`` (dropout ignored): ``(None, None)`` for the
    identity, else ``(Dense or Conv2D, BatchNorm or None)``."""
    layers = [L for L in chain if not isinstance(L, Dropout)]
    if not layers:
        return None, None
    if not isinstance(layers[0], (Dense, Conv2D)) or len(layers) > 2 or \
            (len(layers) == 2 and not isinstance(layers[1], BatchNorm)):
        V.fail(where + ".shortcut", layers, "the identity or one dense/convolution layer with an optional batch norm")
    return layers[0], (layers[1] if len(layers) == 2 else None)


def _identity(shape):
    """The identity on per-sample ``shape`` as a synaptic layer: a 1x1 convolution (or a dense
    layer on the flat values) with the identity matrix -- exactly one synapse per neuron."""
    if len(shape) == 3:
        C = shape[0]
        return Conv2D(C, C, 1, weight=np.eye(C, dtype=np.float32).reshape(C, C, 1, 1))
    size = int(np.prod(shape))
    return Dense(size, size, weight=np.eye(size, dtype=np.float32))


def _as_terms(block):
    """A block's inputs as shortcut terms ``(Block, source)``: its layer reading its main source,
    then its own shortcuts; returns ``(terms, bias)`` with the bias taken off the terms."""
    bias = block.layer.bias.copy()
    main = Block(_copy(block.layer), block.in_shape,
                 None if block.prepool is None else (block.prepool, block.raw_shape))
    main.layer.bias[...] = 0.0
    return [(main, block.source)] + block.skips, bias


def _linear_terms(cur, chain, where):
    """The shortcut terms of a residual block whose input is the current of block ``cur`` (no
    activation: a linear bottleneck): that current's own inputs, each a ``(Block, source)``
    pair -- ``cur``'s layer reading block ``cur.source`` and ``cur``'s shortcuts
    -- passed through the shortcut ``chain`` (the identity, or a 1x1 projection folded by
    :func:`_compose`); returns ``(terms, bias)``."""
    value = cur.copy()
    proj, bn = _projection(chain, where)
    if proj is not None:
        value = _compose(proj, value, where + ".shortcut")
    if bn is not None:
        _fold_bn(value, bn)
    return _as_terms(value)


def _concat_terms(chain, parts, shape, where, pool=None):
    """The shortcut terms of a residual block whose input is a concatenation of spikes
    (``parts``, :func:`_from_parts`; one part for a single block's spikes), average-pooled by
    ``pool`` if given: the identity or a projection ``[Dense or Conv2D, optional BatchNorm]``,
    split into one term per part, the pooling joined to each; returns ``(terms, bias)``."""
    proj, bn = _projection(chain, where)
    block = _from_parts(_identity(shape) if proj is None else proj, parts, shape, where + ".shortcut", pool)
    if bn is not None:
        _fold_bn(block, bn)
    return _as_terms(block)


def _shortcut_block(chain, where, in_shape):
    """The shortcut :math:`G` of a residual block as a :class:`Block` reading the source block's
    output (shape ``in_shape``): the identity (:func:`_identity`) or a projection ``[Dense or
    Conv2D, optional BatchNorm]``, folded. Returns ``(block, bias)``: the bias (None for the
    identity) moves to the branch's last block (the two currents add before the activation),
    leaving the shortcut's own bias 0."""
    proj, bn = _projection(chain, where)
    layer = _identity(in_shape) if proj is None else _copy(proj)
    block = Block(layer, in_shape if isinstance(layer, Conv2D) else (int(np.prod(in_shape)),))
    if proj is None:
        return block, None
    if bn is not None:
        _fold_bn(block, bn)
    bias = layer.bias.copy()
    layer.bias[...] = 0.0
    return block, bias


def split_input(pre, input_shape):
    """Canonical form of the input preprocessing ``pre`` (from :func:`to_blocks`).

    Returns ``(layout, scales, shape)``: the layout layers (:class:`Flatten`, :class:`Reshape`,
    :class:`Transpose`) in their order, to apply to the raw input first; the :class:`Scale` layers
    in their order, with constants moved past the layout layers that followed them (broadcast to
    the shape where they stood, then permuted/reshaped like the data: exact, no arithmetic); and
    ``shape``, the per-sample shape after the layout (what the first block reads). Applying
    ``layout`` then ``scales`` equals applying ``pre``.
    """
    layout, scales = [], []
    shape = tuple(input_shape)
    for p in pre:
        if isinstance(p, Scale):
            scales.append(p)
            continue
        moved = []
        for s in scales:
            a = p.forward(np.broadcast_to(s.scale, shape)[None])[0]
            c = p.forward(np.broadcast_to(s.shift, shape)[None])[0]
            moved.append(Scale(a, c))
        scales = moved
        layout.append(p)
        shape = p.output_shape(shape)
    return layout, scales, shape


def fold_input_scale(pre, block, model_input_shape):
    """Fold the input normalisation ``pre`` (the :class:`Scale` layers of :func:`split_input`, whose
    constants broadcast against ``model_input_shape``, the shape the first block reads) into the
    first block's weights (module docstring). Returns the new first layer; raises ValueError when
    the fold would be inexact."""
    layer = _copy(block.layer)
    for s in pre:
        if not isinstance(s, Scale):
            V.fail("pre", s, "Scale layers only (split_input puts the layout layers first)", TypeError)
        if isinstance(layer, Dense):
            alpha = np.broadcast_to(s.scale, model_input_shape).reshape(-1).astype(np.float32)
            c = np.broadcast_to(s.shift, model_input_shape).reshape(-1).astype(np.float32)
            # the scale applies to the raw input, the layer sees alpha * x + c
            layer.bias[...] = layer.bias + layer.weight @ c
            layer.weight *= alpha[None, :]
        else:
            C = block.in_shape[0]
            per = []
            for name, arr in (("scale", s.scale), ("shift", s.shift)):
                full = np.broadcast_to(arr, block.in_shape)
                ch = full.reshape(C, -1)
                if not np.all(ch == ch[:, :1]):
                    V.fail(name, "<per-pixel input %s>" % name, "a scalar or per-channel value to fold into a convolution")
                per.append(ch[:, 0].astype(np.float32))
            alpha, c = per
            if np.any(c != 0) and layer.padding != (0, 0):
                V.fail("model", "<input shift before a padded convolution>",
                       "analog input (input_coding='analog'): a shift does not fold exactly into zero padding")
            layer.bias[...] = layer.bias + np.einsum("ocij,c->o", layer.weight, c)
            layer.weight *= alpha[None, :, None, None]
    return layer


def apply_pre(pre, X):
    """Apply the preprocessing layers to a batch."""
    for s in pre:
        X = s.forward(X)
    return X
