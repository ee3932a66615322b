"""The CUBA network in NEST, built from connectivity and initial voltages given as arrays.

Used by ``benchmarks/cuba.py`` as a second peer (the issue invites NEST 3.10, a binary wheel on
PyPI: ``pip install nest-simulator``). Brian2's ``examples/CUBA.py`` is voltage-based,

.. math:: \\tau_m \\dot v = -(v - E_l) + g_e + g_i, \\qquad \\tau_e \\dot g_e = -g_e, \\qquad g_e \\mathrel{+}= w_e,

and NEST's ``iaf_psc_exp`` current-based,

.. math:: C_m \\dot V = -\\frac{C_m}{\\tau_m}(V - E_L) + I_\\mathrm{ex} + I_\\mathrm{in}, \\qquad
          \\tau_\\mathrm{syn,ex} \\dot I_\\mathrm{ex} = -I_\\mathrm{ex}, \\qquad I_\\mathrm{ex} \\mathrel{+}= w,

so the two are the same model with :math:`I = g\\,C_m/\\tau_m`: a weight of :math:`w_e` mV becomes
:math:`w_e C_m / \\tau_m` pA (20.25 pA and -112.5 pA for :math:`C_m` = 250 pF, :math:`\\tau_m` = 20 ms).
Spikes act after one step (NEST's minimum delay, ``dt``), as in Brian2 and spikecore. NEST
integrates each step exactly and orders its update differently, so its spike trains are the same
statistics, not the same spikes; the benchmark compares spike counts and wall time.

Run as a script it is a worker: ``python _nest_cuba.py THREADS IN.npz OUT.npz`` builds and runs
one network in a fresh process (NEST keeps a global kernel) and writes the spike count and the
timings.
"""
import json
import sys
import time

import numpy as np


def run_nest_cuba(pre_e, post_e, pre_i, post_i, v0, n, duration_s, dt_s=1e-4, threads=1):
    """Simulate CUBA in NEST; returns ``dict(n_spikes, run_s, build_s, nest)``."""
    import nest

    try:
        nest.verbosity = nest.VerbosityLevel.ERROR
    except AttributeError:  # NEST before 3.10
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": dt_s * 1e3, "local_num_threads": int(threads), "print_time": False})
    t0 = time.perf_counter()
    c_m, tau_m = 250.0, 20.0
    pop = nest.Create("iaf_psc_exp", n, params={
        "C_m": c_m, "tau_m": tau_m, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0,
        "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 0.0})
    pop.V_m = np.asarray(v0, np.float64) * 1e3
    ids = np.asarray(pop.tolist())
    delay = dt_s * 1e3
    for pre, post, w_mv in ((pre_e, post_e, 60 * 0.27 / 10), (pre_i, post_i, -20 * 4.5 / 10)):
        pre, post = np.asarray(pre, np.int64), np.asarray(post, np.int64)
        if pre.size:
            nest.Connect(ids[pre], ids[post], {"rule": "one_to_one"},
                         {"synapse_model": "static_synapse", "weight": np.full(pre.size, w_mv * c_m / tau_m),
                          "delay": np.full(pre.size, delay)})
    recorder = nest.Create("spike_recorder")
    nest.Connect(pop, recorder)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nest.Simulate(duration_s * 1e3)
    run_s = time.perf_counter() - t0
    return dict(n_spikes=int(recorder.n_events), run_s=run_s, build_s=build_s, nest=str(nest.__version__))


def main(argv):
    threads, inp, out = argv
    data = np.load(inp)
    res = run_nest_cuba(data["pre_e"], data["post_e"], data["pre_i"], data["post_i"], data["v0"],
                        int(data["n"]), float(data["duration_s"]), threads=int(threads))
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main(sys.argv[1:])
