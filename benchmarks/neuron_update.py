"""LIF update throughput against the machine's memory bandwidth, and the cold-start cost.

One LIF step (:func:`spikecore.kernels.neurons.lif_step`, exact integration, called by the
time-looping ``lif_run`` on a ``(T, 1, N)`` input) moves, per neuron, 17 bytes: it reads the
float32 potential, the int32 refractory counter and the float32 input current (12 B) and writes
the potential and a bool spike (5 B). The peer is the memory-bandwidth limit measured in the same
run: ``numpy.copyto`` of a buffer of 17 N T / 2 bytes, which moves (read + write) the same
17 N T bytes as the timed ``lif_run`` call of T steps; its time is divided by T. So
``ratio = peer_s / spikecore_s`` is the fraction of the copy bandwidth the neuron update achieves
(goal: >= 0.5). The copy is always larger than the caches; at small N the neuron state stays in
cache between steps while the input current streams from memory, so the fraction can exceed 1.

Cold start: a fresh Python process imports spikecore and calls ``LIF().run`` once, (a) with
Numba's on-disk cache beside the kernels (populated), (b) with ``NUMBA_CACHE_DIR`` set to an
empty temporary folder, so every kernel it needs is compiled. Reported as one JSON line with
``spikecore_s`` = cached first call, ``peer_s`` = uncached first call.

    python benchmarks/neuron_update.py [--quick] [--json] [--repeat N]

Single-threaded on both sides (Numba kernel and NumPy copy).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np

from spikecore.neurons import LIF

BYTES_PER_UPDATE = 17            # read v, refrac, current (12 B); write v, spike (5 B)
ELEMENTS_PER_RUN = 10_000_000    # T * N of one timed lif_run call (40 MB of input current)

COLD_SCRIPT = r"""
import time
t0 = time.perf_counter()
import numpy as np
from spikecore.neurons import LIF
t1 = time.perf_counter()
LIF(t_ref=2e-3).run(np.ones((10, 1, 100), np.float32), 1e-4)
t2 = time.perf_counter()
print("%r %r" % (t1 - t0, t2 - t1))
"""


def _best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def throughput_case(n, repeat, rng):
    """Time one LIF step per neuron for ``n`` neurons and a copy moving the same bytes."""
    steps = max(2, ELEMENTS_PER_RUN // n)
    model = LIF(tau_mem=20e-3, t_ref=2e-3)
    current = rng.uniform(0.0, 2.5, size=(steps, 1, n)).astype(np.float32)
    state = model.init_state(1, n, v=rng.uniform(0.0, 1.0, size=(1, n)))
    params = model.step_params(1e-4)
    spikes = np.zeros((steps, 1, n), bool)
    trace = np.zeros((0, 1, n), np.float32)
    args = (state["v"], state["refrac"], current) + params + (spikes, trace)

    t0 = time.perf_counter()
    model.kernel_run(*args)                       # first call: JIT compile or cache load
    compile_s = time.perf_counter() - t0
    run_s = _best(lambda: model.kernel_run(*args), repeat)
    per_step = run_s / steps
    rate = spikes.mean() / 1e-4

    half = BYTES_PER_UPDATE * n * steps // 2
    src = np.ones(half, np.uint8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    copy_s = _best(lambda: np.copyto(dst, src), repeat) / steps
    return {
        "benchmark": "neuron_update", "case": "LIF exact step, N=%.0e" % n,
        "spikecore_s": per_step, "peer": "numpy.copyto moving the same bytes (bandwidth limit)",
        "peer_s": copy_s, "ratio": copy_s / per_step, "compile_s": compile_s,
        "neurons": n, "steps_per_call": steps, "updates_per_s": n / per_step,
        "lif_GB_per_s": BYTES_PER_UPDATE * n / per_step / 1e9,
        "copy_GB_per_s": 2 * half / steps / copy_s / 1e9, "mean_rate_hz": float(rate),
    }


def _cold(env):
    out = subprocess.run([sys.executable, "-c", COLD_SCRIPT], env=env, capture_output=True,
                         text=True, check=True)
    imp, first = (float(x) for x in out.stdout.split())
    return imp, first


def cold_start_case():
    """First call in a fresh process, with and without Numba's on-disk cache."""
    env = dict(os.environ)
    env.pop("NUMBA_CACHE_DIR", None)
    _cold(env)                                    # make sure the default cache is populated
    cached = min((_cold(env) for _ in range(3)), key=lambda r: r[1])
    with tempfile.TemporaryDirectory(prefix="spikecore-numba-cache-") as tmp:
        env_nc = dict(env, NUMBA_CACHE_DIR=tmp)
        uncached = _cold(env_nc)                  # empty cache: compiles
        recached = _cold(env_nc)                  # the temp cache is now populated
    return {
        "benchmark": "neuron_update", "case": "cold start: import + first LIF.run in a fresh process",
        "spikecore_s": cached[1], "peer": "same without on-disk cache (empty NUMBA_CACHE_DIR)",
        "peer_s": uncached[1], "ratio": uncached[1] / cached[1], "compile_s": uncached[1],
        "import_s": cached[0], "import_uncached_s": uncached[0],
        "first_call_after_recache_s": recached[1],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e5 and 1e6 neurons only (< 1 min)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--repeat", type=int, default=None, help="timed repetitions (best of)")
    args = parser.parse_args(argv)
    sizes = [100_000, 1_000_000] if args.quick else [100_000, 1_000_000, 10_000_000]
    repeat = args.repeat or (3 if args.quick else 7)
    rng = np.random.default_rng(0)

    rows = [throughput_case(n, repeat, rng) for n in sizes]
    rows.append(cold_start_case())
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print("spikecore neuron_update: Python %s, NumPy %s, Numba %s, %s, %d CPU(s)"
          % (platform.python_version(), np.__version__, numba.__version__, platform.machine(),
             os.cpu_count() or 0))
    print("%-28s %12s %12s %10s %10s %9s %9s"
          % ("case", "step s", "copy s", "Gupd/s", "LIF GB/s", "copy GB/s", "fraction"))
    for r in rows[:-1]:
        print("%-28s %12.3e %12.3e %10.3f %10.2f %9.2f %9.2f"
              % (r["case"], r["spikecore_s"], r["peer_s"], r["updates_per_s"] / 1e9,
                 r["lif_GB_per_s"], r["copy_GB_per_s"], r["ratio"]))
    c = rows[-1]
    print("cold start (fresh process): import %.3f s; first LIF.run %.3f s with cache, %.3f s "
          "without (compile), %.1fx" % (c["import_s"], c["spikecore_s"], c["peer_s"], c["ratio"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
