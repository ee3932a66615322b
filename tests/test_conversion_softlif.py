"""Soft-LIF training and conversion to LIF neurons (Hunsberger & Eliasmith, 2015): the layer's
hand-written derivative against finite differences, the LIF kernel against its twin and against
the LIF rate curve, and accuracy on the bundled digits."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.conversion import SoftLIF, convert, mlp
from spikecore.datasets import load_digits
from spikecore.kernels import conversion as K
from spikecore.reference import conversion as R


def _split(seed=0):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx[:1300]], y[idx[:1300]], X[idx[1300:]], y[idx[1300:]]


@pytest.mark.parametrize("gamma", [0.02, 0.05, 0.3])
def test_softlif_derivative_matches_finite_differences(gamma):
    layer = SoftLIF(gamma=gamma, amplitude=0.01)
    z = np.concatenate([np.linspace(-0.6, 1.5, 43), [-5.0, 3.0, 20.0]])
    layer.forward(z.astype(np.float32))
    g = np.random.default_rng(0).normal(size=z.shape)
    analytic = layer.backward(g.astype(np.float32)).astype(np.float64)
    h = 1e-6
    # the float64 forward of the layer, differentiated by central differences
    def f(x):
        p, _ = layer._softplus(x)
        return layer.amplitude / (layer.tau_ref + layer.tau_rc * np.log1p(1.0 / p))
    numeric = g * (f(z + h) - f(z - h)) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=2e-4, atol=1e-7)


def test_softlif_approaches_the_lif_rate_curve():
    """As gamma -> 0 the soft rate tends to the LIF rate A r(z + 1) (zero below threshold; below
    it the soft rate decays only like 1 / (tau_RC log(1/rho)), a fraction of a Hz here)."""
    z = np.array([-0.5, -0.1, 0.1, 0.5, 2.0, 10.0])
    hard = SoftLIF(gamma=1e-4, amplitude=1.0)
    y = hard.forward(z.astype(np.float32))
    np.testing.assert_allclose(y, hard.rate(z + 1.0), rtol=1e-3, atol=0.1)
    # smoothing raises the rate near the threshold, never lowers it
    soft = SoftLIF(gamma=0.2, amplitude=1.0).forward(z.astype(np.float32))
    assert np.all(soft >= y - 1e-4) and soft[2] > y[2]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2 ** 31), T=st.integers(1, 30), batch=st.integers(1, 3), n=st.integers(1, 6),
       const=st.booleans(), tau_ref=st.sampled_from([0.0, 0.001, 0.002, 0.004]))
def test_lif_neuron_run_matches_reference(seed, T, batch, n, const, tau_ref):
    rng = np.random.default_rng(seed)
    cur = rng.normal(1.5, 1.5, (1 if const else T, batch, n)).astype(np.float32)
    bias = rng.normal(0, 0.3, n).astype(np.float32)
    vk = rng.random((batch, n)).astype(np.float32) * 0.9
    rk = (rng.random((batch, n)) * tau_ref).astype(np.float32)
    vr, rr = vk.copy(), rk.copy()
    sk, sr = np.empty((T, batch, n), np.float32), np.empty((T, batch, n), np.float32)
    K.lif_neuron_run(cur, bias, vk, rk, 1e-3, 0.02, tau_ref, sk)
    R.lif_neuron_run(cur, bias, vr, rr, 1e-3, 0.02, tau_ref, sr)
    np.testing.assert_array_equal(sk, sr)
    # float32 state: a one-ulp difference in a stored refractory remainder moves later partial steps
    # (seen: 1.7e-6 after 18 steps, seed 3716423); the spikes are identical
    np.testing.assert_allclose(vk, vr, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rk, rr, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dt", [1e-4, 1e-3, 2e-3])
def test_lif_kernel_rate_equals_the_lif_curve(dt):
    """With the crossing time resolved inside the step, the firing rate for a constant current is
    the continuous-time LIF rate the soft-LIF ANN was trained with, for any step (to one spike)."""
    cell = SoftLIF(tau_rc=0.02, tau_ref=0.002)
    J = np.array([1.05, 1.5, 2.0, 4.0, 10.0, 30.0], np.float32)
    T = int(round(2.0 / dt))  # 2 s
    v = np.zeros((1, J.size), np.float32)
    ref = np.zeros_like(v)
    spikes = np.empty((T, 1, J.size), np.float32)
    K.lif_neuron_run(J[None, None, :], np.zeros(J.size, np.float32), v, ref, dt, cell.tau_rc, cell.tau_ref, spikes)
    rate = spikes.sum((0, 1)) / (T * dt)
    np.testing.assert_allclose(rate, cell.rate(J), atol=1.0 / (T * dt) + 1e-9, rtol=2e-3)


@pytest.fixture(scope="module")
def softlif_mlp():
    Xtr, ytr, Xte, yte = _split(0)
    net = mlp((64, 128, 64, 10), activation="softlif", random_state=0).fit(
        Xtr, ytr, epochs=20, batch_size=32, random_state=0)
    return net, Xtr, ytr, Xte, yte


def test_softlif_snn_accuracy_on_digits(softlif_mlp):
    net, Xtr, ytr, Xte, yte = softlif_mlp
    ann = net.score(Xte, yte)
    assert ann > 0.95
    snn = convert(net, Xtr[:200], method="soft-lif")
    assert snn.neuron == "lif" and snn.dt == 1e-3
    # 0.1 s of simulated time: within one point of the ANN
    assert snn.score(Xte, yte, 100) >= ann - 0.01
    ops = snn.operations()
    assert ops["synaptic_adds"] > 0 and ops["macs"] == 64 * 128  # analog first layer
    # a 10 ms run is clearly worse: rate coding needs time
    assert snn.score(Xte, yte, 10) < snn.score(Xte, yte, 100)


def test_softlif_method_checks(softlif_mlp):
    net, Xtr = softlif_mlp[0], softlif_mlp[1][:20]
    with pytest.raises(ValueError, match="soft-lif"):
        convert(net, Xtr, method="percentile")
    with pytest.raises(ValueError, match="SoftLIF"):
        convert(mlp((64, 16, 10), random_state=0), Xtr, method="soft-lif")
    with pytest.raises(ValueError, match="normalization"):
        convert(net, Xtr, method="soft-lif", normalization="max")
    with pytest.raises(ValueError, match="dt"):
        convert(net, Xtr, method="soft-lif", dt=0.0)
    with pytest.raises(ValueError, match="dt"):
        convert(mlp((64, 16, 10), random_state=0), Xtr, method="data", dt=1e-3)
    with pytest.raises(ValueError, match="tau_rc"):
        SoftLIF(tau_rc=0.0)
