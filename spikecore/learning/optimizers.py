"""Gradient-descent optimisers that update lists of NumPy parameter arrays in place.

Both keep one state array per parameter, allocated on the first step, and update each
parameter ``p`` from its gradient ``g`` (same shape) in place.
"""
import numpy as np

from spikecore import _validate
from spikecore.kernels.bptt import adam_update


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum (Polyak 1964; Sutskever et al. 2013).

    ``v <- mu v + g``, ``p <- p - eta v`` (PyTorch's convention), with learning rate ``eta`` and
    momentum ``mu`` (``mu = 0``: plain SGD).

    Parameters
    ----------
    learning_rate : float
        ``eta > 0``.
    momentum : float
        ``mu`` in ``[0, 1)``.
    """

    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.learning_rate = _validate.positive("learning_rate", learning_rate)
        self.momentum = _validate.real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self._velocity = None

    def step(self, params, grads):
        """Update every array of ``params`` in place from the matching array of ``grads``."""
        if self._velocity is None:
            self._velocity = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self._velocity):
            if g is None:
                continue
            v *= self.momentum
            v += g
            p -= self.learning_rate * v


class Adam:
    """Adam (Kingma & Ba 2015).

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``p <- p - eta (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps)`` at step ``k = 1, 2, ...``.

    Parameters
    ----------
    learning_rate : float
        ``eta > 0``.
    beta1, beta2 : float
        Decay rates of the first and second moment estimates, in ``[0, 1)``.
    eps : float
        ``eps > 0``, added to the denominator.
    """

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate = _validate.positive("learning_rate", learning_rate)
        self.beta1 = _validate.real("beta1", beta1, low=0.0, high=1.0, high_open=True)
        self.beta2 = _validate.real("beta2", beta2, low=0.0, high=1.0, high_open=True)
        self.eps = _validate.positive("eps", eps)
        self._m = None
        self._v = None
        self._k = 0

    def step(self, params, grads):
        """Update every array of ``params`` in place from the matching array of ``grads``."""
        if self._m is None:
            self._m = [np.zeros_like(p) for p in params]
            self._v = [np.zeros_like(p) for p in params]
        self._k += 1
        for p, g, m, v in zip(params, grads, self._m, self._v):
            if g is None:
                continue
            # one fused pass per array (spikecore.kernels.bptt.adam_update); p, m, v are
            # contiguous so the reshapes are views and the update lands in place
            adam_update(p.reshape(-1), np.ascontiguousarray(g, dtype=p.dtype).reshape(-1),
                        m.reshape(-1), v.reshape(-1), self.learning_rate, self.beta1,
                        self.beta2, self.eps, self._k)
