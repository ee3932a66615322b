"""Conversion methods "rmp" (Han, Srinivasan & Roy, 2020) and "spike-norm" (Sengupta et al., 2019):
accuracy on the bundled digits and the defining equations against plain step-by-step runs."""
import numpy as np
import pytest

from spikecore.conversion import QCFS, convert, mlp
from spikecore.datasets import load_digits
from spikecore.reference import conversion as R


@pytest.fixture(scope="module")
def digits_mlp():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    idx = np.random.default_rng(0).permutation(len(X))
    Xtr, ytr, Xte, yte = X[idx[:1300]], y[idx[:1300]], X[idx[1300:]], y[idx[1300:]]
    net = mlp((64, 128, 64, 10), random_state=0).fit(Xtr, ytr, epochs=8, batch_size=32, random_state=0)
    return net, Xtr, ytr, Xte, yte


def _hidden_activations(net, X):
    """ReLU outputs of the ANN's hidden layers, computed layer by layer from the ANN itself."""
    acts, h = [], X
    for layer in net.layers:
        h = layer.forward(h)
        if type(layer).__name__ == "ReLU":
            acts.append(h)
    return acts


def test_rmp_accuracy_and_thresholds(digits_mlp):
    net, Xtr, ytr, Xte, yte = digits_mlp
    ann = net.score(Xte, yte)
    assert ann > 0.95
    cal = Xtr[:300]
    snn = convert(net, cal, method="rmp")
    assert snn.reset == "subtract" and snn.input_coding == "poisson"
    assert snn.score(Xte, yte, 64, random_state=0) >= ann - 0.02
    # V_th,l = alpha * max activation of layer l over the calibration set (lambda_0 = x_max)
    maxima = [float(a.max()) for a in _hidden_activations(net, cal)]
    for alpha in (1.0, 0.7):
        s = convert(net, cal, method="rmp", threshold_scale=alpha)
        np.testing.assert_allclose(s.lambdas[1:], [alpha * m for m in maxima], rtol=1e-5)
        assert s.lambdas[0] == pytest.approx(float(cal.max()))


def test_spike_norm_accuracy(digits_mlp):
    net, Xtr, ytr, Xte, yte = digits_mlp
    ann = net.score(Xte, yte)
    snn = convert(net, Xtr[:300], method="spike-norm", calibration_timesteps=64)
    assert snn.reset == "zero" and snn.input_coding == "poisson" and snn.normalization == "spike"
    assert snn.score(Xte, yte, 128, random_state=0) >= ann - 0.02
    # thresholds of the spiking domain exceed the rate-domain maxima (single-step currents)
    maxima = [float(a.max()) for a in _hidden_activations(net, Xtr[:300])]
    assert snn.lambdas[1] > maxima[0]
    # same seed, same thresholds
    again = convert(net, Xtr[:300], method="spike-norm", calibration_timesteps=64)
    assert again.lambdas == snn.lambdas


@pytest.mark.parametrize("reset", ["zero", "subtract"])
def test_spike_norm_equals_max_current_of_reference_run(digits_mlp, reset):
    """lambda_l = max over samples, steps and neurons of lambda_{l-1} W_l s_{l-1}[t] + b_l, with the
    earlier layers running as IF neurons (threshold 1 after normalisation), simulated step by step
    with the reference neuron twin (analog input so both runs see the same input)."""
    net, Xtr, ytr, Xte, yte = digits_mlp
    X, T = Xtr[:40], 20
    snn = convert(net, X, method="spike-norm", input_coding="analog", reset=reset, calibration_timesteps=T)
    dense = [layer for layer in net.layers if type(layer).__name__ == "Dense"]
    W = [d.weight.astype(np.float64) for d in dense]
    b = [d.bias.astype(np.float64) for d in dense]
    lam = [1.0]
    for l in range(len(dense) - 1):
        # run layers 0..l-1 as IF neurons with the thresholds found so far, record the current into l
        v = [np.zeros((X.shape[0], W[k].shape[0]), np.float32) for k in range(l)]
        peak = -np.inf
        for _ in range(T):
            s = X.astype(np.float64)
            for k in range(l):
                cur = (lam[k] * s @ W[k].T + b[k]) / lam[k + 1]
                sp = np.empty((1,) + v[k].shape, np.float32)
                R.if_neuron_run(cur[None].astype(np.float32), np.zeros(v[k].shape[1], np.float32), v[k],
                                np.float32(1.0), reset == "subtract", sp)
                s = sp[0].astype(np.float64)
            peak = max(peak, float((lam[l] * s @ W[l].T + b[l]).max()))
        lam.append(peak)
    np.testing.assert_allclose(snn.lambdas, lam, rtol=1e-4)


def test_new_method_arguments_are_checked(digits_mlp):
    net, Xtr = digits_mlp[0], digits_mlp[1][:20]
    with pytest.raises(ValueError, match="threshold_scale"):
        convert(net, Xtr, method="rmp", threshold_scale=0.0)
    with pytest.raises(ValueError, match="threshold_scale"):
        convert(net, Xtr, method="spike-norm", threshold_scale=0.5)
    with pytest.raises(ValueError, match="calibration_timesteps"):
        convert(net, Xtr, method="spike-norm", calibration_timesteps=0)


# ---------------------------------------------------------------------------- QCFS (Bu et al., 2022)
def _digits_split():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    idx = np.random.default_rng(0).permutation(len(X))
    return X[idx[:1300]], y[idx[:1300]], X[idx[1300:]], y[idx[1300:]]


def test_qcfs_layer_forward_and_gradients():
    layer = QCFS(levels=4, threshold=2.0)
    z = np.array([[-1.0, 0.2, 0.26, 0.76, 1.3, 1.9, 2.0, 3.5]], np.float32)
    h = layer.forward(z, training=True)
    # h = lambda/L clip(floor(z L / lambda + 1/2), 0, L) with lambda/L = 0.5
    np.testing.assert_allclose(h, [[0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.0, 2.0]])
    g = np.arange(1, 9, dtype=np.float32)[None]
    gx = layer.backward(g)
    inside = (z > 0) & (z < 2.0)
    np.testing.assert_array_equal(gx, g * inside)
    dlam = np.where(z >= 2.0, 1.0, np.where(inside, (h - z) / 2.0, 0.0))
    assert layer.grads[0][0] == pytest.approx(float((g * dlam).sum()), rel=1e-6)


def test_qcfs_snn_equals_ann_at_T_equal_L():
    """One hidden QCFS layer, analog input, v(0) = V_th/2, reset by subtraction: after T = L steps
    the spike counts are clip(floor(T z / V_th + 1/2), 0, T), so the SNN's mean output current is
    exactly the ANN's logits (Bu et al., 2022)."""
    Xtr, ytr, Xte, yte = _digits_split()
    L = 4
    net = mlp((64, 32, 10), activation="qcfs", levels=L, ceiling=2.0, random_state=1).fit(
        Xtr, ytr, epochs=3, batch_size=32, random_state=1)
    snn = convert(net, Xtr[:100], method="qcfs")
    assert snn.lambdas[1] == pytest.approx(net.layers[1].ceiling)
    np.testing.assert_allclose(snn.run(Xte[:200], L) / L, net.logits(Xte[:200]), rtol=1e-4, atol=1e-4)


def test_qcfs_accuracy_at_low_latency():
    Xtr, ytr, Xte, yte = _digits_split()
    net = mlp((64, 128, 64, 10), activation="qcfs", levels=4, ceiling=2.0, random_state=0).fit(
        Xtr, ytr, epochs=8, batch_size=32, random_state=0)
    ann = net.score(Xte, yte)
    assert ann > 0.95
    snn = convert(net, Xtr[:300], method="qcfs")
    assert snn.reset == "subtract" and snn.v_init == 0.5
    assert snn.score(Xte, yte, 4) >= ann - 0.02
    assert snn.score(Xte, yte, 16) >= ann - 0.02
    # at T = 2 the half-threshold start is what keeps it close (percentile: no v(0), floors)
    assert snn.score(Xte, yte, 2) > convert(net, Xtr[:300], method="percentile").score(Xte, yte, 2) + 0.03
