"""The :class:`Network`: populations, connections, monitors, and the simulator that runs them.

>>> import numpy as np
>>> from spikecore.network import Network
>>> from spikecore.neurons import LIF
>>> net = Network(dt=1e-3, seed=0)
>>> inp = net.add_source(100, name="input")
>>> out = net.add(LIF(tau_mem=20e-3, v_th=1.0), n=10, name="out")
>>> con = net.connect(inp, out, weight=20.0, p=0.2)
>>> net.record_spikes(out)
>>> raster = np.random.default_rng(0).random((200, 1, 100)) < 0.05
>>> result = net.run(200, inputs={inp: raster})
>>> result.spikes(out).neuron.size > 0
True

Every step runs in one compiled loop (:func:`spikecore.kernels.network.network_run`) for
populations of ``LIF``, ``IF``, ``CurrentLIF``, ``AdaptiveLIF`` and ``Izhikevich`` neurons and
spike sources; populations of other models (``SRM0``, ``HodgkinHuxley``, user models with a
``kernel_step``) are advanced by a slower path that calls their compiled step from Python once
per step. ``mode="event"`` runs LIF/IF networks event-driven
(:mod:`spikecore.kernels.event_driven`).

Plasticity in a run: ``net.connect(pre, post, weight=W, plasticity=PairSTDP())`` attaches any rule
of :mod:`spikecore.learning.stdp` to a dense or CSR connection; inside the same compiled loop,
after the step's propagation, the rule's traces and the weights are updated with the spikes of
that step (:func:`spikecore.kernels.plasticity.stdp_dense_step` / ``stdp_csr_step``). For a
synapse with delay :math:`d` the presynaptic spike counts at its *arrival* :math:`t + d` (as
Brian2's delayed ``on_pre`` and NEST's dendritic delay). Weights persist across runs and
``reset()``; traces persist across runs and are cleared by ``reset()``.
"""
import time

import numpy as np

from .. import _validate as V
from ..kernels import fpmode
from ..kernels import network as K
from ..kernels import neurons as KN
from ..kernels import plasticity as KP
from ..kernels.propagation import spike_list
from . import connections as C
from .connections import csr_columns
from .monitors import RunResult, SpikeList
from .population import Population, PopulationView, check_size

_MODEL_CODES = {
    id(KN.lif_step): K.MODEL_LIF,
    id(KN.cuba_lif_step): K.MODEL_CUBA_LIF,
    id(KN.adaptive_lif_step): K.MODEL_ADAPTIVE_LIF,
    id(KN.izhikevich_step): K.MODEL_IZHIKEVICH,
}
_KIND_CODES = {"csr": K.CONN_CSR, "dense": K.CONN_DENSE, "conv2d": K.CONN_CONV2D,
               "pool2d": K.CONN_POOL2D}


def model_code(model):
    """Code of the compiled update of ``model`` in the fused loop, or ``MODEL_EXTERNAL``."""
    return _MODEL_CODES.get(id(getattr(model, "kernel_step", None)), K.MODEL_EXTERNAL)


class Network:
    """A spiking network: populations of neurons and spike sources joined by connections.

    The network is simulated on a fixed time grid :math:`t_k = k\\,dt` (clock-driven; Brette et
    al., 2007), ``batch`` independent copies at once, with the schedule of
    :mod:`spikecore.kernels.network`: a spike emitted at step :math:`t` on a synapse with delay
    :math:`d` steps enters the neuron update of step :math:`t + 1 + d`.

    Parameters
    ----------
    dt : float
        Time step (s).
    seed : None, int or numpy.random.Generator
        Source of the randomness of random connectivity (and of callable weights/delays);
        the same seed gives the same network and the same spikes.

    Examples
    --------
    The CUBA network (Vogels & Abbott, 2005; Brette et al., 2007)::

        from spikecore.neurons import CurrentLIF
        net = Network(dt=1e-4, seed=1)
        cuba = CurrentLIF(tau_mem=20e-3, tau_syn=(5e-3, 10e-3), v_rest=-49e-3, v_th=-50e-3,
                          v_reset=-60e-3, t_ref=5e-3, dtype=np.float64)
        v0 = lambda rng, n: rng.uniform(-60e-3, -50e-3, n)
        P = net.add(cuba, n=4000, name="P", initial={"v": v0})
        net.connect(P[:3200], P, weight=1.62e-3, p=0.02, target="exc")   # slices, as in Brian2
        net.connect(P[3200:], P, weight=-9e-3, p=0.02, target="inh")
        net.record_spikes(P)
        result = net.run(10000)          # 1 s
    """

    def __init__(self, dt, seed=None):
        self.dt = V.positive("dt", dt, unit="s")
        self.rng = V.rng(seed)
        self.populations = []
        self.connections = []
        self._record = set()
        self._vrec = {}
        self._state = None  # _State, made on the first run
        self.t = 0  # steps simulated so far

    # -- building ------------------------------------------------------------------------------

    def __repr__(self):
        pops = ", ".join(repr(p) for p in self.populations)
        return "Network(dt=%r, t=%d, populations=[%s], connections=%d)" % (
            self.dt, self.t, pops, len(self.connections))

    def _name(self, name, prefix):
        if name is None:
            name = "%s%d" % (prefix, len(self.populations))
        if not isinstance(name, str):
            V.fail("name", name, "a string", TypeError)
        if any(p.name == name for p in self.populations):
            V.fail("name", name, "a name not used by another population")
        return name

    def _check_member(self, arg, pop):
        if isinstance(pop, str):
            for p in self.populations:
                if p.name == pop:
                    return p
            V.fail(arg, pop, "a population of this network: %s"
                   % ", ".join(p.name for p in self.populations), V.NotFoundError)
        if not isinstance(pop, Population) or pop.index >= len(self.populations) \
                or self.populations[pop.index] is not pop:
            V.fail(arg, pop, "a population of this network (from net.add / net.add_source)", TypeError)
        return pop

    def _dtype(self):
        for p in self.populations:
            if p.model is not None:
                return np.dtype(p.model.dtype)
        return np.dtype(np.float32)

    def add(self, model, n=None, *, shape=None, name=None, initial=None):
        """Add a population of ``n`` neurons of ``model``.

        Parameters
        ----------
        model : spikecore.neurons.NeuronModel
            Neuron model (its parameters are shared by the population).
        n : int, optional
            Number of neurons (or give ``shape``).
        shape : tuple, optional
            Layout, e.g. ``(C, H, W)`` for convolution/pooling connections.
        name : str, optional
            Unique name; ``"pop<k>"`` by default.
        initial : dict, optional
            Initial state values by variable name: scalar, ``(n,)``, ``(batch, n)`` array, or a
            callable ``f(rng, n)`` returning ``(n,)`` values (drawn from the network's seed).

        Returns
        -------
        Population
        """
        if isinstance(model, type):
            V.fail("model", model, "a neuron model instance, e.g. %s(...), not the class" % model.__name__,
                   TypeError)
        for attr in ("kernel_step", "state_names", "step_params", "init_state", "dtype"):
            if not hasattr(model, attr):
                V.fail("model", model, "a spikecore.neurons model (with %s)" % attr, TypeError)
        n, shape = check_size(n, shape)
        name = self._name(name, "pop")
        dtype = np.dtype(model.dtype)
        if self._has_models() and dtype != self._dtype():
            V.fail("model", "<%s with dtype %s>" % (type(model).__name__, dtype),
                   "dtype %s like the network's other populations (population %r)"
                   % (self._dtype(), name), TypeError)
        where = " (population %r)" % name
        if hasattr(model, "check_population"):
            model.check_population(n, where)
        model.step_params(self.dt)  # a model the engine cannot run fails now, not at the first run
        initial = self._initial(model, n, initial, where)
        pop = Population(len(self.populations), name, model, n, shape, initial)
        self.populations.append(pop)
        self.reset()  # a changed network starts again from its initial state
        return pop

    def _initial(self, model, n, initial, where):
        """Check the initial values of a new population (resolving callables); return a dict."""
        if initial is None:
            return {}
        if not isinstance(initial, dict):
            V.fail("initial", initial, "a dict {state variable: value}" + where, TypeError)
        checked = {}
        for key, value in initial.items():
            if key not in model.state_names:
                V.fail("initial", key, "a state variable of %s: %s%s"
                       % (type(model).__name__, ", ".join(model.state_names), where), V.NotFoundError)
            label = "initial[%r]" % (key,)
            if callable(value):
                value = C.call_user(label, value, self.rng, n, where)
            try:
                arr = V.array(label, value, finite=True)
            except (ValueError, TypeError) as exc:
                raise type(exc)(str(exc) + where) from None
            if hasattr(model, "state_dtype") and np.dtype(model.state_dtype(key)).kind == "i":
                try:
                    V.whole(label, arr)
                except ValueError as exc:
                    raise ValueError(str(exc) + where) from None
            if hasattr(model, "state_shape"):
                # scalar, (n,) or (batch, n) (CurrentLIF's i_syn: (n_channels, batch, n))
                batch = arr.shape[-2] if arr.ndim >= 2 else 1
                want = tuple(model.state_shape(key, batch, n))
                try:
                    ok = np.broadcast_shapes(arr.shape, want) == want
                except ValueError:
                    ok = False
                if not ok:
                    V.fail(label, "<array of shape %s>" % (arr.shape,), "a scalar, (n,) = (%d,) or (batch, n) "
                           "values (state shape %s for batch %d)%s" % (n, want, batch, where))
            checked[key] = arr
        return checked

    def _has_models(self):
        return any(p.model is not None for p in self.populations)

    def add_source(self, n=None, *, shape=None, name=None):
        """Add a spike source of ``n`` units whose spikes are given to :meth:`run` as inputs.

        Returns
        -------
        Population
        """
        n, shape = check_size(n, shape)
        pop = Population(len(self.populations), self._name(name, "input"), None, n, shape, {})
        self.populations.append(pop)
        self.reset()
        return pop

    def connect(self, pre, post, weight=None, *, p=None, in_degree=None, pairs=None,
                one_to_one=False, conv=None, pool=None, delay=0.0, max_delay=None, target=0,
                autapses=True, name=None, plasticity=None):
        """Connect population ``pre`` to input channel ``target`` of population ``post``.

        Exactly one connectivity rule applies:

        * ``weight`` a ``(n_post, n_pre)`` matrix and no rule: dense :math:`W`;
        * ``p``: each pair connected with probability ``p`` (Erdős–Rényi, as in the CUBA
          network of Brette et al., 2007);
        * ``in_degree``: each postsynaptic neuron gets exactly that many random inputs
          (Brunel, 2000);
        * ``pairs=(pre_indices, post_indices)``: explicit synapse list;
        * ``one_to_one=True``: neuron ``i`` to neuron ``i``;
        * ``conv=Conv2D(...)`` / ``pool=Pool2D(...)``: 2-D convolution / pooling.

        For the sparse rules ``weight`` is a scalar, one value per synapse or a callable
        ``f(rng, n_synapses)``; its sign makes a synapse excitatory or inhibitory.

        Parameters
        ----------
        pre, post : Population, PopulationView or str
            Source and target populations (the same population for recurrent connections), or
            slices of them (``P[:3200]``) for sparse and dense rules.
        delay : float, array or callable
            Extra transmission delay in seconds, rounded to steps: scalar, one per synapse
            (``(n_post, n_pre)`` for a dense matrix), or ``f(rng, n_synapses)``. A spike emitted
            at step :math:`t` acts on the update of step :math:`t + 1 + \\mathrm{round}(d/dt)`.
        max_delay : float, optional
            Declared largest delay (s): sets the ring-buffer length; delays above it are errors.
        target : int or str
            Input channel of ``post`` (``"exc"``/``"inh"`` = 0/1 for a two-channel CurrentLIF).
        autapses : bool
            Allow ``i -> i`` synapses when ``pre is post`` (random rules only).
        name : str, optional
            Connection name for messages; ``"pre->post"`` by default.
        plasticity : PlasticityRule, optional
            A rule of :mod:`spikecore.learning.stdp` (``PairSTDP``, ``TripletSTDP``,
            ``PresynapticTraceSTDP``, ``ExponentialSTDP``, ``PrePostTraceSTDP``,
            ``RewardModulatedSTDP``, ``BCM``) that changes the weights during every
            :meth:`run`, step by step (dense and sparse connections; not conv/pool). Its traces
            follow the spikes of ``pre`` *arriving* through each synapse (emitted
            :math:`d` steps earlier on a synapse of delay :math:`d`) and of ``post``. The
            weights must lie within the rule's bounds ``[w_min, w_max]`` (for inhibitory
            synapses give the rule negative bounds).

        Returns
        -------
        Connection
        """
        pre_view = pre if isinstance(pre, PopulationView) else None
        post_view = post if isinstance(post, PopulationView) else None
        pre = self._check_member("pre", pre_view.population if pre_view else pre)
        post = self._check_member("post", post_view.population if post_view else post)
        if name is not None and not isinstance(name, str):
            V.fail("name", name, "a string (the connection's name)", TypeError)
        name = name or "%s->%s" % ((pre_view or pre).name, (post_view or post).name)
        where = " (connection %s)" % name
        autapses = V.flag("autapses", autapses)
        one_to_one = V.flag("one_to_one", one_to_one)
        if post.is_source:
            V.fail("post", post.name, "a neuron population (a spike source receives no synapses)"
                   + where, TypeError)
        channel = post.channel(target)
        conn = C.build(name, pre_view or pre, post_view or post, channel, self.dt, self._dtype(),
                       self.rng, weight=weight, p=p, in_degree=in_degree, pairs=pairs,
                       one_to_one=one_to_one or None, conv=conv, pool=pool, delay=delay,
                       max_delay=max_delay, autapses=autapses)
        if plasticity is not None:
            if not hasattr(plasticity, "kernel_params"):
                V.fail("plasticity", plasticity, "a plasticity rule (e.g. spikecore.learning."
                       "PairSTDP())" + where, TypeError)
            if conn.kind not in ("dense", "csr"):
                V.fail("plasticity", plasticity, "None for a %s connection (plastic connections "
                       "are dense or sparse)%s" % (conn.kind, where))
            _, params = plasticity.kernel_params(self.dt)  # checks the rule now, not at run time
            w = conn.weights_t if conn.kind == "dense" else conn.weights
            lo, hi = params[KP.P_W_MIN], params[KP.P_W_MAX]
            if w.size and (w.min() < lo or w.max() > hi):
                V.fail("weight", "<weights in [%g, %g]>" % (w.min(), w.max()),
                       "weights within the bounds [w_min, w_max] = [%g, %g] of the rule %s%s"
                       % (lo, hi, type(plasticity).__name__, where))
            conn.plasticity = plasticity
        self.connections.append(conn)
        self.reset()
        return conn

    # -- monitors ------------------------------------------------------------------------------
    def record_spikes(self, *pops):
        """Record the spikes of these populations (as compact spike lists) in every later run."""
        for pop in pops:
            self._record.add(self._check_member("pop", pop).index)

    def record_voltage(self, pop, neurons):
        """Record the membrane potential of ``neurons`` (indices) of ``pop`` at every step.

        An empty ``neurons`` stops recording ``pop``. Not available in event mode.
        """
        pop = self._check_member("pop", pop)
        if pop.is_source:
            V.fail("pop", pop.name, "a neuron population (a source has no voltage)", TypeError)
        if neurons is None or np.isscalar(neurons) or isinstance(neurons, (dict, set)):
            V.fail("neurons", neurons, "a list or array of neuron indices of population %r" % pop.name,
                   TypeError)
        idx = V.indices("neurons", neurons)
        if idx.size and (idx.min() < 0 or idx.max() >= pop.n):
            V.fail("neurons", neurons, "indices in [0, %d) of population %r" % (pop.n, pop.name))
        if idx.size:
            self._vrec[pop.index] = idx
        else:  # an empty list stops recording
            self._vrec.pop(pop.index, None)

    # -- state ---------------------------------------------------------------------------------
    def reset(self):
        """Forget the state: the next run starts from the initial state at step 0.

        Adding a population or a connection does this too. The traces of plastic connections
        (and their eligibility traces, BCM thresholds and spikes still in transit) are cleared;
        their *weights* are kept: learning is not undone.
        """
        self._state = None
        self.t = 0

    def state(self, pop):
        """The current state of ``pop``: ``{name: array}`` views (writeable) into the simulator."""
        pop = self._check_member("pop", pop)
        if self._state is None:
            V.fail("state", None, "a network that has been run (or call net.run(0, batch=...))",
                   RuntimeError)
        return self._state.views[pop.index]

    def plasticity_state(self, conn):
        """The traces of plastic connection ``conn``: ``{name: array}`` views (writeable).

        ``x1``, ``x2`` ``(batch, G * n_pre)``: presynaptic traces (one per delay group ``g`` and
        presynaptic neuron ``j``, at index ``g * n_pre + j``; ``G = 1`` unless a sparse
        connection has several delays); ``y1``, ``y2`` ``(batch, n_post)``: postsynaptic
        traces; ``theta`` (BCM thresholds) and ``eligibility`` (reward-modulated rules) when the
        rule has them. Symbols as in :mod:`spikecore.kernels.plasticity`.
        """
        if conn not in self.connections:
            V.fail("conn", conn, "a connection of this network (from net.connect)", TypeError)
        if conn.plasticity is None:
            V.fail("conn", conn, "a plastic connection (connect(..., plasticity=rule))", TypeError)
        if self._state is None:
            V.fail("state", None, "a network that has been run (or call net.run(0, batch=...))",
                   RuntimeError)
        return self._state.plastic_views(self.connections.index(conn))

    # -- running -------------------------------------------------------------------------------
    def run(self, n_steps, inputs=None, batch=None, mode="clock", reward=None):
        """Simulate ``n_steps`` steps and return what was recorded.

        Parameters
        ----------
        n_steps : int
            Number of time steps of ``dt``.
        inputs : dict, optional
            ``{population: value}``. For a spike source: a dense raster ``(n_steps, batch, n)``
            (bool/uint8), a spike list ``(times, units)`` (integer steps, or float seconds
            floored to steps) applied to every batch element, or a list of ``batch`` such
            pairs. For a neuron population: an external current ``(n_steps, batch, n)`` or a
            constant current ``(n,)`` (the model's current units).
        batch : int, optional
            Number of independent copies; inferred from the inputs or the existing state.
        mode : {"clock", "event"}
            Clock-driven (every neuron every step) or event-driven (LIF/IF networks only:
            neurons advanced only when input reaches them; same spikes).
        reward : array (n_steps,) or (n_steps, batch), optional
            Neuromodulator :math:`M(t)` of every step for the ``RewardModulatedSTDP``
            connections (all of them receive it; default 0: eligibility traces build up but
            weights do not change). With ``batch > 1`` the copies share the weights: each
            copy has its own traces and eligibility, and the weight change of a step is
            :math:`\\eta \\sum_b M_b(t)\\, c_b` summed over the batch (likewise the spike-driven
            updates of the other rules are applied for each copy in turn).

        Returns
        -------
        RunResult
        """
        n_steps = V.integer("n_steps", n_steps, low=0)
        mode = V.choice("mode", mode, ("clock", "event"))
        inputs = self._check_inputs({} if inputs is None else inputs, n_steps)
        batch = self._resolve_batch(batch, inputs)
        if not self._has_models():
            V.fail("network", self.populations, "at least one neuron population", RuntimeError)
        if self._state is None or self._state.batch != batch:
            if self._state is not None and self.t:
                V.fail("batch", batch, "the batch of the running state (%d); call net.reset() first"
                       % self._state.batch)
            self._state = _State(self, batch)
        plastic = [c for c in self.connections if c.plasticity is not None]
        modulator = self._check_reward(reward, n_steps, batch, plastic)
        if mode == "event":
            if plastic:
                V.fail("mode", mode, "'clock' for a network with plastic connections (%s)"
                       % ", ".join(c.name for c in plastic))
            from .event_driven import run_event_driven
            return run_event_driven(self, n_steps, inputs, batch)
        return self._state.run(self, n_steps, inputs, modulator)

    def _check_reward(self, reward, n_steps, batch, plastic):
        if reward is None:
            return np.zeros((0, batch), np.float64)
        modulated = [c for c in plastic if c.plasticity.rule_code == KP.RULE_RSTDP]
        if not modulated:
            V.fail("reward", "<array>", "None: no connection has a reward-modulated rule "
                   "(connect(..., plasticity=RewardModulatedSTDP()))")
        m = V.array("reward", reward, ndim=(1, 2), finite=True, kinds="biuf").astype(np.float64)
        if m.shape[0] != n_steps or (m.ndim == 2 and m.shape[1] not in (1, batch)):
            V.fail("reward", "<array of shape %s>" % (m.shape,), "shape (n_steps,) = (%d,) or "
                   "(n_steps, batch) = (%d, %d)" % (n_steps, n_steps, batch))
        if m.ndim == 1:
            m = m[:, None]
        return np.ascontiguousarray(np.broadcast_to(m, (n_steps, batch)))

    def _check_inputs(self, inputs, n_steps):
        if not isinstance(inputs, dict):
            V.fail("inputs", "<array of shape %s>" % (inputs.shape,) if isinstance(inputs, np.ndarray) else inputs,
                   "a dict {population: input}", TypeError)
        checked = {}
        for key, value in inputs.items():
            pop = self._check_member("inputs key", key)
            label = "inputs[%r]" % pop.name
            if pop.is_source:
                checked[pop.index] = _source_events(label, value, pop.n, n_steps, self.dt)
            else:
                arr = V.array(label, value, ndim=(1, 3), finite=True, kinds="biuf")
                if arr.ndim == 1 and arr.shape != (pop.n,):
                    V.fail(label, "<array of shape %s>" % (arr.shape,),
                           "a constant current of shape (%d,) for population %r" % (pop.n, pop.name))
                if arr.ndim == 3 and (arr.shape[0] != n_steps or arr.shape[2] != pop.n or arr.shape[1] < 1):
                    V.fail(label, "<array of shape %s>" % (arr.shape,),
                           "a current of shape (n_steps=%d, batch >= 1, n=%d) for population %r"
                           % (n_steps, pop.n, pop.name))
                checked[pop.index] = arr
        return checked

    def _resolve_batch(self, batch, inputs):
        implied = {}
        for index, value in inputs.items():
            b = value[2] if isinstance(value, tuple) else (value.shape[1] if value.ndim == 3 else 1)
            if b > 1:
                implied[self.populations[index].name] = b
        if batch is not None:
            batch = V.integer("batch", batch, low=1)
        elif implied:
            batch = next(iter(implied.values()))
        elif self._state is not None:
            batch = self._state.batch
        else:
            batch = 1
        for name, b in implied.items():
            if b != batch:  # batch-1 inputs are broadcast
                V.fail("inputs[%r]" % name, "<batch %d>" % b, "batch %d like the other inputs" % batch)
        return batch


def _source_events(label, value, n, n_steps, dt):
    """Check the input spikes of a source; return per-batch ``(steps, units)`` lists and the
    batch they imply (0: one list for every batch element)."""
    if isinstance(value, np.ndarray) or (isinstance(value, list) and value
                                         and not isinstance(value[0], tuple)):
        arr = V.array(label, value, ndim=3, kinds="biu")
        if arr.shape[0] != n_steps or arr.shape[2] != n or arr.shape[1] < 1:
            V.fail(label, "<array of shape %s>" % (arr.shape,),
                   "a spike raster (n_steps=%d, batch >= 1, n=%d)" % (n_steps, n))
        if arr.dtype != np.bool_ and arr.size and (arr.min() < 0 or arr.max() > 1):
            V.fail(label, "<raster with values in [%d, %d]>" % (arr.min(), arr.max()),
                   "spikes of 0 or 1 (at most one spike per unit and step)")
        steps, units = [], []
        for b in range(arr.shape[1]):
            t, i = np.nonzero(arr[:, b, :])
            steps.append(t.astype(np.int64))
            units.append(i.astype(np.int64))
        return steps, units, (arr.shape[1] if arr.shape[1] > 1 else 0)
    if isinstance(value, tuple) and len(value) == 2:
        pairs, per_batch = [value], False
    elif isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        pairs, per_batch = value, True
    else:
        V.fail(label, value, "a spike raster (n_steps, batch, n), a (times, units) pair or a list "
               "of them (one per batch element)", TypeError)
    steps, units = [], []
    for k, (times, unit) in enumerate(pairs):
        tl = "%s[%d]" % (label, k) if per_batch else label
        times = V.array(tl + " times", times, ndim=1, finite=True, kinds="iuf")
        unit = V.indices(tl + " units", unit, shape=(times.size,))
        st = np.floor(times / dt + 1e-9) if times.dtype.kind == "f" else times
        if st.size and (st.min() < 0 or st.max() >= n_steps):  # checked before the cast to int64
            V.fail(tl + " times", "<steps in [%d, %d]>" % (st.min(), st.max()),
                   "times within the run: steps in [0, %d)" % n_steps)
        st = st.astype(np.int64)
        if unit.size and (unit.min() < 0 or unit.max() >= n):
            V.fail(tl + " units", "<units in [%d, %d]>" % (unit.min(), unit.max()),
                   "unit indices in [0, %d)" % n)
        steps.append(st)
        units.append(unit)
    return steps, units, (len(pairs) if per_batch and len(pairs) > 1 else 0)


def _events_csr(t, b, i, n_steps, batch):
    """Sort events by (step, batch, unit), drop duplicates; pointer over step*batch + b."""
    key = (t.astype(np.int64) * batch + b) * (int(i.max()) + 1 if i.size else 1) + i
    key = np.unique(key)
    n_units = int(i.max()) + 1 if i.size else 1
    unit = (key % n_units).astype(np.int32)
    row = key // n_units
    ptr = np.zeros(n_steps * batch + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=n_steps * batch), out=ptr[1:])
    return ptr, unit


def _grow_spike_lists(run):
    """Enlarge the recorded-spike lists of a run (keeping what they hold) to hold one more step."""
    n_list = int(run["n_list"][0])
    grown = [np.zeros(2 * run["lists"][0].size + run["worst"], np.int32) for _ in range(4)]
    for old, new in zip(run["lists"], grown):
        new[:n_list] = old[:n_list]
    run["lists"] = grown


class _State:
    """Flat buffers and tables of a network for one batch size (see kernels.network.network_run)."""

    def __init__(self, net, batch):
        self.batch = batch
        pops, conns = net.populations, net.connections
        self.dtype = net._dtype()
        P = len(pops)
        self.n_slots = 1 + max([c.max_delay for c in conns] + [0])
        D = self.n_slots
        self.pop_model = np.array([K.MODEL_SOURCE if p.is_source else model_code(p.model)
                                   for p in pops], np.int64)
        self.pop_n = np.array([p.n for p in pops], np.int64)
        self.pop_nch = np.array([p.n_channels for p in pops], np.int64)
        self.pop_state = np.full((P, 4), -1, np.int64)
        params = [np.zeros(0)] * P
        f_size = i_size = ring_size = spk_size = 0
        self.pop_ring = np.full(P, -1, np.int64)
        self.pop_cur = np.full(P, -1, np.int64)
        self.pop_spk = np.zeros(P, np.int64)
        layout = []  # per population: [(name, 'f'|'i', offset, shape)]
        for p in pops:
            self.pop_spk[p.index] = spk_size = _aligned_offset(spk_size, np.uint8)
            spk_size += batch * p.n
            entries = []
            if p.model is not None:
                for k, sname in enumerate(p.model.state_names):
                    shape = tuple(p.model.state_shape(sname, batch, p.n))
                    size = int(np.prod(shape))
                    kind = "i" if np.dtype(p.model.state_dtype(sname)).kind == "i" else "f"
                    if kind == "f":
                        f_size = _aligned_offset(f_size, self.dtype)
                        off, f_size = f_size, f_size + size
                    else:
                        i_size = _aligned_offset(i_size, np.int32)
                        off, i_size = i_size, i_size + size
                    if k < 4:
                        self.pop_state[p.index, k] = off
                    entries.append((sname, kind, off, shape))
                self.pop_cur[p.index] = f_size = _aligned_offset(f_size, self.dtype)
                f_size += batch * p.n
                self.pop_ring[p.index] = ring_size
                ring_size += p.n_channels * D * batch * p.n
                params[p.index] = np.concatenate(
                    [np.atleast_1d(np.asarray(x, np.float64)).ravel()
                     for x in p.model.step_params(net.dt)])
            layout.append(entries)
        width = max([x.size for x in params] + [1])
        self.pop_params = np.zeros((P, width), np.float64)
        for k, x in enumerate(params):
            self.pop_params[k, : x.size] = x
        # current-based LIF with float32 arithmetic: the update gets its parameters in float32
        self.pop_single = np.array([int(self.pop_model[p.index] == K.MODEL_CUBA_LIF and np.dtype(
            getattr(p.model, "arithmetic", np.float64)) == np.float32) for p in net.populations],
            np.int64)
        # state buffers on cache-line boundaries, each array in them too (_aligned_offset): the
        # vectorised update's loads then never straddle two lines (an 8- or 16-byte offset cost
        # the float64 CUBA 4000 update up to 20 %, varying from one network to the next)
        self.fstate = _aligned_zeros(f_size, self.dtype)
        self.istate = _aligned_zeros(i_size, np.int32)
        self.ring = np.zeros(ring_size, self.dtype)
        self.spk = _aligned_zeros(spk_size, np.uint8)
        self.sidx = np.zeros(spk_size, np.int32)
        self.scount = np.zeros((P, batch), np.int64)
        self.layout = layout
        # state views and initial values
        self.views = []
        for p, entries in zip(pops, layout):
            views = {}
            if p.model is not None:
                try:
                    init = p.model.init_state(batch, p.n, **p.initial)
                except (ValueError, TypeError) as exc:  # e.g. (batch, n) initial values of another batch
                    raise type(exc)("%s (initial values of population %r, batch %d)"
                                    % (exc, p.name, batch)) from exc
            for sname, kind, off, shape in entries:
                buf = self.fstate if kind == "f" else self.istate
                views[sname] = buf[off: off + int(np.prod(shape))].reshape(shape)
                views[sname][...] = init[sname]
            self.views.append(views)
        self._tables(conns)
        self._plastic_tables(net)

    def _tables(self, conns):
        dtype = self.dtype
        n = len(conns)
        self.con_int = np.zeros((n, K.N_CON_COLS), np.int64)
        self.con_float = np.zeros(n, np.float64)
        ptrs, idxs, ws, ds, dense, kern = [], [], [], [], [], []
        o_ptr = o_syn = o_dense = o_kern = 0
        self.pl_groups, self.pl_order = {}, {}  # plastic connections: group delays, synapse order
        for c, conn in enumerate(conns):
            row = self.con_int[c]
            row[K.C_KIND] = _KIND_CODES[conn.kind]
            row[K.C_PRE], row[K.C_POST] = conn.pre.index, conn.post.index
            row[K.C_CHANNEL], row[K.C_DELAY] = conn.target, conn.delay
            if conn.kind == "csr":
                indptr, indices, weights, delays = conn.indptr, conn.indices, conn.weights, conn.delays
                if conn.plasticity is not None:
                    groups, order = _delay_groups(conn)
                    self.pl_groups[c], self.pl_order[c] = groups, order
                    if order is not None:  # several delays: rows by (delay group, pre neuron)
                        indptr, indices, weights = _grouped_csr(conn, groups, order)
                        delays = delays[:0]
                row[K.C_PTR], row[K.C_SYN], row[K.C_NNZ] = o_ptr, o_syn, indices.size
                row[K.C_HAS_DELAYS] = 1 if delays.size else 0
                ptrs.append(indptr)
                idxs.append(indices)
                ws.append(weights.astype(dtype))
                ds.append(delays if delays.size else np.zeros(indices.size, np.int32))
                o_ptr += indptr.size
                o_syn += indices.size
            elif conn.kind == "dense":
                if conn.plasticity is not None:
                    self.pl_groups[c], self.pl_order[c] = np.array([conn.delay], np.int64), None
                row[K.C_W] = o_dense
                dense.append(conn.weights_t.astype(dtype).ravel())
                o_dense += conn.weights_t.size
            else:
                c_in, h, w = conn.in_shape
                _, oh, ow = conn.out_shape
                if conn.kind == "conv2d":
                    k = conn.kernel
                    geom = (k.shape[0], k.shape[1], k.shape[2], k.shape[3], h, w, oh, ow,
                            conn.conv.stride[0], conn.conv.stride[1], conn.conv.padding[0],
                            conn.conv.padding[1])
                    row[K.C_W] = o_kern
                    kern.append(k.astype(dtype).ravel())
                    o_kern += k.size
                else:
                    pl = conn.pool
                    geom = (c_in, c_in, pl.size[0], pl.size[1], h, w, oh, ow, pl.stride[0],
                            pl.stride[1], 0, 0)
                    self.con_float[c] = pl.scale
                row[K.C_GEOM: K.C_GEOM + 12] = geom

        def cat(parts, dt):
            return np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros(0, dt), dtype=dt)

        self.csr_indptr = cat(ptrs, np.int64)
        self.csr_indices = cat(idxs, np.int32)
        self.csr_weights = cat(ws, dtype)
        self.csr_delays = cat(ds, np.int32)
        self.dense_w = cat(dense, dtype)
        self.conv_k = cat(kern, dtype)

    def _plastic_tables(self, net):
        # Tables and buffers of the plastic connections (layout: kernels.network.network_run).
        batch, dtype = self.batch, self.dtype
        plastic = [(c, conn) for c, conn in enumerate(net.connections) if conn.plasticity is not None]
        self.pl_int = np.zeros((len(plastic), K.N_PL_COLS), np.int64)
        self.pl_params = np.zeros((len(plastic), KP.N_PARAMS), np.float64)
        delays, cols, syn_pre = [], [], []
        o_f = o_th = o_d = o_col = o_sp = o_h = o_hc = 0
        for q, (c, conn) in enumerate(plastic):
            row = self.pl_int[q]
            code, self.pl_params[q] = conn.plasticity.kernel_params(net.dt)
            groups = self.pl_groups[c]
            n_pre, n_post = conn.pre.n, conn.post.n
            n_v = groups.size * n_pre
            row[K.PL_CON], row[K.PL_RULE], row[K.PL_NV], row[K.PL_G] = c, code, n_v, groups.size
            row[K.PL_DELAY] = o_d
            delays.append(groups)
            o_d += groups.size
            row[K.PL_X] = o_f
            row[K.PL_Y] = o_f + 2 * batch * n_v
            row[K.PL_ELIG] = o_f + 2 * batch * (n_v + n_post)
            n_syn = n_pre * n_post if conn.kind == "dense" else conn.indices.size
            # eligibility traces (reward-modulated rules), or one unused slot that the compiled
            # loop's placeholder view needs (also when a reward-modulated CSR has no synapse)
            o_f = row[K.PL_ELIG] + max(batch * n_syn if code == KP.RULE_RSTDP else 1, 1)
            row[K.PL_THETA] = o_th
            o_th += batch * n_post if code == KP.RULE_BCM else 1
            row[K.PL_COL], row[K.PL_SYNPRE] = o_col, o_sp
            if conn.kind == "csr":
                ci = self.con_int[c]
                post_ptr, post_syn, pre_of = csr_columns(
                    self.csr_indptr[ci[K.C_PTR]: ci[K.C_PTR] + n_v + 1],
                    self.csr_indices[ci[K.C_SYN]: ci[K.C_SYN] + ci[K.C_NNZ]], n_post)
                cols += [post_ptr, post_syn]
                syn_pre.append(pre_of)
                o_col += post_ptr.size + post_syn.size
                o_sp += pre_of.size
            n_hist = int(groups.max()) + 1
            row[K.PL_HIST], row[K.PL_HCNT], row[K.PL_HLEN] = o_h, o_hc, n_hist
            o_h += n_hist * batch * n_pre
            o_hc += n_hist * batch

        def cat(parts, dt):
            return np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros(0, dt), dtype=dt)

        self.pl_delay = cat(delays, np.int64)
        self.pl_col = cat(cols, np.int64)
        self.pl_syn_pre = cat(syn_pre, np.int32)
        self.pl_trace = np.zeros(o_f, dtype)
        self.pl_theta = np.zeros(o_th, np.float64)
        self.pl_hist_idx = np.zeros(o_h, np.int32)
        self.pl_hist_cnt = np.zeros(o_hc, np.int64)

    def plastic_views(self, c):
        """Views of the traces of plastic connection number ``c`` (see Network.plasticity_state)."""
        q = int(np.flatnonzero(self.pl_int[:, K.PL_CON] == c)[0])
        row, batch = self.pl_int[q], self.batch
        n_v, n_post = int(row[K.PL_NV]), int(self.pop_n[self.con_int[c, K.C_POST]])
        tr = self.pl_trace
        out = {"x1": tr[row[K.PL_X]: row[K.PL_X] + batch * n_v].reshape(batch, n_v),
               "x2": tr[row[K.PL_X] + batch * n_v: row[K.PL_X] + 2 * batch * n_v].reshape(batch, n_v),
               "y1": tr[row[K.PL_Y]: row[K.PL_Y] + batch * n_post].reshape(batch, n_post),
               "y2": tr[row[K.PL_Y] + batch * n_post: row[K.PL_Y] + 2 * batch * n_post].reshape(
                   batch, n_post)}
        if row[K.PL_RULE] == KP.RULE_BCM:
            out["theta"] = self.pl_theta[row[K.PL_THETA]: row[K.PL_THETA] + batch * n_post].reshape(
                batch, n_post)
        if row[K.PL_RULE] == KP.RULE_RSTDP:
            n_syn = int(row[K.PL_NV]) * n_post if self.con_int[c, K.C_KIND] == K.CONN_DENSE \
                else int(self.con_int[c, K.C_NNZ])
            out["eligibility"] = tr[row[K.PL_ELIG]: row[K.PL_ELIG] + batch * n_syn].reshape(batch, -1)
        return out

    def _plastic_weights(self, net, load):
        # Copy the weights of the plastic connections into the simulator (load) or back into
        # the Connection objects, in the simulator's synapse order.
        for c in self.pl_int[:, K.PL_CON]:
            conn, ci = net.connections[c], self.con_int[c]
            if conn.kind == "dense":
                engine = self.dense_w[ci[K.C_W]: ci[K.C_W] + conn.weights_t.size]
                own = conn.weights_t.reshape(-1)
            else:
                engine = self.csr_weights[ci[K.C_SYN]: ci[K.C_SYN] + ci[K.C_NNZ]]
                order = self.pl_order[c]
                if order is not None:
                    if load:
                        engine[:] = conn.weights[order]
                    else:
                        conn.weights[order] = engine
                    continue
                own = conn.weights
            if load:
                engine[:] = own
            else:
                own[:] = engine

    def voltage_offset(self, pop):
        """Offset in ``fstate`` of the membrane-potential array of ``pop``."""
        for sname, kind, off, shape in self.layout[pop.index]:
            if sname == getattr(pop.model, "voltage_name", "v"):
                return off
        V.fail("pop", pop.name, "a model with a voltage state", TypeError)

    # -- one run -------------------------------------------------------------------------------
    def _inputs(self, net, n_steps, inputs):
        batch = self.batch
        P = len(net.populations)
        pop_ext = np.full(P, -1, np.int64)
        pop_bias = np.full(P, -1, np.int64)
        ext_parts, bias_parts, ptr_parts, unit_parts = [], [], [], []
        o_ext = o_bias = o_ptr = o_unit = 0
        for index, value in inputs.items():
            pop = net.populations[index]
            if pop.is_source:
                steps, units, _ = value
                if len(steps) == 1 and batch > 1:  # one spike train for every batch element
                    steps, units = steps * batch, units * batch
                bs = [np.full(x.size, k, np.int64) for k, x in enumerate(steps)]
                ptr, unit = _events_csr(np.concatenate(steps), np.concatenate(bs),
                                        np.concatenate(units), n_steps, batch)
                pop_ext[index] = o_ptr
                ptr_parts.append(ptr + o_unit)
                unit_parts.append(unit)
                o_ptr += ptr.size
                o_unit += unit.size
            elif value.ndim == 1:
                pop_bias[index] = o_bias
                bias_parts.append(value.astype(self.dtype))
                o_bias += value.size
            else:
                arr = np.broadcast_to(value, (n_steps, batch, pop.n))
                pop_ext[index] = o_ext
                ext_parts.append(np.ascontiguousarray(arr, dtype=self.dtype).ravel())
                o_ext += arr.size

        def cat(parts, dt):
            return np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros(0, dt), dtype=dt)

        return (pop_ext, pop_bias, cat(ext_parts, self.dtype), cat(bias_parts, self.dtype),
                cat(ptr_parts, np.int64), cat(unit_parts, np.int32))

    def prepare(self, net, n_steps, inputs, modulator=None):
        """Allocate the per-run buffers (inputs, monitors) of an ``n_steps`` run; returns a dict."""
        batch = self.batch
        P = len(net.populations)
        run = {"modulator": np.zeros((0, batch), np.float64) if modulator is None else modulator}
        (run["pop_ext"], run["pop_bias"], run["ext"], run["bias"], run["src_ptr"],
         run["src_unit"]) = self._inputs(net, n_steps, inputs)
        run["counts"] = np.zeros((n_steps, P, batch), np.int32)
        run["mon_list"] = np.zeros(P, np.int64)
        for index in net._record:
            run["mon_list"][index] = 1
        run["worst"] = int(sum(batch * net.populations[i].n for i in net._record))
        capacity = max(run["worst"], 1024)
        run["lists"] = [np.zeros(capacity, np.int32) for _ in range(4)]
        run["n_list"] = np.zeros(1, np.int64)
        vpops = sorted(net._vrec)
        run["vrec_off"] = np.concatenate(
            [self.voltage_offset(net.populations[i]) + net._vrec[i] for i in vpops]) \
            if vpops else np.zeros(0, np.int64)
        run["vrec_stride"] = np.concatenate(
            [np.full(net._vrec[i].size, net.populations[i].n, np.int64) for i in vpops]) \
            if vpops else np.zeros(0, np.int64)
        run["vrec"] = np.zeros((n_steps, batch, run["vrec_off"].size), self.dtype)
        return run

    def kernel_args(self, t_abs0, r_start, r_stop, run):
        """The argument tuple of :func:`spikecore.kernels.network.network_run`."""
        return (t_abs0, r_start, r_stop, self.batch, self.n_slots, self.pop_model, self.pop_n,
                self.pop_state, self.pop_params, self.pop_single, self.pop_nch, self.pop_ring, self.pop_cur,
                run["pop_ext"], run["pop_bias"], self.pop_spk, self.fstate, self.istate, self.ring,
                run["ext"], run["bias"], self.spk, self.sidx, self.scount, run["src_ptr"],
                run["src_unit"], self.con_int, self.con_float, self.csr_indptr, self.csr_indices,
                self.csr_weights, self.csr_delays, self.dense_w, self.conv_k, run["counts"],
                run["mon_list"], *run["lists"], run["n_list"],
                self.pl_int if self.pl_int.shape[0] else None, self.pl_params,
                self.pl_delay, self.pl_trace, self.pl_theta, self.pl_col, self.pl_syn_pre,
                self.pl_hist_idx, self.pl_hist_cnt, run["modulator"], run["vrec_off"],
                run["vrec_stride"], run["vrec"])

    def run(self, net, n_steps, inputs, modulator=None):
        batch = self.batch
        run = self.prepare(net, n_steps, inputs, modulator)
        self._plastic_weights(net, load=True)
        external = [p for p in net.populations if p.model is not None
                    and self.pop_model[p.index] == K.MODEL_EXTERNAL]
        ext_params = [p.model.step_params(net.dt) for p in external]
        t0 = time.perf_counter()
        r = 0
        while r < n_steps:
            if external:
                stop = r + 1
                if int(run["n_list"][0]) + run["worst"] > run["lists"][0].size:
                    _grow_spike_lists(run)  # first: the external step cannot be taken twice
                self._advance_external(net, external, ext_params, r, run)
            else:
                stop = n_steps
            with fpmode.subnormals_flushed():  # this thread, for the compiled loop only
                r = K.network_run(*self.kernel_args(net.t, r, stop, run))
            if r < stop:  # spike-list buffers could overflow: grow them and continue
                _grow_spike_lists(run)
                if external:  # the external step was taken: the buffers must hold one step
                    V.fail("spike buffer", r, "room for one step", RuntimeError)
        wall = time.perf_counter() - t0
        self._plastic_weights(net, load=False)
        m = int(run["n_list"][0])
        lt, lb, li, lp = (x[:m] for x in run["lists"])
        spikes = {}
        for index in sorted(net._record):
            sel = lp == index
            spikes[net.populations[index].name] = SpikeList(
                (lt[sel] - net.t).astype(np.int64), lb[sel].astype(np.int64),
                li[sel].astype(np.int64), net.dt)
        volts = {}
        col = 0
        for i in sorted(net._vrec):
            k = net._vrec[i].size
            volts[net.populations[i].name] = (run["vrec"][:, :, col: col + k], net._vrec[i].copy())
            col += k
        net.t += n_steps
        return RunResult(net.populations, n_steps, batch, net.dt, run["counts"], spikes, volts, wall)

    def _advance_external(self, net, external, ext_params, r, run):
        # General path: one step of a population whose model has no branch in the fused loop,
        # with the same schedule (ring slot -> current, model step, spike list).
        batch, D, t = self.batch, self.n_slots, net.t + r
        pop_ext, pop_bias, ext, bias = run["pop_ext"], run["pop_bias"], run["ext"], run["bias"]
        for p, params in zip(external, ext_params):
            i, n = p.index, p.n
            blk = batch * n
            rp = self.ring[self.pop_ring[i]: self.pop_ring[i] + p.n_channels * D * blk]
            rp = rp.reshape(p.n_channels, D, batch, n)
            views = self.views[i]
            cur = rp[0, t % D].copy()
            if pop_ext[i] >= 0:
                cur += ext[pop_ext[i] + r * blk: pop_ext[i] + (r + 1) * blk].reshape(batch, n)
            if pop_bias[i] >= 0:
                cur += bias[pop_bias[i]: pop_bias[i] + n]
            rp[0, t % D] = 0.0
            spikes = self.spk[self.pop_spk[i]: self.pop_spk[i] + blk].reshape(batch, n)
            states = tuple(views[s] for s in p.model.state_names)
            p.model.kernel_step(*states, cur, *params, spikes)
            idx = self.sidx[self.pop_spk[i]: self.pop_spk[i] + blk].reshape(batch, n)
            spike_list(spikes, idx, self.scount[i])


_LINE = 64  # bytes of a cache line on x86-64 and most ARM64 cores


def _aligned_offset(offset, dtype):
    """The first element offset at or after ``offset`` that starts a cache line (in a buffer
    from :func:`_aligned_zeros` of that dtype)."""
    per = max(1, _LINE // np.dtype(dtype).itemsize)
    return -(-offset // per) * per


def _aligned_zeros(size, dtype):
    """``np.zeros(size, dtype)`` whose first element starts a cache line (a view into a slightly
    larger buffer)."""
    dtype = np.dtype(dtype)
    raw = np.zeros(size + _LINE // dtype.itemsize + 1, dtype)
    start = (-raw.ctypes.data % _LINE) // dtype.itemsize
    return raw[start: start + size]


def _delay_groups(conn):
    """Delays (steps) of the groups of a plastic connection, and the synapse order that groups them.

    A connection with one delay is one group (order ``None``: its own CSR order). A sparse
    connection with several delays is stored by (group, presynaptic neuron) so that each group's
    presynaptic traces follow the spikes arriving through its delay.
    """
    if conn.kind == "csr" and conn.delays.size:
        groups, group = np.unique(conn.delays.astype(np.int64), return_inverse=True)
        if groups.size > 1:
            pre = np.repeat(np.arange(conn.pre.n, dtype=np.int64), np.diff(conn.indptr))
            return groups, np.argsort(group * conn.pre.n + pre, kind="stable")
        return groups, None
    return np.array([conn.delay], np.int64), None


def _grouped_csr(conn, groups, order):
    """``(indptr, indices, weights)`` of ``conn`` with rows ``g * n_pre + j`` (delay group, neuron)."""
    group = np.searchsorted(groups, conn.delays.astype(np.int64))
    pre = np.repeat(np.arange(conn.pre.n, dtype=np.int64), np.diff(conn.indptr))
    rows = (group * conn.pre.n + pre)[order]
    indptr = np.zeros(groups.size * conn.pre.n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=groups.size * conn.pre.n), out=indptr[1:])
    return indptr, conn.indices[order], conn.weights[order]
