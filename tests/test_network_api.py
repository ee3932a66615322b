"""The structural API: building, inputs, monitors, connectivity rules, and build-time errors."""
import numpy as np
import pytest

from spikecore.network import Conv2D, Network, Pool2D
from spikecore.network.connectivity import fixed_in_degree, fixed_probability
from spikecore.neurons import IF, LIF, CurrentLIF

F64 = np.float64


def test_readme_example_runs():
    net = Network(dt=1e-3, seed=0)
    inp = net.add_source(100, name="input")
    out = net.add(LIF(tau_mem=20e-3, v_th=1.0, dtype=F64), n=10, name="out")
    net.connect(inp, out, weight=20.0, p=0.2)
    net.record_spikes(out)
    net.record_voltage(out, [0, 1])
    raster = np.random.default_rng(0).random((200, 1, 100)) < 0.05
    res = net.run(200, inputs={inp: raster})
    s = res.spikes(out)
    assert len(s) > 0 and s.neuron.max() < 10
    assert res.voltage(out)[0].shape == (200, 1, 2)
    assert res.raster(out).sum() == len(s) == res.counts[:, out.index].sum()


def test_spike_list_inputs_equal_raster_inputs():
    def run(value, batch=None):
        net = Network(dt=1e-3, seed=3)
        src = net.add_source(20)
        pop = net.add(IF(tau_mem=1e-3, v_th=1.5, dtype=F64), n=5)
        net.connect(src, pop, weight=1.0, in_degree=4)
        net.record_spikes(pop)
        return net.run(50, inputs={src: value}, batch=batch).raster(pop)

    rng = np.random.default_rng(1)
    raster = rng.random((50, 2, 20)) < 0.2
    lists = []
    for b in range(2):
        t, i = np.nonzero(raster[:, b])
        lists.append((t * 1e-3 + 2e-4, i))  # float seconds, floored to steps
    np.testing.assert_array_equal(run(raster), run(lists))
    t, i = np.nonzero(raster[:, 0])
    one = run((t, i), batch=2)  # one integer-step list for every batch element
    np.testing.assert_array_equal(one[:, 0], one[:, 1])
    np.testing.assert_array_equal(one[:, 0], run(raster)[:, 0])


def test_connection_rules_and_synapse_export():
    net = Network(dt=1e-3, seed=5)
    a = net.add(LIF(dtype=F64), n=30, name="a")
    b = net.add(CurrentLIF(tau_syn=(5e-3, 10e-3), dtype=F64), n=20, name="b")
    c1 = net.connect(a, b, weight=0.5, p=0.3, target="inh")
    c2 = net.connect(a, b, weight=lambda r, k: r.normal(size=k), in_degree=7)
    c3 = net.connect(a, a, weight=1.0, one_to_one=True, delay=3e-3)
    W = np.random.default_rng(0).normal(size=(20, 30))
    c4 = net.connect(a, b, weight=W)
    assert c1.target == 1 and c2.target == 0
    np.testing.assert_array_equal(np.count_nonzero(c2.to_dense(), axis=1), np.full(20, 7))
    np.testing.assert_array_equal(c3.to_dense(), np.eye(30))
    assert c3.max_delay == 3
    np.testing.assert_allclose(c4.to_dense(), W)
    pre, post, w, d = c1.synapses()
    assert np.all(w == 0.5) and pre.size == c1.n_synapses
    assert abs(pre.size / 600 - 0.3) < 0.1


def test_conv_and_pool_connections_match_dense_equivalent():
    """A conv/pool connection gives the same spikes as its dense weight matrix."""
    rng = np.random.default_rng(2)
    kernel = rng.normal(size=(3, 2, 3, 3))

    def build(dense):
        net = Network(dt=1e-3, seed=0)
        src = net.add_source(shape=(2, 6, 6))
        conv = net.add(IF(tau_mem=1e-3, v_th=0.8, dtype=F64), shape=(3, 6, 6))
        pool = net.add(IF(tau_mem=1e-3, v_th=0.3, dtype=F64), shape=(3, 3, 3))
        c = net.connect(src, conv, conv=Conv2D(kernel, padding=1))
        q = net.connect(conv, pool, pool=Pool2D(2, mode="average"))
        if dense:
            Wc, Wq = c.to_dense(), q.to_dense()
            net.connections.clear()
            net.connect(src, conv, weight=Wc)
            net.connect(conv, pool, weight=Wq)
        net.record_spikes(conv, pool)
        return net, conv, pool

    raster = rng.random((40, 1, 72)) < 0.3
    out = []
    for dense in (False, True):
        net, conv, pool = build(dense)
        res = net.run(40, inputs={net.populations[0]: raster})
        out.append((res.raster(conv), res.raster(pool)))
    assert out[0][0].sum() > 0 and out[0][1].sum() > 0
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


def test_random_connectivity_statistics():
    rng = np.random.default_rng(0)
    pre, post = fixed_probability(500, 400, 0.05, rng)
    assert abs(pre.size - 10000) < 5 * np.sqrt(10000)
    assert np.unique(pre * 400 + post).size == pre.size  # no duplicate pair
    pre, post = fixed_in_degree(50, 60, 49, rng, autapses=False)
    assert not np.any(pre == post)
    np.testing.assert_array_equal(np.bincount(post), np.full(60, 49))


@pytest.mark.parametrize("build, message", [
    (lambda net, a, b: net.connect(a, b, weight=np.ones((3, 3))), r"weight = .*shape \(4, 3\)"),
    (lambda net, a, b: net.connect(a, b, weight=1.0, p=1.5), r"p = 1.5"),
    (lambda net, a, b: net.connect(a, b, weight=1.0, p=0.1, in_degree=2), r"at most one of .*a->b"),
    (lambda net, a, b: net.connect(a, b, weight=1.0, one_to_one=True), r"equal size.*'a' \(3\)"),
    (lambda net, a, b: net.connect(a, b, weight=1.0, pairs=([0, 5], [0, 0])),
     r"pairs\[0\].*population 'a'"),
    (lambda net, a, b: net.connect(a, b, weight=1.0, p=0.5, target=2), r"target = 2"),
    (lambda net, a, b: net.connect(a, b, weight=1.0, p=0.5, delay=-1e-3), r"delay = -0.001"),
    (lambda net, a, b: net.connect(a, b, weight=1.0, p=0.5, delay=5e-3, max_delay=2e-3),
     r"max_delay.*a->b"),
    (lambda net, a, b: net.connect(a, b, conv=Conv2D(np.ones((1, 1, 2, 2)))), r"in_shape.*'a'"),
    (lambda net, a, b: net.connect(a, "nope", weight=1.0, p=0.5), r"post = 'nope'"),
    (lambda net, a, b: net.connect(a, b, weight=[1.0, np.nan], pairs=([0, 1], [0, 1])), r"weight"),
    (lambda net, a, b: net.add(LIF(dtype=np.float32), n=2, name="c"), r"dtype float64.*'c'"),
    (lambda net, a, b: net.add(LIF(dtype=F64), n=2, name="a"), r"name = 'a'"),
    (lambda net, a, b: net.add("LIF", n=2), r"model = 'LIF'"),
    (lambda net, a, b: net.add(LIF(dtype=F64), n=2, initial={"w": 1.0}), r"initial = 'w'"),
    (lambda net, a, b: net.record_voltage(b, [4]), r"neurons = \[4\].*population 'b'"),
    (lambda net, a, b: net.run(10, inputs={b: np.ones((10, 1, 3))}), r"inputs\['b'\].*n=4"),
    (lambda net, a, b: net.run(10, inputs={b: np.ones((9, 1, 4))}), r"n_steps=10"),
    (lambda net, a, b: net.run(10, inputs={a: np.ones((10, 2, 3)), b: np.ones((10, 3, 4))}),
     r"batch 2"),
])
def test_errors_name_the_population_or_connection(build, message):
    net = Network(dt=1e-3)
    a = net.add(LIF(dtype=F64), n=3, name="a")
    b = net.add(LIF(dtype=F64), n=4, name="b")
    with pytest.raises((ValueError, TypeError, KeyError), match=message):
        build(net, a, b)


def test_source_input_errors():
    net = Network(dt=1e-3)
    src = net.add_source(3, name="src")
    pop = net.add(LIF(dtype=F64), n=2)
    net.connect(src, pop, weight=1.0, p=1.0)
    with pytest.raises(ValueError, match=r"inputs\['src'\] units.*\[0, 3\)"):
        net.run(10, inputs={src: ([1, 2], [0, 3])})
    with pytest.raises(ValueError, match=r"inputs\['src'\] times.*\[0, 10\)"):
        net.run(10, inputs={src: ([1, 12], [0, 1])})
    with pytest.raises(TypeError, match=r"post = 'src'"):
        net.connect(pop, src, weight=1.0, p=1.0)


def test_population_slices_equal_separate_populations():
    """Connecting slices of one population == the same synapses between separate populations."""
    rng = np.random.default_rng(4)
    v0 = rng.uniform(0, 1, 30)
    model = LIF(tau_mem=10e-3, t_ref=2e-3, dtype=F64)
    current = rng.uniform(0, 3, (200, 1, 30))

    one = Network(dt=1e-3, seed=9)
    P = one.add(model, n=30, initial={"v": v0})
    ce = one.connect(P[:20], P, weight=0.8, p=0.3, delay=1e-3)
    ci = one.connect(P[20:], P[5:25], weight=-1.5, in_degree=4)
    cd = one.connect(P[:10], P[25:], weight=rng.normal(size=(5, 10)))
    one.record_spikes(P)
    r_one = one.run(200, inputs={P: current}).raster(P)

    two = Network(dt=1e-3)
    Q = two.add(model, n=30, initial={"v": v0})
    for conn in (ce, ci, cd):
        pre, post, w, d = conn.synapses()
        two.connect(Q, Q, weight=w, pairs=(pre, post), delay=d * 1e-3)
    two.record_spikes(Q)
    r_two = two.run(200, inputs={Q: current}).raster(Q)
    pre, post, _, _ = ci.synapses()
    assert pre.min() >= 20 and 5 <= post.min() and post.max() < 25
    assert np.all(np.bincount(post - 5, minlength=20) == 4)
    assert r_one.sum() > 0
    np.testing.assert_array_equal(r_one, r_two)
    with pytest.raises(TypeError, match="contiguous slice"):
        P[::2]
    with pytest.raises(ValueError, match="whole populations"):
        one.connect(P[:4], P, conv=Conv2D(np.ones((1, 1, 1, 1)), in_shape=(1, 2, 2)))
