"""``spikecore evaluate``: reload a model saved by ``spikecore train`` and score it."""
import time

from spikecore.cli._data import load_data, split
from spikecore.cli.train import print_report


def add_parser(sub):
    p = sub.add_parser("evaluate", help="reload a saved model and score it",
                       description="Reload a model written by 'spikecore train' and score it on the "
                                   "held-out part of the data it was trained on (or on other data).")
    p.add_argument("model", help="HDF5 file written by 'spikecore train'")
    p.add_argument("--data", default=None,
                   help="score on this data instead ('digits', .npz with X and y, or an HDF5 spike "
                        "dataset); by default the training run's held-out split")
    p.set_defaults(func=run)


def run(args):
    from spikecore.learning.persist import load_estimator

    est, info = load_estimator(args.model)
    if args.data is None:
        X, y, description = load_data(info.get("data", "digits"))
        _, _, X, y = split(X, y, info.get("test_size", 0.25), info.get("seed", 0))
        description += "; held-out split (test_size %s, seed %s)" % (info.get("test_size"), info.get("seed"))
    else:
        X, y, description = load_data(args.data)
    t0 = time.perf_counter()
    acc = est.score(X, y)
    elapsed = time.perf_counter() - t0
    print("spikecore evaluate %s" % args.model)
    print("  model     %r (method %s)" % (est, info.get("method", "?")))
    print("  data      %s" % description)
    print("  accuracy  %.4f on %d samples (%.2f s)" % (acc, len(y), elapsed))
    if "test_accuracy" in info and args.data is None:
        print("  at train  %.4f" % info["test_accuracy"])
    print_report(est)
    return 0
