r"""Run an NEF :class:`~spikecore.nef.Network` in one compiled loop.

The builder flattens the model into one float64 signal vector and integer tables (the layout
of :func:`spikecore.kernels.nef.nef_run`), then every :meth:`Simulator.run` evaluates the
inputs for the steps to come and calls the compiled loop once per chunk of steps: Python is
never on the per-step path. The schedule inside a step is Nengo's (Bekolay et al. 2014), so a
model computes what the same Nengo model computes.

Modes: ``"spiking"`` runs every ensemble with its own neuron type; ``"rate"`` replaces spiking
types by their rate twins (LIF by the LIF rate curve, IF by the rectified linear rate) — the
NEF's rate approximation (Eliasmith & Anderson 2003).

State is float64 throughout: decoders are small differences of large numbers and PES adds
changes of order :math:`10^{-9}` per step, so the NEF needs double precision.
"""
import numpy as np

from spikecore import _validate
from spikecore.kernels import nef as K
from spikecore.nef.ensembles import SPIKING_TO_RATE, Ensemble, Neurons
from spikecore.nef.network import Input, Network, Node
from spikecore.nef.pes import PES
from spikecore.nef.solvers import LstsqL2

_KIND = {"lif": K.KIND_LIF, "lif_rate": K.KIND_LIF_RATE, "if": K.KIND_IF, "relu": K.KIND_RELU}
_CHUNK = 10000


def _decay(tau, dt):
    """Low-pass decay :math:`e^{-dt/\\tau}` (0 for no filter or :math:`\\tau = 0`)."""
    return 0.0 if tau is None or tau == 0 else float(np.exp(-dt / tau))


def _source_ensemble(obj, ens_index):
    """Index of the ensemble whose neuron output a connection from ``obj`` reads (-1: none)."""
    if isinstance(obj, Ensemble):
        return ens_index[id(obj)]
    if isinstance(obj, Neurons):
        return ens_index[id(obj.ensemble)]
    return -1


class _Signals:
    """Allocator of consecutive ranges of the signal vector."""

    def __init__(self):
        self.size = 0

    def alloc(self, n):
        off = self.size
        self.size += int(n)
        return off


class Simulator:
    r"""Build ``network`` and simulate it with time step ``dt``.

    Parameters
    ----------
    network : spikecore.nef.Network
    dt : float
        Time step (s).
    mode : {"spiking", "rate"}
        Spiking neurons, or their steady-state rate curves.
    seed : int or numpy.random.Generator, optional
        Initial LIF/IF voltages :math:`v \sim U[0, 1)` (Nengo's default initial state).
    engine : {"numba", "reference"}
        The compiled loop, or its plain-NumPy twin (:mod:`spikecore.reference.nef`) for checks.

    Attributes
    ----------
    data : dict
        ``{probe: ndarray}``: signal probes ``(n_samples, size)``, weight probes
        ``(n_samples, size_out, size_in)``.
    n_steps : int
        Steps run so far.
    """

    def __init__(self, network, dt=0.001, mode="spiking", seed=None, engine="numba"):
        if not isinstance(network, Network):
            _validate.fail("network", network, "a spikecore.nef.Network", TypeError)
        self.network = network
        self.dt = _validate.positive("dt", dt, "s")
        self.mode = _validate.choice("mode", mode, ("spiking", "rate"))
        self.engine = _validate.choice("engine", engine, ("numba", "reference"))
        self._rng = _validate.rng(seed)
        self._build()
        self.n_steps = 0
        self._records = {p: [] for p in network.probes}
        self._built = self._contents()

    def _contents(self):
        """What the network held when it was built (objects added later are not simulated)."""
        net = self.network
        return tuple(len(x) for x in (net.ensembles, net.inputs, net.nodes, net.connections, net.probes))

    # -------------------------------------------------------------------------------- build
    def _build(self):
        net, dt = self.network, self.dt
        S = _Signals()
        # inputs first
        self._in_offsets = {}
        for inp in net.inputs:
            self._in_offsets[id(inp)] = S.alloc(inp.size)
        self._n_in = S.size
        # cleared every step
        self._clear_lo = S.size
        # ensembles get an extra neuron-current slot only if some connection targets their neurons
        neuron_input = set()
        for c in net.connections:
            if isinstance(c.post, Neurons):
                neuron_input.add(id(c.post.ensemble))
            elif isinstance(c.post, Ensemble) and c.to_neurons:
                neuron_input.add(id(c.post))
        x_off, j_off = {}, {}
        for e in net.ensembles:
            x_off[id(e)] = S.alloc(e.dimensions)
            j_off[id(e)] = S.alloc(e.n_neurons) if id(e) in neuron_input else -1
        node_off = {id(nd): S.alloc(nd.size) for nd in net.nodes}
        err_off = {}
        for c in net.connections:
            if c.learning_rule is not None:
                err_off[id(c.learning_rule)] = S.alloc(c.error_dimensions)
        slot_off = {}
        for p in net.probes:
            if p.attr == "decoded":
                slot_off[id(p)] = S.alloc(p.target.dimensions)
        self._clear_hi = S.size
        # persistent state
        out_off = {id(e): S.alloc(e.n_neurons) for e in net.ensembles}

        # ensembles
        n_total = sum(e.n_neurons for e in net.ensembles)
        ens_int = np.zeros((len(net.ensembles), K.N_ENS_COLS), np.int64)
        ens_float = np.zeros((len(net.ensembles), 4))
        enc_parts, enc_off = [], {}
        bias = np.zeros(n_total)
        voltage = np.zeros(n_total)
        refractory = np.zeros(n_total)
        gains_parts, gain_off = [], {}
        nof = eof = gof = 0
        for k, e in enumerate(net.ensembles):
            kind = e.neuron_type if self.mode == "spiking" else SPIKING_TO_RATE[e.neuron_type]
            ens_int[k] = (e.n_neurons, nof, x_off[id(e)], e.dimensions, eof, _KIND[kind],
                          j_off[id(e)], out_off[id(e)])
            ens_float[k] = (e.tau_rc, e.tau_ref, 0.0, 1.0)
            enc_parts.append(np.ascontiguousarray(e.scaled_encoders.T).ravel())
            enc_off[id(e)] = eof
            bias[nof:nof + e.n_neurons] = e.bias
            if kind in ("lif", "if"):
                voltage[nof:nof + e.n_neurons] = self._rng.uniform(0.0, 1.0, e.n_neurons)
            gains_parts.append(e.gain)
            gain_off[id(e)] = gof
            nof += e.n_neurons
            eof += e.n_neurons * e.dimensions
            gof += e.n_neurons

        ens_index = {id(e): k for k, e in enumerate(net.ensembles)}

        def source(obj):
            if isinstance(obj, Ensemble):
                return out_off[id(obj)], obj.n_neurons, 0
            if isinstance(obj, Neurons):
                return out_off[id(obj.ensemble)], obj.ensemble.n_neurons, 0
            if isinstance(obj, Input):
                return self._in_offsets[id(obj)], obj.size, -1
            return node_off[id(obj)], obj.size, 1 + net.nodes.index(obj)

        # connections (user connections, then probe connections)
        rows, w_parts = [], []
        w_size = 0
        self._w_off = {}
        for c in net.connections:
            s_off, s_len, rank = source(c.pre)
            gain = -1
            post = c.post
            if isinstance(post, PES):
                d_off, dst_kind = err_off[id(post)], "error"
            elif isinstance(post, Node):
                d_off, dst_kind = node_off[id(post)], "node"
            elif isinstance(post, Neurons):
                d_off, dst_kind = j_off[id(post.ensemble)], "ensemble"
                gain = gain_off[id(post.ensemble)]
            elif c.to_neurons:  # weight solver onto an ensemble
                d_off, dst_kind = j_off[id(post)], "ensemble"
            else:
                d_off, dst_kind = x_off[id(post)], "ensemble"
            immediate = c.synapse is None or c.synapse == 0
            if immediate and rank >= 0 and dst_kind == "ensemble":
                _validate.fail("synapse", c.synapse, "a positive time constant for %r: only connections from "
                               "an Input may have synapse=None into an ensemble" % c)
            if immediate and rank >= 1 and isinstance(post, Node) and net.nodes.index(post) + 1 <= rank:
                _validate.fail("synapse", c.synapse, "a time constant for %r: a node may feed another node "
                               "without a synapse only if it was created first" % c)
            state = -1 if immediate else S.alloc(c.size_out)
            self._w_off[id(c)] = w_size
            row = [s_off, s_len, d_off, c.size_out, w_size, int(immediate), state, gain,
                   0 if rank < 0 else 1, _source_ensemble(c.pre, ens_index)]
            w_parts.append(np.ascontiguousarray(c.weights.T).ravel())
            w_size += c.weights.size
            rows.append((row, _decay(c.synapse, dt), rank))
        # probes
        probe_rows = []
        rec_sizes = []
        for p in net.probes:
            period = 1 if p.sample_every is None else max(1, int(round(p.sample_every / dt)))
            t = p.target
            if p.attr == "decoded":
                solver = p.solver if p.solver is not None else LstsqL2()
                D, _ = solver(t.rates(t.eval_points), t.eval_points)
                slot = slot_off[id(p)]
                immediate = p.synapse is None or p.synapse == 0
                state = -1 if immediate else S.alloc(t.dimensions)
                o, n, _ = source(t)
                rows.append(([o, n, slot, t.dimensions, w_size, int(immediate), state, -1, 1,
                              _source_ensemble(t, ens_index)],
                             _decay(p.synapse, dt), 0))
                w_parts.append(np.ascontiguousarray(D).ravel())  # D is (n, d) = W^T
                w_size += D.size
                probe_rows.append([K.PROBE_SIGNAL, slot, t.dimensions, 1, period, 0, 0])
                rec_sizes.append(t.dimensions)
                continue
            if p.attr == "weights":
                probe_rows.append([K.PROBE_WEIGHTS, self._w_off[id(t)], t.size_out, t.size_in, period, 0, 0])
                rec_sizes.append(t.size_out * t.size_in)
                continue
            if p.attr == "error":
                off, size = err_off[id(t)], t.connection.error_dimensions
            else:
                off, size, _ = source(t)
            if p.synapse is None or p.synapse == 0:
                probe_rows.append([K.PROBE_SIGNAL, off, size, 1, period, 0, 0])
            else:
                probe_rows.append([K.PROBE_FILTERED, S.alloc(size), size, 1, period, 0, off])
            rec_sizes.append(size)
        # immediate connections after the ensembles run in source order: neurons, then nodes
        order = sorted(range(len(rows)), key=lambda k: (rows[k][0][K.C_IMMEDIATE] == 1 and rows[k][0][K.C_PHASE] == 1,
                                                        rows[k][2]))
        self._conn_rows = [rows[k] for k in range(len(rows))]
        conn_index = {}
        user_conns = list(net.connections)
        conn_int = np.zeros((len(rows), K.N_CONN_COLS), np.int64)
        conn_float = np.zeros((len(rows), 1))
        for new, k in enumerate(order):
            conn_int[new] = rows[k][0]
            conn_float[new, 0] = rows[k][1]
            if k < len(user_conns):
                conn_index[id(user_conns[k])] = new
        # PES
        pes_conns = [c for c in net.connections if c.learning_rule is not None]
        pes_int = np.zeros((len(pes_conns), K.N_PES_COLS), np.int64)
        pes_float = np.zeros((len(pes_conns), 2))
        for k, c in enumerate(pes_conns):
            rule = c.learning_rule
            pre = c.pre_ensemble
            acts = S.alloc(pre.n_neurons)
            if c.to_neurons:
                enc = enc_off[id(c.post_ensemble)]
                local = S.alloc(c.size_out)
            else:
                enc, local = -1, -1
            pes_int[k] = (conn_index[id(c)], out_off[id(pre)], pre.n_neurons, acts, err_off[id(rule)],
                          c.error_dimensions, enc, local)
            pes_float[k] = (rule.learning_rate, _decay(rule.pre_synapse, dt))

        self._sig = np.zeros(S.size)
        self._ens_int, self._ens_float = ens_int, ens_float
        self._enc = np.concatenate(enc_parts) if enc_parts else np.zeros(0)
        self._bias, self._voltage, self._refractory = bias, voltage, refractory
        # work space of the compiled loop: one ensemble's input current and LIF work space (and
        # the PES column factors of one learned connection), each ensemble's list of neurons
        # with nonzero output
        # (and after those, the LIF step's list of neurons leaving their refractory period)
        self._scratch = np.zeros(max([3 * e.n_neurons for e in net.ensembles]
                                     + [int(conn_int[r[K.P_CONN], K.C_DST_LEN]) for r in pes_int], default=1))
        self._spikes = np.zeros(n_total + max([e.n_neurons for e in net.ensembles], default=0), np.int64)
        self._n_spikes = np.zeros(len(net.ensembles), np.int64)
        self._conn_int, self._conn_float = conn_int, conn_float
        self._weights_t = np.concatenate(w_parts) if w_parts else np.zeros(0)
        self._gains = np.concatenate(gains_parts) if gains_parts else np.zeros(0)
        self._pes_int, self._pes_float = pes_int, pes_float
        self._probe_int = np.array(probe_rows, np.int64).reshape(len(probe_rows), K.N_PROBE_COLS)
        self._probe_float = np.array([[_decay(p.synapse, dt)] for p in net.probes]).reshape(len(probe_rows), 1)
        self._rec_sizes = rec_sizes
        self._count = np.zeros(len(probe_rows) + 1, np.int64)

    # -------------------------------------------------------------------------------- run
    def run(self, time):
        """Simulate ``time`` seconds (rounded to whole steps)."""
        time = _validate.nonnegative("time", time, "s")
        self.run_steps(int(round(time / self.dt)))

    def run_steps(self, n_steps):
        """Simulate ``n_steps`` steps of ``dt``."""
        n_steps = _validate.integer("n_steps", n_steps, low=0)
        if self._contents() != self._built:
            _validate.fail("network", self.network, "the network as it was when this Simulator was built (objects "
                           "were added since: build a new Simulator to simulate them)")
        fn = K.nef_run
        if self.engine == "reference":
            from spikecore.reference import nef as R
            fn = R.nef_run
        done = 0
        while done < n_steps:
            chunk = min(_CHUNK, n_steps - done)
            first = self.n_steps + 1
            inputs = np.zeros((chunk, self._n_in))
            for inp in self.network.inputs:
                off = self._in_offsets[id(inp)]
                inputs[:, off:off + inp.size] = inp.values(first, chunk, self.dt)
            periods = self._probe_int[:, K.R_PERIOD]
            counts = (self.n_steps + chunk) // periods - self.n_steps // periods
            rec_off = np.concatenate([[0], np.cumsum(counts * np.array(self._rec_sizes, np.int64))])
            self._probe_int[:, K.R_REC_OFF] = rec_off[:-1]
            records = np.zeros(int(rec_off[-1]))
            self._count[:-1] = 0
            fn(chunk, self.dt, inputs, 0, self._sig, self._clear_lo, self._clear_hi,
               self._ens_int, self._ens_float, self._enc, self._bias, self._voltage, self._refractory,
               self._scratch, self._spikes, self._n_spikes, self._conn_int, self._conn_float, self._weights_t, self._gains,
               self._pes_int, self._pes_float, self._probe_int, self._probe_float, records, self._count)
            for k, p in enumerate(self.network.probes):
                part = records[rec_off[k]:rec_off[k + 1]]
                if p.attr == "weights":
                    part = part.reshape(-1, p.target.size_out, p.target.size_in)
                else:
                    part = part.reshape(-1, self._rec_sizes[k])
                self._records[p].append(part)
            self.n_steps += chunk
            done += chunk

    def set_weights(self, connection, weights):
        """Replace a connection's matrix ``(size_out, size_in)`` (e.g. decoders learned earlier)."""
        if id(connection) not in self._w_off:
            _validate.fail("connection", connection, "a connection of the simulated network")
        m, k = connection.size_out, connection.size_in
        W = _validate.array("weights", weights, shape=(m, k), finite=True, dtype=np.float64)
        off = self._w_off[id(connection)]
        self._weights_t[off:off + m * k] = np.ascontiguousarray(W.T).ravel()

    def neuron_state(self, ensemble):
        """Views of an ensemble's neuron state ``{"voltage", "refractory_time"}`` (writeable, in place).

        Set them before :meth:`run` to start from a given state (e.g. another simulator's).
        """
        if not any(ensemble is e for e in self.network.ensembles):
            _validate.fail("ensemble", ensemble, "an ensemble of the simulated network")
        k = [i for i, e in enumerate(self.network.ensembles) if e is ensemble][0]
        off, n = self._ens_int[k, K.E_NEURON_OFF], self._ens_int[k, K.E_N]
        return {"voltage": self._voltage[off:off + n], "refractory_time": self._refractory[off:off + n]}

    # -------------------------------------------------------------------------------- results
    @property
    def data(self):
        """``{probe: ndarray}`` of everything recorded so far."""
        out = {}
        for p, parts in self._records.items():
            if parts:
                out[p] = np.concatenate(parts, axis=0)
            else:
                shape = (0, p.target.size_out, p.target.size_in) if p.attr == "weights" else (0, self._rec_sizes[self.network.probes.index(p)])
                out[p] = np.zeros(shape)
        return out

    @property
    def time(self):
        """Simulated time (s)."""
        return self.n_steps * self.dt

    def trange(self, sample_every=None):
        """Times of the samples: :math:`n\\,dt` for :math:`n = k, 2k, \\dots` (``k`` the period in steps)."""
        if sample_every is not None:
            sample_every = _validate.positive("sample_every", sample_every, "s")
        period = 1 if sample_every is None else max(1, int(round(sample_every / self.dt)))
        return np.arange(period, self.n_steps + 1, period) * self.dt

    def weights(self, connection):
        """Current matrix ``(size_out, size_in)`` of a connection (after any learning)."""
        if id(connection) not in self._w_off:
            _validate.fail("connection", connection, "a connection of the simulated network")
        off = self._w_off[id(connection)]
        m, k = connection.size_out, connection.size_in
        return self._weights_t[off:off + m * k].reshape(k, m).T.copy()
