"""PESRegressor / PESClassifier: learning functions and digits online, API contract, bad input."""
import numpy as np
import pytest
from spikecore.datasets import load_digits

from spikecore import nef
from spikecore.learning import PESClassifier, PESRegressor


def _split(seed=0):
    X, y = load_digits(return_X_y=True)
    idx = np.random.default_rng(seed).permutation(len(X))
    n = int(0.75 * len(X))
    return X[idx[:n]], y[idx[:n]], X[idx[n:]], y[idx[n:]]


def test_regressor_learns_sine_spiking():
    x = np.linspace(-1, 1, 200)[:, None]
    y = np.sin(np.pi * x[:, 0])
    reg = PESRegressor(random_state=0).fit(x, y)
    pred = reg.predict(x)
    assert pred.shape == (200,)
    assert np.sqrt(np.mean((pred - y) ** 2)) < 0.1
    assert reg.score(x, y) > 0.95


def test_regressor_multi_output_and_range_partial_fit():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 4, (300, 2))
    Y = np.stack([np.sin(X[:, 0]), X[:, 0] * X[:, 1] / 16], axis=1)
    reg = PESRegressor(n_neurons=300, input_range=(0, 4), mode="rate", random_state=1, n_epochs=1)
    reg.partial_fit(X, Y)
    first = np.sqrt(np.mean((reg.predict(X) - Y) ** 2))
    for _ in range(8):
        reg.partial_fit(X, Y)
    later = np.sqrt(np.mean((reg.predict(X) - Y) ** 2))
    assert reg.predict(X).shape == (300, 2)
    assert later < first and later < 0.1
    np.testing.assert_array_equal(reg.input_center_, [2.0, 2.0])
    for name in ("encoders_", "gain_", "bias_", "decoders_", "input_center_", "input_scale_"):
        assert isinstance(getattr(reg, name), np.ndarray)


def test_regressor_seeded_and_params():
    x = np.linspace(-1, 1, 50)[:, None]
    a = PESRegressor(random_state=3, n_epochs=2).fit(x, x[:, 0] ** 2)
    b = PESRegressor(random_state=3, n_epochs=2).fit(x, x[:, 0] ** 2)
    np.testing.assert_array_equal(a.decoders_, b.decoders_)
    assert a.get_params()["n_neurons"] == 200
    assert "random_state=3" in repr(a)


def test_digits_least_squares_readout_of_256_neurons():
    Xtr, ytr, Xte, yte = _split()
    clf = PESClassifier(random_state=0)
    clf._check_params()
    clf.classes_ = np.unique(ytr)
    clf._init_model(Xtr.astype(np.float64), 10)
    Z = clf._scale(Xtr.astype(np.float64))
    A = clf._rates(Z)
    D, _ = nef.LstsqL2(reg=0.1)(A, np.eye(10)[ytr])
    acc = np.mean(np.argmax(clf._rates(clf._scale(Xte.astype(np.float64))) @ D, axis=1) == yte)
    assert acc >= 0.88


def test_digits_pes_readout_rate_fast():
    Xtr, ytr, Xte, yte = _split()
    clf = PESClassifier(mode="rate", synapse=None, pre_synapse=None, presentation_time=0.001,
                        random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.85


@pytest.mark.slow
def test_digits_pes_readout_spiking():
    Xtr, ytr, Xte, yte = _split()
    clf = PESClassifier(random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.85


def test_classifier_labels_and_partial_fit():
    X, y = load_digits(return_X_y=True)
    names = np.array(["zero", "one", "two"])
    sel = y < 3
    labels = names[y[sel]]
    clf = PESClassifier(n_neurons=100, mode="rate", n_epochs=2, random_state=0)
    clf.partial_fit(X[sel][:100], labels[:100], classes=names)
    for _ in range(3):
        clf.partial_fit(X[sel][100:], labels[100:])
    assert set(clf.predict(X[sel])) <= set(names)
    assert clf.score(X[sel], labels) > 0.9
    assert clf.decision_function(X[sel][:5]).shape == (5, 3)
    with pytest.raises(ValueError, match="y"):
        clf.partial_fit(X[:3], ["ten", "one", "two"])


def test_estimator_bad_input():
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match="n_neurons"):
        PESRegressor(n_neurons=0).fit(x, np.zeros(10))
    with pytest.raises(ValueError, match="y"):
        PESRegressor().fit(x, np.zeros(9))
    with pytest.raises(ValueError, match="input_range"):
        PESRegressor(input_range=(1, 0)).fit(x, np.zeros(10))
    with pytest.raises(ValueError, match="presentation_time"):
        PESRegressor(presentation_time=1e-4).fit(x, np.zeros(10))
    reg = PESRegressor(n_epochs=1, mode="rate").fit(np.random.default_rng(0).uniform(-1, 1, (20, 2)), np.zeros(20))
    with pytest.raises(ValueError, match="features"):
        reg.predict(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="not fitted"):
        PESClassifier().predict(x)


def test_features_in_different_units_get_one_scale_each():
    # two informative features, the second recorded in units 1000 times smaller: without a
    # scale per feature the first would be squeezed to nothing by the second's spread
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    X_units = X * np.array([1.0, 1000.0])
    tr, te = slice(0, 200), slice(200, None)
    same = PESClassifier(n_neurons=100, random_state=0).fit(X[tr], y[tr])
    mixed = PESClassifier(n_neurons=100, random_state=0).fit(X_units[tr], y[tr])
    np.testing.assert_allclose(same.input_scale_[0], same.input_scale_[1])       # one scale
    np.testing.assert_allclose(mixed.input_scale_[1] / mixed.input_scale_[0],
                               X_units[tr, 1].std() / X_units[tr, 0].std())      # one per feature
    assert mixed.score(X_units[te], y[te]) >= same.score(X[te], y[te]) - 0.05 >= 0.8
