"""spikecore.kernels.nef == spikecore.reference.nef on generated inputs and generated models."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from spikecore.kernels import nef as K

from spikecore import nef
from spikecore.reference import nef as R

arrays = st.integers(0, 2 ** 31).map(np.random.default_rng)


@settings(max_examples=40)
@given(rng=arrays, batch=st.integers(1, 3), n=st.integers(1, 40), dt=st.sampled_from([1e-4, 1e-3, 2e-3]),
       steps=st.integers(1, 30))
def test_lif_step_twin(rng, batch, n, dt, steps):
    v0 = rng.uniform(0, 1, (batch, n))
    r0 = rng.uniform(-dt, 3e-3, (batch, n)) * (rng.random((batch, n)) < 0.5)
    vk, rk, vr, rr = v0.copy(), r0.copy(), v0.copy(), r0.copy()
    for _ in range(steps):
        J = rng.uniform(-1, 6, (batch, n))
        ok, orf = np.zeros((batch, n)), np.zeros((batch, n))
        K.nef_lif_step(vk, rk, J, dt, 0.02, 0.002, 0.0, 1.0, ok)
        R.nef_lif_step(vr, rr, J, dt, 0.02, 0.002, 0.0, 1.0, orf)
        np.testing.assert_array_equal(ok, orf)
        np.testing.assert_allclose(vk, vr, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(rk, rr, rtol=1e-12, atol=1e-14)


@settings(max_examples=30)
@given(rng=arrays, batch=st.integers(1, 3), n=st.integers(1, 40))
def test_rate_and_if_twins(rng, batch, n):
    J = rng.uniform(-2, 8, (batch, n))
    a, b = np.zeros((batch, n)), np.zeros((batch, n))
    K.nef_lif_rate_step(J, 0.02, 0.002, 1.0, a)
    R.nef_lif_rate_step(J, 0.02, 0.002, 1.0, b)
    np.testing.assert_allclose(a, b, rtol=1e-13)
    K.nef_relu_step(J, 2.0, a)
    R.nef_relu_step(J, 2.0, b)
    np.testing.assert_array_equal(a, b)
    v0 = rng.uniform(0, 1, (batch, n))
    vk, vr = v0.copy(), v0.copy()
    for _ in range(5):
        K.nef_if_step(vk, J * 300, 1e-3, 1.0, a)
        R.nef_if_step(vr, J * 300, 1e-3, 1.0, b)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(vk, vr, rtol=1e-12, atol=1e-14)


@settings(max_examples=30)
@given(rng=arrays, n=st.integers(1, 50), m=st.integers(1, 8), kappa=st.floats(0, 0.5), dt=st.floats(1e-5, 1e-2))
def test_pes_twins(rng, n, m, kappa, dt):
    a = rng.uniform(0, 400, n)
    e = rng.standard_normal(m)
    dk, dr = np.zeros((m, n)), np.zeros((m, n))
    K.pes_delta(a, e, kappa, dt, dk)
    R.pes_delta(a, e, kappa, dt, dr)
    np.testing.assert_allclose(dk, dr, rtol=1e-13, atol=0)
    enc = rng.standard_normal((n, m))
    lk, lr = np.zeros(n), np.zeros(n)
    K.pes_local_error(enc, e, lk)
    R.pes_local_error(enc, e, lr)
    np.testing.assert_allclose(lk, lr, rtol=1e-12, atol=1e-12)


@st.composite
def models(draw):
    """Random small NEF models covering every connection kind, PES target and probe kind."""
    seed = draw(st.integers(0, 2 ** 31))
    rng = np.random.default_rng(seed)
    net = nef.Network(seed=seed)
    d = draw(st.integers(1, 3))
    kinds = draw(st.lists(st.sampled_from(["lif", "lif_rate", "if", "relu"]), min_size=2, max_size=3))
    ens = [net.ensemble(draw(st.integers(3, 12)), d, neuron_type=k) for k in kinds]
    stim = net.input(rng.uniform(-1, 1, (40, d)))
    net.connect(stim, ens[0], synapse=draw(st.sampled_from([None, 0.005])))
    conns = []
    for pre, post in zip(ens[:-1], ens[1:]):
        how = draw(st.sampled_from(["decoded", "weights", "neurons", "fn"]))
        rule = nef.PES(draw(st.floats(0, 1e-2))) if draw(st.booleans()) else None
        syn = draw(st.sampled_from([0.002, 0.01]))
        if how == "decoded":
            c = net.connect(pre, post, synapse=syn, learning_rule=rule)
        elif how == "fn":
            c = net.connect(pre, post, function=lambda x: x ** 2, synapse=syn, learning_rule=rule)
        elif how == "weights":
            c = net.connect(pre, post, solver=nef.LstsqL2(weights=True), synapse=syn, learning_rule=rule)
        else:
            W = rng.uniform(0, 1e-3, (post.n_neurons, pre.n_neurons))
            c = net.connect(pre.neurons, post.neurons, transform=W, synapse=syn, learning_rule=rule)
        conns.append(c)
        if rule is not None:
            err = net.node(c.error_dimensions)
            net.connect(post, err, synapse=None)
            net.connect(stim, err, transform=-1.0, synapse=None)
            net.connect(err, rule, synapse=draw(st.sampled_from([None, 0.005])))
            net.probe(rule)
    for e in ens:
        net.probe(e, synapse=draw(st.sampled_from([None, 0.01])))
        net.probe(e.neurons, synapse=draw(st.sampled_from([None, 0.005])))
    for c in conns:
        net.probe(c, sample_every=0.003)
    return net, seed


@settings(max_examples=25)
@given(model=models(), mode=st.sampled_from(["spiking", "rate"]), steps=st.integers(1, 40))
def test_model_loop_twin(model, mode, steps):
    """The compiled whole-model loop equals its NumPy reference: spikes exactly, floats to 1e-9."""
    net, seed = model
    a = nef.Simulator(net, mode=mode, seed=seed)
    b = nef.Simulator(net, mode=mode, seed=seed, engine="reference")
    a.run_steps(steps)
    b.run_steps(steps)
    for p in net.probes:
        np.testing.assert_allclose(a.data[p], b.data[p], rtol=1e-9, atol=1e-9, err_msg=repr(p))
    for c in net.connections:
        np.testing.assert_allclose(a.weights(c), b.weights(c), rtol=1e-9, atol=1e-12)


@settings(max_examples=40)
@given(rng=arrays, n=st.integers(1, 300), dt=st.sampled_from([1e-4, 1e-3, 2e-3]), steps=st.integers(1, 20),
       amplitude=st.sampled_from([1.0, 0.5]))
def test_listed_lif_step_is_the_plain_step_bit_for_bit(rng, n, dt, steps, amplitude):
    """The model loop's two-pass LIF step gives exactly the plain step's numbers, and lists the spikers."""
    v0 = rng.uniform(0, 1, n)
    r0 = rng.uniform(-dt, 3 * dt, n) * (rng.random(n) < 0.5)
    va, ra, vb, rb = v0.copy(), r0.copy(), v0.copy(), r0.copy()
    full = np.expm1(-dt / 0.02)
    spikes = np.zeros(n, np.int64)
    for _ in range(steps):
        J = rng.uniform(-1, 8, n)
        oa, ob = np.zeros(n), np.zeros(n)
        K._lif_step_1d(va, ra, J, dt, 0.02, 0.002, 0.0, amplitude, oa, full)
        k = K._lif_step_listed(vb, rb, J, dt, 0.02, 0.002, 0.0, amplitude, ob, full, spikes)
        assert np.array_equal(oa, ob) and np.array_equal(va, vb) and np.array_equal(ra, rb)
        np.testing.assert_array_equal(spikes[:k], np.flatnonzero(oa))


@settings(max_examples=40)
@given(rng=arrays, n=st.integers(1, 60), d=st.integers(1, 11), zeros=st.floats(0, 1))
def test_input_current_sums_dimensions_in_order(rng, n, d, zeros):
    """J = b + jx + sum_k E_k x_k summed k = 0, 1, ... (four per sweep), equal to the plain loop bit for bit."""
    E = rng.standard_normal((d, n))
    x = rng.standard_normal(d) * (rng.random(d) >= zeros)
    b, jx = rng.standard_normal(n), rng.standard_normal(n)
    for extra in (jx, np.zeros(0)):
        J = np.zeros(n)
        K._input_current(J, b, extra, E, x)
        want = b + extra if extra.size else b.copy()
        for k in range(d):
            if x[k] != 0.0:
                want = want + E[k] * x[k]
        assert np.array_equal(J, want)


@settings(max_examples=30)
@given(rng=arrays, npre=st.integers(1, 50), m=st.integers(1, 20))
def test_pes_update_equals_outer_product_bit_for_bit(rng, npre, m):
    W = rng.standard_normal((npre, m))
    acts = rng.uniform(0, 300, npre) * (rng.random(npre) < 0.7)
    err = rng.standard_normal(m)
    alpha = -1e-4 * 1e-3 / npre
    want = W.copy()
    for i in range(npre):
        if acts[i] != 0.0:
            want[i] += (alpha * err) * acts[i]
    K._pes_update(W, acts, err, alpha)
    assert np.array_equal(W, want)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2 ** 31), d=st.integers(4, 9), n=st.integers(8, 40), steps=st.integers(5, 40))
def test_model_loop_twin_high_dimensional_learning(seed, d, n, steps):
    """A learned d >= 4 communication channel (four-dimension sweeps, eight-column PES blocks) equals the twin."""
    rng = np.random.default_rng(seed)
    net = nef.Network(seed=seed)
    u = net.input(rng.uniform(-0.8, 0.8, (60, d)))
    pre, post, err = net.ensemble(n, d), net.ensemble(n, d), net.ensemble(n, d)
    net.connect(u, pre)
    c = net.connect(pre, post, function=lambda x: np.zeros(d), learning_rule=nef.PES(1e-2))
    net.connect(post, err)
    net.connect(pre, err, transform=-1)
    net.connect(err, c.learning_rule)
    probes = [net.probe(post, synapse=0.01), net.probe(err.neurons), net.probe(c, sample_every=0.005)]
    a = nef.Simulator(net, seed=seed)
    b = nef.Simulator(net, seed=seed, engine="reference")
    a.run_steps(steps)
    b.run_steps(steps)
    np.testing.assert_array_equal(a.data[probes[1]], b.data[probes[1]])
    for p in (probes[0], probes[2]):
        np.testing.assert_allclose(a.data[p], b.data[p], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.weights(c), b.weights(c), rtol=1e-9, atol=1e-12)
