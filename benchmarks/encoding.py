"""Encoding throughput: spikecore's Poisson (and latency) encoders vs snnTorch and NumPy, one run.

Cases (a 128 x 784 float32 batch, 100 steps, i.e. 10 035 200 spike decisions):

* ``poisson``: ``spikecore.encoding.poisson`` (Philox4x32-10 counter-based RNG; blocks of time
  steps on Numba's thread count, 2 on these machines)
  against snnTorch's ``spikegen.rate`` on CPU (peer ``snntorch`` with torch's default threads,
  and ``snntorch_1thread``) and plain NumPy
  (``rng.random((T, B, N), float32) < x``, peer ``numpy``). Each line also checks the spike
  statistics: the total count is compared with its Binomial mean (5 sigma).
* ``latency``: ``spikecore.encoding.latency`` (linear, normalised) against snnTorch's
  ``spikegen.latency(..., linear=True, normalize=True)``.

    python benchmarks/encoding.py [--quick] [--json] [--repeat N]

Run it in an environment with snnTorch (e.g. ``/work/venv-torch``); without it the snnTorch
lines report ``"peer_s": null``. Timings are medians of ``--repeat`` runs; the first call
(Numba compilation or cache load) is reported as ``compile_s`` and excluded.
"""
import argparse
import json
import platform
import statistics
import time

import numpy as np

import spikecore
from spikecore.encoding import latency, poisson

BATCH, N_IN, STEPS = 128, 784, 100


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def first_call(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def poisson_stats_ok(spikes, x):
    """Total spike count within 5 sigma of its Binomial mean sum_m T p_m (variance sum T p q)."""
    p = np.asarray(x, np.float64).ravel()
    total = float(np.asarray(spikes).sum(dtype=np.float64))
    mean = STEPS * p.sum()
    sd = np.sqrt(STEPS * (p * (1 - p)).sum())
    return bool(abs(total - mean) < 5 * sd)


def load_snntorch():
    try:
        import torch
        from snntorch import spikegen
    except ImportError:
        return None, None
    return torch, spikegen


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (finishes in seconds)")
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--repeat", type=int, default=None)
    args = ap.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 15)

    x = np.random.default_rng(0).random((BATCH, N_IN), dtype=np.float32)
    elements = STEPS * BATCH * N_IN
    torch, spikegen = load_snntorch()
    rows = []
    common = {"benchmark": "encoding", "shape": [STEPS, BATCH, N_IN], "elements": elements,
              "spikecore_version": spikecore.__version__, "numpy": np.__version__,
              "python": platform.python_version()}

    # --- Poisson / rate coding -------------------------------------------------------------
    ours, compile_s = first_call(lambda: poisson(x, STEPS, random_state=1))
    ours_ok = poisson_stats_ok(ours, x)
    ours_s = median_time(lambda: poisson(x, STEPS, random_state=1), repeat)

    gen = np.random.default_rng(1)
    numpy_fn = lambda: (gen.random((STEPS, BATCH, N_IN), dtype=np.float32) < x).view(np.uint8)  # noqa: E731
    numpy_ok = poisson_stats_ok(numpy_fn(), x)
    numpy_s = median_time(numpy_fn, repeat)
    rows.append(dict(common, case="poisson", spikecore_s=ours_s, peer="numpy", peer_s=numpy_s,
                     ratio=numpy_s / ours_s, compile_s=compile_s, spikecore_stats_ok=ours_ok, peer_stats_ok=numpy_ok,
                     rng="Philox4x32-10 (spikecore) vs PCG64 (numpy)"))

    if torch is not None:
        xt = torch.from_numpy(x)
        snn_fn = lambda: spikegen.rate(xt, num_steps=STEPS)  # noqa: E731
        snn_out = snn_fn()
        snn_ok = poisson_stats_ok(snn_out.numpy(), x)
        default_threads = torch.get_num_threads()
        for threads in sorted({default_threads, 1}, reverse=True):
            torch.set_num_threads(threads)  # torch's default threads (2 here) and one
            snn_s = median_time(snn_fn, repeat)
            peer = "snntorch" if threads == default_threads else "snntorch_1thread"
            rows.append(dict(common, case="poisson", spikecore_s=ours_s, peer=peer, peer_s=snn_s,
                             ratio=snn_s / ours_s, compile_s=compile_s, spikecore_stats_ok=ours_ok,
                             peer_stats_ok=snn_ok, torch=torch.__version__, torch_threads=threads))
        torch.set_num_threads(default_threads)
    else:
        rows.append(dict(common, case="poisson", spikecore_s=ours_s, peer="snntorch", peer_s=None, ratio=None,
                         compile_s=compile_s, spikecore_stats_ok=ours_ok, note="snntorch not installed"))

    # --- latency coding --------------------------------------------------------------------
    _, lat_compile = first_call(lambda: latency(x, STEPS, threshold=0.01))
    lat_s = median_time(lambda: latency(x, STEPS, threshold=0.01), repeat)
    if torch is not None:
        xt = torch.from_numpy(x)
        def lat_fn():
            return spikegen.latency(xt, num_steps=STEPS, threshold=0.01, linear=True, normalize=True)

        lat_fn()
        peer_s = median_time(lat_fn, repeat)
        rows.append(dict(common, case="latency_linear", spikecore_s=lat_s, peer="snntorch", peer_s=peer_s,
                         ratio=peer_s / lat_s, compile_s=lat_compile))
    else:
        rows.append(dict(common, case="latency_linear", spikecore_s=lat_s, peer="snntorch", peer_s=None, ratio=None,
                         compile_s=lat_compile, note="snntorch not installed"))

    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            peer_s = row["peer_s"]
            peer = "n/a" if peer_s is None else "%.4f s (%.0f Melem/s)" % (peer_s, elements / peer_s / 1e6)
            ratio = "n/a" if row["ratio"] is None else "%.1fx" % row["ratio"]
            print("%-15s spikecore %.4f s (%.0f Melem/s)  %-9s %s  ratio %s  compile %.2f s" % (
                row["case"], row["spikecore_s"], elements / row["spikecore_s"] / 1e6, row["peer"], peer, ratio,
                row["compile_s"]))
    return rows


if __name__ == "__main__":
    main()
