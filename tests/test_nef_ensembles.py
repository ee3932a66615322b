"""NEF ensembles, solvers and the simulator: closed forms, function learning, bad input."""
import numpy as np
import pytest

from spikecore import nef
from spikecore.nef import dists


def test_gain_bias_gives_requested_rates_and_intercepts():
    rates = np.array([50.0, 200.0, 399.0])
    icpt = np.array([-0.9, 0.0, 0.8])
    for kind in ("lif", "if"):
        gain, bias = nef.gain_bias(rates, icpt, kind)
        # threshold current 1 (LIF) / 0 (rectified linear) exactly at the intercept
        J0 = gain * icpt + bias
        np.testing.assert_allclose(J0, 1.0 if kind == "lif" else 0.0, atol=1e-12)
        np.testing.assert_allclose(nef.rates_from_current(gain + bias, kind), rates, rtol=1e-10)
        mr, ic = nef.max_rates_intercepts(gain, bias, kind)
        np.testing.assert_allclose(mr, rates, rtol=1e-10)
        np.testing.assert_allclose(ic, icpt, atol=1e-12)


def test_lif_rate_closed_form():
    J = np.array([0.5, 1.0, 2.0, 10.0])
    expect = [0.0, 0.0, 1 / (0.002 - 0.02 * np.log(1 - 1 / 2.0)), 1 / (0.002 - 0.02 * np.log(1 - 1 / 10.0))]
    np.testing.assert_allclose(nef.lif_rate(J), expect, rtol=1e-12)


def test_spiking_lif_fires_at_the_rate_curve():
    """A constant current: the spiking LIF (sub-step refractoriness) fires at G(J) within one spike."""
    net = nef.Network()
    ens = net.add(nef.Ensemble(4, 1, encoders=np.ones((4, 1)), gain=np.ones(4), bias=np.array([1.2, 1.5, 3.0, 8.0]),
                               eval_points=np.zeros((1, 1))))
    p = net.probe(ens.neurons)
    sim = nef.Simulator(net, dt=1e-3, seed=0)
    sim.run(2.0)
    counts = (sim.data[p] > 0).sum(axis=0) / 2.0
    np.testing.assert_allclose(counts, nef.lif_rate(ens.bias), atol=1.0)


def test_encoders_unit_and_seeded():
    a = nef.Ensemble(50, 4, seed=3)
    b = nef.Ensemble(50, 4, seed=3)
    np.testing.assert_allclose(np.linalg.norm(a.encoders, axis=1), 1.0)
    np.testing.assert_array_equal(a.encoders, b.encoders)
    np.testing.assert_array_equal(a.gain, b.gain)
    assert not np.array_equal(a.encoders, nef.Ensemble(50, 4, seed=4).encoders)
    assert a.eval_points.shape == (nef.ensembles.default_n_eval_points(50, 4), 4)
    assert np.all(np.linalg.norm(a.eval_points, axis=1) <= 1 + 1e-12)


@pytest.mark.parametrize("d", [1, 2, 3, 5, 8])
def test_scattered_hypersphere(d):
    rng = np.random.default_rng(0)
    s = dists.ScatteredHypersphere(surface=True).sample(400, d, rng)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), 1.0, atol=1e-12)
    assert abs(s.mean()) < 0.1
    b = dists.ScatteredHypersphere(surface=False).sample(400, d, rng)
    r = np.linalg.norm(b, axis=1)
    assert np.all(r <= 1 + 1e-12)
    # uniform in the ball: P(r <= 0.5) = 0.5^d
    assert abs(np.mean(r <= 0.5) - 0.5 ** d) < 0.06


def test_solver_matches_closed_form_ridge():
    rng = np.random.default_rng(1)
    A = rng.uniform(0, 100, (50, 20))
    Y = rng.standard_normal((50, 2))
    D, info = nef.LstsqL2(reg=0.1)(A, Y)
    sigma = 0.1 * A.max()
    expect = np.linalg.solve(A.T @ A + 50 * sigma ** 2 * np.eye(20), A.T @ Y)
    np.testing.assert_allclose(D, expect, rtol=1e-8)
    # fat system (fewer points than neurons) uses the dual form, same minimiser
    A2 = A[:10]
    D2, _ = nef.LstsqL2(reg=0.1)(A2, Y[:10])
    s2 = 0.1 * A2.max()
    np.testing.assert_allclose(D2, np.linalg.solve(A2.T @ A2 + 10 * s2 ** 2 * np.eye(20), A2.T @ Y[:10]),
                               rtol=1e-7, atol=1e-12)


def test_square_decoders_rate_accuracy():
    ens = nef.Ensemble(200, 1, seed=2)
    net = nef.Network()
    net.add(ens)
    c = net.connect(ens, net.node(1), function=lambda x: x ** 2)
    x = np.linspace(-1, 1, 101)[:, None]
    est = ens.rates(x) @ c.weights.T
    assert np.sqrt(np.mean((est - x ** 2) ** 2)) < 0.02


@pytest.mark.parametrize("mode", ["spiking", "rate"])
def test_communication_channel_and_square(mode):
    net = nef.Network(seed=5)
    stim = net.input(lambda t: [np.sin(2 * np.pi * t)])
    a, b, c = net.ensemble(100, 1), net.ensemble(100, 1), net.ensemble(100, 1)
    net.connect(stim, a)
    net.connect(a, b)
    net.connect(a, c, function=lambda x: x ** 2)
    pb, pc = net.probe(b, synapse=0.02), net.probe(c, synapse=0.02)
    sim = nef.Simulator(net, mode=mode, seed=5)
    sim.run(1.0)
    t = sim.trange() - 0.02  # two synapses of 5 ms + probe filter: about 20 ms lag
    late = sim.trange() > 0.2
    assert np.sqrt(np.mean((sim.data[pb][late, 0] - np.sin(2 * np.pi * t[late])) ** 2)) < 0.1
    assert np.sqrt(np.mean((sim.data[pc][late, 0] - np.sin(2 * np.pi * t[late]) ** 2) ** 2)) < 0.1


def test_inputs_arrays_constants_and_continuation():
    net = nef.Network(seed=0)
    u = net.input(np.arange(10.0)[:, None])
    k = net.input([1.0, 2.0])
    pu, pk = net.probe(u), net.probe(k)
    sim = nef.Simulator(net)
    sim.run_steps(4)
    sim.run_steps(6)
    np.testing.assert_array_equal(sim.data[pu][:, 0], np.arange(10.0))
    np.testing.assert_array_equal(sim.data[pk], np.tile([1.0, 2.0], (10, 1)))
    np.testing.assert_allclose(sim.trange(), np.arange(1, 11) * 1e-3)
    with pytest.raises(ValueError, match="input array has 10 rows"):
        sim.run_steps(1)


def test_input_function_that_reuses_its_output_buffer():
    # a function may fill and return the same array every step (as Nengo's nodes allow): each
    # step's value is copied when it is returned, not read back after later calls changed it
    buf = np.zeros(2)

    def f(t):
        buf[:] = t, -t
        return buf
    net = nef.Network(seed=0)
    p = net.probe(net.input(f))
    sim = nef.Simulator(net)
    sim.run_steps(5)
    np.testing.assert_array_equal(sim.data[p][:, 0], np.arange(1, 6) * 1e-3)
    np.testing.assert_array_equal(sim.data[p][:, 1], -np.arange(1, 6) * 1e-3)


def test_bad_input_errors():
    with pytest.raises(ValueError, match="max_rates.*positive"):
        nef.gain_bias([-10.0], [0.0])
    with pytest.raises(ValueError, match="intercepts.*open interval"):
        nef.Ensemble(3, 1, intercepts=[0.0, 1.0, 0.2])
    with pytest.raises(ValueError, match="intercepts.*open interval"):
        nef.gain_bias([100.0], [-1.5])
    with pytest.raises(ValueError, match="below 1/tau_ref"):
        nef.Ensemble(2, 1, max_rates=[100.0, 600.0])
    with pytest.raises(ValueError, match="encoders"):
        nef.Ensemble(2, 2, encoders=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="encoders.*shape"):
        nef.Ensemble(2, 2, encoders=np.ones((2, 3)))
    with pytest.raises(ValueError, match="neuron_type"):
        nef.Ensemble(2, 1, neuron_type="hh")
    net = nef.Network()
    a, b = net.ensemble(10, 2), net.ensemble(10, 3)
    with pytest.raises(ValueError, match="transform"):
        net.connect(a, b)  # 2-D into 3-D needs a matrix
    with pytest.raises(ValueError, match="transform.*shape"):
        net.connect(a, b, transform=np.ones((2, 2)))
    with pytest.raises(ValueError, match="function"):
        net.connect(a, b, function=lambda x: np.zeros(4))
    u = net.input([0.0, 0.0])
    with pytest.raises(ValueError, match="function"):
        net.connect(u, a, function=lambda x: x)
    with pytest.raises(TypeError, match="added to this network"):
        net.connect(nef.Ensemble(5, 2), a)
    with pytest.raises(ValueError, match="synapse"):
        net.connect(a, a, synapse=None)
        nef.Simulator(net)
    with pytest.raises(ValueError, match="learning_rate"):
        nef.PES(-1.0)
    with pytest.raises(ValueError, match="mode"):
        nef.Simulator(nef.Network(), mode="fast")
    with pytest.raises(ValueError, match="error"):
        nef.pes_delta(np.ones(3), np.full(2, np.nan), 1e-4, 1e-3)
