"""AER decoding throughput: spikecore's Cython readers vs Tonic and expelliarmus, in one run.

Cases: N-MNIST (1e6 and 1e7 events; peer: Tonic's ``read_mnist_file``) and Prophesee EVT 3.0 /
EVT 2.0 (1e6 and 1e7 events; peer: expelliarmus ``Wizard.read``; Tonic has no EVT reader of its
own, reported as ``peer_s: null``). Input files are generated with spikecore's writers in a
temporary folder. Peers that cannot be imported here run in another interpreter
(``--peer-python``, default ``$SPIKECORE_PEER_PYTHON`` or ``/work/venv-tonic/bin/python``) through
a subprocess; each JSON line says which interpreter and NumPy version each side used.

    python benchmarks/aer.py [--quick] [--json] [--repeat N] [--peer-python PATH]

Timings are the best of ``--repeat`` runs with the file in the page cache; Cython compiles at
install time, so ``compile_s`` is 0.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from spikecore.datasets.aer import EVENT_DTYPE, read_events, write_events

PEER_SCRIPT = r"""
import json, sys, time
import numpy as np
kind, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
info = {"python": sys.executable, "numpy": np.__version__}
def best(fn):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t0)
    return min(times), len(out)
try:
    if kind == "tonic-nmnist":
        import tonic
        from tonic.io import read_mnist_file
        info["version"] = tonic.__version__
        dtype = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])
        info["seconds"], info["events"] = best(lambda: read_mnist_file(path, dtype=dtype))
    else:
        import expelliarmus
        from importlib.metadata import version
        info["version"] = version("expelliarmus")
        wizard = expelliarmus.Wizard(encoding=kind.split("-")[1])
        info["seconds"], info["events"] = best(lambda: wizard.read(path))
except Exception as exc:
    info["error"] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(info))
"""


def make_nmnist(path, n, rng):
    ev = np.zeros(n, EVENT_DTYPE)
    ev["t"] = np.cumsum(rng.integers(0, 4, n))  # long streams cross 2^23 µs: overflow markers
    ev["x"] = rng.integers(0, 34, n)
    ev["y"] = rng.integers(0, 34, n)
    ev["p"] = rng.integers(0, 2, n)
    write_events(path, ev, "nmnist")


def make_prophesee(path, n, rng, fmt):
    """Camera-like stream: bursts of events along rows (runs of neighbouring x), 1280 x 720."""
    ev = np.zeros(n, EVENT_DTYPE)
    ev["t"] = np.cumsum(rng.random(n) < 0.3)
    ev["y"] = rng.integers(0, 720, n)
    ev["p"] = rng.integers(0, 2, n)
    run = rng.random(n) < 0.5  # half the events continue their neighbour's row
    ev["y"][1:][run[1:]] = ev["y"][:-1][run[1:]]
    ev["p"][1:][run[1:]] = ev["p"][:-1][run[1:]]
    x = rng.integers(0, 1270, n)
    # x of a continued run: previous x + 1 (vectorised: count steps since the run start)
    start = np.where(~run, np.arange(n), 0)
    start = np.maximum.accumulate(start)
    ev["x"] = np.minimum(1279, x[start] + (np.arange(n) - start))
    write_events(path, ev, fmt, sensor_size=(1280, 720))


def time_spikecore(path, repeat):
    read_events(path)  # page cache, imports
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        ev = read_events(path)
        best = min(best, time.perf_counter() - t0)
    return best, len(ev)


def run_peer(kind, path, repeat, peer_python):
    """Time a peer reader: in this interpreter if importable, else in ``peer_python``."""
    module = "tonic" if kind.startswith("tonic") else "expelliarmus"
    try:
        __import__(module)
        python = sys.executable
    except Exception:
        python = peer_python
    if not python or not os.path.exists(python):
        return {"error": "%s not importable and no peer interpreter at %r" % (module, python)}
    proc = subprocess.run([python, "-c", PEER_SCRIPT, kind, str(path), str(repeat)],
                          capture_output=True, text=True, timeout=1200)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": (proc.stderr or proc.stdout)[-300:]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e6 events only, fewer repeats (< 1 min)")
    parser.add_argument("--json", action="store_true", help="one JSON object per measured case")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--peer-python", default=os.environ.get("SPIKECORE_PEER_PYTHON", "/work/venv-tonic/bin/python"))
    args = parser.parse_args(argv)
    sizes = [10**6] if args.quick else [10**6, 10**7]
    repeat = args.repeat or (3 if args.quick else 5)
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="spikecore-aer-bench-") as tmp:
        for fmt, peers in (("nmnist", ["tonic-nmnist"]), ("evt3", ["expelliarmus-evt3", "tonic"]),
                           ("evt2", ["expelliarmus-evt2", "tonic"])):
            for n in sizes:
                path = os.path.join(tmp, "%s_%d.%s" % (fmt, n, "bin" if fmt == "nmnist" else "raw"))
                if fmt == "nmnist":
                    make_nmnist(path, n, rng)
                else:
                    make_prophesee(path, n, rng, fmt)
                ours, count = time_spikecore(path, repeat)
                for peer in peers:
                    row = {"benchmark": "aer", "case": "%s_%.0e" % (fmt, n), "events": count,
                           "file_mb": round(os.path.getsize(path) / 2**20, 1), "spikecore_s": ours,
                           "spikecore_mev_s": round(count / ours / 1e6, 1), "compile_s": 0.0,
                           "python": sys.executable, "numpy": np.__version__, "peer": peer.split("-")[0],
                           "peer_s": None, "ratio": None}
                    if peer == "tonic":
                        row["peer_note"] = "Tonic has no EVT 2.0/3.0 reader of its own (it delegates to expelliarmus)"
                    else:
                        info = run_peer(peer, path, repeat, args.peer_python)
                        if "seconds" in info:
                            row.update(peer_s=info["seconds"], ratio=info["seconds"] / ours,
                                       peer_events=info["events"], peer_python=info["python"],
                                       peer_numpy=info["numpy"], peer_version=info["version"],
                                       peer_mev_s=round(info["events"] / info["seconds"] / 1e6, 1))
                        else:
                            row["peer_note"] = info.get("error")
                    rows.append(row)
                    if args.json:
                        print(json.dumps(row), flush=True)
                    else:
                        print("%-10s %-12s spikecore %7.4f s (%6.1f Mev/s)  peer %s" % (
                            row["case"], row["peer"], ours, row["spikecore_mev_s"],
                            "-" if row["peer_s"] is None else "%7.4f s (%6.1f Mev/s)  ratio %.2f" % (
                                row["peer_s"], row["peer_mev_s"], row["ratio"])), flush=True)
                os.remove(path)
    return rows


if __name__ == "__main__":
    main()
