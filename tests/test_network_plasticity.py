"""Plasticity inside Network.run: the engine's weights == PlasticSynapses run on the spikes the
engine recorded (dense and CSR, with and without delays, every rule), kernel == reference on
random plastic networks, reward modulation, persistence across runs and reset()."""
import copy
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spikecore.kernels import network as K

from spikecore.learning import stdp as S
from spikecore.network import Network
from spikecore.neurons import LIF, SRM0, CurrentLIF
from spikecore.reference import network as R

F64 = np.float64
DT = 1e-3

RULES = {
    "pair": lambda: S.PairSTDP(a_plus=0.02, a_minus=0.025),
    "pair_mult_nearest": lambda: S.PairSTDP(a_plus=0.02, a_minus=0.025, weight_dependence="multiplicative",
                                            mu=0.7, pairing="nearest"),
    "triplet": lambda: S.TripletSTDP(a2_plus=0.01, a3_plus=0.02, a2_minus=0.01, a3_minus=0.005,
                                     pairing="all"),
    "triplet_dc": lambda: S.TripletSTDP.diehl_cook(nu_pre=0.01, nu_post=0.05),
    "pre_trace": lambda: S.PresynapticTraceSTDP(eta=0.05, x_tar=0.3, mu=0.5),
    "exponential": lambda: S.ExponentialSTDP(eta=0.05, x_tar=0.3, beta=2.0),
    "pre_post": lambda: S.PrePostTraceSTDP(eta_pre=0.02, eta_post=0.05, mu=1.0),
    "reward": lambda: S.RewardModulatedSTDP(a_plus=0.2, a_minus=0.25, tau_c=0.05, eta=5.0),
    "bcm": lambda: S.BCM(eta=1e-5, tau_rate=0.02, tau_theta=0.05, nu0=20.0),
}


def _lif():
    # float64 like the random networks below: one compiled signature of the loop for this file
    return LIF(tau_mem=10e-3, v_th=0.15, dtype=F64)  # fires 10-60 times in 250 steps here


def _arrived(pre, d):
    """Presynaptic raster as seen by synapses of delay d: spikes emitted at t - d arrive at t."""
    out = np.zeros_like(pre)
    if d < pre.shape[0]:
        out[d:] = pre[: pre.shape[0] - d]
    return out


def _build(rule, kind, delay_steps, seed, batch=1, n_pre=12, n_post=6, model=None):
    """Source -> LIF with one plastic connection; returns the network pieces and initial weights."""
    rng = np.random.default_rng(seed)
    net = Network(dt=DT, seed=seed)
    src = net.add_source(n_pre, name="in")
    out = net.add(model or _lif(), n=n_post, name="out")
    if kind == "dense":
        W = rng.uniform(0.2, 0.8, (n_post, n_pre))
        conn = net.connect(src, out, weight=W, delay=delay_steps * DT, plasticity=rule)
    elif kind == "csr":
        conn = net.connect(src, out, weight=lambda r, m: r.uniform(0.2, 0.8, m), p=0.6,
                           delay=delay_steps * DT, plasticity=rule)
    else:  # csr with per-synapse delays 0 .. delay_steps
        m = 3 * n_pre
        pairs = (rng.integers(0, n_pre, m), rng.integers(0, n_post, m))
        conn = net.connect(src, out, weight=rng.uniform(0.2, 0.8, m), pairs=pairs,
                           delay=rng.integers(0, delay_steps + 1, m) * DT, plasticity=rule)
    net.record_spikes(src, out)
    return net, src, out, conn


def _snapshot(conn):
    return copy.deepcopy((conn.indptr, conn.indices, conn.weights, conn.delays, conn.weights_t,
                          conn.delay))


def _expected(rule, conn, initial, pre, post, reward, batch):
    """Weights of ``conn`` after PlasticSynapses runs the rule on the recorded rasters, one delay
    group at a time (synapses of delay d see the presynaptic raster shifted by d)."""
    indptr, indices, weights, delays, weights_t, delay = initial
    if conn.kind == "dense":
        syn = S.PlasticSynapses(rule, weights=weights_t.T, dt=DT, batch=batch, dtype=weights_t.dtype)
        syn.run(_arrived(pre, delay), post, modulator=reward)
        return syn.weights_t
    d_all = delays if delays.size else np.full(indices.size, delay, np.int32)
    out = np.empty_like(weights)
    pre_of = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    for d in np.unique(d_all):
        sel = d_all == d
        ptr = np.zeros(indptr.size, np.int64)
        np.cumsum(np.bincount(pre_of[sel], minlength=indptr.size - 1), out=ptr[1:])
        data = weights[sel].copy()
        syn = S.PlasticSynapses(rule, csr=(ptr, indices[sel], data, conn.post.n), dt=DT, batch=batch,
                                dtype=data.dtype)
        syn.run(_arrived(pre, int(d)), post, modulator=reward)
        out[sel] = data
    return out


def _engine_vs_synapses(rule_name, kind, delay_steps, seed=0, batch=1, T=250, model=None):
    rule = RULES[rule_name]()
    net, src, out, conn = _build(rule, kind, delay_steps, seed, batch=batch, model=model)
    initial = _snapshot(conn)
    start = (initial[4] if conn.kind == "dense" else initial[2]).copy()
    rng = np.random.default_rng(seed + 1)
    raster = rng.random((T, batch, src.n)) < 0.12
    reward = rng.normal(0, 1, (T, batch)) if rule_name == "reward" else None
    res = net.run(T, inputs={src: raster}, reward=reward)
    pre, post = res.raster(src), res.raster(out)
    assert post.sum() > 0 and pre.sum() > 0
    expected = _expected(rule, conn, initial, pre, post, reward, batch)
    got = conn.weights_t if conn.kind == "dense" else conn.weights
    np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(got, start), "the rule changed no weight: the test proves nothing"
    return net, conn


@pytest.mark.parametrize("rule_name", sorted(RULES))
@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_every_rule_in_a_run_equals_plastic_synapses(rule_name, kind):
    _engine_vs_synapses(rule_name, kind, 0)


@pytest.mark.parametrize("rule_name", ["pair", "triplet", "reward", "bcm", "pre_trace"])
@pytest.mark.parametrize("kind,delay", [("dense", 3), ("csr", 2), ("csr_delays", 4)])
def test_delayed_synapses_use_the_arrival_time(rule_name, kind, delay):
    _engine_vs_synapses(rule_name, kind, delay, seed=5)


@pytest.mark.parametrize("rule_name", ["pair_mult_nearest", "reward"])
def test_batch_copies_share_the_weights(rule_name):
    # batch > 1: one weight array, traces per copy, updates of the copies applied in turn
    _engine_vs_synapses(rule_name, "csr_delays", 2, seed=7, batch=3)


def test_plastic_connection_onto_a_model_outside_the_fused_loop():
    # SRM0 is advanced from Python step by step; the plasticity still runs inside the loop
    _engine_vs_synapses("pair", "dense", 1, seed=2, T=120, model=SRM0(dtype=F64))


def test_traces_match_plastic_synapses():
    rule = RULES["triplet"]()
    net, src, out, conn = _build(rule, "dense", 0, seed=3)
    initial = _snapshot(conn)
    raster = np.random.default_rng(4).random((200, 1, src.n)) < 0.12
    res = net.run(200, inputs={src: raster})
    syn = S.PlasticSynapses(rule, weights=initial[4].T, dt=DT, dtype=F64)
    syn.run(res.raster(src), res.raster(out))
    traces = net.plasticity_state(conn)
    for name in ("x1", "x2", "y1", "y2"):
        np.testing.assert_array_equal(traces[name], getattr(syn, name), err_msg=name)


# -- reward modulation --------------------------------------------------------------------------
def _reward_net(seed=0):
    rule = RULES["reward"]()
    net, src, out, conn = _build(rule, "csr", 1, seed)
    raster = np.random.default_rng(seed + 1).random((200, 1, src.n)) < 0.12
    return net, src, conn, raster


def test_zero_reward_changes_no_weight():
    for reward in (None, np.zeros(200)):
        net, src, conn, raster = _reward_net()
        w0 = conn.weights.copy()
        net.run(200, inputs={src: raster}, reward=reward)
        np.testing.assert_array_equal(conn.weights, w0)
        assert np.abs(net.plasticity_state(conn)["eligibility"]).max() > 0  # yet eligible


def test_sign_of_reward_sets_sign_of_change():
    changes = []
    for sign in (1.0, -1.0):
        net, src, conn, raster = _reward_net()
        raster[150:] = False  # input stops: from step 160 the eligibility only decays
        net.run(160, inputs={src: raster[:160]})
        w0 = conn.weights.astype(F64)
        elig = net.plasticity_state(conn)["eligibility"][0].astype(F64).copy()
        net.run(40, inputs={src: raster[160:]}, reward=np.full(40, sign))
        changes.append((conn.weights - w0, elig))
    (up, elig), (down, _) = changes
    moved = (up != 0) & (down != 0)
    assert moved.sum() > 3
    assert np.all(np.sign(up[moved]) == np.sign(elig[moved]))
    assert np.all(np.sign(down[moved]) == -np.sign(elig[moved]))
    assert np.all(up[elig == 0] == 0)


# -- runs, reset --------------------------------------------------------------------------------
@pytest.mark.parametrize("rule_name", sorted(RULES))
def test_two_runs_equal_one_run(rule_name):
    T, cut = 240, 97
    results = []
    for split in (False, True):
        rule = RULES[rule_name]()
        net, src, out, conn = _build(rule, "csr_delays", 3, seed=11)
        rng = np.random.default_rng(12)
        raster = rng.random((T, 1, src.n)) < 0.12
        reward = rng.normal(0, 1, T) if rule_name == "reward" else None
        if split:
            net.run(cut, inputs={src: raster[:cut]},
                    reward=None if reward is None else reward[:cut])
            net.run(T - cut, inputs={src: raster[cut:]},
                    reward=None if reward is None else reward[cut:])
        else:
            net.run(T, inputs={src: raster}, reward=reward)
        results.append((conn.weights.copy(), net.plasticity_state(conn)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    for name in results[0][1]:
        np.testing.assert_array_equal(results[0][1][name], results[1][1][name], err_msg=name)


def test_reset_keeps_weights_and_clears_traces():
    rule = RULES["pair"]()
    net, src, out, conn = _build(rule, "dense", 2, seed=21)
    raster = np.random.default_rng(22).random((150, 1, src.n)) < 0.12
    net.run(150, inputs={src: raster})
    learned = conn.weights_t.copy()
    net.reset()
    net.run(0)
    np.testing.assert_array_equal(conn.weights_t, learned)
    assert all(np.all(a == 0) for a in net.plasticity_state(conn).values())
    # a run after reset == a fresh network whose initial weights are the learned ones
    net.run(150, inputs={src: raster})
    fresh = Network(dt=DT)
    s2 = fresh.add_source(src.n)
    o2 = fresh.add(_lif(), n=out.n)
    c2 = fresh.connect(s2, o2, weight=learned.T, delay=2 * DT, plasticity=rule)
    fresh.run(150, inputs={s2: raster})
    np.testing.assert_array_equal(conn.weights_t, c2.weights_t)


def test_weights_edited_between_runs_are_used():
    rule = S.PairSTDP(a_plus=0.0, a_minus=0.02)  # depression only: zero weights stay zero
    net, src, out, conn = _build(rule, "csr_delays", 2, seed=31)
    raster = np.random.default_rng(32).random((100, 1, src.n)) < 0.12
    assert net.run(50, inputs={src: raster[:50]}).raster(out).sum() > 0
    conn.weights[:] = 0.0  # silence the connection
    res = net.run(50, inputs={src: raster[50:]})
    assert res.raster(out)[5:].sum() == 0  # (after the input already in flight)
    assert np.all(conn.weights == 0.0)


# -- errors -------------------------------------------------------------------------------------
def test_bad_arguments():
    from spikecore.network import Conv2D
    net = Network(dt=DT)
    src = net.add_source(shape=(1, 3, 3))
    out = net.add(LIF(tau_mem=10e-3, dtype=F64), shape=(1, 2, 2))
    with pytest.raises(TypeError, match="plasticity"):
        net.connect(src, out, weight=np.ones((4, 9)), plasticity="stdp")
    with pytest.raises(ValueError, match="conv2d"):
        net.connect(src, out, conv=Conv2D(np.ones((1, 1, 2, 2))), plasticity=S.PairSTDP())
    with pytest.raises(ValueError, match="w_min, w_max"):
        net.connect(src, out, weight=np.full((4, 9), 1.5), plasticity=S.PairSTDP(w_max=1.0))
    net.connect(src, out, weight=np.full((4, 9), 0.5), plasticity=S.PairSTDP())
    with pytest.raises(ValueError, match="reward"):
        net.run(10, reward=np.ones(10))  # no reward-modulated connection
    with pytest.raises(ValueError, match="clock"):
        net.run(10, mode="event")
    net2 = Network(dt=DT)
    s = net2.add_source(3)
    o = net2.add(LIF(tau_mem=10e-3, dtype=F64), n=2)
    net2.connect(s, o, weight=np.full((2, 3), 0.5), plasticity=S.RewardModulatedSTDP())
    with pytest.raises(ValueError, match="reward"):
        net2.run(10, reward=np.ones(9))
    with pytest.raises(ValueError, match="reward"):
        net2.run(10, batch=2, reward=np.ones((10, 3)))


# -- kernel == reference on random plastic networks --------------------------------------------
@st.composite
def plastic_networks(draw):
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    net = Network(dt=DT, seed=seed)
    src = net.add_source(draw(st.integers(1, 7)), name="src")
    pops = []
    for k in range(draw(st.integers(1, 2))):
        model = draw(st.sampled_from(["lif", "cuba"]))
        m = (LIF(tau_mem=10e-3, v_th=0.15, t_ref=2e-3, dtype=F64) if model == "lif" else
             CurrentLIF(tau_mem=10e-3, tau_syn=3e-3, v_th=0.1, dtype=F64))
        pops.append(net.add(m, n=draw(st.integers(1, 6)), name="p%d" % k))
    for post in pops:
        for pre in [src] + pops:
            kind = draw(st.sampled_from(["none", "dense", "csr", "csr_delays", "static"]))
            rule = None if kind in ("none", "static") else RULES[draw(st.sampled_from(sorted(RULES)))]()
            lo, hi = 0.2, 0.9  # within the rules' bounds [0, 1]
            if kind == "dense":
                net.connect(pre, post, weight=rng.uniform(lo, hi, (post.n, pre.n)),
                            delay=draw(st.sampled_from([0, 1, 3])) * DT, plasticity=rule)
            elif kind == "csr":
                net.connect(pre, post, weight=lambda r, m: r.uniform(0.2, 0.9, m),
                            p=draw(st.floats(0.2, 1.0)), delay=draw(st.sampled_from([0, 2])) * DT,
                            plasticity=rule)
            elif kind in ("csr_delays", "static"):
                m = draw(st.integers(0, 14))
                net.connect(pre, post, weight=rng.uniform(lo, hi, m),
                            pairs=(rng.integers(0, pre.n, m), rng.integers(0, post.n, m)),
                            delay=rng.integers(0, 4, m) * DT, plasticity=rule)
    net.record_spikes(src, *pops)
    T = draw(st.integers(1, 40))
    batch = draw(st.integers(1, 2))
    inputs = {src: rng.random((T, batch, src.n)) < 0.4}
    reward = rng.normal(0, 1, (T, batch))
    return net, T, batch, inputs, reward


@settings(max_examples=25, deadline=None)
@given(case=plastic_networks())
def test_plastic_network_run_matches_reference(case):
    net, T, batch, inputs, reward = case
    net.run(0, batch=batch)
    state = net._state
    run = state.prepare(net, T, net._check_inputs(inputs, T), np.ascontiguousarray(reward))
    args = state.kernel_args(0, 0, T, run)
    args_ref = copy.deepcopy(args)
    assert K.network_run(*args) == R.network_run(*args_ref)
    names = ("fstate", "istate", "ring", "csr_weights", "dense_w", "counts", "list_i",
             "pl_trace", "pl_theta", "pl_hist_idx", "pl_hist_cnt")
    params = list(inspect.signature(K.network_run.py_func).parameters)
    for name in names:
        pos = params.index(name)
        if args[pos].dtype.kind == "f":
            np.testing.assert_allclose(args[pos], args_ref[pos], rtol=1e-9, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(args[pos], args_ref[pos], err_msg=name)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), rule_name=st.sampled_from(sorted(RULES)),
       kind=st.sampled_from(["dense", "csr", "csr_delays"]), delay=st.integers(0, 3),
       batch=st.integers(1, 2))
def test_random_plastic_runs_equal_plastic_synapses(seed, rule_name, kind, delay, batch):
    rule = RULES[rule_name]()
    net, src, out, conn = _build(rule, kind, delay, seed, batch=batch,
                                 n_pre=int(seed % 7) + 2, n_post=int(seed % 5) + 1)
    initial = _snapshot(conn)
    rng = np.random.default_rng(seed)
    T = 60
    raster = rng.random((T, batch, src.n)) < 0.3
    reward = rng.normal(0, 1, (T, batch)) if rule_name == "reward" else None
    res = net.run(T, inputs={src: raster}, reward=reward)
    expected = _expected(rule, conn, initial, res.raster(src), res.raster(out), reward, batch)
    np.testing.assert_array_equal(conn.weights_t if conn.kind == "dense" else conn.weights, expected)


@pytest.mark.parametrize("rule_name", sorted(RULES))
def test_plastic_connection_without_synapses_runs(rule_name):
    """A plastic CSR connection that drew no synapse (p small, few neurons) runs like any other;
    a reward-modulated one used to fail in the compiled loop (its eligibility trace had no room
    for the placeholder view: "total size of new array must be unchanged")."""
    net = Network(dt=DT, seed=0)
    src = net.add_source(3)
    out = net.add(_lif(), n=1)
    conn = net.connect(src, out, pairs=([], []), weight=0.5, plasticity=RULES[rule_name]())
    other = net.connect(src, out, weight=0.9, pairs=([0, 1, 2], [0, 0, 0]))
    assert conn.weights.size == 0 and other.weights.size == 3
    net.record_spikes(out)
    raster = np.random.default_rng(0).random((40, 2, 3)) < 0.5
    reward = np.ones((40, 2)) if rule_name == "reward" else None
    res = net.run(40, inputs={src: raster}, reward=reward)
    assert res.raster(out).sum() > 0


# -- Brian2 (skipped when it is not installed: the ``brian2`` extra) -------------------------------
def test_delayed_pair_stdp_matches_brian2():
    """The engine's weights == Brian2's ``Synapses`` with the pair rule (Song et al., 2000, as in
    Brian2's STDP example) driven by the spikes the engine recorded, per-synapse delays 0-3 steps
    on the presynaptic pathway (Brian2 delays all of ``on_pre``: the arrival time counts)."""
    b2 = pytest.importorskip("brian2")
    a_plus, a_minus, tau = 0.01, 0.0105, 20e-3
    rule = S.PairSTDP(a_plus=a_plus, a_minus=a_minus, tau_plus=tau, tau_minus=tau)
    net, src, out, conn = _build(rule, "csr_delays", 3, seed=41)
    pre_i, post_i, w0, d0 = conn.synapses()
    T = 1500
    raster = np.random.default_rng(42).random((T, 1, src.n)) < 0.06
    res = net.run(T, inputs={src: raster})
    _, _, w_sc, _ = conn.synapses()
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = DT * b2.second
    ps, pi = res.spikes(src).step, res.spikes(src).neuron
    qs, qi = res.spikes(out).step, res.spikes(out).neuron
    g_pre = b2.SpikeGeneratorGroup(src.n, pi, ps * DT * b2.second)
    g_post = b2.SpikeGeneratorGroup(out.n, qi, qs * DT * b2.second)
    syn = b2.Synapses(g_pre, g_post,
                      model="""w : 1
                               dapre/dt = -apre / taupre : 1 (event-driven)
                               dapost/dt = -apost / taupost : 1 (event-driven)""",
                      on_pre="apre += Apre; w = clip(w + apost, 0, wmax)",
                      on_post="apost += Apost; w = clip(w + apre, 0, wmax)",
                      namespace=dict(taupre=tau * b2.second, taupost=tau * b2.second, Apre=a_plus,
                                     Apost=-a_minus, wmax=1.0))
    syn.connect(i=pre_i, j=post_i)
    syn.w = w0
    syn.pre.delay = d0 * DT * b2.second
    b2.run(T * DT * b2.second)
    np.testing.assert_allclose(w_sc, np.asarray(syn.w[:]), rtol=1e-9, atol=1e-12)
    assert np.abs(w_sc - w0).max() > 0.01
