"""Event-driven runs of LIF/IF networks (``Network.run(..., mode="event")``).

Only neurons that receive an event are advanced, with the exact analytic decay since their last
update (Brette et al., 2007, section 3; Brette, 2006); see :mod:`spikecore.kernels.event_driven`.
The network's clock-driven state (potentials, refractory counters, input in flight) is read
before and written back after the run, so event- and clock-driven runs can alternate.
"""
import time

import numpy as np

from .. import _validate as V
from ..kernels import event_driven as KE
from ..kernels import network as K
from .monitors import RunResult, SpikeList


def _check(net, inputs):
    state = net._state
    for p in net.populations:
        if p.is_source:
            continue
        if state.pop_model[p.index] != K.MODEL_LIF:
            V.fail("mode", "event", "LIF or IF populations only (population %r is %s)"
                   % (p.name, type(p.model).__name__), ValueError)
        alpha, _, v_rest, v_th = state.pop_params[p.index, :4]
        if alpha != 1.0 and v_rest > v_th:
            V.fail("mode", "event", "v_rest <= v_th in every population (population %r fires "
                   "without input: v_rest = %g > v_th = %g)" % (p.name, v_rest, v_th))
        if p.index in inputs:
            V.fail("inputs[%r]" % p.name, "<current>", "spike inputs only in event mode "
                   "(a current drives the neuron between events)", ValueError)
    if net._vrec:
        V.fail("mode", "event", "no voltage monitor (potentials are only computed at events); "
               "use mode='clock'", ValueError)


def _csr_tables(net, state):
    """CSR arrays of every connection (dense, conv and pool ones expanded to explicit synapses)."""
    con_int = state.con_int.copy()
    ptrs, idxs, ws, ds = [], [], [], []
    o_ptr = o_syn = 0
    for c, conn in enumerate(net.connections):
        if conn.kind == "csr":
            indptr, indices, w = conn.indptr, conn.indices, conn.weights
            delays = conn.delays
        else:
            W = conn.to_dense()
            post, pre = np.nonzero(W)
            order = np.lexsort((post, pre))
            pre, post = pre[order], post[order]
            indptr = np.zeros(conn.pre.n + 1, np.int64)
            np.cumsum(np.bincount(pre, minlength=conn.pre.n), out=indptr[1:])
            indices, w, delays = post.astype(np.int32), W[post, pre], np.zeros(0, np.int32)
        con_int[c, K.C_PTR], con_int[c, K.C_SYN], con_int[c, K.C_NNZ] = o_ptr, o_syn, indices.size
        con_int[c, K.C_HAS_DELAYS] = 1 if delays.size else 0
        ptrs.append(indptr)
        idxs.append(indices)
        ws.append(np.asarray(w, state.dtype))
        ds.append(delays if delays.size else np.zeros(indices.size, np.int32))
        o_ptr += indptr.size
        o_syn += indices.size

    def cat(parts, dt):
        return np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros(0, dt), dtype=dt)

    return (con_int, cat(ptrs, np.int64), cat(idxs, np.int32), cat(ws, state.dtype),
            cat(ds, np.int32))


def event_args(net, n_steps, inputs, batch):
    """Move the clock-driven state into event-driven buffers; return the kernel's arguments.

    Returns
    -------
    args : list
        Arguments of :func:`spikecore.kernels.event_driven.event_driven_run` for run steps
        ``[0, n_steps)`` (``args[1]`` is the start step).
    ctx : dict
        What :func:`run_event_driven` needs to write the state back.
    """
    state = net._state
    _check(net, inputs)
    pops = net.populations
    P = len(pops)
    neurons = [p for p in pops if not p.is_source]
    pop_goff = np.full(P, -1, np.int64)
    offset = 0
    for p in neurons:
        pop_goff[p.index] = offset
        offset += p.n
    n_all = offset
    n_ref_max = int(max(state.pop_params[p.index, 6] for p in neurons))
    # ring long enough for the longest delay and for a wake-up max(n_ref, 1) steps ahead, which
    # must never land in the slot being processed
    D = max(state.n_slots, max(n_ref_max, 1) + 1)
    v = np.ascontiguousarray(np.concatenate([state.views[p.index]["v"] for p in neurons], axis=1))
    refrac = np.ascontiguousarray(np.concatenate([state.views[p.index]["refrac"] for p in neurons],
                                                 axis=1))
    acc = np.zeros((D, batch, n_all), state.dtype)
    touched = np.zeros((D, batch, n_all), np.int32)
    n_touched = np.zeros((D, batch), np.int64)
    mark = np.zeros((D, batch, n_all), np.uint8)
    t0 = net.t
    for p in neurons:  # input already in flight in the clock-driven ring
        ring = _clock_ring(state, p)
        g0 = pop_goff[p.index]
        for k in range(state.n_slots):
            slot_c, slot_e = (t0 + k) % state.n_slots, (t0 + k) % D
            for b in range(batch):
                for j in np.flatnonzero(ring[slot_c, b]):
                    acc[slot_e, b, g0 + j] += ring[slot_c, b, j]
                    if not mark[slot_e, b, g0 + j]:
                        mark[slot_e, b, g0 + j] = 1
                        touched[slot_e, b, n_touched[slot_e, b]] = g0 + j
                        n_touched[slot_e, b] += 1
            ring[slot_c] = 0.0
    run = state.prepare(net, n_steps, inputs)
    pop_is_source = np.array([1 if p.is_source else 0 for p in pops], np.int64)
    con_int, indptr, indices, weights, delays = _csr_tables(net, state)
    t_valid = np.zeros((batch, n_all), np.int64)
    next_active = np.zeros((batch, n_all), np.int64)
    args = [t0, 0, n_steps, batch, D, pop_goff, state.pop_n, pop_is_source, state.pop_params,
            state.pop_spk, v, refrac, run["pop_ext"], run["src_ptr"], run["src_unit"], con_int,
            indptr, indices, weights, delays, acc, touched, n_touched, mark, t_valid, next_active,
            state.sidx, state.scount, run["counts"], run["mon_list"], *run["lists"], run["n_list"]]
    ctx = dict(run=run, neurons=neurons, pop_goff=pop_goff, D=D)
    return args, ctx


LISTS = slice(30, 34)  # positions of list_t, list_b, list_i, list_p in the kernel's arguments


def run_event_driven(net, n_steps, inputs, batch):
    """Run ``n_steps`` event-driven; same arguments and result as :meth:`Network.run`."""
    state = net._state
    args, ctx = event_args(net, n_steps, inputs, batch)
    run, D = ctx["run"], ctx["D"]
    wall0 = time.perf_counter()
    r = 0
    while r < n_steps:
        args[1] = r
        r = KE.event_driven_run(*args)
        if r < n_steps:  # spike-list buffers could overflow: grow them and continue
            m = int(run["n_list"][0])
            grown = [np.zeros(2 * args[30].size + run["worst"], np.int32) for _ in range(4)]
            for old, new in zip(args[LISTS], grown):
                new[:m] = old[:m]
            args[LISTS] = grown
    wall = time.perf_counter() - wall0
    t0, t1 = net.t, net.t + n_steps
    v, refrac, acc = args[10], args[11], args[20]
    # global arrays -> clock-driven state, pending input -> clock-driven ring
    for p in ctx["neurons"]:
        g0 = ctx["pop_goff"][p.index]
        state.views[p.index]["v"][...] = v[:, g0: g0 + p.n]
        state.views[p.index]["refrac"][...] = refrac[:, g0: g0 + p.n]
        ring = _clock_ring(state, p)
        for k in range(state.n_slots):
            ring[(t1 + k) % state.n_slots] += acc[(t1 + k) % D, :, g0: g0 + p.n]
    m = int(run["n_list"][0])
    lt, lb, li, lp = (x[:m] for x in args[LISTS])
    spikes = {}
    pops = net.populations
    for index in sorted(net._record):
        sel = lp == index
        order = np.lexsort((li[sel], lb[sel], lt[sel]))
        spikes[pops[index].name] = SpikeList((lt[sel][order] - t0).astype(np.int64),
                                             lb[sel][order].astype(np.int64),
                                             li[sel][order].astype(np.int64), net.dt)
    net.t = t1
    return RunResult(pops, n_steps, batch, net.dt, run["counts"], spikes, {}, wall)


def _clock_ring(state, pop):
    """The clock-driven ring of ``pop`` as an array ``(D, batch, n)`` (channel 0)."""
    n, batch, D = pop.n, state.batch, state.n_slots
    block = state.ring[state.pop_ring[pop.index]: state.pop_ring[pop.index] + D * batch * n]
    return block.reshape(D, batch, n)
