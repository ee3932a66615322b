"""Plain-NumPy twins of :mod:`spikecore.kernels.sigma_delta`, written as Lava's models read.

Sigma-delta neurons (O'Connor & Welling, 2016) in the fixed-point form of Lava 0.10's
``lava.proc.sdn`` CPU models, which lava-dl's netx builds for SDNN layers (Shrestha et al.,
2023): vectorised over the batch and the neurons with NumPy ``int32`` arrays, so the 32-bit wrap
of every addition and shift is NumPy's own (the kernel wraps explicitly).
"""
import numpy as np

SIGMA_DELTA, DELTA, SIGMA = 0, 1, 2


def sigma_delta_run(a_in, sigma, act, residue, error, bias, vth, spike_exp, state_exp, mode, relu,
                    cum_error, s_out, sigma_rec, act_rec):
    """Reference of :func:`spikecore.kernels.sigma_delta.sigma_delta_run` (same arguments).

    .. math::
        \\sigma \\mathrel{+}= a,\\; x = \\max(\\sigma + E b, 0),\\; d = x - x_{\\mathrm{prev}} + r,\\;
        q = d\\,[|d| \\ge E\\theta],\\; r = d - q,\\; s = q \\gg e_x

    with :math:`E = 2^{e_s + e_x}` (O'Connor & Welling, 2016; Lava ``PySigmaDeltaModelFixed``;
    ``DELTA``: :math:`x = a E`, ``PyDeltaModelFixed``; ``SIGMA``: :math:`s = \\sigma`).
    """
    scale = np.int32(1 << (spike_exp + state_exp))
    with np.errstate(over="ignore"):
        vth_s = (np.array([vth], np.int64) * int(scale)).astype(np.int32)
        bias_s = np.asarray(bias).astype(np.int64).astype(np.int32) * scale
        sg, ac = sigma.astype(np.int32), act.astype(np.int32)
        res, err = residue.astype(np.int32), error.astype(np.int32)
        for t in range(a_in.shape[0]):
            a = np.asarray(a_in[t]).astype(np.int64).astype(np.int32)
            if mode == SIGMA:
                sg = a + sg
                s_out[t] = sg
                if sigma_rec.shape[0] > 0:
                    sigma_rec[t], act_rec[t] = sg, ac
                continue
            if mode == DELTA:
                x = np.left_shift(a, np.int32(spike_exp + state_exp))
            else:
                sg = a + sg
                x = sg + bias_s
                if relu:
                    x = np.maximum(x, np.int32(0))
            d = x - ac + res
            if cum_error:
                err = err + d
                q = np.where(np.abs(err) >= vth_s, d, np.int32(0)).astype(np.int32)
                err = err * (1 - (np.abs(q) > 0)).astype(np.int32)
            else:
                q = np.where(np.abs(d) >= vth_s, d, np.int32(0)).astype(np.int32)
            res = d - q
            ac = x
            s_out[t] = np.right_shift(q, np.int32(state_exp))
            if sigma_rec.shape[0] > 0:
                sigma_rec[t], act_rec[t] = sg, ac
    sigma[...], act[...], residue[...], error[...] = sg, ac, res, err
    return s_out


def graded_dense(s, weight, weight_exp, out):
    """Reference of :func:`spikecore.kernels.sigma_delta.graded_dense`: Lava's ``weights.dot(s_in)``
    on int32 arrays, then the exponent shift (Lava ``PyDenseModelBitAcc``; Davies et al., 2018)."""
    w = np.asarray(weight).astype(np.int32)
    with np.errstate(over="ignore"):
        for r in range(s.shape[0]):
            acc = w.dot(np.asarray(s[r]).astype(np.int64).astype(np.int32))
            acc = np.left_shift(acc, np.int32(weight_exp)) if weight_exp > 0 else \
                np.right_shift(acc, np.int32(-weight_exp))
            out[r] = acc
    return out
