"""Surrogate derivatives of the spike function for gradient training of spiking networks.

A spiking neuron emits ``s = H(u - theta)`` (Heaviside step of the membrane potential ``u``
above the threshold ``theta``). Its derivative is zero almost everywhere, so backpropagation
through time replaces ``dH/dx`` by a smooth *surrogate* ``sigma'(x)``, ``x = u - theta``
(Neftci, Mostafa & Zenke 2019). This module names the four surrogates spikecore knows, their
scale parameter ``alpha`` ("sharpness": larger is steeper and narrower), and gives NumPy
versions of each derivative ``sigma'`` and of an antiderivative ``sigma`` (``d sigma/dx =
sigma'`` exactly), which the "smooth" forward pass of the gradient check uses.

================  ==============================================  =================  ========
name              surrogate derivative sigma'(x)                  source             alpha
================  ==============================================  =================  ========
``fast_sigmoid``  ``1 / (1 + alpha |x|)^2``                       Zenke & Ganguli    25
                                                                  2018 (SuperSpike)
``arctan``        ``(alpha / 2) / (1 + (pi alpha x / 2)^2)``      Fang et al. 2021   2
``triangle``      ``max(0, 1 - alpha |x|)``                       Bellec et al. 2018 1
``exponential``   ``exp(-alpha |x|)``                             Shrestha & Orchard 5
                                                                  2018 (SLAYER)
================  ==============================================  =================  ========

The kernels in ``spikecore.kernels.bptt`` take the surrogate as an integer code
(:data:`SURROGATE_CODES`) and ``alpha`` as a float, so the compiled loop has no Python
callback; :func:`surrogate_code` turns a name into its code and checks it.
"""
import numpy as np

from spikecore import _validate
from spikecore.reference.bptt import _surrogate_grad, _surrogate_primitive

#: Integer code of each surrogate, as the compiled kernels take it.
SURROGATE_CODES = {"fast_sigmoid": 0, "arctan": 1, "triangle": 2, "exponential": 3}

#: Default sharpness ``alpha`` of each surrogate (snnTorch's defaults for the first two).
DEFAULT_ALPHA = {"fast_sigmoid": 25.0, "arctan": 2.0, "triangle": 1.0, "exponential": 5.0}


def surrogate_code(name):
    """Return the kernel code of the surrogate called ``name`` (see :data:`SURROGATE_CODES`).

    Parameters
    ----------
    name : str
        One of ``"fast_sigmoid"`` (Zenke & Ganguli 2018), ``"arctan"`` (Fang et al. 2021),
        ``"triangle"`` (Bellec et al. 2018), ``"exponential"`` (Shrestha & Orchard 2018).

    Returns
    -------
    int
        The code the kernels of ``spikecore.kernels.bptt`` take.
    """
    _validate.choice("surrogate", name, tuple(SURROGATE_CODES))
    return SURROGATE_CODES[name]


def surrogate_alpha(name, alpha=None):
    """Return the sharpness ``alpha`` to use: ``alpha`` checked positive, or the default of ``name``."""
    surrogate_code(name)
    if alpha is None:
        return DEFAULT_ALPHA[name]
    return _validate.positive("surrogate_scale", alpha)


def surrogate_grad(x, name="fast_sigmoid", alpha=None):
    """Surrogate derivative ``sigma'(x)`` of the spike function at ``x = u - theta``.

    Parameters
    ----------
    x : array_like
        Membrane potential minus threshold, ``x = u - theta``.
    name : str
        Surrogate name; the formulas are in the module docstring:
        fast sigmoid ``1/(1 + alpha|x|)^2`` (Zenke & Ganguli 2018), arctan
        ``(alpha/2)/(1 + (pi alpha x/2)^2)`` (Fang et al. 2021), triangle
        ``max(0, 1 - alpha|x|)`` (Bellec et al. 2018), exponential ``exp(-alpha|x|)``
        (Shrestha & Orchard 2018).
    alpha : float, optional
        Sharpness; ``None`` takes :data:`DEFAULT_ALPHA` of ``name``.

    Returns
    -------
    ndarray
        ``sigma'(x)``, same shape and float dtype as ``x``.
    """
    return _surrogate_grad(np.asarray(x), surrogate_code(name), surrogate_alpha(name, alpha))


def surrogate_primitive(x, name="fast_sigmoid", alpha=None):
    """Antiderivative ``sigma(x)`` of the surrogate, with ``sigma(-inf) = 0``.

    ``d sigma / dx`` equals :func:`surrogate_grad` exactly, so a network whose spike function
    ``H`` is replaced by ``sigma`` is differentiable and its true gradient is what the
    surrogate-gradient backward pass computes: that is the gradient check's "smooth" forward.

    fast sigmoid: ``sigma = 1/alpha + x/(1 + alpha|x|)``; arctan: ``1/2 + arctan(pi alpha x/2)/pi``;
    triangle: ``0`` for ``x <= -1/alpha``, ``(1 + alpha x)^2/(2 alpha)`` for ``-1/alpha < x < 0``,
    ``1/alpha - (1 - alpha x)^2/(2 alpha)`` for ``0 <= x < 1/alpha``, ``1/alpha`` above;
    exponential: ``exp(alpha x)/alpha`` for ``x < 0``, ``2/alpha - exp(-alpha x)/alpha`` for
    ``x >= 0``.

    Parameters
    ----------
    x : array_like
        ``u - theta``.
    name, alpha
        As in :func:`surrogate_grad`.

    Returns
    -------
    ndarray
        ``sigma(x)``.
    """
    return _surrogate_primitive(np.asarray(x), surrogate_code(name), surrogate_alpha(name, alpha))
