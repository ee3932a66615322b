r"""Plain-NumPy twins of :mod:`spikecore.kernels.nef`, written from the equations.

Same names, same signatures, same in-place semantics; vectorised NumPy instead of loops.
Float results agree with the kernels to rounding (the tests use ``rtol=1e-9`` for rates and
weights; spikes agree exactly on the generated models).
"""
import numpy as np

# table layouts, shared with the kernels (they are plain integers)
from spikecore.kernels.nef import (
    C_DST_LEN,
    C_DST_OFF,
    C_GAIN_OFF,
    C_IMMEDIATE,
    C_PHASE,
    C_SRC_LEN,
    C_SRC_OFF,
    C_STATE_OFF,
    C_W_OFF,
    E_DIMS,
    E_ENC_OFF,
    E_JEXTRA_OFF,
    E_KIND,
    E_N,
    E_NEURON_OFF,
    E_OUT_OFF,
    E_X_OFF,
    EF_AMP,
    EF_MIN_V,
    EF_TAU_RC,
    EF_TAU_REF,
    KIND_IF,
    KIND_LIF,
    KIND_LIF_RATE,
    P_ACTS_OFF,
    P_CONN,
    P_ENC_OFF,
    P_ERR_DIMS,
    P_ERR_OFF,
    P_LOCAL_OFF,
    P_N_PRE,
    P_PRE_OFF,
    PF_PRE_DECAY,
    PF_RATE,
    PROBE_FILTERED,
    PROBE_WEIGHTS,
    R_COLS,
    R_KIND,
    R_OFF,
    R_PERIOD,
    R_REC_OFF,
    R_ROWS,
    R_SRC_OFF,
)


def nef_lif_step(voltage, refractory_time, J, dt, tau_rc, tau_ref, min_voltage, amplitude, output):
    r"""NEF LIF step with sub-step refractoriness (twin of :func:`spikecore.kernels.nef.nef_lif_step`).

    :math:`r \leftarrow r - dt`, :math:`\Delta t = \mathrm{clip}(dt - r, 0, dt)`,
    :math:`v \leftarrow v - (J - v)(e^{-\Delta t/\tau_{RC}} - 1)`; spike when :math:`v > 1`
    with :math:`t_s = dt + \tau_{RC}\ln(1 - (v-1)/(J-1))`, :math:`v \leftarrow 0`,
    :math:`r \leftarrow \tau_{ref} + t_s` (Eliasmith & Anderson 2003; Bekolay et al. 2014).
    """
    refractory_time -= dt
    delta_t = np.clip(dt - refractory_time, 0.0, dt)
    voltage -= (J - voltage) * np.expm1(-delta_t / tau_rc)
    spiked = voltage > 1.0
    output[...] = spiked * (amplitude / dt)
    t_spike = dt + tau_rc * np.log1p(-(voltage[spiked] - 1.0) / (J[spiked] - 1.0))
    voltage[voltage < min_voltage] = min_voltage
    voltage[spiked] = 0.0
    refractory_time[spiked] = tau_ref + t_spike


def nef_lif_rate_step(J, tau_rc, tau_ref, amplitude, output):
    r"""LIF rate :math:`A/(\tau_{ref} - \tau_{RC}\ln(1 - 1/J))` for :math:`J > 1`, else 0 (Lapicque 1907)."""
    x = J - 1.0
    output[...] = 0.0
    pos = x > 0
    output[pos] = amplitude / (tau_ref + tau_rc * np.log1p(1.0 / x[pos]))


def nef_if_step(voltage, J, dt, amplitude, output):
    r"""Spiking rectified linear: :math:`v \mathrel{+}= \max(J,0)dt`, :math:`k=\lfloor v\rfloor`, :math:`a = kA/dt`, :math:`v \mathrel{-}= k`."""
    voltage += np.maximum(J, 0.0) * dt
    k = np.floor(voltage)
    output[...] = (amplitude / dt) * k
    voltage -= k


def nef_relu_step(J, amplitude, output):
    r"""Rectified-linear rate :math:`A\max(0, J)`."""
    output[...] = amplitude * np.maximum(0.0, J)


def pes_delta(pre_filtered, error, learning_rate, dt, delta):
    r"""PES change :math:`\Delta\omega = -\frac{\kappa dt}{n} E a^\top` (MacNeil & Eliasmith 2011)."""
    n = pre_filtered.shape[0]
    delta[...] = np.outer((-learning_rate * dt / n) * error, pre_filtered)


def pes_local_error(scaled_encoders, error, local_error):
    r"""Per-neuron PES error :math:`E_j = (\alpha_j e_j / r)\cdot E`."""
    local_error[...] = scaled_encoders @ error


def _weights(weights_t, conn_int, c):
    """The (size_out, size_in) matrix of connection ``c`` (a view of the transposed storage)."""
    m, k = conn_int[c, C_DST_LEN], conn_int[c, C_SRC_LEN]
    off = conn_int[c, C_W_OFF]
    return weights_t[off:off + k * m].reshape(k, m).T


def _add_immediate(c, conn_int, weights_t, gains, sig):
    W = _weights(weights_t, conn_int, c)
    src = sig[conn_int[c, C_SRC_OFF]:conn_int[c, C_SRC_OFF] + conn_int[c, C_SRC_LEN]]
    y = W @ src
    d_off, m = conn_int[c, C_DST_OFF], conn_int[c, C_DST_LEN]
    g = conn_int[c, C_GAIN_OFF]
    sig[d_off:d_off + m] += y if g < 0 else gains[g:g + m] * y


def nef_run(n_steps, dt, inputs, in_off, sig, clear_lo, clear_hi,
            ens_int, ens_float, enc, bias, voltage, refractory_time, scratch, spikes, n_spikes,
            conn_int, conn_float, weights_t, gains,
            pes_int, pes_float, probe_int, probe_float, records, record_count):
    r"""The whole-model NEF loop, step by step in NumPy (twin of :func:`spikecore.kernels.nef.nef_run`,
    whose docstring gives the schedule and the table layouts). ``scratch``, ``spikes`` and
    ``n_spikes`` are the kernel's work space, unused here: this twin sums over all neurons."""
    n_probes = probe_int.shape[0]
    immediate = conn_int[:, C_IMMEDIATE] == 1
    for step in range(n_steps):
        record_count[n_probes] += 1
        n_global = record_count[n_probes]
        sig[in_off:in_off + inputs.shape[1]] = inputs[step]
        sig[clear_lo:clear_hi] = 0.0
        for c in np.flatnonzero(~immediate):
            d_off, m, s_off, g = (conn_int[c, C_DST_OFF], conn_int[c, C_DST_LEN],
                                  conn_int[c, C_STATE_OFF], conn_int[c, C_GAIN_OFF])
            y = sig[s_off:s_off + m]
            sig[d_off:d_off + m] += y if g < 0 else gains[g:g + m] * y
        for c in np.flatnonzero(immediate & (conn_int[:, C_PHASE] == 0)):
            _add_immediate(c, conn_int, weights_t, gains, sig)
        for e in range(ens_int.shape[0]):
            n, nof, d = ens_int[e, E_N], ens_int[e, E_NEURON_OFF], ens_int[e, E_DIMS]
            E = enc[ens_int[e, E_ENC_OFF]:ens_int[e, E_ENC_OFF] + n * d].reshape(d, n).T
            x = sig[ens_int[e, E_X_OFF]:ens_int[e, E_X_OFF] + d]
            jo = ens_int[e, E_JEXTRA_OFF]
            J = bias[nof:nof + n] + (sig[jo:jo + n] if jo >= 0 else 0.0) + E @ x
            out = np.zeros((1, n))
            tau_rc, tau_ref, vmin, amp = (ens_float[e, EF_TAU_RC], ens_float[e, EF_TAU_REF],
                                          ens_float[e, EF_MIN_V], ens_float[e, EF_AMP])
            kind = ens_int[e, E_KIND]
            if kind == KIND_LIF:
                v = voltage[None, nof:nof + n]
                r = refractory_time[None, nof:nof + n]
                nef_lif_step(v, r, J[None], dt, tau_rc, tau_ref, vmin, amp, out)
            elif kind == KIND_LIF_RATE:
                nef_lif_rate_step(J[None], tau_rc, tau_ref, amp, out)
            elif kind == KIND_IF:
                nef_if_step(voltage[None, nof:nof + n], J[None], dt, amp, out)
            else:
                nef_relu_step(J[None], amp, out)
            sig[ens_int[e, E_OUT_OFF]:ens_int[e, E_OUT_OFF] + n] = out[0]
        for c in np.flatnonzero(immediate & (conn_int[:, C_PHASE] == 1)):
            _add_immediate(c, conn_int, weights_t, gains, sig)
        deltas = []
        for p in range(pes_int.shape[0]):
            npre, ao, pre = pes_int[p, P_N_PRE], pes_int[p, P_ACTS_OFF], pes_int[p, P_PRE_OFF]
            g = pes_float[p, PF_PRE_DECAY]
            sig[ao:ao + npre] = g * sig[ao:ao + npre] + (1.0 - g) * sig[pre:pre + npre]
            c = pes_int[p, P_CONN]
            m = conn_int[c, C_DST_LEN]
            de, er = pes_int[p, P_ERR_DIMS], pes_int[p, P_ERR_OFF]
            error = sig[er:er + de].copy()
            if pes_int[p, P_ENC_OFF] >= 0:
                eo = pes_int[p, P_ENC_OFF]
                local = np.zeros(m)
                pes_local_error(enc[eo:eo + m * de].reshape(de, m).T, error, local)
                lo = pes_int[p, P_LOCAL_OFF]
                sig[lo:lo + m] = local
                error = local
            delta = np.zeros((m, npre))
            pes_delta(sig[ao:ao + npre], error, pes_float[p, PF_RATE], dt, delta)
            deltas.append((c, delta))
        for c in np.flatnonzero(~immediate):
            s_off, m = conn_int[c, C_STATE_OFF], conn_int[c, C_DST_LEN]
            W = _weights(weights_t, conn_int, c)
            src = sig[conn_int[c, C_SRC_OFF]:conn_int[c, C_SRC_OFF] + conn_int[c, C_SRC_LEN]]
            g = conn_float[c, 0]
            sig[s_off:s_off + m] = g * sig[s_off:s_off + m] + (1.0 - g) * (W @ src)
        for r in range(n_probes):
            if n_global % probe_int[r, R_PERIOD] == 0:
                rows, cols, off = probe_int[r, R_ROWS], probe_int[r, R_COLS], probe_int[r, R_OFF]
                base = probe_int[r, R_REC_OFF] + record_count[r] * rows * cols
                if probe_int[r, R_KIND] != PROBE_WEIGHTS:
                    records[base:base + rows] = sig[off:off + rows]
                else:
                    W = weights_t[off:off + rows * cols].reshape(cols, rows).T
                    records[base:base + rows * cols] = W.ravel()
                record_count[r] += 1
            if probe_int[r, R_KIND] == PROBE_FILTERED:
                off, src, rows = probe_int[r, R_OFF], probe_int[r, R_SRC_OFF], probe_int[r, R_ROWS]
                g = probe_float[r, 0]
                sig[off:off + rows] = g * sig[off:off + rows] + (1.0 - g) * sig[src:src + rows]
        for c, delta in deltas:
            _weights(weights_t, conn_int, c)[...] += delta
