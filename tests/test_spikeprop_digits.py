"""SpikeProp on many inputs: the bundled digits (64 pixels, 0..16) with default settings.

The digits have ~150 input neurons firing per pattern (Iris: ~13); the defaults scale the
learning rate by the fan-in (``reference_fan_in``), drop constant pixels (``drop_constant``)
and revive hidden neurons silent for a whole epoch (``revive_silent``). Without the scaling the
defaults ended at chance (10 %) on digits.
"""
import numpy as np
import pytest

from spikecore.datasets import load_digits
from spikecore.learning import SpikePropClassifier, SpikePropNetwork


def stratified_split(X, y, test_size, seed):
    """The split of ``spikecore train`` (seeded, ``test_size`` of each class held out)."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        test[idx[:int(round(test_size * len(idx)))]] = True
    return X[~test], y[~test], X[test], y[test]


def test_constant_features_dropped_and_rate_scaled():
    X, y = load_digits(return_X_y=True)
    X, y = X[:100], y[:100]
    clf = SpikePropClassifier(n_hidden=2, epochs=1, random_state=0).fit(X, y)
    constant = np.flatnonzero(X.min(0) == X.max(0))
    assert constant.size > 0                                   # digits has all-zero pixels
    assert not np.isin(clf.features_, constant).any()
    assert clf.features_.size + constant.size == 64
    x = clf.encode(X)
    assert x.shape[1] == clf.features_.size * 12 + 1
    n_bar = np.mean(np.sum(np.isfinite(x), axis=1))
    assert n_bar > 100
    assert clf.learning_rate_ == pytest.approx(1e4 * 16 / n_bar)
    # opting out restores the unscaled rate and every feature
    plain = SpikePropClassifier(n_hidden=2, epochs=1, random_state=0, reference_fan_in=None,
                                drop_constant=False).fit(X, y)
    assert plain.learning_rate_ == 1e4 and plain.features_.size == 64
    assert plain.encode(X).shape[1] == 64 * 12 + 1


def test_rate_unchanged_for_small_fan_in():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = np.repeat([0, 1, 2], 20)
    clf = SpikePropClassifier(n_hidden=4, epochs=1, n_bias=2, random_state=0).fit(X, y)
    assert clf.learning_rate_ == 1e4                           # Iris-sized input: Bohte's eta


def test_silent_hidden_neuron_is_revived():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 6e-3, (8, 5))
    y = np.full((8, 2), 15e-3)
    for rho in (0.1, 0.0):
        net = SpikePropNetwork(5, 3, 2, random_state=0, revive_silent=rho).initialize(x, y)
        net.w_hid[1] = -np.abs(net.w_hid[1])                   # neuron 1 can never fire
        before = net.w_hid[1].copy()
        size = np.mean(np.abs(before))
        net.train_epoch(x, y, 1e4)
        h, _ = net.forward(x)
        if rho:
            assert list(net.revived_) == [1]
            np.testing.assert_allclose(net.w_hid[1], before + rho * size)
        else:
            assert net.revived_.size == 0
            np.testing.assert_array_equal(net.w_hid[1], before)   # no gradient, no change
    # repeated epochs bring it back
    net = SpikePropNetwork(5, 3, 2, random_state=0).initialize(x, y)
    net.w_hid[1] = -np.abs(net.w_hid[1])
    for _ in range(40):
        net.train_epoch(x, y, 1e4)
    assert np.isfinite(net.forward(x)[0][:, 1]).any()


def test_digits_fast():
    """CI version: 250 training digits (25 per class), 15 epochs, default settings, tested on
    400 held-out digits; chance is 10 %. Measured: 0.73 / 0.71 / 0.79 for seeds 0 / 1 / 2; the
    old defaults (no rate scaling, constant pixels kept, no revival) gave 0.20 / 0.36 / 0.14."""
    X, y = load_digits(return_X_y=True)
    Xtr, ytr, Xte, yte = stratified_split(X, y, 0.25, 0)
    tr = np.concatenate([np.flatnonzero(ytr == c)[:25] for c in range(10)])
    clf = SpikePropClassifier(epochs=15, random_state=0).fit(Xtr[tr], ytr[tr])
    acc = clf.score(Xte[:400], yte[:400])
    h, _ = clf.network_.forward(clf.encode(Xtr[tr]))
    assert np.isfinite(h).any(axis=0).all()                     # no hidden neuron silent for good
    assert acc >= 0.6, acc


@pytest.mark.slow
def test_digits_default_settings():
    """Full bundled digits, stratified 75/25 split (seed 0, as ``spikecore train``), every
    setting at its default (up to 200 epochs, early stopping on a held-out 10 %)."""
    X, y = load_digits(return_X_y=True)
    Xtr, ytr, Xte, yte = stratified_split(X, y, 0.25, 0)
    clf = SpikePropClassifier(random_state=0).fit(Xtr, ytr)
    train, test = clf.score(Xtr, ytr), clf.score(Xte, yte)
    print("digits SpikeProp defaults: train %.3f test %.3f" % (train, test))
    assert test >= 0.8, test
