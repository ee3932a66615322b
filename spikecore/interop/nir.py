"""NIR graphs in and out (Pedersen et al., 2024, "Neuromorphic intermediate representation").

``from_nir`` turns a ``nir.NIRGraph`` (or a ``.nir`` file) into a
:class:`spikecore.interop.graph.GraphNetwork`, which keeps NIR's parameters and runs them on a
time grid (exact exponentials by default, forward Euler with ``method="euler"``; the mapping is
documented in :mod:`spikecore.interop.graph`). ``to_nir`` and ``write_nir`` go the other way;
the step ``dt`` is recorded in the graph metadata (``metadata["dt"]``).

Supported node types: Input, Output, Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d,
AvgPool2d, Flatten, Delay, Threshold, I, IF, LI, LIF, CubaLI, CubaLIF, and nested NIRGraph
nodes (flattened into ``outer.inner`` names; edges may name the sub-graph, which means its
Input/Output nodes -- or, if it has none, the nodes without inner predecessors/successors -- or
a node inside it, ``"sub.lif"``).

**Conventions, where the writers differ** (read from snnTorch, Norse, Sinabs, Rockpool, Spyx,
Lava-dl, hxtorch and nirtorch's exporters and importers, and the NIR paper's scripts):

* ``I`` / ``IF``: every reader (Norse's ``IAFCell``, snnTorch's ``Leaky(beta=1)``, Sinabs'
  ``IAF``, Lava-dl's CUBA block, the NIR paper's Nengo script) adds :math:`r \\cdot x` to
  :math:`v` once per step, and the writers that export IF (Norse, Sinabs, Spyx) write ``r = 1``
  for such a neuron. spikecore follows them: a file's ``r`` is the gain per step, stored in the graph as
  :math:`R = r/\\Delta t` (the graph's IF integrates :math:`R\\,x\\,\\Delta t`) and written back
  as :math:`R\\,\\Delta t`.
* Leaky nodes: NIR leaves the discretisation to the backend, and the NIR paper's LIF traces show
  both: the exact reference and Nengo integrate exactly, Norse, snnTorch, SpiNNaker2 (forward
  integrator) and Spyx by forward Euler (their voltages match ``method="euler"`` to 2e-7,
  ``tests/test_nir_fixtures.py``), as do Lava's importers (Rockpool and Sinabs decay by
  :math:`e^{-\\Delta t/\\tau}` with their own input gains). Exact exponentials stay the default:
  they are the continuous equations' solution for an input held over the step, so a graph's
  dynamics do not depend on :math:`\\Delta t`; ``method="euler"`` runs a network as the Euler
  libraries trained it (:mod:`spikecore.interop.graph` has both sets of equations).
* A spike is the value 1 held over its step, and a neuron spikes when :math:`v > v_{th}`
  (strictly) and resets to ``v_reset`` (0 when absent, as NIR's reader sets it). snnTorch's
  exporter drops its ``Leaky`` neuron's reset-by-subtraction and writes ``v_reset = 0``; the file
  is what is simulated.
* Edges are instantaneous; an edge that closes a cycle (snnTorch's ``RLeaky``/``RSynaptic``
  sub-graphs, the braille RNN's ``lif1.w_rec -> lif1.lif``) delivers at the next step, as
  every library's recurrent layer does (:math:`v[t]` receives :math:`W s[t-1]`).
* Weights are NIR's ``(out, in)`` (PyTorch's layout). Spyx (and other JAX/Haiku writers)
  stored ``(in, out)``: when a Linear/Affine weight fits its input only transposed, it is
  transposed with a warning, and then so are the graph's square ones (one writer writes every
  layer the same way).
* Parameter shapes: scalars, 0-d arrays and shape ``(1,)`` (snnTorch, Norse and Lava-dl write
  them for a whole layer) are broadcast to the node's shape; a flat ``(n,)`` parameter of a node
  after a convolution is reshaped to its ``(C, H, W)``. An Input shape that carries a batch
  dimension (nirtorch's ``sample_data.shape``, e.g. ``[1, 784]`` or ``[4, 10]``) loses it when
  only the remaining shape fits the next node.
* Convolution padding is integers per side or ``"same"``/``"valid"`` in any case (Spyx writes
  ``"SAME"``; even kernels put the extra pixel after, as PyTorch/TensorFlow do). ``AvgPool2d``
  divides by the kernel area (padding included, PyTorch's default), ``SumPool2d`` does not;
  ``Flatten``'s ``start_dim``/``end_dim`` exclude the batch dimension, as NIR and snnTorch's
  exporter define them (a Flatten only reshapes, so dense layers after it are unaffected either way).

Real-world files are tolerated with a warning when the content is still unambiguous: a file that
fails NIR's strict type check is re-read without it, and a file whose nodes NIR 1.0's
constructors refuse (mixed parameter shapes from older writers, ``padding="SAME"``, integer edge
names, a Conv2d without ``input_shape``) is read node by node from the HDF5 file.

The ``nir`` package is optional (``pip install spikecore[nir]``) and imported only here, inside
the functions.
"""
import os
import warnings

import numpy as np

from .. import _validate as V
from .._atomic import atomic_path
from .graph import METHODS, NEURON_KINDS, NODE_KINDS, GraphNetwork

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
# elementwise nodes: the parameters that have the node's shape
_ELEMENTWISE = {k: v for k, v in _FIELDS.items() if k in NEURON_KINDS}
_ELEMENTWISE.update({"Scale": ("scale",), "Delay": ("delay",), "Threshold": ("threshold",)})
# defaults of the fields NIR's constructors fill in themselves (used by the lenient reader)
_DEFAULTS = {"v_reset": lambda f: np.zeros_like(np.asarray(f["v_threshold"], np.float64)),
             "w_in": lambda f: np.ones_like(np.asarray(f.get("v_threshold", f.get("v_leak", 1.0)), np.float64)),
             "input_shape": lambda f: None, "start_dim": lambda f: 0, "end_dim": lambda f: -1,
             "stride": lambda f: 1, "padding": lambda f: 0, "dilation": lambda f: 1, "groups": lambda f: 1,
             "bias": lambda f: np.zeros(np.shape(f["weight"])[0])}


def _nir():
    try:
        import nir
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("spikecore.interop.nir needs the optional 'nir' package: "
                          "pip install nir  (or pip install spikecore[nir])") from exc
    return nir


def read_nir(path):
    """Read a ``.nir`` file with NIR's reader, falling back to more lenient readings (module docstring).

    First NIR's own reader; if its type check fails, the same without it (warning); if NIR 1.0
    cannot build a node at all (files of older writers), the HDF5 groups are read one by one and
    the refused nodes are built without NIR's checks (warning naming each).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    nir.NIRGraph

    Raises
    ------
    OSError
        When the file cannot be opened as HDF5 or has no NIR ``node`` group (the message names
        the file).
    """
    path = V.path("path", path)
    nir = _nir()
    if not os.path.isfile(path):
        raise FileNotFoundError("%s: no such NIR file" % path)
    try:
        return nir.read(path)
    except OSError as exc:
        raise OSError("%s: not a readable NIR HDF5 file (%s)" % (path, exc)) from exc
    except Exception as exc:  # NIR's type check raises plain exceptions
        first = exc
    try:
        graph = nir.read(path, type_check=False)
    except Exception:  # a node NIR 1.0 refuses to build
        try:
            return _read_lenient(path, first)
        except (ValueError, OSError):
            raise
        except Exception as exc:  # HDF5 or NIR errors on a damaged file: name it
            raise OSError("%s: damaged NIR file (%s: %s)" % (path, type(exc).__name__, exc)) from exc
    warnings.warn("%s: NIR's type check failed (%s); reading it without the check" % (path, first))
    return graph


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf8")
    if isinstance(value, np.ndarray) and value.dtype.kind in "SO" and value.ndim == 0:
        return _text(value[()])
    return value


def _read_lenient(path, reason):
    import h5py
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise OSError("%s: not a readable NIR HDF5 file (%s)" % (path, exc)) from exc
    with f:
        if "node" not in f:
            raise OSError("%s: no 'node' group at the file's root: not a NIR file (groups: %s)"
                          % (path, ", ".join(f.keys()) or "none"))
        refused = []
        try:
            graph = _lenient_node(f["node"], "node", refused)
        except (ValueError, OSError) as exc:  # name the file, keep the type
            raise type(exc)("%s: %s" % (path, exc)) from exc
        except (KeyError, TypeError, AttributeError, IndexError, RuntimeError) as exc:
            raise OSError("%s: damaged NIR file (%s: %s)" % (path, type(exc).__name__, exc)) from exc
    warnings.warn("%s: NIR's reader cannot build this graph (%s); read it node by node, building %s "
                  "without NIR's checks" % (path, reason, ", ".join(refused) or "no node"))
    return graph


def _lenient_node(group, where, refused):
    """A nir node from an HDF5 group: NIR's constructor, or the dataclass filled in without its checks."""
    nir = _nir()
    if "type" not in group:
        raise OSError("%s: group has no 'type' dataset" % where)
    kind = _text(group["type"][()])
    meta = {}
    if "metadata" in group and hasattr(group["metadata"], "items"):
        meta = {k: _text(v[()]) for k, v in group["metadata"].items() if not hasattr(v, "items")}
    if kind == "NIRGraph":
        nodes = {k: _lenient_node(g, "%s/nodes/%s" % (where, k), refused) for k, g in group["nodes"].items()}
        edges = [(str(_text(a)), str(_text(b))) for a, b in group["edges"][()]] if "edges" in group else []
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)
    fields = {k: _text(v[()]) for k, v in group.items() if k not in ("type", "metadata") and not hasattr(v, "items")}
    if kind in ("Input", "Output"):
        shape = np.atleast_1d(np.asarray(fields.get("shape", fields.get(kind.lower() + "_type", [])), np.int64))
        return nir.Input(input_type={"input": shape}) if kind == "Input" else nir.Output(output_type={"output": shape})
    if kind not in _FIELDS:
        V.fail(where + "/type", kind, "a NIR node type spikecore reads (%s)" % ", ".join(NODE_KINDS))
    cls = getattr(nir, kind)
    try:
        return cls.from_dict({"type": kind, **fields, **({"metadata": meta} if meta else {})})
    except Exception as exc:
        why = "%s: %s" % (type(exc).__name__, exc)
    node = object.__new__(cls)
    for name in _FIELDS[kind]:
        if name in fields:
            setattr(node, name, fields[name])
        elif name in _DEFAULTS:
            setattr(node, name, _DEFAULTS[name](fields))
        else:
            V.fail(where, sorted(fields), "the NIR %s fields %s" % (kind, ", ".join(_FIELDS[kind])), OSError)
    node.metadata = meta
    node.input_type, node.output_type = {"input": None}, {"output": None}
    refused.append("%r (%s)" % (where.split("/")[-1], why))
    return node


def _io_names(node, nir):
    """Inner names the edges into / out of a nested graph stand for: its Input/Output nodes, else its roots/leaves."""
    ins = [k for k, n in node.nodes.items() if isinstance(n, nir.Input)]
    outs = [k for k, n in node.nodes.items() if isinstance(n, nir.Output)]
    inner = [(a, b) for a, b in node.edges if a != b]
    if not ins:
        ins = [k for k in node.nodes if not any(b == k for _, b in inner)]
    if not outs:
        outs = [k for k in node.nodes if not any(a == k for a, _ in inner)]
    return ins, outs


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
            ins, outs = _io_names(node, nir)
            if not ins or not outs:
                raise ValueError("NIR sub-graph %r has no node that edges into it (or out of it) can reach: "
                                 "give it Input and Output nodes" % full)
            for k in ins + outs:  # inner Input/Output become pass-through nodes
                if isinstance(node.nodes[k], (nir.Input, nir.Output)):
                    nodes[full + "." + k] = ("Identity", nodes[full + "." + k][1])
            redirect_in[full] = [full + "." + k for k in ins]
            redirect_out[full] = [full + "." + k for k in outs]
        else:
            nodes[full] = (type(node).__name__, node)
    for a, b in graph.edges:
        srcs = redirect_out.get(prefix + a, [prefix + a])
        dsts = redirect_in.get(prefix + b, [prefix + b])
        edges.extend((s, d) for s in srcs for d in dsts)
    return nodes, edges


def from_nir(graph_or_path, dt=None, *, as_graph=False, dtype=np.float64, method="exact"):
    """Import a NIR graph (object or ``.nir`` file) as an engine Network (or a :class:`GraphNetwork`).

    Parameters
    ----------
    graph_or_path : nir.NIRGraph or str or path-like
    dt : float, optional
        Step in seconds; defaults to the graph's ``metadata["dt"]`` if present, else 1e-4 s
        (the NIR paper's step, and snnTorch's exporter's), with a warning.
    as_graph : bool
        False (default): a :class:`spikecore.network.Network` run with ``Network.run``
        (populations named after the neuron nodes, spike sources after the Input nodes; the
        mapping, the one-step-per-layer latency and what cannot be mapped are in
        :mod:`spikecore.interop.nir_engine`). True: the :class:`GraphNetwork`, which keeps NIR's
        nodes and parameters and runs any graph spikecore reads.
    dtype : numpy float dtype
        Float type of the engine populations (float64 by default, the graph's precision).
    method : {"exact", "euler"}
        Integration of the leaky neurons (LI, LIF, CubaLI, CubaLIF): exact exponentials, or
        forward Euler as Norse, snnTorch, Spyx and Lava run NIR graphs (module docstring).

    Returns
    -------
    spikecore.network.Network or GraphNetwork
        See :mod:`spikecore.interop.graph` for the discretisation.

    Raises
    ------
    spikecore.interop.nir_engine.NotRepresentable
        When the engine cannot hold the graph (the message names the node); ``as_graph=True``
        reads it.
    ValueError
        For a node type spikecore does not simulate, or parameters whose shape fits neither the
        node nor a broadcast of it (the message names the node and the parameter).
    """
    nir = _nir()
    V.choice("method", method, METHODS)
    as_graph = V.flag("as_graph", as_graph)
    if dt is not None:
        dt = V.positive("dt", dt, "s")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        V.fail("dtype", dtype, "a numpy float dtype (float32 or float64)", TypeError)
    if isinstance(graph_or_path, nir.NIRGraph):
        return _from_graph(graph_or_path, dt, as_graph, dtype, method)
    path = V.path("graph_or_path", graph_or_path)
    graph = read_nir(path)
    try:
        return _from_graph(graph, dt, as_graph, dtype, method)
    except ValueError as exc:  # the file's graph cannot be read or mapped: name the file, keep the type
        raise type(exc)("%s: %s" % (path, exc)) from exc
    except (TypeError, KeyError, AttributeError, IndexError) as exc:  # values a damaged file holds
        raise ValueError("%s: not a NIR graph spikecore can read (%s: %s)" % (path, type(exc).__name__, exc)) from exc


def _from_graph(graph, dt, as_graph, dtype, method):
    if dt is None:
        meta = graph.metadata if isinstance(graph.metadata, dict) else {}
        if "dt" in meta:
            dt = float(np.ravel(meta["dt"])[0])
        else:
            warnings.warn("the NIR graph records no 'dt'; using dt = 1e-4 s (the NIR paper's step)")
            dt = 1e-4
    net = GraphNetwork(dt, method=method)
    nodes, edges = _flatten_graph(graph)
    identities = {k for k, (kind, _) in nodes.items() if kind == "Identity"}
    for name, (kind, node) in nodes.items():
        if kind == "Identity":
            continue
        if kind not in NODE_KINDS:
            raise ValueError("NIR node %r has type %r, which spikecore cannot simulate (supported: %s)"
                             % (name, kind, ", ".join(NODE_KINDS)))
        if kind == "Input":
            net.add(name, "Input", shape=np.atleast_1d(np.asarray(node.input_type["input"])).astype(np.int64))
        elif kind == "Output":
            net.add(name, "Output")
        else:
            params = {}
            for f in _FIELDS[kind]:
                val = getattr(node, f, None)
                if val is None:
                    continue
                params[f] = _text(val) if isinstance(_text(val), str) else np.asarray(val)
            if kind in ("I", "IF"):  # the file's r is the gain per step (module docstring)
                params["r"] = np.asarray(params["r"], np.float64) / dt
            net.add(name, kind, **params)
    # edges through inlined Input/Output pass-through nodes are shortcut
    edges = _shortcut(edges, identities)
    for a, b in edges:
        for arg, nm in (("source", a), ("target", b)):
            if nm not in net.nodes:
                raise ValueError("NIR edge (%r, %r): the %s %r is not a node of the graph (nodes: %s)"
                                 % (a, b, arg, nm, ", ".join(sorted(net.nodes))))
        net.connect(a, b)
    _repair(net)
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


def _expects(node):
    """What a node accepts as input, if its parameters say: ("flat", n), ("ndim", k, channels) or ("shape", s)."""
    p = node.params
    if node.kind in ("Affine", "Linear"):
        w = np.asarray(p["weight"])
        return ("flat", int(w.shape[-1])) if w.ndim == 2 else None
    if node.kind in ("Conv1d", "Conv2d"):
        nd = 2 if node.kind == "Conv1d" else 3
        return ("ndim", nd, int(np.shape(p["weight"])[1]) * int(np.ravel(p.get("groups", 1))[0]))
    if node.kind in _ELEMENTWISE:
        shapes = [np.shape(p[f]) for f in _ELEMENTWISE[node.kind] if f in p and np.size(p[f]) > 1]
        return ("shape", shapes[0]) if shapes else None
    return None


def _fits(shape, want):
    if want[0] == "flat":
        return int(np.prod(shape)) == want[1]
    if want[0] == "ndim":
        return len(shape) == want[1] and shape[0] == want[2]
    return int(np.prod(shape)) == int(np.prod(want[1]))


def _wants(net, name, depth=0):
    """The input expectations of ``name``'s successors, looking through Flatten nodes (as total sizes)."""
    out = []
    for b in [b for a, b in net.edges if a == name]:
        want = _expects(net.nodes[b])
        if want:
            out.append(want)
        elif net.nodes[b].kind == "Flatten" and depth < 8:
            out += [("flat", int(np.prod(w[1])) if w[0] == "shape" else w[1])
                    for w in _wants(net, b, depth + 1) if w[0] != "ndim"]
    return out


def _root_inputs(net):
    """Give the graph's root nodes that are not Input nodes an Input node, as NIR's type inference does."""
    if net.inputs:
        return
    targets = {b for _, b in net.edges}
    for name in [k for k in net.nodes if k not in targets]:
        want = _expects(net.nodes[name])
        node = net.nodes[name]
        if want and want[0] == "flat":
            shape = (want[1],)
        elif want and want[0] == "shape":
            shape = want[1]
        elif node.kind in ("Conv1d", "Conv2d") and node.params.get("input_shape") is not None:
            shape = (want[2],) + tuple(int(s) for s in np.ravel(node.params["input_shape"]))
        else:
            raise ValueError("the NIR graph has no Input node, and the input shape of its first node %r (%s) "
                             "cannot be told from its parameters" % (name, node.kind))
        inp = "input_" + name
        net.add(inp, "Input", shape=np.asarray(shape, np.int64))
        net.edges.insert(0, (inp, name))
        warnings.warn("the NIR graph has no Input node; added %r of shape %s before %r" % (inp, tuple(shape), name))


def _repair(net):
    """Fix the unambiguous defects real files have (module docstring), then infer every node's shape."""
    _root_inputs(net)
    # an Input shape with a batch dimension in front (nirtorch wrote sample_data.shape)
    for name in net.inputs:
        shape = tuple(int(s) for s in np.ravel(net.nodes[name].params["shape"]))
        wants = _wants(net, name)
        need = max([1 if w[0] == "flat" else len(w[1]) if w[0] == "shape" else w[1] for w in wants], default=0)
        if wants and len(shape) > need and shape[0] == 1 and all(_fits(shape, w) for w in wants):
            k = 0
            while len(shape) - k > need and shape[k] == 1:
                k += 1
            warnings.warn("NIR Input %r: shape %s carries leading batch dimension(s) of 1 (nirtorch's "
                          "sample_data shape); using %s" % (name, shape, shape[k:]))
            net.nodes[name].params["shape"] = np.asarray(shape[k:], np.int64)
            continue
        if not wants or all(_fits(shape, w) for w in wants):
            continue
        for k in range(1, len(shape)):
            if all(_fits(shape[k:], w) for w in wants):
                warnings.warn("NIR Input %r: shape %s carries %d leading batch dimension(s) (nirtorch's "
                              "sample_data shape); using %s" % (name, shape, k, shape[k:]))
                net.nodes[name].params["shape"] = np.asarray(shape[k:], np.int64)
                break
    # Linear/Affine weights stored (in, out): transpose those that only fit transposed, then the square ones
    transposed = []
    while True:
        net.infer_shapes()
        order, back = net.order()
        found = None
        for name in order:
            node = net.nodes[name]
            if node.kind not in ("Affine", "Linear") or node.in_shape is None:
                continue
            w = np.asarray(node.params["weight"])
            n_in = int(np.prod(node.in_shape))
            if w.ndim != 2 or w.shape[1] == n_in:
                continue
            if w.shape[0] != n_in:
                raise ValueError("NIR node %r (%s): weight of shape %s fits neither way its %d inputs"
                                 % (name, node.kind, w.shape, n_in))
            found = name
            break
        if found is None:
            break
        w = net.nodes[found].params["weight"]
        warnings.warn("NIR node %r: weight of shape %s is stored as (in, out); transposing it to NIR's "
                      "(out, in) because only that fits the %d incoming values" % (found, w.shape, w.shape[0]))
        net.nodes[found].params["weight"] = np.ascontiguousarray(np.asarray(w).T)
        transposed.append(found)
    if transposed:
        square = [k for k, n in net.nodes.items() if n.kind in ("Affine", "Linear") and k not in transposed
                  and np.ndim(n.params["weight"]) == 2 and len(set(np.shape(n.params["weight"]))) == 1]
        for k in square:
            net.nodes[k].params["weight"] = np.ascontiguousarray(np.asarray(net.nodes[k].params["weight"]).T)
        if square:
            warnings.warn("NIR nodes %s have square weights; transposed them too, since the same writer stored "
                          "%s as (in, out)" % (square, transposed))
    shapes = net.infer_shapes()
    # elementwise parameters to the node's shape
    for name, node in net.nodes.items():
        if node.kind not in _ELEMENTWISE:
            continue
        shape, p, spread = tuple(shapes[name]), node.params, []
        for f in _ELEMENTWISE[node.kind]:
            if f not in p or isinstance(p[f], str):
                continue
            val = np.asarray(p[f], np.float64)
            if val.shape == shape:
                continue
            if val.size == 1:
                p[f] = np.full(shape, float(val.ravel()[0]))
                spread.append(f)
            elif val.size == int(np.prod(shape)):
                p[f] = val.reshape(shape)
            else:
                V.fail("NIR node %r (%s) parameter %s" % (name, node.kind, f), "<array of shape %s>" % (val.shape,),
                       "one value or one per element of the node's shape %s" % (shape,))
        if spread and shape != (1,):
            warnings.warn("NIR node %r: single values of %s broadcast to its shape %s"
                          % (name, ", ".join(spread), shape))
        for f in ("tau", "tau_syn", "tau_mem"):
            if f in p and np.any(np.asarray(p[f]) <= 0):
                warnings.warn("NIR node %r: non-positive %s (min %g) -- this file's exporter does not "
                              "store a time constant there; the graph loads but will not simulate "
                              "meaningfully" % (name, f, float(np.min(p[f]))))
        if node.kind == "Delay":
            steps = np.asarray(p["delay"], np.float64) / net.dt
            if np.any(np.abs(steps - np.rint(steps)) > 1e-6 * np.maximum(1.0, np.abs(steps))):
                warnings.warn("NIR node %r: delays %s s are not whole steps of dt = %g s; rounded to %s steps"
                              % (name, np.unique(p["delay"])[:5], net.dt, np.unique(np.rint(steps))[:5]))


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

    Notes
    -----
    The leaky nodes' parameters are written as they are; a graph run with ``method="euler"``
    is the same NIR graph (NIR leaves the discretisation to its reader). I/IF nodes get
    :math:`r = R\\,\\Delta t`, the per-step gain every NIR reader applies.

    Returns
    -------
    nir.NIRGraph
    """
    nir = _nir()
    type_check = V.flag("type_check", type_check)
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
            if node.kind in ("I", "IF"):  # NIR's r is the gain per step (module docstring)
                kwargs["r"] = np.asarray(p["r"], np.float64) * network.dt
            if node.kind in ("Conv1d", "Conv2d"):
                kwargs.setdefault("input_shape", np.asarray(node.in_shape[1:]))
                if node.kind == "Conv1d":
                    kwargs["input_shape"] = int(np.ravel(kwargs["input_shape"])[0])
                for f, d in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
                    kwargs.setdefault(f, d)
                if isinstance(kwargs["padding"], str):  # NIR accepts only lower case
                    kwargs["padding"] = kwargs["padding"].lower()
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
    path = V.path("path", path)
    if os.path.isdir(path):
        V.fail("path", path, "a file path (it is a folder)", IsADirectoryError)
    graph = to_nir(network)
    with atomic_path(path) as tmp:
        nir.write(tmp, graph)
    return path
