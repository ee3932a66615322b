"""Encoder kernels: values -> spike rasters ``(T, M)`` of uint8 (0/1), time first.

``M`` is the flattened ``batch * n`` (the public functions in ``spikecore.encoding`` reshape
``(T, M)`` back to ``(T, *shape)``). Inputs arrive validated and, for intensity codes,
normalised to [0, 1] (float64, so that kernel and reference round identically). Every
kernel has a twin of the same name in ``spikecore.reference.encoding``.

Poisson / Bernoulli rate coding has no kernel here: it is
``spikecore.kernels.rng.philox_bernoulli`` (shared with the simulator's Poisson inputs).
"""
import math

import numba
import numpy as np


@numba.njit(cache=True)
def regular_encode(p, out):
    """Deterministic regular-rate coding: evenly spaced spikes at rate ``p`` per step.

    .. math:: s_{t,m} = \\lfloor (t+1) p_m \\rfloor - \\lfloor t\\, p_m \\rfloor

    so input ``m`` spikes :math:`\\lfloor T p_m \\rfloor` times in ``T`` steps, at intervals
    of :math:`1/p_m` steps (rounded): the deterministic counterpart of Poisson rate coding
    (a rate code without the Poisson noise; Gerstner & Kistler, 2002, "Spiking Neuron
    Models", sec. 1.5), equal to the spikes of a perfect integrator with constant input.

    Parameters
    ----------
    p : float64 array (M,)
        Spike probability per step, :math:`p = r\\,\\Delta t \\in [0, 1]`.
    out : uint8 array (T, M)
        Receives the spikes.
    """
    n_steps, n = out.shape
    for t in range(n_steps):
        for m in range(n):
            out[t, m] = np.uint8(math.floor((t + 1) * p[m]) - math.floor(t * p[m]))


@numba.njit(cache=True)
def latency_encode(x, tau, threshold, log_mode, clip, out, times):
    """Time-to-first-spike (latency) coding: at most one spike per input, earlier for larger input.

    Linear mapping (as in snnTorch's ``spikegen.latency``, Eshraghian et al., 2023):

    .. math:: t^*(x) = \\tau\\,(1 - x), \\qquad x \\ge \\vartheta

    Logarithmic mapping (Eshraghian et al., 2023): the time an RC circuit driven by a
    constant current :math:`x`
    (:math:`V(t) = x(1 - e^{-t/\\tau})`) takes to reach the threshold :math:`\\vartheta`:

    .. math:: t^*(x) = \\tau \\ln \\frac{x}{x - \\vartheta}, \\qquad x > \\vartheta

    The spike is emitted at step :math:`\\lfloor t^* + 1/2 \\rfloor` (nearest step).
    Inputs below threshold, or whose step falls after the window (:math:`> T-1`), spike at
    the last step :math:`T-1` unless ``clip``, in which case they do not spike.

    Parameters
    ----------
    x : float64 array (M,)
        Normalised inputs in [0, 1].
    tau : float
        Time constant :math:`\\tau`, in steps.
    threshold : float
        :math:`\\vartheta` in [0, 1).
    log_mode : bool
        Logarithmic (RC) mapping instead of the linear one.
    clip : bool
        Suppress spikes of below-threshold and out-of-window inputs.
    out : uint8 array (T, M)
        Receives the spikes (zeroed here).
    times : float64 array (M,)
        Receives :math:`t^*` in steps (not rounded), ``inf`` for below-threshold inputs.
    """
    n_steps, n = out.shape
    out[:, :] = 0
    for m in range(n):
        v = x[m]
        if log_mode:
            above = v > threshold
            t = tau * math.log(v / (v - threshold)) if above else math.inf
        else:
            above = v >= threshold
            t = tau * (1.0 - v) if above else math.inf
        times[m] = t
        step = math.floor(t + 0.5) if above else n_steps
        if step <= n_steps - 1:
            out[step, m] = 1
        elif not clip:
            out[n_steps - 1, m] = 1


@numba.njit(cache=True)
def rank_order_encode(x, threshold, out):
    """Rank-order coding (Thorpe & Gautrais, 1998): each active input spikes once, in order
    of decreasing value.

    Within each row ``b`` the active inputs (:math:`x_{b,j} > \\vartheta`) are ranked
    :math:`r = 0, 1, \\dots, A_b - 1` by decreasing value (ties: lower index first). Input of
    rank :math:`r` spikes at step

    .. math:: t(r) = r \\;\\text{ if } A_b \\le T, \\qquad
              t(r) = \\lfloor r\\,T / A_b \\rfloor \\;\\text{ otherwise}

    so the order is kept exactly when the window has a step per active input, and to the
    step resolution otherwise. Inactive inputs never spike.

    Parameters
    ----------
    x : float64 array (B, N)
        Values; ranking is within each row.
    threshold : float
        :math:`\\vartheta`: inputs at or below it are inactive.
    out : uint8 array (T, B, N)
        Receives the spikes (zeroed here).
    """
    n_steps = out.shape[0]
    out[:, :, :] = 0
    for b in range(x.shape[0]):
        order = np.argsort(-x[b], kind="mergesort")  # stable: ties keep index order
        active = 0
        for j in range(x.shape[1]):
            if x[b, j] > threshold:
                active += 1
        for r in range(active):
            step = r if active <= n_steps else (r * n_steps) // active
            out[step, b, order[r]] = 1


@numba.njit(cache=True)
def population_encode(x, centres, sigma, t_max, min_response, out, times):
    """Gaussian receptive-field population coding (Bohte, Kok & La Poutre, 2002).

    Field :math:`i` (centre :math:`\\mu_i`, width :math:`\\sigma`) responds
    :math:`f_i(x) = \\exp(-(x - \\mu_i)^2 / (2\\sigma^2))` and fires once, at

    .. math:: t_i = t_{\\max}\\,(1 - f_i(x)), \\qquad \\text{if } f_i(x) \\ge f_{\\min}

    (strongest response at :math:`t = 0`); weaker fields do not fire (Bohte et al.: times
    later than 9 of a 10 ms interval, :math:`f_{\\min} = 0.1`). The raster spike is at the
    nearest step :math:`\\lfloor t_i + 1/2 \\rfloor`.

    Parameters
    ----------
    x : float64 array (M,)
        Values (in the fields' range).
    centres : float64 array (K,)
        Field centres :math:`\\mu_i`.
    sigma : float
        Field width :math:`\\sigma`.
    t_max : float
        Coding interval :math:`t_{\\max}` in steps (:math:`\\le T - 1`).
    min_response : float
        :math:`f_{\\min}`.
    out : uint8 array (T, M, K)
        Receives the spikes (zeroed here).
    times : float64 array (M, K)
        Receives the exact spike times :math:`t_i` in steps; ``inf`` for fields that do not fire.
    """
    out[:, :, :] = 0
    for m in range(x.shape[0]):
        for i in range(centres.shape[0]):
            d = x[m] - centres[i]
            f = math.exp(-(d * d) / (2.0 * sigma * sigma))
            if f >= min_response:
                t = t_max * (1.0 - f)
                times[m, i] = t
                out[int(math.floor(t + 0.5)), m, i] = 1
            else:
                times[m, i] = math.inf


@numba.njit(cache=True)
def delta_encode(x, threshold, on, off):
    """Delta modulation / temporal contrast with ON and OFF channels.

    A reference :math:`\\hat x` starts at :math:`x_0` and tracks the signal in steps of
    :math:`\\vartheta`:

    .. math::
        \\mathrm{on}_t = [x_t - \\hat x_{t-1} \\ge \\vartheta],\\quad
        \\mathrm{off}_t = [\\hat x_{t-1} - x_t \\ge \\vartheta],\\quad
        \\hat x_t = \\hat x_{t-1} + \\vartheta(\\mathrm{on}_t - \\mathrm{off}_t)

    (the send-on-delta rule of event cameras, Lichtsteiner, Posch & Delbruck, 2008). While
    :math:`|x_t - x_{t-1}| \\le \\vartheta` the invariant :math:`|x_t - \\hat x_t| < \\vartheta`
    holds, so :math:`x_0 + \\vartheta \\sum (\\mathrm{on} - \\mathrm{off})` reconstructs the
    signal to within :math:`\\vartheta`; faster changes overload the slope (one event per
    channel and step).

    Parameters
    ----------
    x : float64 array (T, M)
        Signals, time first.
    threshold : float
        :math:`\\vartheta > 0`.
    on, off : uint8 arrays (T, M)
        Receive the ON and OFF events (step 0 has none).
    """
    n_steps, n = x.shape
    for m in range(n):
        ref = x[0, m]
        on[0, m] = 0
        off[0, m] = 0
        for t in range(1, n_steps):
            if x[t, m] - ref >= threshold:
                on[t, m] = 1
                off[t, m] = 0
                ref += threshold
            elif ref - x[t, m] >= threshold:
                on[t, m] = 0
                off[t, m] = 1
                ref -= threshold
            else:
                on[t, m] = 0
                off[t, m] = 0


@numba.njit(cache=True)
def bsa_encode(x, fir, threshold, out):
    """Ben's Spiker Algorithm (Schrauwen & Van Campenhout, 2003).

    The spike train :math:`s` is chosen so that its convolution with the FIR filter
    :math:`h` (length :math:`L`) approximates the signal. Scanning :math:`t = 0 \\dots T-1`
    over a residual :math:`e` (initially the signal), with :math:`L_t = \\min(L, T - t)`:

    .. math::
        \\epsilon_1 = \\sum_{k<L_t} |e_{t+k} - h_k|, \\quad
        \\epsilon_2 = \\sum_{k<L_t} |e_{t+k}|, \\qquad
        \\epsilon_1 \\le \\epsilon_2 - \\vartheta \\;\\Rightarrow\\;
        s_t = 1,\\; e_{t+k} \\leftarrow e_{t+k} - h_k

    Decoding is :math:`\\hat x_t = \\sum_k s_{t-k} h_k`.

    Parameters
    ----------
    x : float64 array (T, M)
        Non-negative signals, time first.
    fir : float64 array (L,)
        Filter taps :math:`h`.
    threshold : float
        :math:`\\vartheta`.
    out : uint8 array (T, M)
        Receives the spikes.
    """
    n_steps, n = x.shape
    n_taps = fir.shape[0]
    residual = np.empty(n_steps, np.float64)
    for m in range(n):
        for t in range(n_steps):
            residual[t] = x[t, m]
        for t in range(n_steps):
            span = min(n_taps, n_steps - t)
            err1 = 0.0
            err2 = 0.0
            for k in range(span):
                err1 += abs(residual[t + k] - fir[k])
                err2 += abs(residual[t + k])
            if err1 <= err2 - threshold:
                out[t, m] = 1
                for k in range(span):
                    residual[t + k] -= fir[k]
            else:
                out[t, m] = 0


@numba.njit(cache=True)
def neuron_encode(current, beta, alpha, v_th, v_reset, reset_subtract, refractory, out, v_trace):
    """Neuron-model encoder (Kim, Lee, Song & Myung, 2019): a constant input current drives
    one leaky or non-leaky integrate-and-fire neuron per input; its spikes are the code.

    .. math::
        v_t = \\beta\\, v_{t-1} + \\alpha\\, I, \\qquad
        s_t = [v_t \\ge v_{th}], \\qquad
        v_t \\leftarrow v_t - v_{th} \\text{ (subtract) or } v_{reset} \\text{ (zero) if } s_t

    LIF: :math:`\\beta = e^{-\\Delta t/\\tau_m}`, :math:`\\alpha = 1 - \\beta` (exact
    integration of :math:`\\tau_m \\dot v = -v + I` over a step with constant :math:`I`);
    simplified IF: :math:`\\beta = \\alpha = 1`. After a spike the neuron holds
    :math:`v_{reset}` and ignores input for ``refractory`` steps. ``v`` starts at
    :math:`v_{reset}`. Self-contained: the general neuron kernels live in ``kernels/neurons.py``.

    Parameters
    ----------
    current : float64 array (M,)
        Input current :math:`I` per neuron (dimensionless, threshold units).
    beta, alpha : float
        Decay and input factors.
    v_th, v_reset : float
        Threshold and reset potential.
    reset_subtract : bool
        Reset by subtracting :math:`v_{th}` instead of setting :math:`v_{reset}`.
    refractory : int
        Refractory period in steps (>= 0).
    out : uint8 array (T, M)
        Receives the spikes.
    v_trace : float64 array (T, M) or (0, M)
        Receives the membrane potential after integration and before reset (the value
        compared with the threshold; :math:`v_{reset}` while refractory); not written
        when it has zero rows.
    """
    n_steps, n = out.shape
    record = v_trace.shape[0] > 0
    for m in range(n):
        v = v_reset
        hold = 0
        for t in range(n_steps):
            if hold > 0:
                hold -= 1
                v = v_reset
                out[t, m] = 0
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
            else:
                out[t, m] = 0


@numba.njit(cache=True)
def tsc_encode(p, out):
    """Temporal switch coding (Han & Roy, 2020): two spikes per input, the interval between
    them proportional to the intensity.

    With a window of :math:`N` steps and :math:`|p| \\in [0, 1]`:

    .. math:: p^* = \\lfloor |p|\\,(N - 1) \\rfloor + 1 \\in \\{1, \\dots, N\\}

    The input switches on with a spike at step 0 and off with a spike at step
    :math:`p^* - 1`, so the interval is :math:`p^* - 1` steps and
    :math:`|p| \\in [(p^*-1)/(N-1),\\, p^*/(N-1))`. When :math:`p^* = 1` (zero input, or
    :math:`|p| < 1/(N-1)`) on and off coincide and the input emits no spike.

    Parameters
    ----------
    p : float64 array (M,)
        Magnitudes in [0, 1].
    out : uint8 array (N, M)
        Receives the spikes (zeroed here).
    """
    n_steps, n = out.shape
    out[:, :] = 0
    for m in range(n):
        p_star = int(math.floor(p[m] * (n_steps - 1))) + 1
        if p_star >= 2:
            out[0, m] = 1
            out[p_star - 1, m] = 1


@numba.njit(cache=True)
def phase_encode(q, n_phases, out):
    """Phase coding (Kim, Park, Na & Yoon, 2018, "weighted spikes"): the binary digits of a
    quantised input, most significant first, repeated every :math:`K` steps.

    .. math:: s_t = \\mathrm{bit}_{K-1-(t \\bmod K)}(q), \\qquad
              q = \\mathrm{round}(x\\,(2^K - 1)) \\in \\{0, \\dots, 2^K - 1\\}

    A spike in phase :math:`k = t \\bmod K` carries weight :math:`2^{-(k+1)}`, so one period
    decodes exactly to :math:`q / 2^K`.

    Parameters
    ----------
    q : int64 array (M,)
        Quantised inputs in [0, 2**K - 1].
    n_phases : int
        :math:`K` (1..32).
    out : uint8 array (T, M)
        Receives the spikes.
    """
    n_steps, n = out.shape
    for t in range(n_steps):
        bit = n_phases - 1 - (t % n_phases)
        for m in range(n):
            out[t, m] = np.uint8((q[m] >> bit) & 1)


@numba.njit(cache=True)
def burst_encode(n_spikes, isi, period, out):
    """Burst coding (Park, Kim, Choe & Yoon, 2019): a burst of :math:`N_s` spikes spaced by
    :math:`\\mathrm{ISI}` steps at the start of every period of :math:`L` steps.

    .. math:: s_{t,m} = \\big[\\, \\phi \\bmod \\mathrm{ISI}_m = 0 \\;\\wedge\\;
              \\phi / \\mathrm{ISI}_m < N_{s,m} \\,\\big], \\qquad \\phi = t \\bmod L

    Parameters
    ----------
    n_spikes : int64 array (M,)
        Spikes per burst :math:`N_s` (0 for none).
    isi : int64 array (M,)
        Inter-spike interval in steps (>= 1).
    period : int
        Burst period :math:`L` in steps (>= 1).
    out : uint8 array (T, M)
        Receives the spikes.
    """
    n_steps, n = out.shape
    for t in range(n_steps):
        phase = t % period
        for m in range(n):
            out[t, m] = np.uint8((phase % isi[m] == 0) and (phase // isi[m] < n_spikes[m]))
