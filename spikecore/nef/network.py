r"""A container for an NEF model: ensembles, inputs, pass-through nodes, connections and probes.

>>> import numpy as np
>>> from spikecore import nef
>>> net = nef.Network(seed=1)
>>> stim = net.input(lambda t: [np.sin(2 * np.pi * t)])
>>> a = net.ensemble(100, 1)
>>> b = net.ensemble(100, 1)
>>> _ = net.connect(stim, a)
>>> _ = net.connect(a, b, function=lambda x: x ** 2)
>>> p = net.probe(b, synapse=0.01)
>>> sim = nef.Simulator(net, dt=1e-3)
>>> sim.run(0.5)
>>> sim.data[p].shape
(500, 1)

The model is the NEF of Eliasmith & Anderson (2003) with Nengo's building blocks (Bekolay et
al. 2014); :class:`spikecore.nef.Simulator` runs it in one compiled loop.
"""
import numpy as np

from spikecore import _validate
from spikecore.nef.connections import Connection
from spikecore.nef.ensembles import Ensemble, Neurons
from spikecore.nef.pes import PES
from spikecore.nef.solvers import LstsqL2


def _as_floats(name, function, value, where):
    """A function's return value as a float64 array; a clear error when it holds no numbers."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        _validate.fail(name, function, "a function returning numbers (at %s it returned %s: %s)"
                       % (where, _validate._show(value, 60), exc))
    return arr


def _function_value(name, function, argument, where):
    """``function(argument)`` as a flat float64 array (see :func:`_as_floats`)."""
    return np.atleast_1d(_as_floats(name, function, function(argument), where)).ravel()


class Input:
    r"""An input signal :math:`u(t)`: a function of time, a ``(T, d)`` array, or a constant vector.

    A function is called as ``f(t)`` with :math:`t = n\,dt` at step :math:`n = 1, 2, \dots`
    and must return a size-``d`` vector. An array of shape ``(T, d)`` gives the value at step
    :math:`n` as row :math:`n - 1`; running beyond its end is an error (say ``cycle=True`` to
    repeat it). A 1-D array or scalar is a constant.
    """

    def __init__(self, output, *, size=None, cycle=False, label=None):
        self.label = label
        self.cycle = _validate.flag("cycle", cycle)
        if callable(output):
            self.function = output
            size = None if size is None else _validate.integer("size", size, low=1)
            value = _function_value("output", output, 0.0, "t = 0")
            self.size = len(value) if size is None else size
            if len(value) != self.size:
                _validate.fail("output", output, "a function returning %d values" % self.size)
            if not np.all(np.isfinite(value)):
                _validate.fail("output", output, "a function returning finite values (at t = 0: %s)" % value.tolist())
            self.array = None
        else:
            arr = _validate.array("output", output, ndim=(0, 1, 2), finite=True, dtype=np.float64)
            self.function = None
            if arr.ndim < 2:
                arr = np.atleast_1d(arr)[None, :]
                self.constant = True
            else:
                self.constant = False
                if arr.shape[0] == 0 or arr.shape[1] == 0:
                    _validate.fail("output", "<array of shape %s>" % (arr.shape,), "a non-empty (T, d) array")
            self.array = arr
            self.size = arr.shape[1]

    def values(self, first_step, n_steps, dt):
        """Values at steps ``first_step .. first_step + n_steps - 1`` (1-based), shape (n_steps, size)."""
        steps = np.arange(first_step, first_step + n_steps)
        if self.function is not None:
            out = np.empty((n_steps, self.size))
            shape = (self.size,)
            f = self.function
            # t = n * dt with plain Python numbers (the same double product as with NumPy
            # scalars, at a fraction of the per-call cost: this loop runs once per step)
            for k in range(n_steps):
                t = (first_step + k) * dt
                v = f(t)
                if type(v) is not np.ndarray or v.dtype != np.float64 or v.shape != shape:
                    v = _as_floats("output", f, v, "t = %g" % t)
                    if v.shape != shape:  # any shape holding `size` values is accepted, flattened
                        if v.size != self.size:
                            _validate.fail("output", self.function, "a function returning %d values at t = %g"
                                           % (self.size, t))
                        v = v.ravel()
                out[k] = v
            if not np.all(np.isfinite(out)):
                _validate.fail("output", self.function, "finite values")
            return out
        if self.constant:
            return np.repeat(self.array, n_steps, axis=0)
        T = self.array.shape[0]
        if not self.cycle and steps[-1] > T:
            _validate.fail("n_steps", int(steps[-1]), "at most %d steps: the input array has %d rows "
                           "(pass cycle=True to repeat it)" % (T, T))
        return self.array[(steps - 1) % T]

    def __repr__(self):
        return "<Input %s(%d-D)>" % ("%r " % self.label if self.label else "", self.size)


class Node:
    """A pass-through node of ``size_in`` dimensions: its value is the sum of what arrives each step.

    Useful to compute an error (``connect(actual, node, synapse=None)``,
    ``connect(target, node, transform=-1, synapse=None)``) before feeding it to a PES rule.
    """

    def __init__(self, size_in, *, label=None):
        self.size = _validate.integer("size_in", size_in, low=1)
        self.label = label

    def __repr__(self):
        return "<Node %s(%d-D)>" % ("%r " % self.label if self.label else "", self.size)


class Probe:
    r"""Records a signal during a simulation (create with :meth:`Network.probe`).

    ``attr``: for an Ensemble ``"decoded"`` (its value decoded by least squares, the default)
    or ``"spikes"``; for ``ens.neurons`` ``"spikes"`` (the neuron output); for an Input or Node
    ``"output"``; for a Connection ``"weights"`` (its matrix, before that step's PES change);
    for a PES rule ``"error"``. ``synapse`` low-pass filters the record (Nengo's probe
    convention: the record at step :math:`n` is the filter state after step :math:`n-1`);
    ``sample_every`` (s) records every ``round(sample_every/dt)`` steps.
    """

    def __init__(self, target, attr, synapse, sample_every, solver=None):
        self.target, self.attr = target, attr
        self.synapse = None if synapse is None else _validate.nonnegative("synapse", synapse, "s")
        self.sample_every = None if sample_every is None else _validate.positive("sample_every", sample_every, "s")
        if solver is not None and not isinstance(solver, LstsqL2):
            _validate.fail("solver", solver, "None or an LstsqL2 instance (decoders of a decoded probe)", TypeError)
        self.solver = solver

    def __repr__(self):
        return "<Probe %s of %r>" % (self.attr, self.target)


_ATTRS = {"ensemble": ("decoded", "spikes"), "neurons": ("spikes",), "node": ("output",),
          "connection": ("weights",), "rule": ("error",)}


class Network:
    """An NEF model under construction.

    Parameters
    ----------
    seed : int, optional
        Seeds every ensemble created without its own ``seed`` (in creation order).
    """

    def __init__(self, seed=None):
        self.seed = seed
        self._rng = _validate.rng(seed)
        self.ensembles, self.inputs, self.nodes, self.connections, self.probes = [], [], [], [], []

    # -- objects ----------------------------------------------------------------------------
    def ensemble(self, n_neurons, dimensions, **kwargs):
        """Add an :class:`~spikecore.nef.Ensemble` (keywords as there); returns it."""
        if kwargs.get("seed") is None:
            kwargs["seed"] = int(self._rng.integers(2 ** 31))
        ens = Ensemble(n_neurons, dimensions, **kwargs)
        self.ensembles.append(ens)
        return ens

    def add(self, obj):
        """Add an existing Ensemble, Input or Node object; returns it."""
        if isinstance(obj, Ensemble):
            self.ensembles.append(obj)
        elif isinstance(obj, Input):
            self.inputs.append(obj)
        elif isinstance(obj, Node):
            self.nodes.append(obj)
        else:
            _validate.fail("obj", obj, "an Ensemble, Input or Node", TypeError)
        return obj

    def input(self, output, **kwargs):
        """Add an :class:`Input` (function of time, (T, d) array, or constant); returns it."""
        return self.add(Input(output, **kwargs))

    def node(self, size_in, **kwargs):
        """Add a pass-through :class:`Node`; returns it."""
        return self.add(Node(size_in, **kwargs))

    def connect(self, pre, post, **kwargs):
        """Add a :class:`~spikecore.nef.connections.Connection` ``pre -> post``; returns it.

        Keywords: ``function``, ``transform``, ``synapse`` (default 0.005 s), ``solver``,
        ``eval_points``, ``learning_rule``, ``label``. ``post`` may be a PES rule
        (``conn.learning_rule``): the error input.
        """
        for role, obj in (("pre", pre), ("post", post)):
            owner = obj.ensemble if isinstance(obj, Neurons) else obj
            if isinstance(owner, PES):
                owner = owner.connection
                if owner not in self.connections:
                    _validate.fail(role, obj, "a PES rule of a connection in this network")
                continue
            if not any(owner is o for o in self.ensembles + self.inputs + self.nodes):
                _validate.fail(role, obj, "an object added to this network", TypeError)
        if isinstance(post, Input):
            _validate.fail("post", post, "an Ensemble, ens.neurons, a Node or a PES rule (an Input takes no input)",
                           TypeError)
        conn = Connection(pre, post, **kwargs)
        self.connections.append(conn)
        return conn

    def probe(self, target, attr=None, *, synapse=None, sample_every=None, solver=None):
        """Record ``target`` during simulation; returns the :class:`Probe` key of ``Simulator.data``."""
        kind = self._kind(target)
        attrs = _ATTRS[kind]
        attr = attrs[0] if attr is None else _validate.choice("attr", attr, attrs)
        probe = Probe(target, attr, synapse, sample_every, solver)
        self.probes.append(probe)
        return probe

    def _kind(self, target):
        if isinstance(target, Ensemble) and any(target is e for e in self.ensembles):
            return "ensemble"
        if isinstance(target, Neurons) and any(target.ensemble is e for e in self.ensembles):
            return "neurons"
        if isinstance(target, (Input, Node)) and any(target is o for o in self.inputs + self.nodes):
            return "node"
        if isinstance(target, Connection) and any(target is c for c in self.connections):
            return "connection"
        if isinstance(target, PES) and target.connection in self.connections:
            return "rule"
        _validate.fail("target", target, "an object of this network (Ensemble, neurons, Input, Node, "
                       "Connection or PES rule)", TypeError)
