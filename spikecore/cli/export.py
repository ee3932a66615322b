"""``spikecore export``: write a spiking network for Loihi (lava-dl netx HDF5) or as NIR.

What goes in:

- an ONNX ANN (``model.onnx``; ``pip install onnx``), or nothing (a 64-128-64-10 ReLU MLP is
  trained on ``--data`` first, as ``spikecore convert`` does): it is converted with
  :func:`spikecore.conversion.convert` (``--method``) and taken to a graph by
  :func:`spikecore.conversion.export.to_graph`;
- a NIR graph (``.nir``; :func:`spikecore.interop.nir.from_nir`);
- a netx network (``.net``, ``.h5``, ``.hdf5``; :func:`spikecore.interop.lava.read_netx`), which
  can only be written as netx again (fixed point has no float NIR form here).

What comes out, by the output's suffix: ``.nir`` -> NIR (:func:`spikecore.interop.nir.write_nir`,
``pip install nir``); ``.net`` / ``.h5`` / ``.hdf5`` -> netx for Loihi
(:func:`spikecore.interop.lava.write_netx`, through :func:`spikecore.interop.loihi_convert.to_loihi`
for float networks), followed by the per-layer Loihi resources. Both files are written atomically.
"""
import os


from spikecore import _validate as v
from spikecore.cli._data import ann_for_conversion, scaled_data, split

_NETX = (".net", ".h5", ".hdf5")


def add_parser(sub):
    from spikecore.conversion.export import EXPORTABLE

    p = sub.add_parser("export", help="write a spiking network as lava-dl netx (Loihi) or NIR",
                       description="Convert an ANN (ONNX, or one trained here) or read a NIR / netx network, "
                                   "and write it as a lava-dl netx HDF5 file for Loihi or as a NIR graph.")
    p.add_argument("model", nargs="?", default=None,
                   help="ONNX file, .nir graph or netx .net file; if omitted, a 64-128-64-10 MLP is trained "
                        "on the data and converted")
    p.add_argument("output", help="output file: .nir (NIR) or .net / .h5 / .hdf5 (lava-dl netx)")
    p.add_argument("--method", default="data", choices=EXPORTABLE,
                   help="conversion method for an ANN (default: %(default)s; Loihi needs reset to zero: "
                        "data, model or spike-norm)")
    p.add_argument("--timesteps", type=int, default=32,
                   help="time steps T the converted network runs (the 'shift' bias needs it; default %(default)s)")
    p.add_argument("--output-layer", default=None, choices=("integrator", "spiking"),
                   help="last layer as a non-spiking integrator or spiking IF neurons (default: spiking for "
                        "netx, which Loihi needs; integrator for NIR)")
    p.add_argument("--dt", type=float, default=1e-3, help="graph time step in seconds (default: %(default)s)")
    p.add_argument("--weight-range", type=int, default=127,
                   help="largest integer weight magnitude on Loihi (default %(default)s: 8-bit signed)")
    p.add_argument("--data", default="digits",
                   help="data to train / calibrate an ANN: 'digits' (bundled) or a .npz with X and y")
    p.add_argument("--scale", type=float, default=None,
                   help="multiply the inputs by this (default: 1/16 for the bundled digits, else 1)")
    p.add_argument("--calibration", type=int, default=500,
                   help="training samples used to calibrate the normalisation (default 500)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def _kind(path, argument):
    ext = os.path.splitext(path)[1].lower()
    if ext == ".nir":
        return "nir"
    if ext in _NETX:
        return "netx"
    if ext == ".onnx" and argument == "model":
        return "onnx"
    expected = ".onnx, .nir or a netx file (%s)" % ", ".join(_NETX) if argument == "model" else \
        ".nir or a netx file (%s)" % ", ".join(_NETX)
    v.fail(argument, path, expected)


def _converted_graph(args, out_kind):
    from spikecore.conversion import convert
    from spikecore.conversion.export import to_graph

    X, y, description, _ = scaled_data(args.data, args.scale)
    X_train, y_train, X_test, y_test = split(X, y, 0.25, args.seed)
    ann, what = ann_for_conversion(args.model, X_train, y_train, args.seed)
    print("  model     %s; data %s" % (what, description))
    n_cal = v.integer("--calibration", args.calibration, low=1)
    timesteps = v.integer("--timesteps", args.timesteps, low=1)
    snn = convert(ann, X_train[:n_cal], args.method, random_state=args.seed)
    print("  converted --method %s: ANN test accuracy %.4f, SNN %.4f at T = %d"
          % (args.method, ann.score(X_test, y_test), snn.score(X_test, y_test, timesteps=timesteps), timesteps))
    output = args.output_layer or ("spiking" if out_kind == "netx" else "integrator")
    return to_graph(snn, timesteps, output=output, dt=v.positive("--dt", args.dt, unit="s"))


def run(args):
    from spikecore.interop import lava

    out_kind = _kind(args.output, "output")
    in_kind = _kind(args.model, "model") if args.model else "onnx"
    if args.model and not os.path.exists(args.model):
        v.fail("model", args.model, "an existing file", FileNotFoundError)
    print("spikecore export -> %s (%s)" % (args.output, "NIR" if out_kind == "nir" else "lava-dl netx"))
    if in_kind == "onnx":
        network = _converted_graph(args, out_kind)
    elif in_kind == "nir":
        from spikecore.interop.nir import from_nir
        network = from_nir(args.model, as_graph=True)
        print("  model     %s (NIR graph, %d nodes)" % (args.model, len(network.nodes)))
    else:
        if out_kind != "netx":
            v.fail("output", args.output, "a netx file (%s): a netx network is in Loihi fixed point, which "
                   "has no NIR form here" % ", ".join(_NETX))
        network = lava.read_netx(args.model, emulator=True)
        print("  model     %s (netx, %d layers)" % (args.model, len(network.layers)))
    if out_kind == "nir":
        from spikecore.interop.nir import write_nir
        write_nir(network, args.output)
        print("  wrote     %s" % args.output)
        return 0
    if isinstance(network, lava.LoihiNetwork):
        lava.write_netx(network, args.output)
    else:
        try:
            lava.write_netx(network, args.output, weight_range=v.integer("--weight-range", args.weight_range,
                                                                         low=1, high=254))
        except ValueError as exc:
            if in_kind != "onnx":
                raise  # the converter's message names the node and what Loihi lacks
            raise ValueError("%s (Loihi takes a chain of synapse -> IF/LIF layers that reset to zero, the last "
                             "one spiking: an ANN converted with --method data, model or spike-norm and "
                             "--output-layer spiking)" % exc) from exc
    print("  wrote     %s" % args.output)
    print("  %-8s %-10s %-16s %8s %9s %6s %6s" % ("layer", "kind", "shape", "neurons", "synapses", "fan-in", "w bits"))
    for row in lava.resource_report(lava.read_netx(args.output, emulator=True)):
        print("  %-8s %-10s %-16s %8d %9d %6d %6d" % (row["layer"], row["kind"], "x".join(map(str, row["shape"])),
                                                     row["neurons"], row["synapses"], row["fan_in"],
                                                     row["weight_bits"]))
    return 0
