"""Phase coding with weighted spikes (Kim, Park, Na & Yoon, 2018)."""
import numpy as np

from spikecore import _validate as v
from spikecore.kernels import encoding as _k

from ._common import SPIKE_DTYPE, intensity, steps


def phase(x, num_steps, *, n_phases=8, x_min=0.0, x_max=1.0):
    """Phase coding: the bits of the quantised input, most significant first, repeated with
    period :math:`K` (Kim, Park, Na & Yoon, 2018, "Deep neural networks with weighted spikes").

    .. math::
        q = \\mathrm{round}(\\tilde x\\,(2^K - 1)), \\qquad
        s_t = \\mathrm{bit}_{K-1-(t \\bmod K)}(q)

    A spike in phase :math:`k` weighs :math:`2^{-(k+1)}`; ``spikecore.decoding.phase_decode``
    recovers :math:`q / (2^K - 1)` exactly from any whole period.

    Parameters
    ----------
    x : array_like, any shape
        Intensities in [x_min, x_max].
    num_steps : int
        ``T`` (>= 1; a multiple of ``n_phases`` for whole periods).
    n_phases : int
        :math:`K` in 1..32.
    x_min, x_max : float
        Declared input range.

    Returns
    -------
    ndarray of uint8, shape (T, *x.shape)
    """
    T = steps(num_steps)
    K = v.integer("n_phases", n_phases, low=1, high=32)
    norm, shape = intensity(x, x_min, x_max)
    q = np.floor(norm * (2 ** K - 1) + 0.5).astype(np.int64)
    out = np.empty((T, norm.size), SPIKE_DTYPE)
    _k.phase_encode(q, K, out)
    return out.reshape((T,) + shape)
