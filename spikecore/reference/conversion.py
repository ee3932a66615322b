r"""Reference twins of :mod:`spikecore.kernels.conversion`, written from the equations.

Same names and signatures; NumPy, vectorised over batch and neurons where that reads clearly.
"""
import numpy as np


def if_neuron_run(current, bias, v, v_th, soft_reset, spikes):
    r"""Integrate-and-fire neurons (Diehl et al., 2015; Rueckauer et al., 2017):
    :math:`v \mathrel{+}= I[t] + b`, :math:`s = [v \ge V_\mathrm{th}]`, then
    :math:`v \mathrel{-}= V_\mathrm{th} s` (soft) or :math:`v \leftarrow v (1 - s)` (hard).
    See :func:`spikecore.kernels.conversion.if_neuron_run` for the parameters."""
    for t in range(spikes.shape[0]):
        u = v + current[0 if current.shape[0] == 1 else t] + bias
        s = u >= v_th
        spikes[t] = s
        v[...] = np.where(s, u - v_th if soft_reset else 0.0, u)


def if_neuron_pool_run(current, bias, v, v_th, soft_reset, members, counts, pooled):
    r"""IF neurons (:func:`if_neuron_run`) whose spikes are summed per pooling window,
    :math:`p_r[t] = \sum_{i \in \mathcal W_r} s_i[t]` (``members[:, r]``, ``n`` = padding), and
    counted, :math:`c_i \mathrel{+}= s_i[t]`. See the kernel for the parameters."""
    for t in range(pooled.shape[0]):
        u = v + current[0 if current.shape[0] == 1 else t] + bias
        s = u >= v_th
        counts += s
        padded = np.concatenate([s, np.zeros((s.shape[0], 1), bool)], axis=1)  # column n: padding
        pooled[t] = padded[:, members].sum(axis=1)
        v[...] = np.where(s, u - v_th if soft_reset else 0.0, u)


def if_event_run(spikes_in, row_of, synapses, bias, v, v_th, soft_reset, current, spikes_out):
    r"""Event-driven IF layer (Diehl et al., 2015; Rueckauer et al., 2017): each step
    :math:`I = \sum_{j:\,s_j = 1} S_{r(j)}` (float32; the rows of the spiking inputs in increasing
    :math:`j`, added four at a time as :math:`(S_a + S_b) + (S_c + S_d)`, the rest one by one),
    :math:`v \mathrel{+}= I + b`, :math:`s = [v \ge V_\mathrm{th}]`, then the reset. See the
    kernel for the parameters."""
    for t in range(spikes_out.shape[0]):
        for b in range(spikes_out.shape[1]):
            rows = row_of[np.flatnonzero(spikes_in[t, b])]
            current[...] = 0.0
            full = len(rows) - len(rows) % 4
            for q in range(0, full, 4):
                current += (synapses[rows[q]] + synapses[rows[q + 1]]) + (synapses[rows[q + 2]] + synapses[rows[q + 3]])
            for r in rows[full:]:
                current += synapses[r]
            u = v[b] + current + bias
            s = u >= v_th
            spikes_out[t, b] = s
            v[b] = np.where(s, u - v_th if soft_reset else 0.0, u)


def if_conv_event_run(spikes_in, weight_t, span, in_h, in_w, stride_h, stride_w, pad_h, pad_w, out_h, out_w, extra,
                      bias, v, v_th, soft_reset, current, spikes_out):
    r"""Event-driven IF layer behind a convolution (Diehl et al., 2015; Rueckauer et al., 2017):
    every spiking input :math:`(c, i_y, i_x)` (in increasing flat index) adds, for each kernel tap
    :math:`(k_y, k_x)` (in order) whose output :math:`y = (i_y + p_h - k_y)/s_h`,
    :math:`x = (i_x + p_w - k_x)/s_w` is a whole number inside the map, ``weight_t[c, k_y, k_x]``
    to the current of :math:`(\cdot, y, x)`; then :math:`v \mathrel{+}= (I + E) + b` and the IF
    spike and reset. See the kernel for the parameters. Adds every output channel's weight,
    ignoring ``span`` (the kernel skips only weights that are exactly 0)."""
    n_c, kh, kw, n_o = weight_t.shape
    for t in range(spikes_out.shape[0]):
        for b in range(spikes_out.shape[1]):
            cur = np.zeros((out_h, out_w, n_o), np.float32)
            for j in np.flatnonzero(spikes_in[t, b]):
                c, iy, ix = np.unravel_index(j, (n_c, in_h, in_w))
                for ky in range(kh):
                    ny = iy + pad_h - ky
                    if ny < 0 or ny % stride_h or ny // stride_h >= out_h:
                        continue
                    for kx in range(kw):
                        nx = ix + pad_w - kx
                        if nx < 0 or nx % stride_w or nx // stride_w >= out_w:
                            continue
                        cur[ny // stride_h, nx // stride_w] += weight_t[c, ky, kx]
            inc = cur.transpose(2, 0, 1).ravel()
            if extra.shape[0]:
                inc = inc + extra[t, b]
            u = v[b] + inc + bias
            s = u >= v_th
            spikes_out[t, b] = s
            v[b] = np.where(s, u - v_th if soft_reset else 0.0, u)


def tap_spans(weight_t):
    """Per tap row of ``weight_t`` (C, k_h, k_w, O), the first and one past the last output
    channel whose weight is nonzero, (0, 0) for a row of zeros: a plain scan of every row."""
    rows = weight_t.reshape(-1, weight_t.shape[-1])
    out = np.zeros((rows.shape[0], 2), np.int64)
    for r in range(rows.shape[0]):
        nonzero = [o for o in range(rows.shape[1]) if rows[r, o] != 0]
        if nonzero:
            out[r] = (nonzero[0], nonzero[-1] + 1)
    return out


def maxpool_gate_run(spikes_in, window, counts, spikes_out):
    r"""Spiking max-pooling (Rueckauer et al., 2017): pass the spikes of the window's input with
    the largest count so far (first on ties). See the kernel for the parameters."""
    valid = window >= 0
    idx = np.where(valid, window, 0)
    for t in range(spikes_in.shape[0]):
        counts += spikes_in[t]
        c = np.where(valid[None], counts[:, idx], -1.0)  # (batch, n_out, k)
        best = idx[np.arange(idx.shape[0])[None, :], c.argmax(2)]  # (batch, n_out)
        out = np.take_along_axis(spikes_in[t], best, axis=1)
        spikes_out[t] = np.where(valid.any(1)[None], out, 0.0)


def tsc_on_duration(spikes, duration):
    r"""On-time :math:`d = t_\mathrm{off} - t_\mathrm{on}` of every TSC synapse (Han & Roy, 2020);
    0 for a neuron with fewer than two spikes."""
    for b in range(spikes.shape[1]):
        for i in range(spikes.shape[2]):
            times = np.flatnonzero(spikes[:, b, i])
            duration[b, i] = times[1] - times[0] if times.size >= 2 else 0


def tsc_fire(v, v_th, spikes):
    r"""TSC output (Han & Roy, 2020): :math:`k = \min(\lfloor v/V_\mathrm{th}\rfloor, N-1)`,
    spikes at steps 0 and :math:`k` when :math:`k \ge 1`."""
    N = spikes.shape[0]
    spikes[...] = 0.0
    k = np.minimum(np.floor(v / v_th), N - 1)
    b, i = np.nonzero(v >= v_th)
    spikes[0, b, i] = 1.0
    spikes[k[b, i].astype(np.int64), b, i] = 1.0


def tsc_dense_events(spikes_in, weight, bias, current, v, adds):
    r"""Event-driven TSC window through a dense layer (Han & Roy, 2020): the first spike of input
    :math:`i` adds :math:`w_{ji}` to every current :math:`I_j`, the second subtracts it; each step
    :math:`v_j \mathrel{+}= I_j + b_j [t < N-1]`. ``adds[j, i]`` counts the additions."""
    N, batch, n_in = spikes_in.shape
    current[...] = 0.0
    seen = np.zeros((batch, n_in), np.int64)
    for t in range(N):
        for b in range(batch):
            for i in np.flatnonzero(spikes_in[t, b]):
                if seen[b, i] < 2:
                    current[b] += (1.0 if seen[b, i] == 0 else -1.0) * weight[:, i]
                    adds[:, i] += 1
                    seen[b, i] += 1
        v += current
        if t < N - 1:
            v += bias


def lif_neuron_run(current, bias, v, refractory, dt, tau_rc, tau_ref, spikes):
    r"""LIF neurons with exact integration and in-step spike times (Hunsberger & Eliasmith, 2015):
    :math:`\delta = \mathrm{clip}(\Delta t - \rho, 0, \Delta t)`,
    :math:`v \leftarrow \max(0, J + (v - J)e^{-\delta/\tau_{RC}})`; a spike when :math:`v > 1`, then
    :math:`v = 0` and :math:`\rho = \tau_\mathrm{ref} - t_o`,
    :math:`t_o = -\tau_{RC}\log(1 - (v-1)/(J-1))`. See the kernel for the parameters."""
    for t in range(spikes.shape[0]):
        J = (current[0 if current.shape[0] == 1 else t] + bias).astype(np.float64)  # float32 sum, then float64
        ref = refractory.astype(np.float64)
        delta = np.clip(dt - ref, 0.0, dt)
        u = np.maximum(J + (v.astype(np.float64) - J) * np.exp(-delta / tau_rc), 0.0)
        rho = np.maximum(ref - dt, 0.0)
        s = u > 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            t_over = -tau_rc * np.log1p(-(u - 1.0) / (J - 1.0))
        spikes[t] = s
        v[...] = np.where(s, 0.0, u)
        refractory[...] = np.where(s, tau_ref - t_over, rho)


def ttfs_neuron_run(increment, bias, onset, t0, dt, v_th, current, v, fired, spikes):
    r"""Time-to-first-spike neurons (Rueckauer & Liu, 2018): :math:`I \mathrel{+}= \mathrm{increment}[k]`,
    :math:`v \mathrel{+}= \Delta t (I + b [k \ge k_0])`, one spike when :math:`v \ge V_\mathrm{th}`
    for the first time. See the kernel for the parameters."""
    for t in range(spikes.shape[0]):
        active = (t0 + t >= onset)[:, None]
        current += increment[t]
        drive = np.where(active, current + bias, current).astype(np.float64)  # float32 sum, then float64
        v[...] = v.astype(np.float64) + dt * drive
        s = (fired == 0) & (v >= v_th)
        fired[s] = 1
        spikes[t] = s
