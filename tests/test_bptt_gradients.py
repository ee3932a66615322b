"""Gradient checks of the hand-written backward passes against central finite differences.

Why this check is mathematically valid. With the Heaviside spike the loss is piecewise constant
in the parameters, so finite differences of the real network are zero or undefined and cannot
test anything. The backward recursion, however, only uses the saved ``u[t]``, ``s[t]`` and the
surrogate ``g[t] = sigma'(u[t] - theta)``: it is the chain rule of the unrolled graph for *any*
spike function ``s = f(u - theta)`` once ``f'`` is replaced by ``sigma'``. Running the forward
pass with ``f = sigma``, an exact antiderivative of the surrogate (``smooth=True``; tested in
test_bptt_kernels.py), makes the surrogate substitution consistent: the network is then
differentiable, ``f' = sigma'`` holds exactly, and the backward pass must equal its true gradient
— which central finite differences approximate to O(h^2). Every term of the recursion (leak,
soft/hard reset, the reset path through ``s``, thresholds, leaks, weights, biases, the time-folded
GEMMs, static and time-varying inputs, both readouts and both losses) is therefore checked.

For a *detached* reset the backward pass is the gradient with the reset signal held constant;
finite differences reproduce exactly that by freezing the reset signal at its unperturbed value
in the forward pass (test_detached_reset_matches_frozen_reset_differences).

All checks in float64, central differences with h = 1e-6; tolerance: max |analytic - FD| below
1e-5 of max |FD| per parameter array (observed ~1e-9; the issue asks for < 1e-4).
"""
import os
import sys

import numpy as np
import pytest

from spikecore.kernels.bptt import lif_backward
from spikecore.learning import (
    SGD, Adam, build_mlp, cross_entropy, mse_count, surrogate_grad, surrogate_primitive,
)
from spikecore.learning.bptt import lif_parameter_grads
from spikecore.learning.surrogates import surrogate_code

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers module beside this file
from _bptt_helpers import _fd_check  # noqa: E402


@pytest.mark.parametrize("readout,loss", [("membrane", "ce"), ("spike_count", "ce"), ("spike_count", "mse")])
@pytest.mark.parametrize("reset", ["soft", "hard"])
@pytest.mark.parametrize("surrogate", ["fast_sigmoid", "arctan", "triangle", "exponential"])
@pytest.mark.parametrize("static", [True, False])
def test_network_gradient_matches_finite_differences(readout, loss, reset, surrogate, static):
    rng = np.random.default_rng(3)
    net = build_mlp(4, [5, 4], 3, n_steps=5, readout=readout, reset=reset, detach_reset=False,
                    surrogate=surrogate, surrogate_scale=1.5, train_beta=True, train_threshold=True,
                    beta=0.8, random_state=1, dtype=np.float64)
    for layer in net.layers:
        if hasattr(layer, "weight"):
            layer.weight *= 3.0  # drive the neurons well into the non-linear range
    x = rng.normal(0, 2, size=(3, 4)) if static else rng.normal(0, 2, size=(5, 3, 4))
    y = np.array([0, 2, 1])

    def loss_and_grad():
        z = net.forward(x, smooth=True)
        return cross_entropy(z, y) if loss == "ce" else mse_count(z, y, 5, 0.6, 0.1)

    _, g = loss_and_grad()
    net.backward(g)
    grads = [a.copy() for a in net.grads]
    # W, b, beta, theta per LIF layer; W, b for the leaky readout
    assert len(grads) == len(net.params) == (10 if readout == "membrane" else 12)
    _fd_check(lambda: loss_and_grad()[0], net.params, grads)


def _smooth_layer(current, beta, theta, hard, code, alpha, frozen=None):
    """One LIF layer, smooth spikes, written independently of the kernels; ``frozen`` replaces
    the reset signal s[t-1] inside the u[t] update (detached reset)."""
    T = current.shape[0]
    u = np.zeros_like(current)
    s = np.zeros_like(current)
    u_prev = np.zeros(current.shape[1:])
    s_prev = np.zeros(current.shape[1:])
    for t in range(T):
        r = s_prev if frozen is None or t == 0 else frozen[t - 1]
        u[t] = beta * u_prev * (1 - r) + current[t] if hard else beta * u_prev + current[t] - theta * r
        name = {0: "fast_sigmoid", 1: "arctan", 2: "triangle", 3: "exponential"}[code]
        s[t] = surrogate_primitive(u[t] - theta, name, alpha)
        u_prev, s_prev = u[t], s[t]
    return u, s


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("detach", [False, True])
@pytest.mark.parametrize("code", [0, 1, 3])
def test_detached_reset_matches_frozen_reset_differences(hard, detach, code):
    """Kernel backward vs FD of an independent smooth forward (reset frozen when detached).

    Loss: L = sum_t,b,i w[t,b,i] s[t,b,i] with fixed random w, so dL/ds = w; parameters checked:
    the input current I (dL/dI = delta), beta and theta. With a detached soft reset the theta of
    the term -theta*s[t-1] still carries gradient (only the reset *signal* is constant), in the
    kernel and in the frozen forward alike."""
    rng = np.random.default_rng(code + 2 * hard + 4 * detach)
    T, B, n = 6, 2, 3
    cur = rng.normal(0.6, 1.0, size=(T, B, n))
    beta = rng.uniform(0.5, 1.0, size=n)
    theta = rng.uniform(0.5, 1.5, size=n)
    w = rng.normal(size=(T, B, n))
    alpha = 1.3
    u0, s0 = _smooth_layer(cur, beta, theta, hard, code, alpha)
    frozen = s0.copy() if detach else None

    def loss():
        return float(np.sum(w * _smooth_layer(cur, beta, theta, hard, code, alpha, frozen)[1]))

    gu = np.empty_like(u0)
    lif_backward(w, u0, s0, beta, theta, hard, detach, code, alpha, gu)
    gb, gt = lif_parameter_grads(gu, u0, s0, beta, theta, hard)
    _fd_check(loss, [cur, beta, theta], [gu, gb, gt])


def test_losses_gradients():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 5))
    y = np.array([0, 4, 2, 2])
    for fn in (lambda: cross_entropy(z, y), lambda: mse_count(z, y, 10)):
        _fd_check(lambda: fn()[0], [z], [fn()[1]])
    loss, _ = cross_entropy(np.zeros((2, 4)), np.array([1, 3]))
    assert loss == pytest.approx(np.log(4))


def test_loss_label_errors():
    with pytest.raises(ValueError, match=r"y = .*0\.\.2"):
        cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="one label per row"):
        mse_count(np.zeros((2, 3)), np.array([0]), 5)
    with pytest.raises(TypeError, match="y ="):
        cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_surrogate_names_and_errors():
    assert surrogate_grad(0.0, "fast_sigmoid") == 1.0
    assert surrogate_grad(0.0, "arctan") == 1.0  # alpha/2 with snnTorch's alpha = 2
    assert surrogate_grad(0.5, "triangle", 1.0) == 0.5
    assert surrogate_grad(0.0, "exponential") == 1.0
    with pytest.raises(ValueError, match="surrogate = 'sigmoid'"):
        surrogate_code("sigmoid")
    with pytest.raises(ValueError, match="surrogate_scale"):
        surrogate_grad(0.0, "arctan", -1.0)


@pytest.mark.parametrize("opt", [SGD(0.1, 0.9), Adam(0.1)])
def test_optimisers_minimise_a_quadratic(opt):
    """f(p) = 1/2 |A p - c|^2 has its minimum at A^-1 c; both optimisers must reach it."""
    rng = np.random.default_rng(0)
    A = np.eye(3) + 0.1 * rng.normal(size=(3, 3))
    c = rng.normal(size=3)
    p = np.zeros(3)
    for _ in range(500):
        opt.step([p], [A.T @ (A @ p - c)])
    np.testing.assert_allclose(p, np.linalg.solve(A, c), atol=1e-3)


def test_optimiser_parameter_errors():
    with pytest.raises(ValueError, match="learning_rate"):
        SGD(-1.0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="beta2"):
        Adam(beta2=1.5)


@pytest.mark.parametrize("static", [True, False])
def test_readout_only_and_unfused_paths(static):
    """No hidden layer (the leaky readout reads the input directly), and a DenseLIF whose output
    goes through the general (unfused) LeakyReadout.forward/backward: FD check as above."""
    from spikecore.learning import DenseLIF, LeakyReadout, SpikingNetwork

    class Identity:
        params, grads = [], []

        def constrain(self):
            pass

        def forward(self, x, n_steps, smooth=False):
            return x

        def backward(self, g, need_input_grad=True):
            return g

    rng = np.random.default_rng(5)
    x = rng.normal(0, 2, size=(3, 4)) if static else rng.normal(0, 2, size=(5, 3, 4))
    y = np.array([1, 0, 1])
    nets = [
        build_mlp(4, [], 2, n_steps=5, random_state=0, dtype=np.float64),
        SpikingNetwork([DenseLIF(4, 3, surrogate="arctan", surrogate_scale=1.5, detach_reset=False,
                                 train_beta=True, random_state=0, dtype=np.float64),
                        Identity(), LeakyReadout(3, 2, beta=0.7, random_state=1, dtype=np.float64)], 5),
    ]
    for net in nets:
        _, g = cross_entropy(net.forward(x, smooth=True), y)
        net.backward(g)
        grads = [a.copy() for a in net.grads]
        _fd_check(lambda: cross_entropy(net.forward(x, smooth=True), y)[0], net.params, grads)
