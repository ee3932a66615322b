"""spikecore on a Dask LocalCluster (2 worker processes): dataset conversion and encoding give
results identical, bit for bit, to the local run; a worker's error names the file or sample."""
import logging
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from spikecore import encoding  # noqa: E402
from spikecore.datasets import EVENT_DTYPE, CorruptFileError, SpikeDataset, convert_folder, write_events  # noqa: E402
from spikecore.distributed import encode_array  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def camera_events(n, seed):
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=EVENT_DTYPE)
    ev["t"] = np.sort(rng.integers(0, 300_000, n))
    ev["x"] = rng.integers(0, 34, n)
    ev["y"] = rng.integers(0, 34, n)
    ev["p"] = rng.integers(0, 2, n)
    return ev


@pytest.fixture
def nmnist_folder(tmp_path):
    src = tmp_path / "NMNIST"
    seed = 0
    for split, digits in (("Train", (0, 1, 7)), ("Test", (0, 1))):
        for d in digits:
            folder = src / split / str(d)
            folder.mkdir(parents=True)
            for k in range(3):
                seed += 1
                write_events(folder / ("%05d.bin" % k), camera_events(150 + 20 * k, seed), "nmnist")
    return src


def h5_contents(path):
    """Every group/dataset path of an HDF5 file -> (attributes, dtype, shape, values)."""
    out = {}

    def attrs(obj):
        return {k: np.asarray(a).tolist() for k, a in obj.attrs.items()}

    with h5py.File(path, "r") as f:
        out["/"] = attrs(f)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                if obj.dtype.kind == "O":  # variable-length (ragged times/units, strings)
                    data = [np.asarray(x).tobytes() if isinstance(x, np.ndarray) else x for x in data]
                else:
                    data = np.asarray(data).tobytes()
                out[name] = (attrs(obj), str(obj.dtype), obj.shape, data)
            else:
                out[name] = attrs(obj)

        f.visititems(visit)
    return out


def test_convert_folder_on_cluster_identical_to_local(client, nmnist_folder, tmp_path, capsys):
    local = convert_folder(nmnist_folder, tmp_path / "local", progress=False)
    remote = convert_folder(nmnist_folder, tmp_path / "dask", progress=True, client=client)
    assert "nmnist/train" in capsys.readouterr().err  # the tqdm bar over the collected futures
    assert sorted(local) == sorted(remote) == ["test", "train"]
    for split in local:
        a, b = h5_contents(local[split]), h5_contents(remote[split])
        assert a.keys() == b.keys() and len(a) > 3
        for name in a:
            assert a[name] == b[name], name
    train = SpikeDataset(remote["train"])
    assert len(train) == 9 and train.labels.tolist() == [0, 0, 0, 1, 1, 1, 7, 7, 7]
    assert train.extra("source").tolist() == ["00000.bin", "00001.bin", "00002.bin"] * 3
    train.close()


def test_corrupt_file_on_a_worker_is_named_and_leaves_no_output(client, nmnist_folder, tmp_path):
    bad = nmnist_folder / "Train" / "1" / "00001.bin"
    bad.write_bytes(bad.read_bytes()[:-2])  # no longer whole 5-byte records
    dst = tmp_path / "out"
    with pytest.raises(CorruptFileError) as exc:  # the worker's exception, type and message kept
        convert_folder(nmnist_folder, dst, progress=False, client=client)
    assert str(bad) in str(exc.value) and "byte offset" in str(exc.value)
    assert os.listdir(dst) == []  # neither train.h5 nor a temporary file


def test_convert_folder_rejects_a_non_client(nmnist_folder, tmp_path):
    with pytest.raises(TypeError, match="client"):
        convert_folder(nmnist_folder, tmp_path / "out", progress=False, client="tcp://127.0.0.1:8786")
    assert not (tmp_path / "out").exists()


def test_poisson_on_cluster_identical_to_local_and_per_sample(client):
    x = np.random.default_rng(1).random((23, 6, 5))
    local = encode_array(x, "poisson", 12, random_state=7, chunk_size=23)
    assert local.shape == (12, 23, 6, 5) and local.dtype == np.uint8
    for chunk_size in (1, 4, 10):
        remote = encode_array(x, "poisson", 12, random_state=7, chunk_size=chunk_size, client=client)
        np.testing.assert_array_equal(remote, local)
    seed = int(np.random.default_rng(7).integers(0, 2 ** 63))  # the key drawn from random_state=7
    for i in (0, 11, 22):
        np.testing.assert_array_equal(local[:, i], encoding.poisson(x[i], 12, random_state=seed, stream=i))
    assert 0.3 < local.mean() < 0.7  # max_rate * dt = 1: p = x, mean(x) ~ 0.5
    assert not np.array_equal(local[:, 0], local[:, 1])  # samples are independent streams


def test_deterministic_encoder_on_cluster_identical_to_whole_array(client):
    x = np.random.default_rng(2).random((17, 8))
    whole = encoding.latency(x, 10, method="log", tau=5.0)
    remote = encode_array(x, "latency", 10, client=client, chunk_size=5, method="log", tau=5.0)
    np.testing.assert_array_equal(remote, whole)
    ranked = encode_array(x, "rank_order", 8, client=client, chunk_size=3)
    np.testing.assert_array_equal(ranked, encoding.rank_order(x, 8, batch_axis=True))


def test_bad_sample_on_a_worker_is_named(client):
    x = np.random.default_rng(3).random((12, 4))
    x[9, 2] = 1.5
    with pytest.raises(ValueError, match=r"x\[9\] \(sample 9\)"):
        encode_array(x, "poisson", 5, random_state=0, chunk_size=4, client=client)


def test_local_chunking_does_not_change_the_spikes():
    x = np.random.default_rng(4).random((30, 7))
    ref = encode_array(x, "poisson", 9, random_state=np.random.default_rng(5), chunk_size=30, max_rate=500.0)
    for chunk_size in (1, 7, 64):
        got = encode_array(x, "poisson", 9, random_state=np.random.default_rng(5), chunk_size=chunk_size,
                           max_rate=500.0)
        np.testing.assert_array_equal(got, ref)
    assert encode_array(x[:0], "poisson", 9, random_state=1).shape == (9, 0, 7)
    assert encode_array(x, "population", 6, chunk_size=8).shape == (6, 30, 7, 8)


@pytest.mark.parametrize("kwargs, match", [
    (dict(encoder="bsa"), "encoder"),
    (dict(chunk_size=0), "chunk_size"),
    (dict(encoder="regular", random_state=1), "random_state"),
    (dict(stream=3), "stream"),
    (dict(encoder="latency", return_times=True), "return_times"),
])
def test_bad_arguments_are_named(kwargs, match):
    x = np.full((4, 3), 0.5)
    with pytest.raises(ValueError, match=match):
        encode_array(x, num_steps=5, **kwargs)


def test_import_spikecore_does_not_import_dask(tmp_path):
    code = "import sys, spikecore, spikecore.distributed; print('dask' in sys.modules or 'distributed' in sys.modules)"
    # cwd outside the source tree, so the installed package is imported
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "False"
