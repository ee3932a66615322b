"""Plain-Python twin of :mod:`spikecore.kernels.event_driven`.

Same arguments and results as the kernel, written as a readable event-driven simulation: pending
input is a dictionary ``{(step, batch, neuron): summed weight}``, and a neuron is touched only
when an entry for the current step exists. Between updates the potential decays analytically,
:math:`v(t) = v_\\mathrm{rest} + \\alpha^{t - t_v}(v(t_v) - v_\\mathrm{rest}) + \\beta I(t)`
(Brette et al., 2007, section 3; Brette, 2006).
"""

from ..kernels import network as codes


def event_driven_run(t_abs0, r_start, r_stop, batch, n_slots, pop_goff, pop_n, pop_is_source,
                     pop_params, pop_spk, v, refrac, src_off, src_ptr, src_unit, con_int,
                     csr_indptr, csr_indices, csr_weights, csr_delays, acc, touched, n_touched,
                     mark, t_valid, next_active, sidx, scount, counts, mon_list, list_t, list_b,
                     list_i, list_p, n_list):
    """Reference of :func:`spikecore.kernels.event_driven.event_driven_run`."""
    n_pop = len(pop_n)
    neuron_pops = [p for p in range(n_pop) if not pop_is_source[p]]

    def population_of(g):
        return next(p for p in neuron_pops if pop_goff[p] <= g < pop_goff[p] + pop_n[p])

    # pending input from the ring arrays (in touched order, so sums add up in the same order)
    pending = {}
    for s in range(n_slots):
        for b in range(batch):
            for q in range(n_touched[s, b]):
                pending[(s, b, int(touched[s, b, q]))] = acc[s, b, touched[s, b, q]]
    # clock-driven state -> event state
    for p in neuron_pops:
        for b in range(batch):
            for j in range(pop_n[p]):
                g = pop_goff[p] + j
                next_active[b, g] = t_abs0 + r_start + max(int(refrac[b, g]) - 1, 0)
                t_valid[b, g] = next_active[b, g] - 1
                if v[b, g] > pop_params[p, 3]:
                    pending.setdefault((int(next_active[b, g] % n_slots), b, g), 0.0)
    worst = sum(batch * pop_n[p] for p in range(n_pop) if mon_list[p])
    r_end = r_stop
    for r in range(r_start, r_stop):
        if n_list[0] + worst > list_t.shape[0]:
            r_end = r
            break
        t = t_abs0 + r
        slot = t % n_slots
        for b in range(batch):
            fired = {p: [] for p in range(n_pop)}
            for p in range(n_pop):
                if pop_is_source[p] and src_off[p] >= 0:
                    e0 = src_ptr[src_off[p] + r * batch + b]
                    e1 = src_ptr[src_off[p] + r * batch + b + 1]
                    fired[p] = [int(u) for u in src_unit[e0:e1]]
            due = [key for key in pending if key[0] == slot and key[1] == b]
            for key in due:
                inp = pending.pop(key)
                g = key[2]
                if t < next_active[b, g]:
                    continue
                p = population_of(g)
                alpha, beta, v_rest, v_th, v_reset, soft, n_ref = pop_params[p]
                vn = v_rest + alpha ** (t - t_valid[b, g]) * (v[b, g] - v_rest) + beta * inp
                v[b, g] = vn
                t_valid[b, g] = t
                if v[b, g] > v_th:
                    v[b, g] = v[b, g] - (v_th - v_reset) if soft else v_reset
                    wait = max(int(n_ref), 1)
                    next_active[b, g] = t + wait
                    t_valid[b, g] = t + wait - 1
                    fired[p].append(g - pop_goff[p])
                    if v[b, g] > v_th:
                        pending.setdefault(((t + wait) % n_slots, b, g), 0.0)
            for p in range(n_pop):
                spikes = sorted(fired[p]) if not pop_is_source[p] else fired[p]
                o = pop_spk[p] + b * pop_n[p]
                sidx[o: o + len(spikes)] = spikes
                scount[p, b] = len(spikes)
                counts[r, p, b] = len(spikes)
                if mon_list[p]:
                    k = n_list[0]
                    list_t[k: k + len(spikes)] = t
                    list_b[k: k + len(spikes)] = b
                    list_i[k: k + len(spikes)] = spikes
                    list_p[k: k + len(spikes)] = p
                    n_list[0] = k + len(spikes)
            for row in con_int:
                pre, post = row[codes.C_PRE], row[codes.C_POST]
                ptr = csr_indptr[row[codes.C_PTR]: row[codes.C_PTR] + pop_n[pre] + 1]
                s0 = row[codes.C_SYN]
                for j in fired[pre] if pop_is_source[pre] else sorted(fired[pre]):
                    for k in range(ptr[j], ptr[j + 1]):
                        d = csr_delays[s0 + k] if row[codes.C_HAS_DELAYS] else row[codes.C_DELAY]
                        key = ((t + 1 + d) % n_slots, b, pop_goff[post] + int(csr_indices[s0 + k]))
                        pending[key] = pending.get(key, acc.dtype.type(0)) + csr_weights[s0 + k]
    # event state -> clock-driven state
    t_last = t_abs0 + r_end - 1
    for p in neuron_pops:
        alpha, beta, v_rest, v_th, v_reset, soft, n_ref = pop_params[p]
        for b in range(batch):
            for j in range(pop_n[p]):
                g = pop_goff[p] + j
                k = t_last - t_valid[b, g]
                if k > 0:
                    v[b, g] = v_rest + alpha ** k * (v[b, g] - v_rest)
                left = next_active[b, g] - t_last
                refrac[b, g] = 0 if (n_ref == 0 or left < 0) else left
    # pending input back into the ring arrays
    acc[...] = 0.0
    mark[...] = 0
    n_touched[...] = 0
    for (s, b, g), value in pending.items():
        acc[s, b, g] = value
        mark[s, b, g] = 1
        touched[s, b, n_touched[s, b]] = g
        n_touched[s, b] += 1
    return r_end
