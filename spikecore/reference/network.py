"""Plain-NumPy twin of :mod:`spikecore.kernels.network`: the same schedule, step by step.

:func:`network_run` takes exactly the arguments of the compiled loop and does, for each step
:math:`t`, what the schedule says (Brette et al., 2007; Stimberg, Brette & Goodman, 2019):

1. each neuron population takes the ring slot :math:`t \\bmod D` as its input (added to the
   synaptic currents of a current-based LIF population, or used as the input current of the
   other models), plus external currents, and makes one step with the *reference* neuron update
   of :mod:`spikecore.reference.neurons`; spike sources emit their given spikes;
2. spikes are listed and recorded;
3. each connection adds :math:`W^{(d)} z` into slot :math:`(t + 1 + d) \\bmod D` with the
   reference propagation of :mod:`spikecore.reference.propagation` (dense matrix times the
   spike vector);
4. each plastic connection makes one step of its rule with the reference
   :func:`spikecore.reference.plasticity.stdp_dense_step` / ``stdp_csr_step``: postsynaptic
   spikes of step :math:`t`; for delay group :math:`g` (delay :math:`d_g`) the presynaptic
   spikes emitted at :math:`t - d_g`, i.e. arriving at :math:`t`, as presynaptic neurons
   :math:`g\\,n_\\mathrm{pre} + j` (Morrison, Diesmann & Gerstner, 2008, for the traces).
"""
import numpy as np

from ..kernels import network as codes
from . import neurons as RN
from . import plasticity as RPL
from . import propagation as RP


def _block(buf, offset, shape):
    size = int(np.prod(shape))
    return buf[offset: offset + size].reshape(shape)


def network_run(t_abs0, r_start, r_stop, batch, n_slots,
                pop_model, pop_n, pop_state, pop_params, pop_single, pop_nch, pop_ring, pop_cur,
                pop_ext, pop_bias, pop_spk, fstate, istate, ring, ext, bias, spk, sidx, scount,
                src_ptr, src_unit,
                con_int, con_float, csr_indptr, csr_indices, csr_weights, csr_delays, dense_w, conv_k,
                counts, mon_list, list_t, list_b, list_i, list_p, n_list,
                pl_int, pl_params, pl_delay, pl_trace, pl_theta, pl_col, pl_syn_pre, pl_hist_idx,
                pl_hist_cnt, modulator,
                vrec_off, vrec_stride, vrec):
    """Reference of :func:`spikecore.kernels.network.network_run` (same arguments and result)."""
    n_pop = len(pop_n)
    plastic = [] if pl_int is None else list(pl_int)  # None: no plastic connection
    grouped = [int(pl[codes.PL_CON]) for pl in plastic if pl[codes.PL_G] > 1]
    worst = sum(batch * pop_n[p] for p in range(n_pop) if mon_list[p])
    for r in range(r_start, r_stop):
        if n_list[0] + worst > list_t.shape[0]:
            return r
        t = t_abs0 + r
        # 1. neuron updates and sources
        for p in range(n_pop):
            n, model = int(pop_n[p]), pop_model[p]
            idx = _block(sidx, pop_spk[p], (batch, n))
            if model == codes.MODEL_EXTERNAL:
                continue
            if model == codes.MODEL_SOURCE:
                scount[p] = 0
                if pop_ext[p] >= 0:
                    for b in range(batch):
                        e0 = src_ptr[pop_ext[p] + r * batch + b]
                        e1 = src_ptr[pop_ext[p] + r * batch + b + 1]
                        idx[b, : e1 - e0] = src_unit[e0:e1]
                        scount[p, b] = e1 - e0
                continue
            nch = int(pop_nch[p])
            ring_p = _block(ring, pop_ring[p], (nch, n_slots, batch, n))
            slot = t % n_slots
            # the step's input current, summed in the same order as the kernel
            if model == codes.MODEL_CUBA_LIF:
                current = _block(fstate, pop_cur[p], (batch, n))  # the kernel's scratch (zero)
            else:
                current = ring_p[0, slot].copy()
                ring_p[0, slot] = 0.0
            if pop_ext[p] >= 0:
                current += _block(ext, pop_ext[p] + r * batch * n, (batch, n))
            if pop_bias[p] >= 0:
                current += bias[pop_bias[p]: pop_bias[p] + n]
            st, pr = pop_state[p], pop_params[p]
            if pop_single[p]:  # CurrentLIF with float32 arithmetic: float32 parameters
                pr = pr.astype(fstate.dtype)
            v = _block(fstate, st[0], (batch, n))
            spikes = _block(spk, pop_spk[p], (batch, n))
            common = (pr[0], pr[1], pr[2], pr[3], pr[4], bool(pr[5]), int(pr[6]))
            if model == codes.MODEL_CUBA_LIF:
                i_syn = _block(fstate, st[1], (nch, batch, n))
                if n_slots > 1:
                    i_syn += ring_p[:, slot]
                    ring_p[:, slot] = 0.0
                RN.cuba_lif_step(v, i_syn, _block(istate, st[2], (batch, n)), current, *common,
                                 pr[7: 7 + nch].copy(), pr[7 + nch: 7 + 2 * nch].copy(), spikes)
            else:
                if model == codes.MODEL_LIF:
                    RN.lif_step(v, _block(istate, st[1], (batch, n)), current, *common, spikes)
                elif model == codes.MODEL_ADAPTIVE_LIF:
                    RN.adaptive_lif_step(v, _block(fstate, st[1], (batch, n)),
                                         _block(istate, st[2], (batch, n)), current, *common,
                                         pr[7], pr[8], spikes)
                else:
                    RN.izhikevich_step(v, _block(fstate, st[1], (batch, n)), current, pr[0], pr[1],
                                       pr[2], pr[3], pr[4], pr[5], int(pr[6]), spikes)
            if model == codes.MODEL_CUBA_LIF:
                current[...] = 0.0
            RP.spike_list(spikes, idx, scount[p])
        # 2. monitors
        for p in range(n_pop):
            n = int(pop_n[p])
            for b in range(batch):
                c = int(scount[p, b])
                counts[r, p, b] = c
                if mon_list[p] and c:
                    k = int(n_list[0])
                    list_t[k: k + c] = t
                    list_b[k: k + c] = b
                    list_i[k: k + c] = sidx[pop_spk[p] + b * n: pop_spk[p] + b * n + c]
                    list_p[k: k + c] = p
                    n_list[0] = k + c
        for m in range(len(vrec_off)):
            for b in range(batch):
                vrec[r, b, m] = fstate[vrec_off[m] + b * vrec_stride[m]]
        # 3. propagation
        for c, (row, scale) in enumerate(zip(con_int, con_float)):
            kind, pre, post, ch, delay = row[:5]
            n_pre, n_post, nch = int(pop_n[pre]), int(pop_n[post]), int(pop_nch[post])
            idx = _block(sidx, pop_spk[pre], (batch, n_pre))
            cnt = scount[pre]
            if pop_model[post] == codes.MODEL_CUBA_LIF and n_slots == 1:
                dest = _block(fstate, pop_state[post, 1], (nch, 1, batch, n_post))[ch]
            else:
                dest = _block(ring, pop_ring[post], (nch, n_slots, batch, n_post))[ch]
            slot = (t + 1 + delay) % n_slots
            g = row[codes.C_GEOM: codes.C_GEOM + 12]
            if kind == codes.CONN_CSR:
                s0, nnz = row[codes.C_SYN], row[codes.C_NNZ]
                delays = csr_delays[s0: s0 + nnz] if row[codes.C_HAS_DELAYS] else csr_delays[:0]
                if c in grouped:
                    continue  # propagated after the other connections, below
                RP.csr_propagate(idx, cnt, csr_indptr[row[codes.C_PTR]: row[codes.C_PTR] + n_pre + 1],
                                 csr_indices[s0: s0 + nnz], csr_weights[s0: s0 + nnz], delays,
                                 dest, slot)
            elif kind == codes.CONN_DENSE:
                RP.dense_propagate(idx, cnt, _block(dense_w, row[codes.C_W], (n_pre, n_post)), dest, slot)
            elif kind == codes.CONN_CONV2D:
                kernel = _block(conv_k, row[codes.C_W], tuple(g[:4]))
                RP.conv2d_propagate(idx, cnt, kernel, *g[4:12], dest, slot)
            else:
                RP.pool2d_propagate(idx, cnt, g[4], g[5], g[6], g[7], g[2], g[3], g[8], g[9], scale,
                                    dest, slot)
        # plastic sparse connections with several delays, rows by (delay group g, neuron j):
        # each group's block with its own delay
        for pl in plastic:
            if pl[codes.PL_G] > 1:
                row = con_int[pl[codes.PL_CON]]
                pre, post = row[codes.C_PRE], row[codes.C_POST]
                n_pre, n_post, nch = int(pop_n[pre]), int(pop_n[post]), int(pop_nch[post])
                if pop_model[post] == codes.MODEL_CUBA_LIF and n_slots == 1:
                    dest = _block(fstate, pop_state[post, 1], (nch, 1, batch, n_post))[row[codes.C_CHANNEL]]
                else:
                    dest = _block(ring, pop_ring[post], (nch, n_slots, batch, n_post))[row[codes.C_CHANNEL]]
                s0 = row[codes.C_SYN]
                ptr = csr_indptr[row[codes.C_PTR]: row[codes.C_PTR] + pl[codes.PL_NV] + 1]
                for g, d in enumerate(pl_delay[pl[codes.PL_DELAY]: pl[codes.PL_DELAY] + pl[codes.PL_G]]):
                    a, z = ptr[g * n_pre], ptr[(g + 1) * n_pre]
                    RP.csr_propagate(_block(sidx, pop_spk[pre], (batch, n_pre)), scount[pre],
                                     ptr[g * n_pre: (g + 1) * n_pre + 1] - a,
                                     csr_indices[s0 + a: s0 + z], csr_weights[s0 + a: s0 + z],
                                     csr_delays[:0], dest, (t + 1 + d) % n_slots)
        # 4. plasticity
        for q, pl in enumerate(plastic):
            _plastic_step(q, pl, t, r, batch, pop_n, pop_spk, sidx, scount, con_int, csr_indptr,
                          csr_indices, csr_weights, dense_w, pl_params, pl_delay, pl_trace,
                          pl_theta, pl_col, pl_syn_pre, pl_hist_idx, pl_hist_cnt, modulator)
    return r_stop


def _plastic_step(q, pl, t, r, batch, pop_n, pop_spk, sidx, scount, con_int, csr_indptr,
                  csr_indices, csr_weights, dense_w, pl_params, pl_delay, pl_trace, pl_theta,
                  pl_col, pl_syn_pre, pl_hist_idx, pl_hist_cnt, modulator):
    c = int(pl[codes.PL_CON])
    row = con_int[c]
    pre, post = int(row[codes.C_PRE]), int(row[codes.C_POST])
    n_pre, n_post = int(pop_n[pre]), int(pop_n[post])
    rule, n_v, n_groups = int(pl[codes.PL_RULE]), int(pl[codes.PL_NV]), int(pl[codes.PL_G])
    n_hist = int(pl[codes.PL_HLEN])
    # history of emitted presynaptic spikes; the spikes arriving now in each delay group
    hidx = _block(pl_hist_idx, pl[codes.PL_HIST], (n_hist, batch, n_pre))
    hcnt = _block(pl_hist_cnt, pl[codes.PL_HCNT], (n_hist, batch))
    pre_idx = _block(sidx, pop_spk[pre], (batch, n_pre))
    hcnt[t % n_hist] = scount[pre]
    for b in range(batch):
        hidx[t % n_hist, b, : scount[pre, b]] = pre_idx[b, : scount[pre, b]]
    vidx = np.zeros((batch, n_v), np.int32)
    vcnt = np.zeros(batch, np.int64)
    for b in range(batch):
        arrived = [hidx[(t - d) % n_hist, b, : hcnt[(t - d) % n_hist, b]] + g * n_pre
                   for g, d in enumerate(pl_delay[pl[codes.PL_DELAY]: pl[codes.PL_DELAY] + n_groups])]
        arrived = np.concatenate(arrived)
        vidx[b, : arrived.size] = arrived
        vcnt[b] = arrived.size
    post_idx = _block(sidx, pop_spk[post], (batch, n_post))
    x1 = _block(pl_trace, pl[codes.PL_X], (batch, n_v))
    x2 = _block(pl_trace, pl[codes.PL_X] + batch * n_v, (batch, n_v))
    y1 = _block(pl_trace, pl[codes.PL_Y], (batch, n_post))
    y2 = _block(pl_trace, pl[codes.PL_Y] + batch * n_post, (batch, n_post))
    bcm = rule == RPL.RULE_BCM
    theta = _block(pl_theta, pl[codes.PL_THETA], (batch, n_post) if bcm else (1, 1))
    mod = modulator[r] if modulator.shape[0] else np.zeros(batch)
    dense = row[codes.C_KIND] == codes.CONN_DENSE
    n_syn = n_pre * n_post if dense else int(row[codes.C_NNZ])
    rstdp = rule == RPL.RULE_RSTDP
    if dense:
        elig = _block(pl_trace, pl[codes.PL_ELIG], (batch, n_pre, n_post) if rstdp else (1, 1, 1))
        RPL.stdp_dense_step(_block(dense_w, row[codes.C_W], (n_pre, n_post)), vidx, vcnt, post_idx,
                            scount[post], x1, x2, y1, y2, theta, elig, mod, rule, pl_params[q])
    else:
        elig = _block(pl_trace, pl[codes.PL_ELIG], (batch, n_syn) if rstdp else (1, 1))
        s0 = row[codes.C_SYN]
        o = pl[codes.PL_COL]
        RPL.stdp_csr_step(csr_indptr[row[codes.C_PTR]: row[codes.C_PTR] + n_v + 1],
                          csr_indices[s0: s0 + n_syn], csr_weights[s0: s0 + n_syn],
                          pl_col[o: o + n_post + 1], pl_col[o + n_post + 1: o + n_post + 1 + n_syn],
                          pl_syn_pre[pl[codes.PL_SYNPRE]: pl[codes.PL_SYNPRE] + n_syn], vidx, vcnt,
                          post_idx, scount[post], x1, x2, y1, y2, theta, elig, mod, rule, pl_params[q])
