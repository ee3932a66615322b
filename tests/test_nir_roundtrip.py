"""spikecore -> NIR -> spikecore is the identity, in memory and through a .nir file.

(Up to one rounding in an I/IF node's ``r``: NIR stores the gain per step, :math:`R\\,\\Delta t`.)"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

nir = pytest.importorskip("nir")

from spikecore.interop.graph import GraphNetwork  # noqa: E402
from spikecore.interop.nir import from_nir, to_nir, write_nir  # noqa: E402

NEURONS = ["I", "IF", "LI", "LIF", "CubaLI", "CubaLIF"]


def _neuron_params(kind, n, rng):
    pos = lambda: rng.uniform(1e-3, 2e-2, n)  # noqa: E731
    p = {"r": rng.uniform(0.5, 2.0, n)}
    if kind in ("LI", "LIF"):
        p.update(tau=pos(), v_leak=rng.normal(0, 0.1, n))
    if kind in ("CubaLI", "CubaLIF"):
        p.update(tau_syn=pos(), tau_mem=pos(), v_leak=rng.normal(0, 0.1, n), w_in=rng.uniform(0.5, 2, n))
    if kind in ("IF", "LIF", "CubaLIF"):
        p.update(v_threshold=rng.uniform(0.05, 0.5, n), v_reset=np.zeros(n))
    return p


@st.composite
def graphs(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    net = GraphNetwork(dt=draw(st.sampled_from([1e-4, 1e-3])))
    n = draw(st.integers(1, 6))
    prev = net.add("input", "Input", shape=np.array([n]))
    for i in range(draw(st.integers(1, 3))):
        m = draw(st.integers(1, 6))
        if draw(st.booleans()):
            prev_new = net.add("aff%d" % i, "Affine", weight=rng.normal(0, 1, (m, n)), bias=rng.normal(0, 0.1, m))
        else:
            prev_new = net.add("lin%d" % i, "Linear", weight=rng.normal(0, 1, (m, n)))
        net.connect(prev, prev_new)
        kind = draw(st.sampled_from(NEURONS))
        neuron = net.add("n%d" % i, kind, **_neuron_params(kind, m, rng))
        net.connect(prev_new, neuron)
        prev, n = neuron, m
        extra = draw(st.sampled_from([None, "Scale", "Delay", "Threshold"]))
        if extra == "Scale":
            node = net.add("x%d" % i, "Scale", scale=rng.uniform(0.5, 2, n))
        elif extra == "Delay":
            node = net.add("x%d" % i, "Delay", delay=rng.integers(0, 4, n) * net.dt)
        elif extra == "Threshold":
            node = net.add("x%d" % i, "Threshold", threshold=rng.uniform(0, 0.2, n))
        if extra:
            net.connect(prev, node)
            prev = node
    out = net.add("output", "Output")
    net.connect(prev, out)
    return net


def _same(a, b):
    assert a.dt == b.dt and set(a.nodes) == set(b.nodes) and sorted(a.edges) == sorted(b.edges)
    for k, node in a.nodes.items():
        other = b.nodes[k]
        assert node.kind == other.kind
        for f, v in node.params.items():
            if node.kind in ("I", "IF") and f == "r":  # written as r * dt, read as r / dt
                np.testing.assert_allclose(np.asarray(v), np.asarray(other.params[f]), rtol=4e-16, atol=0,
                                           err_msg="%s.%s" % (k, f))
            else:
                np.testing.assert_array_equal(np.asarray(v), np.asarray(other.params[f]), err_msg="%s.%s" % (k, f))


@settings(max_examples=30)
@given(graphs(), st.integers(0, 2**31 - 1))
def test_roundtrip_identity(tmp_path_factory, net, seed):
    back = from_nir(to_nir(net), as_graph=True)
    _same(net, back)
    path = tmp_path_factory.mktemp("nir") / "net.nir"
    write_nir(net, path)
    from_file = from_nir(path, as_graph=True)  # dt comes back from the metadata
    _same(net, from_file)
    x = (np.random.default_rng(seed).random((20, 2, net.nodes["input"].shape[0])) < 0.3).astype(float)
    np.testing.assert_allclose(net.run(x)["output"], from_file.run(x)["output"], rtol=1e-12, atol=1e-12)


def test_export_passes_nir_type_check(tmp_path):
    net = GraphNetwork(1e-3)
    net.add("in", "Input", shape=np.array([2, 8, 8]))
    net.add("conv", "Conv2d", weight=np.ones((3, 2, 3, 3)), bias=np.zeros(3), stride=1, padding=1, dilation=1, groups=1)
    net.add("if", "IF", r=np.ones((3, 8, 8)), v_threshold=np.ones((3, 8, 8)), v_reset=np.zeros((3, 8, 8)))
    net.add("pool", "SumPool2d", kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))
    net.add("flat", "Flatten", start_dim=0, end_dim=-1)
    net.add("fc", "Affine", weight=np.ones((4, 48)), bias=np.zeros(4))
    net.add("li", "LI", tau=np.full(4, 0.01), r=np.ones(4), v_leak=np.zeros(4))
    net.add("out", "Output")
    for a, b in [("in", "conv"), ("conv", "if"), ("if", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "li"),
                 ("li", "out")]:
        net.connect(a, b)
    path = tmp_path / "cnn.nir"
    write_nir(net, path)
    graph = nir.read(str(path))  # strict type check on
    assert graph.metadata["dt"] == 1e-3
    back = from_nir(path, as_graph=True)
    x = np.ones((3, 1, 2, 8, 8))
    np.testing.assert_array_equal(net.run(x)["out"], back.run(x)["out"])


def test_nested_graph_is_inlined():
    inner = nir.NIRGraph(nodes={"i": nir.Input(input_type={"input": np.array([2])}),
                                "lif": nir.LIF(tau=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2),
                                               v_threshold=np.full(2, 0.1)),
                                "o": nir.Output(output_type={"output": np.array([2])})},
                         edges=[("i", "lif"), ("lif", "o")])
    outer = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([2])}),
                                "lin": nir.Linear(weight=np.eye(2)), "sub": inner,
                                "output": nir.Output(output_type={"output": np.array([2])})},
                         edges=[("input", "lin"), ("lin", "sub"), ("sub", "output")], metadata={"dt": 1e-3})
    net = from_nir(outer, as_graph=True)
    assert "sub.lif" in net.nodes and ("lin", "sub.lif") in net.edges and ("sub.lif", "output") in net.edges
    out = net.run(np.ones((30, 1, 2)))["output"]
    assert out.sum() > 0
