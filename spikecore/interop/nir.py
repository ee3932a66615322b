"""NIR graphs in and out (Pedersen et al., 2024, "Neuromorphic intermediate representation").

``from_nir`` turns a ``nir.NIRGraph`` (or a ``.nir`` file) into a
:class:`spikecore.interop.graph.GraphNetwork`, which keeps NIR's parameters unchanged and runs
them on a time grid with exact exponentials (the mapping is documented in
:mod:`spikecore.interop.graph`, with how snnTorch and Norse differ). ``to_nir`` and ``write_nir``
go the other way; the step ``dt`` is recorded in the graph metadata (``metadata["dt"]``).

Supported node types: Input, Output, Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d,
AvgPool2d, Flatten, Delay, Threshold, I, IF, LI, LIF, CubaLI, CubaLIF, and nested NIRGraph
nodes (flattened into ``outer.inner`` names).

Real-world files are tolerated with a warning when the content is still unambiguous: a file that
fails NIR's strict type check is re-read without it; a Linear/Affine weight stored transposed
(``(in, out)`` instead of NIR's ``(out, in)``, as Spyx wrote) is transposed when only the
transposed reading fits the incoming size; scalar neuron parameters are broadcast to the layer.

The ``nir`` package is optional (``pip install spikecore[nir]``) and imported only here, inside
the functions.
"""
import os
import warnings

import numpy as np

from .. import _validate as V
from .._atomic import atomic_path
from .graph import NODE_KINDS, GraphNetwork

__all__ = ["from_nir", "to_nir", "write_nir", "read_nir", "to_graph"]

# NIR field names per node type (besides input_type / output_type / metadata)
_FIELDS = {
    "Affine": ("weight", "bias"), "Linear": ("weight",), "Scale": ("scale",),
    "Conv1d": ("input_shape", "weight", "stride", "padding", "dilation", "groups", "bias"),
    "Conv2d": ("input_shape", "weight", "stride", "padding", "dilation", "groups", "bias"),
    "SumPool2d": ("kernel_size", "stride", "padding"), "AvgPool2d": ("kernel_size", "stride", "padding"),
    "Flatten": ("start_dim", "end_dim"), "Delay": ("delay",), "Threshold": ("threshold",),
    "I": ("r",), "IF": ("r", "v_threshold", "v_reset"), "LI": ("tau", "r", "v_leak"),
    "LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
    "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
    "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
}
_NEURON_FIELDS = {"I", "IF", "LI", "LIF", "CubaLI", "CubaLIF"}


def _nir():
    try:
        import nir
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("spikecore.interop.nir needs the optional 'nir' package: "
                          "pip install nir  (or pip install spikecore[nir])") from exc
    return nir


def read_nir(path):
    """Read a ``.nir`` file with NIR's reader, retrying without the strict type check.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    nir.NIRGraph
    """
    nir = _nir()
    path = os.fspath(path)
    try:
        return nir.read(path)
    except (OSError, KeyError) as exc:
        raise OSError("%s: not a readable NIR HDF5 file (%s)" % (path, exc)) from exc
    except Exception as exc:  # NIR's type check raises plain exceptions
        warnings.warn("%s: NIR's type check failed (%s); reading it without the check" % (path, exc))
        return nir.read(path, type_check=False)


def _flatten_graph(graph, prefix=""):
    """Nodes and edges of a NIR graph with nested graphs inlined as ``outer.inner``."""
    nir = _nir()
    nodes, edges, redirect_in, redirect_out = {}, [], {}, {}
    for name, node in graph.nodes.items():
        full = prefix + name
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _flatten_graph(node, full + ".")
            nodes.update(sub_nodes)
            edges.extend(sub_edges)
            ins = [full + "." + k for k, n in node.nodes.items() if isinstance(n, nir.Input)]
            outs = [full + "." + k for k, n in node.nodes.items() if isinstance(n, nir.Output)]
            for k in ins:  # inner Input/Output become pass-through nodes
                nodes[k] = ("Identity", nodes[k][1])
            for k in outs:
                nodes[k] = ("Identity", nodes[k][1])
            redirect_in[full], redirect_out[full] = ins, outs
        else:
            nodes[full] = (type(node).__name__, node)
    for a, b in graph.edges:
        srcs = redirect_out.get(prefix + a, [prefix + a])
        dsts = redirect_in.get(prefix + b, [prefix + b])
        edges.extend((s, d) for s in srcs for d in dsts)
    return nodes, edges


def from_nir(graph_or_path, dt=None, *, as_graph=False, dtype=np.float64):
    """Import a NIR graph (object or ``.nir`` file) as an engine Network (or a :class:`GraphNetwork`).

    Parameters
    ----------
    graph_or_path : nir.NIRGraph or str or path-like
    dt : float, optional
        Step in seconds; defaults to the graph's ``metadata["dt"]`` if present, else 1e-4 s
        (the NIR paper's step), with a warning.
    as_graph : bool
        False (default): a :class:`spikecore.network.Network` run with ``Network.run``
        (populations named after the neuron nodes, spike sources after the Input nodes; the
        mapping, the one-step-per-layer latency and what cannot be mapped are in
        :mod:`spikecore.interop.nir_engine`). True: the :class:`GraphNetwork`, which keeps NIR's
        nodes and parameters unchanged and runs any graph spikecore reads.
    dtype : numpy float dtype
        Float type of the engine populations (float64 by default, the graph's precision).

    Returns
    -------
    spikecore.network.Network or GraphNetwork
        See :mod:`spikecore.interop.graph` for the discretisation.

    Raises
    ------
    spikecore.interop.nir_engine.NotRepresentable
        When the engine cannot hold the graph (the message names the node); ``as_graph=True``
        reads it.
    """
    nir = _nir()
    graph = graph_or_path if isinstance(graph_or_path, nir.NIRGraph) else read_nir(graph_or_path)
    if dt is None:
        meta = graph.metadata if isinstance(graph.metadata, dict) else {}
        if "dt" in meta:
            dt = float(np.ravel(meta["dt"])[0])
        else:
            warnings.warn("the NIR graph records no 'dt'; using dt = 1e-4 s (the NIR paper's step)")
            dt = 1e-4
    net = GraphNetwork(dt)
    nodes, edges = _flatten_graph(graph)
    identities = {k for k, (kind, _) in nodes.items() if kind == "Identity"}
    for name, (kind, node) in nodes.items():
        if kind == "Identity":
            continue
        if kind not in NODE_KINDS:
            raise ValueError("NIR node %r has type %r, which spikecore cannot represent (supported: %s)"
                             % (name, kind, ", ".join(NODE_KINDS)))
        if kind == "Input":
            net.add(name, "Input", shape=np.asarray(node.input_type["input"]).astype(np.int64))
        elif kind == "Output":
            net.add(name, "Output")
        else:
            params = {}
            for f in _FIELDS[kind]:
                val = getattr(node, f, None)
                if val is None:
                    continue
                params[f] = val if isinstance(val, (str, bytes)) else np.asarray(val)
            net.add(name, kind, **params)
    # edges through inlined Input/Output pass-through nodes are shortcut
    edges = _shortcut(edges, identities)
    for a, b in edges:
        net.connect(a, b)
    _repair(net)
    net.infer_shapes()
    if as_graph:
        return net
    from .nir_engine import to_network
    return to_network(net, dtype=dtype)


def _shortcut(edges, identities):
    changed = True
    edges = list(dict.fromkeys(edges))
    while changed:
        changed = False
        for node in list(identities):
            ins = [a for a, b in edges if b == node]
            outs = [b for a, b in edges if a == node]
            if ins or outs:
                edges = [(a, b) for a, b in edges if node not in (a, b)]
                edges += [(a, b) for a in ins for b in outs]
                changed = True
            identities.discard(node)
    return list(dict.fromkeys(edges))


def _repair(net):
    """Fix the unambiguous defects real files have: transposed weights, scalar parameters."""
    order, back = net.order()
    sizes, transposed, square = {}, [], []
    preds = {k: [a for a, b in net.edges if b == k and (a, b) not in back] for k in net.nodes}
    for name in order:
        node = net.nodes[name]
        p = node.params
        incoming = [sizes[a] for a in preds[name] if a in sizes]
        n_in = incoming[0] if incoming else None
        if node.kind == "Input":
            sizes[name] = int(np.prod(p["shape"]))
        elif node.kind in ("Affine", "Linear"):
            w = p["weight"]
            if n_in is not None and w.ndim == 2 and w.shape[1] != n_in and w.shape[0] == n_in:
                warnings.warn("NIR node %r: weight of shape %s is stored as (in, out); transposing it to "
                              "NIR's (out, in) because only that fits the %d incoming values"
                              % (name, w.shape, n_in))
                p["weight"] = w.T.copy()
                transposed.append(name)
            elif w.ndim == 2 and w.shape[0] == w.shape[1]:
                square.append(name)
            sizes[name] = p["weight"].shape[0]
        elif node.kind in _NEURON_FIELDS:
            n = n_in
            for f in _FIELDS[node.kind]:
                if f in p and n is not None and np.size(p[f]) != n:
                    if np.size(p[f]) == 1:
                        warnings.warn("NIR node %r: scalar %s broadcast to %d neurons" % (name, f, n))
                        p[f] = np.full(n, float(np.ravel(p[f])[0]))
            for f in ("tau", "tau_syn", "tau_mem"):
                if f in p and np.any(np.asarray(p[f]) <= 0):
                    warnings.warn("NIR node %r: non-positive %s (min %g) -- this file's exporter does not "
                                  "store a time constant there; the graph loads but will not simulate "
                                  "meaningfully" % (name, f, float(np.min(p[f]))))
            sizes[name] = int(np.size(p.get("r", p.get("v_threshold"))))
        elif n_in is not None:
            sizes[name] = n_in
    if transposed and square:
        warnings.warn("NIR nodes %s have square weights kept as stored, but %s were stored transposed: "
                      "the square ones probably are too (ambiguous, not changed)" % (square, transposed))


def to_graph(network):
    """``network`` as a :class:`GraphNetwork`: as is, or mapped from an engine Network.

    See :func:`spikecore.interop.nir_engine.to_graph` (Pedersen et al., 2024, for NIR).
    """
    from ..network import Network
    if isinstance(network, Network):
        from .nir_engine import to_graph as engine_to_graph
        return engine_to_graph(network)
    if not isinstance(network, GraphNetwork):
        V.fail("network", network, "a spikecore.interop.graph.GraphNetwork or spikecore.network.Network", TypeError)
    return network


def to_nir(network, type_check=True):
    """Export a :class:`GraphNetwork` or an engine Network as a ``nir.NIRGraph`` (``dt`` in ``metadata``).

    Parameters
    ----------
    network : GraphNetwork or spikecore.network.Network
        An engine Network (LIF, IF, CurrentLIF populations) is first mapped with
        :func:`spikecore.interop.nir_engine.to_graph`.
    type_check : bool
        Run NIR's type check on the result (default True).

    Returns
    -------
    nir.NIRGraph
    """
    nir = _nir()
    network = to_graph(network)
    network.infer_shapes()
    nodes = {}
    for name, node in network.nodes.items():
        p = node.params
        if node.kind == "Input":
            nodes[name] = nir.Input(input_type={"input": np.asarray(node.shape)})
        elif node.kind == "Output":
            nodes[name] = nir.Output(output_type={"output": np.asarray(node.shape)})
        elif node.kind == "Flatten":
            nodes[name] = nir.Flatten(input_type={"input": np.asarray(node.in_shape)},
                                      start_dim=int(p.get("start_dim", 0)), end_dim=int(p.get("end_dim", -1)))
        else:
            kwargs = {f: p[f] for f in _FIELDS[node.kind] if f in p}
            if node.kind in ("Conv1d", "Conv2d"):
                kwargs.setdefault("input_shape", np.asarray(node.in_shape[1:]))
                if node.kind == "Conv1d":
                    kwargs["input_shape"] = int(np.ravel(kwargs["input_shape"])[0])
                for f, d in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
                    kwargs.setdefault(f, d)
                kwargs.setdefault("bias", np.zeros(p["weight"].shape[0]))
                if node.kind == "Conv2d":
                    for f in ("stride", "dilation") + (() if isinstance(kwargs["padding"], str) else ("padding",)):
                        kwargs[f] = tuple(int(v) for v in np.broadcast_to(np.ravel(kwargs[f]), (2,)))
                kwargs["groups"] = int(np.ravel(kwargs["groups"])[0])
            nodes[name] = getattr(nir, node.kind)(**kwargs)
    graph = nir.NIRGraph(nodes=nodes, edges=list(network.edges), metadata={"dt": float(network.dt)},
                         type_check=type_check)
    return graph


def write_nir(network, path):
    """Write a :class:`GraphNetwork` or engine Network to a ``.nir`` file (atomically: temp file, then replace).

    Parameters
    ----------
    network : GraphNetwork or spikecore.network.Network
    path : str or path-like
    """
    nir = _nir()
    graph = to_nir(network)
    path = os.fspath(path)
    with atomic_path(path) as tmp:
        nir.write(tmp, graph)
    return path
