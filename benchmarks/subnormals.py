"""What flushing subnormal numbers to zero (spikecore.kernels.fpmode) saves on a quiet network.

4 000 float32 CurrentLIF neurons (tau_syn 5 and 10 ms, dt = 0.1 ms) fed one-to-one by a
Poisson source at 2 Hz per neuron on the first channel; the second channel is never used, so
its currents decay to zero, or, without the flush, to the smallest subnormal, where they stay
(a decay factor above 1/2 rounds it back to itself). The same run is timed with the engine's
flush (spikecore's default) and with the flush switched off in this process ("peer"), for
float64 and float32 arithmetic. ``ratio = without / with`` (above 1: the flush is faster).

    python benchmarks/subnormals.py            # 2 s of simulated time
    python benchmarks/subnormals.py --quick --json
"""
import argparse
import json

import numpy as np

import spikecore.network.network as engine
from spikecore.kernels import fpmode
from spikecore.network import Network
from spikecore.neurons import CurrentLIF


class _NoFlush:
    """Stands in for spikecore.kernels.fpmode in the engine: leaves the thread's mode alone."""

    class subnormals_flushed:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False


def _run(arithmetic, steps, flush, n=4000, seed=0):
    net = Network(dt=1e-4, seed=seed)
    model = CurrentLIF(tau_mem=20e-3, tau_syn=(5e-3, 10e-3), v_rest=-49e-3, v_th=-50e-3,
                       v_reset=-60e-3, t_ref=5e-3, dtype=np.float32, arithmetic=arithmetic)
    pop = net.add(model, n=n, initial={"v": lambda r, k: r.uniform(-60e-3, -50e-3, k), "i_syn": 1e-3})
    src = net.add_source(n)
    net.connect(src, pop, weight=3e-3, one_to_one=True, target=0)
    z = np.random.default_rng(seed).random((steps, 1, n)) < 2e-4
    saved = engine.fpmode
    engine.fpmode = fpmode if flush else _NoFlush
    try:
        net.run(10, inputs={src: z[:10]})  # compiles (or loads the cache)
        res = net.run(steps - 10, inputs={src: z[10:]})
        wall = res.wall_s  # the compiled loop (input conversion excluded, as in cuba.py)
    finally:
        engine.fpmode = saved
    return wall, int(res.counts.sum())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 s of simulated time")
    ap.add_argument("--json", action="store_true", help="one JSON object per case")
    args = ap.parse_args(argv)
    steps = 10000 if args.quick else 20000
    rows = []
    for arithmetic in (np.float64, np.float32):
        with_s, spikes = _run(arithmetic, steps, True)
        without_s, _ = _run(arithmetic, steps, False)
        row = dict(benchmark="subnormals", case="%s arithmetic, %d steps" % (np.dtype(arithmetic).name, steps),
                   spikecore_s=with_s, peer="spikecore_without_flush", peer_s=without_s,
                   ratio=without_s / with_s, spikes=spikes, mxcsr=fpmode.SUPPORTED)
        rows.append(row)
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            print("%-32s with flush %.3f s   without %.3f s   ratio %.1f" % (
                row["case"], with_s, without_s, row["ratio"]), flush=True)
    return rows


if __name__ == "__main__":
    main()
