"""Converted-SNN inference throughput: spikecore vs SpikingJelly's ann2snn on CPU (issue 12).

Cases: the digits CNN ([Conv3x3-BN-ReLU-AvgPool2] x 2 -> Dense, 16/32 channels), a
784-500-500-10 MLP (digits upsampled to 28 x 28) and a residual CNN (``small_resnet``, 16/32
channels: a stem, an identity block, a strided block with a 1x1 projection), each converted with the 99.9th-percentile
normalisation, reset by subtraction and analog input (spikecore ``method="percentile"``,
SpikingJelly ``RateCodingRecipe(mode="99.9%")``), batch 256, T = 64 and 256. Also reports the
synaptic additions of TSC vs rate coding.

SpikingJelly runs in its own interpreter (it needs torch): ``SPIKINGJELLY_PYTHON`` or
``/work/venv-torch/bin/python``; absent -> ``"peer_s": null``. It is timed with 1 and with 2 torch
threads (``OMP_WAIT_POLICY=PASSIVE``) and ``ratio`` is against the faster of the two. spikecore is
timed under every policy of ``POLICIES`` (threads over the batch, BLAS threads, dense / event
propagation); ``spikecore_s`` is the library's default. CPU times (``*_cpu_s``, the process's
``time.process_time``) are reported beside the wall times: on a loaded machine they are the less
noisy measure of the work done.

    python benchmarks/conversion.py [--quick] [--json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

PEER_SCRIPT = textwrap.dedent(r'''
    import json, sys, time
    import numpy as np
    import torch
    from torch import nn
    from spikingjelly.activation_based import ann2snn, functional
    cfg = json.load(open(sys.argv[1]))
    torch.set_num_threads(cfg["threads"])
    d = np.load(cfg["npz"])
    out = []
    for case in cfg["cases"]:
        p = case["prefix"]
        if case["kind"] == "cnn":
            net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AvgPool2d(2),
                                nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AvgPool2d(2),
                                nn.Flatten(), nn.Linear(128, 10))
            for i, (c, b) in enumerate(((0, 1), (4, 5))):
                net[c].weight.data = torch.tensor(d[p + "w%d" % i]); net[c].bias.data = torch.tensor(d[p + "b%d" % i])
                bn = net[b]
                bn.weight.data = torch.tensor(d[p + "g%d" % i]); bn.bias.data = torch.tensor(d[p + "be%d" % i])
                bn.running_mean.data = torch.tensor(d[p + "mu%d" % i]); bn.running_var.data = torch.tensor(d[p + "var%d" % i])
                bn.eps = 1e-5
            net[9].weight.data = torch.tensor(d[p + "w2"]); net[9].bias.data = torch.tensor(d[p + "b2"])
        elif case["kind"] == "resnet":
            class Block(nn.Module):  # ResNet v1 basic block, as spikecore's small_resnet
                def __init__(s, cin, cout, stride):
                    super().__init__()
                    s.c1 = nn.Conv2d(cin, cout, 3, stride, 1); s.b1 = nn.BatchNorm2d(cout); s.r1 = nn.ReLU()
                    s.c2 = nn.Conv2d(cout, cout, 3, 1, 1); s.b2 = nn.BatchNorm2d(cout)
                    s.sc = None if stride == 1 else nn.Sequential(nn.Conv2d(cin, cout, 1, stride), nn.BatchNorm2d(cout))
                    s.r2 = nn.ReLU()
                def forward(s, x):
                    return s.r2(s.b2(s.c2(s.r1(s.b1(s.c1(x))))) + (x if s.sc is None else s.sc(x)))
            c0, c1 = case["channels"]
            net = nn.Sequential(nn.Conv2d(1, c0, 3, padding=1), nn.BatchNorm2d(c0), nn.ReLU(), Block(c0, c0, 1),
                                Block(c0, c1, 2), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(c1 * 4, 10))
            # parameters in spikecore's layer order (branch, then shortcut: torch's registration order)
            mods = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear))]
            for k, m in enumerate(mods):
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.data = torch.tensor(d[p + "g%d" % k]); m.bias.data = torch.tensor(d[p + "be%d" % k])
                    m.running_mean.data = torch.tensor(d[p + "mu%d" % k])
                    m.running_var.data = torch.tensor(d[p + "var%d" % k]); m.eps = 1e-5
                else:
                    m.weight.data = torch.tensor(d[p + "w%d" % k]); m.bias.data = torch.tensor(d[p + "b%d" % k])
        else:
            net = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10))
            for i, j in enumerate((0, 2, 4)):
                net[j].weight.data = torch.tensor(d[p + "w%d" % i]); net[j].bias.data = torch.tensor(d[p + "b%d" % i])
        net.eval()
        cal = torch.tensor(d[p + "cal"])
        X = torch.tensor(d[p + "X"]); y = d[p + "y"]
        loader = [(cal[i:i + 100], None) for i in range(0, len(cal), 100)]
        t0 = time.perf_counter()
        snn = ann2snn.Converter(ann2snn.RateCodingRecipe(dataloader=loader, mode="99.9%")).convert(net)
        conv_s = time.perf_counter() - t0
        snn.eval()
        for T in case["T"]:
            times, cpu = [], []
            with torch.no_grad():
                for rep in range(case["reps"] + 1):
                    functional.reset_net(snn)
                    t0, c0 = time.perf_counter(), time.process_time()
                    acc = 0
                    for t in range(T):
                        acc = acc + snn(X)
                    dt, dc = time.perf_counter() - t0, time.process_time() - c0
                    if rep:
                        times.append(dt)
                        cpu.append(dc)
            functional.reset_net(snn)
            pred = acc.argmax(1).numpy()
            out.append(dict(case=case["name"], T=T, peer_s=float(np.median(times)),
                            peer_range_s=[min(times), max(times)], peer_cpu_s=float(np.median(cpu)),
                            accuracy=float((pred == y).mean()), convert_s=conv_s))
    print(json.dumps(out))
''')


def _digits():
    from spikecore.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    idx = np.random.default_rng(0).permutation(len(X))
    return X[idx[:1300]], y[idx[:1300]], X[idx[1300:]], y[idx[1300:]]


def _upsample28(X):
    rows = (np.arange(28) * 8) // 28
    img = X.reshape(-1, 8, 8)[:, rows][:, :, rows]
    return img.reshape(len(X), 784).astype(np.float32)


def _batch(X, n=256):
    reps = int(np.ceil(n / len(X)))
    return np.concatenate([X] * reps)[:n]


RESNET_CHANNELS = (16, 32)


def _layer_arrays(layers, prefix):
    """The parameters of a network's Conv2D / BatchNorm / Dense layers in order (residual blocks:
    branch, then shortcut), keyed ``prefix + w<k>`` etc. by position ``k``."""
    from spikecore.conversion import BatchNorm, Conv2D, Dense, Residual
    flat = []
    for layer in layers:
        flat += (layer.branch + layer.shortcut) if isinstance(layer, Residual) else [layer]
    out = {}
    for k, layer in enumerate(l for l in flat if isinstance(l, (Conv2D, BatchNorm, Dense))):
        if isinstance(layer, BatchNorm):
            out.update({prefix + "g%d" % k: layer.gamma, prefix + "be%d" % k: layer.beta,
                        prefix + "mu%d" % k: layer.mean, prefix + "var%d" % k: layer.var})
        else:
            out.update({prefix + "w%d" % k: layer.weight, prefix + "b%d" % k: layer.bias})
    return out


def build(quick):
    from spikecore.conversion import BatchNorm, mlp, small_cnn, small_resnet
    Xtr, ytr, Xte, yte = _digits()
    epochs = 3 if quick else 12
    cnn = small_cnn((1, 8, 8), channels=(16, 32), random_state=0).fit(
        Xtr.reshape(-1, 1, 8, 8), ytr, epochs=epochs, batch_size=32, learning_rate=3e-3, random_state=0)
    resnet = small_resnet((1, 8, 8), channels=RESNET_CHANNELS, random_state=0).fit(
        Xtr.reshape(-1, 1, 8, 8), ytr, epochs=max(2, epochs // 2), batch_size=32, learning_rate=3e-3, random_state=0)
    mlp28 = mlp((784, 500, 500, 10), random_state=0).fit(_upsample28(Xtr), ytr, epochs=max(2, epochs // 2),
                                                         batch_size=64, random_state=0)
    arrays = {}
    convs = [l for l in cnn.layers if type(l).__name__ == "Conv2D"]
    bns = [l for l in cnn.layers if isinstance(l, BatchNorm)]
    for i, (c, bn) in enumerate(zip(convs, bns)):
        arrays.update({"cnn_w%d" % i: c.weight, "cnn_b%d" % i: c.bias, "cnn_g%d" % i: bn.gamma, "cnn_be%d" % i: bn.beta,
                       "cnn_mu%d" % i: bn.mean, "cnn_var%d" % i: bn.var})
    arrays.update({"cnn_w2": cnn.layers[-1].weight, "cnn_b2": cnn.layers[-1].bias})
    dens = [l for l in mlp28.layers if type(l).__name__ == "Dense"]
    for i, l in enumerate(dens):
        arrays.update({"mlp_w%d" % i: l.weight, "mlp_b%d" % i: l.bias})
    Xc, yc = _batch(Xte.reshape(-1, 1, 8, 8)), _batch(yte)
    Xm = _batch(_upsample28(Xte))
    arrays.update({"cnn_cal": Xtr[:500].reshape(-1, 1, 8, 8), "cnn_X": Xc, "cnn_y": yc,
                   "mlp_cal": _upsample28(Xtr[:500]), "mlp_X": Xm, "mlp_y": yc})
    arrays.update(_layer_arrays(resnet.layers, "resnet_"))
    arrays.update({"resnet_cal": Xtr[:500].reshape(-1, 1, 8, 8), "resnet_X": Xc, "resnet_y": yc})
    return dict(cnn=(cnn, Xtr[:500].reshape(-1, 1, 8, 8), Xc, yc), mlp=(mlp28, _upsample28(Xtr[:500]), Xm, yc),
                resnet=(resnet, Xtr[:500].reshape(-1, 1, 8, 8), Xc, yc)), arrays


def run_peer(arrays, cases, threads=2):
    """SpikingJelly's timings per (case, T) with ``threads`` torch threads (None, reason on failure)."""
    py = os.environ.get("SPIKINGJELLY_PYTHON", "/work/venv-torch/bin/python")
    if not os.path.exists(py):
        return None, "no SpikingJelly interpreter (%s)" % py
    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "w.npz")
        np.savez(npz, **arrays)
        cfg = os.path.join(tmp, "cfg.json")
        json.dump(dict(npz=npz, cases=cases, threads=threads), open(cfg, "w"))
        script = os.path.join(tmp, "peer.py")
        open(script, "w").write(PEER_SCRIPT)
        # passive OpenMP waits: with the default spin-waits, 2 torch threads on a loaded 2-core
        # machine ran up to 10x slower than 1 thread (measured); the same run times both counts
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        r = subprocess.run([py, script, cfg], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            return None, r.stderr[-2000:]
        peer = {}
        for row in json.loads(r.stdout.strip().splitlines()[-1]):
            peer[(row["case"], row["T"])] = row
        return peer, None


# Threading and propagation policies timed for every case; "library" is SpikingModel.run's default
# (threads over the batch = the cores, one BLAS thread, propagation chosen by firing rate).
POLICIES = {
    "library": dict(),
    "one_thread": dict(n_threads=1),
    "blas_default_threads": dict(n_threads=1, blas_threads=None),
    "dense": dict(propagation="dense"),
    "event": dict(propagation="event"),
}


def time_spikecore(snn, X, T, reps, policy):
    """Median wall time, (min, max), median CPU time of the process, and the output of the last run."""
    times, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        out = snn.run(X, T, batch_size=256, **POLICIES[policy])
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), (min(times), max(times)), statistics.median(cpu), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer epochs and repetitions, T = 64 only (< 1 min)")
    ap.add_argument("--json", action="store_true", help="one JSON object per case")
    args = ap.parse_args(argv)
    from spikecore.conversion import convert
    Ts = [64] if args.quick else [64, 256]
    reps = 2 if args.quick else 5
    nets, arrays = build(args.quick)
    rows = []
    for name, (ann, cal, X, y) in nets.items():
        t0 = time.perf_counter()
        snn = convert(ann, cal, method="percentile")
        for policy in POLICIES:  # JIT compile every kernel the policies use (cached across processes)
            snn.run(X[:4], 2, **POLICIES[policy])
        compile_s = time.perf_counter() - t0
        for T in Ts:
            # the peer right before spikecore on the same case: the load drifts over minutes
            measured = {}
            for threads in (1, 2):
                case = dict(name=name, kind=name, prefix=name + "_", T=[T], reps=reps, channels=RESNET_CHANNELS)
                peer, why = run_peer(arrays, [case], threads)
                if peer is not None:
                    measured[threads] = peer[(name, T)]
                elif not args.json:
                    print("SpikingJelly (%d threads) not measured: %s" % (threads, why))
            res = {policy: time_spikecore(snn, X, T, reps, policy) for policy in POLICIES}
            sc_s, sc_range, sc_cpu, out = res["library"]
            ref = res["dense"][3]
            acc = float((out.argmax(1) == y).mean())
            # the ratio is against SpikingJelly's faster thread count in this run
            pt = min(measured, key=lambda k: measured[k]["peer_s"]) if measured else None
            p = measured.get(pt)
            row = dict(benchmark="conversion", case="%s_T%d_batch256" % (name, T), spikecore_s=sc_s,
                       peer="spikingjelly", peer_s=p["peer_s"] if p else None,
                       ratio=(p["peer_s"] / sc_s) if p else None, compile_s=compile_s,
                       samples_per_s=len(X) / sc_s, spikecore_range_s=list(sc_range),
                       peer_threads=pt, peer_range_s=p["peer_range_s"] if p else None,
                       **{"peer_%dthread_s" % k: v["peer_s"] for k, v in measured.items()},
                       spikecore_cpu_s=sc_cpu, peer_cpu_s=p["peer_cpu_s"] if p else None,
                       cpu_ratio=(p["peer_cpu_s"] / sc_cpu) if p else None,
                       **{"%s_s" % k: res[k][0] for k in POLICIES if k != "library"},
                       faster_policy=min(res, key=lambda k: res[k][0]),
                       same_predictions_all_policies=all(bool(np.array_equal(r[3].argmax(1), ref.argmax(1)))
                                                         for r in res.values()),
                       max_potential_diff_vs_dense=max(float(np.abs(r[3] - ref).max()) for r in res.values()),
                       accuracy=acc, peer_accuracy=p["accuracy"] if p else None,
                       ann_accuracy=float(ann.score(X, y)), load_average=os.getloadavg()[0])
            rows.append(row)
    # TSC vs rate synaptic additions on the digits CNN
    ann, cal, X, y = nets["cnn"]
    tsc = convert(ann, cal, method="tsc")
    acc_tsc = tsc.score(X, y, 64)
    ac_tsc = tsc.operations()["synaptic_adds"]
    for meth, T in (("data", 64), ("data", 256), ("percentile", 64)):
        snn = convert(ann, cal, method=meth)
        acc = snn.score(X, y, T, random_state=0)
        ops = snn.operations()
        rows.append(dict(benchmark="conversion", case="ops_cnn_%s_T%d_vs_tsc_N64" % (meth, T), spikecore_s=None,
                         peer=None, peer_s=None, ratio=None, compile_s=None, accuracy=acc, tsc_accuracy=acc_tsc,
                         rate_synaptic_adds=ops["synaptic_adds"], rate_macs=ops["macs"],
                         tsc_synaptic_adds=ac_tsc, adds_ratio=ops["synaptic_adds"] / ac_tsc))
    for r in rows:
        if args.json:
            print(json.dumps(r))
        else:
            print(", ".join("%s=%s" % (k, ("%.4g" % v) if isinstance(v, float) else v) for k, v in r.items()))
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
