r"""CUBA network benchmark: spikecore against Brian2 (Cython runtime, C++ standalone, NumPy runtime) and NEST.

The CUBA network of Vogels & Abbott (2005) as in Brette et al. (2007) and Brian2's
``examples/CUBA.py`` (see :func:`spikecore.network.examples.cuba`), 1 s of biological time at
dt = 0.1 ms, N = 4 000, 20 000 and 100 000 neurons with p = 80/N. Both simulators get the SAME
network: the connectivity and initial potentials drawn by spikecore are exported to Brian2.
Both run on one thread, in float64 and again in float32 (``--dtypes``): spikecore's
``CurrentLIF(dtype=np.float32, arithmetic=np.float32)`` against Brian2 with
``prefs.core.default_float_dtype = float32``, both single precision throughout (those rows' case
is ``"N=4000 float32"``; NEST, double precision only, is not run for them).
NEST 3 (``_nest_cuba.py``, ``iaf_psc_exp``: the same model with currents
:math:`I = g\,C_m/\tau_m`) gets the same network too, with ``--nest-threads`` OpenMP threads
(default: every core; it ran 2.6x faster on 2 threads than on 1 here); its spikes are the same
statistics, not the same spikes (it integrates each step exactly, in its own order).

Timings exclude network construction and compilation, which are reported separately
(``build_s``, ``compile_s``; Brian2's in ``peer_build_s``, ``peer_compile_s``). Each Brian2
target runs in a fresh worker process (``_brian2_cuba.py``), since Brian2 keeps global device
state. ``ratio = peer_s / spikecore_s`` (above 1: spikecore is faster).

``state_floor_s`` (spikecore rows) is the time of 10 000 passes that only read and write the
neuron state (no model, no synapses): the memory traffic the neuron update cannot avoid, as a
floor to read ``spikecore_s`` against.

    python benchmarks/cuba.py                 # N = 4000, 20000, 100000; all peers; float64, float32
    python benchmarks/cuba.py --quick --json  # N = 4000 only, C++ standalone target
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PEERS = ("brian2_cpp_standalone", "brian2_cython", "brian2_numpy", "nest")


def _spikecore_case(n, repeats, seed, dtype="float64"):
    from spikecore.network.examples import cuba, cuba_export

    f = np.dtype(dtype).type  # float32: single-precision state AND arithmetic
    t0 = time.perf_counter()
    small, _ = cuba(200, seed=seed, dtype=f, arithmetic=f)
    small.run(20)  # compiles the fused loop for this dtype (or loads it from Numba's cache)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net, pop = cuba(n, seed=seed, dtype=f, arithmetic=f)
    build_s = time.perf_counter() - t0
    walls, spikes = [], None
    for _ in range(repeats):
        net.reset()
        res = net.run(10000)
        walls.append(res.wall_s)
        spikes = int(res.counts.sum())
    return dict(spikecore_s=float(np.median(walls)), compile_s=compile_s, build_s=build_s,
                spikecore_spikes=spikes, export=cuba_export(net, pop))


def _state_floor(n, steps=10000, repeats=3, dtype="float64"):
    """Seconds that ``steps`` passes over the CUBA neuron state alone take: read and write
    ``v``, ``g_e``, ``g_i`` (``dtype``), the refractory counter (int32) and write the spike
    flags (uint8) of ``n`` neurons, with one multiplication each and nothing else.

    The neuron update moves exactly these bytes every step (57 per neuron in float64, 33 in
    float32), so this pass is a floor for it on this machine: at N = 4 000 the 228 KB of
    float64 state live in the core's L2 cache, at N = 100 000 (5.7 MB; 3.3 MB in float32) in
    L3, and the time is set by those caches' bandwidth, not by the arithmetic.
    """
    import numba

    @numba.njit
    def stream(v, ge, gi, ref, spk, steps):
        for _ in range(steps):
            for j in range(v.shape[0]):
                v[j] = v[j] * v[j]
                ge[j] = ge[j] * ge[j]
                gi[j] = gi[j] * gi[j]
                ref[j] = ref[j] + 1
                spk[j] = 0

    arrays = (np.ones(n, dtype), np.ones(n, dtype), np.ones(n, dtype), np.zeros(n, np.int32),
              np.zeros(n, np.uint8))
    stream(*arrays, 1)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        stream(*arrays, steps)
        best = min(best, time.perf_counter() - t0)
    return best


def _network_file(export, workdir):
    inp = os.path.join(workdir, "net_%d.npz" % export["n"])
    if not os.path.exists(inp):
        np.savez(inp, pre_e=export["pre_e"], post_e=export["post_e"], pre_i=export["pre_i"],
                 post_i=export["post_i"], v0=export["v0"], n=export["n"], duration_s=1.0,
                 dt_s=1e-4)
    return inp


def _run_worker(python, script, *args):
    """Run a peer's worker script in a fresh process; ``None``, or its last lines of output on failure."""
    proc = subprocess.run([python, str(HERE / script)] + [str(a) for a in args], capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    return " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])


def _nest_case(export, python, workdir, threads):
    """NEST 3 (``_nest_cuba.py``) on the same network, in a fresh process; ``threads`` OpenMP threads."""
    inp = _network_file(export, workdir)
    out = os.path.join(workdir, "out_nest_%d.json" % export["n"])
    error = _run_worker(python, "_nest_cuba.py", threads, inp, out)
    if error:
        return dict(peer_s=None, error=error)
    with open(out) as f:
        meta = json.load(f)
    return dict(peer_s=meta["run_s"], peer_build_s=meta["build_s"], peer_spikes=meta["n_spikes"],
                nest_version=meta["nest"], peer_threads=threads)


def _brian2_case(peer, export, python, workdir, dtype="float64"):
    target = peer[len("brian2_"):]
    inp = _network_file(export, workdir)
    out = os.path.join(workdir, "out_%s_%d_%s.npz" % (target, export["n"], dtype))
    error = _run_worker(python, "_brian2_cuba.py", target, inp, out, dtype)
    if error:
        return dict(peer_s=None, error=error)
    data = np.load(out)
    meta = json.loads(str(data["meta"]))
    return dict(peer_s=meta["run_s"], peer_compile_s=meta["compile_s"],
                peer_build_s=meta["build_s"], peer_spikes=int(data["i"].size),
                brian2_version=meta["brian2"], peer_numpy_version=meta["numpy"])


def _peer_python(requested, module="brian2"):
    """The interpreter that runs the peer's workers, or None when ``module`` is not importable there."""
    python = requested or sys.executable
    probe = subprocess.run([python, "-c", "import %s" % module], capture_output=True, text=True)
    return python if probe.returncode == 0 else None


def _cold_start(seed):
    """Wall time of a fresh process that builds and runs CUBA 4000 for 1 s (Numba cache warm)."""
    code = ("import time; t0 = time.perf_counter(); "
            "from spikecore.network.examples import cuba; "
            "net, pop = cuba(4000, seed=%d); net.run(10000); "
            "print(time.perf_counter() - t0)" % seed)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="N = 4000 only, Brian2 C++ standalone target (< 1 min)")
    ap.add_argument("--json", action="store_true", help="one JSON object per (size, peer)")
    ap.add_argument("--sizes", type=int, nargs="*", help="network sizes (default 4000 20000 100000)")
    ap.add_argument("--peers", nargs="*", choices=PEERS, help="Brian2 targets to run")
    ap.add_argument("--repeats", type=int, default=3, help="spikecore repeats (median)")
    ap.add_argument("--brian2-python", help="interpreter with brian2 installed (default: this one)")
    ap.add_argument("--nest-python", help="interpreter with NEST installed (default: this one)")
    ap.add_argument("--nest-threads", type=int, default=os.cpu_count() or 1,
                    help="NEST's OpenMP threads (default: all cores; spikecore runs on one)")
    ap.add_argument("--dtypes", nargs="*", choices=("float64", "float32"),
                    default=["float64", "float32"],
                    help="precisions to run (float32: single-precision state and arithmetic on both sides)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    sizes = args.sizes or ([4000] if args.quick else [4000, 20000, 100000])
    peers = args.peers or (["brian2_cpp_standalone"] if args.quick else list(PEERS))
    repeats = 1 if args.quick else args.repeats
    python = _peer_python(args.brian2_python)
    nest_python = _peer_python(args.nest_python, "nest")
    cold = _cold_start(args.seed)
    rows = []
    with tempfile.TemporaryDirectory(prefix="spikecore-cuba-") as workdir:
        for n, dtype in [(n, d) for n in sizes for d in args.dtypes]:
            sc = _spikecore_case(n, repeats, args.seed, dtype)
            sc["state_floor_s"] = _state_floor(n, dtype=dtype)
            export = sc.pop("export")
            for peer in peers:
                if peer == "nest" and dtype != "float64":
                    continue  # NEST computes in double precision only
                case = "N=%d" % n + ("" if dtype == "float64" else " " + dtype)
                row = dict(benchmark="cuba", case=case, peer=peer, dtype=dtype, **sc)
                if n == 4000 and dtype == "float64":
                    row["cold_start_s"] = cold
                if peer == "nest":
                    row.update(_nest_case(export, nest_python, workdir, args.nest_threads) if nest_python
                               else dict(peer_s=None, error="nest not importable (pip install nest-simulator)"))
                elif python is None:
                    row.update(peer_s=None, error="brian2 not importable")
                elif peer == "brian2_numpy" and n > 20000 and not args.quick:
                    row.update(peer_s=None, error="skipped: NumPy target too slow at this size")
                else:
                    row.update(_brian2_case(peer, export, python, workdir, dtype))
                row["ratio"] = (row["peer_s"] / row["spikecore_s"]) if row.get("peer_s") else None
                row["numpy_version"] = np.__version__
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
                else:
                    print("%-14s %-22s spikecore %.4f s (%d spikes; state floor %.4f s)  peer %s  ratio %s" % (
                        row["case"], peer, row["spikecore_s"], row["spikecore_spikes"], row["state_floor_s"],
                        "%.4f s (%s spikes)" % (row["peer_s"], row.get("peer_spikes"))
                        if row.get("peer_s") else "n/a (%s)" % row.get("error"),
                        "%.2f" % row["ratio"] if row["ratio"] else "n/a"), flush=True)
    if not args.json:
        print("compile (spikecore, cache load or JIT): %.2f s; cold start (fresh process, CUBA 4000 "
              "1 s): %s s" % (rows[0]["compile_s"], "%.2f" % cold if cold else "n/a"))
    return rows


if __name__ == "__main__":
    main()
