"""NIR graphs on the network engine: :class:`GraphNetwork` <-> :class:`spikecore.network.Network`.

A NIR graph (Pedersen et al., 2024) imported as a :class:`~spikecore.interop.graph.GraphNetwork`
is mapped onto engine populations and connections by :func:`to_network`; :func:`to_graph` maps
an engine network back. The neuron nodes become populations (parameters must be uniform across
a node, as the engine's models have scalar parameters; state starts at 0 as in NIR's reference
simulators):

* ``LIF`` -> :class:`~spikecore.neurons.LIF` (``tau_mem=tau, r_m=r, v_rest=v_leak``, exact
  exponential integration: :math:`v \\leftarrow v_\\mathrm{leak} + (v - v_\\mathrm{leak}) a + R I (1 - a)`,
  the discretisation of :mod:`spikecore.interop.graph`);
* ``IF`` -> :class:`~spikecore.neurons.IF` with ``tau_mem = 1 s`` and ``r_m = R``
  (:math:`v \\leftarrow v + R I \\Delta t`; the graph's :math:`R` is a NIR file's per-step ``r``
  divided by :math:`\\Delta t`, so a file's IF gains :math:`r I` per step, as in every NIR reader);
* the graph's ``method`` (``"exact"`` or ``"euler"``, :mod:`spikecore.interop.graph`) becomes the
  LIF and CurrentLIF models' ``method``;
* ``CubaLIF`` -> :class:`~spikecore.neurons.CurrentLIF` (one channel). The engine's synapse is a
  jump of the synaptic current (Rotter & Diesmann, 1999), the graph holds a spike over its step;
  the jump :math:`(1 - a_s) w_\\mathrm{in} W` makes the current equal to the graph's from the step
  after the spike on, but the graph's extra within-step term
  :math:`R w_\\mathrm{in} S (1 - a_m - k)` has no engine counterpart: CubaLIF spike trains are
  close to the graph's, not identical. With ``method="euler"`` the jump
  :math:`(\\Delta t/\\tau_s) w_\\mathrm{in} W` makes them identical (Euler uses the new current);
* ``LI``, ``I``, ``CubaLI`` -> the same models with an unreachable threshold (the largest float);
  they cannot drive other nodes (engine connections carry spikes) and are read out with
  ``Network.record_voltage``, which :func:`to_network` sets up for the nodes feeding an Output.

The nodes between two neuron nodes (``Affine``, ``Linear``, ``Scale``, ``Flatten``,
``Conv2d``, ``SumPool2d``/``AvgPool2d``, ``Delay``, and ``Threshold`` on spikes with
:math:`0 \\le \\theta < 1`, the identity) are composed into one connection: a single
convolution (with groups and dilation expanded) becomes :class:`~spikecore.network.Conv2D`, a
single unpadded pool :class:`~spikecore.network.Pool2D`, and anything else (a pool followed by a
convolution, ``Affine -> Affine`` chains, ...) is multiplied out into one dense matrix (exact;
its size is ``n_post * n_pre``). Delays become per-synapse delays. An Affine or
convolution bias :math:`b` becomes a connection from an always-on unit (:class:`AlwaysOn`, one
neuron that fires at every step): exact, and stored in the network (an external current would
have to be given at every run).

**Timing.** Graph edges are instantaneous; every engine connection adds one step (a spike at
step :math:`t` acts at :math:`t + 1`, Brian2's and Lava's schedule). A population at depth
:math:`D` (synapse stages from the inputs, recorded in ``net.nir["depth"]``) therefore produces
the graph's output :math:`D` steps later, exactly: connections get extra delays so that inputs
arriving over paths of different lengths stay aligned (a recurrent edge keeps its one-step
delay), and the bias unit's delay is :math:`D - 1`. With a non-zero ``v_leak`` the first
:math:`D` steps differ (the engine population leaks before its input arrives). The NIR paper's
LIF test (``lif_norse.nir``) spikes at 460, 510, 710, 760 in the graph and at 461, 511, 711,
761 on the engine -- the steps Lava's fixed point reports, for the same reason.

Graphs the engine cannot hold raise :class:`NotRepresentable` (a ``ValueError``) naming the
node; ``from_nir(..., as_graph=True)`` then gives the :class:`GraphNetwork`, which runs every
NIR graph spikecore reads.
"""
import math
import warnings

import numpy as np

from .. import _validate as V
from .graph import NEURON_KINDS, GraphNetwork, _conv_geometry, _pair

__all__ = ["NotRepresentable", "AlwaysOn", "to_network", "to_graph"]

_NEVER = float(np.finfo(np.float64).max)  # threshold of the non-spiking nodes
_LINEAR = ("Affine", "Linear", "Scale", "Flatten", "Conv2d", "SumPool2d", "AvgPool2d", "Delay", "Threshold")
_SPIKING = ("IF", "LIF", "CubaLIF")


class NotRepresentable(ValueError):
    """A NIR graph (or engine network) that the other side cannot represent; the message names the node."""


def _no(name, why):
    raise NotRepresentable("NIR node %r: %s; use from_nir(..., as_graph=True) for a GraphNetwork" % (name, why))


def _import_lif():
    from ..neurons import IF, LIF, CurrentLIF
    return IF, LIF, CurrentLIF


class AlwaysOn:
    """Factory of the always-on unit that carries Affine/Conv biases on the engine.

    A :class:`~spikecore.neurons.LIF` neuron with :math:`\\tau_m = \\Delta t`,
    :math:`v_\\mathrm{rest} = 10`, :math:`v_\\mathrm{th} = 1`, reset 0 and initial
    :math:`v = v_\\mathrm{rest}`: :math:`v` after a step is at least
    :math:`10 (1 - e^{-1}) > 1`, so it fires at every step (Lapicque, 1907, for the LIF). A
    connection of weights :math:`b` from it adds :math:`b` to its targets' input every step.
    """

    @staticmethod
    def model(dt, dtype):
        """The LIF model of the unit (marked so that :func:`to_graph` recognises it)."""
        _, LIF, _ = _import_lif()
        model = LIF(tau_mem=dt, v_th=1.0, v_reset=0.0, v_rest=10.0, dtype=dtype)
        model.always_on = True
        return model


def _uniform(name, node, key, default=None):
    p = node.params
    if key not in p:
        if default is None:
            _no(name, "has no %r" % key)
        return default
    vals = np.unique(np.asarray(p[key], np.float64))
    if vals.size != 1:
        _no(name, "%d different values of %r (the engine's neuron models have one per population)"
            % (vals.size, key))
    return float(vals[0])


def _neuron_model(name, node, dt, dtype, method="exact"):
    """Engine model of a neuron node and the factor on its synaptic weights."""
    IF, LIF, CurrentLIF = _import_lif()
    k = node.kind
    spiking = k in _SPIKING
    v_th = _uniform(name, node, "v_threshold") if spiking else _NEVER
    v_reset = _uniform(name, node, "v_reset", 0.0) if spiking else 0.0
    if not v_reset < v_th:
        _no(name, "v_reset %g is not below v_threshold %g" % (v_reset, v_th))
    r = _uniform(name, node, "r")
    try:
        if k in ("I", "IF"):
            return IF(tau_mem=1.0, v_th=v_th, v_reset=v_reset, v_init=0.0, r_m=r, dtype=dtype), 1.0
        v_leak = _uniform(name, node, "v_leak", 0.0)
        if k in ("LI", "LIF"):
            return LIF(tau_mem=_uniform(name, node, "tau"), v_th=v_th, v_reset=v_reset, v_rest=v_leak, r_m=r,
                       method=method, dtype=dtype), 1.0
        tau_syn = _uniform(name, node, "tau_syn")
        w_in = _uniform(name, node, "w_in", 1.0)
        model = CurrentLIF(tau_mem=_uniform(name, node, "tau_mem"), tau_syn=tau_syn, v_th=v_th, v_reset=v_reset,
                           v_rest=v_leak, r_m=r, method=method, dtype=dtype)
    except (ValueError, TypeError) as exc:
        _no(name, "its parameters do not make an engine %s neuron (%s)" % (k, exc))
    if method == "euler":  # the current jump dt/tau_s w_in W is then exactly the graph's Euler step
        return model, dt / tau_syn * w_in
    if dt > 0.1 * tau_syn:
        warnings.warn("NIR node %r: tau_syn = %g s is not much longer than dt = %g s; the engine's CubaLIF "
                      "(a spike is a jump of the synaptic current) then spikes visibly differently from the "
                      "GraphNetwork (a spike held over its step): from_nir(..., as_graph=True) follows the "
                      "graph's discretisation" % (name, tau_syn, dt))
    return model, -math.expm1(-dt / tau_syn) * w_in


def _paths(g, target, back):
    """Every chain of linear nodes from a neuron/Input node into ``target``: (source, ops, recurrent)."""
    out = []
    stack = [(target, [], False)]
    while stack:
        node, ops, rec = stack.pop()
        preds = [(a, (a, b) in back) for a, b in g.edges if b == node]
        if not preds:
            _no(node, "has no input")
        for a, is_back in preds:
            kind = g.nodes[a].kind
            if kind == "Input" or kind in NEURON_KINDS:
                out.append((a, ops[::-1], rec or is_back))
            elif kind in _LINEAR:
                if len(ops) > 16:
                    _no(a, "is on a cycle without neurons")
                stack.append((a, ops + [a], rec or is_back))
            else:
                _no(a, "of type %s cannot feed a neuron on the engine" % kind)
    return out


def _apply(g, ops, x):
    """Run the (bias-free) linear ops on a batch ``x`` of inputs, with graph.py's own functions."""
    for name in ops:
        node = g.nodes[name]
        if node.kind in ("Delay", "Threshold"):
            continue
        x = g._step(node, x.reshape((x.shape[0],) + tuple(node.in_shape)), {}, 0)
    return x.reshape(x.shape[0], -1)


def _compose(g, name, src, ops, factor, dtype):
    """Connection arguments of a chain ``src -> ops -> name``: (kwargs, bias vector or None, delays)."""
    from ..network import Conv2D, Pool2D
    n_pre = int(np.prod(g.nodes[src].shape))
    n_post = int(np.prod(g.nodes[name].shape))
    structural = [o for o in ops if g.nodes[o].kind in ("Affine", "Linear", "Conv2d", "SumPool2d", "AvgPool2d")]
    pre_delay, post_delay, mid_delay = np.zeros(n_pre, np.int64), np.zeros(n_post, np.int64), 0
    seen_structural = False
    for o in ops:
        node = g.nodes[o]
        if node.kind == "Threshold":
            th = np.asarray(node.params["threshold"], np.float64)
            if seen_structural or g.nodes[src].kind not in ("Input",) + _SPIKING or np.any(th < 0) or np.any(th >= 1):
                _no(o, "a Threshold is only the identity on spikes (0 <= threshold < 1)")
        elif node.kind == "Delay":
            steps = np.rint(np.broadcast_to(np.asarray(node.params["delay"], np.float64), node.shape) / g.dt)
            steps = steps.astype(np.int64).ravel()
            if not seen_structural:
                pre_delay += steps
            elif o in ops[ops.index(structural[-1]):]:
                post_delay += steps
            elif np.all(steps == steps[0]):
                mid_delay += int(steps[0])
            else:
                _no(o, "per-neuron delays between two linear layers")
        elif node.kind in ("Affine", "Linear", "Conv2d", "SumPool2d", "AvgPool2d"):
            seen_structural = True
    bias = _apply(g, ops, np.zeros((1, n_pre)))[0] if any(
        g.nodes[o].kind in ("Affine", "Conv2d") for o in ops) else None
    kinds = [g.nodes[o].kind for o in structural]
    delays = (pre_delay, post_delay, mid_delay)
    uniform = not np.any(pre_delay != pre_delay[0]) and not np.any(post_delay != post_delay[0])
    scales = [o for o in ops if g.nodes[o].kind == "Scale"]
    if uniform and not scales and kinds == ["Conv2d"]:
        node = g.nodes[structural[0]]
        if node.kind == "Conv2d" and not isinstance(node.params.get("padding", 0), (str, bytes)):
            from .lava import _full_kernel, NetxLayer
            stride, pad, dil, _ = _conv_geometry(node, node.in_shape)
            layer = NetxLayer("conv", (), weight=node.params["weight"], stride=stride, padding=pad, dilation=dil,
                              groups=int(np.ravel(node.params.get("groups", 1))[0]))
            kernel = _full_kernel(layer) * factor
            return dict(conv=Conv2D(kernel, in_shape=node.in_shape, stride=stride, padding=pad)), bias, delays
    if uniform and not scales and kinds in (["SumPool2d"], ["AvgPool2d"]) and factor == 1.0:
        node = g.nodes[structural[0]]
        k = _pair(node.params["kernel_size"])
        if _pair(node.params.get("padding", 0)) == (0, 0):
            return dict(pool=Pool2D(k, stride=_pair(node.params.get("stride", k)),
                                    mode="sum" if node.kind == "SumPool2d" else "average",
                                    in_shape=node.in_shape)), bias, delays
    # anything else: the exact linear map, pushed through unit impulses
    eye = np.eye(n_pre)
    w = _apply(g, ops, eye) - (_apply(g, ops, np.zeros((1, n_pre))) if bias is not None else 0.0)
    return dict(weight=np.ascontiguousarray(w.T * factor)), bias, delays


def _depths(g, neurons, paths):
    depth = {k: 0 for k in g.inputs}
    pending = list(neurons)
    for _ in range(len(neurons) + 1):
        rest = []
        for name in pending:
            srcs = [s for s, _, rec in paths[name] if not rec]
            if all(s in depth for s in srcs):
                depth[name] = 1 + max([depth[s] for s in srcs] + [0])
            else:
                rest.append(name)
        pending = rest
    if pending:
        _no(pending[0], "is on a cycle the engine cannot order")
    return depth


def to_network(g, dtype=np.float64):
    """Map a :class:`GraphNetwork` onto an engine :class:`~spikecore.network.Network` (module docstring).

    Parameters
    ----------
    g : GraphNetwork
    dtype : numpy float dtype
        State and weight type of the populations (float64 by default, the graph's precision).

    Returns
    -------
    spikecore.network.Network
        Inputs are spike sources, neuron nodes populations of the same names; an ``nir``
        attribute records the Output nodes, the depth (latency in steps) of every population
        and the bias unit.

    Raises
    ------
    NotRepresentable
        For a graph the engine cannot hold (the message names the node and why).
    """
    from ..network import Network
    if not isinstance(g, GraphNetwork):
        V.fail("network", g, "a GraphNetwork", TypeError)
    g.infer_shapes()
    order, back = g.order()
    for name, node in g.nodes.items():
        if node.kind == "Conv1d":
            _no(name, "Conv1d has no engine connection")
    neurons = [k for k in order if g.nodes[k].kind in NEURON_KINDS]
    paths = {k: _paths(g, k, back) for k in neurons}
    depth = _depths(g, neurons, paths)
    net = Network(dt=g.dt)
    pops = {}
    for name in g.inputs:
        shape = tuple(g.nodes[name].shape)
        pops[name] = net.add_source(shape=shape if len(shape) == 3 else None, n=int(np.prod(shape)), name=name)
    models = {}
    for name in neurons:
        node = g.nodes[name]
        model, factor = _neuron_model(name, node, g.dt, dtype, getattr(g, "method", "exact"))
        models[name] = factor
        shape = tuple(node.shape)
        init = {"v": 0.0}
        pops[name] = net.add(model, shape=shape if len(shape) == 3 else None, n=int(np.prod(shape)),
                             name=name, initial=init)
    bias_unit = None
    for name in neurons:
        for src, ops, rec in paths[name]:
            if g.nodes[src].kind in ("LI", "I", "CubaLI"):
                _no(src, "a non-spiking %s node cannot drive other nodes on the engine" % g.nodes[src].kind)
            kwargs, bias, (d_pre, d_post, d_mid) = _compose(g, name, src, ops, models[name], dtype)
            shift = depth[name] - depth[src] - (0 if rec else 1)
            if shift < 0:
                _no(name, "a recurrent edge from a deeper node (%r)" % src)
            if "weight" in kwargs and (np.any(d_pre) or np.any(d_post)):
                d = d_post[:, None] + d_pre[None, :] + d_mid + shift
                kwargs["delay"] = d.astype(np.float64) * g.dt
            else:
                kwargs["delay"] = float(int(d_pre[0]) + int(d_post[0]) + d_mid + shift) * g.dt
            net.connect(pops[src], pops[name], **kwargs)
            if bias is not None and np.any(bias):
                if bias_unit is None:
                    bias_unit = net.add(AlwaysOn.model(g.dt, dtype), n=1, name=_free_name(g, "bias"),
                                        initial={"v": 10.0})
                # the bias passes the Delay nodes after the linear layers, like the synaptic input
                d_bias = (depth[name] - 1 + d_post + d_mid).astype(np.float64)
                net.connect(bias_unit, pops[name], weight=(bias * models[name])[:, None],
                            delay=d_bias[:, None] * g.dt if np.any(d_bias != d_bias[0]) else float(d_bias[0]) * g.dt)
    outputs = {}
    for out in g.outputs:
        srcs = [a for a, b in g.edges if b == out]
        for a in srcs:
            if a not in pops or g.nodes[a].kind == "Input":
                _no(out, "an Output fed by %r (only neuron nodes can be read out on the engine)" % a)
            if g.nodes[a].kind in _SPIKING:
                net.record_spikes(pops[a])
            else:
                net.record_voltage(pops[a], np.arange(pops[a].n))
        outputs[out] = srcs
    net.nir = {"outputs": outputs, "depth": {k: depth[k] for k in neurons},
               "bias": bias_unit.name if bias_unit is not None else None}
    return net


def _free_name(g, base):
    name, k = base, 0
    while name in g.nodes:
        k += 1
        name = "%s%d" % (base, k)
    return name


# ----------------------------------------------------------------------------- engine -> graph


def _node_of(pop, dt):
    """NIR node kind, params and the factor on incoming weights of an engine population."""
    IF, LIF, CurrentLIF = _import_lif()
    m, n = pop.model, pop.n
    full = lambda x: np.full(pop.shape or (n,), float(x))  # noqa: E731
    where = "population %r" % pop.name
    if type(m) not in (IF, LIF, CurrentLIF):
        V.fail(where, type(m).__name__, "LIF, IF or one-channel CurrentLIF populations for NIR", TypeError)
    if getattr(m, "t_ref", 0.0) or getattr(m, "reset", "hard") != "hard":
        V.fail(where, type(m).__name__, "no refractory period and a hard reset for NIR")
    spiking = m.v_th != _NEVER
    thr = dict(v_threshold=full(m.v_th), v_reset=full(m.v_reset)) if spiking else {}
    if type(m) is IF:
        return ("IF" if spiking else "I"), dict(r=full(m.r_m / m.tau_mem), **thr), 1.0
    if type(m) is LIF:
        return ("LIF" if spiking else "LI"), dict(tau=full(m.tau_mem), r=full(m.r_m), v_leak=full(m.v_rest),
                                                 **thr), 1.0
    if type(m) is CurrentLIF and m.n_channels == 1:
        factor = dt / m.tau_syn[0] if m.method == "euler" else -math.expm1(-dt / m.tau_syn[0])
        return ("CubaLIF" if spiking else "CubaLI"), dict(tau_syn=full(m.tau_syn[0]), tau_mem=full(m.tau_mem),
                                                           r=full(m.r_m), v_leak=full(m.v_rest), w_in=full(1.0),
                                                           **thr), factor
    V.fail(where, type(m).__name__, "LIF, IF or one-channel CurrentLIF populations for NIR", TypeError)


def to_graph(net):
    """Map an engine :class:`~spikecore.network.Network` to a :class:`GraphNetwork` (inverse of :func:`to_network`).

    Sources become Input nodes, LIF/IF/CurrentLIF populations neuron nodes of the same name
    (non-spiking ones, with the unreachable threshold :func:`to_network` gives them, LI/I/CubaLI),
    every connection a Linear (dense, sparse), Conv2d or SumPool2d/AvgPool2d node named
    ``"<pre>-><post>"`` with the engine's extra delays beyond the depth alignment as Delay nodes
    (per postsynaptic or per presynaptic neuron), and an always-on unit's connections the bias of
    an Affine. The engine's one-step synaptic latency is dropped (module docstring).

    Parameters
    ----------
    net : spikecore.network.Network

    Returns
    -------
    GraphNetwork
    """
    bias_pops = [p for p in net.populations if getattr(p.model, "always_on", False)]
    methods = {getattr(p.model, "method", "exact") for p in net.populations
               if not p.is_source and p not in bias_pops and hasattr(p.model, "method")}
    if len(methods) > 1:
        V.fail("network", "<populations integrated with %s>" % sorted(methods),
               "one integration method for all LIF/CurrentLIF populations (a NIR graph is run with one)")
    g = GraphNetwork(net.dt, method=methods.pop() if methods else "exact")
    for p in net.populations:
        if p.is_source:
            g.add(p.name, "Input", shape=np.asarray(p.shape or (p.n,), np.int64))
    factors = {}
    for p in net.populations:
        if p.is_source or p in bias_pops:
            continue
        kind, params, factors[p.name] = _node_of(p, net.dt)
        g.add(p.name, kind, **params)
    # depths on the engine topology (recurrent = an edge into an earlier-or-same population)
    depth = {p.name: 0 for p in net.populations if p.is_source}
    conns = [c for c in net.connections if c.pre not in bias_pops]
    for p in net.populations:
        if p.name in depth or p in bias_pops:
            continue
        srcs = [c.pre for c in conns if c.post is p and c.pre.index < p.index]
        depth[p.name] = 1 + max([depth[s.name] for s in srcs] + [0])
    biases = {c.post.name: c for c in net.connections if c.pre in bias_pops}
    for c in conns:
        name = "%s->%s" % (c.pre.name, c.post.name)
        rec = c.pre.index >= c.post.index
        shift = depth[c.post.name] - depth[c.pre.name] - (0 if rec else 1)
        f = factors[c.post.name]
        if c.kind in ("dense", "csr"):
            w = c.to_dense().astype(np.float64) / f
            b = biases.pop(c.post.name, None)
            if b is not None:
                g.add(name, "Affine", weight=w, bias=b.to_dense()[:, 0].astype(np.float64) / f)
            else:
                g.add(name, "Linear", weight=w)
            d = _connection_steps(c) - shift
        elif c.kind == "conv2d":
            k = c.conv
            b = biases.pop(c.post.name, None)
            bias = np.zeros(k.kernel.shape[0])
            if b is not None:
                per = b.to_dense()[:, 0].astype(np.float64).reshape(k.kernel.shape[0], -1) / f
                if np.any(per != per[:, :1]):
                    V.fail("connection", b.name, "one bias per channel into a conv layer")
                bias = per[:, 0]
            g.add(name, "Conv2d", weight=np.asarray(k.kernel, np.float64) / f, bias=bias,
                  stride=np.asarray(k.stride), padding=np.asarray(k.padding), dilation=np.array([1, 1]),
                  groups=1, input_shape=np.asarray(c.in_shape[1:]))
            d = np.asarray(c.delay - shift)
        else:
            pl = c.pool
            if f != 1.0:
                V.fail("connection", c.name, "pooling into a LIF/IF population for NIR")
            g.add(name, "SumPool2d" if pl.mode == "sum" else "AvgPool2d", kernel_size=np.asarray(pl.size),
                  stride=np.asarray(pl.stride), padding=np.array([0, 0]))
            d = np.asarray(c.delay - shift)
        g.connect(c.pre.name, name)
        if np.any(d < 0):
            V.fail("connection", c.name, "delays of at least the depth alignment (%d steps)" % shift)
        if np.any(d):
            dname = name + ".delay"
            if d.ndim == 2:  # (n_post, n_pre): per post neuron (or per pre neuron) only
                nz = c.to_dense() != 0
                per_post = [np.unique(d[i][nz[i]]) for i in range(d.shape[0])]
                if all(u.size <= 1 for u in per_post):
                    d = np.array([u[0] if u.size else 0 for u in per_post])
                else:
                    V.fail("connection", c.name, "delays that depend on the postsynaptic neuron only (NIR Delay)")
            g.add(dname, "Delay", delay=np.broadcast_to(d * net.dt, (c.post.n,)).astype(np.float64).copy())
            g.connect(name, dname)
            g.connect(dname, c.post.name)
        else:
            g.connect(name, c.post.name)
    if biases:
        V.fail("connection", list(biases), "a bias unit connection only into a population with another input")
    meta = getattr(net, "nir", None) or {}
    outputs = meta.get("outputs")
    if outputs is None:
        outputs = {}
        for p in net.populations:
            feeds_others = any(c.pre is p and c.post is not p for c in net.connections)
            if not p.is_source and p not in bias_pops and not feeds_others:
                outputs["output" if not outputs else "output%d" % len(outputs)] = [p.name]
    for out, srcs in outputs.items():
        g.add(out, "Output")
        for s in srcs:
            g.connect(s, out)
    return g


def _connection_steps(c):
    """Delays in steps of a dense/sparse connection: an int, or (n_post, n_pre) for per-synapse delays."""
    if c.kind == "csr" and c.delays.size:
        pre, post, _, d = c.synapses()
        out = np.zeros((c.post.n, c.pre.n), np.int64)
        out[post, pre] = d
        return out
    return np.asarray(c.delay)
