"""Time-to-first-spike conversion (Rueckauer & Liu, 2018): kernel == twin, the coding equations,
one spike per neuron, at most one addition per synapse, accuracy and operations on the digits."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.conversion import convert, mlp, small_cnn
from spikecore.datasets import load_digits
from spikecore.kernels import conversion as K
from spikecore.reference import conversion as R


def _split(seed=0):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx[:1300]], y[idx[:1300]], X[idx[1300:]], y[idx[1300:]]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2 ** 31), T=st.integers(1, 25), batch=st.integers(1, 3), n=st.integers(1, 6),
       t0=st.integers(0, 5), output=st.booleans())
def test_ttfs_neuron_run_matches_reference(seed, T, batch, n, t0, output):
    rng = np.random.default_rng(seed)
    inc = (rng.normal(0, 0.5, (T, batch, n)) * (rng.random((T, batch, n)) < 0.3)).astype(np.float32)
    bias = rng.normal(0, 0.2, n).astype(np.float32)
    onset = rng.integers(0, T + t0 + 2, batch).astype(np.int64)
    states = [rng.normal(0, 0.3, (batch, n)).astype(np.float32) for _ in range(2)]
    fired0 = (rng.random((batch, n)) < 0.2).astype(np.uint8)
    v_th = np.inf if output else 1.0
    runs = []
    for mod in (K, R):
        cur, v, fired = states[0].copy(), states[1].copy(), fired0.copy()
        sp = np.empty((T, batch, n), np.float32)
        mod.ttfs_neuron_run(inc, bias, onset, t0, 0.1, v_th, cur, v, fired, sp)
        runs.append((cur, v, fired, sp))
    (ck, vk, fk, sk), (cr, vr, fr, sr) = runs
    np.testing.assert_array_equal(sk, sr)
    np.testing.assert_array_equal(fk, fr)
    np.testing.assert_allclose(ck, cr, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(vk, vr, rtol=1e-5, atol=1e-5)
    assert sk.sum(0).max() <= 1  # at most one spike per neuron
    if output:
        assert not sk.any()


def test_first_layer_spike_time_codes_the_activation():
    """Analog input switches on at step 0; a first-layer neuron with drive z > 0 crosses threshold
    at the first step k with (k + 1) z dt >= 1 (Rueckauer & Liu, 2018: activation = 1 / TTFS)."""
    z = np.array([[0.043, 0.3, 0.77, 0.93, 2.7, -0.2]], np.float32)  # 1/(z dt) not near integers
    T, dt = 400, 0.1
    inc = np.zeros((T, 1, z.shape[1]), np.float32)
    inc[0] = z
    cur, v = np.zeros_like(z), np.zeros_like(z)
    fired = np.zeros(z.shape, np.uint8)
    sp = np.empty_like(inc)
    K.ttfs_neuron_run(inc, np.zeros(z.shape[1], np.float32), np.zeros(1, np.int64), 0, dt, 1.0, cur, v, fired, sp)
    steps = np.where(sp.any(0)[0], sp[:, 0].argmax(0), -1)
    expect = [int(np.ceil(1.0 / (float(zz) * dt))) - 1 if zz > 0 else -1 for zz in z[0]]
    assert steps.tolist() == expect
    # the time to first spike, (k + 1) dt, inverts to the activation within one step
    t = (steps[:5] + 1) * dt
    assert np.all(np.abs(1.0 / t - z[0, :5]) <= z[0, :5] ** 2 * dt + 1e-6)


@pytest.fixture(scope="module")
def trained_mlp():
    Xtr, ytr, Xte, yte = _split(0)
    net = mlp((64, 128, 64, 10), random_state=0).fit(Xtr, ytr, epochs=20, batch_size=32, random_state=0)
    return net, Xtr, ytr, Xte, yte


def test_ttfs_mlp_accuracy_and_operations(trained_mlp):
    net, Xtr, ytr, Xte, yte = trained_mlp
    ann = net.score(Xte, yte)
    assert ann > 0.95
    snn = convert(net, Xtr[:300], method="ttfs")
    assert snn.neuron == "ttfs" and snn.dt == 0.1
    acc = snn.score(Xte, yte, 80)
    assert acc >= ann - 0.02
    ops = snn.operations()
    n_hidden = 128 + 64
    # one spike per neuron at most; every synapse switched on at most once (one addition)
    assert max(ops["spikes_per_layer"][1:]) <= n_hidden
    assert snn.last_stats["out_spikes"][0].max() <= len(Xte)
    assert ops["synaptic_adds"] <= 128 * 64 + 64 * 10
    # fewer additions than rate coding (99.9 % percentile, analog input) at its T = 64
    rate = convert(net, Xtr[:300], method="percentile")
    rate_acc = rate.score(Xte, yte, 64)
    assert rate.operations()["synaptic_adds"] > 5 * ops["synaptic_adds"]
    assert rate_acc >= acc - 0.02
    # too short a run: the deeper layers have not fired yet
    assert snn.score(Xte, yte, 15) < acc


def test_ttfs_cnn_with_average_pooling():
    """The base TTFS model (no dynamic threshold, no corrective spikes) loses more on the CNN: a
    neuron whose summed weights are positive keeps ramping and fires late even when its ANN
    activation is 0, so accuracy peaks at a moderate run length and then falls (measured: digits
    CNN 8/16 channels, ANN 95.8 %, TTFS 89.5 % at T = 80, 72.6 % at T = 160)."""
    Xtr, ytr, Xte, yte = _split(0)
    Xtr, Xte = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
    net = small_cnn((1, 8, 8), channels=(8, 16), random_state=0).fit(
        Xtr, ytr, epochs=6, batch_size=32, learning_rate=3e-3, random_state=0)
    ann = net.score(Xte, yte)
    snn = convert(net, Xtr[:300], method="ttfs")
    assert snn.score(Xte, yte, 80) >= ann - 0.08
    assert snn.score(Xte, yte, 160) < snn.score(Xte, yte, 80)


def test_ttfs_errors(trained_mlp):
    net, Xtr = trained_mlp[0], trained_mlp[1][:20]
    with pytest.raises(ValueError, match="input_coding"):
        convert(net, Xtr, method="ttfs", input_coding="poisson")
    mx = small_cnn((1, 8, 8), channels=(2, 2), pool="max", batch_norm=False, random_state=0)
    with pytest.raises(ValueError, match="max-pooling"):
        convert(mx, Xtr.reshape(-1, 1, 8, 8), method="ttfs")
    with pytest.raises(ValueError, match="timesteps"):
        convert(net, Xtr, method="ttfs").predict(Xtr, 0)
