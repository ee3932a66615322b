"""``spikecore convert-folder``: a publisher's dataset folder (N-MNIST, N-Caltech101, DVS128
Gesture, SHD/SSC) -> HDF5 spike datasets, one per split (:func:`spikecore.datasets.convert_folder`),
on this machine or on a Dask cluster (``--workers N`` / ``--scheduler ADDRESS``)."""
import time


def add_parser(sub):
    from spikecore.datasets.folders import FORMATS

    p = sub.add_parser("convert-folder", help="convert a dataset folder into HDF5 spike datasets",
                       description="Convert a neuromorphic dataset folder, as its publisher ships it, into "
                                   "one HDF5 spike dataset per split (written atomically).")
    p.add_argument("src", help="the dataset folder (e.g. N-MNIST with Train/ and Test/)")
    p.add_argument("dst", help="output folder for <split>.h5 (created if needed)")
    p.add_argument("--format", default=None, choices=FORMATS, help="dataset layout (default: detected)")
    p.add_argument("--sensor-size", default=None, metavar="W,H,P",
                   help="override the camera's sensor size, e.g. 34,34,2")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    from spikecore.distributed.cli_client import add_arguments
    add_arguments(p)
    p.set_defaults(func=run)


def run(args):
    from spikecore import _validate as v
    from spikecore.datasets import SpikeDataset, convert_folder
    from spikecore.distributed.cli_client import cli_client

    size = None
    if args.sensor_size is not None:
        try:
            size = tuple(int(s) for s in args.sensor_size.split(","))
        except ValueError:
            size = ()
        if len(size) != 3 or min(size) < 1:
            v.fail("--sensor-size", args.sensor_size, "three positive integers W,H,P, e.g. 34,34,2")
    with cli_client(args.workers, args.scheduler) as client:
        t0 = time.perf_counter()
        written = convert_folder(args.src, args.dst, args.format, sensor_size=size, progress=not args.quiet,
                                 client=client)
        elapsed = time.perf_counter() - t0
    print("spikecore convert-folder %s -> %s (%.2f s%s)" % (args.src, args.dst, elapsed,
                                                          "" if client is None else ", Dask"))
    for split, path in written.items():
        with SpikeDataset(path) as ds:
            print("  %-10s %s  %d samples, %d units" % (split, path, len(ds), ds.n_units or 0))
    return 0
