"""Faults and memory on a Dask LocalCluster of 2 worker processes (600 MB each): a worker
killed in the middle of a dataset conversion or an evaluation -> the job completes with the
identical result (the scheduler runs the lost task again) or, when the worker dies every
time, fails with an error naming the file / sample range and leaves no output file; data
several times a worker's memory limit is evaluated, because it moves in chunks."""
import logging
import os
import sys

import h5py
import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
import cloudpickle  # noqa: E402  (comes with distributed)
import dask  # noqa: E402

from spikecore.conversion import convert, mlp  # noqa: E402
from spikecore.datasets import EVENT_DTYPE, convert_folder, write_events  # noqa: E402
from spikecore.distributed import EvaluationError, evaluate  # noqa: E402
from spikecore.learning import PESClassifier  # noqa: E402

# The fault injectors below run on the workers; this test module is not importable there
# (pytest imports it by path), so cloudpickle ships its functions and classes by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

MEMORY_LIMIT = 600e6


@pytest.fixture(scope="module")
def client():
    # One retry of a task whose worker died, so "dies every time" fails after two deaths; one
    # task per worker at a time, so only the task that kills its worker is blamed for it
    # (with the default saturation a task queued behind it on that worker is suspected too).
    # Pausing is off: a worker whose imported libraries alone reach 80 % of its limit would
    # otherwise stop taking tasks and the job would wait forever; the limit is still enforced
    # by the nanny, which kills a worker at 95 % of it (the memory test checks none was killed).
    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0,
                          "distributed.worker.memory.pause": False}):
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                           memory_limit=MEMORY_LIMIT, dashboard_address=":0",
                                           silence_logs=logging.CRITICAL)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _exit_worker():
    os._exit(1)  # the worker process dies at once, as if killed (its nanny starts a new one)


def _die_once_model(inner, marker, first_row, always=False):
    """Wrap a fitted estimator: ``predict`` of the chunk whose first row is ``first_row``
    kills its worker process the first time (a marker file records it; ``always``: every
    time) and works afterwards.

    The class is made here, inside a function, so that plain pickle refuses it and Dask
    falls back to cloudpickle, which ships it by value (pickle would send a reference to
    this test module, which the workers cannot import).
    """
    class _DieOnce:
        def predict(self, X):
            X = np.asarray(X)
            if X.shape[0] and np.array_equal(X[0], first_row):
                if always or not os.path.exists(str(marker)):
                    open(str(marker), "a").close()
                    _exit_worker()
            return inner.predict(X)

    return _DieOnce()


def _convert_file_dying_on(path, marker, always):
    """A replacement of ``spikecore.datasets.folders.convert_file`` installed on the workers."""
    from spikecore.datasets import folders

    original = folders._original_convert_file

    def convert_file(job):
        if job.path == path and (always or not os.path.exists(marker)):
            open(marker, "a").close()
            _exit_worker()
        return original(job)

    return convert_file


def _install(path, marker, always):
    from spikecore.datasets import folders
    if not hasattr(folders, "_original_convert_file"):
        folders._original_convert_file = folders.convert_file
    folders.convert_file = _convert_file_dying_on(path, marker, always)


def _uninstall():
    from spikecore.datasets import folders
    if hasattr(folders, "_original_convert_file"):
        folders.convert_file = folders._original_convert_file
        del folders._original_convert_file


@pytest.fixture
def nmnist_folder(tmp_path):
    src = tmp_path / "NMNIST"
    rng = np.random.default_rng(0)
    for d in range(3):
        folder = src / "Train" / str(d)
        folder.mkdir(parents=True)
        for k in range(6):
            ev = np.zeros(300, dtype=EVENT_DTYPE)
            ev["t"] = np.sort(rng.integers(0, 300_000, 300))
            ev["x"], ev["y"], ev["p"] = rng.integers(0, 34, 300), rng.integers(0, 34, 300), rng.integers(0, 2, 300)
            write_events(folder / ("%05d.bin" % k), ev, "nmnist")
    return src


def _h5_bytes(path):
    with h5py.File(path, "r") as f:
        return ([bytes(np.asarray(t).tobytes()) for t in f["spikes/times"][()]],
                [bytes(np.asarray(u).tobytes()) for u in f["spikes/units"][()]], f["labels"][()].tolist())


def _workers_installed(client, *args):
    """Install the dying convert_file on the workers running now (a worker that replaces a
    dead one starts from the package, i.e. the original function)."""
    if args:
        client.run(_install, *args)
    else:
        client.run(_uninstall)


def test_worker_killed_during_convert_folder_completes_identically(client, nmnist_folder, tmp_path):
    local = convert_folder(nmnist_folder, tmp_path / "local", progress=False)
    victim = str(nmnist_folder / "Train" / "1" / "00003.bin")
    marker = tmp_path / "died"
    _workers_installed(client, victim, str(marker), False)
    try:
        remote = convert_folder(nmnist_folder, tmp_path / "dask", progress=False, client=client)
    finally:
        _workers_installed(client)
    assert marker.exists()  # a worker really died on that file
    assert _h5_bytes(remote["train"]) == _h5_bytes(local["train"])
    client.wait_for_workers(2, timeout=30)


def test_worker_dying_on_every_try_names_the_file_and_writes_nothing(client, nmnist_folder, tmp_path):
    victim = str(nmnist_folder / "Train" / "2" / "00001.bin")
    _workers_installed(client, victim, str(tmp_path / "died"), True)
    dst = tmp_path / "out"
    try:
        with pytest.raises(RuntimeError) as exc:
            convert_folder(nmnist_folder, dst, progress=False, client=client)
    finally:
        client.wait_for_workers(2, timeout=30)
        _workers_installed(client)
    assert victim in str(exc.value) and "KilledWorker" in str(exc.value)
    assert os.listdir(dst) == []  # no train.h5, no temporary file


@pytest.fixture(scope="module")
def pes_model():
    rng = np.random.default_rng(0)
    X = rng.random((120, 8)).astype(np.float32)
    y = (X[:, 0] > X[:, 1]).astype(np.int64)
    return PESClassifier(n_neurons=40, n_epochs=1, random_state=0).fit(X, y), X, y


def test_worker_killed_during_evaluate_completes_identically(client, pes_model, tmp_path):
    est, X, y = pes_model
    model = _die_once_model(est, tmp_path / "died", X[40])
    local = evaluate(est, (X, y), batch_size=20)
    remote = evaluate(model, (X, y), batch_size=20, client=client)
    assert (tmp_path / "died").exists()
    assert remote["n_correct"] == local["n_correct"] and remote["accuracy"] == local["accuracy"]
    assert remote["counts"] is None and "_DieOnce exposes no spike counts" in remote["counts_note"]
    client.wait_for_workers(2, timeout=30)


@pytest.mark.slow  # two worker deaths (~4 s); the fast twin is the convert_folder test above
def test_worker_dying_on_every_try_names_the_sample_range(client, pes_model, tmp_path):
    est, X, y = pes_model
    model = _die_once_model(est, tmp_path / "died", X[60], always=True)
    try:
        with pytest.raises(EvaluationError, match=r"samples 60\.\.79 .*KilledWorker"):
            evaluate(model, (X, y), batch_size=20, client=client)
    finally:
        client.wait_for_workers(2, timeout=30)


class _GeneratedRows:
    """A read-only ``(n, d)`` float32 array too large to hold: rows ``a:b`` are made on
    request (row ``i`` from seed ``i``), as a memory map or an HDF5 dataset reads them."""

    def __init__(self, n, d):
        self.shape, self.dtype = (n, d), np.dtype(np.float32)
        self.largest_read = 0

    def __getitem__(self, rows):
        a, b, _ = rows.indices(self.shape[0])
        self.largest_read = max(self.largest_read, b - a)
        base = np.random.default_rng(a).random((1, self.shape[1]), np.float32)
        return np.abs(np.sin(base + np.arange(a, b, dtype=np.float32)[:, None]))  # (b - a, d) in [0, 1]


def test_evaluating_data_larger_than_a_worker_memory_limit(client):
    """655 MB of inputs (a worker may hold 600 MB, ~250 MB of which are the imported
    libraries): read, shipped and scored 16 MB at a time, never gathered in one place."""
    n, d = 40_000, 4096
    X = _GeneratedRows(n, d)
    y = np.arange(n) % 10
    assert n * d * 4 > MEMORY_LIMIT
    snn = convert(mlp((d, 8, 10), random_state=0), X[0:64], method="shift")
    before = set(client.scheduler_info()["workers"])
    remote = evaluate(snn, (X, y), timesteps=4, batch_size=1000, client=client)
    local = evaluate(snn, (X, y), timesteps=4, batch_size=1000)
    assert remote == local and remote["n_samples"] == n and X.largest_read == 1000
    assert remote["counts"]["neuron_updates"] == n * 4 * 18  # 8 hidden + 10 output neurons, 4 steps
    assert set(client.scheduler_info()["workers"]) == before  # no worker was killed for its memory
