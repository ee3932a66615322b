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
    assert os.listdir(dst) == []  # neither train.h5 nor a temporary file nor a parts folder


def _watch_parts(monkeypatch, interrupt_at=None):
    """Record each part the client assembles (its path, and whether it exists then); with
    ``interrupt_at=k`` raise KeyboardInterrupt instead of reading part k, as Ctrl-C would."""
    from spikecore.distributed import parts
    original, seen = parts.read_part, []

    def read_part(info, *args, **kwargs):
        seen.append((info.path, os.path.exists(info.path)))
        if len(seen) == interrupt_at:
            raise KeyboardInterrupt
        return original(info, *args, **kwargs)

    monkeypatch.setattr(parts, "read_part", read_part)
    return seen


def test_workers_write_parts_beside_the_destination_and_they_are_removed(client, nmnist_folder, tmp_path,
                                                                          monkeypatch):
    seen = _watch_parts(monkeypatch)
    dst = tmp_path / "dask"
    written = convert_folder(nmnist_folder, dst, progress=False, client=client)
    folders = {os.path.dirname(path) for path, _ in seen}
    assert len(seen) >= 4 and all(exists for _, exists in seen)  # parts of 2 files each, in both splits
    assert {os.path.basename(f).split("-")[0] for f in folders} == {".train.h5.parts", ".test.h5.parts"}
    assert {os.path.dirname(f) for f in folders} == {str(dst)}
    assert sorted(os.listdir(dst)) == ["test.h5", "train.h5"]  # parts folders gone
    assert len(SpikeDataset(written["train"])) == 9


def test_interrupted_assembly_leaves_the_previous_output_and_no_parts(client, nmnist_folder, tmp_path,
                                                                      monkeypatch):
    dst = tmp_path / "out"
    before = convert_folder(nmnist_folder, dst, progress=False)
    old = {split: open(path, "rb").read() for split, path in before.items()}
    seen = _watch_parts(monkeypatch, interrupt_at=2)
    with pytest.raises(KeyboardInterrupt):
        convert_folder(nmnist_folder, dst, progress=False, client=client)
    assert len(seen) == 2
    assert sorted(os.listdir(dst)) == ["test.h5", "train.h5"]  # no parts folder, no temporary file
    assert {split: open(path, "rb").read() for split, path in before.items()} == old


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


# ---------------------------------------------------------------------------- evaluation
@pytest.fixture(scope="module")
def digits():
    from spikecore.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


@pytest.fixture(scope="module")
def models(digits):
    from spikecore.conversion import convert, mlp
    from spikecore.learning import BPSTDPClassifier, DiehlCookClassifier, PESClassifier
    X, y = digits
    ann = mlp((64, 24, 10), random_state=0)
    ann.fit(X[:600], y[:600], epochs=3, random_state=0)
    return {
        "ann": ann,
        "shift": convert(ann, X[:200], method="shift"),    # analog input: deterministic
        "data": convert(ann, X[:200], method="data"),      # Poisson input
        "diehl_cook": DiehlCookClassifier(n_neurons=10, t_present=0.03, random_state=0).fit(X[:100], y[:100]),
        "bpstdp": BPSTDPClassifier(hidden_layer_sizes=(10,), n_steps=10, max_epochs=1, random_state=0).fit(
            X[:100], y[:100]),
        "pes": PESClassifier(n_neurons=30, n_epochs=1, random_state=0).fit(X[:100], y[:100]),
    }


@pytest.mark.parametrize("name", ["shift", "data", "diehl_cook", "bpstdp", "pes"])
def test_evaluate_on_cluster_identical_to_local(client, models, digits, name):
    from spikecore.distributed import evaluate
    X, y = digits[0][1000:1300], digits[1][1000:1300]
    kw = dict(timesteps=8, random_state=3) if name in ("shift", "data") else {}
    local = evaluate(models[name], (X, y), batch_size=70, **kw)
    remote = evaluate(models[name], (X, y), batch_size=70, client=client, **kw)
    assert remote == local  # every integer, the accuracy and the notes
    assert local["n_samples"] == 300 and local["accuracy"] == local["n_correct"] / 300
    counts = local["counts"]
    if name == "pes":
        assert counts is None and "PESClassifier exposes no spike counts" in local["counts_note"]
    elif name == "bpstdp":
        assert counts["output_spikes"] == int(models[name].output_spike_counts(X[:70]).sum()) + int(
            sum(models[name].output_spike_counts(X[a:a + 70]).sum() for a in range(70, 300, 70)))
    elif name == "diehl_cook":
        assert counts["input_spikes"] > 0 and counts["synaptic_operations"] == (
            counts["input_spikes"] * 10 + counts["output_spikes"] * 9)  # fan-out 10, lateral 9
    else:
        assert counts["neuron_updates"] == 300 * 8 * (24 + 10)
        assert all(isinstance(c, int) for c in counts["hidden_spikes"]) and counts["hidden_spikes"][0] > 0
        assert (counts["input_spikes"] == 0) == (name == "shift")  # analog input is a current


def test_evaluate_one_chunk_equals_score_and_operations(models, digits):
    from spikecore.distributed import evaluate
    snn = models["shift"]
    X, y = digits[0][1000:1200], digits[1][1000:1200]
    result = evaluate(snn, (X, y), timesteps=16, batch_size=200)
    assert result["accuracy"] == snn.score(X, y, 16, batch_size=200)
    ops = snn.operations()  # of that score call
    assert result["counts_per_sample"]["synaptic_adds"] == pytest.approx(ops["synaptic_adds"], rel=1e-12)
    assert result["counts_per_sample"]["hidden_spikes"] == pytest.approx(ops["spikes_per_layer"][1:], rel=1e-12)


def test_evaluate_spike_dataset_on_workers(client, models, digits, tmp_path):
    from spikecore.cli._data import load_data
    from spikecore.datasets import write_spike_dataset
    from spikecore.distributed import evaluate, spike_count_features
    rng = np.random.default_rng(0)
    X, y = digits[0][1000:1150], digits[1][1000:1150]
    units = [np.repeat(np.arange(64), rng.poisson(x * 3)) for x in X]  # a rate code of the pixels
    times = [np.sort(rng.random(len(u))) for u in units]
    path = write_spike_dataset(tmp_path / "d.h5", times, units, y, n_units=64)
    X_counts, y_loaded, _ = load_data(str(path))  # what `spikecore evaluate --data d.h5` loads
    with SpikeDataset(path) as ds:
        part, labels = spike_count_features(ds, 10, 20)
    np.testing.assert_array_equal(part, X_counts[10:20])
    np.testing.assert_array_equal(labels, y[10:20])
    est = models["pes"]
    local = evaluate(est, (X_counts, y_loaded), batch_size=40)
    assert evaluate(est, str(path), batch_size=40) == local
    assert evaluate(est, SpikeDataset(path), batch_size=40, client=client) == local


def test_evaluate_error_names_the_sample_range(client, models, digits):
    from spikecore.distributed import EvaluationError, evaluate
    X, y = digits[0][:40].copy(), digits[1][:40]
    X[27, 5] = np.nan
    for c in (None, client):
        with pytest.raises(EvaluationError, match=r"samples 20\.\.29 \(of SpikingModel\): ValueError: .*X"):
            evaluate(models["shift"], (X, y), timesteps=4, batch_size=10, client=c)


@pytest.mark.parametrize("kwargs, match", [
    (dict(timesteps=None), "timesteps"),
    (dict(batch_size=0), "batch_size"),
    (dict(data=[1, 2, 3]), "data"),
])
def test_evaluate_bad_arguments_are_named(models, digits, kwargs, match):
    from spikecore.distributed import evaluate
    args = dict(data=(digits[0][:10], digits[1][:10]), timesteps=4)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        evaluate(models["shift"], args.pop("data"), **args)
    with pytest.raises(ValueError, match="timesteps"):
        evaluate(models["pes"], (digits[0][:10], digits[1][:10]), timesteps=4)


def test_evaluate_progress_prints_the_dashboard_once(client, models, digits, capsys):
    from spikecore.distributed import evaluate
    evaluate(models["pes"], (digits[0][:60], digits[1][:60]), batch_size=20, client=client, progress=True)
    err = capsys.readouterr().err
    assert err.count(client.dashboard_link) == 1 and "evaluate" in err


# ---------------------------------------------------------------------------- sweeps
def test_conversion_sweep_on_cluster_identical_to_local_and_to_report(client, models, digits):
    from spikecore.conversion import convert
    from spikecore.distributed import conversion_sweep
    ann = models["ann"]
    X, y = digits[0][1000:1200], digits[1][1000:1200]
    cal = digits[0][:200]
    kw = dict(methods=("shift", "data", "tsc"), timesteps=(4, 16), random_state=5)
    local = conversion_sweep(ann, cal, X, y, **kw)
    remote = conversion_sweep(ann, cal, X, y, client=client, **kw)
    assert remote == local
    assert [(r["method"], r["timesteps"]) for r in local] == [(m, t) for m in kw["methods"] for t in (4, 16)]
    report = convert(ann, cal, method="data").report(X, y, timesteps=(4, 16), random_state=5)
    for mine, theirs in zip(local[2:4], report.rows):
        assert {k: mine[k] for k in theirs} == theirs


def test_grid_search_with_the_dask_joblib_backend_equals_local(client, digits):
    joblib = pytest.importorskip("joblib")
    model_selection = pytest.importorskip("sklearn.model_selection")
    from spikecore.learning import PESClassifier
    X, y = digits[0][:120], digits[1][:120]
    grid = {"n_neurons": [10, 20], "n_epochs": [1]}
    local = model_selection.GridSearchCV(PESClassifier(random_state=0), grid, cv=2, n_jobs=1).fit(X, y)
    with joblib.parallel_backend("dask", client=client):
        remote = model_selection.GridSearchCV(PESClassifier(random_state=0), grid, cv=2, n_jobs=-1).fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "split1_test_score", "rank_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    ran = client.run_on_scheduler(lambda dask_scheduler: [p for p in dask_scheduler.task_prefixes])
    assert any("fit_and_score" in p for p in ran)  # the fits were Dask tasks


# ---------------------------------------------------------------------------- command line
def test_cli_evaluate_with_scheduler_prints_the_local_result(client, tmp_path, capsys):
    from spikecore.cli import main
    model = tmp_path / "m.h5"
    assert main(["train", "--method", "pes", "--quiet", "--param", "n_neurons=30", "--param", "n_epochs=1",
                 "-o", str(model)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(model), "--batch-size", "100"]) == 0
    here = capsys.readouterr().out
    assert main(["evaluate", str(model), "--batch-size", "100", "--scheduler", client.scheduler.address]) == 0
    captured = capsys.readouterr()
    there = captured.out
    assert client.dashboard_link in captured.err
    line = [s for s in here.splitlines() if s.startswith("  accuracy")][0]
    assert line.split("(")[0] == [s for s in there.splitlines() if s.startswith("  accuracy")][0].split("(")[0]
    assert "exposes no spike counts" in there


def test_cli_convert_with_scheduler_prints_the_same_table(client, capsys):
    from spikecore.cli import main
    args = ["convert", "--timesteps", "4,8", "--calibration", "100", "--method", "data"]
    assert main(args) == 0
    here = capsys.readouterr().out
    assert main(args + ["--scheduler", client.scheduler.address]) == 0
    there = capsys.readouterr().out
    assert here == there and "| 8 |" in here


def test_cli_convert_folder_command(client, nmnist_folder, tmp_path, capsys):
    import argparse
    from spikecore.cli import convert_folder as command
    parser = argparse.ArgumentParser(prog="spikecore")
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["convert-folder", str(nmnist_folder), str(tmp_path / "out"), "--quiet",
                              "--scheduler", client.scheduler.address])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "train" in out and "9 samples, 2312 units" in out
    assert h5_contents(tmp_path / "out" / "train.h5") == h5_contents(
        convert_folder(nmnist_folder, tmp_path / "local", progress=False)["train"])
    with pytest.raises(SystemExit):
        parser.parse_args(["convert-folder", "a", "b", "--workers", "2", "--scheduler", "tcp://x:1"])


def test_cli_client_opens_and_closes_a_local_cluster():
    from spikecore.distributed import cli_client
    with cli_client() as nothing:
        assert nothing is None
    with cli_client(workers=1) as c:
        assert isinstance(c, distributed.Client) and len(c.scheduler_info()["workers"]) == 1
        assert c.submit(sum, [1, 2]).result() == 3
    assert c.status == "closed"
    with pytest.raises(ValueError, match="--workers"):
        with cli_client(workers=0):
            pass


def test_encode_to_dataset_on_cluster_identical_to_local(client, tmp_path):
    from spikecore.distributed import encode_to_dataset
    x = np.random.default_rng(3).random((31, 4, 3))
    labels = np.arange(31) % 5
    local = encode_to_dataset(x, tmp_path / "local.h5", labels, "poisson", 9, random_state=4, chunk_size=31)
    remote = encode_to_dataset(x, tmp_path / "remote.h5", labels, "poisson", 9, random_state=4, chunk_size=4,
                               client=client)
    assert h5_contents(local) == h5_contents(remote)


def test_local_cluster_workers_keep_freed_memory(monkeypatch):
    """spikecore's LocalCluster replaces Dask's MALLOC_TRIM_THRESHOLD_=65536 on its workers (every
    numpy temporary mapped and unmapped) by WORKER_MALLOC; a user's own setting is kept."""
    import dask

    from spikecore.distributed import local_cluster
    from spikecore.distributed.cli_client import WORKER_MALLOC

    def worker_env():
        return {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")}

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # Dask's default, as a default LocalCluster leaves it
    with local_cluster(1) as cluster, distributed.Client(cluster) as c:
        assert c.submit(worker_env, pure=False).result() == {k: str(v) for k, v in WORKER_MALLOC.items()}
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"  # this process's environment is left as it was
    for name in WORKER_MALLOC:  # a default LocalCluster earlier in this process left Dask's values here
        monkeypatch.delenv(name, raising=False)
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 4096}):
        with local_cluster(1) as cluster, distributed.Client(cluster) as c:
            env = c.submit(worker_env, pure=False).result()
    assert env == {"MALLOC_TRIM_THRESHOLD_": "4096", "MALLOC_MMAP_THRESHOLD_": str(WORKER_MALLOC["MALLOC_MMAP_THRESHOLD_"])}
