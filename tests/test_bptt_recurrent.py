"""Recurrent LIF layer (``RecurrentLIF``: I[t] = W x[t] + b + V s[t-1]): kernel == reference twin,
a hand-computed case, finite-difference gradient checks of the hand-derived backward pass (float64,
smooth spikes: see test_bptt_gradients.py for why that check is valid), and learning.

Twin tolerances: the kernel adds ``V s[t-1]`` column by column (event-driven), the reference as
one matrix product, so sums are rounded differently: float64 membrane and backward within 1e-10
relative, spikes identical on examples where no membrane lies within 1e-9 of the threshold (a
closer value may legitimately flip a spike); float32 as in test_bptt_kernels.py.
"""
import os
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from spikecore.kernels import bptt as K
from spikecore.learning import SurrogateGradientClassifier, build_mlp, cross_entropy, mse_count
from spikecore.learning.bptt import RecurrentLIF
from spikecore.reference import bptt as R

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers module beside this file
from _bptt_helpers import _digits, _fd_check, _split  # noqa: E402


@st.composite
def rec_case(draw):
    T, B, n = draw(st.integers(1, 6)), draw(st.integers(1, 3)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    return dict(current=rng.normal(0.5, 1.0, size=(T, B, n)),
                weight_rec=rng.normal(0, 0.7, size=(n, n)),
                beta=rng.uniform(0.0, 1.0, size=n), theta=rng.uniform(0.2, 2.0, size=n),
                hard_reset=draw(st.booleans()), smooth=draw(st.booleans()),
                surrogate=draw(st.integers(0, 3)), alpha=draw(st.floats(0.2, 30.0)),
                detach_reset=draw(st.booleans()), grad_s=rng.normal(size=(T, B, n)))


def _run(mod, c, dtype):
    cur = c["current"].astype(dtype)
    u, s = np.empty_like(cur), np.empty_like(cur)
    args = (c["weight_rec"].astype(dtype), c["beta"].astype(dtype), c["theta"].astype(dtype))
    mod.rlif_forward(cur, *args, c["hard_reset"], c["smooth"], c["surrogate"], c["alpha"], u, s)
    return u, s


def _back(mod, c, u, s, dtype):
    gu = np.empty_like(u)
    mod.rlif_backward(c["grad_s"].astype(dtype), u, s, c["weight_rec"].astype(dtype),
                      c["beta"].astype(dtype), c["theta"].astype(dtype), c["hard_reset"],
                      c["detach_reset"], c["surrogate"], c["alpha"], gu)
    return gu


@settings(max_examples=60, deadline=None)
@given(rec_case())
def test_recurrent_kernels_match_reference_float64(c):
    ur, sr = _run(R, c, np.float64)
    if not c["smooth"]:
        assume(np.min(np.abs(ur - c["theta"])) > 1e-9)
    uk, sk = _run(K, c, np.float64)
    np.testing.assert_allclose(uk, ur, rtol=1e-10, atol=1e-12)
    if c["smooth"]:
        np.testing.assert_allclose(sk, sr, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_array_equal(sk, sr)
    np.testing.assert_allclose(_back(K, c, ur, sr, np.float64), _back(R, c, ur, sr, np.float64),
                               rtol=1e-10, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(rec_case())
def test_recurrent_kernels_float32(c):
    c["smooth"] = False
    ur, sr = _run(R, c, np.float64)
    assume(np.min(np.abs(ur - c["theta"])) > 1e-3)
    uk, sk = _run(K, c, np.float32)
    np.testing.assert_array_equal(sk, sr.astype(np.float32))
    np.testing.assert_allclose(uk, ur, rtol=1e-5, atol=1e-5)
    gr = _back(R, c, ur, sr, np.float64)
    np.testing.assert_allclose(_back(K, c, uk, sk, np.float32), gr, rtol=2e-4,
                               atol=2e-4 * (1 + np.abs(gr).max()))


@settings(max_examples=30, deadline=None)
@given(rec_case())
def test_zero_recurrent_weights_equal_feed_forward_kernels(c):
    """V = 0 reduces both recursions to the feed-forward ones, bit for bit."""
    c["weight_rec"] = np.zeros_like(c["weight_rec"])
    u, s = _run(K, c, np.float64)
    u2, s2 = np.empty_like(u), np.empty_like(u)
    K.lif_forward(c["current"], c["beta"], c["theta"], c["hard_reset"], c["smooth"], c["surrogate"],
                  c["alpha"], u2, s2)
    np.testing.assert_array_equal(u, u2)
    np.testing.assert_array_equal(s, s2)
    g2 = np.empty_like(u)
    K.lif_backward(c["grad_s"], u, s, c["beta"], c["theta"], c["hard_reset"], c["detach_reset"],
                   c["surrogate"], c["alpha"], g2)
    np.testing.assert_array_equal(_back(K, c, u, s, np.float64), g2)


def test_recurrent_by_hand():
    """Two neurons, soft reset, beta = 0.5, theta = 1, I = (1.2, 0) every step, V[1, 0] = 0.7:
    neuron 0 spikes at t = 0 (u = 1.2); at t = 1 neuron 1 gets 0.7 (u = 0.7, silent) and neuron 0
    u = 0.6 + 1.2 - 1 = 0.8; at t = 2 neuron 1: 0.35 + 0 (no spike from 0 at t = 1) = 0.35.
    Backward, detached reset, fast sigmoid alpha = 1, e = (0, 1) at t = 1 only, else 0:
    delta1 = (0, g(0.7 - 1)) = (0, 1/1.3^2); dL/ds0[0] = V[1,0] delta1[1] = 0.7/1.69;
    delta0[0] = g(0.2) * 0.7/1.69 + 0.5 * 0 = 0.7/(1.69 * 1.44)."""
    cur = np.tile(np.array([1.2, 0.0]), (3, 1, 1))
    V = np.array([[0.0, 0.0], [0.7, 0.0]])
    beta, theta = np.array([0.5, 0.5]), np.array([1.0, 1.0])
    e = np.zeros((3, 1, 2))
    e[1, 0, 1] = 1.0
    for mod in (K, R):
        u, s = np.empty_like(cur), np.empty_like(cur)
        mod.rlif_forward(cur, V, beta, theta, False, False, 0, 1.0, u, s)
        np.testing.assert_allclose(u[:, 0], [[1.2, 0.0], [0.8, 0.7], [1.6, 0.35]])
        np.testing.assert_array_equal(s[:, 0], [[1, 0], [0, 0], [1, 0]])
        gu = np.empty_like(u)
        mod.rlif_backward(e, u, s, V, beta, theta, False, True, 0, 1.0, gu)
        np.testing.assert_allclose(gu[2, 0], [0.0, 0.0])
        np.testing.assert_allclose(gu[1, 0], [0.0, 1 / 1.69])
        np.testing.assert_allclose(gu[0, 0], [0.7 / (1.69 * 1.44), 0.5 / 1.69])


@pytest.mark.parametrize("readout,loss", [("membrane", "ce"), ("spike_count", "mse")])
@pytest.mark.parametrize("reset", ["soft", "hard"])
@pytest.mark.parametrize("surrogate", ["fast_sigmoid", "arctan", "exponential"])
@pytest.mark.parametrize("static", [True, False])
def test_recurrent_network_gradient_matches_finite_differences(readout, loss, reset, surrogate, static):
    """W, b, V, beta, theta of two recurrent hidden layers and the readout: analytic == central
    differences (float64, h = 1e-6, max error <= 1e-5 of the largest difference quotient)."""
    rng = np.random.default_rng(7)
    net = build_mlp(4, [5, 4], 3, n_steps=6, readout=readout, reset=reset, detach_reset=False,
                    surrogate=surrogate, surrogate_scale=1.5, train_beta=True, train_threshold=True,
                    recurrent=True, beta=0.8, random_state=1, dtype=np.float64)
    assert isinstance(net.layers[0], RecurrentLIF) and isinstance(net.layers[1], RecurrentLIF)
    for layer in net.layers:
        if hasattr(layer, "weight"):
            layer.weight *= 3.0
        if hasattr(layer, "weight_rec"):
            layer.weight_rec *= 2.0
    x = rng.normal(0, 2, size=(3, 4)) if static else rng.normal(0, 2, size=(6, 3, 4))
    y = np.array([0, 2, 1])

    def loss_and_grad():
        z = net.forward(x, smooth=True)
        return cross_entropy(z, y) if loss == "ce" else mse_count(z, y, 6, 0.6, 0.1)

    net.backward(loss_and_grad()[1])
    grads = [a.copy() for a in net.grads]
    assert len(grads) == len(net.params) == (12 if readout == "membrane" else 14)
    _fd_check(lambda: loss_and_grad()[0], net.params, grads)


def test_recurrent_detached_reset_gradient():
    """Detached reset: the recurrent path still carries gradient. With V = 0 the layer's
    gradients equal the feed-forward DenseLIF's (same W, b); with V != 0 they differ."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, size=(6, 3, 4))
    y = np.array([1, 0, 1])
    out = []
    ff = build_mlp(4, [5], 2, n_steps=6, random_state=4, dtype=np.float64)
    for recurrent, scale in ((False, 1.0), (True, 0.0), (True, 1.0)):
        net = build_mlp(4, [5], 2, n_steps=6, recurrent=recurrent, random_state=4, dtype=np.float64)
        for a, b in zip(net.layers, ff.layers):   # same W, b (V is drawn in between)
            a.weight[...], a.bias[...] = b.weight, b.bias
        if recurrent:
            net.layers[0].weight_rec *= scale
        net.backward(cross_entropy(net.forward(x, smooth=True), y)[1])
        g = net.grads
        out.append([g[0], g[1]] + g[-2:])   # W, b of the hidden layer, W, b of the readout
    for a, b in zip(out[0], out[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert not np.allclose(out[0][0], out[2][0])


def test_recurrent_classifier_learns_digits():
    """CI size: the recurrent 64-100-10 network reaches >= 85 % after 6 epochs."""
    Xtr, Xte, ytr, yte = _split(*_digits())
    clf = SurrogateGradientClassifier(recurrent=True, max_epochs=6, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.85
    assert clf.network_.layers[0].weight_rec.shape == (100, 100)


@pytest.mark.slow
def test_recurrent_matches_feed_forward_on_digits():
    """Full training on the digits (75/25 split, T = 25, 64-100-10): recurrent >= 95 %, and no
    worse than the feed-forward network trained with the same settings minus 1 point."""
    Xtr, Xte, ytr, yte = _split(*_digits())
    ff = SurrogateGradientClassifier(random_state=0).fit(Xtr, ytr).score(Xte, yte)
    rec = SurrogateGradientClassifier(recurrent=True, random_state=0).fit(Xtr, ytr).score(Xte, yte)
    assert rec >= 0.95
    assert rec >= ff - 0.01
