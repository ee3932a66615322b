"""Reference twins of ``spikecore.kernels.encoding``: same names, same signatures, written
plainly from each code's equation (loops where a loop is the clearest statement).
Spikes must match the kernels exactly; the real-valued ``times`` outputs to 1e-12 relative.
"""
import math

import numpy as np


def regular_encode(p, out):
    """:math:`s_{t,m} = \\lfloor (t+1) p_m \\rfloor - \\lfloor t p_m \\rfloor` (see the kernel)."""
    T = out.shape[0]
    for t in range(T):
        out[t] = np.floor((t + 1) * p) - np.floor(t * p)


def latency_encode(x, tau, threshold, log_mode, clip, out, times):
    """Latency coding: :math:`t^* = \\tau(1-x)` or :math:`\\tau\\ln(x/(x-\\vartheta))`, spike at
    the nearest step; late or below-threshold inputs at step T-1 unless ``clip``."""
    T = out.shape[0]
    out[...] = 0
    for m, v in enumerate(x):
        if log_mode:
            above = v > threshold
            t = tau * math.log(v / (v - threshold)) if above else math.inf
        else:
            above = v >= threshold
            t = tau * (1.0 - v) if above else math.inf
        times[m] = t
        step = math.floor(t + 0.5) if above else T
        if step <= T - 1:
            out[step, m] = 1
        elif not clip:
            out[T - 1, m] = 1


def rank_order_encode(x, threshold, out):
    """Rank-order coding: the r-th largest active input of each row spikes at step r
    (or floor(r T / A) when there are more active inputs A than steps T)."""
    T = out.shape[0]
    out[...] = 0
    for b, row in enumerate(x):
        active = [j for j in sorted(range(len(row)), key=lambda j: (-row[j], j)) if row[j] > threshold]
        A = len(active)
        for r, j in enumerate(active):
            out[r if A <= T else (r * T) // A, b, j] = 1


def population_encode(x, centres, sigma, t_max, min_response, out, times):
    """Gaussian receptive fields: :math:`t_i = t_{\\max}(1 - f_i(x))` when :math:`f_i \\ge f_{\\min}`."""
    out[...] = 0
    for m, v in enumerate(x):
        for i, mu in enumerate(centres):
            f = math.exp(-((v - mu) * (v - mu)) / (2.0 * sigma * sigma))
            if f >= min_response:
                times[m, i] = t_max * (1.0 - f)
                out[math.floor(times[m, i] + 0.5), m, i] = 1
            else:
                times[m, i] = math.inf


def delta_encode(x, threshold, on, off):
    """Delta modulation: ON when the signal rises a threshold above the tracked reference,
    OFF when it falls a threshold below; the reference moves by one threshold per event."""
    on[...] = 0
    off[...] = 0
    for m in range(x.shape[1]):
        ref = x[0, m]
        for t in range(1, x.shape[0]):
            if x[t, m] - ref >= threshold:
                on[t, m] = 1
                ref += threshold
            elif ref - x[t, m] >= threshold:
                off[t, m] = 1
                ref -= threshold


def bsa_encode(x, fir, threshold, out):
    """Ben's Spiker Algorithm: spike when subtracting the filter lowers the absolute error
    by at least the threshold (sums taken left to right, as in the kernel)."""
    T, M = x.shape
    out[...] = 0
    for m in range(M):
        e = [float(v) for v in x[:, m]]
        for t in range(T):
            span = min(len(fir), T - t)
            err1 = 0.0
            err2 = 0.0
            for k in range(span):
                err1 += abs(e[t + k] - fir[k])
                err2 += abs(e[t + k])
            if err1 <= err2 - threshold:
                out[t, m] = 1
                for k in range(span):
                    e[t + k] -= fir[k]


def neuron_encode(current, beta, alpha, v_th, v_reset, reset_subtract, refractory, out, v_trace):
    """LIF / simplified IF encoder: :math:`v \\leftarrow \\beta v + \\alpha I`, spike and reset
    at threshold, then ``refractory`` steps held at reset."""
    T, M = out.shape
    record = v_trace.shape[0] > 0
    out[...] = 0
    for m in range(M):
        v = v_reset
        hold = 0
        for t in range(T):
            if hold > 0:
                hold -= 1
                v = v_reset
                if record:
                    v_trace[t, m] = v
                continue
            v = beta * v + alpha * current[m]
            if record:
                v_trace[t, m] = v
            if v >= v_th:
                out[t, m] = 1
                v = v - v_th if reset_subtract else v_reset
                hold = refractory


def tsc_encode(p, out):
    """Temporal switch coding: :math:`p^* = \\lfloor |p|(N-1) \\rfloor + 1`; spikes at steps 0 and
    :math:`p^*-1` when :math:`p^* \\ge 2`, none otherwise."""
    N = out.shape[0]
    out[...] = 0
    for m, v in enumerate(p):
        p_star = math.floor(v * (N - 1)) + 1
        if p_star >= 2:
            out[0, m] = 1
            out[p_star - 1, m] = 1


def phase_encode(q, n_phases, out):
    """Phase coding: bit :math:`K-1-(t \\bmod K)` of :math:`q` at step :math:`t`."""
    for t in range(out.shape[0]):
        out[t] = (np.asarray(q) >> (n_phases - 1 - t % n_phases)) & 1


def burst_encode(n_spikes, isi, period, out):
    """Burst coding: spikes at :math:`kL + j\\,\\mathrm{ISI}` for :math:`j < N_s` (see the kernel)."""
    out[...] = 0
    for m in range(out.shape[1]):
        for start in range(0, out.shape[0], period):
            for j in range(int(n_spikes[m])):
                t = start + j * int(isi[m])
                if t < out.shape[0] and j * int(isi[m]) < period:
                    out[t, m] = 1
