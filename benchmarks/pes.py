"""PES communication channel: spikecore.nef vs Nengo's reference simulator, the same model in one run.

Model (Nengo's "Learning a communication channel" example, deterministic input): an input
u(t) (sum of sines per dimension) -> ensemble ``pre``; ``pre -> post`` decoded connection that
starts at zero and learns with PES(1e-4); ``error`` ensemble = post - pre; error -> learning
rule. Cases: 3 ensembles x 60 neurons, 2-D; 3 x 2000 neurons, 16-D; 10 s at dt = 1 ms.

The same model: Nengo builds it first; spikecore's ensembles get Nengo's encoders, gains,
biases and evaluation points, and its initial voltages, so both run identical parameters.
Reported: wall time of the 10 s run (build excluded on both sides; spikecore's JIT compile
reported as ``compile_s``), the fastest of ``--repeat`` runs per simulator (the two take
turns, each run from the same initial state; all run times are in the JSON), ratio =
nengo_s / spikecore_s, and the RMSE between the two simulators' learned outputs (post,
filtered 10 ms, last run) and of each against the target.

Usage: python benchmarks/pes.py [--quick] [--json] [--repeat N]
"""
import argparse
import json
import platform
import sys
import time

import numpy as np

from spikecore import nef


def stimulus(d):
    freqs = 0.5 + 0.37 * np.arange(d)
    phases = 0.9 * np.arange(d)

    def f(t):
        return 0.6 * np.sin(2 * np.pi * freqs * t + phases)
    return f


def build_nengo(nengo, n, d, seed):
    with nengo.Network(seed=seed) as model:
        inp = nengo.Node(stimulus(d))
        pre = nengo.Ensemble(n, d)
        post = nengo.Ensemble(n, d)
        error = nengo.Ensemble(n, d)
        nengo.Connection(inp, pre)
        conn = nengo.Connection(pre, post, function=lambda x: np.zeros(d),
                                learning_rule_type=nengo.PES(learning_rate=1e-4))
        nengo.Connection(post, error)
        nengo.Connection(pre, error, transform=-1)
        nengo.Connection(error, conn.learning_rule)
        p_post = nengo.Probe(post, synapse=0.01)
    return model, (pre, post, error), p_post


def build_spikecore(n, d, seed, nengo_params=None):
    net = nef.Network(seed=seed)
    inp = net.input(stimulus(d))
    ens = []
    for k in range(3):
        if nengo_params is None:
            ens.append(net.ensemble(n, d))
        else:
            b = nengo_params[k]
            ens.append(net.add(nef.Ensemble(n, d, encoders=b.encoders, gain=b.gain, bias=b.bias,
                                            eval_points=b.eval_points)))
    pre, post, error = ens
    net.connect(inp, pre)
    conn = net.connect(pre, post, function=lambda x: np.zeros(d), learning_rule=nef.PES(1e-4))
    net.connect(post, error)
    net.connect(pre, error, transform=-1)
    net.connect(error, conn.learning_rule)
    p_post = net.probe(post, synapse=0.01)
    return net, ens, p_post


def run_case(name, n, d, seconds, seed=0, repeat=3):
    rows = {}
    try:
        import nengo
        nengo.rc.set("decoder_cache", "enabled", "False")
    except ImportError:
        nengo = None
    nengo_out = None
    params = voltages = sim_n = None
    if nengo is not None:
        model, ens_n, p_n = build_nengo(nengo, n, d, seed)
        sim_n = nengo.Simulator(model, progress_bar=False)
        params = [sim_n.data[e] for e in ens_n]
        voltages = [sim_n.signals[sim_n.model.sig[e.neurons]["voltage"]].copy() for e in ens_n]
    net, ens_s, p_s = build_spikecore(n, d, seed, params)
    # compile (or load from the Numba cache) on a throw-away simulator, timed separately
    t0 = time.perf_counter()
    nef.Simulator(net, seed=seed).run_steps(1)
    compile_s = time.perf_counter() - t0
    # the two simulators take turns, `repeat` full runs each from the same initial state;
    # the fastest run of each is reported (the machine is shared: slower runs are interference)
    peer_runs, spikecore_runs = [], []
    for _ in range(repeat):
        if sim_n is not None:
            sim_n.reset()
            t0 = time.perf_counter()
            sim_n.run(seconds)
            peer_runs.append(time.perf_counter() - t0)
            nengo_out = sim_n.data[p_n].copy()
        sim = nef.Simulator(net, seed=seed)
        if voltages is not None:
            for e, v in zip(ens_s, voltages):
                sim.neuron_state(e)["voltage"][:] = v
        t0 = time.perf_counter()
        sim.run(seconds)
        spikecore_runs.append(time.perf_counter() - t0)
    if sim_n is not None:
        sim_n.close()
    spikecore_s = min(spikecore_runs)
    peer_s = min(peer_runs) if peer_runs else None
    out = sim.data[p_s]
    t = sim.trange()
    target = np.array([stimulus(d)(ti) for ti in t])
    late = t > seconds / 2
    rmse_target = float(np.sqrt(np.mean((out[late] - target[late]) ** 2)))
    rows.update(benchmark="pes", case=name, spikecore_s=spikecore_s, peer="nengo %s" % (
        nengo.__version__ if nengo else "(not installed)"), peer_s=peer_s,
        ratio=(peer_s / spikecore_s) if peer_s else None, compile_s=compile_s,
        spikecore_runs_s=spikecore_runs, peer_runs_s=peer_runs or None,
        n_neurons=n, dimensions=d, seconds=seconds, dt=1e-3,
        rmse_spikecore_vs_target_2nd_half=rmse_target)
    if nengo_out is not None:
        rows["rmse_vs_nengo"] = float(np.sqrt(np.mean((out - nengo_out) ** 2)))
        rows["rmse_nengo_vs_target_2nd_half"] = float(np.sqrt(np.mean((nengo_out[late] - target[late]) ** 2)))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s runs instead of 10 s")
    parser.add_argument("--json", action="store_true", help="one JSON object per case")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each simulator, taking turns; the fastest of each is reported (default 3)")
    args = parser.parse_args(argv)
    seconds = 2.0 if args.quick else 10.0
    cases = [("3x60 2-D, %g s" % seconds, 60, 2), ("3x2000 16-D, %g s" % seconds, 2000, 16)]
    if not args.json:
        print("python %s, numpy %s, %s" % (platform.python_version(), np.__version__, platform.processor()))
    for name, n, d in cases:
        row = run_case(name, n, d, seconds, repeat=max(1, args.repeat))
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            ratio = "%.1fx" % row["ratio"] if row["ratio"] else "n/a"
            print("%-22s spikecore %.3f s  %s %s s  ratio %s  compile %.2f s  rmse vs nengo %s  rmse vs target %.3f"
                  % (name, row["spikecore_s"], row["peer"], "%.3f" % row["peer_s"] if row["peer_s"] else "-",
                     ratio, row["compile_s"], "%.2e" % row["rmse_vs_nengo"] if "rmse_vs_nengo" in row else "-",
                     row["rmse_spikecore_vs_target_2nd_half"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
