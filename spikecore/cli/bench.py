"""``spikecore bench``: time the engine on this machine with the CUBA network (Vogels & Abbott,
2005; :func:`spikecore.network.examples.cuba`), the benchmark of ``benchmarks/cuba.py``.

It reports what a user needs to size a simulation here: JIT / cache load time, build time,
wall time per simulated second, and synaptic events per second. The comparisons with peer
simulators (Brian2, Nengo, snnTorch, ...) are the scripts in the source tree's ``benchmarks/``
folder, which need those peers installed; this command needs nothing beyond spikecore.
"""
import time

import numpy as np

from spikecore import _validate as v


def add_parser(sub):
    p = sub.add_parser("bench", help="time the simulator on this machine (CUBA network)",
                       description="Run the CUBA benchmark network (Vogels & Abbott 2005, as in Brian2's "
                                   "examples/CUBA.py) with spikecore's engine and print its speed.")
    p.add_argument("--n", default="4000", help="comma-separated network sizes (default: %(default)s)")
    p.add_argument("--duration", type=float, default=1.0,
                   help="biological time in seconds, at dt = 0.1 ms (default: %(default)s)")
    p.add_argument("--repeat", type=int, default=3, help="runs per size; the best is reported (default: 3)")
    p.add_argument("--dtype", default="float64", choices=("float64", "float32"), help="state precision")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args):
    from spikecore.network.examples import cuba

    try:
        sizes = [int(s) for s in args.n.split(",")]
    except ValueError:
        v.fail("--n", args.n, "comma-separated positive integers, e.g. 4000,20000")
    for n in sizes:
        v.integer("--n", n, low=100)
    duration = v.positive("--duration", args.duration, unit="s")
    repeat = v.integer("--repeat", args.repeat, low=1)
    dtype = np.dtype(args.dtype)
    steps = max(1, int(round(duration / 1e-4)))
    t0 = time.perf_counter()
    small, _ = cuba(200, seed=args.seed, dtype=dtype)
    small.run(20)  # compiles the engine's loop, or loads it from Numba's cache
    compile_s = time.perf_counter() - t0
    print("spikecore bench: CUBA network, %g s of biological time (%d steps of 0.1 ms), %s state"
          % (duration, steps, dtype))
    print("  compile / cache load %.2f s" % compile_s)
    print("  %8s %9s %9s %12s %10s %14s" % ("N", "build s", "run s", "s per bio s", "spikes", "syn. events/s"))
    for n in sizes:
        t0 = time.perf_counter()
        net, pop = cuba(n, seed=args.seed, dtype=dtype)
        build_s = time.perf_counter() - t0
        best, spikes = float("inf"), 0
        for _ in range(repeat):
            net.reset()
            result = net.run(steps)
            best, spikes = min(best, result.wall_s), int(result.counts.sum())
        events = spikes * 80  # p = 80 / N: 80 synapses per neuron on average
        print("  %8d %9.3f %9.4f %12.4f %10d %14.3g" % (n, build_s, best, best / duration, spikes, events / best))
    print("  peer comparisons (Brian2, NEST, ...): python benchmarks/cuba.py in the source tree")
    return 0
