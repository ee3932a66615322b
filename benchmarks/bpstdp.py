"""BP-STDP training throughput (Tavanaei & Maida 2019): Numba kernel vs its plain-NumPy twin.

No peer library implements BP-STDP on the CPU, so the comparison is the reference twin
(``spikecore.reference.bpstdp``, NumPy, BLAS products), doing the same work on the same spikes.

Cases (T = 50 steps of 1 ms, beta = 250 Hz regular teacher, eps = 4 steps, mu = 0.001, online
updates, batch 1, inputs encoded beforehand with the estimator's default ``regular_with_lags``;
encoding time is reported separately as ``encode_s``):

- ``digits-64-100-10``: the bundled digits scaled to [0, 1] (the paper's network, no complement);
- ``digits-128-100-10-complement``: the same with complement coding (what ``BPSTDPClassifier``
  does by default);
- ``random-784-500-10``: random MNIST-shaped data (pixels uniform in [0, 1], random labels).

Reported: training samples per second (forward + BP-STDP updates), ``spikecore_s`` the time of
``n_samples`` presentations, ``peer_s`` the reference's time for the same number (measured on a
subset and scaled; ``peer_extrapolated`` says so), ``ratio = peer_s / spikecore_s``. JIT
compilation is timed once and reported as ``compile_s``. Single-threaded by design (no BLAS in the
kernel); the reference uses NumPy's default BLAS threads.

Usage: ``python benchmarks/bpstdp.py [--quick] [--json]``.
"""
import argparse
import json
import platform
import time

import numpy as np

T_STEPS = 50
RATE = 250.0
DT = 1e-3
EPS = 4
MU = 1e-3


def _network(n_in, n_hidden, n_out, seed=0):
    rng = np.random.default_rng(seed)
    sizes = np.array([n_in, n_hidden, n_out], np.int64)
    w = rng.standard_normal(int(np.sum(sizes[1:] * sizes[:-1]))).astype(np.float32)
    theta = np.array([0.9, 0.025 * n_hidden], np.float32)
    return sizes, w, theta


def _cases(quick):
    from spikecore.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    rng = np.random.default_rng(1)
    n_rand = 200 if quick else 1000
    Xr = rng.random((n_rand, 784), dtype=np.float32)
    yr = rng.integers(0, 10, n_rand)
    n_digits = 400 if quick else len(y)
    return [
        ("digits-64-100-10", X[:n_digits], y[:n_digits], 100, 20 if quick else 60),
        ("digits-128-100-10-complement", np.concatenate([X, 1 - X], 1)[:n_digits], y[:n_digits], 100,
         20 if quick else 60),
        ("random-784-500-10", Xr, yr, 500, 5 if quick else 20),
    ]


def _run(mod, x, labels, teacher, w, sizes, theta):
    S = x.shape[1]
    counts = np.zeros((S, int(sizes[1:].sum())), np.int32)
    xi_sum = np.zeros(S, np.int64)
    t0 = time.perf_counter()
    mod.bpstdp_train(x, labels, teacher, w, sizes, theta, EPS, MU, 1, counts, xi_sum)
    return time.perf_counter() - t0, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (under a minute)")
    parser.add_argument("--json", action="store_true", help="one JSON object per case")
    args = parser.parse_args()

    import numba

    import spikecore
    from spikecore.encoding import regular
    from spikecore.kernels import bpstdp as K
    from spikecore.learning.bpstdp import regular_with_lags
    from spikecore.reference import bpstdp as R

    teacher = regular(np.ones(1), T_STEPS, max_rate=RATE, dt=DT)[:, 0].copy()
    # compile once on a tiny problem
    sizes, w, theta = _network(3, 4, 2)
    x = regular_with_lags(np.full((2, 3), 0.7), T_STEPS, RATE * DT, random_state=0)
    t0 = time.perf_counter()
    _run(K, x, np.array([0, 1]), teacher, w, sizes, theta)
    compile_s = time.perf_counter() - t0

    rows = []
    for case, X, y, hidden, n_ref in _cases(args.quick):
        t0 = time.perf_counter()
        x = regular_with_lags(X, T_STEPS, RATE * DT, random_state=0)
        encode_s = time.perf_counter() - t0
        labels = np.asarray(y, np.int64)
        sizes, w0, theta = _network(X.shape[1], hidden, 10)
        kernel_s, counts = _run(K, x, labels, teacher, w0.copy(), sizes, theta)
        n_ref = min(n_ref, len(labels))
        ref_s, _ = _run(R, np.ascontiguousarray(x[:, :n_ref]), labels[:n_ref], teacher, w0.copy(), sizes, theta)
        peer_s = ref_s * len(labels) / n_ref
        spikes = float(x.sum(dtype=np.int64)) / len(labels)
        row = {"benchmark": "bpstdp", "case": case, "n_samples": len(labels), "spikecore_s": kernel_s,
               "spikecore_samples_per_s": len(labels) / kernel_s,
               "peer": "spikecore.reference.bpstdp (NumPy twin)", "peer_s": peer_s,
               "peer_samples_per_s": n_ref / ref_s, "peer_extrapolated": n_ref < len(labels),
               "ratio": peer_s / kernel_s, "compile_s": compile_s, "encode_s": encode_s,
               "input_spikes_per_sample": spikes,
               "hidden_spikes_per_sample": float(counts[:, :hidden].sum()) / len(labels),
               "T": T_STEPS, "batch": 1}
        rows.append(row)
        if args.json:
            print(json.dumps(row))
    if not args.json:
        print("BP-STDP training throughput, T = %d, batch 1 (numpy %s, numba %s, spikecore %s, %s)"
              % (T_STEPS, np.__version__, numba.__version__, spikecore.__version__, platform.processor() or
                 platform.machine()))
        print("%-30s %14s %14s %8s %10s" % ("case", "kernel smp/s", "reference smp/s", "ratio", "encode s"))
        for r in rows:
            print("%-30s %14.0f %14.0f %8.1f %10.3f" % (r["case"], r["spikecore_samples_per_s"],
                                                        r["peer_samples_per_s"], r["ratio"], r["encode_s"]))
        print("compile_s %.2f" % compile_s)


if __name__ == "__main__":
    main()
