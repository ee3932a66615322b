r"""Export of a converted network (:class:`~.spiking.SpikingModel`) as a graph of NIR primitives,
which the NIR writer (:func:`spikecore.interop.nir.to_nir`) and the Lava/Loihi writer
(:func:`spikecore.interop.lava.write_netx`, through :func:`spikecore.interop.loihi_convert.to_loihi`)
take.

Mapping (:class:`spikecore.interop.graph.GraphNetwork` node kinds, NIR's names; Pedersen et al.,
2024). With :math:`\Delta t` the graph step, every integrator gets :math:`R = 1/\Delta t` in the
graph, so :math:`R\,x\,\Delta t = x`: a node integrates its input exactly as the converted network
does (a NIR file stores the per-step gain :math:`r = R\,\Delta t = 1`, as NIR's readers expect;
:mod:`spikecore.interop.nir`).

* synaptic layer: ``Affine`` (dense) or ``Conv2d`` with the normalised weights and biases
  (the :math:`V_\mathrm{th}/2T` shift of ``"shift"`` added to the bias, which is why ``timesteps``
  is needed for that method); an average pooling joined to a layer is a ``SumPool2d`` before it
  (the weights already hold the :math:`1/(k_h k_w)`); ``Flatten`` before a dense layer fed by a map;
* **reset to zero** (``"data"``, ``"model"``, ``"spike-norm"``): an ``IF`` node,
  :math:`v \mathrel{+}= I`, spike when :math:`v > v_\mathrm{th}` with
  :math:`v_\mathrm{th}` = the largest float64 below 1 (the converted network fires at
  :math:`v \ge 1`), :math:`v_\mathrm{reset} = 0`;
* **reset by subtraction** (``"percentile"``, ``"shift"``, ``"rmp"``, ``"qcfs"``): NIR's ``IF``
  only resets to a value, so the neuron is the exact equivalent sub-graph
  ``I`` (integrator) :math:`\to` ``Threshold`` :math:`\to` ``Scale`` :math:`(-1)` back into the
  ``I``: with :math:`u[t] = u[t-1] + I[t] - s[t-1]` (the back edge carries the previous step) and
  :math:`s[t] = [u[t] \ge 1 - v_0]`, :math:`v_0 + u[t]` is the converted neuron's potential
  before its reset (:math:`v_0` = ``v_init``, 0.5 for QCFS), so the spikes are the same. This
  graph exports to NIR; Loihi resets to zero, so ``to_loihi`` refuses it;
* **output layer**: ``output="integrator"`` (default) an ``I`` node whose voltage after
  :math:`T` steps is the converted network's integrated output (class = argmax, as
  :meth:`~.spiking.SpikingModel.predict`); ``output="spiking"`` an ``IF`` node with threshold
  :math:`\lambda_L` (the ANN's largest calibration logit, Diehl et al., 2015), class = most spikes
  -- what a chip whose every layer must spike (Loihi) runs;
* residual shortcut of block :math:`l` (:mod:`.blocks`): a second synapse node ``skip<l>``
  (``skip<l>_<k>`` for its further shortcuts, as MobileNetV2's folded linear bottlenecks give;
  ``Conv2d`` or ``Affine``, bias 0: the shortcut's bias is in the block's) from the source
  block's spike node into the same neurons, whose input is the sum of the two edges, in the same
  step (NIR's edges are instantaneous). This exports to NIR; ``to_loihi`` takes one chain of
  layers and refuses it;
* input: analog input is the value itself every step (:func:`graph_inputs`), with an input
  normalisation folded into the first layer; Poisson input is the raster of
  :meth:`~.spiking.SpikingModel.encode`.

Not exportable (a clear ``ValueError``): TSC (synapses switched on and off per window),
TTFS (one spike per neuron and synapses that stay on), soft-LIF (refractory period and in-step
spike times, which NIR's LIF does not have), spiking max-pooling (no NIR primitive).

Arithmetic: the graph runs in float64, the converted network in float32, so a neuron whose
potential lands within rounding of its threshold can spike one step apart; predictions agree on
all but such borderline samples (the tests measure it).
"""
import numpy as np

from spikecore import _validate as V

from .blocks import fold_input_scale, source_of

__all__ = ["to_graph", "graph_inputs", "EXPORTABLE"]

#: methods whose converted networks export (with their default reset / neuron settings)
EXPORTABLE = ("data", "model", "spike-norm", "percentile", "shift", "rmp", "qcfs")

_REFUSED = {
    "tsc": "temporal switch coding switches synapses on and off per window; NIR and Loihi have no such primitive",
    "ttfs": "TTFS neurons fire once and keep their synapses on for the rest of the inference; NIR has no "
            "such primitive",
    "lif": "soft-LIF neurons have a refractory period and in-step spike times, which NIR's LIF lacks",
}


def _below(x):
    return float(np.nextafter(np.float64(x), -np.inf))


def to_graph(model, timesteps=None, *, output="integrator", dt=1e-3):
    """A converted network as a :class:`spikecore.interop.graph.GraphNetwork` (module docstring).

    Parameters
    ----------
    model : SpikingModel
    timesteps : int, optional
        :math:`T`; required for ``method="shift"`` (the bias shift is :math:`1/(2T)`).
    output : {"integrator", "spiking"}
        Output layer as a non-spiking integrator or as IF neurons (Loihi).
    dt : float
        Graph step :math:`\\Delta t` in seconds (recorded as NIR's ``metadata["dt"]``).

    Returns
    -------
    GraphNetwork
        Nodes ``input``, ``syn<i>`` (and ``pool<i>``, ``flat<i>``), ``neuron<i>`` (or ``u<i>``,
        ``spike<i>``, ``reset<i>`` for reset by subtraction), ``out`` and ``output``. The input
        node has ``model.input_shape``, the layout after ``model.layout`` (a channels-last Keras
        model's graph reads channels-first input: :meth:`SpikingModel.encode` gives spikes in it).
    """
    from spikecore.interop.graph import GraphNetwork
    from .spiking import SpikingModel
    if not isinstance(model, SpikingModel):
        V.fail("model", model, "a SpikingModel from spikecore.conversion.convert", TypeError)
    if model.neuron in _REFUSED:
        V.fail("model", "<method %r>" % model.method, "an exportable method (%s): %s"
               % (", ".join(EXPORTABLE), _REFUSED[model.neuron]))
    if any(b.maxpool is not None for b in model.blocks):
        V.fail("model", "<spiking max-pooling>", "average pooling only (spiking max-pooling has no NIR primitive)")
    V.choice("output", output, ("integrator", "spiking"))
    dt = V.positive("dt", dt, "s")
    shift = 0.0
    if model.shift:
        if timesteps is None:
            V.fail("timesteps", None, "the number of steps T for method=%r (its bias shift is 1/(2T))" % model.method)
        shift = 0.5 / V.integer("timesteps", timesteps, low=1)
    soft = model.reset == "subtract"
    if not soft and model.v_init != 0:
        V.fail("model", "<v_init=%g with reset to zero>" % model.v_init, "v_init 0 (NIR neurons start at 0)")

    blocks = [b.copy() for b in model.blocks]
    if model.pre:  # analog input with an input normalisation: fold it into the first layer
        blocks[0].layer = fold_input_scale(model.pre, blocks[0], model.input_shape)
    g = GraphNetwork(dt)
    r = 1.0 / dt
    prev = g.add("input", "Input", shape=np.asarray(model.input_shape, np.int64))
    prev_shape = tuple(model.input_shape)
    last = len(blocks) - 1
    outs = []  # (node, shape) of every block's output spikes: the sources of residual shortcuts
    for i, b in enumerate(blocks):
        L = b.layer
        if i > 0 and source_of(blocks, i) != i - 1:  # the first layer of a concatenated branch
            prev, prev_shape = outs[source_of(blocks, i)]
        bias = L.bias.astype(np.float64) + (shift if i < last else 0.0)
        syn = _synapse_node(g, "%d" % i, b, prev, prev_shape, bias)
        shape = tuple(b.out_shape)
        syns = [syn]
        for k, (sb, source) in enumerate(b.skips):  # a shortcut: another synapse node into the same neurons
            node, shape_in = outs[source]
            syns.append(_synapse_node(g, "%d" % i if k == 0 else "%d_%d" % (i, k), sb, node, shape_in,
                                      np.zeros(sb.layer.weight.shape[0]), shortcut=True))
        if i == last:
            if output == "integrator":
                nrn = g.add("out", "I", r=np.full(shape, r))
            else:
                nrn = g.add("out", "IF", r=np.full(shape, r), v_threshold=np.full(shape, float(model.output_lambda)),
                            v_reset=np.zeros(shape))
            for node in syns:
                g.connect(node, nrn)
            g.connect(nrn, g.add("output", "Output"))
            break
        if soft:
            u = g.add("u%d" % i, "I", r=np.full(shape, r))
            spike = g.add("spike%d" % i, "Threshold", threshold=np.full(shape, _below(1.0 - model.v_init)))
            reset = g.add("reset%d" % i, "Scale", scale=np.full(shape, -1.0))
            for node in syns:
                g.connect(node, u)
            g.connect(u, spike)
            g.connect(spike, reset)
            g.connect(reset, u)  # closes a cycle: carries the previous step's spikes
            prev = spike
        else:
            prev = g.add("neuron%d" % i, "IF", r=np.full(shape, r), v_threshold=np.full(shape, _below(1.0)),
                         v_reset=np.zeros(shape))
            for node in syns:
                g.connect(node, prev)
        prev_shape = shape
        outs.append((prev, shape))
    g.infer_shapes()
    return g


def _synapse_node(g, tag, b, source, source_shape, bias, shortcut=False):
    """The synapse node of block ``b`` fed by the node ``source`` (shape ``source_shape``):
    ``syn<tag>`` (``Affine`` or ``Conv2d``), after a ``SumPool2d`` for a joined average pooling
    and a ``Flatten`` before a dense layer; a residual shortcut's nodes are ``skip<tag>``,
    ``skippool<tag>`` and ``skipflat<tag>`` (``tag``: the block, ``<l>_<k>`` for its ``k``-th
    further shortcut), with bias 0 (the shortcut's bias is in the block's)."""
    L, pre = b.layer, "skip" if shortcut else ""
    if b.prepool is not None:
        k = tuple(int(v) for v in b.prepool)
        pool = g.add("%spool%s" % (pre, tag), "SumPool2d", kernel_size=np.asarray(k), stride=np.asarray(k),
                     padding=np.zeros(2, np.int64))
        g.connect(source, pool)
        C, H, W = b.raw_shape
        source, source_shape = pool, (C, H // k[0], W // k[1])
    name = ("skip%s" if shortcut else "syn%s") % tag
    if b.kind == "dense":
        if len(source_shape) > 1:
            flat = g.add("%sflat%s" % (pre, tag), "Flatten", start_dim=0, end_dim=-1)
            g.connect(source, flat)
            source = flat
        node = g.add(name, "Affine", weight=L.weight.astype(np.float64), bias=bias)
    else:
        node = g.add(name, "Conv2d", weight=L.weight.astype(np.float64), bias=bias, stride=np.asarray(L.stride),
                     padding=np.asarray(L.padding), dilation=np.ones(2, np.int64), groups=1,
                     input_shape=np.asarray(b.in_shape[1:]))
    g.connect(source, node)
    return node


def graph_inputs(model, X, timesteps, *, batch_size=256, random_state=None):
    """The input raster of the exported graph that reproduces :meth:`SpikingModel.run`.

    Analog input: the value every step; Poisson input: :meth:`SpikingModel.encode` (same
    ``batch_size`` and ``random_state`` as the run to reproduce).

    Returns
    -------
    float64 array (T, n, *input_shape)
    """
    if model.input_coding == "poisson":
        return model.encode(X, timesteps, batch_size=batch_size, random_state=random_state).astype(np.float64)
    X, T = model._check(X, timesteps)
    return np.broadcast_to(X.astype(np.float64), (T,) + X.shape)
