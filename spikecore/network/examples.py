"""Reference networks built with the structural API (used by the benchmark, the tests and the demo)."""
import numpy as np

from .network import Network


def cuba(n=4000, p=None, seed=0, dtype=np.float64, exc_fraction=0.8, arithmetic=np.float64):
    """The CUBA benchmark network (Vogels & Abbott, 2005, as in Brette et al., 2007, benchmark 2).

    :math:`n` current-based LIF neurons (80 % excitatory), randomly connected with probability
    :math:`p` (default :math:`80/n`, i.e. 80 synapses per neuron; 0.02 at :math:`n = 4000`):

    .. math::
        \\tau_m \\frac{dv}{dt} = -(v - E_l) + g_e + g_i, \\qquad
        \\tau_e \\frac{dg_e}{dt} = -g_e, \\qquad \\tau_i \\frac{dg_i}{dt} = -g_i,

    :math:`\\tau_m = 20` ms, :math:`\\tau_e = 5` ms, :math:`\\tau_i = 10` ms, :math:`E_l = -49` mV,
    threshold :math:`V_t = -50` mV, reset :math:`V_r = -60` mV, refractory period 5 ms; a spike adds
    :math:`w_e = 60 \\cdot 0.27/10` mV to :math:`g_e` (excitatory) or
    :math:`w_i = -20 \\cdot 4.5/10` mV to :math:`g_i` (inhibitory); :math:`v(0) \\sim U[V_r, V_t]`.
    These are the parameters of Brian2's ``examples/CUBA.py``. Synapses have no extra delay
    (a spike acts on the next step, as in Brian2).

    Parameters
    ----------
    n : int
        Number of neurons.
    p : float, optional
        Connection probability (default ``80 / n``, at most 1).
    seed : int or numpy.random.Generator
        Seed of the connectivity and the initial potentials.
    dtype : numpy dtype
        State dtype; float64 for spike-exact comparison with Brian2.
    exc_fraction : float
        Fraction of excitatory neurons.
    arithmetic : numpy dtype
        Precision of the neuron update (:class:`~spikecore.neurons.CurrentLIF`): float64, or
        float32 with ``dtype=np.float32`` (single precision throughout, as Brian2 with
        ``prefs.core.default_float_dtype = float32``).

    Returns
    -------
    net : Network
        With ``dt = 0.1`` ms and spike recording on.
    pop : Population
        The ``n`` neurons (named ``"P"``): ``pop[:n_exc]`` excitatory, the rest inhibitory, as
        in Brian2's example.
    """
    from .. import _validate as V
    from ..neurons import CurrentLIF

    n = V.integer("n", n, low=2)
    p = min(1.0, 80.0 / n) if p is None else p
    exc_fraction = V.real("exc_fraction", exc_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    n_exc = int(round(exc_fraction * n))
    if not 0 < n_exc < n:
        V.fail("exc_fraction", exc_fraction, "a fraction leaving at least one excitatory and one "
               "inhibitory neuron of n = %d" % n)
    net = Network(dt=1e-4, seed=seed)
    model = CurrentLIF(tau_mem=20e-3, tau_syn=(5e-3, 10e-3), v_rest=-49e-3, v_th=-50e-3,
                       v_reset=-60e-3, t_ref=5e-3, dtype=dtype, arithmetic=arithmetic)
    v0 = lambda rng, k: rng.uniform(-60e-3, -50e-3, k)  # noqa: E731  (V_r + rand() (V_t - V_r))
    pop = net.add(model, n=n, name="P", initial={"v": v0})
    w_e, w_i = 60 * 0.27 / 10 * 1e-3, -20 * 4.5 / 10 * 1e-3
    net.connect(pop[:n_exc], pop, weight=w_e, p=p, target="exc")
    net.connect(pop[n_exc:], pop, weight=w_i, p=p, target="inh")
    net.record_spikes(pop)
    return net, pop


def cuba_export(net, pop):
    """The synapses and initial potentials of a :func:`cuba` network, as plain arrays.

    Returns
    -------
    dict
        ``pre_e, post_e`` and ``pre_i, post_i`` (int64 arrays: the excitatory and the
        inhibitory synapses, neurons numbered 0..n-1), ``v0`` (float64 (n,), volts), ``n``.
    """
    out = {}
    for conn in net.connections:
        pre, post, _, _ = conn.synapses()
        kind = "e" if conn.target == 0 else "i"
        out["pre_" + kind], out["post_" + kind] = pre.astype(np.int64), post.astype(np.int64)
    out["v0"] = np.broadcast_to(np.asarray(pop.initial["v"], np.float64), (pop.n,)).copy()
    out["n"] = pop.n
    return out
