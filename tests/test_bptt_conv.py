"""Convolutional surrogate-gradient layers: adjoint identities, finite-difference gradient
check (see test_bptt_gradients.py for why the smooth forward makes it valid), and learning on
the digits."""
import os
import sys

import numpy as np
import pytest

from spikecore.learning import AvgPool2d, SurrogateGradientClassifier, build_convnet, cross_entropy
from spikecore.learning.conv import col2im, im2col

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers module beside this file
from _bptt_helpers import _digits, _fd_check, _split  # noqa: E402


@pytest.mark.parametrize("k,p", [(1, 0), (3, 1), (3, 0), (5, 2)])
def test_im2col_window_values_and_adjoint(k, p):
    """cols holds the padded windows, and col2im is its adjoint: <im2col(x), c> = <x, col2im(c)>."""
    rng = np.random.default_rng(k + p)
    x = rng.normal(size=(2, 3, 6, 5))
    cols = im2col(x, k, p)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    Ho, Wo = 6 + 2 * p - k + 1, 5 + 2 * p - k + 1
    n, c, i, j, y, xx = 1, 2, k - 1, 0, Ho - 1, 1
    assert cols[(c * k + i) * k + j, (n * Ho + y) * Wo + xx] == xp[n, c, y + i, xx + j]
    c_rand = rng.normal(size=cols.shape)
    assert np.sum(cols * c_rand) == pytest.approx(np.sum(x * col2im(c_rand, x.shape, k, p)))


def test_avgpool_values_and_adjoint():
    x = np.arange(2 * 1 * 1 * 5 * 4, dtype=float).reshape(2, 1, 1, 5, 4)
    pool = AvgPool2d((1, 5, 4), 2)
    y = pool.forward(x, 2)
    assert y.shape == (2, 1, 1, 2, 2)
    assert y[0, 0, 0, 0, 0] == np.mean([0, 1, 4, 5])
    g = np.random.default_rng(0).normal(size=y.shape)
    assert np.sum(y * g) == pytest.approx(np.sum(x * pool.backward(g)))


@pytest.mark.parametrize("static", [True, False])
@pytest.mark.parametrize("readout", ["membrane", "spike_count"])
@pytest.mark.parametrize("reset", ["soft", "hard"])
def test_convnet_gradient_matches_finite_differences(static, readout, reset):
    """conv(3) -> pool -> conv(2) -> pool (odd size: a row is dropped) -> flatten -> LIF(4) ->
    readout, smooth forward, float64, reset not detached, thresholds trained; tolerance 1e-5."""
    rng = np.random.default_rng(0)
    net = build_convnet((2, 5, 4), (3, 2), 3, hidden_layer_sizes=(4,), n_steps=4, readout=readout,
                        reset=reset, detach_reset=False, surrogate="arctan", surrogate_scale=1.5,
                        train_threshold=True, random_state=1, dtype=np.float64)
    for layer in net.layers:
        if hasattr(layer, "weight"):
            layer.weight *= 3.0
    x = rng.normal(0, 2, size=(3, 40)) if static else rng.normal(0, 2, size=(4, 3, 2, 5, 4))
    y = np.array([0, 2, 1])
    _, g = cross_entropy(net.forward(x, smooth=True), y)
    net.backward(g)
    grads = [a.copy() for a in net.grads]
    _fd_check(lambda: cross_entropy(net.forward(x, smooth=True), y)[0], net.params, grads)


def test_conv_digits_learns_fast():
    """CI version: conv(8) -> pool -> readout, 3 epochs on the digits: well above chance (10 %)."""
    Xtr, Xte, ytr, yte = _split(*_digits())
    clf = SurrogateGradientClassifier(conv_channels=(8,), input_shape=(8, 8), hidden_layer_sizes=(),
                                      max_epochs=3, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.8


@pytest.mark.slow
def test_conv_digits_reaches_96_percent():
    """Issue 10 target: a small convolutional SNN on the digits >= 96 % (75/25 split):
    conv 3x3 (16 LIF channels) -> 2x2 average pool -> leaky readout, T = 25, 40 epochs
    (measured 97.8 %; 20 epochs gave 96.9 % / 96.7 % for seeds 0 / 1)."""
    Xtr, Xte, ytr, yte = _split(*_digits())
    clf = SurrogateGradientClassifier(conv_channels=(16,), input_shape=(8, 8), hidden_layer_sizes=(),
                                      max_epochs=40, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.96


def test_conv_input_shape_errors():
    X = np.zeros((4, 64))
    with pytest.raises(ValueError, match="input_shape = None"):
        SurrogateGradientClassifier(conv_channels=(4,)).fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"input_shape = \(7, 8\): expected a shape with 64 elements"):
        SurrogateGradientClassifier(conv_channels=(4,), input_shape=(7, 8)).fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="kernel_size = 4"):
        build_convnet((1, 8, 8), (4,), 2, kernel_size=4)
