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
   spike vector).
"""
import numpy as np

from ..kernels import network as codes
from . import neurons as RN
from . import propagation as RP


def _block(buf, offset, shape):
    size = int(np.prod(shape))
    return buf[offset: offset + size].reshape(shape)


def network_run(t_abs0, r_start, r_stop, batch, n_slots,
                pop_model, pop_n, pop_state, pop_params, pop_nch, pop_ring, pop_cur, pop_ext,
                pop_bias, pop_spk, fstate, istate, ring, ext, bias, spk, sidx, scount,
                src_ptr, src_unit,
                con_int, con_float, csr_indptr, csr_indices, csr_weights, csr_delays, dense_w, conv_k,
                counts, mon_list, list_t, list_b, list_i, list_p, n_list,
                vrec_off, vrec_stride, vrec):
    """Reference of :func:`spikecore.kernels.network.network_run` (same arguments and result)."""
    n_pop = len(pop_n)
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
        for row, scale in zip(con_int, con_float):
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
    return r_stop
