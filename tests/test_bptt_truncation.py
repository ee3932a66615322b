"""Truncated BPTT (``SpikingNetwork(truncation=K)``): exact for K >= T, the sum of windowed
gradients for K < T, and still learns.

The windowed gradient is checked against a plain reference written here, independently of the
library's layers: the network is run step by step (smooth spikes, float64); window ``w`` uses its
own copy ``p_w`` of every parameter, and the state each LIF layer carries into a window is
replaced by its value from the unperturbed run (held constant: "detached"). Central finite
differences over each window's copy, summed over the windows, give ``sum_w dL/dp_w`` — the
quantity truncated BPTT computes. Tolerance as in test_bptt_gradients.py (1e-5 relative to the
largest difference quotient per parameter array).
"""
import os
import sys

import numpy as np
import pytest

from spikecore.learning import SurrogateGradientClassifier, build_mlp, cross_entropy, mse_count
from spikecore.learning.bptt import LeakyReadout, LIFNeurons, RecurrentLIF, SpikeCount
from spikecore.learning.conv import build_convnet
from spikecore.learning.surrogates import surrogate_primitive

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers module beside this file
from _bptt_helpers import H, RTOL, _digits, _split  # noqa: E402


def _plain_output(net, x, surrogate, alpha, params_at, frozen):
    """Step-by-step smooth forward with per-window parameters ``params_at(w)`` (aligned with
    ``net.params``). ``frozen``: ``{}`` to record the carried states at window starts (and the
    reset signals of a detached reset), or the recorded dict to replay them as constants."""
    T, K = net.n_steps, net.truncation
    position = {id(p): j for j, p in enumerate(net.params)}
    record = not frozen
    state = {}
    z = 0.0
    for t in range(T):
        w = t // K
        P = params_at(w)

        def get(a):
            return P[position[id(a)]] if id(a) in position else a

        h = x if x.ndim == 2 else x[t]
        for k, layer in enumerate(net.layers):
            if isinstance(layer, LIFNeurons):
                W, b, beta, theta = get(layer.weight), get(layer.bias), get(layer.beta), get(layer.threshold)
                if t == 0:
                    u_prev = s_prev = np.zeros((h.shape[0], W.shape[0]))
                elif t % K == 0 and not record:
                    u_prev, s_prev = frozen[("state", k, t)]
                else:
                    u_prev, s_prev = state[k]
                if t % K == 0 and record:
                    frozen[("state", k, t)] = (u_prev, s_prev)
                reset = s_prev
                if layer.detach_reset:
                    if record:
                        frozen[("reset", k, t)] = s_prev
                    reset = frozen[("reset", k, t)]
                current = h @ W.T + b
                if isinstance(layer, RecurrentLIF):
                    current = current + s_prev @ get(layer.weight_rec).T
                if layer.hard_reset:
                    u = beta * u_prev * (1 - reset) + current
                else:
                    u = beta * u_prev + current - theta * reset
                h = surrogate_primitive(u - theta, surrogate, alpha)
                state[k] = (u, h)
            elif isinstance(layer, LeakyReadout):
                c = layer.time_weights(T)[t]
                z = z + c * (h @ get(layer.weight).T + get(layer.bias))
            elif isinstance(layer, SpikeCount):
                z = z + h
    return z


def _windowed_fd(net, x, loss_of_z, surrogate, alpha):
    """sum_w dL/dp_w by central differences of the plain reference."""
    base = [p.copy() for p in net.params]
    frozen = {}
    _plain_output(net, x, surrogate, alpha, lambda w: base, frozen)
    n_windows = -(-net.n_steps // net.truncation)
    grads = [np.zeros_like(p) for p in base]
    for w in range(n_windows):
        for j, p in enumerate(base):
            for idx in np.ndindex(p.shape):
                vals = []
                for sign in (1, -1):
                    q = p.copy()
                    q[idx] += sign * H
                    perturbed = base[:j] + [q] + base[j + 1:]
                    z = _plain_output(net, x, surrogate, alpha,
                                      lambda v: perturbed if v == w else base, frozen)
                    vals.append(loss_of_z(z))
                grads[j][idx] += (vals[0] - vals[1]) / (2 * H)
    return grads


@pytest.mark.parametrize("recurrent,readout,reset,detach,static", [
    (True, "membrane", "soft", False, True),
    (True, "spike_count", "hard", False, False),
    (True, "membrane", "hard", True, False),
    (False, "spike_count", "soft", True, True),
    (False, "membrane", "soft", False, False),
])
def test_truncated_gradient_is_sum_of_windowed_gradients(recurrent, readout, reset, detach, static):
    """K = 3 < T = 7 (windows of 3, 3, 1 steps): analytic truncated gradient == reference."""
    rng = np.random.default_rng(int(recurrent) + 2 * static)
    surrogate, alpha = "arctan", 1.5
    net = build_mlp(3, [4], 2, n_steps=7, readout=readout, reset=reset, detach_reset=detach,
                    surrogate=surrogate, surrogate_scale=alpha, train_beta=True, train_threshold=True,
                    recurrent=recurrent, truncation=3, beta=0.8, random_state=2, dtype=np.float64)
    for layer in net.layers:
        if hasattr(layer, "weight"):
            layer.weight *= 3.0
    x = rng.normal(0, 2, size=(2, 3)) if static else rng.normal(0, 2, size=(7, 2, 3))
    y = np.array([1, 0])

    def loss_of_z(z):
        return cross_entropy(z, y)[0] if readout == "membrane" else mse_count(z, y, 7, 0.6, 0.1)[0]

    z = net.forward(x, smooth=True)
    np.testing.assert_allclose(z, _plain_output(net, x, surrogate, alpha,
                                                lambda w: net.params, {}), rtol=1e-12)
    _, g = cross_entropy(z, y) if readout == "membrane" else mse_count(z, y, 7, 0.6, 0.1)
    net.backward(g)
    analytic = [a.copy() for a in net.grads]
    reference = _windowed_fd(net, x, loss_of_z, surrogate, alpha)
    for a, r in zip(analytic, reference):
        assert np.abs(a - r).max() <= RTOL * max(np.abs(r).max(), 1e-8), (np.abs(a - r).max(), np.abs(r).max())


@pytest.mark.parametrize("recurrent", [False, True])
@pytest.mark.parametrize("readout", ["membrane", "spike_count"])
def test_window_at_least_T_is_full_bptt_exactly(recurrent, readout):
    """K >= T: one window, the same operations as full BPTT: outputs and gradients bit-identical
    (float32, Heaviside spikes, as in training); K < T differs."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1.5, size=(5, 6)).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0])
    grads = {}
    for K in (None, 9, 12, 4):
        net = build_mlp(6, [8, 7], 3, n_steps=9, readout=readout, recurrent=recurrent, truncation=K,
                        train_beta=True, train_threshold=True, random_state=3)
        z = net.forward(x)
        net.backward(cross_entropy(z, y)[1])
        grads[K] = [z] + [g.copy() for g in net.grads]
    for K in (9, 12):
        for a, b in zip(grads[None], grads[K]):
            np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(grads[None][1:], grads[4][1:]))


def test_truncated_conv_net_window_at_least_T_is_exact():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 36)).astype(np.float32)
    y = np.array([0, 1, 1])
    out = []
    for K in (None, 4):
        net = build_convnet((6, 6), (3,), 2, hidden_layer_sizes=(5,), n_steps=4, truncation=K,
                            random_state=0)
        z = net.forward(x)
        net.backward(cross_entropy(z, y)[1])
        out.append([z] + [g.copy() for g in net.grads])
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


def test_truncation_errors():
    with pytest.raises(ValueError, match="truncation = 0"):
        build_mlp(3, [4], 2, truncation=0)
    with pytest.raises(ValueError, match="truncation = 0"):
        SurrogateGradientClassifier(truncation=0, max_epochs=1).fit(np.zeros((4, 2)), [0, 1, 0, 1])
    net = build_mlp(3, [4], 2, n_steps=4, truncation=2)
    with pytest.raises(RuntimeError, match="call forward first"):
        net.backward(np.zeros((1, 2), np.float32))


def test_truncated_training_learns_digits():
    """K = 5 of T = 25: windows hold a fifth of the steps; the digits MLP still learns (CI size:
    6 epochs, >= 85 %; full BPTT reaches ~ 90 % in the same budget)."""
    Xtr, Xte, ytr, yte = _split(*_digits())
    clf = SurrogateGradientClassifier(truncation=5, max_epochs=6, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.85
    assert clf.network_.truncation == 5


@pytest.mark.slow
def test_truncated_training_reaches_95_percent_on_digits():
    """Full training with windows of 5 of the 25 steps still meets the digits target (>= 95 %)."""
    Xtr, Xte, ytr, yte = _split(*_digits())
    clf = SurrogateGradientClassifier(truncation=5, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.95
