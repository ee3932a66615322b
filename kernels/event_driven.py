"""Event-driven simulation of LIF/IF networks with instantaneous synapses (asynchronous updates).

Instead of advancing every neuron at every step, a neuron is updated only when an event reaches
it (Brette et al., 2007, section 3; Brette, 2006, exact event-driven simulation of integrate-
and-fire models). Between two updates the leaky membrane decays analytically,

.. math::
    v(t) = v_\\mathrm{rest} + \\alpha^{\\,t - t_v}\\,(v(t_v) - v_\\mathrm{rest}) + \\beta I(t),

where :math:`t_v` is the step up to which :math:`v` is known, :math:`I(t)` the summed input
arriving at step :math:`t` and :math:`(\\alpha, \\beta)` the one-step propagator of the clock-driven
kernel :func:`spikecore.kernels.neurons.lif_step` (:math:`\\alpha = 1` for IF). Refractoriness
is the clock-driven rule: after a spike at step :math:`s` the potential is held at its reset
value and input is ignored until step :math:`s + \\max(n_\\mathrm{ref}, 1)`. Hence the spikes are
those of the clock-driven simulation on the same time grid (up to the rounding of
:math:`\\alpha^k` against :math:`k` products), and the cost per step is proportional to the events,
not to the number of neurons.

A neuron whose potential is still above threshold after a soft reset schedules a wake-up
event at the first step it may fire again. Neurons never fire without input because event mode
requires :math:`v_\\mathrm{rest} \\le v_\\mathrm{th}` (checked by the caller).

Events waiting for step :math:`t'` live in slot :math:`t' \\bmod D` of a ring: the summed input per
neuron, and the list of neurons touched (each once, flagged).
"""
import numba
import numpy as np

from .network import C_DELAY, C_HAS_DELAYS, C_POST, C_PRE, C_PTR, C_SYN


@numba.njit(cache=True)
def _sort_range(a, lo, hi):
    # in-place insertion sort of a[lo:hi] (a step's spikes of one population: short lists)
    for i in range(lo + 1, hi):
        x = a[i]
        k = i - 1
        while k >= lo and a[k] > x:
            a[k + 1] = a[k]
            k -= 1
        a[k + 1] = x


@numba.njit(cache=True, inline="always")
def _decayed(v, v_rest, alpha, k):
    # potential after k steps of free decay
    if k <= 0:
        return v
    return v_rest + alpha ** k * (v - v_rest)


@numba.njit(cache=True)
def event_driven_run(t_abs0, r_start, r_stop, batch, n_slots, pop_goff, pop_n, pop_is_source,
                     pop_params, pop_spk, v, refrac, src_off, src_ptr, src_unit, con_int,
                     csr_indptr, csr_indices, csr_weights, csr_delays, acc, touched, n_touched,
                     mark, t_valid, next_active, sidx, scount, counts, mon_list, list_t, list_b,
                     list_i, list_p, n_list):
    """Simulate run steps ``[r_start, r_stop)`` of a LIF/IF network event by event.

    See the module docstring for the equations. The clock-driven state ``(v, refrac)`` is read
    at the start and written back at the end, so runs can alternate between the two modes.

    Parameters
    ----------
    t_abs0 : int
        Absolute step of run step 0 (recorded spike steps are absolute).
    r_start, r_stop : int
        Run steps to simulate.
    batch : int
        Batch size.
    n_slots : int
        Ring length :math:`D`: at least the largest delay + 1, and greater than
        :math:`\\max(n_\\mathrm{ref}, 1)` (a wake-up must not land in the slot being processed).
    pop_goff : int64 (P,)
        Offset of each neuron population in the global neuron index (-1 for sources).
    pop_n : int64 (P,)
        Population sizes.
    pop_is_source : int64 (P,)
        1 for spike sources.
    pop_params : float64 (P, 7)
        ``(alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref)`` of each neuron population.
    pop_spk : int64 (P,)
        Offset of each population's ``(batch, n)`` block in ``sidx``.
    v : float array (batch, N)
        Membrane potentials of all neurons (clock-driven state), updated.
    refrac : int32 array (batch, N)
        Refractory counters (clock-driven state), updated.
    src_off : int64 (P,)
        Offset in ``src_ptr`` of each source's ``(n_steps*batch + 1)`` pointer, or -1.
    src_ptr, src_unit : int64, int32 arrays
        Input spikes, CSR by (step, batch element).
    con_int : int64 (C, >= 9)
        Connection table (columns as in :mod:`spikecore.kernels.network`; CSR only).
    csr_indptr, csr_indices, csr_weights, csr_delays : arrays
        Concatenated CSR synapses.
    acc : float array (D, batch, N)
        Summed pending input per slot: slot :math:`t' \\bmod D` holds the input of step
        :math:`t'`. On entry it holds the input already in flight; on exit, the input in flight
        for the steps after the run.
    touched : int32 array (D, batch, N), n_touched : int64 (D, batch), mark : uint8 (D, batch, N)
        Pending neurons per slot (consistent with ``acc`` on entry; kept on exit).
    t_valid, next_active : int64 arrays (batch, N)
        Scratch: step up to which ``v`` is known; first step the neuron may integrate again.
    sidx : int32 (.,), scount : int64 (P, batch)
        Spike lists of the current step.
    counts : int32 (R, P, batch)
        Receives spike counts per run step.
    mon_list : int64 (P,)
        1 to record the population's spikes.
    list_t, list_b, list_i, list_p : int32 (capacity,)
        Receive recorded spikes (absolute step, batch element, neuron, population).
    n_list : int64 (1,)
        Number of spikes recorded so far (updated).

    Returns
    -------
    int
        The run step reached: ``r_stop``, or earlier when the spike-list buffers could
        overflow in the next step (the caller enlarges them and continues from there).
    """
    n_pop = pop_n.shape[0]
    n_con = con_int.shape[0]
    capacity = list_t.shape[0]
    worst = 0
    for p in range(n_pop):
        if mon_list[p]:
            worst += batch * pop_n[p]
    # clock-driven state -> event state
    for b in range(batch):
        for p in range(n_pop):
            if pop_is_source[p]:
                continue
            for j in range(pop_n[p]):
                g = pop_goff[p] + j
                wait = refrac[b, g] - 1
                next_active[b, g] = t_abs0 + r_start + (wait if wait > 0 else 0)
                t_valid[b, g] = next_active[b, g] - 1
                if v[b, g] > pop_params[p, 3]:  # above threshold after a soft reset: wake-up
                    s2 = next_active[b, g] % n_slots
                    if mark[s2, b, g] == 0:
                        mark[s2, b, g] = 1
                        touched[s2, b, n_touched[s2, b]] = g
                        n_touched[s2, b] += 1
    r_end = r_stop
    for r in range(r_start, r_stop):
        if n_list[0] + worst > capacity:
            r_end = r
            break
        t = t_abs0 + r
        s = t % n_slots
        for b in range(batch):
            for p in range(n_pop):
                scount[p, b] = 0
            # sources
            for p in range(n_pop):
                if pop_is_source[p] and src_off[p] >= 0:
                    e0 = src_ptr[src_off[p] + r * batch + b]
                    e1 = src_ptr[src_off[p] + r * batch + b + 1]
                    o = pop_spk[p] + b * pop_n[p]
                    for e in range(e0, e1):
                        sidx[o + e - e0] = src_unit[e]
                    scount[p, b] = e1 - e0
            # neurons with pending events at step t
            for q in range(n_touched[s, b]):
                g = touched[s, b, q]
                mark[s, b, g] = 0
                inp = acc[s, b, g]
                acc[s, b, g] = 0.0
                if t < next_active[b, g]:
                    continue  # refractory: the clock-driven neuron ignores its input
                p = 0
                while not (pop_goff[p] >= 0 and pop_goff[p] <= g < pop_goff[p] + pop_n[p]):
                    p += 1
                pr = pop_params[p]
                alpha, beta, v_rest, v_th, v_reset = pr[0], pr[1], pr[2], pr[3], pr[4]
                n_ref = np.int64(pr[6])
                vn = v_rest + alpha ** (t - t_valid[b, g]) * (v[b, g] - v_rest) + beta * inp
                v[b, g] = vn
                t_valid[b, g] = t
                if v[b, g] > v_th:
                    if pr[5] != 0.0:
                        v[b, g] = v[b, g] - (v_th - v_reset)
                    else:
                        v[b, g] = v_reset
                    wait = n_ref if n_ref > 1 else 1
                    next_active[b, g] = t + wait
                    t_valid[b, g] = t + wait - 1
                    o = pop_spk[p] + b * pop_n[p]
                    sidx[o + scount[p, b]] = g - pop_goff[p]
                    scount[p, b] += 1
                    if v[b, g] > v_th:  # may fire again without input: wake it up
                        s2 = (t + wait) % n_slots
                        if mark[s2, b, g] == 0:
                            mark[s2, b, g] = 1
                            touched[s2, b, n_touched[s2, b]] = g
                            n_touched[s2, b] += 1
            n_touched[s, b] = 0
            # spike lists in ascending neuron order (the clock-driven order), counts, recording
            for p in range(n_pop):
                c = scount[p, b]
                counts[r, p, b] = c
                o = pop_spk[p] + b * pop_n[p]
                if c > 1 and not pop_is_source[p]:
                    _sort_range(sidx, o, o + c)
                if mon_list[p]:
                    k = n_list[0]
                    for q in range(c):
                        list_t[k + q] = t
                        list_b[k + q] = b
                        list_i[k + q] = sidx[o + q]
                        list_p[k + q] = p
                    n_list[0] = k + c
            # propagation: synapses of this step's spikes, into slots t + 1 + d
            for c in range(n_con):
                ci = con_int[c]
                pre = ci[C_PRE]
                post = ci[C_POST]
                n_pre = pop_n[pre]
                ptr = csr_indptr[ci[C_PTR]: ci[C_PTR] + n_pre + 1]
                s0 = ci[C_SYN]
                has_delays = ci[C_HAS_DELAYS] != 0
                o = pop_spk[pre] + b * n_pre
                goff = pop_goff[post]
                for q in range(scount[pre, b]):
                    j = sidx[o + q]
                    for k in range(ptr[j], ptr[j + 1]):
                        d = csr_delays[s0 + k] if has_delays else ci[C_DELAY]
                        s2 = (t + 1 + d) % n_slots
                        g = goff + csr_indices[s0 + k]
                        acc[s2, b, g] += csr_weights[s0 + k]
                        if mark[s2, b, g] == 0:
                            mark[s2, b, g] = 1
                            touched[s2, b, n_touched[s2, b]] = g
                            n_touched[s2, b] += 1
    # event state -> clock-driven state at the end of the last step
    t_last = t_abs0 + r_end - 1
    for b in range(batch):
        for p in range(n_pop):
            if pop_is_source[p]:
                continue
            pr = pop_params[p]
            n_ref = np.int64(pr[6])
            for j in range(pop_n[p]):
                g = pop_goff[p] + j
                v[b, g] = _decayed(v[b, g], pr[2], pr[0], t_last - t_valid[b, g])
                left = next_active[b, g] - t_last
                refrac[b, g] = 0 if (n_ref == 0 or left < 0) else left
    return r_end
