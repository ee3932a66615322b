"""Export of converted networks: SpikingModel -> GraphNetwork -> NIR -> GraphNetwork runs to the same
predictions; -> Lava netx file that read_netx loads (Loihi fixed point, accuracy reported)."""
import inspect

import numpy as np
import pytest

from spikecore.conversion import convert, mlp, small_cnn
from spikecore.conversion.export import graph_inputs, to_graph
from spikecore.datasets import load_digits


def _split(seed=0):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx[:1300]], y[idx[:1300]], X[idx[1300:]], y[idx[1300:]]


@pytest.fixture(scope="module")
def trained_mlp():
    Xtr, ytr, Xte, yte = _split(0)
    net = mlp((64, 128, 64, 10), random_state=0).fit(Xtr, ytr, epochs=12, batch_size=32, random_state=0)
    return net, Xtr, ytr, Xte, yte


def _from_nir(nir_mod, graph):
    """NIR -> GraphNetwork (``from_nir`` returns an engine Network by default since the engine
    import landed; the GraphNetwork keeps NIR's same-step edges, the converted network's timing)."""
    kw = {"as_graph": True} if "as_graph" in inspect.signature(nir_mod.from_nir).parameters else {}
    return nir_mod.from_nir(graph, **kw)


def _graph_run(graph, inputs):
    out = graph.run(inputs)
    return out[graph.outputs[0]]


@pytest.mark.parametrize("method,kw", [("data", {"input_coding": "analog"}), ("data", {}), ("percentile", {}),
                                       ("shift", {}), ("qcfs", {})])
def test_nir_round_trip_reproduces_the_spiking_model(trained_mlp, method, kw):
    nir_mod = pytest.importorskip("spikecore.interop.nir")
    pytest.importorskip("nir")
    net, Xtr, ytr, Xte, yte = trained_mlp
    X, T = Xte[:120], 32
    snn = convert(net, Xtr[:300], method=method, **kw)
    ref = snn.run(X, T, random_state=3)
    graph = _from_nir(nir_mod, nir_mod.to_nir(to_graph(snn, T)))
    pot = _graph_run(graph, graph_inputs(snn, X, T, random_state=3))[-1]
    # float64 graph vs float32 network: same spikes here, potentials to float32 rounding
    np.testing.assert_array_equal(pot.argmax(1), ref.argmax(1))
    np.testing.assert_allclose(pot, ref, rtol=1e-4, atol=1e-3)


def test_cnn_with_average_pooling_exports(trained_mlp):
    nir_mod = pytest.importorskip("spikecore.interop.nir")
    pytest.importorskip("nir")
    Xtr, ytr, Xte, yte = _split(1)
    Xtr, Xte = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
    net = small_cnn((1, 8, 8), channels=(4, 8), random_state=1).fit(
        Xtr, ytr, epochs=2, batch_size=32, learning_rate=3e-3, random_state=1)
    snn = convert(net, Xtr[:200], method="percentile")
    X, T = Xte[:40], 16
    graph = to_graph(snn)
    kinds = [n.kind for n in graph.nodes.values()]
    assert kinds.count("SumPool2d") == 2 and kinds.count("Conv2d") == 2 and "Flatten" in kinds
    graph = _from_nir(nir_mod, nir_mod.to_nir(graph))
    pot = _graph_run(graph, graph_inputs(snn, X, T))[-1]
    np.testing.assert_array_equal(pot.argmax(1), snn.run(X, T).argmax(1))


def test_loihi_export_loads_and_classifies(trained_mlp, tmp_path):
    lava = pytest.importorskip("spikecore.interop.lava")
    net, Xtr, ytr, Xte, yte = trained_mlp
    T = 128
    snn = convert(net, Xtr[:300], method="data")  # hard reset, Poisson input: what Loihi runs
    acc_snn = snn.score(Xte, yte, T, random_state=1)
    path = tmp_path / "digits.net"
    lava.write_netx(to_graph(snn, output="spiking"), path)
    kw = {"emulator": True} if "emulator" in inspect.signature(lava.read_netx).parameters else {}
    loihi = lava.read_netx(path, **kw)
    assert len(loihi.neuron_layers) == 3
    raster = graph_inputs(snn, Xte, T, random_state=1)
    raster = np.concatenate([raster, np.zeros((3,) + raster.shape[1:])]).astype(np.uint8)  # + one step per layer
    res = loihi.run(raster, record=True)
    counts = res["spikes"][-1].astype(np.int64).sum(0).reshape(len(Xte), -1)
    v_end = res["v"][-1][-1].reshape(len(Xte), -1)
    pred = (counts * 2 ** 30 + v_end).argmax(1)  # most output spikes, ties by the potential
    acc_loihi = float(np.mean(pred == yte))
    # 8-bit weights: not equal, but close (measured 98.8 % vs 99.0 % with seed 0)
    assert acc_loihi >= acc_snn - 0.03


def test_refused_methods_name_the_reason(trained_mlp):
    net, Xtr = trained_mlp[0], trained_mlp[1][:50]
    for method, word in (("tsc", "switch"), ("ttfs", "once")):
        with pytest.raises(ValueError, match=word):
            to_graph(convert(net, Xtr, method=method))
    with pytest.raises(ValueError, match="timesteps"):
        to_graph(convert(net, Xtr, method="shift"))
    mx = small_cnn((1, 8, 8), channels=(2, 2), pool="max", batch_norm=False, random_state=0)
    with pytest.raises(ValueError, match="max-pooling"):
        to_graph(convert(mx, Xtr.reshape(-1, 1, 8, 8), method="percentile"))
    with pytest.raises(ValueError, match="Poisson"):
        convert(net, Xtr, method="percentile").encode(Xtr, 4)


def test_encode_is_the_raster_run_uses(trained_mlp):
    net, Xtr, ytr, Xte, yte = trained_mlp
    snn = convert(net, Xtr[:100], method="data")
    a = snn.encode(Xte[:300], 20, batch_size=128, random_state=5)
    b = snn.encode(Xte[:300], 20, batch_size=128, random_state=5)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (20, 300, 64) and a.dtype == np.uint8
    rate = a.mean(0)
    assert np.abs(rate - Xte[:300] / snn.x_max).mean() < 0.1
