"""``spikecore demo``: simulate a few small populations of neuron models and report what happened.

Three populations, all seeded:

* 500 current-based LIF neurons (the CUBA neuron; Vogels & Abbott 2005) each bombarded by
  Poisson spike trains on an excitatory and an inhibitory synaptic channel;
* 100 Izhikevich (2003) regular-spiking and 25 fast-spiking neurons driven by the noisy
  "thalamic" current of the paper's network (I = 5 N(0,1) resp. 2 N(0,1), plus a bias);
* 5 Hodgkin-Huxley (1952) neurons under constant currents around their rheobase.

For each it prints spike counts, mean rate, the coefficient of variation of the inter-spike
intervals (CV; 1 for a Poisson process, 0 for a clock) and the time taken.
"""
import time

import numpy as np

from spikecore import _validate


def add_parser(sub):
    """Register the ``demo`` sub-command on the argparse ``sub`` (sub-parsers) object."""
    p = sub.add_parser("demo", help="simulate small populations of neuron models and print what happened")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same spikes; default 0)")
    p.add_argument("--duration", type=float, default=1.0, help="simulated time in seconds (default 1.0)")
    p.set_defaults(func=run)


def isi_cv(spikes, dt):
    """Mean over neurons (with at least 3 spikes) of CV = std(ISI) / mean(ISI).

    Parameters
    ----------
    spikes : bool array (T, batch, n)
        Spike raster.
    dt : float
        Time step (s).

    Returns
    -------
    float
        The mean CV, NaN when no neuron spiked three times.
    """
    flat = spikes.reshape(spikes.shape[0], -1)
    cvs = []
    for j in range(flat.shape[1]):
        isi = np.diff(np.flatnonzero(flat[:, j])) * dt
        if len(isi) >= 2 and isi.mean() > 0:
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def _report(name, spikes, dt, seconds, wall, first_call):
    T, batch, n = spikes.shape
    counts = spikes.sum(axis=0).ravel()
    rate = counts.mean() / seconds
    print("  %-34s %5d  %8d  %7.1f  %5.2f  %5.0f%%  %8.3f  %8.3f"
          % (name, n * batch, counts.sum(), rate, isi_cv(spikes, dt), 100.0 * (counts > 0).mean(),
             wall, first_call))


def _timed(fn):
    # First call (may JIT-compile or load the Numba cache), then a timed second call.
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, first


def run(args):
    """Simulate the three demo populations and print the table (``args``: seed, duration).

    Returns
    -------
    int
        0 on success (the process exit status).
    """
    from spikecore.neurons import CurrentLIF, HodgkinHuxley, Izhikevich

    seed = _validate.integer("--seed", args.seed, low=0)
    seconds = _validate.real("--duration", args.duration, low=0.01, high=10.0, unit="s")
    rng = np.random.default_rng(seed)
    print("spikecore demo: %.2f s of simulated time, seed %d" % (seconds, seed))
    print("  %-34s %5s  %8s  %7s  %5s  %6s  %8s  %8s"
          % ("population", "n", "spikes", "rate Hz", "CV", "active", "run s", "1st s"))

    # 1. CUBA LIF neurons bombarded by Poisson input (mV units, as Brette et al. 2007).
    dt = 1e-4
    T = int(round(seconds / dt))
    n = 500
    cuba = CurrentLIF(tau_mem=20e-3, tau_syn=(5e-3, 10e-3), v_rest=-60e-3, v_th=-50e-3,
                      v_reset=-60e-3, t_ref=5e-3)
    # Inputs per neuron and their rate (Hz). Mean drive rate * w * tau_syn: +18 mV excitatory,
    # -7.5 mV inhibitory, so the mean sits near the 10 mV to threshold: fluctuation-driven firing.
    n_exc, n_inh, rate_in = 300, 75, 10.0
    syn = np.empty((T, 2, 1, n), np.float32)
    syn[:, 0] = 1.2e-3 * rng.poisson(n_exc * rate_in * dt, size=(T, 1, n))
    syn[:, 1] = -1.0e-3 * rng.poisson(n_inh * rate_in * dt, size=(T, 1, n))
    v0 = rng.uniform(-60e-3, -50e-3, size=(1, n))
    zero = np.zeros((T, 1, n), np.float32)
    out, wall, first = _timed(lambda: cuba.run(zero, dt, state=cuba.init_state(1, n, v=v0),
                                               syn_input=syn))
    _report("CUBA LIF, Poisson exc+inh input", out.spikes, dt, seconds, wall, first)

    # 2. Izhikevich RS and FS neurons with the paper's noisy thalamic input.
    dt = 5e-4
    T = int(round(seconds / dt))
    for name, count, sigma in (("RS", 100, 5.0), ("FS", 25, 2.0)):
        model = Izhikevich.preset(name)
        current = (4.0 + sigma * rng.standard_normal((T, 1, count))).astype(np.float32)
        out, wall, first = _timed(lambda: model.run(current, dt))
        _report("Izhikevich %s, noisy current" % name, out.spikes, dt, seconds, wall, first)

    # 3. Hodgkin-Huxley under constant currents around the rheobase (~6.2 uA/cm^2).
    dt = 2e-5
    T = int(round(seconds / dt))
    levels = np.array([3.0, 6.0, 7.0, 10.0, 20.0], np.float32)
    hh = HodgkinHuxley(method="exponential_euler")
    current = np.broadcast_to(levels, (T, 1, len(levels)))
    out, wall, first = _timed(lambda: hh.run(current, dt))
    _report("Hodgkin-Huxley, 3..20 uA/cm^2", out.spikes, dt, seconds, wall, first)
    counts = out.spikes.sum(axis=0)[0]
    print("  Hodgkin-Huxley spikes per current: "
          + ", ".join("%g uA/cm^2: %d" % (i, c) for i, c in zip(levels, counts)))
    print("(rate: mean over neurons; CV: std/mean of inter-spike intervals; run s: a second run,"
          " 1st s: first call incl. JIT or cache load)")
    return 0
