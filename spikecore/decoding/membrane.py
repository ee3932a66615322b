"""Membrane-potential read-outs of (non-spiking) output neurons."""
import numpy as np

from spikecore import _validate as v


def _trace(membrane):
    m = v.array("membrane", membrane, finite=True, kinds="fiu").astype(np.float64, copy=False)
    if m.ndim < 1 or m.shape[0] < 1:
        v.fail("membrane", "<array of shape %s>" % (m.shape,), "a membrane trace with time first and one step")
    return m


def max_membrane(membrane):
    """Maximum membrane potential over time, :math:`\\hat y = \\max_t v_t` (the max-over-time
    read-out of output neurons, e.g. Eshraghian et al., 2023).

    Parameters
    ----------
    membrane : array_like, shape (T, ...)
        Membrane trace, time first.

    Returns
    -------
    ndarray of float64, shape membrane.shape[1:]
    """
    return _trace(membrane).max(axis=0)


def mean_membrane(membrane):
    """Mean membrane potential over time, :math:`\\hat y = \\frac{1}{T}\\sum_t v_t`
    (Eshraghian et al., 2023).

    Parameters
    ----------
    membrane : array_like, shape (T, ...)

    Returns
    -------
    ndarray of float64, shape membrane.shape[1:]
    """
    return _trace(membrane).mean(axis=0)


def final_membrane(membrane):
    """Membrane potential at the last step, :math:`\\hat y = v_{T-1}` (the read-out of
    non-spiking integrator outputs, e.g. Zenke & Vogels, 2021).

    Parameters
    ----------
    membrane : array_like, shape (T, ...)

    Returns
    -------
    ndarray of float64, shape membrane.shape[1:]
    """
    return _trace(membrane)[-1].copy()
