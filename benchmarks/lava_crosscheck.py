"""Cross-check spikecore's Loihi emulator against Lava's bit-accurate CPU backend, and time both.

spikecore writes a few networks as lava-dl netx ``.net`` files (``write_netx``), reads them back
(``read_netx_layers`` + ``LoihiNetwork``) and runs its fixed-point CUBA emulator. The same files
are run by Lava 0.10 (``lava-nc==0.10.0``, Python 3.10 only) in its own virtual environment:
``benchmarks/_lava_run.py`` rebuilds the process graph lava-dl's ``netx.hdf5.Network`` builds
(lava-dl itself cannot be installed here) and runs it with ``Loihi2SimCfg(select_tag="fixed_pt")``,
i.e. Lava's ``PyLifModelBitAcc`` neuron (Davies et al., 2018, Loihi's CUBA LIF) and its
bit-accurate Dense / Conv synapses. Spikes of every layer, and with recording also every layer's
current ``u`` and voltage ``v`` at every step, must be identical bit for bit.

Timings: ``spikecore_s`` is the median of a few runs of ``LoihiNetwork.run`` (Numba compile
excluded, reported as ``compile_s``); ``peer_s`` is Lava's ``run(RunSteps(T))`` alone (its
process-graph build and compile/start time is ``peer_compile_s``); both run one sample for the
same number of steps. ``ratio = peer_s / spikecore_s``.

The Lava interpreter is ``$SPIKECORE_LAVA_PYTHON`` if set, else ``<venv>/bin/python`` with
``<venv>`` = ``--lava-venv`` (default ``$SPIKECORE_LAVA_VENV`` or ``/work/venv-lava310``); a
missing venv is created with a Python 3.10 interpreter (``pyenv``'s, or ``python3.10`` on the
PATH) and ``pip install lava-nc==0.10.0 h5py "numpy<2"``. If that is impossible, the script
prints why and exits 0 (with ``--json`` it still prints spikecore's rows, with ``"peer_s": null``).

Usage::

    python benchmarks/lava_crosscheck.py [--quick] [--json] [--record | --no-record] [--no-create]

``--quick`` runs small networks for 200 steps and compares spikes only (add ``--record`` for u
and v); the full run uses 4x wider layers, 1000 steps, and compares spikes, u and v.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spikecore.interop.lava import LoihiNetwork, NetxLayer, NetxNeuron, read_netx_layers, write_netx

PEER = "lava-nc 0.10"
LAVA_REQUIREMENTS = ["lava-nc==0.10.0", "h5py", "numpy<2"]
DEFAULT_VENV = os.environ.get("SPIKECORE_LAVA_VENV", "/work/venv-lava310")
RUNNER = Path(__file__).resolve().with_name("_lava_run.py")


# ----------------------------------------------------------------------------- the Lava venv


def _imports_lava(python):
    try:
        res = subprocess.run([str(python), "-c", "import lava.proc.lif.models, h5py, numpy"],
                             capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0


def find_python310():
    """A Python 3.10 interpreter: pyenv's newest 3.10.x, else ``python3.10`` on the PATH, else None."""
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            root = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=60).stdout.strip()
            names = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True,
                                   timeout=60).stdout.split()
        except (OSError, subprocess.TimeoutExpired):
            root, names = "", []
        versions = sorted((v for v in names if v.startswith("3.10.")),
                          key=lambda v: [int(p) if p.isdigit() else 0 for p in v.split(".")])
        for v in reversed(versions):
            exe = Path(root) / "versions" / v / "bin" / "python3.10"
            if exe.exists():
                return str(exe)
    exe = shutil.which("python3.10")
    if exe:
        res = subprocess.run([exe, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
                             capture_output=True, text=True)
        if res.stdout.strip() == "True":
            return exe
    return None


def lava_python(venv=DEFAULT_VENV, create=True, log=print):
    """Path of a Python that imports lava-nc 0.10, or ``(None, reason)``.

    Returns
    -------
    (str or None, str)
        The interpreter and a note of where it came from (or why there is none).
    """
    env_python = os.environ.get("SPIKECORE_LAVA_PYTHON")
    if env_python:
        if _imports_lava(env_python):
            return env_python, "SPIKECORE_LAVA_PYTHON=%s" % env_python
        return None, "SPIKECORE_LAVA_PYTHON=%s does not import lava" % env_python
    python = Path(venv) / "bin" / "python"
    if python.exists() and _imports_lava(python):
        return str(python), "venv %s" % venv
    if not create:
        return None, "no Lava venv at %s (and --no-create)" % venv
    base = find_python310()
    if base is None:
        return None, "no Python 3.10 interpreter (lava-nc 0.10 needs Python 3.10; try pyenv install 3.10)"
    log("creating the Lava venv %s with %s (pip install %s) ..." % (venv, base, " ".join(LAVA_REQUIREMENTS)))
    try:
        subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=600)
        subprocess.run([str(python), "-m", "pip", "install", "-q"] + LAVA_REQUIREMENTS, check=True,
                       capture_output=True, timeout=3600)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return None, "could not create %s: %s %s" % (venv, exc, detail.decode(errors="replace")[-500:])
    if not _imports_lava(python):
        return None, "%s was created but does not import lava" % venv
    return str(python), "venv %s (created)" % venv


# ----------------------------------------------------------------------------- the networks


def _neuron(i_decay, v_decay, vth):
    return NetxNeuron("CUBA", i_decay, v_decay, vth, 1, False)


def _dense(rng, n_out, n_in, neuron, low=-128, high=128, bias=None):
    w = rng.integers(low, high, (n_out, n_in)).astype(np.float64)
    b = None if bias is None else rng.integers(bias[0], bias[1], n_out).astype(np.float64)
    return NetxLayer("dense", (n_out,), neuron=neuron, weight=w, bias=b)


def _spikes(rng, T, shape, p):
    return (rng.random((T,) + tuple(shape)) < p).astype(np.uint8)


def _converted_mlp(rng, n_in, n_hidden, n_out):
    """A float LIF MLP as a NIR-style graph; ``write_netx`` converts it to Loihi fixed point."""
    from spikecore.interop.graph import GraphNetwork
    net = GraphNetwork(1e-3)
    net.add("in", "Input", shape=np.array([n_in]))
    net.add("fc1", "Affine", weight=rng.normal(0, 1, (n_hidden, n_in)), bias=rng.normal(0.05, 0.02, n_hidden))
    net.add("lif1", "LIF", tau=np.full(n_hidden, 0.02), r=np.ones(n_hidden), v_leak=np.zeros(n_hidden),
            v_threshold=np.full(n_hidden, 0.1), v_reset=np.zeros(n_hidden))
    net.add("fc2", "Linear", weight=rng.normal(0, 1, (n_out, n_hidden)))
    net.add("lif2", "CubaLIF", tau_mem=np.full(n_out, 0.01), tau_syn=np.full(n_out, 0.005),
            r=np.ones(n_out), w_in=np.ones(n_out), v_leak=np.zeros(n_out),
            v_threshold=np.full(n_out, 0.1), v_reset=np.zeros(n_out))
    net.add("out", "Output")
    for a, b in (("in", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "out")):
        net.connect(a, b)
    return net


def make_cases(quick, seed=0):
    """The cross-check networks and their inputs.

    Each case is a dict: ``name``, ``network`` (a LoihiNetwork, or a float GraphNetwork that
    ``write_netx`` converts), ``spikes`` (T, *input shape) or ``bias`` + ``steps`` for a network
    with an input layer, optional ``reset_interval``.
    """
    rng = np.random.default_rng(seed)
    T = 200 if quick else 1000
    s = 1 if quick else 4  # size factor
    cases = []
    # 1. dense 2-layer, random mixed-sign 8-bit weights, leaky current and voltage, biases
    n_in, n_h = 64 * s, 48 * s
    cases.append(dict(name="dense2 %d-%d-10" % (n_in, n_h), network=LoihiNetwork([
        _dense(rng, n_h, n_in, _neuron(1024, 512, 80 * s), bias=(-20, 40)),
        _dense(rng, 10, n_h, _neuron(2048, 256, 120 * s))]), spikes=_spikes(rng, T, (n_in,), 0.2)))
    # 2. sign modes: an excitatory layer (weights 0..200) whose current never decays (iDecay 0,
    #    Lava du = -1), so it wraps at 2**23 within the run, into an inhibitory layer (Lava's Dense
    #    clips netx's -256 scaling: the known lava-dl quirk spikecore reproduces)
    cases.append(dict(name="signs %d-%d-10" % (n_in, 32 * s), network=LoihiNetwork([
        _dense(rng, 32 * s, n_in, _neuron(0, 256, 30000), low=0, high=201),
        _dense(rng, 10, 32 * s, _neuron(4096, 1024, 200), low=-100, high=0, bias=(300, 500))]),
        spikes=_spikes(rng, T, (n_in,), 0.15)))
    # 3. a recurrent dense layer between two dense ones
    rec = _dense(rng, 32 * s, n_in, _neuron(1024, 1024, 150 * s), bias=(-10, 30))
    rec.kind = "dense_rec"
    rec.weight_rec = rng.integers(-128, 128, (32 * s, 32 * s)).astype(np.float64)
    cases.append(dict(name="dense_rec %d-%d(rec)-10" % (n_in, 32 * s), network=LoihiNetwork([
        rec, _dense(rng, 10, 32 * s, _neuron(2048, 512, 100 * s))]), spikes=_spikes(rng, T, (n_in,), 0.2)))
    # 4. an input layer driven by its bias (an encoded image, netx's 2wx - w + b) and a periodic
    #    layer-staggered reset (netx's reset_interval), as lava-dl's own netx tests run
    inp = NetxLayer("input", (n_in,), neuron=_neuron(4096, 0, 128))
    net = LoihiNetwork([inp, _dense(rng, 32 * s, n_in, _neuron(1024, 256, 100 * s), bias=(-20, 20)),
                        _dense(rng, 10, 32 * s, _neuron(2048, 512, 60 * s))])
    cases.append(dict(name="input+reset %d-%d-10" % (n_in, 32 * s), network=net,
                      bias=net.input_bias(rng.random(n_in)), steps=T, reset_interval=50))
    # 5. convolutions (shape-only input layer, padding, stride) -> flatten -> dense
    H = 10 if quick else 20
    c1 = NetxLayer("conv", (4, H, H), neuron=_neuron(1024, 512, 20),
                   weight=rng.integers(-8, 9, (4, 2, 3, 3)).astype(np.float64),
                   bias=rng.integers(-5, 10, 4).astype(np.float64), padding=(1, 1))
    c2 = NetxLayer("conv", (8, H // 2, H // 2), neuron=_neuron(2048, 512, 15),
                   weight=rng.integers(-8, 9, (8, 4, 3, 3)).astype(np.float64), stride=(2, 2), padding=(1, 1))
    fc = _dense(rng, 10, 8 * (H // 2) ** 2, _neuron(2048, 512, 150 * s))
    cases.append(dict(name="conv 2x%dx%d-4c3-8c3s2-10" % (H, H), network=LoihiNetwork([
        NetxLayer("input", (2, H, H)), c1, c2, NetxLayer("flatten", ()), fc]),
        spikes=_spikes(rng, T, (2, H, H), 0.2)))
    # 6. a float LIF / CUBA-LIF MLP converted to Loihi fixed point by write_netx (the export path)
    cases.append(dict(name="converted LIF MLP %d-%d-10" % (40 * s, 30 * s),
                      network=_converted_mlp(rng, 40 * s, 30 * s, 10), spikes=_spikes(rng, T, (40 * s,), 0.2)))
    return cases


# ----------------------------------------------------------------------------- running


def run_spikecore(path, case, record, repeats=5):
    """Run the case with spikecore's emulator on the network read back from ``path``.

    Returns the result dict of :meth:`LoihiNetwork.run` (with ``record``), the median run time of
    ``repeats`` runs without recording, and the compile time (first run minus the median).
    """
    layers, sim = read_netx_layers(path)
    net = LoihiNetwork(layers, sim)
    kw = dict(reset_interval=case.get("reset_interval"))
    if "spikes" in case:
        kw["inputs"] = case["spikes"]
    else:
        kw.update(bias=case["bias"], T=case["steps"])
    t0 = time.perf_counter()
    net.run(**kw)
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        net.run(**kw)
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    result = net.run(record=record, **kw)
    return result, med, max(first - med, 0.0)


def run_lava(python, jobs, workdir, timeout=3600):
    """Run the jobs in the Lava interpreter; raises RuntimeError with Lava's stderr on failure."""
    jobs_path = Path(workdir) / "jobs.json"
    jobs_path.write_text(json.dumps(jobs))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    res = subprocess.run([python, str(RUNNER), str(jobs_path)], capture_output=True, text=True,
                         timeout=timeout, env=env)
    if res.returncode != 0:
        raise RuntimeError("the Lava run failed (exit %d):\n%s" % (res.returncode, res.stderr[-4000:]))


def first_mismatch(ours, theirs, kind):
    """Describe the first (layer, step, neuron) where two lists of (T, ...) arrays differ, or None."""
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a.shape != b.shape:
            return "%s of layer %d: shape %s (spikecore) vs %s (Lava)" % (kind, i, a.shape, b.shape)
        diff = np.argwhere(np.asarray(a).astype(np.int64) != np.asarray(b).astype(np.int64))
        if diff.size:
            idx = tuple(int(k) for k in diff[0])
            return "%s of layer %d first differ at step %d, neuron %s: spikecore %d, Lava %d (%d entries differ)" % (
                kind, i, idx[0], idx[1:], int(a[idx]), int(b[idx]), len(diff))
    return None


def crosscheck(python, quick=True, record=True, seed=0, workdir=None, log=print):
    """Run every case in spikecore and in Lava; returns one result dict per case (the JSON rows).

    Each row has ``benchmark``, ``case``, ``spikecore_s``, ``peer``, ``peer_s``, ``ratio``,
    ``compile_s``, ``peer_compile_s``, ``steps``, ``neurons``, ``spikes`` (per layer, spikecore),
    ``identical`` (spikes of every layer), ``identical_uv`` (None without recording) and
    ``mismatch`` (a description of the first difference, or None).
    """
    cases = make_cases(quick, seed)
    own_tmp = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="spikecore-lava-") if own_tmp else workdir)
    try:
        jobs, ours = [], []
        for k, case in enumerate(cases):
            path = str(workdir / ("case%d.net" % k))
            write_netx(case["network"], path)
            inputs = {"spikes": case["spikes"]} if "spikes" in case else {"bias": case["bias"], "steps": case["steps"]}
            np.savez(workdir / ("case%d_in.npz" % k), **inputs)
            jobs.append(dict(net=path, inputs=str(workdir / ("case%d_in.npz" % k)),
                             output=str(workdir / ("case%d_out.npz" % k)), record=record,
                             reset_interval=case.get("reset_interval"), reset_offset=0))
            ours.append(run_spikecore(path, case, record))
        log("running %d networks in Lava (%s) ..." % (len(cases), python))
        run_lava(python, jobs, workdir)
        rows = []
        for case, job, (res, sc_s, sc_compile) in zip(cases, jobs, ours):
            with np.load(job["output"]) as z:
                lava = {k: z[k] for k in z.files}
            n_layers = len(res["spikes"])
            theirs = [lava["spikes_%d" % i] for i in range(n_layers)]
            mismatch = first_mismatch(res["spikes"], theirs, "spikes")
            identical_uv = None
            if record:
                bad = (first_mismatch(res["u"], [lava["u_%d" % i] for i in range(n_layers)], "u")
                       or first_mismatch(res["v"], [lava["v_%d" % i] for i in range(n_layers)], "v"))
                identical_uv = bad is None
                mismatch = mismatch or bad
            peer_s = float(lava["run_s"])
            rows.append(dict(
                benchmark="lava_crosscheck", case=case["name"], spikecore_s=sc_s, peer=PEER, peer_s=peer_s,
                ratio=peer_s / sc_s if sc_s > 0 else None, compile_s=sc_compile,
                peer_compile_s=float(lava["build_s"] + lava["compile_s"]),
                steps=int(res["spikes"][0].shape[0]), neurons=[int(np.prod(s.shape[1:])) for s in res["spikes"]],
                spikes=[int(s.sum()) for s in res["spikes"]],
                identical=first_mismatch(res["spikes"], theirs, "spikes") is None,
                identical_uv=identical_uv, mismatch=mismatch))
        return rows
    finally:
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)


def spikecore_only_rows(quick=True, seed=0):
    """The JSON rows without Lava: spikecore's timings, ``peer_s``, ``ratio`` and ``identical`` None."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="spikecore-lava-") as tmp:
        for k, case in enumerate(make_cases(quick, seed)):
            path = str(Path(tmp) / ("case%d.net" % k))
            write_netx(case["network"], path)
            res, sc_s, sc_compile = run_spikecore(path, case, record=False)
            rows.append(dict(
                benchmark="lava_crosscheck", case=case["name"], spikecore_s=sc_s, peer=PEER, peer_s=None,
                ratio=None, compile_s=sc_compile, peer_compile_s=None, steps=int(res["spikes"][0].shape[0]),
                neurons=[int(np.prod(s.shape[1:])) for s in res["spikes"]],
                spikes=[int(s.sum()) for s in res["spikes"]], identical=None, identical_uv=None, mismatch=None))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small networks, 200 steps (< 1 min once the venv exists)")
    p.add_argument("--json", action="store_true", help="one JSON object per case")
    p.add_argument("--record", dest="record", action="store_true", default=None,
                   help="also compare every layer's u and v at every step (a second, untimed Lava run "
                        "with monitors; the default without --quick)")
    p.add_argument("--no-record", dest="record", action="store_false", help="compare spikes only")
    p.add_argument("--no-create", action="store_true", help="do not create a missing Lava venv")
    p.add_argument("--lava-venv", default=DEFAULT_VENV, help="Lava venv (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    python, where = lava_python(args.lava_venv, create=not args.no_create, log=log)
    if python is None:
        log("SKIP lava_crosscheck: %s" % where)
        if args.json:  # the peer is absent: spikecore's timings with "peer_s": null
            for row in spikecore_only_rows(quick=args.quick, seed=args.seed):
                print(json.dumps(row))
        return 0
    log("Lava interpreter: %s" % where)
    record = (not args.quick) if args.record is None else args.record
    rows = crosscheck(python, quick=args.quick, record=record, seed=args.seed, log=log)
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print("%-32s %6s %10s %10s %8s %9s %5s %s" % ("case", "steps", "spikecore", "lava", "ratio",
                                                    "identical", "u/v", "spikes per layer"))
        for r in rows:
            print("%-32s %6d %9.4fs %9.3fs %7.0fx %9s %5s %s" % (
                r["case"], r["steps"], r["spikecore_s"], r["peer_s"], r["ratio"], r["identical"],
                "-" if r["identical_uv"] is None else r["identical_uv"], r["spikes"]))
        for r in rows:
            if r["mismatch"]:
                print("MISMATCH %s: %s" % (r["case"], r["mismatch"]))
    return 0 if all(r["identical"] and r["identical_uv"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
