"""Conversion accuracy on the bundled digits (issue 12's criteria).

Fast tests: one seed, the MLP and a small CNN, small T. Slow tests (``-m slow``): five seeds and
the issue's time steps.
"""
import numpy as np
import pytest

from spikecore.conversion import convert, mlp, small_cnn
from spikecore.datasets import load_digits


def _split(seed):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx[:1300]], y[idx[:1300]], X[idx[1300:]], y[idx[1300:]]


def _mlp(seed):
    Xtr, ytr, Xte, yte = _split(seed)
    net = mlp((64, 128, 64, 10), random_state=seed).fit(Xtr, ytr, epochs=30, batch_size=32, random_state=seed)
    return net, Xtr, ytr, Xte, yte


def _cnn(seed, channels=(8, 16), epochs=6):
    Xtr, ytr, Xte, yte = _split(seed)
    Xtr, Xte = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
    net = small_cnn((1, 8, 8), channels=channels, random_state=seed).fit(
        Xtr, ytr, epochs=epochs, batch_size=32, learning_rate=3e-3, random_state=seed)
    return net, Xtr, ytr, Xte, yte


@pytest.fixture(scope="module")
def trained_mlp():
    return _mlp(0)


@pytest.fixture(scope="module")
def trained_cnn():
    return _cnn(0)


def _rate_ac_at_accuracy(net, Xcal, Xte, yte, target, Ts, draws=4):
    """Synaptic additions of Poisson rate coding (data-based) at the first T whose accuracy reaches
    ``target``; if none does, those at the largest T (rate coding is then less accurate *and*
    costlier).

    The accuracy of the rate network is the mean over ``draws`` Poisson input draws. One draw is
    not enough: its accuracy scatters by ~0.4 points (sd, digits CNN at T = 32), and taking the
    first T at which a single noisy draw crosses the target picks lucky draws (on seed 3 of the
    slow test, draw 0 at T = 32 scored 98.6 %, above TSC's 98.4 %, while the mean of 8 draws was
    98.1 %)."""
    snn = convert(net, Xcal, method="data")
    for T in Ts:
        acc = np.mean([snn.score(Xte, yte, T, random_state=k) for k in range(draws)])
        if acc >= target:
            break
    return snn.operations()["synaptic_adds"], T


def test_mlp_methods_fast(trained_mlp):
    net, Xtr, ytr, Xte, yte = trained_mlp
    ann = net.score(Xte, yte)
    assert ann > 0.95
    cal = Xtr[:500]
    assert convert(net, cal, method="data").score(Xte, yte, 200, random_state=0) >= ann - 0.02
    assert convert(net, cal, method="model").score(Xte, yte, 200, random_state=0) >= ann - 0.03
    pct = convert(net, cal, method="percentile")
    assert pct.reset == "subtract" and pct.input_coding == "analog"
    assert pct.score(Xte, yte, 64) >= ann - 0.03
    assert pct.score(Xte, yte, 200) >= ann - 0.005
    shift = convert(net, cal, method="shift")
    assert shift.score(Xte, yte, 32) >= ann - 0.01
    assert shift.score(Xte, yte, 16) >= pct.score(Xte, yte, 16)
    # where the flooring error matters (T = 4 on the digits), the shift clearly wins
    assert shift.score(Xte, yte, 4) > pct.score(Xte, yte, 4) + 0.01


def test_mlp_tsc_fast(trained_mlp):
    net, Xtr, ytr, Xte, yte = trained_mlp
    ann = net.score(Xte, yte)
    tsc = convert(net, Xtr[:500], method="tsc")
    acc = tsc.score(Xte, yte, 64)
    assert acc >= ann - 0.005
    ops = tsc.operations()
    assert ops["latency"] == 64 * 3
    # two additions per synapse of every active neuron: bounded by 2 x synapses
    n_syn = sum(b.layer.weight.size for b in tsc.blocks)
    assert ops["synaptic_adds"] <= 2 * n_syn
    assert max(ops["spikes_per_layer"][1:]) <= 2 * 128
    rate_ac, T = _rate_ac_at_accuracy(net, Xtr[:500], Xte, yte, acc, (32, 64, 128, 256), draws=2)
    assert rate_ac is not None, "rate coding never reached the TSC accuracy"
    assert rate_ac >= 5 * ops["synaptic_adds"]


def test_cnn_fast(trained_cnn):
    net, Xtr, ytr, Xte, yte = trained_cnn
    ann = net.score(Xte, yte)
    assert ann > 0.9
    pct = convert(net, Xtr[:300], method="percentile")
    assert pct.score(Xte, yte, 64) >= ann - 0.03
    tsc = convert(net, Xtr[:300], method="tsc")
    assert tsc.score(Xte, yte, 64) >= ann - 0.01
    rep = pct.report(Xte[:100], yte[:100], timesteps=(8, 32))
    text = rep.table()
    assert "| 32 |" in text and "Horowitz" in text
    assert rep.rows[1]["synaptic_adds"] > rep.rows[0]["synaptic_adds"] > 0


def test_max_pool_cnn_converts():
    Xtr, ytr, Xte, yte = _split(1)
    Xtr, Xte = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
    mx = small_cnn((1, 8, 8), channels=(4, 8), pool="max", batch_norm=False, random_state=1).fit(
        Xtr, ytr, epochs=4, batch_size=32, learning_rate=3e-3, random_state=1)
    ann = mx.score(Xte, yte)
    snn = convert(mx, Xtr[:200], method="shift")
    assert snn.score(Xte, yte, 64) >= ann - 0.04


# ---------------------------------------------------------------------------- slow: 5 seeds
SEEDS = range(5)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_issue_criteria_five_seeds(kind):
    rows = []
    for seed in SEEDS:
        net, Xtr, ytr, Xte, yte = _mlp(seed) if kind == "mlp" else _cnn(seed, channels=(16, 32), epochs=12)
        ann = net.score(Xte, yte)
        cal = Xtr[:500]
        data = convert(net, cal, method="data").score(Xte, yte, 500, random_state=seed)
        pct = convert(net, cal, method="percentile", percentile=99.9)
        p200, p64, p4 = (pct.score(Xte, yte, T) for T in (200, 64, 4))
        shift = convert(net, cal, method="shift")
        s32, s4 = shift.score(Xte, yte, 32), shift.score(Xte, yte, 4)
        tsc = convert(net, cal, method="tsc")
        t64 = tsc.score(Xte, yte, 64)
        tsc_ac = tsc.operations()["synaptic_adds"]
        # "equal accuracy": the rate network's mean accuracy reaches TSC's own. With the former
        # target t64 - 0.005 the claim is false on seed 3 (CNN): there rate coding is within 0.5
        # points of TSC already at T = 32 (mean of 8 draws 98.1 % vs 98.4 %) with only 2.3x TSC's
        # additions; it first matches TSC at T = 128 (98.5 %), with 9.6x (RESULTS.md, conversion).
        rate_ac, _ = _rate_ac_at_accuracy(net, cal, Xte, yte, t64, (32, 64, 128, 256, 512))
        rows.append((ann, data, p200, p64, s32, s4, p4, t64, tsc_ac, rate_ac))
        assert data >= ann - 0.02
        assert p200 >= ann - 0.005
        assert p64 >= ann - 0.03
        assert s32 >= ann - 0.01
        assert t64 >= ann - 0.005
        assert rate_ac is not None and rate_ac >= 5 * tsc_ac
    r = np.array([row[:8] for row in rows])
    # shift beats no shift at short T, over the seeds (at T = 16 the digits are already saturated:
    # both are within a sample or two of the ANN, see RESULTS.md)
    assert r[:, 5].mean() > r[:, 6].mean()
