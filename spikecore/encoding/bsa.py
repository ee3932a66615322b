"""Ben's Spiker Algorithm (Schrauwen & Van Campenhout, 2003) and its FIR filter."""
import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k

from ._common import SPIKE_DTYPE, check_range, values


def bsa_filter(length=20, cutoff=0.1):
    """Low-pass FIR filter for BSA: a Hamming-windowed sinc normalised to unit DC gain.

    .. math::
        h_k = \\frac{w_k\\, \\mathrm{sinc}(2 f_c (k - (L-1)/2))}{\\sum_j w_j\\, \\mathrm{sinc}(2 f_c (j - (L-1)/2))},
        \\qquad w_k = 0.54 - 0.46 \\cos\\frac{2\\pi k}{L - 1}

    with :math:`f_c` the cut-off in cycles per step. BSA needs a low-pass reconstruction
    filter (Schrauwen & Van Campenhout, 2003); with :math:`\\sum h = 1` a spike every step
    reconstructs the value 1, so signals should lie in [0, 1].

    Parameters
    ----------
    length : int
        :math:`L` (>= 2).
    cutoff : float
        :math:`f_c` in (0, 0.5].

    Returns
    -------
    ndarray of float64, shape (L,)
    """
    L = v.integer("length", length, low=2)
    fc = v.real("cutoff", cutoff, low=0.0, high=0.5, low_open=True)
    k = np.arange(L, dtype=np.float64)
    window = 0.54 - 0.46 * np.cos(2 * np.pi * k / (L - 1))
    h = window * np.sinc(2 * fc * (k - (L - 1) / 2))
    return h / h.sum()


def bsa(x, fir=None, *, threshold=0.8):
    """Ben's Spiker Algorithm: a spike train whose FIR-filtered version follows the signal
    (Schrauwen & Van Campenhout, 2003).

    At each step, with residual :math:`e` (initially the signal) and filter :math:`h`:

    .. math::
        \\sum_k |e_{t+k} - h_k| \\le \\sum_k |e_{t+k}| - \\vartheta \\;\\Rightarrow\\;
        s_t = 1,\\; e_{t+k} \\leftarrow e_{t+k} - h_k

    Decode with ``spikecore.decoding.bsa_decode`` (:math:`\\hat x = s * h`).

    Parameters
    ----------
    x : array_like, shape (T, ...)
        Signals, time first, in [0, sum(fir)] (what a spike every step can reconstruct).
    fir : array_like, optional
        Filter taps :math:`h` (non-negative sum > 0); default ``bsa_filter()``.
    threshold : float
        :math:`\\vartheta`: the error reduction a spike must bring. The greedy rule over-spikes
        with :math:`\\vartheta = 0` (a spike is charged to filter taps that later spikes would
        cover); 0.8 suits the default unit-gain filter (reconstruction RMS error 0.02-0.07 on
        sinusoids in [0, 1], measured); retune it for other filters.

    Returns
    -------
    ndarray of uint8, shape x.shape
    """
    h = bsa_filter() if fir is None else values("fir", fir)
    if h.ndim != 1 or h.size < 1 or not h.sum() > 0:
        v.fail("fir", "<array of shape %s, sum %r>" % (h.shape, float(h.sum()) if h.size else 0.0),
               "a 1-D filter with positive sum")
    threshold = v.real("threshold", threshold)
    arr = values("x", x)
    if arr.ndim < 1 or arr.shape[0] < 1:
        v.fail("x", "<array of shape %s>" % (arr.shape,), "a time series with time first and at least one step")
    check_range("x", arr, 0.0, float(h.sum()), "a spike every step reconstructs sum(fir)")
    flat = np.ascontiguousarray(arr.reshape(arr.shape[0], -1))
    out = np.empty(flat.shape, SPIKE_DTYPE)
    _k.bsa_encode(flat, np.ascontiguousarray(h), threshold, out)
    return out.reshape(arr.shape)
