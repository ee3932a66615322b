"""HDF5 spike datasets in the SHD layout: round trips, lazy reads, seeded batches,
atomic writes and clear errors."""
import json
import os
import pickle
import subprocess
import sys

import h5py
import numpy as np
import pytest

from spikecore.datasets import SpikeDataset, SpikeDatasetError, SpikeDatasetWriter, write_spike_dataset


def make_samples(n=23, n_units=50, seed=0):
    rng = np.random.default_rng(seed)
    times, units, labels = [], [], []
    for i in range(n):
        k = 0 if i == 3 else int(rng.integers(1, 40))  # sample 3 is empty
        times.append(np.sort(rng.uniform(0, 0.2, k)).astype(np.float32))
        units.append(rng.integers(0, n_units, k))
        labels.append(int(rng.integers(0, 5)))
    return times, units, labels


@pytest.fixture
def written(tmp_path):
    times, units, labels = make_samples()
    path = tmp_path / "data.h5"
    write_spike_dataset(path, times, units, labels, 50, encoding="poisson_rate",
                        encoding_params={"max_rate": 100.0, "dt": 1e-3}, keys=list("abcde"))
    return path, times, units, labels


def test_round_trip_values_dtypes_and_attributes(written):
    path, times, units, labels = written
    with SpikeDataset(path) as ds:
        assert len(ds) == 23 and ds.n_units == 50 and ds.keys == list("abcde")
        assert ds.encoding == "poisson_rate" and ds.encoding_params == {"dt": 1e-3, "max_rate": 100.0}
        for i in range(len(ds)):
            s = ds[i]
            assert s.times.dtype == np.float64 and s.units.dtype == np.int64
            np.testing.assert_array_equal(s.times, times[i].astype(np.float64))
            np.testing.assert_array_equal(s.units, units[i])
            assert s.label == labels[i]
        assert ds[-1].label == labels[-1] and ds[3].times.size == 0
        np.testing.assert_array_equal(ds.labels, labels)
    with h5py.File(path) as f:
        assert f.attrs["spikecore_format"] == "spikecore.spike_dataset" and f.attrs["n_samples"] == 23
        assert h5py.check_vlen_dtype(f["spikes/times"].dtype) == np.float32
        assert h5py.check_vlen_dtype(f["spikes/units"].dtype) == np.uint8
        assert f["labels"].dtype == np.uint16
        assert f["spikes/times"].compression == "gzip" and f["spikes/times"].chunks is not None
        assert json.loads(f.attrs["encoding_params"])["max_rate"] == 100.0


def test_published_shd_layout_is_read(tmp_path):
    """A file laid out as the published SHD files (float16 times, uint16 units and labels,
    extra/keys, extra/speaker, extra/meta_info) written with plain h5py."""
    path = tmp_path / "shd_like.h5"
    rng = np.random.default_rng(1)
    vt, vu = h5py.vlen_dtype(np.float16), h5py.vlen_dtype(np.uint16)
    samples = [(np.sort(rng.uniform(0, 1.0, k)).astype(np.float16), rng.integers(0, 700, k).astype(np.uint16))
               for k in (5, 0, 17)]
    with h5py.File(path, "w") as f:
        t = f.create_dataset("spikes/times", (3,), dtype=vt)
        u = f.create_dataset("spikes/units", (3,), dtype=vu)
        for i, (a, b) in enumerate(samples):
            t[i], u[i] = a, b
        f["labels"] = np.array([3, 19, 0], np.uint16)
        f["extra/speaker"] = np.array([1, 2, 1], np.uint16)
        f["extra/keys"] = np.array([b"english-zero", b"english-one"])
        f["extra/meta_info/gender"] = np.array([b"female"])
    ds = SpikeDataset(path)
    assert ds.n_units is None and ds.keys == ["english-zero", "english-one"]
    assert ds.extra_names == ["speaker"] and ds.extra("speaker").tolist() == [1, 2, 1]
    np.testing.assert_array_equal(ds[2].times, samples[2][0].astype(np.float64))
    with pytest.raises(ValueError, match="n_units"):
        ds.to_raster(ds.batch([0]), 1e-3, 100)
    ds700 = SpikeDataset(path, n_units=700)
    r = ds700.to_raster(ds700.batch([0, 1, 2]), 1e-3, 1000)
    assert r.shape == (1000, 3, 700) and r[:, 1].sum() == 0
    assert r[:, 2].sum() == len(set(zip(np.floor(samples[2][0].astype(np.float64) / 1e-3).astype(int),
                                        samples[2][1])))


def test_our_file_reads_like_shd_with_plain_h5py(written):
    path, times, units, labels = written
    with h5py.File(path) as f:  # what SHD tutorials do
        np.testing.assert_array_equal(f["spikes"]["times"][5], times[5])
        np.testing.assert_array_equal(f["spikes"]["units"][5], units[5])
        assert f["labels"][5] == labels[5]


def test_two_dimensional_variant_is_read(tmp_path):
    path = tmp_path / "fixed.h5"
    with h5py.File(path, "w") as f:  # fixed-width rows (as Tonic's SHD test fake)
        f["spikes/times"] = np.random.default_rng(0).random((4, 10)).astype(np.float16)
        f["spikes/units"] = np.arange(40, dtype=np.uint16).reshape(4, 10)
        f["labels"] = [1, 1, 1, 1]
    ds = SpikeDataset(path, n_units=40)
    assert ds[1].units.tolist() == list(range(10, 20))


def test_lazy_reads_only_what_is_indexed(written, monkeypatch):
    path = written[0]
    reads = []
    original = h5py.Dataset.__getitem__

    def spy(self, args, *more, **kw):
        reads.append((self.name, args if isinstance(args, (int, np.integer, tuple, type(Ellipsis))) else
                      np.asarray(args).tolist()))
        return original(self, args, *more, **kw)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    ds = SpikeDataset(path)
    assert all(name != "/spikes/times" and name != "/spikes/units" for name, _ in reads)
    reads.clear()
    ds[7]
    assert sorted(reads) == [("/spikes/times", 7), ("/spikes/units", 7)]
    reads.clear()
    b = ds.batch([9, 2, 9])
    assert sorted(reads) == [("/spikes/times", [2, 9]), ("/spikes/units", [2, 9])]
    assert b.indices.tolist() == [9, 2, 9] and b.labels.tolist() == [ds.labels[9], ds.labels[2], ds.labels[9]]


def test_seeded_batches_are_deterministic_and_cover_the_data(written):
    ds = SpikeDataset(written[0])
    order = lambda **kw: [b.indices.tolist() for b in ds.batches(5, **kw)]
    a, b = order(seed=42), order(seed=42)
    assert a == b and a != order(seed=43)
    assert sorted(sum(a, [])) == list(range(23)) and [len(x) for x in a] == [5, 5, 5, 5, 3]
    assert [len(x) for x in order(seed=1, drop_last=True)] == [5, 5, 5, 5]
    assert sum(order(shuffle=False), []) == list(range(23))
    gen = np.random.default_rng(0)
    assert order(seed=gen) != order(seed=gen)  # a Generator advances between epochs
    batches = list(ds.raster_batches(8, dt=1e-3, T=200, seed=42))
    assert [r.shape for r, _ in batches] == [(200, 8, 50), (200, 8, 50), (200, 7, 50)]
    first = ds.batch(a[0] + a[1][:3])
    np.testing.assert_array_equal(batches[0][0], ds.to_raster(first, 1e-3, 200)[:, :8])


def test_dataset_pickles_for_worker_processes(written):
    ds = SpikeDataset(written[0])
    ds[0]
    clone = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(clone[4].units, ds[4].units)


def test_interrupted_write_leaves_previous_file_intact(written):
    path = written[0]
    before = open(path, "rb").read()
    with pytest.raises(RuntimeError, match="boom"):
        with SpikeDatasetWriter(path, 50) as w:
            w.append([0.1], [1], 0)
            raise RuntimeError("boom")
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(path.parent)) == ["data.h5"]  # no temporary file left behind
    with pytest.raises(ValueError, match="units in 0..49"):
        write_spike_dataset(path, [[0.1]], [[50]], [0], 50)
    assert open(path, "rb").read() == before


def test_killed_writer_process_leaves_previous_file_intact(written):
    path = written[0]
    before = open(path, "rb").read()
    code = ("import os; from spikecore.datasets import SpikeDatasetWriter\n"
            "w = SpikeDatasetWriter(%r, 50, block=2)\n"
            "for i in range(10): w.append([0.1 * i], [i], 1)\n"
            "os._exit(3)\n" % str(path))
    proc = subprocess.run([sys.executable, "-c", code], cwd=path.parent)
    assert proc.returncode == 3
    assert open(path, "rb").read() == before
    assert len(SpikeDataset(path)) == 23


@pytest.mark.parametrize("content, message", [
    (b"not an hdf5 file at all" * 10, "not a readable HDF5 file"),
    (b"", "not a readable HDF5 file"),
])
def test_foreign_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    with pytest.raises(SpikeDatasetError) as exc:
        SpikeDataset(path)
    assert str(path) in str(exc.value) and message in str(exc.value)


def test_truncated_file_gives_clear_error(written, tmp_path):
    data = written[0].read_bytes()
    bad = tmp_path / "truncated.h5"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(SpikeDatasetError) as exc:
        ds = SpikeDataset(bad)
        [ds[i] for i in range(len(ds))]
    assert str(bad) in str(exc.value)


@pytest.mark.parametrize("build, message", [
    (lambda f: f.create_dataset("labels", data=[1]), "missing dataset 'spikes/times'"),
    (lambda f: (f.create_dataset("spikes/times", (1,), dtype=h5py.vlen_dtype(np.float32)),
                f.create_dataset("labels", data=[1])), "missing dataset 'spikes/units'"),
    (lambda f: (f.create_dataset("spikes/times", (2,), dtype=h5py.vlen_dtype(np.float32)),
                f.create_dataset("spikes/units", (2,), dtype=h5py.vlen_dtype(np.int32)),
                f.create_dataset("labels", data=[1])), "labels 1; they must match"),
    (lambda f: (f.create_dataset("spikes/times", data=np.zeros(2)),
                f.create_dataset("spikes/units", (2,), dtype=h5py.vlen_dtype(np.int32)),
                f.create_dataset("labels", data=[1, 2])), "dataset 'spikes/times' has dtype float64 and shape (2,)"),
])
def test_incomplete_layouts_name_what_is_missing(tmp_path, build, message):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        build(f)
    with pytest.raises(SpikeDatasetError) as exc:
        SpikeDataset(path)
    assert str(path) in str(exc.value) and message in str(exc.value)


def test_writer_checks_its_input(tmp_path):
    path = tmp_path / "x.h5"
    with SpikeDatasetWriter(path, 10) as w:
        with pytest.raises(ValueError, match="times >= 0"):
            w.append([-0.1], [1], 0)
        with pytest.raises(ValueError, match="the shape of times"):
            w.append([0.1, 0.2], [1], 0)
        with pytest.raises(ValueError, match="finite"):
            w.append([np.nan], [1], 0)
        w.append([0.1], [1], 0, speaker=3)
        with pytest.raises(ValueError, match="the same extra names"):
            w.append([0.1], [1], 0)
    assert len(SpikeDataset(path)) == 1 and SpikeDataset(path).extra("speaker").tolist() == [3]
    with pytest.raises(ValueError, match="W\\*H\\*P == n_units"):
        SpikeDatasetWriter(tmp_path / "y.h5", 10, sensor_size=(4, 4, 2))
    with pytest.raises(FileNotFoundError, match="existing folder"):
        SpikeDatasetWriter(tmp_path / "nope" / "y.h5", 10)
    with pytest.raises(IndexError, match="index = 5"):
        SpikeDataset(path)[5]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25)
@given(st.lists(st.lists(st.tuples(st.floats(0, 10, width=32), st.integers(0, 299)), max_size=20), max_size=12),
       st.sampled_from(["float16", "float32", "float64"]), st.integers(1, 5))
def test_any_samples_survive_a_round_trip(samples, time_dtype, block):
    import tempfile
    times = [np.array([t for t, _ in s], dtype=time_dtype) for s in samples]
    units = [np.array([u for _, u in s], dtype=np.int64) for s in samples]
    labels = list(range(len(samples)))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "h.h5")
        write_spike_dataset(path, times, units, labels, 300, time_dtype=time_dtype, block=block)
        with SpikeDataset(path) as ds:
            assert len(ds) == len(samples)
            for i in range(len(ds)):
                np.testing.assert_array_equal(ds[i].times, times[i].astype(np.float64))
                np.testing.assert_array_equal(ds[i].units, units[i])
                assert ds[i].label == i


def test_spike_count_features_are_the_rate_code_the_cli_trains_on(tmp_path):
    from spikecore.cli._data import load_data
    from spikecore.datasets import spike_count_features, write_spike_dataset
    rng = np.random.default_rng(0)
    units = [rng.integers(0, 7, 20) for _ in range(6)]
    times = [np.sort(rng.random(20)) for _ in range(6)]
    path = write_spike_dataset(tmp_path / "d.h5", times, units, [0, 1, 0, 1, 0, 1], 7)
    X, y = spike_count_features(SpikeDataset(path), 2, 5)
    np.testing.assert_array_equal(X, [np.bincount(u, minlength=7) for u in units[2:5]])
    assert y.tolist() == [0, 1, 0]
    X_cli, y_cli, _ = load_data(str(path))
    np.testing.assert_array_equal(X_cli[2:5], X)
    assert y_cli.tolist() == [0, 1, 0, 1, 0, 1]
