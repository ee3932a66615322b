"""kernels.bptt == reference.bptt (hypothesis), for the LIF forward and backward recursions.

Tolerances: float64 forward with the Heaviside spike: membrane and spikes bit-identical (same
operations in the same order). Smooth forward and the backward output: relative 1e-10 (the
surrogate is evaluated with differently-rounded formulas). float32: spikes identical and membrane
within 1e-5 relative, on examples
where no membrane value lies within 1e-3 of the threshold (closer, float32 rounding may flip a
spike and the paths legitimately diverge).
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from spikecore.kernels import bptt as K
from spikecore.reference import bptt as R

shapes = st.tuples(st.integers(1, 6), st.integers(1, 3), st.integers(1, 4))


@st.composite
def layer_case(draw):
    T, B, n = draw(shapes)
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    current = rng.normal(0.5, 1.0, size=(T, B, n))
    beta = rng.uniform(0.0, 1.0, size=n)
    if draw(st.booleans()):
        beta[:] = 1.0  # integrate-and-fire
    theta = rng.uniform(0.2, 2.0, size=n)
    return dict(current=current, beta=beta, theta=theta,
                hard_reset=draw(st.booleans()), smooth=draw(st.booleans()),
                surrogate=draw(st.integers(0, 3)), alpha=draw(st.floats(0.2, 30.0)),
                detach_reset=draw(st.booleans()), grad_s=rng.normal(size=(T, B, n)))


def _forward(mod, c, dtype):
    cur = c["current"].astype(dtype)
    u = np.empty_like(cur)
    s = np.empty_like(cur)
    mod.lif_forward(cur, c["beta"].astype(dtype), c["theta"].astype(dtype), c["hard_reset"],
                    c["smooth"], c["surrogate"], c["alpha"], u, s)
    return u, s


def _backward(mod, c, u, s, dtype):
    gu = np.empty_like(u)
    mod.lif_backward(c["grad_s"].astype(dtype), u, s, c["beta"].astype(dtype), c["theta"].astype(dtype),
                     c["hard_reset"], c["detach_reset"], c["surrogate"], c["alpha"], gu)
    return gu


@settings(max_examples=60)
@given(layer_case())
def test_forward_and_backward_float64(c):
    uk, sk = _forward(K, c, np.float64)
    ur, sr = _forward(R, c, np.float64)
    if c["smooth"]:
        np.testing.assert_allclose(uk, ur, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(sk, sr, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_array_equal(uk, ur)
        np.testing.assert_array_equal(sk, sr)
    # the backward kernels get identical saved state
    np.testing.assert_allclose(_backward(K, c, ur, sr, np.float64), _backward(R, c, ur, sr, np.float64),
                               rtol=1e-10, atol=1e-10)


@settings(max_examples=40)
@given(layer_case())
def test_forward_and_backward_float32(c):
    c["smooth"] = False
    ur, sr = _forward(R, c, np.float64)
    assume(np.min(np.abs(ur - c["theta"])) > 1e-3)
    uk, sk = _forward(K, c, np.float32)
    np.testing.assert_array_equal(sk, sr.astype(np.float32))
    np.testing.assert_allclose(uk, ur, rtol=1e-5, atol=1e-5)
    gk = _backward(K, c, uk, sk, np.float32)
    gr = _backward(R, c, ur, sr, np.float64)
    np.testing.assert_allclose(gk, gr, rtol=2e-4, atol=2e-4 * (1 + np.abs(gr).max()))


def test_heaviside_threshold_and_reset_by_hand():
    """Closed-form 3-step case: I = 0.6 each step, beta = 0.5, theta = 1."""
    cur = np.full((4, 1, 1), 0.6)
    beta = np.array([0.5])
    theta = np.array([1.0])
    for mod in (K, R):
        u = np.empty_like(cur)
        s = np.empty_like(cur)
        mod.lif_forward(cur, beta, theta, False, False, 0, 25.0, u, s)
        # u0 = .6; u1 = .3 + .6 = .9; u2 = .45 + .6 = 1.05 -> spike; u3 = .525 + .6 - 1 = .125
        np.testing.assert_allclose(u[:, 0, 0], [0.6, 0.9, 1.05, 0.125])
        np.testing.assert_array_equal(s[:, 0, 0], [0, 0, 1, 0])
        mod.lif_forward(cur, beta, theta, True, False, 0, 25.0, u, s)
        np.testing.assert_allclose(u[:, 0, 0], [0.6, 0.9, 1.05, 0.6])  # hard: reset to 0, then + I


def test_backward_by_hand():
    """Two steps, soft reset, not detached, fast sigmoid alpha = 1, theta = 1, beta = 0.5:
    u = (0.5, 1.5) (spike at t = 1), e = (1, 2).
    g1 = 1/(1 + 0.5)^2 = 4/9, delta1 = 2 * 4/9 = 8/9;
    g0 = 1/(1 + 0.5)^2 = 4/9, dL/ds0 = 1 - 1 * 8/9 = 1/9, delta0 = (1/9)(4/9) + 0.5 (8/9) = 40/81."""
    u = np.array([0.5, 1.5]).reshape(2, 1, 1)
    s = np.array([0.0, 1.0]).reshape(2, 1, 1)
    e = np.array([1.0, 2.0]).reshape(2, 1, 1)
    for mod in (K, R):
        gu = np.empty_like(u)
        mod.lif_backward(e, u, s, np.array([0.5]), np.array([1.0]), False, False, 0, 1.0, gu)
        np.testing.assert_allclose(gu[:, 0, 0], [40 / 81, 8 / 9])


@pytest.mark.parametrize("code", [0, 1, 2, 3])
def test_surrogate_primitive_derivative(code):
    """The smooth forward's spike function is an exact antiderivative of the surrogate."""
    x = np.linspace(-3, 3, 2001)
    x = x[np.abs(x) > 1e-3]  # avoid the kinks at 0 and (triangle) at +-1/alpha
    alpha = 1.7
    x = x[np.abs(np.abs(x) - 1 / alpha) > 1e-3]
    h = 1e-6
    fd = (R._surrogate_primitive(x + h, code, alpha) - R._surrogate_primitive(x - h, code, alpha)) / (2 * h)
    np.testing.assert_allclose(fd, R._surrogate_grad(x, code, alpha), rtol=1e-6, atol=1e-8)
    assert R._surrogate_primitive(-1e6, code, alpha) == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=40)
@given(layer_case())
def test_time_weighted_sum_kernels(c):
    """lif_forward_sum / lif_backward_sum: kernel == reference (float64, rtol 1e-10), and both
    equal the general kernels with z = sum_t w[t] s[t] and dL/ds[t] = w[t] dL/dz."""
    T, B, n = c["current"].shape
    rng = np.random.default_rng(T * 100 + B * 10 + n)
    w = rng.uniform(0, 1, size=T)
    gz = rng.normal(size=(B, n))
    args = (c["beta"], c["theta"], c["hard_reset"])
    out = {}
    for mod in (K, R):
        u = np.empty((T, B, n))
        z = np.empty((B, n))
        mod.lif_forward_sum(c["current"], *args, c["smooth"], c["surrogate"], c["alpha"], w, u, z)
        gu = np.empty_like(u)
        mod.lif_backward_sum(gz, w, u, *args, c["detach_reset"], c["smooth"], c["surrogate"],
                             c["alpha"], gu)
        out[mod] = (u, z, gu)
    for a, b in zip(out[K], out[R]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    u, s = _forward(K, c, np.float64)
    np.testing.assert_allclose(out[K][1], np.tensordot(w, s, axes=(0, 0)), rtol=1e-10, atol=1e-10)
    gu = np.empty_like(u)
    K.lif_backward(w[:, None, None] * gz[None], u, s, *args, c["detach_reset"], c["surrogate"],
                   c["alpha"], gu)
    np.testing.assert_allclose(out[K][2], gu, rtol=1e-10, atol=1e-10)


@settings(max_examples=30)
@given(st.integers(1, 50), st.integers(1, 20), st.integers(0, 2 ** 32 - 1))
def test_adam_update(n, k, seed):
    """Kernel == reference, float64, rtol 1e-12."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=n), rng.normal(size=n), rng.normal(size=n), rng.uniform(0, 1, size=n)]
    a = [x.copy() for x in arrays]
    b = [x.copy() for x in arrays]
    K.adam_update(*a, 0.01, 0.9, 0.999, 1e-8, k)
    R.adam_update(*b, 0.01, 0.9, 0.999, 1e-8, k)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-15)
