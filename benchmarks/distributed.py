"""Scaling on Dask: dataset conversion and evaluation, single process vs a LocalCluster of 1 and
2 worker processes (one thread each), and the per-task overhead Dask adds.

Cases (``ratio = peer_s / spikecore_s``; the "peer" is spikecore's own single-process path, so the
ratio is the speed-up of the Dask run):

* ``convert_folder`` of two folders, every case reported:
  - ``nmnist``: N generated N-MNIST ``.bin`` files (written with spikecore's AER writer, ~4000
    events each like the real recordings; the per-file work is small, ~0.3 ms);
  - ``prophesee``: M long Prophesee EVT 3.0 recordings (304 x 240 sensor like the Gen1 / ATIS
    automotive recordings, K events each, class folders ``train/<class>/*.raw``, written with
    spikecore's EVT 3.0 writer), where the per-file work dominates.
  On a cluster each task converts a batch of files and writes a part file; the client
  assembles the parts into the one HDF5 file. The stages are also timed alone, in this
  process, to say where the time goes: decoding (``convert_file``), the workers' whole work
  (decode, check, write the part: ``convert_files`` into a part), the client's assembly
  (read the parts, write the final file), as shares of the single-process run; the bound
  2 cores put on 2 workers is ``single / max(assembly, (workers' work + assembly) / 2)``.
* ``evaluate``: a converted digits MLP (``method="data"``, Poisson input, T steps) scored over
  the digits test rows repeated to n samples, chunks of 500;
* ``local_cluster``: the 2-worker cases again on :func:`spikecore.distributed.local_cluster`
  (what ``--workers 2`` starts), whose workers get glibc malloc settings that keep numpy
  temporaries on the heap (Dask's default ``MALLOC_TRIM_THRESHOLD_=65536`` turns off glibc's
  adaptive mmap threshold, so every large temporary is unmapped when freed and page-faulted in
  again), to show what that default costs;
* ``two independent processes``: the ceiling two workers can reach on this machine, without
  Dask: two fresh processes (warmed up) each convert half of the files into their own file at
  the same moment, against one such process converting all of them (no scheduler, no parts,
  no assembly: the two-worker run does strictly more work than this);
* ``task overhead``: N no-op tasks through ``client.map`` + ``gather`` and through the bounded
  in-order window spikecore uses (``map_in_order``), divided by N.

Timings exclude the cluster start and the JIT warm-up (one small run on every worker first,
reported as ``compile_s``). Each Dask case is timed in turn with the single-process run (best
of 3 each, a fresh destination each time), and its ratio uses that single-process time, so
the two meet the same moments of a machine whose speed drifts (a shared VM).

Run: ``python benchmarks/distributed.py [--quick] [--json] [--files N] [--recordings M]
[--events K]``.
"""
import argparse
import functools
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


def make_prophesee_folder(root, n_files, events_per_file, seed=0):
    """Class folders train/{car,pedestrian}/NNNN_td.raw of EVT 3.0 recordings on a 304 x 240
    sensor, ~10 s each."""
    from spikecore.datasets import EVENT_DTYPE, write_events
    rng = np.random.default_rng(seed)
    for k in range(n_files):
        folder = os.path.join(root, "train", ("car", "pedestrian")[k % 2])
        os.makedirs(folder, exist_ok=True)
        n = events_per_file
        ev = np.zeros(n, EVENT_DTYPE)
        ev["t"] = np.sort(rng.integers(0, 10_000_000, n))
        ev["x"], ev["y"], ev["p"] = rng.integers(0, 304, n), rng.integers(0, 240, n), rng.integers(0, 2, n)
        write_events(os.path.join(folder, "%04d_td.raw" % (k // 2)), ev, "evt3", sensor_size=(304, 240))
    return root


def _convert_when_released(src, dst, warm_src, barrier, results):
    # child process of two_process_ceiling: load spikecore and the JIT cache on a small folder,
    # wait for the others, then time the conversion of `src`
    from spikecore.datasets import convert_folder
    convert_folder(warm_src, dst + "-warm", progress=False)
    barrier.wait()
    t0 = time.perf_counter()
    convert_folder(src, dst, progress=False)
    results.put(time.perf_counter() - t0)


def _in_processes(srcs, tmp, warm_src):
    """Convert each folder of ``srcs`` in its own fresh process, all starting together; the
    time of the slowest."""
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(srcs)), ctx.Queue()
    dsts = [os.path.join(tmp, "ceiling-out-%d" % k) for k in range(len(srcs))]
    procs = [ctx.Process(target=_convert_when_released, args=(s, d, warm_src, barrier, results))
             for s, d in zip(srcs, dsts)]
    for p in procs:
        p.start()
    times = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    for d in dsts:
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(d + "-warm", ignore_errors=True)
    return max(times)


def _split_folder(src, halves):
    """Hard links of the files of ``src`` into the folders ``halves``, alternately (same layout)."""
    k = 0
    for root, _, files in sorted(os.walk(src)):
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(root, name), src)
            dst = os.path.join(halves[k % len(halves)], rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            try:
                os.link(os.path.join(root, name), dst)
            except OSError:
                shutil.copyfile(os.path.join(root, name), dst)
            k += 1


def two_process_ceiling(src, warm_src, tmp, repeat):
    """The machine's ceiling for two workers on this conversion, without Dask: two independent
    processes each converting half of the files into their own file (no scheduler, no parts,
    no assembly), against one process converting all of them, in turn, best of ``repeat``:
    ``(one_s, two_s)``."""
    halves = [os.path.join(tmp, "half-%d" % k) for k in range(2)]
    _split_folder(src, halves)
    one = two = float("inf")
    try:
        for _ in range(repeat):
            one = min(one, _in_processes([src], tmp, warm_src))
            two = min(two, _in_processes(halves, tmp, warm_src))
    finally:
        for h in halves:
            shutil.rmtree(h, ignore_errors=True)
    return one, two


def timed(fn, repeat):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def interleaved(fns, repeat, cleanup=None):
    """Best time of each function in ``fns`` (a dict name -> callable), running them in turn
    ``repeat`` times, so that every one meets the same moments of a noisy machine: ``{name:
    (best_s, last result)}``. ``cleanup()`` runs after each call, untimed."""
    best = {name: (float("inf"), None) for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            out = fn()
            elapsed = time.perf_counter() - t0
            best[name] = (min(best[name][0], elapsed), out)
            if cleanup is not None:
                cleanup()
    return best


def stage_times(src, tmp, repeat):
    """Time the stages of a conversion alone, in this process, on the folder ``src``:
    ``(decode_s, workers_s, assembly_s)`` (see the module docstring)."""
    from spikecore.datasets import SpikeDatasetWriter, convert_file, plan_folder
    from spikecore.datasets.folders import convert_files
    from spikecore.distributed.parts import part_path, parts_folder, read_part

    jobs, keys = plan_folder(src)
    decode_s, _ = timed(lambda: [convert_file(j) for j in jobs], repeat)
    W, H, P = jobs[0].sensor_size
    per_task = -(-len(jobs) // 8)  # as on a cluster of 2 worker threads (four tasks per thread)
    batches = [jobs[a:a + per_task] for a in range(0, len(jobs), per_task)]
    out = os.path.join(tmp, "stages")
    os.makedirs(out, exist_ok=True)
    best_workers = best_assembly = float("inf")
    for _ in range(repeat):
        with parts_folder(os.path.join(out, "train.h5")) as folder:
            t0 = time.perf_counter()
            infos = [convert_files(b, part_path(folder, k), W * H * P, "float64") for k, b in enumerate(batches)]
            t1 = time.perf_counter()
            with SpikeDatasetWriter(os.path.join(out, "train.h5"), W * H * P, sensor_size=(W, H, P),
                                    time_resolution=1e-6, keys=keys, time_dtype="float64") as writer:
                for info in infos:
                    for t, u, lengths, a, b in read_part(info):
                        writer.extend(t, u, lengths, info.labels[a:b], **{k: v[a:b] for k, v in info.extra.items()})
            t2 = time.perf_counter()
        best_workers, best_assembly = min(best_workers, t1 - t0), min(best_assembly, t2 - t1)
    return decode_s, best_workers, best_assembly


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 1 min)")
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--files", type=int, default=None, help="N-MNIST files to convert (default 2000; quick 400)")
    ap.add_argument("--recordings", type=int, default=None, help="Prophesee recordings (default 16; quick 6)")
    ap.add_argument("--events", type=int, default=None,
                    help="events per Prophesee recording (default 1000000; quick 300000)")
    args = ap.parse_args(argv)
    try:
        import dask  # noqa: F401  (the extra is what is checked)
        import distributed
    except ImportError:
        print("benchmarks/distributed.py needs dask[distributed]: pip install 'spikecore[dask]'", file=sys.stderr)
        return 1
    from spikecore.conversion import convert, mlp
    from spikecore.datasets import convert_folder, load_digits
    from spikecore.distributed import evaluate
    from spikecore.distributed import local_cluster
    from spikecore.distributed._dask import map_in_order

    n_files = args.files or (400 if args.quick else 2000)
    n_rec = args.recordings or (6 if args.quick else 16)
    n_events = args.events or (300_000 if args.quick else 1_000_000)
    n_eval = 4000 if args.quick else 20000
    T = 32
    n_noop = 500 if args.quick else 2000
    repeat = 1 if args.quick else 3
    rows = []

    def record(case, dask_s, local_s, compile_s=None, **extra):
        rows.append(dict(benchmark="distributed", case=case, spikecore_s=dask_s,
                         peer="single process" if local_s is not None else None, peer_s=local_s,
                         ratio=None if local_s is None else local_s / dask_s, compile_s=compile_s, **extra))

    tmp = tempfile.mkdtemp(prefix="spikecore-bench-dask-")
    try:
        folders = {"nmnist": (make_nmnist_folder(os.path.join(tmp, "NMNIST"), n_files),
                              "%d N-MNIST files" % n_files),
                   "prophesee": (make_prophesee_folder(os.path.join(tmp, "Gen1"), n_rec, n_events),
                                 "%d Prophesee EVT3 recordings of %d events" % (n_rec, n_events))}
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
        convert_folder(folders["nmnist"][0], os.path.join(tmp, "warm"), progress=False)
        local_compile = time.perf_counter() - t0
        local = {}
        warm_src = make_nmnist_folder(os.path.join(tmp, "warm-src"), 20)
        for name, (src, what) in folders.items():
            one_s, two_s = two_process_ceiling(src, warm_src, tmp, repeat)
            record("convert_folder %s: two independent processes, half of the files each, no Dask "
                   "(the 2-worker ceiling of this machine)" % what, two_s, one_s)
        for name, (src, what) in folders.items():
            local[name], _ = timed(lambda: convert_folder(src, os.path.join(tmp, "local"), progress=False), repeat)
            decode_s, workers_s, assembly_s = stage_times(src, tmp, repeat)
            bound = local[name] / max(assembly_s, (workers_s + assembly_s) / 2)
            record("convert_folder %s: stages alone in one process (time = workers' work: decode, check, "
                   "write parts)" % what, workers_s, local[name],
                   decode_share=decode_s / local[name], workers_share=workers_s / local[name],
                   assembly_share=assembly_s / local[name], assembly_s=assembly_s, two_core_bound=bound)
        eval_local, local_result = timed(lambda: evaluate(snn, (Xe, ye), timesteps=T, batch_size=500,
                                                          random_state=0), repeat)

        for workers, tuned in ((1, False), (2, False), (2, True)):
            # tuned: spikecore's local_cluster (worker malloc settings, WORKER_MALLOC), else Dask's default
            if tuned:
                cluster = local_cluster(workers)
            else:
                cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                   dashboard_address=":0", silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
            label = "%d worker%s%s" % (workers, "s" * (workers > 1), ", local_cluster" if tuned else "")
            try:
                t0 = time.perf_counter()
                evaluate(snn, (Xe[:500 * workers], ye[:500 * workers]), timesteps=T, batch_size=500,
                         random_state=0, client=client)
                convert_folder(folders["nmnist"][0], os.path.join(tmp, "warm"), progress=False, client=client)
                warm = time.perf_counter() - t0
                out = os.path.join(tmp, "out")
                clean = functools.partial(shutil.rmtree, out, ignore_errors=True)
                for name, (src, what) in folders.items():
                    # the single-process run again, interleaved with the Dask one: both meet the
                    # same load on this shared machine; a fresh destination each time (as a user's)
                    best = interleaved({"local": lambda: convert_folder(src, out, progress=False),
                                        "dask": lambda: convert_folder(src, out, progress=False, client=client)},
                                       repeat, clean)
                    record("convert_folder %s, %s" % (what, label), best["dask"][0], best["local"][0], warm)
                best = interleaved({"local": lambda: evaluate(snn, (Xe, ye), timesteps=T, batch_size=500,
                                                              random_state=0),
                                    "dask": lambda: evaluate(snn, (Xe, ye), timesteps=T, batch_size=500,
                                                             random_state=0, client=client)}, repeat)
                assert best["dask"][1] == local_result, "the Dask evaluation differs from the local one"
                record("evaluate %d samples T=%d, %s" % (n_eval, T, label), best["dask"][0], best["local"][0], warm,
                       samples_per_s=n_eval / best["dask"][0])
                if workers == 2 and not tuned:
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
            if "assembly_share" in r:
                print("|   shares of single process: decode %.0f %%, workers' work %.0f %%, assembly %.0f %% "
                      "(%.2f s); 2-core bound %.2fx | | | |" % (100 * r["decode_share"], 100 * r["workers_share"],
                                                              100 * r["assembly_share"], r["assembly_s"],
                                                              r["two_core_bound"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
