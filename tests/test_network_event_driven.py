"""Event-driven mode: kernel == reference, and spikes == the clock-driven run on the same grid."""
import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikecore.kernels import event_driven as KE
from spikecore.network import Network
from spikecore.network.event_driven import event_args
from spikecore.neurons import IF, LIF, CurrentLIF
from spikecore.reference import event_driven as RE


@st.composite
def lif_networks(draw):
    """(builder, n_steps, batch, inputs-builder): the same network can be built twice."""
    seed = draw(st.integers(0, 2**31))
    specs = []
    for k in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["lif", "if"]))
        specs.append(dict(kind=kind, n=draw(st.integers(1, 12)),
                          t_ref=draw(st.sampled_from([0.0, 1e-3, 3e-3])),
                          reset=draw(st.sampled_from(["hard", "soft"])),
                          tau=draw(st.sampled_from([2e-3, 5e-3, 20e-3]))))
    conns = []
    for post in range(len(specs)):
        for pre in range(-1, len(specs)):
            rule = draw(st.sampled_from(["none", "p", "pairs", "dense"]))
            conns.append((pre, post, rule, draw(st.sampled_from([0.0, 1e-3, 4e-3]))))
    n_in = draw(st.integers(1, 6))
    T = draw(st.integers(1, 60))
    batch = draw(st.integers(1, 2))
    rate = draw(st.floats(0.02, 0.5))

    def build():
        rng = np.random.default_rng(seed)
        net = Network(dt=1e-3, seed=seed)
        src = net.add_source(n_in, name="src")
        pops = []
        for k, sp in enumerate(specs):
            cls = LIF if sp["kind"] == "lif" else IF
            model = cls(tau_mem=sp["tau"], v_th=1.0, t_ref=sp["t_ref"], reset=sp["reset"],
                        dtype=np.float64)
            pops.append(net.add(model, n=sp["n"], name="p%d" % k,
                                initial={"v": rng.uniform(-0.5, 1.0, sp["n"])}))
        for pre, post, rule, delay in conns:
            a, b = (src if pre < 0 else pops[pre]), pops[post]
            w = lambda r, m: r.uniform(-1.0, 6.0, m)  # beta * w crosses threshold sometimes
            if rule == "p":
                net.connect(a, b, weight=w, p=0.4, delay=lambda r, m: r.integers(0, 4, m) * 1e-3,
                            max_delay=3e-3)
            elif rule == "pairs":
                m = 5
                net.connect(a, b, weight=w(rng, m), pairs=(rng.integers(0, a.n, m),
                                                           rng.integers(0, b.n, m)), delay=delay)
            elif rule == "dense":
                net.connect(a, b, weight=w(rng, a.n * b.n).reshape(b.n, a.n), delay=delay)
        for p in [src] + pops:
            net.record_spikes(p)
        raster = rng.random((T, batch, n_in)) < rate
        return net, src, pops, {src: raster}

    return build, T, batch


def _spikes(res, pops):
    return [tuple(np.asarray(x).tolist() for x in res.spikes(p)[:3]) for p in pops]


@settings(max_examples=40)
@given(case=lif_networks())
def test_event_driven_equals_clock_driven(case):
    build, T, batch = case
    net_c, src_c, pops_c, inp_c = build()
    net_e, src_e, pops_e, inp_e = build()
    half = T // 2
    # clock | clock  versus  event | event, continuing from the same state
    rc1 = net_c.run(half, inputs={src_c: inp_c[src_c][:half]}, batch=batch)
    rc2 = net_c.run(T - half, inputs={src_c: inp_c[src_c][half:]}, batch=batch)
    re1 = net_e.run(half, inputs={src_e: inp_e[src_e][:half]}, batch=batch, mode="event")
    re2 = net_e.run(T - half, inputs={src_e: inp_e[src_e][half:]}, batch=batch, mode="event")
    assert _spikes(rc1, pops_c) == _spikes(re1, pops_e)
    assert _spikes(rc2, pops_c) == _spikes(re2, pops_e)
    np.testing.assert_array_equal(rc2.counts, re2.counts)
    for pc, pe in zip(pops_c, pops_e):
        np.testing.assert_array_equal(net_c.state(pc)["refrac"], net_e.state(pe)["refrac"])
        np.testing.assert_allclose(net_c.state(pc)["v"], net_e.state(pe)["v"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(net_c._state.ring, net_e._state.ring, rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(case=lif_networks())
def test_event_kernel_matches_reference(case):
    build, T, batch = case
    net, src, pops, inputs = build()
    net.run(0, batch=batch)
    args, _ = event_args(net, T, net._check_inputs(inputs, T), batch)
    args_ref = copy.deepcopy(args)
    assert KE.event_driven_run(*args) == RE.event_driven_run(*args_ref)
    for pos in (10, 20, 24, 25):  # v, acc, t_valid, next_active
        np.testing.assert_allclose(args[pos], args_ref[pos], rtol=1e-12, atol=1e-12)
    for pos in (11, 22, 23, 28, 30, 31, 32, 33, 34):  # refrac, n_touched, mark, counts, lists
        np.testing.assert_array_equal(args[pos], args_ref[pos])


def test_event_mode_rejects_what_it_cannot_do():
    net = Network(dt=1e-3)
    pop = net.add(CurrentLIF(dtype=np.float64), n=3, name="cuba")
    with pytest.raises(ValueError, match="population 'cuba' is CurrentLIF"):
        net.run(5, mode="event")
    net = Network(dt=1e-3)
    pop = net.add(LIF(v_rest=2.0, dtype=np.float64), n=3, name="tonic")
    with pytest.raises(ValueError, match="population 'tonic' fires without input"):
        net.run(5, mode="event")
    net = Network(dt=1e-3)
    pop = net.add(LIF(dtype=np.float64), n=3, name="driven")
    with pytest.raises(ValueError, match="spike inputs only"):
        net.run(5, inputs={pop: np.ones(3)}, mode="event")


@pytest.mark.parametrize("t_ref", [0.0, 1e-3, 3e-3])
def test_soft_reset_keeps_firing_without_input(t_ref):
    """After a large input and a soft reset the neuron fires again with no further events
    (wake-up events); the event-driven run must reproduce every one of those spikes."""
    rasters = []
    for mode in ("clock", "event"):
        net = Network(dt=1e-3)
        src = net.add_source(1)
        pop = net.add(IF(tau_mem=1e-3, v_th=1.0, reset="soft", t_ref=t_ref, dtype=np.float64), n=2)
        net.connect(src, pop, weight=[4.5, 2.5], pairs=([0, 0], [0, 1]))
        net.record_spikes(pop)
        rasters.append(net.run(20, inputs={src: ([2], [0])}, mode=mode).raster(pop))
    assert rasters[0][:, 0, 0].sum() == 4 and rasters[0][:, 0, 1].sum() == 2
    np.testing.assert_array_equal(rasters[0], rasters[1])
