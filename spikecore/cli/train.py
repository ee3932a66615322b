"""``spikecore train``: fit a spiking classifier, print what it did, save it to HDF5.

Every method is a scikit-learn-style estimator from :mod:`spikecore.learning`; ``METHODS``
maps the command-line name to it. The data (bundled digits by default) is split with a
seeded stratified split; the estimator is fitted on the training part (with a progress bar),
scored on both parts, and saved with :func:`spikecore.learning.persist.save_estimator`
together with the data source and split, so that ``spikecore evaluate`` can re-score it.
"""
import importlib
import json
import time

import numpy as np

from spikecore.cli._data import load_data, split

# command-line name -> (module, estimator class, one-line description)
METHODS = {
    "stdp": ("spikecore.learning.diehl_cook", "DiehlCookClassifier",
             "unsupervised STDP, Diehl & Cook (2015): adaptive thresholds, lateral inhibition, label assignment"),
    "spikeprop": ("spikecore.learning.spikeprop", "SpikePropClassifier",
                  "SpikeProp (Bohte et al. 2002): exact spike times, Gaussian receptive fields"),
    "resume": ("spikecore.learning.resume", "ReSuMeClassifier",
               "ReSuMe (Ponulak & Kasinski 2010): remote supervision of target spike trains"),
    "bp-stdp": ("spikecore.learning.bpstdp", "BPSTDPClassifier",
                "BP-STDP (Tavanaei & Maida 2019): STDP/anti-STDP driven by a teacher train, no gradients"),
    "pes": ("spikecore.learning.pes", "PESClassifier",
            "PES (MacNeil & Eliasmith 2011): NEF ensemble with an online-learned one-hot readout"),
    "surrogate": ("spikecore.learning.estimators_bptt", "SurrogateGradientClassifier",
                  "surrogate-gradient BPTT (Wu et al. 2018), hand-derived backward pass"),
}
DEFAULT_METHOD = "stdp"


def add_parser(sub):
    p = sub.add_parser(
        "train", help="train a spiking classifier and save it to HDF5",
        description="Train a spiking classifier on the bundled digits (or your data), print its accuracy, "
                    "spike counts and synaptic operations, and save it. Methods: "
                    + "; ".join("%s: %s" % (k, m[2]) for k, m in METHODS.items()))
    p.add_argument("--method", default=DEFAULT_METHOD, choices=sorted(METHODS),
                   help="training method (default: %(default)s)")
    p.add_argument("--data", default="digits",
                   help="'digits' (bundled, default), a .npz with X and y, or an HDF5 spike dataset")
    p.add_argument("--test-size", type=float, default=0.25, help="held-out fraction per class (default 0.25)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and of the estimator (default 0)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set an estimator parameter (VALUE is read as JSON, else as a string); repeatable")
    p.add_argument("--output", "-o", default="model.h5", help="where to save the model (default model.h5)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def make_estimator(method, seed, params, verbose):
    """Instantiate the estimator of ``method`` with ``params`` (name -> value) and ``seed``."""
    module, name, _ = METHODS[method]
    cls = getattr(importlib.import_module(module), name)
    est = cls()
    valid = est.get_params(deep=False)
    settings = {}
    if "random_state" in valid:
        settings["random_state"] = seed
    if "verbose" in valid:
        settings["verbose"] = verbose
    settings.update(params)
    for key in settings:
        if key not in valid:
            raise ValueError("--param %s: %s has no parameter %r; it has: %s"
                             % (key, name, key, ", ".join(sorted(valid))))
    return est.set_params(**settings)


def parse_params(items):
    """``["epochs=5", "surrogate=\\"arctan\\""]`` -> ``{"epochs": 5, "surrogate": "arctan"}``."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError("--param %r: expected NAME=VALUE" % item)
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def print_report(est, prefix="  "):
    """Print the estimator's ``report_`` (spike counts, synaptic operations) if it has one."""
    report = getattr(est, "report_", None)
    if not report:
        return
    for key, value in report.items():
        if isinstance(value, (np.ndarray, list, tuple)):
            value = np.asarray(value)
            text = np.array2string(value, precision=4, separator=", ", threshold=12) if value.size else "[]"
        elif isinstance(value, float):
            text = "%.6g" % value
        else:
            text = str(value)
        print("%s%-28s %s" % (prefix, key, text))


def run(args):
    params = parse_params(args.param)
    X, y, description = load_data(args.data)
    X_train, y_train, X_test, y_test = split(X, y, args.test_size, args.seed)
    est = make_estimator(args.method, args.seed, params, verbose=not args.quiet)
    print("spikecore train --method %s" % args.method)
    print("  data      %s; %d train / %d test (stratified, seed %d)"
          % (description, len(y_train), len(y_test), args.seed))
    print("  model     %r" % (est,))
    t0 = time.perf_counter()
    est.fit(X_train, y_train)
    fit_s = time.perf_counter() - t0
    train_acc = est.score(X_train, y_train)
    t0 = time.perf_counter()
    test_acc = est.score(X_test, y_test)
    score_s = time.perf_counter() - t0
    print("  fit       %.2f s" % fit_s)
    print("  accuracy  train %.4f, test %.4f (%d test samples scored in %.2f s)"
          % (train_acc, test_acc, len(y_test), score_s))
    print_report(est)
    from spikecore.learning.persist import save_estimator

    save_estimator(est, args.output, method=args.method, data=args.data, test_size=args.test_size,
                   seed=args.seed, test_accuracy=test_acc)
    print("  saved     %s  (spikecore evaluate %s)" % (args.output, args.output))
    return 0
