"""Benchmark: ReSuMe sequence learning (Ponulak & Kasiński 2010), 300 epochs; goal <= 1 s.

No installable library implements ReSuMe, so the peer is spikecore's own plain-NumPy reference
twin (``spikecore.reference.resume``) doing the same work, from the same initial weights.

Cases
-----
sequence_300_epochs_kernel : 300 per-trial presentations of the issue-9 task (one CurrentLIF
    neuron, tau_m 10 ms, theta 1, refractory 2 ms, dt 0.1 ms; 200 Poisson inputs at 5 Hz for
    200 ms; a 5-spike target) through ``kernels.resume.resume_run``, against the reference twin
    doing the same presentations (``--quick``: the twin runs 20 and is extrapolated,
    ``"peer_extrapolated": true``). Final weights are compared.
sequence_300_epochs_fit : the user-level ``ReSuMe.fit_sequence(epochs=300)`` (no early stop),
    which also computes the van Rossum distance and Schreiber correlation of every epoch; peer
    as in the previous case.
iris_fit : ``ReSuMeClassifier().fit`` on 120 Iris samples (60 epochs) against the reference
    ``resume_train_epoch`` (one epoch measured, extrapolated to 60). Iris from scikit-learn if
    installed, else a synthetic set of the same shape (``"data": "synthetic"``).

Run: ``python benchmarks/resume.py [--quick] [--json]``. Timings exclude JIT compilation,
reported as ``compile_s`` (first call, Numba cache load or compile).
"""
import argparse
import json
import sys
import time

import numpy as np


def sequence_problem(seed=0):
    from spikecore.learning.resume import ReSuMe, sequence_task
    x, target = sequence_task(random_state=seed)
    layer = ReSuMe(200, 1, tau_mem=10e-3, v_th=1.0, t_ref=2e-3, dt=1e-4, random_state=seed)
    return layer, x, target


def run_presentations(mod, layer, x, target, epochs):
    """``epochs`` per-trial presentations through ``mod.resume_run``; returns (seconds, weights)."""
    T = x.shape[0]
    xs = np.ascontiguousarray(x[:, None, :], dtype=np.uint8)
    desired = np.zeros((T, 1, 1), np.uint8)
    desired[np.round(target / layer.dt).astype(int), 0, 0] = 1
    w = layer.weights.copy()
    params = layer.model.step_params(layer.dt)
    decay = float(np.exp(-layer.dt / layer.tau))
    out = np.zeros((T, 1, 1), bool)
    dw = np.empty_like(w)
    t0 = time.perf_counter()
    for _ in range(epochs):
        v, i_syn, refrac = np.zeros((1, 1)), np.zeros((1, 1, 1)), np.zeros((1, 1), np.int32)
        mod.resume_run(w, layer.sign, xs, desired, v, i_syn, refrac, *params, layer.a, layer.A, decay,
                       -np.inf, np.inf, 1, out, dw)
    return time.perf_counter() - t0, w


def load_iris_split():
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
    train = np.concatenate([rng.permutation(np.nonzero(y == c)[0])[:40] for c in range(3)])
    test = np.setdiff1d(np.arange(len(y)), train)
    mu, sd = X[train].mean(0), X[train].std(0)
    return name, (X[train] - mu) / sd, y[train], (X[test] - mu) / sd, y[test]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reference twin: 20 epochs, extrapolated")
    parser.add_argument("--json", action="store_true", help="one JSON object per case")
    args = parser.parse_args(argv)

    from spikecore.kernels import resume as K
    from spikecore.learning import ReSuMeClassifier
    from spikecore.reference import resume as R

    epochs = 300
    ref_epochs = 20 if args.quick else epochs
    layer, x, target = sequence_problem(0)

    t0 = time.perf_counter()
    run_presentations(K, layer, x, target, 1)
    sequence_problem(1)[0].fit_sequence(x, target, epochs=1)
    compile_s = time.perf_counter() - t0

    kernel_s, w_kernel = run_presentations(K, layer, x, target, epochs)
    ref_s, w_ref = run_presentations(R, layer, x, target, ref_epochs)
    _, w_kernel_same = run_presentations(K, layer, x, target, ref_epochs)
    agree = bool(np.allclose(w_kernel_same, w_ref, rtol=1e-10, atol=1e-12))
    ref_full_s = ref_s * epochs / ref_epochs

    fit_layer, x, target = sequence_problem(0)
    t0 = time.perf_counter()
    hist = fit_layer.fit_sequence(x, target, epochs=epochs)
    fit_s = time.perf_counter() - t0
    out = np.nonzero(fit_layer.run(x)[:, 0, 0])[0] * fit_layer.dt

    # Iris classifier
    data, Xtr, ytr, Xte, yte = load_iris_split()
    t0 = time.perf_counter()
    ReSuMeClassifier(epochs=1, random_state=0).fit(Xtr[::10], ytr[::10])
    compile_iris = time.perf_counter() - t0
    clf = ReSuMeClassifier(random_state=0)
    t0 = time.perf_counter()
    clf.fit(Xtr, ytr)
    iris_s = time.perf_counter() - t0
    acc = clf.score(Xte, yte)
    xin = clf._readout_input(np.asarray(Xtr, dtype=np.float32))
    n_out = len(clf.classes_)
    desired = np.zeros((xin.shape[0], xin.shape[1], n_out), np.uint8)
    desired[clf._target_steps()[:, None], np.arange(xin.shape[1])[None, :],
            np.searchsorted(clf.classes_, ytr)[None, :]] = 1
    readout = clf._readout(xin.shape[2])
    order = np.arange(xin.shape[1], dtype=np.int64)
    times = {}
    for name, mod in (("kernel", K), ("reference", R)):
        w = np.zeros_like(clf.weights_)
        o = np.zeros(desired.shape, bool)
        t0 = time.perf_counter()
        mod.resume_train_epoch(order, w, clf.sign_, xin, desired, *readout.model.step_params(clf.dt),
                               readout.a, readout.A, float(np.exp(-clf.dt / clf.tau)), -np.inf, np.inf, 1, o)
        times[name] = time.perf_counter() - t0
    iris_ref_s = times["reference"] * clf.epochs

    rows = [
        {"benchmark": "resume", "case": "sequence_300_epochs_kernel", "spikecore_s": kernel_s,
         "peer": "spikecore.reference" + (" (extrapolated)" if args.quick else ""),
         "peer_s": ref_full_s, "ratio": ref_full_s / kernel_s, "compile_s": compile_s,
         "peer_extrapolated": bool(args.quick), "weights_agree": agree, "goal_s": 1.0,
         "epochs": epochs, "n_inputs": 200, "steps_per_epoch": int(x.shape[0])},
        {"benchmark": "resume", "case": "sequence_300_epochs_fit", "spikecore_s": fit_s,
         "peer": "spikecore.reference" + (" (extrapolated)" if args.quick else ""),
         "peer_s": ref_full_s, "ratio": ref_full_s / fit_s, "compile_s": compile_s,
         "peer_extrapolated": bool(args.quick), "goal_s": 1.0, "epochs": epochs,
         "van_rossum_first_last": [float(hist.van_rossum[0]), float(hist.van_rossum[-1])],
         "final_output_ms": [round(t * 1e3, 1) for t in out],
         "target_ms": [round(t * 1e3, 1) for t in target]},
        {"benchmark": "resume", "case": "iris_fit_60_epochs", "data": data, "spikecore_s": iris_s,
         "peer": "spikecore.reference (extrapolated)", "peer_s": iris_ref_s,
         "ratio": iris_ref_s / iris_s, "compile_s": compile_iris, "peer_extrapolated": True,
         "n_train": int(len(ytr)), "test_accuracy": acc, "one_epoch_kernel_s": times["kernel"]},
    ]
    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            print("%-28s spikecore %8.3f s   %s %9.3f s   ratio %7.1f" % (
                row["case"], row["spikecore_s"], row["peer"], row["peer_s"], row["ratio"]))
    if not args.json:
        print("weights agree with the reference: %s; van Rossum epoch 0 -> 299: %.3f -> %.3f; "
              "Iris test accuracy %.3f (%s); compile %.2f s" % (
                  agree, hist.van_rossum[0], hist.van_rossum[-1], acc, data, compile_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
