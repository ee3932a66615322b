"""``spikecore convert``: ANN -> SNN conversion with an accuracy / latency / operations table.

With an ONNX file (``pip install onnx``) the model is imported with
:func:`spikecore.conversion.load_onnx`; without one, a 64-128-64-10 ReLU MLP is trained on the
data first (NumPy, hand-written backprop), so the command works out of the box on the bundled
digits. Then :func:`spikecore.conversion.convert` with the chosen method, and
``SpikingModel.report``'s table over the requested time steps on the held-out split, computed
by :func:`spikecore.distributed.sweep.conversion_sweep` (on a Dask cluster with ``--workers N``
or ``--scheduler ADDRESS``; the same table either way).
"""

from spikecore import _validate as v
from spikecore.cli._data import ann_for_conversion, scaled_data, split


def add_parser(sub):
    from spikecore.conversion import METHODS

    p = sub.add_parser("convert", help="convert an ANN (ONNX, or one trained here) into a spiking network",
                       description="Convert an ANN into a spiking network and print accuracy, latency, "
                                   "synaptic operations and energy versus time steps.")
    p.add_argument("model", nargs="?", default=None,
                   help="ONNX file; if omitted, a 64-128-64-10 MLP is trained on the data first")
    p.add_argument("--data", default="digits",
                   help="'digits' (bundled, default), or a .npz with X and y prepared as the model expects")
    p.add_argument("--scale", type=float, default=None,
                   help="multiply the inputs by this (default: 1/16 for the bundled digits, else 1)")
    p.add_argument("--method", default="shift", choices=sorted(METHODS),
                   help="conversion method (default: %(default)s); see spikecore.conversion.convert")
    p.add_argument("--timesteps", default="8,16,32,64,128",
                   help="comma-separated time steps (TSC: window lengths) to report (default %(default)s)")
    p.add_argument("--calibration", type=int, default=500,
                   help="training samples used to calibrate the normalisation (default 500)")
    p.add_argument("--test-size", type=float, default=0.25)
    p.add_argument("--seed", type=int, default=0)
    from spikecore.distributed.cli_client import add_arguments
    add_arguments(p)
    p.set_defaults(func=run)


def run(args):
    from spikecore.conversion import ConversionReport
    from spikecore.distributed.cli_client import cli_client
    from spikecore.distributed.sweep import conversion_sweep

    X, y, description, scale = scaled_data(args.data, args.scale)
    try:
        steps = tuple(int(s) for s in args.timesteps.split(","))
    except ValueError:
        v.fail("--timesteps", args.timesteps, "comma-separated positive integers, e.g. 16,32,64")
    for s in steps:
        v.integer("--timesteps", s, low=1)
    n_cal = v.integer("--calibration", args.calibration, low=1)
    X_train, y_train, X_test, y_test = split(X, y, args.test_size, args.seed)
    print("spikecore convert --method %s" % args.method)
    print("  data      %s x %g; %d train / %d test" % (description, scale, len(y_train), len(y_test)))
    ann, what = ann_for_conversion(args.model, X_train, y_train, args.seed)
    print("  model     %s" % what)
    ann_accuracy = ann.score(X_test, y_test)
    print("  ANN       test accuracy %.4f" % ann_accuracy)
    with cli_client(args.workers, args.scheduler) as client:
        rows = conversion_sweep(ann, X_train[:n_cal], X_test, y_test, methods=[args.method], timesteps=steps,
                                client=client, random_state=args.seed, progress=True)
    print(ConversionReport(args.method, rows, ann_accuracy).table())
    return 0
