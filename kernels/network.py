"""The clock-driven network simulator: one compiled loop over time steps, populations and connections.

:func:`network_run` advances a whole network (several populations of LIF, IF, current-based
LIF, adaptive LIF or Izhikevich neurons and spike sources, joined by CSR / dense / convolution /
pooling connections with integer delays) for a range of steps without returning to Python. At
step :math:`t` (schedule of Brian2's default clock-driven update, Stimberg, Brette & Goodman,
2019; Brette et al., 2007):

1. every neuron population reads its input of step :math:`t` from the delay ring buffer,
   slot :math:`t \\bmod D` (for current-based LIF the input is added to the synaptic currents
   :math:`i_k \\mathrel{+}= R_k[t]`, for the other models it is the step's input current), adds
   the external current, advances one step with the model's kernel from
   :mod:`spikecore.kernels.neurons`, and clears the slot; spike sources emit the spikes
   given for step :math:`t`;
2. the spiking neurons of every population are compacted into index lists
   (:func:`spikecore.kernels.propagation.spike_list`) and monitored;
3. every connection scatters the outgoing synapses of those neurons into the ring slots
   :math:`(t + 1 + d) \\bmod D` of its target (:mod:`spikecore.kernels.propagation`), so a spike
   emitted at step :math:`t` acts on the update of step :math:`t + 1 + d`;
4. every *plastic* connection applies one step of its rule
   (:func:`spikecore.kernels.plasticity.stdp_dense_step` / :func:`~spikecore.kernels.plasticity.stdp_csr_step`:
   trace decay, depression at presynaptic spikes, potentiation at postsynaptic spikes) with the
   postsynaptic spikes of step :math:`t` and, for a synapse of delay :math:`d`, the presynaptic
   spikes *arriving* at step :math:`t` (emitted at :math:`t - d`), as Brian2's delayed ``on_pre``
   and NEST's dendritic delay do. Propagation of step :math:`t` therefore uses the weights
   reached after step :math:`t - 1`.

The network is described by flat buffers and integer tables (built by
:mod:`spikecore.network.network`), because a compiled loop cannot hold a list of Python
objects; the tables' layout is documented in :func:`network_run`.
"""
import numba
import numpy as np

from .neurons import adaptive_lif_step, izhikevich_step, lif_step
from .plasticity import RULE_BCM, RULE_RSTDP, stdp_csr_step, stdp_dense_step
from .propagation import (conv2d_propagate, csr_propagate, dense_propagate, pool2d_propagate,
                          spike_list)

# model codes (pop_model)
MODEL_EXTERNAL = -1  # advanced by the caller before the step (general path for other models)
MODEL_SOURCE = 0
MODEL_LIF = 1
MODEL_CUBA_LIF = 2
MODEL_ADAPTIVE_LIF = 3
MODEL_IZHIKEVICH = 4

# connection kinds (con_int[:, 0])
CONN_CSR = 0
CONN_DENSE = 1
CONN_CONV2D = 2
CONN_POOL2D = 3

# columns of con_int
C_KIND, C_PRE, C_POST, C_CHANNEL, C_DELAY, C_PTR, C_SYN, C_NNZ, C_HAS_DELAYS, C_W = range(10)
# C_GEOM: 12 geometry integers follow:
# c_out, c_in, k_h, k_w, in_h, in_w, out_h, out_w, s_y, s_x, p_y, p_x
C_GEOM = 10
N_CON_COLS = 22

# columns of pl_int (one row per plastic connection; offsets into the pl_* buffers)
(PL_CON, PL_RULE, PL_NV, PL_G, PL_DELAY, PL_X, PL_Y, PL_THETA, PL_ELIG, PL_COL, PL_SYNPRE,
 PL_HIST, PL_HCNT, PL_HLEN) = range(14)
N_PL_COLS = 14


# ---------------------------------------------------------------------------------------------
# The engine's own CUBA step: kernels.neurons.cuba_lif_step with one addition, ``has_current``.
# A network population usually gets no external current, and skipping the read of that (zeroed)
# buffer lets LLVM vectorise the loop over the engine's strided state views: measured 0.08 s
# against 0.41 s for 1 s of CUBA 4000 (benchmarks/cuba.py). Same arithmetic in the same order as
# cuba_lif_step (beta * 0 is added when there is no current), so the results are bit-identical:
# tests/test_network_engine.py::test_cuba_step_is_bitwise_identical checks it. The arithmetic is
# that of the parameters: float64, or float32 for CurrentLIF(arithmetic=np.float32).
# ---------------------------------------------------------------------------------------------
@numba.njit(cache=True)
def _cuba_lif_step_engine(v, i_syn, refrac, current, has_current, alpha, beta, v_rest, v_th,
                          v_reset, soft_reset, n_ref, syn_decay, syn_gain, spikes_out):
    batch, n = v.shape
    n_syn = i_syn.shape[0]
    drop = v_th - v_reset
    zero_input = beta - beta  # +0.0 in beta's precision (beta * 0.0 would be float64)
    # the refractory counter stays in its own width (int32): Numba's integer arithmetic is
    # 64-bit, and a 64-bit counter select in the vectorised loop doubled the float32 update's
    # time (benchmarks/RESULTS.md, CUBA); the values are the same
    ref_t = refrac.dtype.type
    n_ref_r = ref_t(n_ref)
    for b in range(batch):
        vb = v[b]
        rb = refrac[b]
        cb = current[b]
        sb = spikes_out[b]
        if n_syn == 2:
            i0 = i_syn[0, b]
            i1 = i_syn[1, b]
            g0, g1, d0, d1 = syn_gain[0], syn_gain[1], syn_decay[0], syn_decay[1]
            for j in range(n):
                r = rb[j]
                r = ref_t(r - 1) if r > 0 else r
                active = r == 0
                v_old = vb[j]
                vn = v_rest + alpha * (v_old - v_rest)
                vn = vn + (beta * cb[j] if has_current else zero_input)
                vn = vn + g0 * i0[j]
                vn = vn + g1 * i1[j]
                i0[j] = d0 * i0[j]
                i1[j] = d1 * i1[j]
                vb[j] = vn if active else v_old
                spike = active and vb[j] > v_th
                vb[j] = (vb[j] - drop if soft_reset else v_reset) if spike else vb[j]
                rb[j] = n_ref_r if spike else r
                sb[j] = spike
        else:
            for j in range(n):
                r = rb[j]
                r = ref_t(r - 1) if r > 0 else r
                active = r == 0
                v_old = vb[j]
                vn = v_rest + alpha * (v_old - v_rest)
                vn = vn + (beta * cb[j] if has_current else zero_input)
                for k in range(n_syn):
                    vn = vn + syn_gain[k] * i_syn[k, b, j]
                    i_syn[k, b, j] = syn_decay[k] * i_syn[k, b, j]
                vb[j] = vn if active else v_old
                spike = active and vb[j] > v_th
                vb[j] = (vb[j] - drop if soft_reset else v_reset) if spike else vb[j]
                rb[j] = n_ref_r if spike else r
                sb[j] = spike


@numba.njit(cache=True)
def _advance_population(p, t, r, batch, n_slots, pop_model, pop_n, pop_state, pop_params,
                        pop_single, pop_pf, pop_nch, pop_ring, pop_cur, pop_ext, pop_bias, pop_spk,
                        fstate, istate, ring, ext, bias, spk, src_ptr, src_unit, sidx, scount):
    # One population, one step: input from the ring slot, model step, spike list.
    n = pop_n[p]
    blk = batch * n
    model = pop_model[p]
    if model == MODEL_EXTERNAL:
        return
    idx = sidx[pop_spk[p]: pop_spk[p] + blk].reshape(batch, n)
    cnt = scount[p]
    if model == MODEL_SOURCE:
        base = pop_ext[p]
        if base < 0:
            cnt[:] = 0
            return
        for b in range(batch):
            e0 = src_ptr[base + r * batch + b]
            e1 = src_ptr[base + r * batch + b + 1]
            for e in range(e0, e1):
                idx[b, e - e0] = src_unit[e]
            cnt[b] = e1 - e0
        return
    nch = pop_nch[p]
    slot = t % n_slots
    rp = ring[pop_ring[p]: pop_ring[p] + nch * n_slots * blk].reshape(nch, n_slots, batch, n)
    spikes = spk[pop_spk[p]: pop_spk[p] + blk].reshape(batch, n)
    st = pop_state[p]
    pr = pop_params[p]
    # the step's input current: ring slot (non-CUBA models) or a scratch array (CUBA)
    if model == MODEL_CUBA_LIF:
        cur = fstate[pop_cur[p]: pop_cur[p] + blk].reshape(batch, n)  # zero between steps
        i_syn = fstate[st[1]: st[1] + nch * blk].reshape(nch, batch, n)
        if n_slots > 1:  # (with one slot, propagation adds into i_syn directly)
            for k in range(nch):
                i_syn[k] += rp[k, slot]
                rp[k, slot] = 0.0
    else:
        cur = rp[0, slot]
    if pop_ext[p] >= 0:
        cur += ext[pop_ext[p] + r * blk: pop_ext[p] + (r + 1) * blk].reshape(batch, n)
    if pop_bias[p] >= 0:
        bp = bias[pop_bias[p]: pop_bias[p] + n]
        for b in range(batch):
            cur[b] += bp
    v = fstate[st[0]: st[0] + blk].reshape(batch, n)
    if model == MODEL_LIF:
        refrac = istate[st[1]: st[1] + blk].reshape(batch, n)
        lif_step(v, refrac, cur, pr[0], pr[1], pr[2], pr[3], pr[4], pr[5] != 0.0, np.int64(pr[6]),
                 spikes)
    elif model == MODEL_CUBA_LIF:
        refrac = istate[st[2]: st[2] + blk].reshape(batch, n)
        has_current = pop_ext[p] >= 0 or pop_bias[p] >= 0
        if pop_single[p]:  # float32 arithmetic: the parameters in the state's dtype
            pf = pop_pf[p]
            _cuba_lif_step_engine(v, i_syn, refrac, cur, has_current, pf[0], pf[1], pf[2], pf[3],
                                  pf[4], pr[5] != 0.0, np.int64(pr[6]), pf[7: 7 + nch],
                                  pf[7 + nch: 7 + 2 * nch], spikes)
        else:
            _cuba_lif_step_engine(v, i_syn, refrac, cur, has_current, pr[0], pr[1], pr[2], pr[3],
                                  pr[4], pr[5] != 0.0, np.int64(pr[6]), pr[7: 7 + nch],
                                  pr[7 + nch: 7 + 2 * nch], spikes)
    elif model == MODEL_ADAPTIVE_LIF:
        theta = fstate[st[1]: st[1] + blk].reshape(batch, n)
        refrac = istate[st[2]: st[2] + blk].reshape(batch, n)
        adaptive_lif_step(v, theta, refrac, cur, pr[0], pr[1], pr[2], pr[3], pr[4], pr[5] != 0.0,
                          np.int64(pr[6]), pr[7], pr[8], spikes)
    else:  # MODEL_IZHIKEVICH
        u = fstate[st[1]: st[1] + blk].reshape(batch, n)
        izhikevich_step(v, u, cur, pr[0], pr[1], pr[2], pr[3], pr[4], pr[5], np.int64(pr[6]),
                        spikes)
    if model != MODEL_CUBA_LIF or pop_ext[p] >= 0 or pop_bias[p] >= 0:
        cur[:] = 0.0  # the ring slot is consumed / the scratch current is zero again
    spike_list(spikes, idx, cnt)


@numba.njit(cache=True)
def _connection_dest(c, batch, n_slots, pop_model, pop_n, pop_state, pop_nch, pop_ring, fstate,
                     ring, con_int):
    # The (D, batch, n_post) buffer that connection c adds into.
    post = con_int[c, C_POST]
    n_post = pop_n[post]
    nch = pop_nch[post]
    blk = batch * n_post
    if pop_model[post] == MODEL_CUBA_LIF and n_slots == 1:
        # no delays anywhere: add straight into the synaptic currents i_k (what the ring slot
        # would add before the next update; Brian2's "ge += w" right after the step)
        st = pop_state[post, 1]
        return fstate[st: st + nch * blk].reshape(nch, 1, batch, n_post)[con_int[c, C_CHANNEL]]
    rp = ring[pop_ring[post]: pop_ring[post] + nch * n_slots * blk].reshape(
        nch, n_slots, batch, n_post)
    return rp[con_int[c, C_CHANNEL]]


@numba.njit(cache=True)
def _propagate_connection(c, t, batch, n_slots, pop_model, pop_n, pop_state, pop_nch, pop_ring,
                          pop_spk, fstate, sidx, scount, ring, con_int, con_float, csr_indptr,
                          csr_indices, csr_weights, csr_delays, dense_w, conv_k):
    # Scatter the spikes of the connection's presynaptic population of step t.
    ci = con_int[c]
    pre = ci[C_PRE]
    post = ci[C_POST]
    n_pre = pop_n[pre]
    n_post = pop_n[post]
    cnt = scount[pre]
    total = 0
    for b in range(batch):
        total += cnt[b]
    if total == 0:
        return
    idx = sidx[pop_spk[pre]: pop_spk[pre] + batch * n_pre].reshape(batch, n_pre)
    dest = _connection_dest(c, batch, n_slots, pop_model, pop_n, pop_state, pop_nch, pop_ring,
                            fstate, ring, con_int)
    slot = (t + 1 + ci[C_DELAY]) % n_slots
    kind = ci[C_KIND]
    g = ci[C_GEOM: C_GEOM + 12]
    if kind == CONN_CSR:
        nnz = ci[C_NNZ]
        s0 = ci[C_SYN]
        delays = csr_delays[s0: s0 + nnz] if ci[C_HAS_DELAYS] else csr_delays[0:0]
        csr_propagate(idx, cnt, csr_indptr[ci[C_PTR]: ci[C_PTR] + n_pre + 1],
                      csr_indices[s0: s0 + nnz], csr_weights[s0: s0 + nnz], delays, dest, slot)
    elif kind == CONN_DENSE:
        w = dense_w[ci[C_W]: ci[C_W] + n_pre * n_post].reshape(n_pre, n_post)
        dense_propagate(idx, cnt, w, dest, slot)
    elif kind == CONN_CONV2D:
        size = g[0] * g[1] * g[2] * g[3]
        k = conv_k[ci[C_W]: ci[C_W] + size].reshape(g[0], g[1], g[2], g[3])
        conv2d_propagate(idx, cnt, k, g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], dest, slot)
    else:  # CONN_POOL2D: k_h, k_w hold the window size
        pool2d_propagate(idx, cnt, g[4], g[5], g[6], g[7], g[2], g[3], g[8], g[9], con_float[c],
                         dest, slot)


@numba.njit(cache=True)
def _arrivals(t, pre_idx, pre_cnt, hidx, hcnt, delays, n_pre, vidx, vcnt):
    # Presynaptic spikes ARRIVING at step t on a plastic connection. The spikes emitted at t are
    # stored in a history ring (slot t mod H); delay group g (delay delays[g]) lists the spikes
    # emitted at t - delays[g], numbered g * n_pre + j: one "virtual" presynaptic neuron per
    # (group, neuron), whose traces are those seen by the synapses of that delay.
    n_hist = hcnt.shape[0]
    h = t % n_hist
    for b in range(pre_cnt.shape[0]):
        c = pre_cnt[b]
        hcnt[h, b] = c
        for s in range(c):
            hidx[h, b, s] = pre_idx[b, s]
    for b in range(pre_cnt.shape[0]):
        k = 0
        for g in range(delays.shape[0]):
            hs = (t - delays[g]) % n_hist
            off = g * n_pre
            for s in range(hcnt[hs, b]):
                vidx[b, k] = hidx[hs, b, s] + off
                k += 1
        vcnt[b] = k


@numba.njit(cache=True)
def _csr_propagate_groups(idx, cnt, vptr, indices, weights, no_delays, delays, n_pre, dest, t,
                          n_slots):
    # A plastic CSR connection with several delays is stored by (delay group, presynaptic
    # neuron): group g holds rows g * n_pre .. (g + 1) * n_pre of the pointer vptr, all of
    # delay delays[g]. csr_propagate reads absolute offsets from the pointer, so a slice works.
    for g in range(delays.shape[0]):
        csr_propagate(idx, cnt, vptr[g * n_pre: (g + 1) * n_pre + 1], indices, weights, no_delays,
                      dest, (t + 1 + delays[g]) % n_slots)


@numba.njit(cache=True)
def _view2(a, offset, batch, n):
    # a[offset: offset + batch * n] as (batch, n)
    return a[offset: offset + batch * n].reshape(batch, n)


@numba.njit(cache=True)
def network_run(t_abs0, r_start, r_stop, batch, n_slots,
                pop_model, pop_n, pop_state, pop_params, pop_single, pop_nch, pop_ring, pop_cur,
                pop_ext, pop_bias, pop_spk, fstate, istate, ring, ext, bias, spk, sidx, scount,
                src_ptr, src_unit,
                con_int, con_float, csr_indptr, csr_indices, csr_weights, csr_delays, dense_w, conv_k,
                counts, mon_list, list_t, list_b, list_i, list_p, n_list,
                pl_int, pl_params, pl_delay, pl_trace, pl_theta, pl_col, pl_syn_pre, pl_hist_idx,
                pl_hist_cnt, modulator,
                vrec_off, vrec_stride, vrec):
    """Advance a network from run step ``r_start`` to ``r_stop`` in one compiled loop.

    Each step :math:`t = t_0 + r` follows the schedule of the module docstring: neuron update
    with the ring slot :math:`t \\bmod D` as input, spike lists, monitors, then propagation of
    every connection into slots :math:`(t + 1 + d) \\bmod D` (event-driven propagation with a
    delay ring buffer: Brette et al., 2007; Morrison et al., 2005), then one plasticity step of
    every plastic connection (traces of Morrison, Diesmann & Gerstner, 2008; the rules of
    :mod:`spikecore.kernels.plasticity`) with the postsynaptic spikes of step :math:`t` and the
    presynaptic spikes arriving at :math:`t` (emitted at :math:`t - d`).

    Parameters
    ----------
    t_abs0 : int
        Absolute step of run step 0 (the network's clock when the run started).
    r_start, r_stop : int
        Run steps to simulate, ``[r_start, r_stop)``.
    batch : int
        Number of independent copies of the network.
    n_slots : int
        Ring length :math:`D` (largest delay in steps + 1).
    pop_model : int64 (P,)
        Model code of each population (``MODEL_*``; 0 = spike source; -1 = advanced by the
        caller before this step, whose spike list ``sidx``/``scount`` is already filled).
    pop_n : int64 (P,)
        Number of neurons.
    pop_state : int64 (P, 4)
        Offsets of the model's state arrays, in the order of its ``state_names``, in ``fstate``
        (float variables) or ``istate`` (the int32 refractory counter).
    pop_params : float64 (P, K)
        The model's ``step_params(dt)``, flattened (bools as 0/1, CUBA's per-channel arrays
        inline).
    pop_single : int64 (P,)
        1 for a current-based LIF population with float32 arithmetic
        (``CurrentLIF(arithmetic=np.float32)``): its parameters, float32 values stored exactly
        in ``pop_params``, are handed to the update in the state's dtype.
    pop_nch : int64 (P,)
        Number of input channels.
    pop_ring : int64 (P,)
        Offset in ``ring`` of the population's block ``(n_ch, D, batch, n)``.
    pop_cur : int64 (P,)
        Offset in ``fstate`` of a ``(batch, n)`` scratch current (current-based LIF only).
    pop_ext : int64 (P,)
        Neuron populations: offset in ``ext`` of a ``(R, batch, n)`` external current, or -1;
        sources: offset in ``src_ptr`` of the ``(R*batch + 1)`` event pointer, or -1.
    pop_bias : int64 (P,)
        Offset in ``bias`` of an ``(n,)`` constant current, or -1.
    pop_spk : int64 (P,)
        Offset of the population's ``(batch, n)`` block in ``spk`` and ``sidx``.
    fstate, istate : float (.,), int32 (.,)
        All state arrays, flat.
    ring : float (.,)
        All ring buffers, flat.
    ext, bias : float (.,)
        External currents and constant currents, flat.
    spk : uint8 (.,)
        Spike scratch (one step).
    sidx : int32 (.,), scount : int64 (P, batch)
        Spike lists of the current step.
    src_ptr : int64 (.,), src_unit : int32 (.,)
        Input spikes of the sources, CSR by (run step, batch element).
    con_int : int64 (C, 22)
        One row per connection: kind, pre, post, channel, uniform delay, CSR pointer offset,
        synapse offset, number of synapses, has per-synapse delays, weight offset, and 12
        geometry integers (c_out, c_in, k_h, k_w, in_h, in_w, out_h, out_w, s_y, s_x, p_y, p_x).
    con_float : float64 (C,)
        Pooling scale :math:`a`.
    csr_indptr, csr_indices, csr_weights, csr_delays : arrays
        All CSR connections, concatenated (each ``indptr`` starts at 0).
    dense_w, conv_k : float (.,)
        Transposed dense matrices and convolution kernels, flat.
    counts : int32 (R, P, batch)
        Receives the number of spikes per step, population and batch element.
    mon_list : int64 (P,)
        1 to record the population's spikes as a list.
    list_t, list_b, list_i, list_p : int32 (capacity,)
        Receive recorded spikes: step (absolute), batch element, neuron, population.
    n_list : int64 (1,)
        Number of recorded spikes so far (updated).
    pl_int : int64 (Q, 14) or None
        None when no connection is plastic. One row per plastic connection (columns ``PL_*``):
        connection index, rule code, number
        of virtual presynaptic neurons :math:`G\\,n_\\mathrm{pre}`, number of delay groups
        :math:`G`, offset of the group delays in ``pl_delay``, offsets of the traces
        :math:`x_1, x_2` (each ``(batch, G n_pre)``) and :math:`y_1, y_2` (each
        ``(batch, n_post)``) in ``pl_trace``, of the BCM threshold in ``pl_theta``, of the
        eligibility traces in ``pl_trace``, of the CSR column index (``post_ptr`` then
        ``post_syn``) in ``pl_col`` and of ``syn_pre`` in ``pl_syn_pre``, offsets of the spike
        history ``(H, batch, n_pre)`` in ``pl_hist_idx`` and ``(H, batch)`` in ``pl_hist_cnt``,
        and :math:`H` (largest delay + 1). A CSR connection with :math:`G > 1` is stored in
        ``csr_*`` by (delay group, presynaptic neuron) rows and propagated group by group,
        after the other connections.
    pl_params : float64 (Q, N_PARAMS)
        Rule parameter vectors (:mod:`spikecore.kernels.plasticity`).
    pl_delay : int64 (.,)
        Delay in steps of each delay group.
    pl_trace : float (.,)
        Traces and eligibility traces (network dtype), flat, updated.
    pl_theta : float64 (.,)
        BCM thresholds, updated.
    pl_col : int64 (.,), pl_syn_pre : int32 (.,)
        Column index of the plastic CSR connections (see
        :func:`spikecore.kernels.plasticity.stdp_csr_step`).
    pl_hist_idx : int32 (.,), pl_hist_cnt : int64 (.,)
        Presynaptic spike history of the plastic connections, updated.
    modulator : float64 (R, batch) or (0, batch)
        Neuromodulator (reward) of every run step for reward-modulated rules; empty: zero.
    vrec_off, vrec_stride : int64 (M,)
        Voltage monitor: ``fstate[vrec_off[m] + b * vrec_stride[m]]`` is recorded.
    vrec : float (R, batch, M)
        Receives the recorded voltages.

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
    n_vrec = vrec_off.shape[0]
    # views made once, outside the time loop (making them per step cost ~0.3 us per connection)
    pop_idx = [sidx[pop_spk[p]: pop_spk[p] + batch * pop_n[p]].reshape(batch, pop_n[p])
               for p in range(n_pop)]
    # the common case runs without _advance_population: current-based LIF whose input comes
    # straight from the connections (no delays) and that has no external or constant current
    fast = [pop_model[p] == MODEL_CUBA_LIF and n_slots == 1 and pop_ext[p] < 0
            and pop_bias[p] < 0 for p in range(n_pop)]
    pop_v = [_view2(fstate, pop_state[p, 0] if fast[p] else 0, batch if fast[p] else 0, pop_n[p])
             for p in range(n_pop)]
    pop_curv = [_view2(fstate, pop_cur[p] if fast[p] else 0, batch if fast[p] else 0, pop_n[p])
                for p in range(n_pop)]
    pop_isyn = [fstate[pop_state[p, 1]: pop_state[p, 1] + pop_nch[p] * batch * pop_n[p]].reshape(
        pop_nch[p], batch, pop_n[p]) if fast[p] else fstate[0:0].reshape(0, 0, pop_n[p])
        for p in range(n_pop)]
    pop_ref = [_view2(istate, pop_state[p, 2] if fast[p] else 0, batch if fast[p] else 0,
                      pop_n[p]) for p in range(n_pop)]
    pop_spikes = [spk[pop_spk[p]: pop_spk[p] + batch * pop_n[p]].reshape(batch, pop_n[p])
                  for p in range(n_pop)]
    pop_pf = pop_params.astype(fstate.dtype)  # the parameters in the state's dtype
    pop_decay = [pop_params[p, 7: 7 + pop_nch[p]] for p in range(n_pop)]
    pop_gain = [pop_params[p, 7 + pop_nch[p]: 7 + 2 * pop_nch[p]] for p in range(n_pop)]
    pop_decay_f = [pop_pf[p, 7: 7 + pop_nch[p]] for p in range(n_pop)]
    pop_gain_f = [pop_pf[p, 7 + pop_nch[p]: 7 + 2 * pop_nch[p]] for p in range(n_pop)]
    con_dest = [_connection_dest(c, batch, n_slots, pop_model, pop_n, pop_state, pop_nch,
                                 pop_ring, fstate, ring, con_int) for c in range(n_con)]
    con_ptr = [csr_indptr[con_int[c, C_PTR]: con_int[c, C_PTR] + pop_n[con_int[c, C_PRE]] + 1]
               if con_int[c, C_KIND] == CONN_CSR else csr_indptr[0:0] for c in range(n_con)]
    con_ind = [csr_indices[con_int[c, C_SYN]: con_int[c, C_SYN] + con_int[c, C_NNZ]]
               if con_int[c, C_KIND] == CONN_CSR else csr_indices[0:0] for c in range(n_con)]
    con_w = [csr_weights[con_int[c, C_SYN]: con_int[c, C_SYN] + con_int[c, C_NNZ]]
             if con_int[c, C_KIND] == CONN_CSR else csr_weights[0:0] for c in range(n_con)]
    con_del = [csr_delays[con_int[c, C_SYN]: con_int[c, C_SYN] + con_int[c, C_NNZ]]
               if con_int[c, C_KIND] == CONN_CSR and con_int[c, C_HAS_DELAYS] else csr_delays[0:0]
               for c in range(n_con)]
    # plastic connections: views and scratch lists, made once. A network without them gets
    # pl_int=None, and Numba prunes these branches at compile time (no plasticity code).
    n_pl = 0
    con_grouped = np.zeros(n_con, np.int64)  # plastic CSR stored by delay group
    if pl_int is not None:
        n_pl = pl_int.shape[0]
        for q in range(n_pl):
            if pl_int[q, PL_G] > 1:
                con_grouped[pl_int[q, PL_CON]] = 1
        pl_c = [pl_int[q, PL_CON] for q in range(n_pl)]
        pl_npost = [pop_n[con_int[pl_c[q], C_POST]] for q in range(n_pl)]
        pl_npre = [pop_n[con_int[pl_c[q], C_PRE]] for q in range(n_pl)]
        pl_nv = [pl_int[q, PL_NV] for q in range(n_pl)]
        pl_dense = [con_int[pl_c[q], C_KIND] == CONN_DENSE for q in range(n_pl)]
        pl_x1 = [_view2(pl_trace, pl_int[q, PL_X], batch, pl_nv[q]) for q in range(n_pl)]
        pl_x2 = [_view2(pl_trace, pl_int[q, PL_X] + batch * pl_nv[q], batch, pl_nv[q])
                 for q in range(n_pl)]
        pl_y1 = [_view2(pl_trace, pl_int[q, PL_Y], batch, pl_npost[q]) for q in range(n_pl)]
        pl_y2 = [_view2(pl_trace, pl_int[q, PL_Y] + batch * pl_npost[q], batch, pl_npost[q])
                 for q in range(n_pl)]
        pl_th = [_view2(pl_theta, pl_int[q, PL_THETA], batch if pl_int[q, PL_RULE] == RULE_BCM else 1,
                        pl_npost[q] if pl_int[q, PL_RULE] == RULE_BCM else 1) for q in range(n_pl)]
        pl_rs = [pl_int[q, PL_RULE] == RULE_RSTDP for q in range(n_pl)]
        pl_e3 = [pl_trace[pl_int[q, PL_ELIG]: pl_int[q, PL_ELIG] + batch * pl_npre[q] * pl_npost[q]]
                 .reshape(batch, pl_npre[q], pl_npost[q]) if pl_rs[q] and pl_dense[q]
                 else pl_trace[pl_int[q, PL_ELIG]: pl_int[q, PL_ELIG] + 1].reshape(1, 1, 1)
                 for q in range(n_pl)]
        pl_e2 = [_view2(pl_trace, pl_int[q, PL_ELIG], batch, con_int[pl_c[q], C_NNZ])
                 if pl_rs[q] and not pl_dense[q] else _view2(pl_trace, pl_int[q, PL_ELIG], 1, 1)
                 for q in range(n_pl)]
        pl_wd = [dense_w[con_int[pl_c[q], C_W]: con_int[pl_c[q], C_W] + pl_npre[q] * pl_npost[q]]
                 .reshape(pl_npre[q], pl_npost[q]) if pl_dense[q] else dense_w[0:0].reshape(0, 0)
                 for q in range(n_pl)]
        pl_ptr = [csr_indptr[con_int[pl_c[q], C_PTR]: con_int[pl_c[q], C_PTR] + pl_nv[q] + 1]
                  for q in range(n_pl)]
        pl_pptr = [pl_col[pl_int[q, PL_COL]: pl_int[q, PL_COL] + (0 if pl_dense[q] else pl_npost[q] + 1)]
                   for q in range(n_pl)]
        pl_psyn = [pl_col[pl_int[q, PL_COL] + pl_npost[q] + 1: pl_int[q, PL_COL] + pl_npost[q] + 1
                          + con_int[pl_c[q], C_NNZ]] if not pl_dense[q] else pl_col[0:0]
                   for q in range(n_pl)]
        pl_spre = [pl_syn_pre[pl_int[q, PL_SYNPRE]: pl_int[q, PL_SYNPRE] + con_int[pl_c[q], C_NNZ]]
                   if not pl_dense[q] else pl_syn_pre[0:0] for q in range(n_pl)]
        pl_dl = [pl_delay[pl_int[q, PL_DELAY]: pl_int[q, PL_DELAY] + pl_int[q, PL_G]]
                 for q in range(n_pl)]
        pl_hidx = [pl_hist_idx[pl_int[q, PL_HIST]: pl_int[q, PL_HIST]
                               + pl_int[q, PL_HLEN] * batch * pl_npre[q]]
                   .reshape(pl_int[q, PL_HLEN], batch, pl_npre[q]) for q in range(n_pl)]
        pl_hcnt = [pl_hist_cnt[pl_int[q, PL_HCNT]: pl_int[q, PL_HCNT] + pl_int[q, PL_HLEN] * batch]
                   .reshape(pl_int[q, PL_HLEN], batch) for q in range(n_pl)]
        pl_vidx = [np.empty((batch, pl_nv[q]), np.int32) for q in range(n_pl)]
        pl_vcnt = [np.zeros(batch, np.int64) for q in range(n_pl)]
        no_modulator = np.zeros(batch, np.float64)
    for r in range(r_start, r_stop):
        if n_list[0] + worst > capacity:
            return r
        t = t_abs0 + r
        for p in range(n_pop):
            if fast[p] and pop_single[p]:  # float32 arithmetic
                _cuba_lif_step_engine(pop_v[p], pop_isyn[p], pop_ref[p], pop_curv[p], False,
                                      pop_pf[p, 0], pop_pf[p, 1], pop_pf[p, 2], pop_pf[p, 3],
                                      pop_pf[p, 4], pop_params[p, 5] != 0.0,
                                      np.int64(pop_params[p, 6]), pop_decay_f[p], pop_gain_f[p],
                                      pop_spikes[p])
                spike_list(pop_spikes[p], pop_idx[p], scount[p])
                continue
            if fast[p]:  # current-based LIF, no ring, no external or constant current
                _cuba_lif_step_engine(pop_v[p], pop_isyn[p], pop_ref[p], pop_curv[p], False,
                                      pop_params[p, 0], pop_params[p, 1], pop_params[p, 2],
                                      pop_params[p, 3], pop_params[p, 4], pop_params[p, 5] != 0.0,
                                      np.int64(pop_params[p, 6]), pop_decay[p], pop_gain[p],
                                      pop_spikes[p])
                spike_list(pop_spikes[p], pop_idx[p], scount[p])
                continue
            _advance_population(p, t, r, batch, n_slots, pop_model, pop_n, pop_state, pop_params,
                                pop_single, pop_pf, pop_nch, pop_ring, pop_cur, pop_ext, pop_bias, pop_spk,
                                fstate, istate, ring, ext, bias, spk, src_ptr, src_unit, sidx,
                                scount)
        for p in range(n_pop):
            n = pop_n[p]
            for b in range(batch):
                c = scount[p, b]
                counts[r, p, b] = c
                if mon_list[p] and c > 0:
                    o = pop_spk[p] + b * n
                    k = n_list[0]
                    for s in range(c):
                        list_t[k + s] = t
                        list_b[k + s] = b
                        list_i[k + s] = sidx[o + s]
                        list_p[k + s] = p
                    n_list[0] = k + c
        for m in range(n_vrec):
            for b in range(batch):
                vrec[r, b, m] = fstate[vrec_off[m] + b * vrec_stride[m]]
        for c in range(n_con):
            pre = con_int[c, C_PRE]
            total = 0
            for b in range(batch):
                total += scount[pre, b]
            if total == 0:
                continue
            if con_int[c, C_KIND] == CONN_CSR:
                if con_grouped[c]:
                    continue  # propagated below, delay group by delay group
                csr_propagate(pop_idx[pre], scount[pre], con_ptr[c], con_ind[c], con_w[c],
                              con_del[c], con_dest[c], (t + 1 + con_int[c, C_DELAY]) % n_slots)
            else:
                _propagate_connection(c, t, batch, n_slots, pop_model, pop_n, pop_state, pop_nch,
                                      pop_ring, pop_spk, fstate, sidx, scount, ring, con_int,
                                      con_float, csr_indptr, csr_indices, csr_weights, csr_delays,
                                      dense_w, conv_k)
        if pl_int is None:
            continue
        for q in range(n_pl):  # plastic CSR connections with several delays
            if pl_int[q, PL_G] > 1:
                c = pl_c[q]
                pre = con_int[c, C_PRE]
                _csr_propagate_groups(pop_idx[pre], scount[pre], pl_ptr[q], con_ind[c], con_w[c],
                                      con_del[c], pl_dl[q], pl_npre[q], con_dest[c], t, n_slots)
        for q in range(n_pl):  # plasticity, after propagation, with this step's spikes
            c = pl_c[q]
            pre = con_int[c, C_PRE]
            post = con_int[c, C_POST]
            _arrivals(t, pop_idx[pre], scount[pre], pl_hidx[q], pl_hcnt[q], pl_dl[q], pl_npre[q],
                      pl_vidx[q], pl_vcnt[q])
            mod = modulator[r] if modulator.shape[0] > 0 else no_modulator
            if pl_dense[q]:
                stdp_dense_step(pl_wd[q], pl_vidx[q], pl_vcnt[q], pop_idx[post], scount[post],
                                pl_x1[q], pl_x2[q], pl_y1[q], pl_y2[q], pl_th[q], pl_e3[q], mod,
                                pl_int[q, PL_RULE], pl_params[q])
            else:
                stdp_csr_step(pl_ptr[q], con_ind[c], con_w[c], pl_pptr[q], pl_psyn[q], pl_spre[q],
                              pl_vidx[q], pl_vcnt[q], pop_idx[post], scount[post], pl_x1[q],
                              pl_x2[q], pl_y1[q], pl_y2[q], pl_th[q], pl_e2[q], mod,
                              pl_int[q, PL_RULE], pl_params[q])
    return r_stop
