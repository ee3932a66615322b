"""Convert a float spiking network (a sequential :class:`GraphNetwork`) to Loihi fixed point.

Each synapse layer (Affine, Linear or Conv2d) followed by a neuron node (LIF, IF or CubaLIF,
with :math:`v_\\mathrm{leak} = v_\\mathrm{reset} = 0`) becomes one netx layer of Loihi CUBA
neurons (Davies et al., 2018). With :math:`a_m = e^{-\\Delta t/\\tau_\\mathrm{mem}}`,
:math:`a_s = e^{-\\Delta t/\\tau_\\mathrm{syn}}` and the float model of
:mod:`spikecore.interop.graph`:

* decays: :math:`\\delta_v = \\mathrm{round}(4096 (1 - a_m))` (IF: 0),
  :math:`\\delta_u = \\mathrm{round}(4096 (1 - a_s))` (LIF and IF: 4096, the current holds only the
  step's input);
* weights: :math:`W_L = \\mathrm{round}(g\\, c\\, W)` with :math:`c = w_\\mathrm{in}(1 - a_s)` for
  CubaLIF and 1 otherwise, and the gain :math:`g = 127 / \\max|c W|` so the largest weight uses the
  chip's 8-bit signed range (the exponent is then chosen by netx);
* threshold: :math:`\\theta_L = \\mathrm{round}(g\\, v_\\mathrm{th} / (R f))` with
  :math:`f = 1 - a_m` (leaky) or :math:`\\Delta t` (IF), because the Loihi voltage is
  :math:`2^6 g / (R f)` times the float voltage;
* bias: :math:`m = \\mathrm{round}(g\\, b)` (exponent 6), exact in steady state.

Sum/average pooling has no netx layer: a pooling node followed by a convolution is folded into it
(kernel upsampled by the pool size, stride and padding multiplied, exact for non-overlapping pools
on divisible sizes) and one followed by a dense layer is folded into the dense weights; any other
pooling is refused. A Flatten before a dense layer becomes netx's ``flatten`` entry.
"""

import numpy as np

from .. import _validate as V
from .graph import GraphNetwork, _pair
from .lava import LoihiNetwork, NetxLayer, NetxNeuron

__all__ = ["to_loihi"]


def _chain(net):
    succ = {}
    for a, b in net.edges:
        if a in succ:
            V.fail("network", "<node %r with several successors>" % a, "a sequential graph (one chain)")
        succ[a] = b
    if len(net.inputs) != 1:
        V.fail("network", "<%d inputs>" % len(net.inputs), "one Input node")
    chain, cur = [], net.inputs[0]
    while cur in succ:
        cur = succ[cur]
        chain.append(cur)
    return chain


def _uniform(name, node, key):
    vals = np.unique(np.asarray(node.params[key], np.float64))
    if vals.size != 1:
        V.fail("%s.%s" % (name, key), "<%d distinct values>" % vals.size,
               "one value per layer (Loihi has one decay and threshold per layer)")
    return float(vals[0])


def _fold_pool(pool, pool_shape_in, nxt_kind, nxt):
    k = _pair(pool.params["kernel_size"])
    st = _pair(pool.params.get("stride", k))
    pad = _pair(pool.params.get("padding", 0))
    C, H, W = pool_shape_in
    if st != k or pad != (0, 0) or H % k[0] or W % k[1]:
        V.fail("pooling", "<kernel %s stride %s padding %s on %s>" % (k, st, pad, pool_shape_in),
               "a non-overlapping, unpadded pool on divisible sizes (the only pooling netx layers can absorb)")
    scale = 1.0 / (k[0] * k[1]) if pool.kind == "AvgPool2d" else 1.0
    if nxt_kind == "Conv2d":
        w = np.asarray(nxt.params["weight"], np.float64)
        wk = np.kron(w, np.ones((1, 1) + k)) * scale
        stride = tuple(s * kk for s, kk in zip(_pair(nxt.params.get("stride", 1)), k))
        padding = tuple(p * kk for p, kk in zip(_pair(nxt.params.get("padding", 0)), k))
        dil = _pair(nxt.params.get("dilation", 1))
        if dil != (1, 1):
            V.fail("dilation", dil, "1 for a convolution that absorbs a pooling layer")
        return wk, stride, padding
    w = np.asarray(nxt.params["weight"], np.float64)  # dense after (flattened) pooled map
    Ho, Wo = H // k[0], W // k[1]
    w4 = w.reshape(w.shape[0], C, Ho, Wo)
    return (np.kron(w4, np.ones((1, 1) + k)) * scale).reshape(w.shape[0], -1), None, None


def to_loihi(network, weight_range=127):
    """Convert a sequential float :class:`GraphNetwork` to a :class:`LoihiNetwork` (module docstring).

    Parameters
    ----------
    network : GraphNetwork
        Input -> (synapse -> neuron)+ -> Output, with optional Flatten and pooling nodes.
    weight_range : int
        Largest absolute integer weight: 127 (default) fits the chip's 8-bit signed weights;
        up to 254 is loaded exactly by netx but needs 9 bits in mixed sign.

    Returns
    -------
    LoihiNetwork
    """
    if not isinstance(network, GraphNetwork):
        V.fail("network", network, "a GraphNetwork or a LoihiNetwork", TypeError)
    weight_range = V.integer("weight_range", weight_range, low=1, high=254)
    shapes = network.infer_shapes()
    dt = network.dt
    chain = _chain(network)
    in_shape = shapes[network.inputs[0]]
    layers = []
    if len(in_shape) == 3:
        # a shape-only input layer: netx takes the conv input shape from it, spikes feed layer 1
        layers.append(NetxLayer("input", tuple(in_shape)))
    pending, pending_shape, flatten = None, None, False
    i = 0
    while i < len(chain):
        name = chain[i]
        node = network.nodes[name]
        if node.kind == "Output":
            break
        if node.kind in ("SumPool2d", "AvgPool2d"):
            pending, pending_shape = node, network.nodes[name].in_shape
            i += 1
            continue
        if node.kind == "Flatten":
            flatten = True
            i += 1
            continue
        if node.kind not in ("Affine", "Linear", "Conv2d"):
            V.fail("network", "<node %r of type %s>" % (name, node.kind),
                   "synapse (Affine/Linear/Conv2d) -> neuron (LIF/IF/CubaLIF) pairs")
        if i + 1 >= len(chain) or network.nodes[chain[i + 1]].kind not in ("LIF", "IF", "CubaLIF"):
            V.fail("network", "<node %r not followed by a LIF/IF/CubaLIF neuron>" % name,
                   "every synapse layer followed by its neurons")
        nname, neuron = chain[i + 1], network.nodes[chain[i + 1]]
        p = neuron.params
        for key in ("v_leak", "v_reset"):
            if key in p and np.any(np.asarray(p[key]) != 0):
                V.fail("%s.%s" % (nname, key), "<nonzero>", "0 (Loihi resets to 0 and has no leak target)")
        r = _uniform(nname, neuron, "r")
        thr = _uniform(nname, neuron, "v_threshold")
        if neuron.kind == "IF":
            f, v_decay, c = dt, 0, 1.0
        else:
            tau_m = _uniform(nname, neuron, "tau" if neuron.kind == "LIF" else "tau_mem")
            a_m = np.exp(-dt / tau_m)
            f, v_decay = 1.0 - a_m, int(round(4096 * (1.0 - a_m)))
            c = 1.0
        i_decay = 4096
        if neuron.kind == "CubaLIF":
            a_s = np.exp(-dt / _uniform(nname, neuron, "tau_syn"))
            i_decay = int(round(4096 * (1.0 - a_s)))
            c = (1.0 - a_s) * _uniform(nname, neuron, "w_in")
        w = np.asarray(node.params["weight"], np.float64)
        kind = "conv" if node.kind == "Conv2d" else "dense"
        stride = _pair(node.params.get("stride", 1)) if kind == "conv" else (1, 1)
        padding = node.params.get("padding", 0)
        if isinstance(padding, (str, bytes)):
            V.fail("%s.padding" % name, padding, "integer padding")
        padding = _pair(padding) if kind == "conv" else (0, 0)
        if pending is not None:
            w, st2, pad2 = _fold_pool(pending, pending_shape, node.kind, node)
            if kind == "conv":
                stride, padding = st2, pad2
            pending = None
        gmax = np.abs(c * w).max()
        g = weight_range / gmax if gmax > 0 else 1.0
        w_l = np.rint(g * c * w)
        bias = node.params.get("bias")
        b_l = None
        if bias is not None and np.any(np.asarray(bias) != 0):
            b_l = np.clip(np.rint(g * np.asarray(bias, np.float64)), -4096, 4095)
        vth = int(round(g * thr / (r * f)))
        if vth < 1 or vth > 2**17 - 1:
            V.fail("%s.v_threshold" % nname, thr, "a threshold that maps into Loihi's 17-bit mantissa "
                   "(got %d; lower weight_range or rescale the layer)" % vth)
        nrn = NetxNeuron("CUBA", i_decay, v_decay, vth, 1, False)
        if flatten and kind == "dense":
            layers.append(NetxLayer("flatten", ()))
        flatten = False
        shape = tuple(shapes[nname]) if kind == "conv" else (int(w_l.shape[0]),)
        if kind == "conv":
            layers.append(NetxLayer("conv", shape, neuron=nrn, weight=w_l, bias=b_l, stride=stride,
                                    padding=padding, dilation=_pair(node.params.get("dilation", 1)),
                                    groups=int(np.ravel(node.params.get("groups", 1))[0])))
        else:
            layers.append(NetxLayer("dense", shape, neuron=nrn, weight=w_l, bias=b_l))
        i += 2
    if pending is not None:
        V.fail("network", "<pooling at the end>", "pooling followed by a conv or dense layer (netx has no pool layer)")
    return LoihiNetwork(layers)
