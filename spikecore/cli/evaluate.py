"""``spikecore evaluate``: reload a model saved by ``spikecore train`` and score it."""
import os
import time

from spikecore.cli._data import load_data, split


def add_parser(sub):
    p = sub.add_parser("evaluate", help="reload a saved model and score it",
                       description="Reload a model written by 'spikecore train' and score it on the "
                                   "held-out part of the data it was trained on (or on other data).")
    p.add_argument("model", help="HDF5 file written by 'spikecore train'")
    p.add_argument("--data", default=None,
                   help="score on this data instead ('digits', .npz with X and y, or an HDF5 spike "
                        "dataset); by default the training run's held-out split")
    p.add_argument("--batch-size", type=int, default=1024,
                   help="samples per chunk (one Dask task); default %(default)s")
    from spikecore.distributed.cli_client import add_arguments
    add_arguments(p)
    p.set_defaults(func=run)


def run(args):
    from spikecore.distributed.cli_client import cli_client
    from spikecore.distributed.evaluate import evaluate
    from spikecore.learning.persist import load_estimator

    est, info = load_estimator(args.model)
    if args.data is None:
        X, y, description = load_data(info.get("data", "digits"))
        _, _, X, y = split(X, y, info.get("test_size", 0.25), info.get("seed", 0))
        description += "; held-out split (test_size %s, seed %s)" % (info.get("test_size"), info.get("seed"))
        data = (X, y)
    else:
        data, description = _data(args.data)
    with cli_client(args.workers, args.scheduler) as client:
        t0 = time.perf_counter()
        result = evaluate(est, data, client=client, batch_size=args.batch_size, progress=client is not None)
        elapsed = time.perf_counter() - t0
    print("spikecore evaluate %s" % args.model)
    print("  model     %r (method %s)" % (est, info.get("method", "?")))
    print("  data      %s" % description)
    print("  accuracy  %.4f on %d samples (%.2f s%s)" % (result["accuracy"], result["n_samples"], elapsed,
                                                      "" if client is None else ", Dask"))
    if "test_accuracy" in info and args.data is None:
        print("  at train  %.4f" % info["test_accuracy"])
    if result["counts"]:
        for key, total in result["counts"].items():
            print("  %-28s %s total, %s per sample" % (key, total, _per_sample(result["counts_per_sample"][key])))
    print("  counts    %s" % result["counts_note"])
    return 0


def _data(source):
    """``((X, y), description)`` of ``load_data(source)``, except that a spike dataset whose
    ``n_units`` is known comes back as the SpikeDataset itself: it is then read chunk by chunk
    (by the Dask workers with a cluster) instead of all at once, into the same spike counts."""
    if source in (None, "digits") or source.endswith(".npz") or not os.path.exists(source):
        X, y, description = load_data(source)
        return (X, y), description
    from spikecore.datasets import SpikeDataset

    ds = SpikeDataset(source)
    if ds.n_units is None:
        X, y, description = load_data(source)
        return (X, y), description
    return ds, "%s (%d samples, spike counts of %d units, read by chunks)" % (source, len(ds), ds.n_units)


def _per_sample(value):
    return "[%s]" % ", ".join("%.4g" % x for x in value) if isinstance(value, list) else "%.4g" % value
