"""Benchmark: SpikeProp training on Iris, 50-10-3 network, 16 terminals (Bohte et al. 2002).

No installable library implements SpikeProp, so the peer is spikecore's own plain-NumPy
reference twin (``spikecore.reference.spikeprop``) doing the same work.

Cases
-----
iris_50-10-3_epochs : online SpikeProp on 100 stratified Iris training samples for 1000
    epochs (``--quick``: 100), 48 receptive-field inputs + 2 bias inputs, 10 hidden, 3 outputs,
    16 terminals. The reference twin is far too slow to run this, so its time is extrapolated
    from its per-sample time measured in the next case (``"peer_extrapolated": true``).
iris_50-10-3_one_pass : one online pass over the first N training samples (N = 20;
    ``--quick``: 5), the kernel and the reference twin both measured directly, from the same
    initial weights.

Run: ``python benchmarks/spikeprop.py [--quick] [--json]``. Timings exclude JIT compilation,
reported as ``compile_s``. Iris comes from scikit-learn if installed; otherwise a synthetic
dataset of the same shape is used (and reported as ``"data": "synthetic"``).
"""
import argparse
import json
import sys
import time

import numpy as np


def load_data():
    try:
        from sklearn.datasets import load_iris
        X, y = load_iris(return_X_y=True)
        name = "iris"
    except ImportError:
        rng = np.random.default_rng(0)
        y = np.repeat(np.arange(3), 50)
        X = rng.normal(y[:, None] * 1.0, 0.7, (150, 4))
        name = "synthetic"
    rng = np.random.default_rng(0)
    train = np.concatenate([rng.permutation(np.nonzero(y == c)[0])[:34] for c in range(3)])[:100]
    test = np.setdiff1d(np.arange(len(y)), train)
    return name, X[train], y[train], X[test], y[test]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 epochs, 5-sample reference pass")
    parser.add_argument("--json", action="store_true", help="one JSON object per case")
    args = parser.parse_args(argv)

    from spikecore.kernels import spikeprop as K
    from spikecore.learning import SpikePropClassifier
    from spikecore.reference import spikeprop as R

    epochs = 100 if args.quick else 1000
    n_ref = 5 if args.quick else 20
    data, Xtr, ytr, Xte, yte = load_data()

    # compile (or load the Numba cache) outside the timings
    t0 = time.perf_counter()
    SpikePropClassifier(epochs=1, n_bias=2, random_state=0).fit(Xtr[::17], ytr[::17])
    compile_s = time.perf_counter() - t0

    clf = SpikePropClassifier(n_hidden=10, n_fields=12, n_bias=2, n_terminals=16, epochs=epochs,
                              random_state=0)
    t0 = time.perf_counter()
    clf.fit(Xtr, ytr)
    fit_s = time.perf_counter() - t0
    train_acc, test_acc = clf.score(Xtr, ytr), clf.score(Xte, yte)

    # one pass over n_ref samples from the same initial weights: kernel vs reference twin
    net = clf.network_
    x = clf.encode(Xtr[:n_ref])
    target = clf._targets(np.searchsorted(clf.classes_, ytr[:n_ref]))
    w0 = [w.copy() for w in (net.w_hid, net.w_out)]
    order = np.arange(n_ref, dtype=np.int64)
    times = {}
    weights = {}
    for name, mod in (("kernel", K), ("reference", R)):
        wh, wo = w0[0].copy(), w0[1].copy()
        h = np.empty((n_ref, net.n_hidden))
        o = np.empty((n_ref, net.n_outputs))
        t0 = time.perf_counter()
        mod.spikeprop_train_epoch(x, target, order, wh, wo, net.sign_in, net.sign_hid, net.delays,
                                  net.tau, net.theta, net.t_max, float(clf.learning_rate),
                                  net.min_slope, h, o)
        times[name] = time.perf_counter() - t0
        weights[name] = (wh, wo)
    agree = bool(np.allclose(weights["kernel"][0], weights["reference"][0], rtol=1e-8, atol=1e-12)
                 and np.allclose(weights["kernel"][1], weights["reference"][1], rtol=1e-8, atol=1e-12))
    ref_per_sample = times["reference"] / n_ref
    ref_fit_s = ref_per_sample * len(Xtr) * epochs

    rows = [
        {"benchmark": "spikeprop", "case": "iris_50-10-3_%d_epochs" % epochs, "data": data,
         "spikecore_s": fit_s, "peer": "spikecore.reference (extrapolated)", "peer_s": ref_fit_s,
         "ratio": ref_fit_s / fit_s, "compile_s": compile_s, "peer_extrapolated": True,
         "epochs": epochs, "n_train": len(Xtr), "train_accuracy": train_acc,
         "test_accuracy": test_acc, "goal_s": 10.0 if epochs == 1000 else None},
        {"benchmark": "spikeprop", "case": "iris_50-10-3_one_pass_%d_samples" % n_ref, "data": data,
         "spikecore_s": times["kernel"], "peer": "spikecore.reference", "peer_s": times["reference"],
         "ratio": times["reference"] / times["kernel"], "compile_s": compile_s,
         "peer_extrapolated": False, "weights_agree": agree},
    ]
    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            print("%-36s spikecore %8.3f s   %s %10.3f s   ratio %8.1f" % (
                row["case"], row["spikecore_s"], row["peer"], row["peer_s"], row["ratio"]))
    if not args.json:
        print("train accuracy %.3f, test accuracy %.3f (%s, %d epochs); compile %.2f s"
              % (train_acc, test_acc, data, epochs, compile_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
