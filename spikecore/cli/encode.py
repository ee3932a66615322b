"""``spikecore encode``: a feature matrix (the bundled digits, a ``.npz`` with ``X`` and ``y``,
or an HDF5 dataset of values) -> an HDF5 spike dataset, with any encoder of
:data:`spikecore.distributed.ENCODERS`, chunk by chunk (:func:`spikecore.distributed.encode_to_dataset`),
on this machine or on a Dask cluster (``--workers N`` / ``--scheduler ADDRESS``), with the same
spikes either way."""
import json
import time

import numpy as np

from spikecore import _validate as v


def add_parser(sub):
    from spikecore.distributed.encode import ENCODERS

    p = sub.add_parser("encode", help="encode a feature matrix into an HDF5 spike dataset",
                       description="Encode every sample of a feature matrix into spike trains and write them "
                                   "as an HDF5 spike dataset (SHD layout, written atomically).")
    p.add_argument("data", help="'digits' (bundled), a .npz with X (and optionally y), or an HDF5 file "
                                "with a dataset of values (see --dataset)")
    p.add_argument("output", help="the .h5 spike dataset to write")
    p.add_argument("--encoder", default="poisson", choices=ENCODERS, help="encoder (default: %(default)s)")
    p.add_argument("--steps", type=int, default=100, help="time steps per sample (default: %(default)s)")
    p.add_argument("--dt", type=float, default=1e-3, help="seconds per step (default: %(default)s)")
    p.add_argument("--x-min", type=float, default=None,
                   help="value that encodes as silence (default: the data's minimum)")
    p.add_argument("--x-max", type=float, default=None,
                   help="value that encodes as the strongest input (default: the data's maximum)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="another keyword of the encoder, e.g. max_rate=200 or method=log (repeatable; "
                        "VALUE is read as JSON when it parses, else as a string)")
    p.add_argument("--dataset", default="X", help="with an HDF5 input: the dataset of values (default: X); "
                                                  "labels are read from 'y' when present")
    p.add_argument("--chunk-size", type=int, default=1024, help="samples per chunk / task (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the Poisson encoder (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    from spikecore.distributed.cli_client import add_arguments
    add_arguments(p)
    p.set_defaults(func=run)


def _params(pairs):
    out = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            v.fail("--param", pair, "NAME=VALUE, e.g. max_rate=200")
        try:
            out[name.strip()] = json.loads(text)
        except ValueError:
            out[name.strip()] = text
    return out


def _open_values(source, dataset):
    """``(x, y or None, description, h5 file to close or None)``; an HDF5 input stays on disk."""
    if source == "digits":
        from spikecore.datasets import load_digits
        X, y = load_digits(return_X_y=True)
        return X.astype(np.float32), y, "bundled digits (1797 x 64, pixels 0..16)", None
    if source.endswith(".npz"):
        with np.load(source) as z:
            if "X" not in z:
                v.fail("data", source, "a .npz file holding an array 'X' (found %s)" % sorted(z.files))
            X, y = z["X"], (z["y"] if "y" in z else None)
        return X, y, "%s (%s)" % (source, " x ".join(map(str, X.shape))), None
    import h5py
    try:
        f = h5py.File(source, "r")
    except OSError as exc:
        v.fail("data", source, "'digits', a .npz file or an HDF5 file (%s)" % exc, FileNotFoundError)
    if dataset not in f or not isinstance(f[dataset], h5py.Dataset):
        f.close()
        v.fail("--dataset", dataset, "a dataset of values in %s" % source)
    y = f["y"][()] if "y" in f and isinstance(f["y"], h5py.Dataset) else None
    x = f[dataset]
    return x, y, "%s:%s (%s)" % (source, dataset, " x ".join(map(str, x.shape))), f


def _value_range(x, chunk):
    """Smallest and largest value of ``x``, read ``chunk`` samples at a time (an HDF5 input
    is never loaded whole)."""
    low, high = np.inf, -np.inf
    for a in range(0, x.shape[0], chunk):
        block = np.asarray(x[a:a + chunk], np.float64)
        if block.size:
            if not np.all(np.isfinite(block)):
                v.fail("data", "<values with NaN or inf in samples %d..%d>" % (a, a + len(block) - 1), "finite values")
            low, high = min(low, float(block.min())), max(high, float(block.max()))
    return (0.0, 1.0) if low > high else (low, high)


def run(args):
    from spikecore.datasets import SpikeDataset
    from spikecore.distributed import encode_to_dataset
    from spikecore.distributed.cli_client import cli_client

    steps = v.integer("--steps", args.steps, low=1)
    params = _params(args.param)
    x, y, description, h5 = _open_values(args.data, args.dataset)
    try:
        if args.encoder != "rank_order":  # rank_order takes no range: it ranks each sample's values
            if args.x_min is None or args.x_max is None:
                low, high = _value_range(x, max(1, args.chunk_size))
            params.setdefault("x_min", low if args.x_min is None else args.x_min)
            params.setdefault("x_max", high if args.x_max is None else args.x_max)
            if params["x_max"] <= params["x_min"]:
                params["x_max"] = params["x_min"] + 1.0  # constant data: every value encodes as silence
        keys = None
        if y is not None:
            y = np.asarray(y)
            if y.dtype.kind not in "iu":  # class names: labels index the sorted names, kept as keys
                names, y = np.unique(y, return_inverse=True)
                keys = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
        seed = args.seed if args.encoder == "poisson" else None
        with cli_client(args.workers, args.scheduler) as client:
            t0 = time.perf_counter()
            path = encode_to_dataset(x, args.output, y, args.encoder, steps, dt=args.dt, keys=keys, client=client,
                                     chunk_size=args.chunk_size, random_state=seed, progress=not args.quiet,
                                     **params)
            elapsed = time.perf_counter() - t0
    finally:
        if h5 is not None:
            h5.close()
    with SpikeDataset(path) as ds:
        print("spikecore encode --encoder %s: %s -> %s (%.2f s%s)" % (args.encoder, description, path, elapsed,
                                                                     "" if client is None else ", Dask"))
        print("  %d samples, %d units, %d steps of %g s; encoder parameters %s"
              % (len(ds), ds.n_units, steps, args.dt, json.dumps(ds.encoding_params, sort_keys=True)))
    return 0
