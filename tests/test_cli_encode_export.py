"""``encode_to_dataset`` and the ``spikecore encode`` / ``spikecore export`` commands: spikes in
the file equal the encoder's raster; a failure leaves no file; a netx export reads back and
runs as the converted network; a netx file copies through ``export`` unchanged."""
import os

import h5py
import numpy as np
import pytest

from spikecore.cli import main
from spikecore.datasets import SpikeDataset
from spikecore.distributed import encode_array, encode_to_dataset
from spikecore.distributed.encode import raster_to_samples


def _raster_of(path, T):
    """The (T, n, units) raster a spike dataset holds (steps = round(time / dt))."""
    with SpikeDataset(path) as ds:
        dt = ds.encoding_params["dt"]
        out = np.zeros((T, len(ds), ds.n_units), np.uint8)
        for i, s in enumerate(ds):
            steps = np.rint(s.times / dt).astype(int)
            np.add.at(out, (steps, i, s.units), 1)
        return out, ds.labels


def test_raster_to_samples_orders_spikes_by_sample_then_time_then_unit():
    raster = np.zeros((3, 2, 2, 2), np.uint8)
    raster[2, 0, 0, 1] = raster[0, 0, 1, 1] = raster[0, 0, 0, 0] = raster[1, 1, 1, 0] = 1
    times, units, lengths = raster_to_samples(raster, 0.5)
    np.testing.assert_array_equal(lengths, [3, 1])
    np.testing.assert_array_equal(times, [0.0, 0.0, 1.0, 0.5])
    np.testing.assert_array_equal(units, [0, 3, 1, 2])  # C order of (2, 2): (1, 1) -> 3, (0, 1) -> 1, (1, 0) -> 2
    with pytest.raises(ValueError, match="raster"):
        raster_to_samples(np.zeros(4), 1e-3)


@pytest.mark.parametrize("encoder, kwargs", [("poisson", dict(random_state=5, max_rate=300.0)),
                                             ("population", dict(n_fields=3)),
                                             ("latency", dict(method="log", tau=4.0))])
def test_the_file_holds_the_encoders_raster_whatever_the_chunks(tmp_path, encoder, kwargs):
    x = np.random.default_rng(0).random((37, 5))
    labels = np.arange(37) % 4
    raster = encode_array(x, encoder, 16, chunk_size=37, **kwargs)
    a = encode_to_dataset(x, tmp_path / "a.h5", labels, encoder, 16, chunk_size=37, **kwargs)
    b = encode_to_dataset(x, tmp_path / "b.h5", labels, encoder, 16, chunk_size=6, **kwargs)
    got, got_labels = _raster_of(a, 16)
    np.testing.assert_array_equal(got, raster.reshape(16, 37, -1))
    np.testing.assert_array_equal(got_labels, labels)
    assert _raster_of(b, 16)[0].tobytes() == got.tobytes()
    with SpikeDataset(a) as ds:
        assert ds.encoding == encoder and ds.time_resolution == 1e-3
        assert ds.n_units == int(np.prod(raster.shape[2:]))
        assert ds.attrs["input_shape"].tolist() == list(raster.shape[2:])


def test_bad_input_leaves_no_file_and_names_the_sample(tmp_path):
    x = np.random.default_rng(0).random((20, 3))
    x[13, 1] = np.nan
    with pytest.raises(ValueError, match="13"):
        encode_to_dataset(x, tmp_path / "x.h5", None, "poisson", 5, chunk_size=4, random_state=0)
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="labels"):
        encode_to_dataset(x[:5], tmp_path / "x.h5", [0, 1], "regular", 5)
    with pytest.raises(ValueError, match="dt"):
        encode_to_dataset(x[:5], tmp_path / "x.h5", None, "regular", 5, dt=0.0)
    assert os.listdir(tmp_path) == []


def test_cli_encode_npz_and_hdf5_inputs(tmp_path, capsys):
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(50, 6)) * 3.0, rng.integers(0, 3, 50)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["values"], f["y"] = X, y
    assert main(["encode", str(tmp_path / "d.npz"), str(tmp_path / "a.h5"), "--steps", "20", "--quiet",
                 "--seed", "3", "--param", "max_rate=200", "--chunk-size", "7"]) == 0
    assert "50 samples, 6 units, 20 steps" in capsys.readouterr().out
    assert main(["encode", str(tmp_path / "d.h5"), str(tmp_path / "b.h5"), "--dataset", "values", "--steps", "20",
                 "--quiet", "--seed", "3", "--param", "max_rate=200"]) == 0
    # the data's range becomes the encoder's (negative values included): the same spikes as the library call
    expected = encode_to_dataset(X, tmp_path / "c.h5", y, "poisson", 20, random_state=3, max_rate=200.0,
                                 x_min=X.min(), x_max=X.max())
    for path in ("a.h5", "b.h5"):
        np.testing.assert_array_equal(_raster_of(tmp_path / path, 20)[0], _raster_of(expected, 20)[0])
        np.testing.assert_array_equal(_raster_of(tmp_path / path, 20)[1], y)
    assert _raster_of(expected, 20)[0].sum() > 0
    np.savez(tmp_path / "named.npz", X=X, y=np.array(["cat", "dog", "ant"])[y])
    assert main(["encode", str(tmp_path / "named.npz"), str(tmp_path / "named.h5"), "--steps", "5", "--quiet"]) == 0
    with SpikeDataset(tmp_path / "named.h5") as ds:
        assert ds.keys == ["ant", "cat", "dog"]
        np.testing.assert_array_equal(np.array(ds.keys)[ds.labels], np.array(["cat", "dog", "ant"])[y])
    assert main(["encode", str(tmp_path / "d.h5"), str(tmp_path / "e.h5"), "--dataset", "nope"]) == 2
    assert main(["encode", str(tmp_path / "d.npz"), str(tmp_path / "e.h5"), "--param", "max_rate"]) == 2
    err = capsys.readouterr().err
    assert "--dataset = 'nope'" in err and "--param = 'max_rate'" in err
    assert not (tmp_path / "e.h5").exists()


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    from spikecore.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    path = tmp_path_factory.mktemp("data") / "digits600.npz"
    np.savez(path, X=X[:600] / 16.0, y=y[:600])
    return path


def test_cli_export_netx_runs_as_the_converted_network_and_copies(tmp_path, small_data, capsys):
    from spikecore.interop.lava import read_netx_layers
    out = tmp_path / "net.net"
    assert main(["export", str(out), "--data", str(small_data), "--calibration", "200"]) == 0
    text = capsys.readouterr().out
    assert "wrote" in text and "fan-in" in text and "converted --method data" in text
    layers, _ = read_netx_layers(out)
    assert [layer.shape for layer in layers][-1] == (10,)
    copy = tmp_path / "copy.h5"
    assert main(["export", str(out), str(copy)]) == 0
    for first, second in zip(read_netx_layers(out)[0], read_netx_layers(copy)[0]):
        assert first.kind == second.kind and first.shape == second.shape
        if first.weight is not None:
            np.testing.assert_array_equal(first.weight, second.weight)
    assert main(["export", str(out), str(tmp_path / "x.nir")]) == 2
    assert main(["export", str(tmp_path / "x.onnx"), str(tmp_path / "y.net")]) == 2
    assert main(["export", str(tmp_path / "out.txt")]) == 2
    err = capsys.readouterr().err
    assert "no NIR form" in err and "x.onnx" in err and "out.txt" in err


def test_cli_export_nir_and_back_to_netx(tmp_path, small_data, capsys):
    pytest.importorskip("nir")
    graph = tmp_path / "net.nir"
    assert main(["export", str(graph), "--data", str(small_data), "--calibration", "200",
                 "--output-layer", "spiking"]) == 0
    assert main(["export", str(graph), str(tmp_path / "from_nir.net")]) == 0
    assert (tmp_path / "from_nir.net").exists()
    subtract = tmp_path / "shift.nir"  # reset by subtraction: NIR yes, Loihi no (a clear error)
    assert main(["export", str(subtract), "--data", str(small_data), "--calibration", "200", "--method", "shift"]) == 0
    assert main(["export", str(subtract), str(tmp_path / "shift.net")]) == 2
    assert "sequential graph" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "shift2.net"), "--data", str(small_data), "--calibration", "200",
                 "--method", "shift"]) == 2
    assert "reset to zero" in capsys.readouterr().err  # converted here: the hint names the methods Loihi takes
    assert not (tmp_path / "shift.net").exists() and not (tmp_path / "shift2.net").exists()


def test_cli_bench_times_the_engine(capsys):
    assert main(["bench", "--n", "300,600", "--duration", "0.02", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.strip().split(" ")[0] in ("300", "600")]
    assert [r[0] for r in rows] == ["300", "600"] and all(float(r[2]) > 0 for r in rows)
    assert main(["bench", "--n", "4000,x"]) == 2
    assert main(["bench", "--duration", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--n = '4000,x'" in err and "--duration" in err


def test_cli_export_copies_lava_dl_networks_and_takes_nir_graphs(fixtures_dir, tmp_path, capsys):
    """Real files: lava-dl's own netx networks copy through ``export`` with identical layers; a
    NIR graph written by another simulator (norse) exports to netx."""
    from spikecore.interop.lava import read_netx_layers
    for name in ("lava-dl_tests_tiny.net", "lava-dl_oxford_network.net"):
        source = fixtures_dir / "lava_netx" / name
        if not source.exists():
            pytest.skip("%s not in the fixtures" % name)
        copy = tmp_path / name
        assert main(["export", str(source), str(copy)]) == 0
        for first, second in zip(read_netx_layers(source)[0], read_netx_layers(copy)[0]):
            assert (first.kind, first.shape) == (second.kind, second.shape)
            for field in ("weight", "delay"):
                a, b = getattr(first, field, None), getattr(second, field, None)
                if a is not None:
                    np.testing.assert_array_equal(a, b)
    pytest.importorskip("nir")
    graph = fixtures_dir / "nir" / "NIR_paper_01_lif" / "lif_norse.nir"
    if graph.exists():
        assert main(["export", str(graph), str(tmp_path / "norse.net")]) == 0
        assert "dense" in capsys.readouterr().out
