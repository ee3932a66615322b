r"""Neuron loops of converted spiking networks (ANN -> SNN), compiled with Numba.

A converted network runs layer by layer over a chunk of time steps, carrying the neurons' state
to the next chunk. A layer's synaptic current comes either from one matrix product of the chunk's
spikes (BLAS) followed by :func:`if_neuron_run`, or event-driven from :func:`if_event_run`, which
adds only the synapses of the inputs that spiked; :func:`if_neuron_pool_run` hands a layer's spikes
to the next layer's sum-pooling directly. Feed-forward layers with zero-delay propagation give the
spikes of a step-by-step simulation.

Threading: these kernels are single-threaded (no ``parallel=True``) and release the GIL
(``nogil``): the one parallel layer of the hot path is Python threads over the samples of a batch
(:meth:`spikecore.conversion.SpikingModel.run`, ``n_threads``), each running single-threaded BLAS
and these loops. A Numba-parallel loop right after an OpenBLAS call fights its spinning threads
(ARCHITECTURE.md); ``benchmarks/conversion.py`` measures the policies.

Twins: :mod:`spikecore.reference.conversion`.
"""
import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def if_neuron_run(current, bias, v, v_th, soft_reset, spikes):
    r"""Integrate-and-fire neurons of a converted network (Diehl et al., 2015; Rueckauer et al., 2017).

    .. math::
        v[t] &= v[t-1] + I[t] + b \\
        s[t] &= [\,v[t] \ge V_\mathrm{th}\,] \\
        v[t] &\leftarrow v[t] - V_\mathrm{th}\, s[t] \;\;\text{(reset by subtraction)}
        \quad\text{or}\quad v[t](1 - s[t]) \;\;\text{(reset to zero)}

    Parameters
    ----------
    current : float32 array (T, batch, n) or (1, batch, n)
        Synaptic input :math:`I[t]`; with a leading 1 the same current every step (analog input).
    bias : float32 array (n,)
        Bias :math:`b` added every step.
    v : float32 array (batch, n)
        Membrane potential, updated in place.
    v_th : float
        Threshold :math:`V_\mathrm{th}`.
    soft_reset : bool
        Reset by subtraction (True) or to zero (False).
    spikes : float32 array (T, batch, n)
        Receives :math:`s[t]` as 0.0 / 1.0 (float so that the next matrix product needs no copy).
    """
    n_steps, batch, n = spikes.shape
    const = current.shape[0] == 1
    for t in range(n_steps):
        tc = 0 if const else t
        for b in range(batch):
            for i in range(n):
                u = v[b, i] + current[tc, b, i] + bias[i]
                if u >= v_th:
                    spikes[t, b, i] = 1.0
                    u = u - v_th if soft_reset else 0.0
                else:
                    spikes[t, b, i] = 0.0
                v[b, i] = u


@numba.njit(cache=True, nogil=True)
def if_neuron_pool_run(current, bias, v, v_th, soft_reset, members, counts, pooled):
    r"""Integrate-and-fire neurons (as :func:`if_neuron_run`) whose spikes go straight into the
    sum-pooling of the next layer's joined average pooling, with per-neuron spike counts.

    .. math::
        v[t] &= v[t-1] + I[t] + b, \qquad s[t] = [\,v[t] \ge V_\mathrm{th}\,],
        \qquad v[t] \leftarrow v[t] - V_\mathrm{th} s[t] \;\text{or}\; v[t](1 - s[t]) \\
        p_r[t] &= \sum_{i \in \mathcal W_r} s_i[t], \qquad c_i \mathrel{+}= s_i[t]

    The spikes are those of :func:`if_neuron_run` bit for bit; :math:`p` is the input the next
    layer's synapse matrix consumes (Rueckauer et al., 2017: average pooling of spikes is linear),
    so the spike raster itself is never stored. :math:`p` holds small integers, exact in float32.

    Parameters
    ----------
    current : float32 array (T, batch, n) or (1, batch, n)
        Synaptic input :math:`I[t]`; with a leading 1 the same current every step.
    bias : float32 array (n,)
    v : float32 array (batch, n)
        Membrane potential, updated in place.
    v_th : float
        Threshold :math:`V_\mathrm{th}`.
    soft_reset : bool
        Reset by subtraction (True) or to zero (False).
    members : int64 array (k, n_rows)
        ``members[q, r]``: the :math:`q`-th neuron of pooling window :math:`\mathcal W_r`; ``n``
        pads a window with fewer than :math:`k` neurons.
    counts : float32 array (batch, n)
        Spike counts :math:`c`, accumulated in place.
    pooled : float32 array (T, batch, n_rows)
        Receives :math:`p[t]`.
    """
    n_steps, batch, n_rows = pooled.shape
    n = v.shape[1]
    k = members.shape[0]
    const = current.shape[0] == 1
    step = np.empty(n + 1, np.float32)  # s[t] of one sample, and a 0 for the padding (allocated once)
    step[n] = 0.0
    for t in range(n_steps):
        tc = 0 if const else t
        for b in range(batch):
            for i in range(n):  # branch-free: vectorises
                u = v[b, i] + current[tc, b, i] + bias[i]
                s = u >= v_th
                step[i] = 1.0 if s else 0.0
                if soft_reset:
                    v[b, i] = u - v_th if s else u
                else:
                    v[b, i] = 0.0 if s else u
            for i in range(n):
                counts[b, i] += step[i]
            for r in range(n_rows):  # gathers by window member: no store-to-load chains
                pooled[t, b, r] = step[members[0, r]]
            for q in range(1, k):
                for r in range(n_rows):
                    pooled[t, b, r] += step[members[q, r]]


@numba.njit(cache=True, nogil=True, inline="always")
def _if_fire(v, current, bias, v_th, soft_reset, spikes):
    r"""One IF step of a neuron row (the event kernels' shared tail): :math:`u = v + I + b`,
    :math:`s = [u \ge V_\mathrm{th}]`, then the reset; branch-free, so it vectorises."""
    for i in range(v.shape[0]):
        u = v[i] + current[i] + bias[i]
        s = u >= v_th
        spikes[i] = 1.0 if s else 0.0
        if soft_reset:
            v[i] = u - v_th if s else u
        else:
            v[i] = 0.0 if s else u


@numba.njit(cache=True, nogil=True)
def if_event_run(spikes_in, row_of, synapses, bias, v, v_th, soft_reset, current, spikes_out):
    r"""Event-driven integrate-and-fire layer of a converted network (Diehl et al., 2015; Rueckauer
    et al., 2017): each step, only the inputs that spiked add their synapses to the current.

    .. math::
        I[t] &= \sum_{j:\, s^\mathrm{in}_j[t] = 1} S_{r(j)} \\
        v[t] &= v[t-1] + I[t] + b \\
        s[t] &= [\,v[t] \ge V_\mathrm{th}\,], \qquad
        v[t] \leftarrow v[t] - V_\mathrm{th}\, s[t] \;\text{(soft)} \;\text{or}\; v[t](1 - s[t])

    With binary input spikes this is :func:`if_neuron_run` fed :math:`I[t] = S^\top s^\mathrm{in}[t]`
    (up to the order of the float32 additions), at a cost of one addition per synapse of a spiking
    input instead of one multiply-add per synapse of every input. Order of the additions (which
    fixes every rounding): with :math:`q_1 < q_2 < \dots` the rows of the spiking inputs in
    increasing :math:`j`, :math:`I \leftarrow I + ((S_{q_1} + S_{q_2}) + (S_{q_3} + S_{q_4}))`
    for each full group of four, then the remaining rows one at a time.

    Parameters
    ----------
    spikes_in : float32 array (T, batch, n_in)
        Binary input spikes :math:`s^\mathrm{in}` (0.0 / 1.0).
    row_of : int64 array (n_in,)
        :math:`r(j)`: the row of ``synapses`` that input :math:`j` drives (several inputs share a
        row when a sum-pooling joins the layer).
    synapses : float32 array (n_rows, n)
        :math:`S`: row :math:`r` holds the weights from input row :math:`r` to every neuron.
    bias : float32 array (n,)
        :math:`b`, added every step.
    v : float32 array (batch, n)
        Membrane potential, updated in place.
    v_th : float
        Threshold :math:`V_\mathrm{th}`.
    soft_reset : bool
        Reset by subtraction (True) or to zero (False).
    current : float32 array (n,)
        Work space for :math:`I[t]`.
    spikes_out : float32 array (T, batch, n)
        Receives :math:`s[t]` (0.0 / 1.0).
    """
    n_steps, batch, n_in = spikes_in.shape
    n = synapses.shape[1]
    rows = np.empty(n_in, np.int64)  # rows of this step's spiking inputs (allocated once)
    for t in range(n_steps):
        for b in range(batch):
            k = 0
            for j in range(n_in):  # branch-free compaction of the spiking inputs' rows
                rows[k] = row_of[j]
                k += 1 if spikes_in[t, b, j] != 0.0 else 0
            for i in range(n):
                current[i] = 0.0
            q = 0
            while q + 4 <= k:  # four rows per pass: one load and store of I per four additions
                r0, r1, r2, r3 = rows[q], rows[q + 1], rows[q + 2], rows[q + 3]
                for i in range(n):
                    current[i] += (synapses[r0, i] + synapses[r1, i]) + (synapses[r2, i] + synapses[r3, i])
                q += 4
            while q < k:
                r0 = rows[q]
                for i in range(n):
                    current[i] += synapses[r0, i]
                q += 1
            _if_fire(v[b], current, bias, v_th, soft_reset, spikes_out[t, b])


@numba.njit(cache=True, nogil=True)
def _tap_targets(n_in, k, pad, stride, n_out):
    """``out[i, q]``: the output row (or column) that input row ``i`` reaches through kernel tap
    ``q`` of a convolution (``(i + pad - q) / stride`` when whole and inside ``n_out``), else -1."""
    out = np.full((n_in, k), -1, np.int64)
    for i in range(n_in):
        for q in range(k):
            m = i + pad - q
            if m >= 0 and m % stride == 0 and m // stride < n_out:
                out[i, q] = m // stride
    return out


@numba.njit(cache=True, nogil=True)
def if_conv_event_run(spikes_in, weight_t, span, in_h, in_w, stride_h, stride_w, pad_h, pad_w, out_h, out_w, extra,
                      bias, v, v_th, soft_reset, current, spikes_out):
    r"""Event-driven integrate-and-fire layer behind a 2-D convolution (Diehl et al., 2015;
    Rueckauer et al., 2017): each step, every input that spiked adds its kernel taps to the
    outputs whose window holds it, and no other input costs anything.

    .. math::
        I_{o,y,x}[t] &= \sum_{(c, i_y, i_x):\, s^\mathrm{in}_{c,i_y,i_x}[t] = 1}
                        W[o, c,\, i_y + p_h - s_h y,\, i_x + p_w - s_w x] \\
        v[t] &= v[t-1] + (I[t] + E[t]) + b, \qquad s[t] = [\,v[t] \ge V_\mathrm{th}\,]

    then the reset (:func:`if_neuron_run`), with :math:`E` an optional second current (a residual
    shortcut's) and taps outside the kernel omitted. This is :func:`if_neuron_run` fed the
    convolution of the spikes (up to the order of the float32 additions), at a cost of one vector
    addition of :math:`O` weights per (spiking input, covering window): the current is kept
    channel-last, :math:`I[(y W_o + x) O + o]`, so the :math:`O` weights of one tap
    (``weight_t[c, k_y, k_x]``) add to :math:`O` adjacent values -- only those from ``span`` on,
    the output channels whose weight may be nonzero (adding an exact 0 changes no sum, so this is
    the same result; a depthwise or grouped convolution, which :mod:`~spikecore.conversion`
    holds as a full kernel with zero taps, costs its true synapses, not :math:`O` per tap). Order
    of the additions (which fixes every rounding): spiking inputs in increasing flat index
    :math:`(c, i_y, i_x)`, then :math:`k_y`, then :math:`k_x`.

    Parameters
    ----------
    spikes_in : float32 array (T, batch, C * in_h * in_w)
        Binary input spikes (0.0 / 1.0), flat in (c, y, x) order.
    weight_t : float32 array (C, k_h, k_w, O)
        The kernel :math:`W[o, c, k_y, k_x]` with the output channel last.
    span : int64 array (C * k_h * k_w, 2)
        Per tap :math:`(c, k_y, k_x)`, the output channels ``[lo, hi)`` outside which its weights
        are exactly 0 (:func:`tap_spans`; ``(0, O)`` for every tap adds all).
    in_h, in_w, stride_h, stride_w, pad_h, pad_w, out_h, out_w : int
        Input size, stride, zero padding and output size of the convolution.
    extra : float32 array (T, batch, n) or (0, 0, 0)
        :math:`E`, added with :math:`I` each step; an empty array for none.
    bias : float32 array (n,)
        :math:`b`, with :math:`n = O \cdot` ``out_h`` :math:`\cdot` ``out_w`` neurons in (o, y, x) order.
    v : float32 array (batch, n)
        Membrane potential, updated in place.
    v_th : float
    soft_reset : bool
        Reset by subtraction (True) or to zero (False).
    current : float32 array (n,)
        Work space (channel-last :math:`I[t]`).
    spikes_out : float32 array (T, batch, n)
        Receives :math:`s[t]` (0.0 / 1.0), in (o, y, x) order.
    """
    n_steps, batch, n_in = spikes_in.shape
    n_c, kh, kw, n_o = weight_t.shape
    hw_out = out_h * out_w
    has_extra = extra.shape[0] > 0
    # the divisions are done once here, not per spike
    row_to = _tap_targets(in_h, kh, pad_h, stride_h, out_h)
    col_to = _tap_targets(in_w, kw, pad_w, stride_w, out_w)
    n = hw_out * n_o
    flat = np.empty(n, np.float32)  # I[t] (+ E[t]) in the neurons' order
    cur = current.reshape(hw_out, n_o)  # row (y, x): the O channels of one position
    taps = weight_t.reshape(n_c * kh * kw, n_o)  # row (c, ky, kx): the O weights of one tap
    for t in range(n_steps):
        for b in range(batch):
            cur[:, :] = 0.0
            j = 0
            for c in range(n_c):
                for iy in range(in_h):
                    for ix in range(in_w):
                        if spikes_in[t, b, j] != 0.0:
                            for ky in range(kh):
                                oy = row_to[iy, ky]
                                if oy < 0:
                                    continue
                                for kx in range(kw):
                                    ox = col_to[ix, kx]
                                    if ox < 0:
                                        continue
                                    q = (c * kh + ky) * kw + kx
                                    dst = cur[oy * out_w + ox]
                                    src = taps[q]
                                    for o in range(span[q, 0], span[q, 1]):
                                        dst[o] += src[o]
                        j += 1
            for o in range(n_o):  # to the neurons' (o, y, x) order
                for p in range(hw_out):
                    flat[o * hw_out + p] = cur[p, o]
            if has_extra:
                for i in range(n):
                    flat[i] += extra[t, b, i]
            _if_fire(v[b], flat, bias, v_th, soft_reset, spikes_out[t, b])


def tap_spans(weight_t):
    """``span`` for :func:`if_conv_event_run`: per tap row of ``weight_t`` (C, k_h, k_w, O), the
    first and one past the last output channel with a nonzero weight ((0, 0) for none), (C k_h k_w, 2)
    int64. A depthwise kernel gives spans of one channel, a grouped one of O / groups."""
    rows = weight_t.reshape(-1, weight_t.shape[-1]) != 0
    any_ = rows.any(1)
    lo = np.where(any_, rows.argmax(1), 0)
    hi = np.where(any_, rows.shape[1] - rows[:, ::-1].argmax(1), 0)
    return np.ascontiguousarray(np.stack([lo, hi], 1), np.int64)


@numba.njit(cache=True, nogil=True)
def maxpool_gate_run(spikes_in, window, counts, spikes_out):
    r"""Spiking max-pooling (Rueckauer et al., 2017): each pooling unit passes on the spikes of the
    input neuron of its window that has fired most so far.

    .. math::
        c_i[t] &= c_i[t-1] + s_i[t] \\
        j^*(o, t) &= \arg\max_{j \in \mathcal W_o} c_j[t] \quad\text{(first index on ties)} \\
        y_o[t] &= s_{j^*(o,t)}[t]

    Parameters
    ----------
    spikes_in : float32 array (T, batch, n_in)
        Input spikes :math:`s`.
    window : int64 array (n_out, k)
        Flat input indices of window :math:`\mathcal W_o`; -1 marks padding (never chosen).
    counts : float32 array (batch, n_in)
        Spike counts :math:`c`, updated in place.
    spikes_out : float32 array (T, batch, n_out)
        Receives :math:`y`.
    """
    n_steps, batch, n_in = spikes_in.shape
    n_out, k = window.shape
    for t in range(n_steps):
        for b in range(batch):
            for i in range(n_in):
                counts[b, i] += spikes_in[t, b, i]
            for o in range(n_out):
                best = -1
                best_c = np.float32(-1.0)
                for q in range(k):
                    j = window[o, q]
                    if j >= 0 and counts[b, j] > best_c:
                        best_c = counts[b, j]
                        best = j
                spikes_out[t, b, o] = spikes_in[t, b, best] if best >= 0 else 0.0


@numba.njit(cache=True)
def tsc_on_duration(spikes, duration):
    r"""On-time of every temporal-switch-coded synapse in one window (Han & Roy, 2020).

    A neuron's first spike switches its synapses on, its second switches them off:

    .. math:: d_i = t_{\mathrm{off},i} - t_{\mathrm{on},i}, \qquad d_i = 0 \text{ without spikes}

    Parameters
    ----------
    spikes : float32 array (N, batch, n)
        One window of TSC spikes (at most two per neuron).
    duration : float32 array (batch, n)
        Receives :math:`d` (steps).
    """
    n_steps, batch, n = spikes.shape
    for b in range(batch):
        for i in range(n):
            on = -1
            d = 0
            for t in range(n_steps):
                if spikes[t, b, i] != 0.0:
                    if on < 0:
                        on = t
                    else:
                        d = t - on
                        break
            duration[b, i] = d


@numba.njit(cache=True)
def tsc_fire(v, v_th, spikes):
    r"""TSC neuron output (Han & Roy, 2020): an on-spike at step 0 and an off-spike after an
    interval proportional to the integrated potential.

    .. math:: k = \min\big(\lfloor v / V_\mathrm{th} \rfloor,\, N - 1\big), \qquad
              s[0] = s[k] = 1 \text{ if } k \ge 1

    so the interval :math:`k` encodes :math:`\mathrm{clip}(v / ((N-1) V_\mathrm{th}), 0, 1)` to
    within :math:`1/(N-1)` (the ``p* = k + 1`` of :func:`spikecore.encoding.tsc`).

    Parameters
    ----------
    v : float32 array (batch, n)
        Potential integrated over the previous window.
    v_th : float
        Quantum :math:`V_\mathrm{th}` (one step of on-time).
    spikes : float32 array (N, batch, n)
        Receives the spikes of the next window (zeroed here).
    """
    n_steps, batch, n = spikes.shape
    spikes[:, :, :] = 0.0
    for b in range(batch):
        for i in range(n):
            if v[b, i] >= v_th:
                k = min(int(math.floor(v[b, i] / v_th)), n_steps - 1)
                spikes[0, b, i] = 1.0
                spikes[k, b, i] = 1.0


@numba.njit(cache=True)
def tsc_dense_events(spikes_in, weight, bias, current, v, adds):
    r"""Event-driven integration of one TSC window through a dense layer (Han & Roy, 2020).

    Each synapse is switched on by its presynaptic neuron's first spike (one addition,
    :math:`I_j \mathrel{+}= w_{ji}`) and off by the second (one subtraction); the neuron integrates
    its current every step, with the bias for the first :math:`N - 1` steps:

    .. math:: I_j[t] = I_j[t-1] + \sum_i w_{ji}\,(\mathrm{on}_i[t] - \mathrm{off}_i[t]),\qquad
              v_j \mathrel{+}= I_j[t] + b_j\,[t < N - 1]

    so at the end :math:`v_j = \sum_i w_{ji} d_i + (N-1) b_j` with :math:`d_i` the on-time, and
    each synapse did at most two additions.

    Parameters
    ----------
    spikes_in : float32 array (N, batch, n_in)
        One window of input TSC spikes.
    weight : float32 array (n_out, n_in)
    bias : float32 array (n_out,)
    current : float32 array (batch, n_out)
        Synaptic current :math:`I`, zeroed here (work space).
    v : float32 array (batch, n_out)
        Potential, accumulated in place.
    adds : int64 array (n_out, n_in)
        Synaptic additions per synapse, accumulated over the batch.
    """
    n_steps, batch, n_in = spikes_in.shape
    n_out = weight.shape[0]
    current[:, :] = 0.0
    seen = np.zeros((batch, n_in), np.int64)
    for t in range(n_steps):
        for b in range(batch):
            for i in range(n_in):
                if spikes_in[t, b, i] != 0.0 and seen[b, i] < 2:
                    sign = np.float32(1.0) if seen[b, i] == 0 else np.float32(-1.0)
                    seen[b, i] += 1
                    for j in range(n_out):
                        current[b, j] += sign * weight[j, i]
                        adds[j, i] += 1
            for j in range(n_out):
                v[b, j] += current[b, j]
                if t < n_steps - 1:
                    v[b, j] += bias[j]


@numba.njit(cache=True, nogil=True)
def lif_neuron_run(current, bias, v, refractory, dt, tau_rc, tau_ref, spikes):
    r"""Leaky integrate-and-fire neurons of a soft-LIF-trained network (Hunsberger & Eliasmith, 2015),
    integrated exactly over each step with the spike time resolved inside the step.

    With the input current :math:`J = I[t] + b` held over the step, threshold 1, reset to 0 and the
    remaining refractory time :math:`\rho` (seconds, at the start of the step):

    .. math::
        \delta &= \mathrm{clip}(\Delta t - \rho,\, 0,\, \Delta t) \\
        v &\leftarrow \max\big(0,\; J + (v - J)\, e^{-\delta/\tau_{RC}}\big) \\
        \rho &\leftarrow \max(\rho - \Delta t, 0)

    and if :math:`v > 1` the neuron spikes, :math:`v \leftarrow 0`, and the refractory period
    counts from the crossing time: the crossing happened
    :math:`t_o = -\tau_{RC}\log\big(1 - (v - 1)/(J - 1)\big)` before the end of the step, so
    :math:`\rho \leftarrow \tau_\mathrm{ref} - t_o`. For a constant :math:`J` the rate then equals
    :math:`[\tau_\mathrm{ref} + \tau_{RC}\log(1 + 1/(J - 1))]^{-1}` on average, whatever
    :math:`\Delta t` (the continuous-time LIF the network was trained with).

    Parameters
    ----------
    current : float32 array (T, batch, n) or (1, batch, n)
        Synaptic current :math:`I[t]`; with a leading 1 the same current every step (analog input).
    bias : float32 array (n,)
        :math:`b` (the layer's bias plus the threshold offset: the ANN input is :math:`J - 1`).
    v : float32 array (batch, n)
        Membrane potential, updated in place.
    refractory : float32 array (batch, n)
        Remaining refractory time :math:`\rho` in seconds, updated in place.
    dt, tau_rc, tau_ref : float
        Step :math:`\Delta t`, membrane time constant :math:`\tau_{RC}`, refractory period (seconds).
    spikes : float32 array (T, batch, n)
        Receives the spikes (0.0 / 1.0).
    """
    n_steps, batch, n = spikes.shape
    const = current.shape[0] == 1
    for t in range(n_steps):
        tc = 0 if const else t
        for b in range(batch):
            for i in range(n):
                J = current[tc, b, i] + bias[i]
                rho = refractory[b, i]
                delta = min(max(dt - rho, 0.0), dt)
                u = J + (v[b, i] - J) * math.exp(-delta / tau_rc)
                if u < 0.0:
                    u = 0.0
                rho = max(rho - dt, 0.0)
                if u > 1.0:
                    t_over = -tau_rc * math.log1p(-(u - 1.0) / (J - 1.0))
                    spikes[t, b, i] = 1.0
                    u = 0.0
                    rho = tau_ref - t_over
                else:
                    spikes[t, b, i] = 0.0
                v[b, i] = u
                refractory[b, i] = rho


@numba.njit(cache=True)
def ttfs_neuron_run(increment, bias, onset, t0, dt, v_th, current, v, fired, spikes):
    r"""Time-to-first-spike neurons (Rueckauer & Liu, 2018, "Conversion of analog to spiking neural
    networks using sparse temporal coding", ISCAS).

    A neuron fires at most once. Its first spike switches its synapses on for the rest of the
    inference: each postsynaptic neuron then receives a constant current :math:`w_{ji}` per unit of
    time (a step-function postsynaptic potential), so with :math:`t_i` the spike step of input
    :math:`i`,

    .. math::
        I_j[k] &= I_j[k-1] + \sum_i w_{ji}\,[t_i = k] \qquad(\text{``increment''}) \\
        v_j[k] &= v_j[k-1] + \Delta t\,\big(I_j[k] + b_j\,[k \ge k_0]\big) \\
        s_j[k] &= [\,v_j[k] \ge V_\mathrm{th}\ \text{and}\ j \text{ has not fired}\,]

    with :math:`k_0` the step of the layer's first input spike (the bias is integrated only once
    the layer receives input). An activation :math:`a` is coded by the time to first spike
    :math:`t \approx V_\mathrm{th}/a` (exact for the first layer, whose analog input switches on at
    step 0): the activation is the instantaneous rate :math:`1/t`.

    Parameters
    ----------
    increment : float32 array (T, batch, n)
        :math:`\sum_i w_{ji}[t_i = k]`, the current switched on at each step of the chunk.
    bias : float32 array (n,)
    onset : int64 array (batch,)
        :math:`k_0` per sample (a large value: no input yet).
    t0 : int
        Global step of the chunk's first step.
    dt : float
        :math:`\Delta t` (time units per step).
    v_th : float
        :math:`V_\mathrm{th}`; ``inf`` for a non-firing (output) layer.
    current, v : float32 arrays (batch, n)
        :math:`I` and :math:`v`, updated in place.
    fired : uint8 array (batch, n)
        1 once the neuron has fired, updated in place.
    spikes : float32 array (T, batch, n)
        Receives :math:`s`.
    """
    n_steps, batch, n = spikes.shape
    for t in range(n_steps):
        k = t0 + t
        for b in range(batch):
            active = k >= onset[b]
            for i in range(n):
                current[b, i] += increment[t, b, i]
                if active:
                    v[b, i] += dt * (current[b, i] + bias[i])
                else:
                    v[b, i] += dt * current[b, i]
                if fired[b, i] == 0 and v[b, i] >= v_th:
                    fired[b, i] = 1
                    spikes[t, b, i] = 1.0
                else:
                    spikes[t, b, i] = 0.0
