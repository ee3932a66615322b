"""Loss functions of surrogate-gradient training, each returning the loss and its gradient.

All take the network output of a mini-batch, ``(batch, n_classes)``, and integer class labels
``y`` in ``0 .. n_classes-1``; the loss is the mean over the batch, and the gradient is with
respect to the network output (so it feeds the backward pass directly).
"""
import numpy as np

from spikecore import _validate


def _check_labels(y, batch, n_classes):
    y = _validate.array("y", y, ndim=1, kinds="iu")
    if y.shape[0] != batch:
        _validate.fail("y", "<array of length %d>" % y.shape[0], "one label per row of the output (%d)" % batch)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)][0]
        _validate.fail("y", "<labels containing %d>" % bad, "integer labels in 0..%d" % (n_classes - 1))
    return y


def softmax(logits):
    """Row-wise softmax ``p_k = exp(z_k - max z) / sum_j exp(z_j - max z)`` of ``(batch, K)`` logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(logits, y):
    """Mean softmax cross-entropy and its gradient with respect to the logits.

    ``L = -(1/B) sum_b log p_{b, y_b}``, ``p = softmax(z)``; ``dL/dz = (p - onehot(y)) / B``.
    With a spiking output layer the logits are spike counts ``z_k = sum_t s_k[t]``
    (snnTorch's ``ce_count_loss``); with a non-spiking leaky readout they are the time-averaged
    membrane potential (Zenke & Vogels 2021, "max-over-time" replaced by the mean).

    Parameters
    ----------
    logits : ndarray (batch, K) float
        Network output.
    y : ndarray (batch,) int
        Class labels in ``0 .. K-1``.

    Returns
    -------
    loss : float
    grad : ndarray (batch, K), dtype of ``logits``
    """
    logits = _validate.array("logits", logits, ndim=2, kinds="f")
    B, K = logits.shape
    y = _check_labels(y, B, K)
    p = softmax(logits.astype(np.float64))
    loss = -np.mean(np.log(np.maximum(p[np.arange(B), y], 1e-300)))
    p[np.arange(B), y] -= 1.0
    return float(loss), (p / B).astype(logits.dtype)


def mse_count(counts, y, n_steps, correct_rate=0.8, incorrect_rate=0.2):
    """Mean squared error between output spike counts and target counts, and its gradient.

    Targets: ``c_k* = correct_rate * T`` for the true class, ``incorrect_rate * T`` for the others
    (snnTorch's ``mse_count_loss``; with ``T = 100``, ``0.6``/``0.1`` give the "60 spikes for the
    true class, 10 for the others" scheme). ``L = (1/(B K)) sum_{b,k} (c_bk - c_bk*)^2`` and
    ``dL/dc = 2 (c - c*) / (B K)``.

    Parameters
    ----------
    counts : ndarray (batch, K) float
        Spike counts ``c_k = sum_t s_k[t]`` of the output layer.
    y : ndarray (batch,) int
        Class labels in ``0 .. K-1``.
    n_steps : int
        Number of time steps ``T``.
    correct_rate, incorrect_rate : float
        Target firing probability per step of the true class and of the other classes.

    Returns
    -------
    loss : float
    grad : ndarray (batch, K)
    """
    counts = _validate.array("counts", counts, ndim=2, kinds="f")
    B, K = counts.shape
    y = _check_labels(y, B, K)
    n_steps = _validate.integer("n_steps", n_steps, low=1)
    correct_rate = _validate.real("correct_rate", correct_rate, low=0.0, high=1.0)
    incorrect_rate = _validate.real("incorrect_rate", incorrect_rate, low=0.0, high=1.0)
    target = np.full((B, K), incorrect_rate * n_steps)
    target[np.arange(B), y] = correct_rate * n_steps
    diff = counts.astype(np.float64) - target
    loss = np.mean(diff ** 2)
    return float(loss), (2.0 * diff / (B * K)).astype(counts.dtype)
