"""The Diehl & Cook plastic layer in Brian2, for ``benchmarks/stdp.py`` (run in a Brian2 venv).

``python _brian2_stdp.py TARGET IN.npz OUT.json`` presents each row of ``rates`` (Hz) for
``steps`` steps of ``dt`` to a Poisson input group -> a layer of adaptive-threshold LIF neurons
with delta synapses and lateral inhibition; the input synapses learn with the rule of Diehl &
Cook's (2015) published code written as Brian2 synapse equations (the rule of
``spikecore.learning.TripletSTDP.diehl_cook``). Before each presentation the weights are
normalised and the neuron state reset, as spikecore does. Writes wall times (first presentation,
which includes code generation and compilation, reported separately) and spike counts.
"""
import json
import sys
import time

import numpy as np


def main(target, inp, out):
    import brian2 as b2

    data = np.load(inp)
    rates, w0 = data["rates"], data["w0"]
    steps, dt, total = int(data["steps"]), float(data["dt"]), float(data["weight_sum"])
    n_in, n_out = w0.shape
    b2.prefs.codegen.target = target
    b2.defaultclock.dt = dt * b2.second
    ms = b2.ms
    tau_m, tau_theta, tau_inh = 100 * ms, 1e4 * b2.second, 2 * ms
    theta_plus, w_inh = 0.05, 1.0
    inp_g = b2.PoissonGroup(n_in, rates=np.zeros(n_in) * b2.Hz)
    exc = b2.NeuronGroup(
        n_out,
        """dv/dt = -v / tau_m - gi / (1 * ms) : 1 (unless refractory)
           dtheta/dt = -theta / tau_theta : 1
           dgi/dt = -gi / tau_inh : 1""",
        threshold="v > 1 + theta", reset="v = 0; theta += theta_plus", refractory=5 * ms,
        method="exact", namespace=dict(tau_m=tau_m, tau_theta=tau_theta, tau_inh=tau_inh,
                                       theta_plus=theta_plus, ms=ms))
    lateral = b2.Synapses(exc, exc, on_pre="gi_post += w_inh", namespace=dict(w_inh=w_inh))
    lateral.connect(condition="i != j")
    stdp = b2.Synapses(
        inp_g, exc,
        model="""w : 1
                 post2before : 1
                 dpre/dt = -pre / tc_pre : 1 (event-driven)
                 dpost1/dt = -post1 / tc_post1 : 1 (event-driven)
                 dpost2/dt = -post2 / tc_post2 : 1 (event-driven)""",
        on_pre="v_post += w; pre = 1.; w = clip(w - nu_pre * post1, 0, wmax)",
        on_post="post2before = post2; w = clip(w + nu_post * pre * post2before, 0, wmax); "
                "post1 = 1.; post2 = 1.",
        namespace=dict(tc_pre=20 * ms, tc_post1=20 * ms, tc_post2=40 * ms, nu_pre=1e-4,
                       nu_post=1e-2, wmax=1.0))
    stdp.connect()  # all to all; synapse k = i * n_out + j (pre-major)
    stdp.w = w0.ravel()
    counter = b2.SpikeMonitor(exc, record=False)
    in_counter = b2.SpikeMonitor(inp_g, record=False)
    net = b2.Network(inp_g, exc, lateral, stdp, counter, in_counter)
    walls = []
    for k in range(rates.shape[0]):
        t0 = time.perf_counter()
        w = np.asarray(stdp.w[:]).reshape(n_in, n_out)
        sums = w.sum(axis=0)
        stdp.w = (w * (total / np.where(sums > 0, sums, 1.0))).ravel()
        exc.v = 0.0
        exc.gi = 0.0
        stdp.pre = 0.0
        stdp.post1 = 0.0
        stdp.post2 = 0.0
        inp_g.rates = rates[k] * b2.Hz
        net.run(steps * dt * b2.second)
        walls.append(time.perf_counter() - t0)
    result = dict(first_s=walls[0], per_sample_s=float(np.median(walls[1:])) if len(walls) > 1 else None,
                  n_samples=len(walls), output_spikes=int(counter.num_spikes),
                  input_spikes=int(in_counter.num_spikes), brian2=b2.__version__,
                  numpy=np.__version__, target=target)
    with open(out, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main(*sys.argv[1:4])
