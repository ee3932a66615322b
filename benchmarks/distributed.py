"""Scaling on Dask: dataset conversion and evaluation, single process vs a LocalCluster of 1 and
2 worker processes (one thread each), and the per-task overhead Dask adds.

Cases (``ratio = peer_s / spikecore_s``; the "peer" is spikecore's own single-process path, so the
ratio is the speed-up of the Dask run):

* ``convert_folder``: N generated N-MNIST ``.bin`` files (written with spikecore's AER writer,
  ~4000 events each like the real recordings) -> one HDF5 spike dataset; also the time of the
  per-file work alone (``convert_file`` over every file), whose share of the single-process
  run bounds the speed-up (the HDF5 writing stays in the client, Amdahl's law);
* ``evaluate``: a converted digits MLP (``method="data"``, Poisson input, T steps) scored over
  the digits test rows repeated to n samples, chunks of 500;
* ``task overhead``: N no-op tasks through ``client.map`` + ``gather`` and through the bounded
  in-order window spikecore uses (``map_in_order``), divided by N.

Timings exclude the cluster start and the JIT warm-up (one small run on every worker first,
reported as ``compile_s``).

Run: ``python benchmarks/distributed.py [--quick] [--json]``.
"""
import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time

import operator

import numpy as np

# This file is named like Dask's package: keep "import distributed" from finding it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

_noop = operator.index  # returns its int argument: a task that does nothing


def make_nmnist_folder(root, n_files, events_per_file=4000, seed=0):
    """N-MNIST layout Train/<digit>/NNNNN.bin with random saccade-like events (34 x 34 sensor)."""
    from spikecore.datasets import EVENT_DTYPE, write_events
    rng = np.random.default_rng(seed)
    for k in range(n_files):
        folder = os.path.join(root, "Train", str(k % 10))
        os.makedirs(folder, exist_ok=True)
        n = int(rng.integers(events_per_file // 2, events_per_file * 3 // 2))
        ev = np.zeros(n, EVENT_DTYPE)
        ev["t"] = np.sort(rng.integers(0, 300_000, n))
        ev["x"], ev["y"], ev["p"] = rng.integers(0, 34, n), rng.integers(0, 34, n), rng.integers(0, 2, n)
        write_events(os.path.join(folder, "%05d.bin" % (k // 10)), ev, "nmnist")
    return root


def timed(fn, repeat):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 1 min)")
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--files", type=int, default=None, help="N-MNIST files to convert (default 400; quick 120)")
    args = ap.parse_args(argv)
    try:
        import distributed
    except ImportError:
        print("benchmarks/distributed.py needs dask[distributed]: pip install 'spikecore[dask]'", file=sys.stderr)
        return 1
    from spikecore.conversion import convert, mlp
    from spikecore.datasets import convert_file, convert_folder, load_digits, plan_folder
    from spikecore.distributed import evaluate
    from spikecore.distributed._dask import map_in_order

    n_files = args.files or (120 if args.quick else 400)
    n_eval = 4000 if args.quick else 20000
    T = 32
    n_noop = 500 if args.quick else 2000
    repeat = 1 if args.quick else 2
    rows = []

    def record(case, dask_s, local_s, compile_s=None, **extra):
        rows.append(dict(benchmark="distributed", case=case, spikecore_s=dask_s,
                         peer="single process" if local_s is not None else None, peer_s=local_s,
                         ratio=None if local_s is None else local_s / dask_s, compile_s=compile_s, **extra))

    tmp = tempfile.mkdtemp(prefix="spikecore-bench-dask-")
    try:
        src = make_nmnist_folder(os.path.join(tmp, "NMNIST"), n_files)
        # evaluation model and data (the ANN trained once here, not timed)
        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
        ann = mlp((64, 128, 64, 10), random_state=0)
        ann.fit(X[:1300], y[:1300], epochs=10, random_state=0)
        snn = convert(ann, X[:500], method="data")
        reps = -(-n_eval // (len(X) - 1300))
        Xe, ye = np.tile(X[1300:], (reps, 1))[:n_eval], np.tile(y[1300:], reps)[:n_eval]

        # single process
        t0 = time.perf_counter()
        evaluate(snn, (Xe[:500], ye[:500]), timesteps=T, batch_size=500, random_state=0)  # JIT warm-up
        convert_folder(src, os.path.join(tmp, "warm"), progress=False)
        local_compile = time.perf_counter() - t0
        jobs, _ = plan_folder(src)
        per_file_s, _ = timed(lambda: [convert_file(j) for j in jobs], repeat)
        conv_local, _ = timed(lambda: convert_folder(src, os.path.join(tmp, "local"), progress=False), repeat)
        eval_local, local_result = timed(lambda: evaluate(snn, (Xe, ye), timesteps=T, batch_size=500,
                                                          random_state=0), repeat)
        record("convert_folder %d files, per-file work only (no writing)" % n_files, per_file_s, conv_local,
               share_of_single_process=per_file_s / conv_local)

        for workers in (1, 2):
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=":0", silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
            try:
                t0 = time.perf_counter()
                evaluate(snn, (Xe[:500 * workers], ye[:500 * workers]), timesteps=T, batch_size=500,
                         random_state=0, client=client)
                convert_folder(src, os.path.join(tmp, "warm"), progress=False, client=client)
                warm = time.perf_counter() - t0
                conv_s, _ = timed(lambda: convert_folder(src, os.path.join(tmp, "dask"), progress=False,
                                                         client=client), repeat)
                record("convert_folder %d N-MNIST files, %d worker%s" % (n_files, workers, "s" * (workers > 1)),
                       conv_s, conv_local, warm, files_per_s=n_files / conv_s)
                eval_s, result = timed(lambda: evaluate(snn, (Xe, ye), timesteps=T, batch_size=500, random_state=0,
                                                        client=client), repeat)
                assert result == local_result, "the Dask evaluation differs from the local one"
                record("evaluate %d samples T=%d, %d worker%s" % (n_eval, T, workers, "s" * (workers > 1)),
                       eval_s, eval_local, warm, samples_per_s=n_eval / eval_s)
                if workers == 2:
                    map_s, _ = timed(lambda: client.gather(client.map(_noop, range(n_noop), pure=False)), repeat)
                    record("task overhead: client.map of %d no-op tasks, per task" % n_noop, map_s / n_noop, None)
                    window_s, _ = timed(lambda: list(map_in_order(client, _noop, ((i,) for i in range(n_noop)))),
                                        repeat)
                    record("task overhead: map_in_order window of %d no-op tasks, per task" % n_noop,
                           window_s / n_noop, None)
            finally:
                client.close()
                cluster.close()
        rows.insert(0, dict(benchmark="distributed", case="single process compile / warm-up", spikecore_s=None,
                            peer=None, peer_s=None, ratio=None, compile_s=local_compile))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        for r in rows:
            print(json.dumps(r))
    else:
        print("spikecore on Dask LocalCluster (1 thread per worker); ratio = single-process time / this time")
        print("| case | time (s) | single process (s) | speed-up |")
        print("|---|---:|---:|---:|")
        for r in rows:
            if r["spikecore_s"] is None:
                continue
            t = r["spikecore_s"]
            shown = "%.2f ms" % (1e3 * t) if t < 0.1 else "%.2f" % t
            print("| %s | %s | %s | %s |" % (r["case"], shown, "" if r["peer_s"] is None else "%.2f" % r["peer_s"],
                                            "" if r["ratio"] is None else "%.2fx" % r["ratio"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
