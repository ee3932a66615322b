"""A discrete-time graph of continuous-time SNN primitives: what NIR files are imported into.

NIR (Pedersen et al., 2024, "Neuromorphic intermediate representation") describes a network as
a graph of continuous-time primitives. :class:`GraphNetwork` keeps the nodes with NIR's own
parameter names (so export is lossless) and simulates them on a grid of step ``dt`` with
**exact exponentials**, treating every signal (spikes included: a spike is the value 1 during
its step) as held constant over a step (zero-order hold). With :math:`a = e^{-\\Delta t/\\tau}`:

* ``LI`` / ``LIF``: :math:`\\tau \\dot v = (v_\\mathrm{leak} - v) + R I` gives
  :math:`v[t] = v_\\mathrm{leak} + (v[t-1] - v_\\mathrm{leak})\\, a + R\\, I[t] (1 - a)`;
  LIF then spikes when :math:`v > v_\\mathrm{th}` and sets :math:`v = v_\\mathrm{reset}`.
* ``I`` / ``IF``: :math:`\\dot v = R I` gives :math:`v[t] = v[t-1] + R\\, I[t]\\, \\Delta t`. (Every NIR
  writer and reader applies an I/IF's ``r`` once per step, :math:`v \\mathrel{+}= r\\,I`; the NIR
  importer and exporter, :mod:`spikecore.interop.nir`, convert with :math:`R = r/\\Delta t`.)
* ``CubaLI`` / ``CubaLIF``: :math:`\\tau_s \\dot I = -I + w_\\mathrm{in} S`,
  :math:`\\tau_m \\dot v = (v_\\mathrm{leak} - v) + R I` integrated exactly over the step
  (:math:`a_s = e^{-\\Delta t/\\tau_s}`, :math:`a_m = e^{-\\Delta t/\\tau_m}`,
  :math:`k = \\tau_s (a_s - a_m)/(\\tau_s - \\tau_m)`, or :math:`(\\Delta t/\\tau) a` when the
  time constants are equal):

  .. math::
      I[t] &= a_s I[t-1] + (1 - a_s)\\, w_\\mathrm{in} S[t] \\\\
      v[t] &= v_\\mathrm{leak} + (v[t-1] - v_\\mathrm{leak}) a_m + R\\, k\\, I[t-1]
              + R\\, w_\\mathrm{in} S[t] (1 - a_m - k)

* ``Delay``: :math:`y[t] = x[t - \\mathrm{round}(\\tau/\\Delta t)]`; ``Threshold``:
  :math:`y = [x > \\theta]`; ``Affine``/``Linear``/``Scale``/``Conv``/``Pool``/``Flatten`` are
  applied within the step.

This reproduces the exact event-driven LIF of the NIR paper's reference (``lif_exact.csv``:
one input spike adds :math:`1 - e^{-0.04} = 0.0392` at :math:`\\Delta t = 0.1` ms,
:math:`\\tau = 2.5` ms). Other simulators differ: **Norse** integrates with forward Euler
(:math:`v \\mathrel{+}= \\frac{\\Delta t}{\\tau}(v_\\mathrm{leak} - v + R I)`, so a spike adds
:math:`\\Delta t/\\tau = 0.04`), and **snnTorch** imports a LIF as ``Leaky`` with
:math:`\\beta = 1 - \\Delta t/\\tau` and *no* input factor (a spike adds :math:`R`), so its voltage
is :math:`\\tau/\\Delta t` times larger and its threshold is scaled to match; the spike times of
the three agree on the NIR paper's test (460, 510, 710, 760), the voltages do not.

``GraphNetwork(dt, method="euler")`` integrates the leaky nodes by forward Euler instead, the
scheme of Norse, snnTorch (whose exporter writes :math:`\\tau = \\Delta t/(1-\\beta)`,
:math:`R = \\tau/\\Delta t`, :math:`w_\\mathrm{in} = \\tau_s/\\Delta t` so that Euler gives back
its :math:`v \\leftarrow \\beta v + I`), Spyx and Lava:
:math:`v[t] = v[t-1] + \\frac{\\Delta t}{\\tau}(v_\\mathrm{leak} - v[t-1] + R\\,I[t])`, and for the
Cuba nodes first :math:`I[t] = I[t-1] + \\frac{\\Delta t}{\\tau_s}(w_\\mathrm{in} S[t] - I[t-1])`,
then :math:`v[t] = v[t-1] + \\frac{\\Delta t}{\\tau_m}(v_\\mathrm{leak} - v[t-1] + R\\,I[t])` (the new
current). The two agree to :math:`O(\\Delta t/\\tau)`; a network trained at a coarse step (the
NIR paper's braille RNN has :math:`\\Delta t/\\tau_s = 0.45`) runs as trained only with the
scheme it was trained with.

Edges are instantaneous (an edge carries the value of the same step); an edge that closes a
cycle (recurrence) carries the value of the previous step -- at step 0 the value of the network
at rest (spikes 0, so a recurrent Affine delivers its bias from the first step, as snnTorch's
``RLeaky``/``RSynaptic`` do). Several edges into one node are summed. Computation is float64
(the exact discretisation is compared with reference traces).
"""
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as V

NODE_KINDS = ("Input", "Output", "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d",
              "AvgPool2d", "Flatten", "Delay", "Threshold", "I", "IF", "LI", "LIF", "CubaLI", "CubaLIF")
NEURON_KINDS = ("I", "IF", "LI", "LIF", "CubaLI", "CubaLIF")
METHODS = ("exact", "euler")


@dataclass
class Node:
    """One graph node: a NIR primitive with NIR's parameter names.

    Attributes
    ----------
    kind : str
        One of :data:`NODE_KINDS`.
    params : dict
        NIR parameters (``weight``, ``bias``, ``tau``, ``r``, ``v_leak``, ``v_threshold``,
        ``v_reset``, ``tau_syn``, ``tau_mem``, ``w_in``, ``stride``, ``padding``, ...), arrays.
    shape : tuple
        Per-sample output shape (filled in by :meth:`GraphNetwork.infer_shapes`).
    """

    kind: str
    params: dict = field(default_factory=dict)
    shape: tuple = None


def _pair(x, n=2):
    a = np.atleast_1d(np.asarray(x)).astype(np.int64).ravel()
    return tuple(int(v) for v in (np.repeat(a, n) if a.size == 1 else a[:n]))


def _conv_pads(node, in_shape):
    r"""(stride, (pad_before, pad_after) per spatial dim, dilation, output spatial shape) of a convolution.

    Integer padding pads both sides (PyTorch); ``"valid"`` pads nothing; ``"same"`` (any case:
    Spyx writes ``"SAME"``) pads so that the output has :math:`\lceil n / s \rceil` positions, the
    extra pixel of an even total after (TensorFlow's and, for stride 1, PyTorch's rule).
    """
    nd = 1 if node.kind == "Conv1d" else 2
    w = node.params["weight"]
    k = w.shape[2:2 + nd]
    stride = _pair(node.params.get("stride", 1), nd)
    dil = _pair(node.params.get("dilation", 1), nd)
    pad = node.params.get("padding", 0)
    spatial = tuple(in_shape[1:])
    if isinstance(pad, (str, bytes)):
        pad = (pad.decode() if isinstance(pad, bytes) else pad).lower()
        if pad not in ("same", "valid"):
            V.fail("padding", pad, "an integer, a pair, 'same' or 'valid'")
        if pad == "valid":
            pads = tuple((0, 0) for _ in k)
        else:
            pads = []
            for n_in, kk, d, st in zip(spatial, k, dil, stride):
                total = max((-(-n_in // st) - 1) * st + d * (kk - 1) + 1 - n_in, 0)
                pads.append((total // 2, total - total // 2))
            pads = tuple(pads)
    else:
        pads = tuple((p, p) for p in _pair(pad, nd))
    out = tuple((s + lo + hi - d * (kk - 1) - 1) // st + 1
                for s, (lo, hi), d, kk, st in zip(spatial, pads, dil, k, stride))
    return stride, pads, dil, out


def _conv_geometry(node, in_shape):
    """(stride, padding, dilation) tuples and output spatial shape of a Conv1d/Conv2d node.

    ``padding`` is the padding before each spatial dimension (equal to the padding after it for
    integer padding; see :func:`_conv_pads` for ``"same"``).
    """
    stride, pads, dil, out = _conv_pads(node, in_shape)
    return stride, tuple(lo for lo, _ in pads), dil, out


def _conv(x, node, in_shape):
    # x: (batch, C, *spatial) float; cross-correlation (PyTorch / NIR convention, weight (C_out, C_in/groups, *k))
    w = np.asarray(node.params["weight"], np.float64)
    nd = w.ndim - 2
    if nd == 1:  # a 1-d convolution is a 2-d one over a height-1 image, padded here
        stride, pads, dil, _ = _conv_pads(node, in_shape)
        xp = np.pad(x, ((0, 0), (0, 0), pads[0]))[:, :, None, :]
        node2 = Node("Conv2d", {**node.params, "weight": w[:, :, None, :], "stride": (1, stride[0]),
                                "dilation": (1, dil[0]), "padding": 0})
        return _conv2d(xp, node2, (in_shape[0], 1, xp.shape[-1]), node2.params["weight"])[:, :, 0, :]
    return _conv2d(x, node, in_shape, w)


def _conv2d(x, node, in_shape, w):
    stride, pads, dil, (Ho, Wo) = _conv_pads(node, in_shape)
    groups = int(np.ravel(node.params.get("groups", 1))[0])
    batch, C = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    Co, Cg, Kh, Kw = w.shape
    if C != Cg * groups:
        V.fail("input of the convolution", "%d channels" % C, "%d channels (weight %s, groups %d)"
               % (Cg * groups, w.shape, groups))
    out = np.zeros((batch, Co, Ho, Wo))
    cog = Co // groups
    for g in range(groups):
        xs = xp[:, g * Cg:(g + 1) * Cg]
        wg = w[g * cog:(g + 1) * cog]
        for r in range(Kh):
            for s in range(Kw):
                patch = xs[:, :, r * dil[0]: r * dil[0] + stride[0] * (Ho - 1) + 1: stride[0],
                           s * dil[1]: s * dil[1] + stride[1] * (Wo - 1) + 1: stride[1]]
                out[:, g * cog:(g + 1) * cog] += np.einsum("bchw,kc->bkhw", patch, wg[:, :, r, s])
    bias = node.params.get("bias")
    if bias is not None:
        out += np.broadcast_to(np.asarray(bias, np.float64).reshape(-1), (Co,))[None, :, None, None]
    return out


def _pool(x, node):
    k = _pair(node.params["kernel_size"])
    st = _pair(node.params.get("stride", k))
    pad = _pair(node.params.get("padding", 0))
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    H, W = xp.shape[2:]
    Ho, Wo = (H - k[0]) // st[0] + 1, (W - k[1]) // st[1] + 1
    out = np.zeros(x.shape[:2] + (Ho, Wo))
    for r in range(k[0]):
        for s in range(k[1]):
            out += xp[:, :, r: r + st[0] * (Ho - 1) + 1: st[0], s: s + st[1] * (Wo - 1) + 1: st[1]]
    return out / (k[0] * k[1]) if node.kind == "AvgPool2d" else out


def _flatten_shape(shape, start, end):
    shape = list(shape)
    end = len(shape) - 1 if end == -1 else end
    return tuple(shape[:start]) + (int(np.prod(shape[start:end + 1])),) + tuple(shape[end + 1:])


def _cuba_propagator(tau_syn, tau_mem, dt):
    """:math:`(a_s, a_m, k)` of the exact CubaLIF step (module docstring), infinite time constants included.

    :math:`k = \\tau_s (a_s - a_m)/(\\tau_s - \\tau_m)`, written as
    :math:`(\\Delta t/\\tau_m)\\, a_m\\, \\mathrm{expm1}(x)/x` with
    :math:`x = \\Delta t (1/\\tau_m - 1/\\tau_s)` (no cancellation; :math:`x = 0` when the
    constants are equal). :math:`\\tau = \\infty` (Lava-dl writes it for a decay of 0) is no
    decay: :math:`a = 1`.
    """
    ts, tm = np.broadcast_arrays(np.asarray(tau_syn, np.float64), np.asarray(tau_mem, np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s, inv_m = 1.0 / ts, 1.0 / tm
        a_s, a_m = np.exp(-dt * inv_s), np.exp(-dt * inv_m)
        x = dt * (inv_m - inv_s)
        ratio = np.where(x == 0, 1.0, np.expm1(x) / np.where(x == 0, 1.0, x))
        k = dt * inv_m * a_m * ratio
    return a_s, a_m, np.where(np.isfinite(k), k, 0.0)


class GraphNetwork:
    """A discrete-time network of NIR primitives, simulated with exact exponentials or forward Euler.

    See the module docstring for the discretisation of every node (Pedersen et al., 2024).

    Parameters
    ----------
    dt : float
        Step :math:`\\Delta t` in seconds.
    method : {"exact", "euler"}
        Integration of the leaky nodes (LI, LIF, CubaLI, CubaLIF): exact exponentials (default)
        or forward Euler, the scheme of Norse, snnTorch, Spyx and Lava (module docstring).
    """

    def __init__(self, dt, method="exact"):
        self.dt = V.positive("dt", dt, "s")
        self.method = V.choice("method", method, METHODS)
        self.nodes = {}
        self.edges = []

    def add(self, name, kind, **params):
        """Add a node ``name`` of NIR type ``kind`` with NIR parameters; returns the name."""
        V.choice("kind", kind, NODE_KINDS)
        if name in self.nodes:
            V.fail("name", name, "a node name not yet in the graph")
        self.nodes[name] = Node(kind, {k: (np.asarray(v) if not isinstance(v, (str, bytes)) else v)
                                       for k, v in params.items()})
        return name

    def connect(self, src, dst):
        """Add an edge ``src -> dst`` (values are summed at ``dst``)."""
        for arg, nm in (("src", src), ("dst", dst)):
            if nm not in self.nodes:
                V.fail(arg, nm, "the name of a node of the graph (%s)" % ", ".join(self.nodes))
        self.edges.append((src, dst))

    @property
    def inputs(self):
        """Names of the Input nodes."""
        return [k for k, n in self.nodes.items() if n.kind == "Input"]

    @property
    def outputs(self):
        """Names of the Output nodes."""
        return [k for k, n in self.nodes.items() if n.kind == "Output"]

    # ------------------------------------------------------------------ structure
    def order(self):
        """Evaluation order (depth-first from the inputs) and the set of back edges (cycles)."""
        succ = {k: [] for k in self.nodes}
        for a, b in self.edges:
            succ[a].append(b)
        order, state, back = [], {}, set()

        def visit(node):
            stack = [(node, iter(succ[node]))]
            state[node] = 1
            while stack:
                cur, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    state[cur] = 2
                    order.append(cur)
                    stack.pop()
                elif state.get(nxt) == 1:
                    back.add((cur, nxt))
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(succ[nxt])))

        for start in self.inputs + [k for k in self.nodes if k not in self.inputs]:
            if start not in state:
                visit(start)
        order.reverse()
        return order, back

    def infer_shapes(self):
        """Fill in every node's per-sample output shape, following the edges from the inputs."""
        order, back = self.order()
        preds = {k: [a for a, b in self.edges if b == k and (a, b) not in back] for k in self.nodes}
        for name in order:
            node = self.nodes[name]
            p = node.params
            ins = [self.nodes[a].shape for a in preds[name] if self.nodes[a].shape is not None]
            in_shape = ins[0] if ins else None
            node.in_shape = in_shape
            if node.kind == "Input":
                node.shape = tuple(int(s) for s in np.ravel(p["shape"]))
            elif node.kind in ("Affine", "Linear"):
                node.shape = (p["weight"].shape[0],)
            elif node.kind in ("Conv1d", "Conv2d"):
                if in_shape is None and p.get("input_shape") is not None:
                    in_shape = (p["weight"].shape[1] * int(np.ravel(p.get("groups", 1))[0]),) + \
                        tuple(int(s) for s in np.ravel(p["input_shape"]))
                    node.in_shape = in_shape
                if in_shape is None:
                    raise ValueError("node %r: the input shape of a convolution cannot be inferred" % name)
                node.shape = (p["weight"].shape[0],) + _conv_geometry(node, in_shape)[3]
            elif node.kind in ("SumPool2d", "AvgPool2d"):
                k = _pair(p["kernel_size"])
                st = _pair(p.get("stride", k))
                pad = _pair(p.get("padding", 0))
                node.shape = (in_shape[0],) + tuple((s + 2 * pp - kk) // ss + 1 for s, pp, kk, ss in
                                                    zip(in_shape[1:], pad, k, st))
            elif node.kind == "Flatten":
                node.shape = _flatten_shape(in_shape, int(p.get("start_dim", 0)), int(p.get("end_dim", -1)))
            elif node.kind in ("Output",):
                node.shape = in_shape
            else:  # elementwise nodes: shape of their parameters, or of the input
                key = {"Scale": "scale", "Delay": "delay", "Threshold": "threshold"}.get(node.kind, "r")
                node.shape = in_shape if in_shape is not None else tuple(np.shape(p[key]))
        return {k: n.shape for k, n in self.nodes.items()}

    # ------------------------------------------------------------------ simulation
    def run(self, inputs, record=()):
        """Simulate the graph.

        Parameters
        ----------
        inputs : array (T, batch, *shape) or dict {input name: array}
            Values of the Input nodes per step (spikes as 0/1).
        record : iterable of str
            Names of further nodes whose outputs to return (``name``) and, for neurons, their
            voltage (``name.v``).

        Returns
        -------
        dict
            Output node name -> float64 array (T, batch, *shape), plus the recorded nodes.
        """
        if not isinstance(inputs, dict):
            if len(self.inputs) != 1:
                V.fail("inputs", "<array>", "a dict {input name: array} for a graph with %d inputs" % len(self.inputs))
            inputs = {self.inputs[0]: inputs}
        self.infer_shapes()
        order, back = self.order()
        T = batch = None
        data = {}
        for name in self.inputs:
            x = np.asarray(inputs[name], np.float64)
            shape = self.nodes[name].shape
            if x.shape[1:] == shape or (x.ndim == len(shape) + 1 and x.shape[1:] == shape):
                x = x[:, None]
            x = V.array("inputs[%r]" % name, x, shape=(None, None) + tuple(shape))
            T, batch = x.shape[:2]
            data[name] = x
        preds = {k: [(a, (a, b) in back) for a, b in self.edges if b == k] for k in self.nodes}
        cur = {k: np.zeros((batch,) + tuple(n.shape)) for k, n in self.nodes.items()}
        prev = self._at_rest(order, preds, batch) if back else {k: v.copy() for k, v in cur.items()}
        states = {k: self._init_state(n, batch) for k, n in self.nodes.items()}
        keep = set(self.outputs) | set(record)
        result = {k: np.zeros((T, batch) + tuple(self.nodes[k].shape)) for k in keep}
        for k in record:
            if self.nodes[k].kind in NEURON_KINDS:
                result[k + ".v"] = np.zeros((T, batch) + tuple(self.nodes[k].shape))
        for t in range(T):
            for name in order:
                node = self.nodes[name]
                if node.kind == "Input":
                    x = data[name][t]
                else:
                    x = np.zeros((batch,) + tuple(node.in_shape)) if node.in_shape is not None else 0.0
                    for a, is_back in preds[name]:
                        src = prev[a] if is_back else cur[a]
                        x = x + src.reshape((batch,) + tuple(node.in_shape)) if node.in_shape is not None else x + src
                cur[name] = self._step(node, x, states[name], t)
                if name in keep:
                    result[name][t] = cur[name]
                if name + ".v" in result:
                    result[name + ".v"][t] = states[name]["v"]
            prev = {k: v.copy() for k, v in cur.items()}
        return result

    def _at_rest(self, order, preds, batch):
        """Node outputs at step -1, what a back edge delivers at step 0: the network at rest.

        Inputs, neurons and delays give 0; the stateless nodes their response to that, so an
        Affine on a recurrent path adds its bias from the first step on (as snnTorch's
        ``RSynaptic``/``RLeaky`` apply their recurrent ``Linear`` to the initial zero spikes).
        """
        rest = {}
        for name in order:
            node = self.nodes[name]
            zeros = np.zeros((batch,) + tuple(node.shape))
            if node.kind in ("Input", "Delay") or node.kind in NEURON_KINDS:
                rest[name] = zeros
                continue
            if node.in_shape is None:
                rest[name] = zeros
                continue
            x = np.zeros((batch,) + tuple(node.in_shape))
            for a, is_back in preds[name]:
                if not is_back:
                    x = x + rest[a].reshape(x.shape)
            rest[name] = self._step(node, x, {}, 0).reshape(zeros.shape)
        return rest

    def _init_state(self, node, batch):
        shape = (batch,) + tuple(node.shape)
        if node.kind in NEURON_KINDS:
            st = {"v": np.zeros(shape)}  # every state starts at 0, as in the NIR reference simulators
            if node.kind.startswith("Cuba"):
                st["i"] = np.zeros(shape)
            return st
        if node.kind == "Delay":
            steps = np.rint(np.broadcast_to(node.params["delay"], node.shape) / self.dt).astype(np.int64)
            return {"steps": steps, "ring": np.zeros((int(steps.max()) + 1,) + shape)}
        return {}

    def _step(self, node, x, st, t):
        p, dt, kind = node.params, self.dt, node.kind
        if kind in ("Input", "Output"):
            return x
        if kind in ("Affine", "Linear"):
            y = x.reshape(x.shape[0], -1) @ np.asarray(p["weight"], np.float64).T
            return y + np.asarray(p["bias"], np.float64) if kind == "Affine" else y
        if kind == "Scale":
            return x * p["scale"]
        if kind in ("Conv1d", "Conv2d"):
            return _conv(x, node, node.in_shape)
        if kind in ("SumPool2d", "AvgPool2d"):
            return _pool(x, node)
        if kind == "Flatten":
            return x.reshape((x.shape[0],) + tuple(node.shape))
        if kind == "Threshold":
            return (x > p["threshold"]).astype(np.float64)
        if kind == "Delay":
            ring, steps = st["ring"], st["steps"]
            D = ring.shape[0]
            ring[t % D] = x
            idx = np.broadcast_to((t - steps) % D, (1,) + ring.shape[1:])
            out = np.take_along_axis(ring, idx, axis=0)[0]
            return np.where(t - steps >= 0, out, 0.0)
        v = st["v"]
        euler = self.method == "euler"
        if kind in ("I", "IF"):
            v += p["r"] * x * dt
        elif kind in ("LI", "LIF"):
            if euler:
                v += dt / p["tau"] * (p["v_leak"] - v + p["r"] * x)
            else:
                a = np.exp(-dt / p["tau"])
                v[...] = p["v_leak"] + (v - p["v_leak"]) * a + p["r"] * x * (1.0 - a)
        else:  # CubaLI, CubaLIF
            s_in = p["w_in"] * x
            if euler:  # the current first, then the membrane with the new current (Norse, snnTorch)
                st["i"] = st["i"] + dt / p["tau_syn"] * (s_in - st["i"])
                v += dt / p["tau_mem"] * (p["v_leak"] - v + p["r"] * st["i"])
            else:
                a_s, a_m, k = _cuba_propagator(p["tau_syn"], p["tau_mem"], dt)
                i_old = st["i"]
                v[...] = p["v_leak"] + (v - p["v_leak"]) * a_m + p["r"] * (k * i_old + s_in * (1.0 - a_m - k))
                st["i"] = a_s * i_old + (1.0 - a_s) * s_in
        if kind in ("LI", "I", "CubaLI"):
            return v.copy()
        z = v > p["v_threshold"]
        v[z] = np.broadcast_to(p.get("v_reset", 0.0), v.shape)[z]  # NIR's default reset is 0
        return z.astype(np.float64)
