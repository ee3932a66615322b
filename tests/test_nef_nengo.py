"""spikecore.nef against Nengo itself (skipped when Nengo is not installed).

Seed-independent quantities (gains, biases, tuning curves, decoders for the same encoders,
evaluation points and solver), PES operator parity, and whole-simulation parity: the same
model with the same parameters and initial voltages gives the same spikes, outputs and
learned weights as Nengo's reference simulator.
"""
import numpy as np
import pytest

from spikecore import nef

nengo = pytest.importorskip("nengo")
nengo.rc.set("decoder_cache", "enabled", "False")


def _params(seed, n=40, d=3):
    rng = np.random.default_rng(seed)
    enc = rng.standard_normal((n, d))
    enc /= np.linalg.norm(enc, axis=1, keepdims=True)
    return enc, rng.uniform(50, 400, n), rng.uniform(-0.95, 0.95, n), rng.uniform(-1, 1, (300, d)), rng


@pytest.mark.parametrize("kind,nengo_type", [("lif", "LIF"), ("if", "SpikingRectifiedLinear"),
                                             ("lif_rate", "LIFRate"), ("relu", "RectifiedLinear")])
@pytest.mark.parametrize("seed", [0, 1])
def test_gain_bias_tuning_and_decoders_equal_nengo(kind, nengo_type, seed):
    enc, rates, icpt, points, rng = _params(seed)
    n, d = enc.shape
    fn = lambda x: [x[0] * x[1], x[2] ** 2]
    with nengo.Network(seed=seed) as model:
        a = nengo.Ensemble(n, d, radius=1.5, encoders=enc, max_rates=rates, intercepts=icpt,
                           eval_points=points, neuron_type=getattr(nengo, nengo_type)())
        out = nengo.Node(size_in=2)
        conn = nengo.Connection(a, out, function=fn, solver=nengo.solvers.LstsqL2(reg=0.05))
    with nengo.Simulator(model, progress_bar=False) as sim:
        built = sim.data[a]
        weights = sim.data[conn].weights
    ens = nef.Ensemble(n, d, radius=1.5, encoders=enc, max_rates=rates, intercepts=icpt,
                       eval_points=points, neuron_type=kind)
    np.testing.assert_allclose(ens.gain, built.gain, rtol=1e-12)
    np.testing.assert_allclose(ens.bias, built.bias, rtol=1e-12)
    np.testing.assert_allclose(ens.eval_points, built.eval_points, rtol=1e-12)
    x = rng.uniform(-1.5, 1.5, (100, d))
    from nengo.utils.ensemble import tuning_curves
    _, nengo_rates = tuning_curves(a, sim, inputs=x)
    np.testing.assert_allclose(ens.rates(x), nengo_rates, rtol=1e-9, atol=1e-9)
    net = nef.Network()
    net.add(ens)
    c = net.connect(ens, net.node(2), function=fn, solver=nef.LstsqL2(reg=0.05))
    np.testing.assert_allclose(c.weights, weights, rtol=1e-6, atol=1e-6 * np.abs(weights).max())


def test_weight_solver_equals_nengo():
    enc, rates, icpt, points, rng = _params(3, n=30, d=2)
    with nengo.Network(seed=3) as model:
        a = nengo.Ensemble(30, 2, encoders=enc, max_rates=rates, intercepts=icpt, eval_points=points)
        b = nengo.Ensemble(25, 2, seed=5)
        conn = nengo.Connection(a, b, solver=nengo.solvers.LstsqL2(weights=True))
    with nengo.Simulator(model, progress_bar=False) as sim:
        W = sim.data[conn].weights
        bb = sim.data[b]
    ea = nef.Ensemble(30, 2, encoders=enc, max_rates=rates, intercepts=icpt, eval_points=points)
    eb = nef.Ensemble(25, 2, encoders=bb.encoders, gain=bb.gain, bias=bb.bias, eval_points=bb.eval_points)
    net = nef.Network()
    net.add(ea)
    net.add(eb)
    c = net.connect(ea, eb, solver=nef.LstsqL2(weights=True))
    assert c.weights.shape == W.shape == (25, 30)
    np.testing.assert_allclose(c.weights, W, rtol=1e-6, atol=1e-6 * np.abs(W).max())


@pytest.mark.parametrize("seed", range(3))
def test_pes_operator_parity(seed):
    from nengo.builder.learning_rules import SimPES
    from nengo.builder.signal import Signal, SignalDict
    rng = np.random.default_rng(seed)
    n, m = 37, 3
    a, e = rng.uniform(0, 300, n), rng.standard_normal(m)
    pre, err, delta = Signal(np.zeros(n)), Signal(np.zeros(m)), Signal(np.zeros((m, n)))
    signals = SignalDict()
    for s in (pre, err, delta):
        signals.init(s)
    signals[pre][...] = a
    signals[err][...] = e
    op = SimPES(pre, err, delta, learning_rate=3e-4)
    op.make_step(signals, 1e-3, None)()
    np.testing.assert_allclose(nef.pes_delta(a, e, 3e-4, 1e-3), signals[delta], rtol=1e-12, atol=0)
    enc = rng.standard_normal((20, m))
    np.testing.assert_allclose(nef.local_error(enc, e), enc @ e, rtol=1e-12)


def _mirror_pes_model(seed, kind, T=0.3, n=60):
    """The PES acceptance model built in Nengo, then in spikecore with Nengo's parameters."""
    vin = np.array([0.5, -0.5])
    rng = np.random.default_rng(seed)
    W0 = rng.uniform(high=4e-4, size=(n, n))
    fn = (lambda x: [x[1], x[0]]) if kind in ("function", "weights") else None
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(lambda t: vin * np.cos(4 * t))
        target = nengo.Node(vin)
        pre, post, err = (nengo.Ensemble(n, 2) for _ in range(3))
        nengo.Connection(stim, pre)
        if kind == "neurons":
            conn = nengo.Connection(pre.neurons, post.neurons, transform=W0,
                                    learning_rule_type=nengo.PES(7e-4))
        else:
            conn = nengo.Connection(pre, post, function=fn, learning_rule_type=nengo.PES(1e-3),
                                    solver=nengo.solvers.LstsqL2(weights=kind == "weights"))
        nengo.Connection(target, err, transform=-1)
        nengo.Connection(post, err)
        nengo.Connection(err, conn.learning_rule)
        pp = nengo.Probe(post, synapse=0.03)
        pw = nengo.Probe(conn, "weights", sample_every=0.01)
        pe = nengo.Probe(err.neurons)
    with nengo.Simulator(model, progress_bar=False) as sn:
        net = nef.Network()
        s, tg = net.input(lambda t: vin * np.cos(4 * t)), net.input(vin)
        ens = {}
        for e in (pre, post, err):
            b = sn.data[e]
            ens[e] = net.add(nef.Ensemble(n, 2, encoders=b.encoders, gain=b.gain, bias=b.bias,
                                          eval_points=b.eval_points))
        net.connect(s, ens[pre])
        if kind == "neurons":
            c = net.connect(ens[pre].neurons, ens[post].neurons, transform=W0, learning_rule=nef.PES(7e-4))
        else:
            c = net.connect(ens[pre], ens[post], function=fn, learning_rule=nef.PES(1e-3),
                            solver=nef.LstsqL2(weights=kind == "weights"))
        net.connect(tg, ens[err], transform=-1)
        net.connect(ens[post], ens[err])
        net.connect(ens[err], c.learning_rule)
        p, w, spk = net.probe(ens[post], synapse=0.03), net.probe(c, sample_every=0.01), net.probe(ens[err].neurons)
        sim = nef.Simulator(net)
        for e in (pre, post, err):
            sim.neuron_state(ens[e])["voltage"][:] = sn.signals[sn.model.sig[e.neurons]["voltage"]]
        sn.run(T)
        sim.run(T)
        return (sim.data[p], sim.data[w], sim.data[spk]), (sn.data[pp], sn.data[pw], sn.data[pe])


@pytest.mark.parametrize("kind", ["decoded", "function", "weights", "neurons"])
def test_simulation_parity_with_nengo(kind):
    """Same parameters and initial state: same spikes, same decoded output, same learned weights."""
    (out, w, spikes), (n_out, n_w, n_spikes) = _mirror_pes_model(2, kind)
    np.testing.assert_array_equal(spikes, n_spikes)
    np.testing.assert_allclose(out, n_out, rtol=0, atol=1e-9)
    np.testing.assert_allclose(w, n_w, rtol=0, atol=1e-12 + 1e-9 * np.abs(n_w).max())
    assert not np.allclose(w[0], w[-1], atol=1e-9)  # learning happened


def test_dt_dependence_weights_agree_across_dt_like_nengo():
    """Nengo's test_dt_dependence for PES: kappa 1e-5, dt 1e-4 vs 1e-3, weights within 3e-3 at 0.1 s."""
    rng = np.random.default_rng(4)
    init = rng.uniform(high=1e-3, size=(10, 10))
    data = []
    for dt in (1e-4, 1e-3):
        net = nef.Network(seed=4)
        u = net.input(1.0)
        pre, post, err = net.ensemble(10, 1), net.ensemble(10, 1), net.ensemble(10, 1)
        c = net.connect(pre.neurons, post.neurons, transform=init, learning_rule=nef.PES(1e-5))
        net.connect(u, err)
        net.connect(err, c.learning_rule)
        p = net.probe(c, sample_every=0.01)
        sim = nef.Simulator(net, dt=dt, seed=4)
        sim.run(0.1)
        data.append(sim.data[p])
    assert data[0].shape == data[1].shape == (10, 10, 10)
    np.testing.assert_allclose(data[0], data[1], atol=3e-3)
    assert not np.allclose(data[1][0], data[1][-1])
