"""A model trained in PyTorch, exported to ONNX and converted by spikecore (issue 12).

PyTorch is not a spikecore dependency: the training runs in its own interpreter
(``TORCH_PYTHON`` or ``/work/venv-torch/bin/python``, needs ``torch`` and ``onnx``), which trains a
64-128-64-10 MLP and a small CNN ([Conv3x3-BN-ReLU-AvgPool2] x 2 -> Linear, 16/32 channels) on the
bundled digits (the same split as the tests: seed 0, 1300 train / 497 test) on the CPU and exports
both with ``torch.onnx.export(..., dynamo=False)``. This process then imports the files with
:func:`spikecore.conversion.load_onnx`, checks the import against the ANN accuracy, converts with
each method and reports ANN vs SNN accuracy per method and T.

    python benchmarks/conversion_torch.py [--quick] [--json]

JSON rows: ``{"benchmark": "conversion_torch", "case": ..., "spikecore_s": <run time>, "peer":
"torch-ann", "peer_s": null, "ratio": null, "accuracy": ..., "ann_accuracy": ...}`` (accuracy
rows, not timings: ``peer_s`` is null by the benchmark contract).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

from conversion import _digits  # the same digits split as benchmarks/conversion.py (this folder)

TRAIN_SCRIPT = textwrap.dedent(r'''
    import json, sys
    import numpy as np
    import torch
    from torch import nn
    cfg = json.load(open(sys.argv[1]))
    d = np.load(cfg["npz"])
    torch.manual_seed(0)
    torch.set_num_threads(1)
    Xtr, ytr = torch.tensor(d["Xtr"]), torch.tensor(d["ytr"]).long()
    Xte, yte = torch.tensor(d["Xte"]), torch.tensor(d["yte"]).long()
    nets = {
        "mlp": nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)),
        "cnn": nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AvgPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AvgPool2d(2),
                             nn.Flatten(), nn.Linear(128, 10)),
    }
    out = {}
    for name, net in nets.items():
        shape = (-1, 64) if name == "mlp" else (-1, 1, 8, 8)
        opt = torch.optim.Adam(net.parameters(), lr=3e-3 if name == "cnn" else 1e-3)
        g = torch.Generator().manual_seed(0)
        for epoch in range(cfg["epochs"]):
            net.train()
            perm = torch.randperm(len(Xtr), generator=g)
            for i in range(0, len(Xtr), 32):
                idx = perm[i:i + 32]
                opt.zero_grad()
                loss = nn.functional.cross_entropy(net(Xtr[idx].reshape(shape)), ytr[idx])
                loss.backward()
                opt.step()
        net.eval()
        with torch.no_grad():
            acc = float((net(Xte.reshape(shape)).argmax(1) == yte).float().mean())
        path = cfg["out"] + "/%s.onnx" % name
        torch.onnx.export(net, Xte[:1].reshape(shape), path, dynamo=False, input_names=["x"],
                          output_names=["logits"], dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}})
        out[name] = dict(path=path, torch_accuracy=acc)
    print(json.dumps(out))
''')


def train_in_torch(tmp, epochs):
    py = os.environ.get("TORCH_PYTHON", "/work/venv-torch/bin/python")
    if not os.path.exists(py):
        return None, "no PyTorch interpreter (%s)" % py
    Xtr, ytr, Xte, yte = _digits()
    npz = os.path.join(tmp, "digits.npz")
    np.savez(npz, Xtr=Xtr, ytr=ytr, Xte=Xte, yte=yte)
    cfg = os.path.join(tmp, "cfg.json")
    with open(cfg, "w") as f:
        json.dump(dict(npz=npz, out=tmp, epochs=epochs), f)
    script = os.path.join(tmp, "train.py")
    with open(script, "w") as f:
        f.write(TRAIN_SCRIPT)
    r = subprocess.run([py, script, cfg], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1]), None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer epochs, methods and T (< 1 min)")
    ap.add_argument("--json", action="store_true", help="one JSON object per row")
    args = ap.parse_args(argv)
    from spikecore.conversion import convert, load_onnx
    Xtr, ytr, Xte, yte = _digits()
    methods = {"percentile": (16, 64, 200), "shift": (16, 32), "data": (64, 500), "tsc": (64,), "ttfs": (80,)}
    if args.quick:
        methods = {"percentile": (64,), "shift": (32,), "tsc": (64,)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trained, why = train_in_torch(tmp, 6 if args.quick else 30)
        if trained is None:
            row = dict(benchmark="conversion_torch", case="torch", spikecore_s=None, peer="torch-ann", peer_s=None,
                       ratio=None, error=why)
            print(json.dumps(row) if args.json else "PyTorch not run: %s" % why)
            return [row]
        for name, info in trained.items():
            ann = load_onnx(info["path"])
            X = Xte if name == "mlp" else Xte.reshape(-1, 1, 8, 8)
            cal = Xtr[:500] if name == "mlp" else Xtr[:500].reshape(-1, 1, 8, 8)
            ann_acc = ann.score(X, yte)
            for method, Ts in methods.items():
                snn = convert(ann, cal, method=method)
                for T in Ts:
                    t0 = time.perf_counter()
                    acc = snn.score(X, yte, T, random_state=0)
                    sec = time.perf_counter() - t0
                    ops = snn.operations()
                    rows.append(dict(benchmark="conversion_torch", case="%s_%s_T%d" % (name, method, T),
                                     spikecore_s=sec, peer="torch-ann", peer_s=None, ratio=None, compile_s=None,
                                     accuracy=acc, ann_accuracy=ann_acc, torch_accuracy=info["torch_accuracy"],
                                     delta_points=100 * (acc - ann_acc), synaptic_adds=ops["synaptic_adds"],
                                     latency=ops["latency"]))
    for r in rows:
        if args.json:
            print(json.dumps(r))
        else:
            print("%-22s ANN %.2f %% (torch %.2f %%)  SNN %.2f %%  (%+.2f)  AC %.3g  latency %d" % (
                r["case"], 100 * r["ann_accuracy"], 100 * r["torch_accuracy"], 100 * r["accuracy"],
                r["delta_points"], r["synaptic_adds"], r["latency"]))
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
