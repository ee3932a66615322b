"""spikecore.kernels.nef == spikecore.reference.nef on generated inputs and generated models."""
import math
import platform

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
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
        # learning rates up to 1e-3 (Nengo's default is 1e-4): near 1e-2 a weight-solver
        # connection can learn itself into a blow-up, where the two loops' last-bit differences
        # grow without bound and no tolerance compares them
        rule = nef.PES(draw(st.floats(0, 1e-3))) if draw(st.booleans()) else None
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
@given(rng=arrays, n=st.integers(1, 300), dt=st.sampled_from([1e-4, 1e-3, 2e-3, 1e-2]), steps=st.integers(1, 20),
       amplitude=st.sampled_from([1.0, 0.5, 0.0]), jmax=st.sampled_from([8.0, 60.0]))
def test_listed_lif_step_is_the_plain_step_bit_for_bit(rng, n, dt, steps, amplitude, jmax):
    """The model loop's multi-pass LIF step gives exactly the plain step's numbers, and lists the spikers.

    dt = 10 ms puts expm1/log1p arguments outside the inlined polynomials' range (library
    fallback); J up to 60 makes neurons spike in the step they leave their refractory period.
    """
    v0 = rng.uniform(0, 1, n)
    r0 = rng.uniform(-dt, 3 * dt, n) * (rng.random(n) < 0.5)
    va, ra, vb, rb = v0.copy(), r0.copy(), v0.copy(), r0.copy()
    full = np.expm1(-dt / 0.02)
    spikes = np.zeros(n, np.int64)
    leaving, work = np.zeros(n, np.int64), np.zeros(2 * n)
    for _ in range(steps):
        J = rng.uniform(-1, jmax, n)
        oa, ob = np.zeros(n), np.zeros(n)
        K._lif_step_1d(va, ra, J, dt, 0.02, 0.002, 0.0, amplitude, oa, full)
        k = K._lif_step_listed(vb, rb, J, dt, 0.02, 0.002, 0.0, amplitude, ob, full, spikes, leaving, work)
        assert np.array_equal(oa, ob) and np.array_equal(va, vb) and np.array_equal(ra, rb)
        np.testing.assert_array_equal(spikes[:k], np.flatnonzero(oa))


@settings(max_examples=40)
@given(rng=arrays, n=st.integers(1, 60), d=st.integers(1, 40), zeros=st.sampled_from([0.0, 0.0, 0.05, 0.3, 1.0]))
def test_input_current_sums_dimensions_in_order(rng, n, d, zeros):
    """J = b + jx + sum_k E_k x_k summed k = 0, 1, ... (16 or 4 per sweep), equal to the plain loop bit for bit."""
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
@given(rng=arrays, npre=st.integers(1, 50), m=st.integers(1, 20), g=st.sampled_from([0.0, 0.8]))
def test_pes_update_equals_outer_product_bit_for_bit(rng, npre, m, g):
    """Presynaptic filter then W += (alpha E) a^T for a != 0, equal to the plain loops bit for bit."""
    W = rng.standard_normal((npre, m))
    acts0 = rng.uniform(0, 300, npre) * (rng.random(npre) < 0.7)
    pre_out = rng.uniform(0, 1000, npre) * (rng.random(npre) < 0.3)
    err = rng.standard_normal(m)
    alpha = -1e-4 * 1e-3 / npre
    acts_want = g * acts0 + (1.0 - g) * pre_out
    want = W.copy()
    for i in range(npre):
        if acts_want[i] != 0.0:
            want[i] += (alpha * err) * acts_want[i]
    w, acts = W.ravel().copy(), acts0.copy()
    K._pes_update(w, m, acts, pre_out, g, err, alpha, np.zeros(m))
    assert np.array_equal(acts, acts_want)
    assert np.array_equal(w.reshape(npre, m), want)


@settings(max_examples=40)
@given(rng=arrays, s_len=st.integers(1, 80), d=st.integers(1, 21), frac=st.floats(0, 1))
def test_listed_accumulate_equals_plain_bit_for_bit(rng, s_len, d, frac):
    """Visiting the listed rows four at a time gives the plain row-by-row sums bit for bit."""
    W = rng.standard_normal((s_len, d))
    src = rng.uniform(0, 1000, s_len) * (rng.random(s_len) < frac)
    out0 = rng.standard_normal(d)
    want = out0.copy()
    for i in range(s_len):
        if src[i] != 0.0:
            want = want + W[i] * (src[i] * 0.3)
    idx = np.flatnonzero(src)
    sig = np.concatenate([src, out0])
    K._accumulate_listed(W.ravel(), 0, sig, 0, s_len, idx, d, sig, s_len, 0.3)
    assert np.array_equal(sig[s_len:], want)


@njit
def _inlined_and_library(x):
    # the kernels' inlined expm1/log1p (with their library fallback) and the C library's
    n = x.shape[0]
    out = np.empty((4, n))
    for i in range(n):
        out[0, i] = K._expm1(x[i])
        out[1, i] = math.expm1(x[i])
        out[2, i] = K._log1p(x[i])
        out[3, i] = math.log1p(x[i])
    return out


def _glibc_with_fma():
    libc, version = platform.libc_ver()
    if platform.system() != "Linux" or platform.machine() != "x86_64" or libc != "glibc":
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return " fma " in flags and tuple(int(v) for v in version.split(".")[:2]) >= (2, 36)


def test_inlined_expm1_log1p_match_the_c_library():
    """fdlibm's polynomials as inlined in the LIF step: within 1 ulp of the C library everywhere
    (the arguments of the LIF step, the edges of the inlined range, the library fallback), and
    bit-identical to glibc's FMA build on x86-64 CPUs with FMA (the machine of the benchmark)."""
    rng = np.random.default_rng(5)
    x = np.concatenate([-rng.uniform(0, 0.05, 100_000), rng.uniform(-0.3, 0.42, 100_000),
                        -np.logspace(-17, 0, 2_000), np.logspace(-17, 1, 2_000),
                        [0.0, -0.0, 0.34, -0.34, 0.29, -0.29, 0.41, 1e-15, 1e-8, np.inf, -np.inf, np.nan]])
    e, e_lib, l, l_lib = _inlined_and_library(x)
    for ours, lib in ((e, e_lib), (l, l_lib)):
        finite = np.isfinite(lib)
        assert np.array_equal(np.isnan(ours), np.isnan(lib))
        assert np.array_equal(ours[~finite & ~np.isnan(lib)], lib[~finite & ~np.isnan(lib)])
        ulps = np.abs(ours[finite].view(np.int64) - lib[finite].view(np.int64))
        assert ulps.max() <= 1
        if _glibc_with_fma():
            assert np.array_equal(ours[finite], lib[finite])


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
