"""Surrogate-gradient training throughput: spikecore (hand-written BPTT) vs snnTorch on CPU.

Same network, data, T, batch size, optimiser and number of batches in one run:

- ``digits-64-100-10``: the bundled/sklearn digits (1797 x 64, standardised), LIF hidden layer of
  100, leaky non-spiking readout of 10 (logits = time-averaged membrane), T = 25, batch 128;
- ``mnist-784-500-10``: random MNIST-shaped data (pixels uniform in [0, 1], random labels),
  784-500-10, T = 25, batch 128.

snnTorch is timed with torch's default thread count and with one thread; the faster of the two
is the peer figure (both are in the JSON). Timing rounds of all contenders are interleaved and
each keeps its best round, so the load of a shared machine affects them alike. Both libraries: soft ("subtract") reset detached from
the graph (snnTorch's default), beta = 0.9, threshold 1, fast-sigmoid surrogate with slope 25, PyTorch-style uniform init, Adam lr 1e-3,
static input injected as a current every step with the input projection computed once per
batch (the natural way in both: snnTorch's ``fc1(x)`` outside the time loop). Reported: training
samples per second (forward + backward + optimiser step), ``ratio = peer_s / spikecore_s`` on the
same work. With ``--accuracy`` (on in full runs) both train the digits network for the same epochs
on the same 75/25 split and the test accuracies are reported beside the timing.

Threads: spikecore runs its GEMMs in NumPy's BLAS and its recurrences in single-threaded Numba
kernels (``kernels/bptt.py``), with BLAS limited to one thread during training
(``spikecore.learning.limit_blas_threads``, what the estimators do); the ``threads`` cases time
the same step with BLAS's default thread count, to document that choice (ratio < 1: default
threads are slower).

Usage: ``python benchmarks/training.py [--quick] [--json] [--accuracy]``; snnTorch is optional
(``pip install torch==2.13.0 "torchvision==0.28.*" snntorch``); absent, ``peer_s`` is null.
"""
import argparse
import json
import platform
import time

import numpy as np

from spikecore.learning.blas_threads import limit_blas_threads

T_STEPS = 25
BATCH = 128
BETA = 0.9
SLOPE = 25.0
LR = 1e-3


def load_digits_data():
    try:
        from spikecore.datasets import load_digits
    except ImportError:
        from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = np.asarray(X, dtype=np.float32)
    X = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0)
    return X.astype(np.float32), np.asarray(y, dtype=np.int64)


def random_mnist(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, size=n)


# ---------------------------------------------------------------- spikecore
def spikecore_trainer(n_in, n_hidden, n_out, seed=0):
    from spikecore.learning import Adam, build_mlp, cross_entropy
    net = build_mlp(n_in, [n_hidden], n_out, n_steps=T_STEPS, readout="membrane", beta=BETA,
                    threshold=1.0, reset="soft", detach_reset=True, surrogate="fast_sigmoid",
                    surrogate_scale=SLOPE, random_state=seed)
    opt = Adam(LR)

    def step(xb, yb):
        loss, grad = cross_entropy(net.forward(xb), yb)
        net.backward(grad)
        opt.step(net.params, net.grads)
        return loss

    def predict(X):
        return np.argmax(net.forward(X), axis=1)
    return step, predict


# ---------------------------------------------------------------- snnTorch
def snntorch_trainer(n_in, n_hidden, n_out, seed=0):
    import snntorch as snn
    import torch
    from snntorch import surrogate
    torch.manual_seed(seed)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(n_in, n_hidden)
            self.lif1 = snn.Leaky(beta=BETA, threshold=1.0, reset_mechanism="subtract",
                                  spike_grad=surrogate.fast_sigmoid(slope=SLOPE))
            self.fc2 = torch.nn.Linear(n_hidden, n_out)

        def forward(self, x):
            cur1 = self.fc1(x)  # static input: the same current every step
            mem1 = self.lif1.init_leaky()
            mem2 = torch.zeros(x.shape[0], n_out)
            total = torch.zeros(x.shape[0], n_out)
            for _ in range(T_STEPS):
                spk1, mem1 = self.lif1(cur1, mem1)
                mem2 = BETA * mem2 + self.fc2(spk1)  # leaky non-spiking readout
                total = total + mem2
            return total / T_STEPS

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(net(torch.from_numpy(xb)), torch.from_numpy(yb))
        loss.backward()
        opt.step()
        return float(loss.detach())

    def predict(X):
        with torch.no_grad():
            return net(torch.from_numpy(X)).argmax(1).numpy()
    return step, predict


# ---------------------------------------------------------------- timing
def batches(X, y, n_batches, seed):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n_batches:
        order = rng.permutation(len(y))
        for s in range(0, len(y) - BATCH + 1, BATCH):
            out.append((np.ascontiguousarray(X[order[s:s + BATCH]]), y[order[s:s + BATCH]]))
    return out[:n_batches]


class Contender:
    """One trainer on one case: built and warmed up once; :meth:`round` times ``n_batches``."""

    def __init__(self, make, X, y, n_batches, threads):
        self.threads = threads  # context manager factory setting its thread policy
        with threads():
            self.step, _ = make(X.shape[1], N_HIDDEN[X.shape[1]], 10)
            self.work = batches(X, y, n_batches + 1, seed=1)
            t0 = time.perf_counter()
            self.step(*self.work[0])
            self.first = time.perf_counter() - t0
        self.best = np.inf

    def round(self):
        with self.threads():
            t0 = time.perf_counter()
            for xb, yb in self.work[1:]:
                self.step(xb, yb)
            self.best = min(self.best, (time.perf_counter() - t0) / (len(self.work) - 1))

    @property
    def compile_s(self):
        return max(self.first - self.best, 0.0)


def torch_threads(n):
    import contextlib

    import torch

    @contextlib.contextmanager
    def setting():
        before = torch.get_num_threads()
        torch.set_num_threads(n if n else before)
        try:
            yield
        finally:
            torch.set_num_threads(before)
    return setting


def no_change():
    import contextlib
    return contextlib.nullcontext()


N_HIDDEN = {64: 100, 784: 500}


def accuracy_run(make, X, y, epochs, seed=0):
    rng = np.random.default_rng(0)
    te = rng.permutation(len(y))[: len(y) // 4]
    tr = np.setdiff1d(np.arange(len(y)), te)
    step, predict = make(X.shape[1], 100, 10, seed)
    r = np.random.default_rng(seed)
    for _ in range(epochs):
        order = r.permutation(tr)
        for s in range(0, len(order), BATCH):
            idx = order[s:s + BATCH]
            step(np.ascontiguousarray(X[idx]), y[idx])
    return float(np.mean(predict(np.ascontiguousarray(X[te])) == y[te]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer batches and repeats (< 1 min)")
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--accuracy", action="store_true", help="also compare test accuracy on digits")
    args = ap.parse_args()
    try:
        import snntorch  # noqa: F401
        import torch
        peer = "snntorch %s (torch %s)" % (snntorch.__version__, torch.__version__)
    except ImportError:
        peer = "snntorch"
        torch = None
    n_batches = 5 if args.quick else 20
    repeats = 2 if args.quick else 5
    cases = [("digits-64-100-10", load_digits_data()), ("mnist-784-500-10", random_mnist(BATCH * 8))]
    rows = []
    for name, (X, y) in cases:
        # the contenders' timing rounds are interleaved, so load changes on this shared machine
        # hit all of them alike; each keeps its best round
        c = {"spikecore": Contender(spikecore_trainer, X, y, n_batches, lambda: limit_blas_threads(1)),
             "spikecore_blas_default": Contender(spikecore_trainer, X, y, n_batches, no_change)}
        if torch is not None:
            c["snntorch_default_threads"] = Contender(snntorch_trainer, X, y, n_batches, torch_threads(0))
            c["snntorch_one_thread"] = Contender(snntorch_trainer, X, y, n_batches, torch_threads(1))
        for _ in range(repeats):
            for contender in c.values():
                contender.round()
        sc = c["spikecore"].best
        row = {"benchmark": "training", "case": name, "spikecore_s": sc, "peer": peer,
               "peer_s": None, "ratio": None, "compile_s": c["spikecore"].compile_s,
               "spikecore_samples_per_s": BATCH / sc, "peer_samples_per_s": None,
               "T": T_STEPS, "batch": BATCH, "unit": "seconds per training batch"}
        if torch is not None:
            pt_default, pt_one = c["snntorch_default_threads"].best, c["snntorch_one_thread"].best
            pt = min(pt_default, pt_one)  # the faster snnTorch thread setting counts
            row.update(peer_s=pt, ratio=pt / sc, peer_samples_per_s=BATCH / pt,
                       peer_s_default_threads=pt_default, peer_s_one_thread=pt_one)
        rows.append(row)
        default = c["spikecore_blas_default"].best
        rows.append({"benchmark": "training", "case": name + " threads: BLAS default threads (vs 1)",
                     "spikecore_s": default, "peer": "spikecore, BLAS limited to 1 thread",
                     "peer_s": sc, "ratio": sc / default, "compile_s": 0.0,
                     "unit": "seconds per training batch"})
    if args.accuracy or not args.quick:
        X, y = load_digits_data()
        epochs = 5 if args.quick else 30
        acc = {"benchmark": "training", "case": "digits-64-100-10 test accuracy, %d epochs" % epochs,
               "spikecore_s": None, "peer": peer, "peer_s": None, "ratio": None, "compile_s": 0.0,
               "spikecore_acc": None, "peer_acc": None}
        with limit_blas_threads(1):
            acc["spikecore_acc"] = accuracy_run(spikecore_trainer, X, y, epochs)
        if torch is not None:
            acc["peer_acc"] = accuracy_run(snntorch_trainer, X, y, epochs)
        rows.append(acc)
    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            if "spikecore_acc" in row:
                print("%-45s spikecore %.4f   %s %s" % (row["case"], row["spikecore_acc"], peer,
                                                      row["peer_acc"]))
                continue
            ratio = "n/a" if row["ratio"] is None else "%.2fx" % row["ratio"]
            peer_s = "n/a" if row["peer_s"] is None else "%.2f ms" % (1e3 * row["peer_s"])
            print("%-55s spikecore %.2f ms/batch (%.0f samples/s)  peer %s  ratio %s  compile %.2fs"
                  % (row["case"], 1e3 * row["spikecore_s"], BATCH / row["spikecore_s"], peer_s,
                     ratio, row["compile_s"]))
    if not args.json:
        print("machine: %s, %s; numpy %s" % (platform.machine(), platform.python_version(), np.__version__))


if __name__ == "__main__":
    main()
