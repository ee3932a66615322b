"""The CUBA network in Brian2, built from connectivity and initial voltages given as arrays.

Used by ``benchmarks/cuba.py`` (timing) and ``tests/test_network_brian2.py`` (spike-train
agreement). The model is Brian2's own ``examples/CUBA.py`` (Vogels & Abbott, 2005, as in
Brette et al., 2007); only the connectivity and ``v0`` are passed in, so that Brian2 and
spikecore simulate the *same* network.

Run as a script it is a worker: ``python _brian2_cuba.py TARGET IN.npz OUT.npz [float32]`` builds
and runs one network in a fresh process (Brian2 keeps global device state, so each target gets its
own process) and writes the spikes and the timings; ``float32`` sets Brian2's
``prefs.core.default_float_dtype`` (state and arithmetic in single precision).
"""
import json
import os
import sys
import tempfile
import time

import numpy as np


def run_brian2_cuba(target, pre_e, post_e, pre_i, post_i, v0, n, duration_s, dt_s=1e-4,
                    build_dir=None, float_dtype="float64"):
    """Simulate CUBA in Brian2 and return spikes and timings.

    Parameters
    ----------
    target : {"numpy", "cython", "cpp_standalone"}
        Brian2 code-generation target (runtime numpy/cython, or the C++ standalone device).
    pre_e, post_e, pre_i, post_i : int arrays
        Excitatory and inhibitory synapses as indices into the population of ``n`` neurons.
    v0 : float64 array (n,)
        Initial membrane potentials in volts.
    n : int
        Number of neurons.
    duration_s, dt_s : float
        Simulated time and time step in seconds.
    build_dir : str, optional
        Folder for the C++ standalone project.
    float_dtype : {"float64", "float32"}
        Brian2's ``prefs.core.default_float_dtype``.

    Returns
    -------
    dict
        ``i``, ``t`` (spike indices and times in s), ``run_s`` (simulation wall time, without
        code generation or compilation), ``compile_s`` (first-run code generation +
        compilation), ``build_s`` (creating the objects and synapses).
    """
    import brian2 as b2

    # a global preference: set for this run only, so that later Brian2 models in the same
    # process (other tests) keep Brian2's float64 default
    previous = b2.prefs.core.default_float_dtype
    b2.prefs.core.default_float_dtype = np.dtype(float_dtype).type
    try:
        return _simulate(target, pre_e, post_e, pre_i, post_i, v0, n, duration_s, dt_s, build_dir)
    finally:
        b2.prefs.core.default_float_dtype = previous


def _simulate(target, pre_e, post_e, pre_i, post_i, v0, n, duration_s, dt_s, build_dir):
    import brian2 as b2
    from brian2 import ms, mV

    if target == "cpp_standalone":
        build_dir = build_dir or tempfile.mkdtemp(prefix="spikecore-brian2-cpp-")
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    else:
        b2.prefs.codegen.target = target
    b2.defaultclock.dt = dt_s * b2.second
    t0 = time.perf_counter()
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                       method="exact", namespace=dict(taum=taum, taue=taue, taui=taui,
                                                      Vt=Vt, Vr=Vr, El=El))
    P.v = v0 * b2.volt
    P.ge = 0 * mV
    P.gi = 0 * mV
    we = (60 * 0.27 / 10) * mV
    wi = (-20 * 4.5 / 10) * mV
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace=dict(we=we))
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace=dict(wi=wi))
    Ce.connect(i=np.asarray(pre_e, np.int32), j=np.asarray(post_e, np.int32))
    Ci.connect(i=np.asarray(pre_i, np.int32), j=np.asarray(post_i, np.int32))
    mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, mon)
    build_s = time.perf_counter() - t0
    if target == "cpp_standalone":
        net.run(duration_s * b2.second)
        t1 = time.perf_counter()
        b2.device.build(directory=build_dir, compile=True, run=True, debug=False)
        total = time.perf_counter() - t1
        run_s = float(b2.device._last_run_time)
        compile_s = total - run_s
    else:
        t1 = time.perf_counter()
        net.run(0 * ms)  # code generation and compilation happen here (before_run)
        compile_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        net.run(duration_s * b2.second)
        run_s = time.perf_counter() - t2
    return dict(i=np.asarray(mon.i[:], np.int64), t=np.asarray(mon.t[:] / b2.second, np.float64),
                run_s=run_s, compile_s=compile_s, build_s=build_s, brian2=b2.__version__,
                numpy=np.__version__)


def main(argv):
    target, in_path, out_path = argv[:3]
    float_dtype = argv[3] if len(argv) > 3 else "float64"
    data = np.load(in_path)
    res = run_brian2_cuba(target, data["pre_e"], data["post_e"], data["pre_i"], data["post_i"],
                          data["v0"], int(data["n"]), float(data["duration_s"]), float(data["dt_s"]),
                          float_dtype=float_dtype)
    meta = {k: res[k] for k in ("run_s", "compile_s", "build_s", "brian2", "numpy")}
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as fh:
        np.savez(fh, i=res["i"], t=res["t"], meta=json.dumps(meta))
    os.replace(tmp, out_path)


if __name__ == "__main__":
    main(sys.argv[1:])
