r"""ReSuMe (Remote Supervised Method) kernels (Numba): readout simulation with learning, exact
per-trial weight changes from spike times.

The rule (Ponulak 2005; Ponulak & Kasiński 2010, Neural Computation 22, Eq. 2.3) for the
efficacy :math:`w_{oi}` of the synapse from input :math:`i` to output neuron :math:`o`:

.. math::

    \frac{d}{dt} w_{oi}(t) = \big[S_d(t) - S_o(t)\big]
        \Big[a_i + \int_0^\infty W_i(s)\, S_i(t - s)\, ds\Big],
    \qquad W_i(s) = \sigma_i A\, e^{-s/\tau}, \quad a_i = \sigma_i a,

where :math:`S_d, S_o, S_i` are the desired, actual output and input spike trains (sums of
Dirac deltas), :math:`a > 0` the non-Hebbian term, :math:`A > 0, \tau > 0` the amplitude and
time constant of the learning window, and :math:`\sigma_i = +1` for an excitatory,
:math:`-1` for an inhibitory synapse (the paper: "a > 0 and an STDP-like window for
excitatory synapses, a < 0 and an anti-STDP-like window for inhibitory ones"). The
efficacy :math:`w_{oi}` is the paper's synaptic strength; a spike of input :math:`i` adds
:math:`\sigma_i w_{oi}` to the synaptic current of neuron :math:`o` (so for an inhibitory
synapse a missed target spike *weakens* the inhibition). The window counts input spikes
strictly before the post-synaptic (or desired) spike, :math:`s > 0`: on the time grid an input
spike in the same step as an output spike could not have caused it (an input spike at step
:math:`k` enters the neuron update of step :math:`k + 1`, the engine's schedule).

Integrating over one presentation gives the per-trial change

.. math::

    \Delta w_{oi} = \sigma_i\Big[a\,(n_d - n_o)
      + A \sum_{t_d} \sum_{t_i^f < t_d} e^{-(t_d - t_i^f)/\tau}
      - A \sum_{t_o} \sum_{t_i^f < t_o} e^{-(t_o - t_i^f)/\tau}\Big],

exactly zero when the output train equals the desired one.

Readout neurons are current-based LIF neurons (:class:`spikecore.neurons.CurrentLIF`, one
synaptic channel), advanced by :func:`spikecore.kernels.neurons.cuba_lif_step`. Each step
:math:`k`: (1) neuron update, output spikes of step :math:`k`; (2) learning with the input
trace :math:`x_i[k] = \sum_{k_f < k} e^{-(k - k_f) dt/\tau}` (kept lazily, updated only at input
spikes and read at learning events) (per-trial: accumulated;
online: applied at once, then clipped to ``[w_min, w_max]``); (3) the input spikes of step
:math:`k` are added to the synaptic currents, :math:`i_o \mathrel{+}= \sigma_i w_{oi}`;
(4) :math:`x_i \leftarrow e^{-dt/\tau}(x_i + s_i[k])`. On grid-aligned spike times the
per-trial mode equals :func:`resume_integrated_delta` exactly.

Weights, traces and neuron state are float64 (many small updates accumulate).
Twins of the public functions: :mod:`spikecore.reference.resume`.
"""

import numpy as np
from numba import njit

from .metrics import _causal_sum
from .neurons import cuba_lif_step

MODE_NONE = 0
MODE_TRIAL = 1
MODE_ONLINE = 2


@njit(cache=True)
def _clip(value, lo, hi):
    if value < lo:
        return lo
    if value > hi:
        return hi
    return value


@njit(cache=True)
def _present(w, sign, in_spikes, desired, v, i_syn, refrac, current, x, x_step, alpha, beta, v_rest,
             v_th, v_reset, soft_reset, n_ref, syn_decay, syn_gain, a, A, decay_learn, w_min,
             w_max, mode, out_spikes, dw):
    r"""One presentation of ``in_spikes`` (T, batch, n_in): steps (1)-(4) of the module docstring.

    The input trace is kept lazily: ``x[b, i]`` is its value at step ``x_step[b, i]`` (the step
    after the input's last spike), so :math:`x_i[k] = x[b,i]\,d^{k - x\_step[b,i]}`; only input
    spikes and learning events touch it.
    """
    T, batch, n_in = in_spikes.shape
    n_out = w.shape[0]
    for k in range(T):
        cuba_lif_step(v, i_syn, refrac, current, alpha, beta, v_rest, v_th, v_reset, soft_reset,
                      n_ref, syn_decay, syn_gain, out_spikes[k])
        if mode != MODE_NONE:
            for b in range(batch):
                for o in range(n_out):
                    e = np.int64(desired[k, b, o] != 0) - np.int64(out_spikes[k, b, o] != 0)
                    if e == 0:
                        continue
                    for i in range(n_in):
                        xi = x[b, i] * decay_learn ** (k - x_step[b, i]) if x[b, i] != 0.0 else 0.0
                        d = e * sign[i] * (a + A * xi)
                        dw[o, i] += d
                        if mode == MODE_ONLINE:
                            w[o, i] = _clip(w[o, i] + d, w_min, w_max)
        for b in range(batch):
            for i in range(n_in):
                if in_spikes[k, b, i] != 0:
                    for o in range(n_out):
                        i_syn[0, b, o] += sign[i] * w[o, i]
                    x[b, i] = decay_learn * (x[b, i] * decay_learn ** (k - x_step[b, i]) + 1.0)
                    x_step[b, i] = k + 1


@njit(cache=True)
def _apply(w, dw, w_min, w_max):
    n_out, n_in = w.shape
    for o in range(n_out):
        for i in range(n_in):
            w[o, i] = _clip(w[o, i] + dw[o, i], w_min, w_max)


@njit(cache=True)
def resume_run(w, sign, in_spikes, desired, v, i_syn, refrac, alpha, beta, v_rest, v_th, v_reset,
               soft_reset, n_ref, syn_decay, syn_gain, a, A, decay_learn, w_min, w_max, mode,
               out_spikes, dw):
    r"""Simulate a ReSuMe readout layer on ``batch`` presentations at once, learning or not.

    Current-based LIF readout (one synaptic channel, :math:`i_o \mathrel{+}= \sigma_i w_{oi}`
    per input spike) and the ReSuMe rule of the module docstring (Ponulak & Kasiński 2010).
    The batch elements share ``w``.

    Parameters
    ----------
    w : float64 array (n_out, n_in)
        Efficacies :math:`w_{oi}`; updated in place unless ``mode == 0``.
    sign : float64 array (n_in,)
        Synapse type :math:`\sigma_i`: +1 excitatory, -1 inhibitory.
    in_spikes : bool or uint8 array (T, batch, n_in)
        Input spike raster :math:`S_i`.
    desired : bool or uint8 array (T, batch, n_out)
        Desired spike raster :math:`S_d` (ignored when ``mode == 0``).
    v, refrac : arrays (batch, n_out); i_syn : array (1, batch, n_out)
        Readout state of :class:`~spikecore.neurons.CurrentLIF`, updated in place.
    alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref, syn_decay, syn_gain
        ``CurrentLIF.step_params(dt)`` (see :func:`spikecore.kernels.neurons.cuba_lif_step`).
    a : float
        Non-Hebbian term :math:`a` (weight per spike).
    A : float
        Learning-window amplitude :math:`A` (weight per spike pair).
    decay_learn : float
        :math:`e^{-dt/\tau}` of the learning window.
    w_min, w_max : float
        Bounds on :math:`w_{oi}` (``-inf``, ``inf`` for none).
    mode : int
        0: no learning; 1: per-trial (the summed change over time and batch is applied once, at
        the end); 2: online (every change applied at the step it occurs, batch elements in
        order).
    out_spikes : bool array (T, batch, n_out)
        Receives the output spikes :math:`S_o`.
    dw : float64 array (n_out, n_in)
        Receives the sum of the weight changes of this call (before clipping).
    """
    batch, n_in = in_spikes.shape[1], in_spikes.shape[2]
    n_out = w.shape[0]
    x = np.zeros((batch, n_in))
    x_step = np.zeros((batch, n_in), dtype=np.int64)
    current = np.zeros((batch, n_out))
    dw[:, :] = 0.0
    _present(w, sign, in_spikes, desired, v, i_syn, refrac, current, x, x_step, alpha, beta, v_rest, v_th,
             v_reset, soft_reset, n_ref, syn_decay, syn_gain, a, A, decay_learn, w_min, w_max,
             mode, out_spikes, dw)
    if mode == MODE_TRIAL:
        _apply(w, dw, w_min, w_max)


@njit(cache=True)
def resume_train_epoch(order, w, sign, in_spikes, desired, alpha, beta, v_rest, v_th, v_reset,
                       soft_reset, n_ref, syn_decay, syn_gain, a, A, decay_learn, w_min, w_max,
                       mode, out_spikes):
    r"""One training epoch: present samples one at a time in ``order``, each from rest.

    For every sample ``s = order[j]`` the readout starts from rest (:math:`v = v_{rest}`,
    :math:`i = 0`, not refractory), is simulated on ``in_spikes[:, s]`` with the ReSuMe rule
    (Ponulak & Kasiński 2010) in ``mode`` (1: per-trial change applied after the
    presentation; 2: online), as :func:`resume_run` with a batch of one.

    Parameters
    ----------
    order : int64 array (n_present,)
        Sample indices in presentation order.
    w, sign, alpha ... w_max, mode
        As in :func:`resume_run`.
    in_spikes : bool or uint8 array (T, n_samples, n_in)
    desired : bool or uint8 array (T, n_samples, n_out)
    out_spikes : bool array (T, n_samples, n_out)
        Receives the output spikes of each presented sample (during its presentation).
    """
    n_in = in_spikes.shape[2]
    n_out = w.shape[0]
    v = np.empty((1, n_out))
    i_syn = np.empty((1, 1, n_out))
    refrac = np.empty((1, n_out), dtype=np.int32)
    current = np.zeros((1, n_out))
    x = np.empty((1, n_in))
    x_step = np.empty((1, n_in), dtype=np.int64)
    dw = np.empty((n_out, n_in))
    for j in range(order.shape[0]):
        s = order[j]
        v[:, :] = v_rest
        i_syn[:, :, :] = 0.0
        refrac[:, :] = 0
        x[:, :] = 0.0
        x_step[:, :] = 0
        dw[:, :] = 0.0
        _present(w, sign, in_spikes[:, s:s + 1, :], desired[:, s:s + 1, :], v, i_syn, refrac,
                 current, x, x_step, alpha, beta, v_rest, v_th, v_reset, soft_reset, n_ref, syn_decay,
                 syn_gain, a, A, decay_learn, w_min, w_max, mode, out_spikes[:, s:s + 1, :], dw)
        if mode == MODE_TRIAL:
            _apply(w, dw, w_min, w_max)


@njit(cache=True)
def resume_integrated_delta(pre_times, pre_indptr, desired_times, desired_indptr, actual_times,
                            actual_indptr, sign, a, A, tau, dw):
    r"""Exact per-trial ReSuMe change from spike times, summed over a batch of trials.

    .. math::

        \Delta w_{oi} = \sum_b \sigma_i\Big[a\,(n_d - n_o)
          + A \sum_{t_d} \sum_{t_i^f < t_d} e^{-(t_d - t_i^f)/\tau}
          - A \sum_{t_o} \sum_{t_i^f < t_o} e^{-(t_o - t_i^f)/\tau}\Big]

    (Ponulak & Kasiński 2010, Eq. 2.3 integrated over one presentation; symbols in the module
    docstring), each double sum in :math:`O(n + m)` by a running sum over the merged trains.

    Parameters
    ----------
    pre_times, pre_indptr : float64 array, int64 array (batch * n_in + 1,)
        Input trains packed CSR-style: train of input ``i`` in trial ``b`` is
        ``pre_times[pre_indptr[b*n_in + i] : pre_indptr[b*n_in + i + 1]]``, sorted.
    desired_times, desired_indptr : float64 array, int64 array (batch * n_out + 1,)
        Desired output trains :math:`t_d`, same packing with ``n_out``.
    actual_times, actual_indptr : float64 array, int64 array (batch * n_out + 1,)
        Actual output trains :math:`t_o`.
    sign : float64 array (n_in,)
        :math:`\sigma_i` (+1 excitatory, -1 inhibitory).
    a, A, tau : float
        Non-Hebbian term, window amplitude and time constant (s).
    dw : float64 array (n_out, n_in)
        Receives :math:`\Delta w`.
    """
    n_out, n_in = dw.shape
    batch = (pre_indptr.shape[0] - 1) // n_in
    dw[:, :] = 0.0
    for b in range(batch):
        for o in range(n_out):
            d0, d1 = desired_indptr[b * n_out + o], desired_indptr[b * n_out + o + 1]
            o0, o1 = actual_indptr[b * n_out + o], actual_indptr[b * n_out + o + 1]
            count = (d1 - d0) - (o1 - o0)
            for i in range(n_in):
                p0, p1 = pre_indptr[b * n_in + i], pre_indptr[b * n_in + i + 1]
                pre = pre_times[p0:p1]
                hebb = (_causal_sum(pre, desired_times[d0:d1], tau)
                        - _causal_sum(pre, actual_times[o0:o1], tau))
                dw[o, i] += sign[i] * (a * count + A * hebb)
    return dw
