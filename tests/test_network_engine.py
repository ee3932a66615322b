"""The fused network loop == its plain-NumPy reference, on generated networks of every supported
model and connection kind; plus the simulator's schedule checked against the neuron models."""
import copy
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikecore.kernels import network as K
from spikecore.network import Conv2D, Network, Pool2D
from spikecore.network.examples import cuba
from spikecore.neurons import IF, LIF, SRM0, AdaptiveLIF, CurrentLIF, Izhikevich
from spikecore.reference import network as R

F64 = np.float64


def _model(kind):
    if kind == "lif":
        return LIF(tau_mem=10e-3, v_th=1.0, t_ref=2e-3, dtype=F64), 3.0
    if kind == "if":
        return IF(tau_mem=10e-3, v_th=1.0, reset="soft", dtype=F64), 3.0
    if kind == "cuba":
        return CurrentLIF(tau_mem=10e-3, tau_syn=(3e-3, 6e-3), v_th=1.0, t_ref=1e-3, dtype=F64), 1.0
    if kind == "adaptive":
        return AdaptiveLIF(tau_mem=10e-3, v_th=1.0, dtype=F64), 3.0
    return Izhikevich(dtype=F64), 30.0


@st.composite
def networks(draw):
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    net = Network(dt=1e-3, seed=seed)
    n_in = draw(st.integers(1, 8))
    src = net.add_source(shape=(1, 2, n_in), name="src")
    kinds = draw(st.lists(st.sampled_from(["lif", "if", "cuba", "adaptive", "izh"]), min_size=1, max_size=3))
    pops, scales = [], []
    for k, kind in enumerate(kinds):
        model, scale = _model(kind)
        pops.append(net.add(model, shape=(1, 2, draw(st.integers(1, 6))), name="p%d_%s" % (k, kind)))
        scales.append(scale)
    for k, post in enumerate(pops):
        scale = scales[k]
        for pre in [src] + pops:
            rule = draw(st.sampled_from(["none", "p", "in_degree", "pairs", "dense", "one_to_one",
                                         "conv", "pool"]))
            target = draw(st.integers(0, post.n_channels - 1))
            w = lambda r, m: scale * r.uniform(-0.5, 1.5, m)
            if rule == "p":
                net.connect(pre, post, weight=w, p=draw(st.floats(0, 1)), target=target,
                            delay=draw(st.sampled_from([0.0, 1e-3, 3e-3])))
            elif rule == "in_degree":
                net.connect(pre, post, weight=w, in_degree=draw(st.integers(0, pre.n)), target=target)
            elif rule == "pairs":
                m = draw(st.integers(0, 12))
                pairs = (rng.integers(0, pre.n, m), rng.integers(0, post.n, m))
                net.connect(pre, post, weight=w(rng, m), pairs=pairs, target=target,
                            delay=rng.integers(0, 4, m) * 1e-3, max_delay=4e-3)
            elif rule == "dense":
                net.connect(pre, post, weight=w(rng, post.n * pre.n).reshape(post.n, pre.n),
                            target=target, delay=draw(st.sampled_from([0.0, 2e-3])))
            elif rule == "one_to_one" and pre.n == post.n:
                net.connect(pre, post, weight=w, one_to_one=True, target=target)
            elif rule == "conv" and pre.shape[2] >= 2:
                kw = min(2, pre.shape[2])
                out_w = pre.shape[2] - kw + 1
                if post.shape == (1, 1, out_w) or post.n == out_w:
                    net.connect(pre, post, conv=Conv2D(scale * rng.normal(size=(1, 1, 2, kw)),
                                                       in_shape=pre.shape), target=target)
            elif rule == "pool" and post.n == pre.shape[2]:
                net.connect(pre, post, pool=Pool2D((2, 1), mode=draw(st.sampled_from(["sum", "average"]))),
                            target=target)
    for p in [src] + pops:
        net.record_spikes(p)
    net.record_voltage(pops[0], [0])
    T = draw(st.integers(1, 40))
    batch = draw(st.integers(1, 2))
    inputs = {src: rng.random((T, batch, src.n)) < 0.3}
    if draw(st.booleans()):
        inputs[pops[-1]] = scales[-1] * rng.uniform(0, 1.5, (T, batch, pops[-1].n))
    return net, T, batch, inputs


@settings(max_examples=30)
@given(case=networks())
def test_network_run_matches_reference(case):
    net, T, batch, inputs = case
    net.run(0, batch=batch)  # builds the state
    state = net._state
    run = state.prepare(net, T, net._check_inputs(inputs, T))
    args = state.kernel_args(0, 0, T, run)
    args_ref = copy.deepcopy(args)
    r_k = K.network_run(*args)
    r_r = R.network_run(*args_ref)
    assert r_k == r_r
    names = ("fstate", "istate", "ring", "counts", "list_t", "list_b", "list_i", "list_p", "n_list")
    params = list(inspect.signature(K.network_run.py_func).parameters)
    for name in names:
        pos = params.index(name)
        if args[pos].dtype.kind == "f":
            np.testing.assert_allclose(args[pos], args_ref[pos], rtol=1e-9, atol=1e-9, err_msg=name)
        else:
            np.testing.assert_array_equal(args[pos], args_ref[pos], err_msg=name)
    np.testing.assert_allclose(args[-1], args_ref[-1], rtol=1e-9, atol=1e-9)


def test_unconnected_population_equals_model_run():
    """A population driven by a current gives exactly the spikes of the model's own run."""
    rng = np.random.default_rng(3)
    current = rng.uniform(0, 3, (300, 2, 7))
    for model in (LIF(tau_mem=10e-3, t_ref=2e-3, dtype=F64), SRM0(dtype=F64),
                  CurrentLIF(tau_mem=10e-3, tau_syn=4e-3, dtype=F64)):
        net = Network(dt=1e-3)
        pop = net.add(model, n=7)
        net.record_spikes(pop)
        net.record_voltage(pop, np.arange(7))
        res = net.run(300, inputs={pop: current})
        ref = model.run(current, dt=1e-3, record_v=True)
        np.testing.assert_array_equal(res.raster(pop), ref.spikes)
        np.testing.assert_allclose(res.voltage(pop)[0], ref.v, rtol=1e-12, atol=1e-12)


def test_delay_and_schedule():
    """A source spike at step s through a synapse of delay d reaches the update of step s+1+d."""
    net = Network(dt=1e-3)
    src = net.add_source(1)
    pop = net.add(IF(tau_mem=1e-3, v_th=0.5, dtype=F64), n=3)  # beta = dt/tau = 1
    net.connect(src, pop, weight=1.0, pairs=([0, 0, 0], [0, 1, 2]), delay=[0.0, 2e-3, 5e-3])
    net.record_spikes(pop)
    res = net.run(12, inputs={src: ([4], [0])})
    s = res.spikes(pop)
    assert list(zip(s.step.tolist(), s.neuron.tolist())) == [(5, 0), (7, 1), (10, 2)]


def test_continuing_runs_equal_one_run_and_seed_determinism():
    def build(seed):
        net = Network(dt=1e-4, seed=seed)
        m = CurrentLIF(tau_mem=20e-3, tau_syn=(5e-3, 10e-3), v_rest=-49e-3, v_th=-50e-3,
                       v_reset=-60e-3, t_ref=5e-3, dtype=F64)
        pop = net.add(m, n=400, initial={"v": lambda rng, n: rng.uniform(-60e-3, -50e-3, n)})
        net.connect(pop, pop, weight=1.62e-3 * 10, p=0.02, target="exc",
                    delay=lambda r, k: r.uniform(0, 1e-3, k))
        net.record_spikes(pop)
        return net, pop
    net, pop = build(7)
    whole = net.run(600)
    net2, pop2 = build(7)
    a = net2.run(250)
    b = net2.run(350)
    assert len(whole.spikes(pop)) > 50
    np.testing.assert_array_equal(whole.spikes(pop).neuron,
                                  np.concatenate([a.spikes(pop2).neuron, b.spikes(pop2).neuron]))
    np.testing.assert_array_equal(whole.spikes(pop).step,
                                  np.concatenate([a.spikes(pop2).step, b.spikes(pop2).step + 250]))
    net3, pop3 = build(8)
    assert not np.array_equal(net3.run(600).raster(pop3), whole.raster(pop))


def test_spike_list_buffer_growth_and_rates():
    net = Network(dt=1e-3)
    pop = net.add(LIF(tau_mem=5e-3, dtype=F64), n=600)
    net.record_spikes(pop)
    res = net.run(400, inputs={pop: np.full(600, 5.0)})  # every neuron fires often: buffers grow
    s = res.spikes(pop)
    assert len(s) == res.counts.sum() > 2048
    np.testing.assert_allclose(res.mean_rate(pop), len(s) / (600 * 0.4))
    np.testing.assert_array_equal(res.rate(pop)[:, 0] * 600 * 1e-3, res.spike_count(pop)[:, 0])


def _reference_cuba_step(state, current, has_current, params, spikes):
    from spikecore.reference.neurons import cuba_lif_step
    cuba_lif_step(*state, current, *params, spikes)


def _engine_cuba_step(state, current, has_current, params, spikes):
    K._cuba_lif_step_engine(*state, current, has_current, *params, spikes)


@pytest.mark.parametrize("dtype, arithmetic", [(np.float32, np.float64), (np.float64, np.float64),
                                               (np.float32, np.float32)])
@pytest.mark.parametrize("n_syn", [1, 2, 3])
@pytest.mark.parametrize("reset", ["hard", "soft"])
@pytest.mark.parametrize("other", [_reference_cuba_step, _engine_cuba_step], ids=["reference", "engine"])
def test_cuba_step_is_bitwise_identical(dtype, arithmetic, n_syn, reset, other):
    """kernels.neurons.cuba_lif_step (branch-free, vectorised) equals, bit for bit, both its plain
    reference twin and the engine's variant with the has_current shortcut, in float64 and in
    float32 arithmetic."""
    from spikecore.kernels.neurons import cuba_lif_step
    rng = np.random.default_rng(n_syn)
    model = CurrentLIF(tau_mem=20e-3, tau_syn=(5e-3, 10e-3, 7e-3)[:n_syn], v_rest=-49e-3,
                       v_th=-50e-3, v_reset=-60e-3, t_ref=2e-3, reset=reset, dtype=dtype,
                       arithmetic=arithmetic)
    params = model.step_params(1e-4)
    a = model.init_state(2, 300, v=rng.uniform(-60e-3, -50e-3, (2, 300)))
    b = {k: x.copy() for k, x in a.items()}
    for t in range(400):
        has_current = t % 3 != 0
        current = (rng.normal(0, 2e-3, (2, 300)) * has_current).astype(dtype)
        kick = ((rng.random((n_syn, 2, 300)) < 0.05) * rng.normal(0, 4e-3, (n_syn, 2, 300)))
        a["i_syn"] += kick.astype(dtype)
        b["i_syn"] += kick.astype(dtype)
        za, zb = np.zeros((2, 300), np.uint8), np.zeros((2, 300), np.uint8)
        cuba_lif_step(*model.state_arrays(a), current, *params, za)
        other(model.state_arrays(b), current, has_current, params, zb)
        np.testing.assert_array_equal(za, zb)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert za.sum() + np.count_nonzero(a["refrac"]) > 0


@pytest.mark.parametrize("arithmetic", [np.float64, np.float32])
@pytest.mark.parametrize("with_current", [False, True], ids=["fast-path", "general-path"])
def test_float32_cuba_population_equals_model_run(arithmetic, with_current):
    """A float32 CurrentLIF population fed by a one-to-one connection from a source (the engine's
    fast path; with an external current, its general path) gives, bit for bit, the spikes and
    potentials of the model's own run with the same synaptic input one step later."""
    rng = np.random.default_rng(11)
    T, n = 400, 50
    model = CurrentLIF(tau_mem=20e-3, tau_syn=(5e-3, 10e-3), v_rest=-49e-3, v_th=-50e-3,
                       v_reset=-60e-3, t_ref=2e-3, dtype=np.float32, arithmetic=arithmetic)
    net = Network(dt=1e-4)
    src = net.add_source(n)
    pop = net.add(model, n=n, initial={"v": np.linspace(-60e-3, -50e-3, n)})
    w = rng.uniform(0, 3e-3, n)
    net.connect(src, pop, weight=w, one_to_one=True, target=0)
    net.record_spikes(pop)
    net.record_voltage(pop, np.arange(n))
    z = rng.random((T, 1, n)) < 0.05
    current = rng.uniform(-2e-3, 2e-3, (T, 1, n)) if with_current else np.zeros((T, 1, n))
    inputs = {src: z, pop: current} if with_current else {src: z}
    res = net.run(T, inputs=inputs)
    syn = np.zeros((T, 2, 1, n), np.float32)
    syn[1:, 0] = z[:-1] * w.astype(np.float32)  # a spike of step t acts on the update of t + 1
    ref = model.run(current.astype(np.float32), dt=1e-4, record_v=True, syn_input=syn,
                    state=model.init_state(1, n, v=np.linspace(-60e-3, -50e-3, n)))
    np.testing.assert_array_equal(res.raster(pop), ref.spikes)
    np.testing.assert_array_equal(res.voltage(pop)[0], ref.v)
    assert ref.spikes.sum() > 50


def test_float32_arithmetic_cuba_keeps_the_statistics():
    """CUBA (4 000 neurons, 1 s) with float32 arithmetic drifts away from the float64 spike trains
    but keeps the mean rate and the CV of the inter-spike intervals."""
    out = {}
    for dtype, arithmetic in ((np.float64, np.float64), (np.float32, np.float32)):
        net, pop = cuba(4000, seed=3, dtype=dtype, arithmetic=arithmetic)
        res = net.run(10000)
        s = res.spikes(pop)
        out[arithmetic] = (s, res.mean_rate(pop))
    (s64, r64), (s32, r32) = out[np.float64], out[np.float32]
    assert abs(r32 - r64) / r64 < 0.05
    assert not (len(s32) == len(s64) and np.array_equal(s32.neuron, s64.neuron))
    cv = [_mean_cv_isi(s.step, s.neuron) for s in (s64, s32)]
    assert abs(cv[0] - cv[1]) < 0.05 * cv[0]


def _mean_cv_isi(step, neuron):
    # mean over neurons with >= 3 spikes of std(ISI) / mean(ISI)
    order = np.lexsort((step, neuron))
    step, neuron = step[order], neuron[order]
    same = neuron[1:] == neuron[:-1]
    isi, who = np.diff(step)[same].astype(float), neuron[1:][same]
    k = np.bincount(who)
    m1 = np.bincount(who, isi) / np.maximum(k, 1)
    m2 = np.bincount(who, isi * isi) / np.maximum(k, 1)
    ok = k >= 2
    return float(np.mean(np.sqrt(np.maximum(m2[ok] - m1[ok] ** 2, 0)) / m1[ok]))
