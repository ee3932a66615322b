"""Burst coding (Park, Kim, Choe & Yoon, 2019)."""
import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k

from ._common import SPIKE_DTYPE, intensity, steps


#: Bound of the burst settings (spike counts, intervals, period, in steps): int64 kernels, exact
#: float products with p.
MAX_STEPS = 2**31 - 1


def check_burst(n_max, t_min, t_max):
    """Check the burst settings; return them with the longest burst :math:`(N_{\\max} - 1) T_{\\max} + 1`."""
    n_max = v.integer("n_max", n_max, low=1, high=MAX_STEPS)
    t_min = v.integer("t_min", t_min, low=1, high=MAX_STEPS)
    t_max = v.integer("t_max", t_max, low=t_min, high=MAX_STEPS)
    longest = (n_max - 1) * t_max + 1
    if longest > MAX_STEPS:
        v.fail("n_max", n_max, "(n_max - 1) * t_max + 1 <= %d steps (t_max = %d)" % (MAX_STEPS, t_max))
    return n_max, t_min, t_max, longest


def burst_parameters(p, n_max, t_min, t_max):
    """Spikes per burst and inter-spike interval of normalised intensities ``p`` in [0, 1].

    .. math::
        N_s = \\lceil N_{\\max}\\, p \\rceil, \\qquad
        \\mathrm{ISI} = \\begin{cases} \\lceil T_{\\max} - (T_{\\max} - T_{\\min})\\, p \\rceil
        & N_s > 1 \\\\ T_{\\max} & N_s \\le 1 \\end{cases}

    (Park et al., 2019, eqs. 1-2). Returns two int64 arrays.
    """
    p = np.asarray(p, np.float64)
    # the products are rounded to 12 decimals first so that grid values such as p = 3/5 give
    # N_s = 3 and not 4 through float error (ceil is discontinuous exactly there)
    n_spikes = np.ceil(np.round(n_max * p, 12)).astype(np.int64)
    isi = np.ceil(np.round(t_max - (t_max - t_min) * p, 12)).astype(np.int64)
    isi = np.where(n_spikes > 1, isi, t_max).astype(np.int64)
    return n_spikes, isi


def burst(x, num_steps, *, n_max=5, t_min=2, t_max=10, period=None, x_min=0.0, x_max=1.0):
    """Burst coding: a strong input fires a burst of many closely spaced spikes, a weak one
    a few widely spaced spikes (Park, Kim, Choe & Yoon, 2019, "Fast and efficient information
    transmission with burst spikes in deep spiking neural networks", DAC).

    With :math:`p = (x - x_{\\min}) / (x_{\\max} - x_{\\min}) \\in [0, 1]`, the number of
    spikes per burst and their interval are

    .. math::
        N_s = \\lceil N_{\\max}\\, p \\rceil, \\qquad
        \\mathrm{ISI} = \\begin{cases} \\lceil T_{\\max} - (T_{\\max} - T_{\\min})\\, p \\rceil
        & N_s > 1 \\\\ T_{\\max} & \\text{otherwise} \\end{cases}

    and the burst (spikes at :math:`\\phi = 0, \\mathrm{ISI}, \\dots, (N_s-1)\\,\\mathrm{ISI}`)
    starts every :math:`L` steps, :math:`\\phi = t \\bmod L`. :math:`p = 0` gives no spikes.
    The default period :math:`L = (N_{\\max} - 1)\\,T_{\\max} + 1` holds the longest burst, so
    every burst is whole; the paper's :math:`N_{\\max} = 5` and :math:`T_{\\min} = 2` are the
    defaults, :math:`T_{\\max} = 10` is our choice (the paper leaves it to the user).
    ``spikecore.decoding.burst_decode`` inverts the code from one period, to within half the
    width of the quantisation cell that both :math:`N_s` and the interval pin down.

    Parameters
    ----------
    x : array_like, any shape
        Intensities in [x_min, x_max].
    num_steps : int
        ``T`` (>= 1).
    n_max : int
        :math:`N_{\\max}`, spikes in the burst of the strongest input (>= 1).
    t_min, t_max : int
        Shortest and longest inter-spike interval in steps (1 <= t_min <= t_max).
    period : int, optional
        :math:`L` in steps; at least the longest burst, :math:`(N_{\\max} - 1)\\,T_{\\max} + 1`
        when ``None``.
    x_min, x_max : float
        Declared input range.

    Returns
    -------
    ndarray of uint8, shape (T, *x.shape)
    """
    T = steps(num_steps)
    n_max, t_min, t_max, longest = check_burst(n_max, t_min, t_max)
    if period is None:
        period = longest
    else:
        period = v.integer("period", period, low=1, high=MAX_STEPS)
        if period < longest:
            v.fail("period", period, "an integer >= (n_max - 1) * t_max + 1 = %d (the longest burst)" % longest)
    norm, shape = intensity(x, x_min, x_max)
    n_spikes, isi = burst_parameters(norm, n_max, t_min, t_max)
    out = np.empty((T, norm.size), SPIKE_DTYPE)
    _k.burst_encode(n_spikes, isi, period, out)
    return out.reshape((T,) + shape)
