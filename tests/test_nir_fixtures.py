"""NIR files written by Norse, Rockpool, Sinabs, Spyx and the NIR paper, with reference traces."""
import warnings

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from spikecore.interop.nir import from_nir, to_nir  # noqa: E402

NIR_FILES = ["NIR_paper_01_lif/lif_norse.nir", "NIR_paper_01_lif/lif_rockpool.nir", "NIR_two_lif_neurons.nir",
             "NIR_cnn_sinabs.nir", "NIR_braille_noDelay_bias_zero.nir", "spyx_shd.nir"]


def test_lif_norse_spikes_like_the_other_simulators(fixtures_dir):
    folder = fixtures_dir / "nir" / "NIR_paper_01_lif"
    net = from_nir(folder / "lif_norse.nir", dt=1e-4, as_graph=True)
    exact = np.loadtxt(folder / "lif_exact.csv", delimiter=",")
    res = net.run(exact[:, 0][:, None, None], record=["1"])
    spikes = np.nonzero(res["output"][:, 0, 0])[0]
    assert list(spikes) == [460, 510, 710, 760]
    for other in ("norse", "snntorch", "nengo", "spinnaker2"):
        ref = np.loadtxt(folder / ("lif_%s.csv" % other), delimiter=",")
        assert list(np.nonzero(ref[:, 2])[0]) == [460, 510, 710, 760]
    # Lava's fixed point spikes one step later: its Dense synapse delivers the input one step late
    lava = np.loadtxt(folder / "lif_lava_cpu_fixed.csv", delimiter=",")
    assert list(np.nonzero(lava[:, 2])[0]) == [461, 511, 711, 761]
    v = res["1.v"][:, 0, 0]
    # same exact-exponential voltage as the event-driven reference until the first spike ...
    np.testing.assert_allclose(v[:460], exact[:460, 1], atol=1e-6)
    # ... after it the reference resets at the crossing time inside the step (we at the step end)
    assert np.abs(v - exact[:, 1]).max() < 0.0065


@pytest.mark.parametrize("name", NIR_FILES)
def test_every_fixture_loads_runs_and_exports(fixtures_dir, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = from_nir(fixtures_dir / "nir" / name, dt=1e-3, as_graph=True)
    shape = net.nodes[net.inputs[0]].shape
    x = np.zeros((4, 2) + tuple(shape))
    x[::2] = 1
    out = net.run(x)
    assert all(v.shape[:2] == (4, 2) for v in out.values())
    graph = to_nir(net)  # NIR's type check passes on the export
    assert set(graph.nodes) == set(net.nodes)


def test_real_world_defects_are_repaired_with_warnings(fixtures_dir):
    with pytest.warns(UserWarning) as caught:
        net = from_nir(fixtures_dir / "nir" / "spyx_shd.nir", dt=1e-3, as_graph=True)
    text = " ".join(str(w.message) for w in caught)
    assert "type check failed" in text and "transposing" in text and "square" in text
    assert net.nodes["linear"].params["weight"].shape == (64, 128)
    assert net.nodes["linear_2"].params["weight"].shape == (20, 64)
    with pytest.warns(UserWarning, match="type check"):
        rock = from_nir(fixtures_dir / "nir" / "NIR_paper_01_lif" / "lif_rockpool.nir", dt=1e-4, as_graph=True)
    assert float(rock.nodes["1_LIFNeuronTorch"].params["r"][0]) == pytest.approx(24.019737)


def test_sinabs_cnn_shapes(fixtures_dir):
    net = from_nir(fixtures_dir / "nir" / "NIR_cnn_sinabs.nir", dt=1e-3, as_graph=True)
    shapes = net.infer_shapes()
    assert shapes["0"] == (16, 16, 16) and shapes["4"] == (16, 8, 8) and shapes["8"] == (128,)
    assert shapes["output"] == (10,)


def test_recurrent_braille_graph_uses_previous_step_on_the_cycle(fixtures_dir):
    net = from_nir(fixtures_dir / "nir" / "NIR_braille_noDelay_bias_zero.nir", dt=1e-4, as_graph=True)
    order, back = net.order()
    assert len(back) == 1 and back <= {("lif1.w_rec", "lif1.lif"), ("lif1.lif", "lif1.w_rec")}


def test_lif_norse_exported_to_loihi_spikes_when_lava_does(fixtures_dir, tmp_path):
    from spikecore.interop.lava import read_netx, write_netx
    folder = fixtures_dir / "nir" / "NIR_paper_01_lif"
    net = from_nir(folder / "lif_norse.nir", dt=1e-4, as_graph=True)
    loihi = read_netx(write_netx(net, tmp_path / "lif.net"), emulator=True)
    x = np.loadtxt(folder / "lif_exact.csv", delimiter=",")[:, :1]
    spikes = np.nonzero(loihi.run(inputs=x)["spikes"][-1][:, 0])[0]
    lava = np.loadtxt(folder / "lif_lava_cpu_fixed.csv", delimiter=",")
    # our 8-bit/12-bit conversion and emulator land on the steps Lava's fixed point reported
    assert list(spikes) == list(np.nonzero(lava[:, 2])[0]) == [461, 511, 711, 761]


@pytest.mark.parametrize("simulator, method", [("exact", "exact"), ("nengo", "exact"), ("norse", "euler"),
                                               ("snntorch", "euler"), ("spinnaker2", "euler"), ("spyx", "euler")])
def test_each_simulator_trace_is_one_of_the_two_discretisations(fixtures_dir, simulator, method):
    # The NIR paper's LIF run by each simulator: the voltage before the first spike is ours, up to
    # the simulator's voltage unit (snnTorch and SpiNNaker2 scale it by tau/dt = 25, Nengo by
    # 1/v_th = 10), with exact exponentials (the reference, Nengo) or forward Euler (Norse,
    # snnTorch, SpiNNaker2, Spyx) -- and not with the other scheme
    folder = fixtures_dir / "nir" / "NIR_paper_01_lif"
    x = np.loadtxt(folder / "lif_exact.csv", delimiter=",")[:, :1, None]
    ref = np.loadtxt(folder / ("lif_%s.csv" % simulator), delimiter=",")[:460, 1]
    dev = {}
    for m in ("exact", "euler"):
        v = from_nir(folder / "lif_norse.nir", dt=1e-4, as_graph=True, method=m).run(x, record=["1"])["1.v"][:460, 0, 0]
        scale = np.dot(v, ref) / np.dot(v, v)
        dev[m] = np.abs(scale * v - ref).max() / ref.max()
    assert dev[method] < 1e-5 and dev[{"exact": "euler", "euler": "exact"}[method]] > 1e-3
