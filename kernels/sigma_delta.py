"""Sigma-delta neurons (SDNN) in fixed point, bit for bit as Lava's CPU models compute them.

A sigma-delta neuron (O'Connor & Welling, 2016, "Sigma delta quantized networks") integrates its
graded input (sigma), applies an activation, and sends only the *change* of the activation when
it is large enough (delta), keeping what it did not send as a residue. Loihi 2 runs it with graded
spikes; lava-dl trains it (Shrestha et al., 2023, lava-dl ``slayer.neuron.sigma_delta``) and its
netx loader instantiates Lava's ``lava.proc.sdn`` processes. The kernels here reproduce Lava
0.10's fixed-point models (``PySigmaDeltaModelFixed``, ``PyDeltaModelFixed``,
``PySigmaModelFixed``) exactly. With :math:`E = 2^{e_s + e_x}` (spike exponent :math:`e_s`,
state exponent :math:`e_x`; netx uses 6 and 6) and per neuron at step :math:`t`:

.. math::
    \\sigma[t] &= \\sigma[t-1] + a[t]                                  && \\text{(sigma)} \\\\
    x[t] &= \\max\\big(\\sigma[t] + E\\,b,\\; 0\\big)                     && \\text{(ReLU; UNIT: no max)} \\\\
    d[t] &= x[t] - x[t-1] + r[t-1]                                     && \\text{(delta)} \\\\
    q[t] &= d[t] \\text{ if } |d[t]| \\ge E\\,\\theta \\text{ else } 0,
        \\qquad r[t] = d[t] - q[t] \\\\
    s[t] &= q[t] \\gg e_x                                               && \\text{(graded spike)}

with :math:`a` the synaptic input (the graded dendritic sum, already shifted by the weight
exponent), :math:`b` the bias mantissa, :math:`\\theta` the threshold mantissa (``vThMant``),
:math:`r` the residue and :math:`\\gg` an arithmetic (flooring) right shift. With cumulative
error the spike condition uses an error accumulator instead:
:math:`\\epsilon \\leftarrow \\epsilon + d`, :math:`q = d` if :math:`|\\epsilon| \\ge E\\theta`,
and :math:`\\epsilon \\leftarrow 0` where :math:`q \\ne 0`.

The input *Delta* encoder (netx's SDNN input layer) has no sigma and no activation:
:math:`x[t] = a[t] \\cdot E` (left shift), then the same delta, spike and shift. The *Sigma*
output unit (``sigma_output``) only accumulates: :math:`s[t] = \\sigma[t]`.

Every state is an ``int32`` array in Lava, so every addition, the shifts by :math:`E` and the
absolute value wrap to 32 bits (two's complement) exactly as NumPy's int32 arithmetic does; the
kernels apply the same wrap explicitly. Lava's CPU models do not saturate a graded spike to
``num_message_bits``, so neither do these.

Every public function has a twin of the same name in :mod:`spikecore.reference.sigma_delta`.
"""
import numba
import numpy as np

#: ``mode`` values of :func:`sigma_delta_run`
SIGMA_DELTA, DELTA, SIGMA = 0, 1, 2


@numba.njit(cache=True, inline="always")
def _i32(x):
    # two's-complement wrap to 32 bits (Lava's int32 state arrays)
    return ((np.int64(x) + 2147483648) & 0xFFFFFFFF) - 2147483648


@numba.njit(cache=True)
def sigma_delta_run(a_in, sigma, act, residue, error, bias, vth, spike_exp, state_exp, mode, relu,
                    cum_error, s_out, sigma_rec, act_rec):
    """Run ``T`` steps of a fixed-point sigma-delta, delta or sigma layer (module docstring).

    (O'Connor & Welling, 2016; Lava 0.10 ``lava.proc.sdn`` fixed-point models, as lava-dl's netx
    instantiates them: Shrestha et al., 2023.)

    Parameters
    ----------
    a_in : int array (T, batch, n)
        Synaptic input :math:`a[t]` (graded; for ``DELTA`` the raw input value).
    sigma, act, residue, error : int32 arrays (batch, n)
        State :math:`\\sigma`, :math:`x`, :math:`r`, :math:`\\epsilon` (Lava's ``sigma``, ``act``,
        ``residue``, ``error``), updated in place.
    bias : int array (n,)
        Bias mantissa :math:`b` (scaled by :math:`E` here, as Lava's ``SigmaDelta`` process does).
    vth : int
        Threshold mantissa :math:`\\theta` (scaled by :math:`E` here).
    spike_exp, state_exp : int
        :math:`e_s, e_x` (both >= 0).
    mode : int
        ``SIGMA_DELTA`` (0), ``DELTA`` (1) or ``SIGMA`` (2).
    relu : bool
        ReLU activation (Lava's ``ActivationMode.RELU``, netx's only one); False: UNIT.
    cum_error : bool
        Cumulative-error spike condition.
    s_out : int32 array (T, batch, n)
        Receives the graded spikes :math:`s[t]`.
    sigma_rec, act_rec : int32 arrays (T, batch, n) or (0, batch, n)
        Receive :math:`\\sigma[t]` and :math:`x[t]` when not empty.
    """
    T, batch, n = a_in.shape
    scale = np.int64(1) << (spike_exp + state_exp)
    vth_s = _i32(np.int64(vth) * scale)
    record = sigma_rec.shape[0] > 0
    for t in range(T):
        for b in range(batch):
            for i in range(n):
                a = _i32(a_in[t, b, i])
                if mode == SIGMA:
                    sg = _i32(np.int64(sigma[b, i]) + a)
                    sigma[b, i] = sg
                    s_out[t, b, i] = sg
                    if record:
                        sigma_rec[t, b, i] = sg
                        act_rec[t, b, i] = act[b, i]
                    continue
                if mode == DELTA:
                    x = _i32(a * scale)
                else:
                    sg = _i32(np.int64(sigma[b, i]) + a)
                    sigma[b, i] = sg
                    x = _i32(sg + _i32(np.int64(bias[i]) * scale))
                    if relu and x < 0:
                        x = 0
                d = _i32(x - np.int64(act[b, i]) + np.int64(residue[b, i]))
                if cum_error:
                    err = _i32(np.int64(error[b, i]) + d)
                    q = d if _i32(abs(err)) >= vth_s else 0
                    if q != 0:
                        err = 0
                    error[b, i] = err
                else:
                    q = d if _i32(abs(d)) >= vth_s else 0
                residue[b, i] = _i32(d - q)
                act[b, i] = x
                s_out[t, b, i] = q >> state_exp
                if record:
                    sigma_rec[t, b, i] = sigma[b, i]
                    act_rec[t, b, i] = x
    return s_out


@numba.njit(cache=True)
def graded_dense(s, weight, weight_exp, out):
    """Lava's fixed-point ``Dense`` on graded spikes: :math:`y = \\mathrm{shift}(W s, e)`.

    .. math::
        y_i = \\mathrm{wrap}_{32}\\Big(\\mathrm{shift}\\big(\\mathrm{wrap}_{32}(\\textstyle\\sum_j W_{ij}\\, s_j),
        \\; e\\big)\\Big)

    with ``shift`` a left shift for :math:`e > 0` and an arithmetic right shift otherwise, and
    :math:`\\mathrm{wrap}_{32}` the int32 wrap of Lava's ``weights.dot(s_in)`` on int32 arrays
    (Lava ``PyDenseModelBitAcc`` with ``num_message_bits > 0``; Davies et al., 2018, for the 8-bit
    weight with exponent; graded spikes as in Shrestha et al., 2023).

    Parameters
    ----------
    s : int array (N, n_in)
        Graded spikes, one row per (step, sample).
    weight : int32 array (n_out, n_in)
        Synapse weights (after netx's scaling and Lava's clipping / truncation).
    weight_exp : int
        Exponent :math:`e`.
    out : int64 array (N, n_out)
        Receives :math:`y`.
    """
    N, n_in = s.shape
    n_out = weight.shape[0]
    for r in range(N):
        for i in range(n_out):
            acc = np.int64(0)
            for j in range(n_in):
                v = s[r, j]
                if v != 0:
                    acc += np.int64(weight[i, j]) * v
            acc = _i32(acc)
            if weight_exp > 0:
                acc = _i32(acc << weight_exp)
            else:
                acc = acc >> (-weight_exp)
            out[r, i] = acc
    return out
