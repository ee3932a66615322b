"""NIR graphs on the engine: from_nir returns a spikecore.network.Network; to_nir takes one back."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

nir = pytest.importorskip("nir")

from spikecore.interop.graph import GraphNetwork  # noqa: E402
from spikecore.interop.nir import from_nir, to_nir, write_nir  # noqa: E402
from spikecore.interop.nir_engine import NotRepresentable  # noqa: E402
from spikecore.network import Network  # noqa: E402
from spikecore.neurons import IF, LIF, CurrentLIF  # noqa: E402


def test_lif_norse_on_the_engine(fixtures_dir):
    folder = fixtures_dir / "nir" / "NIR_paper_01_lif"
    net = from_nir(folder / "lif_norse.nir", dt=1e-4)
    assert isinstance(net, Network) and net.nir["depth"] == {"1": 1}
    exact = np.loadtxt(folder / "lif_exact.csv", delimiter=",")
    x = (exact[:, 0] > 0).astype(np.uint8)[:, None, None]
    net.record_voltage("1", [0])
    res = net.run(1000, {"input": x})
    # one step of synaptic latency, like Lava's fixed point (lif_lava_cpu_fixed.csv) ...
    assert list(np.nonzero(res.raster("1")[:, 0, 0])[0]) == [461, 511, 711, 761]
    graph = from_nir(folder / "lif_norse.nir", dt=1e-4, as_graph=True).run(exact[:, :1, None], record=["1"])
    # the file holds float32
    np.testing.assert_allclose(res.voltage("1")[0][1:, 0, 0], graph["1.v"][:-1, 0, 0], rtol=0, atol=1e-6)
    # ... so the input one step earlier spikes at the steps the NIR paper's simulators report
    net.reset()
    early = net.run(1000, {"input": np.concatenate([x[1:], x[:1] * 0])})
    assert list(np.nonzero(early.raster("1")[:, 0, 0])[0]) == [460, 510, 710, 760]


def test_fixtures_load_on_the_engine_or_say_why(fixtures_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("NIR_paper_01_lif/lif_rockpool.nir", "NIR_two_lif_neurons.nir", "NIR_cnn_sinabs.nir",
                     "NIR_braille_noDelay_bias_zero.nir"):
            assert isinstance(from_nir(fixtures_dir / "nir" / name, dt=1e-4), Network)
        with pytest.raises(NotRepresentable, match="'LIF'.*different values of 'r'.*as_graph=True"):
            from_nir(fixtures_dir / "nir" / "spyx_shd.nir", dt=1e-3)
    sinabs = from_nir(fixtures_dir / "nir" / "NIR_cnn_sinabs.nir", dt=1e-3)
    # conv layers stay convolutions; pool -> conv and pool -> flatten -> affine are multiplied out
    assert [c.kind for c in sinabs.connections] == ["conv2d", "conv2d", "dense", "dense", "dense"]
    with pytest.warns(UserWarning, match="tau_syn"):
        from_nir(fixtures_dir / "nir" / "NIR_braille_noDelay_bias_zero.nir", dt=1e-3)


def _graph_vs_engine(g, x):
    """Output of the graph and of the engine (shifted back by the depth)."""
    e = from_nir(to_nir(g))
    T = x.shape[0]
    out = g.run(x.astype(float))["output"]
    (src,), = e.nir["outputs"].values()
    D = e.nir["depth"][src]
    res = e.run(T + D, {"input": np.concatenate([x, np.zeros((D,) + x.shape[1:], x.dtype)])
                         .reshape(T + D, x.shape[1], -1).astype(np.uint8)})
    if g.nodes[src].kind in ("LI", "I", "CubaLI"):
        got = res.voltage(src)[0][D:]
    else:
        got = res.raster(src)[D:].astype(float)
    return out.reshape(got.shape), got


@st.composite
def engine_graphs(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    g = GraphNetwork(dt=1e-3)
    n = draw(st.integers(1, 6))
    prev = g.add("input", "Input", shape=np.array([n]))
    for i in range(draw(st.integers(1, 3))):
        m = draw(st.integers(1, 6))
        last = draw(st.booleans())
        kind = draw(st.sampled_from(["LI", "I"] if last else ["LIF", "IF"]))
        if draw(st.booleans()):
            syn = g.add("aff%d" % i, "Affine", weight=rng.normal(0, 1, (m, n)), bias=rng.normal(0, 0.1, m))
        else:
            syn = g.add("lin%d" % i, "Linear", weight=rng.normal(0, 1, (m, n)))
        g.connect(prev, syn)
        if draw(st.booleans()):
            d = g.add("d%d" % i, "Delay", delay=rng.integers(0, 3, m) * g.dt)
            g.connect(syn, d)
            syn = d
        p = {"r": np.full(m, rng.uniform(0.5, 2))}
        if kind in ("LI", "LIF"):
            p["tau"] = np.full(m, rng.uniform(2e-3, 2e-2))
            p["v_leak"] = np.zeros(m)
        if kind in ("IF", "LIF"):
            p.update(v_threshold=np.full(m, rng.uniform(0.05, 0.3)), v_reset=np.zeros(m))
        neuron = g.add("n%d" % i, kind, **p)
        g.connect(syn, neuron)
        prev, n = neuron, m
        if last:
            break
    g.connect(prev, g.add("output", "Output"))
    return g


@settings(max_examples=25, deadline=None)
@given(engine_graphs(), st.integers(0, 2**31 - 1))
def test_engine_is_the_graph_delayed_by_its_depth(g, seed):
    n = int(g.nodes["input"].params["shape"][0])
    x = (np.random.default_rng(seed).random((25, 2, n)) < 0.3).astype(np.uint8)
    want, got = _graph_vs_engine(g, x)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@st.composite
def engine_nets(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    net = Network(dt=1e-3)
    n = draw(st.integers(1, 5))
    prev = net.add_source(n, name="in")
    for i in range(draw(st.integers(1, 3))):
        m = draw(st.integers(1, 5))
        kind = draw(st.sampled_from(["LIF", "IF", "CurrentLIF"]))
        v_th = float(rng.uniform(0.1, 1))
        if kind == "LIF":
            model = LIF(tau_mem=float(rng.uniform(2e-3, 2e-2)), v_th=v_th, r_m=float(rng.uniform(0.5, 2)),
                        dtype=np.float64)
        elif kind == "IF":
            model = IF(tau_mem=1.0, v_th=v_th, r_m=float(rng.uniform(0.5, 2)), dtype=np.float64)
        else:
            model = CurrentLIF(tau_mem=1e-2, tau_syn=float(rng.uniform(5e-3, 2e-2)), v_th=v_th, dtype=np.float64)
        pop = net.add(model, n=m, name="p%d" % i, initial={"v": 0.0})
        w = rng.normal(0, 1, (m, n))
        if draw(st.booleans()):
            net.connect(prev, pop, weight=w, delay=np.repeat(rng.integers(0, 3, (m, 1)), n, axis=1) * 1e-3)
        else:
            net.connect(prev, pop, weight=w)
        if kind != "CurrentLIF" and draw(st.booleans()):
            net.connect(pop, pop, weight=rng.normal(0, 0.3, (m, m)))
        prev, n = pop, m
    return net


@pytest.mark.filterwarnings("ignore:NIR node")
@settings(max_examples=25, deadline=None)
@given(engine_nets())
def test_engine_to_nir_to_engine_is_the_identity(tmp_path_factory, net):
    path = tmp_path_factory.mktemp("nir") / "e.nir"
    write_nir(net, path)
    nir.read(str(path))  # NIR's strict type check passes
    back = from_nir(path)
    assert [p.name for p in back.populations] == [p.name for p in net.populations]
    for a, b in zip(net.populations[1:], back.populations[1:]):
        assert type(a.model) is type(b.model)
        for x, y in zip(a.model.step_params(1e-3), b.model.step_params(1e-3)):
            np.testing.assert_allclose(x, y, rtol=1e-14)
    assert len(back.connections) == len(net.connections)
    for c1 in net.connections:
        c2 = next(c for c in back.connections if c.pre.name == c1.pre.name and c.post.name == c1.post.name)
        np.testing.assert_allclose(c2.to_dense(), c1.to_dense(), rtol=1e-13)
        np.testing.assert_array_equal(c2.delay, c1.delay)
        if c1.kind == "csr" and c1.delays.size:
            d1, d2 = np.zeros(c1.to_dense().shape), np.zeros(c1.to_dense().shape)
            for c, d in ((c1, d1), (c2, d2)):
                pre, post, _, dd = c.synapses()
                d[post, pre] = dd
            np.testing.assert_array_equal(d1, d2)


def test_unrepresentable_graphs_name_the_node():
    g = GraphNetwork(1e-3)
    g.add("input", "Input", shape=np.array([2]))
    g.add("fc", "Linear", weight=np.eye(2))
    g.add("li", "LI", tau=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2))
    g.add("fc2", "Linear", weight=np.eye(2))
    g.add("lif", "LIF", tau=np.array([0.01, 0.02]), r=np.ones(2), v_leak=np.zeros(2),
          v_threshold=np.ones(2), v_reset=np.zeros(2))
    g.add("output", "Output")
    for a, b in (("input", "fc"), ("fc", "li"), ("li", "fc2"), ("fc2", "lif"), ("lif", "output")):
        g.connect(a, b)
    with pytest.raises(NotRepresentable, match="'li'.*non-spiking|'lif'.*different values of 'tau'"):
        from_nir(to_nir(g))
