"""STDP benchmark: a Diehl & Cook plastic layer, spikecore against Brian2, in the same run.

Work per sample (both sides): weights normalised, state reset, ``steps`` = 350 steps of 1 ms of
Poisson input (rates: image / max x 63.75 Hz) -> 100 adaptive-threshold LIF neurons with lateral
inhibition, the input synapses learning online with Diehl & Cook's (2015) code rule
(``TripletSTDP.diehl_cook``; in Brian2 the same equations as synapse ``on_pre``/``on_post``
code). Cases: 784 -> 100 (the bundled 8x8 digits upscaled 3x to 24x24 and padded to 28x28,
MNIST-sized) and 64 -> 100 (the 8x8 digits). Timings are per sample, medians over samples,
excluding compilation (spikecore: Numba cache load or JIT, ``compile_s``; Brian2: code
generation and Cython compilation in its first presentation, ``peer_compile_s``).
``ratio = peer_s / spikecore_s``. Brian2 runs in a subprocess with ``--brian2-python``
(default: ``/work/venv-brian/bin/python`` if it exists, else this interpreter); absent Brian2
gives ``"peer_s": null``.

    python benchmarks/stdp.py                  # 200 spikecore / 30 Brian2 samples per case
    python benchmarks/stdp.py --quick --json   # 40 / 6 samples (< 1 min with a warm Brian2 cache)
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
DEFAULT_BRIAN = "/work/venv-brian/bin/python"


def _inputs(n_in, n_samples, seed):
    from spikecore.datasets import load_digits

    X, _ = load_digits(return_X_y=True)
    X = X[np.random.default_rng(seed).permutation(len(X))[:n_samples]]
    if n_in == 784:
        imgs = X.reshape(-1, 8, 8)
        up = np.kron(imgs, np.ones((3, 3), np.float32))
        X = np.pad(up, ((0, 0), (2, 2), (2, 2))).reshape(-1, 784)
    return X / 16.0 * 63.75  # Hz


def _spikecore_case(rates, w0, steps, dt, weight_sum, seed):
    from spikecore.kernels import rng as krng
    from spikecore.learning import TripletSTDP
    from spikecore.learning.diehl_cook import CompetitiveLayer
    from spikecore.learning.homeostasis import AdaptiveThreshold, LateralInhibition, normalize_incoming

    n_in, n_out = w0.shape
    weights_t = np.ascontiguousarray(w0, np.float32)
    theta = np.zeros(n_out, np.float32)
    layer = CompetitiveLayer(weights_t, theta, TripletSTDP.diehl_cook(), dt=dt, tau_mem=0.1, t_ref=5e-3,
                             threshold=AdaptiveThreshold(0.05, 1e4), inhibition=LateralInhibition(1.0, 2e-3))
    raster = np.empty((steps, n_in), np.uint8)
    thr = np.empty(n_in, np.uint64)
    key = np.uint64(seed)

    def one(k):
        normalize_incoming(weights_t, weight_sum)
        krng.probability_threshold(np.ascontiguousarray(rates[k] * dt, np.float64), thr)
        krng.philox_bernoulli(thr, key, np.uint64(k), 0, raster)
        return layer.present(raster[:, None, :], learn=True)

    t0 = time.perf_counter()
    one(0)  # compiles (or loads from the Numba cache)
    compile_s = time.perf_counter() - t0
    walls, out_spikes, in_spikes = [], 0, 0
    for k in range(1, rates.shape[0]):
        t0 = time.perf_counter()
        counts = one(k)
        walls.append(time.perf_counter() - t0)
        out_spikes += int(counts.sum())
        in_spikes += int(raster.sum())
    return dict(spikecore_s=float(np.median(walls)), compile_s=compile_s, spikecore_samples=len(walls),
                spikecore_output_spikes_per_sample=out_spikes / len(walls),
                spikecore_input_spikes_per_sample=in_spikes / len(walls))


def _brian2_case(python, rates, w0, steps, dt, weight_sum, workdir, target="cython"):
    if python is None:
        return dict(peer_s=None, error="brian2 not installed")
    inp = os.path.join(workdir, "in_%d.npz" % w0.shape[0])
    out = os.path.join(workdir, "out_%d.json" % w0.shape[0])
    np.savez(inp, rates=rates, w0=w0, steps=steps, dt=dt, weight_sum=weight_sum)
    proc = subprocess.run([python, str(HERE / "_brian2_stdp.py"), target, inp, out],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return dict(peer_s=None, error=" | ".join(tail))
    with open(out) as fh:
        meta = json.load(fh)
    n = meta["n_samples"]
    return dict(peer_s=meta["per_sample_s"], peer_compile_s=meta["first_s"] - (meta["per_sample_s"] or 0.0),
                peer_samples=n - 1, peer_output_spikes_per_sample=meta["output_spikes"] / n,
                peer_input_spikes_per_sample=meta["input_spikes"] / n, brian2_version=meta["brian2"],
                peer_numpy_version=meta["numpy"])


def _brian2_python(requested):
    python = requested or (DEFAULT_BRIAN if os.path.exists(DEFAULT_BRIAN) else sys.executable)
    probe = subprocess.run([python, "-c", "import brian2"], capture_output=True, text=True)
    return python if probe.returncode == 0 else None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="40 spikecore / 6 Brian2 samples per case")
    ap.add_argument("--json", action="store_true", help="one JSON object per case")
    ap.add_argument("--samples", type=int, help="spikecore samples per case (default 200)")
    ap.add_argument("--peer-samples", type=int, help="Brian2 samples per case (default 30)")
    ap.add_argument("--brian2-python", help="interpreter with brian2 installed")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    n_sc = args.samples or (40 if args.quick else 200)
    n_peer = args.peer_samples or (6 if args.quick else 30)
    python = _brian2_python(args.brian2_python)
    steps, dt, n_out = 350, 1e-3, 100
    rows = []
    with tempfile.TemporaryDirectory(prefix="spikecore-stdp-") as workdir:
        for n_in in (784, 64):
            rates = _inputs(n_in, max(n_sc, n_peer), args.seed)
            w0 = np.random.default_rng(args.seed).uniform(0, 0.3, (n_in, n_out)).astype(np.float32)
            weight_sum = 0.1 * n_in
            row = dict(benchmark="stdp", case="%d->%d, %d steps/sample" % (n_in, n_out, steps),
                       unit="seconds per sample", peer="brian2_cython")
            row.update(_spikecore_case(rates[:n_sc], w0.copy(), steps, dt, weight_sum, args.seed))
            row.update(_brian2_case(python, rates[:n_peer], w0.copy(), steps, dt, weight_sum, workdir))
            row["ratio"] = row["peer_s"] / row["spikecore_s"] if row.get("peer_s") else None
            row["numpy_version"] = np.__version__
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                print("%-28s spikecore %.2f ms/sample (compile %.2f s)  brian2 %s  ratio %s" % (
                    row["case"], 1e3 * row["spikecore_s"], row["compile_s"],
                    "%.1f ms/sample (compile %.1f s)" % (1e3 * row["peer_s"], row["peer_compile_s"])
                    if row.get("peer_s") else "n/a (%s)" % row.get("error"),
                    "%.1f" % row["ratio"] if row["ratio"] else "n/a"), flush=True)
    return rows


if __name__ == "__main__":
    main()
