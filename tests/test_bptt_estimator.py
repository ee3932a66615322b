"""SurrogateGradientClassifier: learning on real data, scikit-learn conventions, bad input."""
import os
import pickle
import sys

import numpy as np
import pytest

from spikecore.learning import NotFittedError, SurrogateGradientClassifier

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers module beside this file
from _bptt_helpers import _digits, _split  # noqa: E402


def test_digits_learns_fast():
    """CI version of the digits target: 8 epochs of the default 64-100-10 network, T = 25.
    Chance is 10 %; a linear read-out of raw pixels trained this briefly is ~90 %."""
    Xtr, Xte, ytr, yte = _split(*_digits())
    clf = SurrogateGradientClassifier(max_epochs=8, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.85
    assert len(clf.history_) == clf.n_epochs_ == 8
    assert clf.history_[-1] < clf.history_[0] / 3


@pytest.mark.slow
@pytest.mark.parametrize("params", [
    {},  # defaults: direct current, membrane readout, cross-entropy, Adam
    {"readout": "spike_count"},
    {"readout": "spike_count", "loss": "mse_count"},
    {"encoding": "rate"},
    {"optimizer": "sgd", "learning_rate": 0.01},
    {"reset": "hard", "surrogate": "arctan", "train_beta": True, "train_threshold": True},
])
def test_digits_mlp_reaches_95_percent(params):
    """Issue 10 target: digits MLP 64-100-10 LIF, T = 25, test accuracy >= 95 % (75/25 split)."""
    Xtr, Xte, ytr, yte = _split(*_digits())
    clf = SurrogateGradientClassifier(hidden_layer_sizes=(100,), n_steps=25, random_state=0,
                                      **params).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.95


def test_defaults_work_on_other_tabular_data():
    """Untuned defaults on data of another kind: 3 Gaussian blobs in 6-D with different
    scales and offsets per feature (the estimator standardises), and a 2-D non-linear XOR-like
    problem (sign of x0*x1) that no linear model solves."""
    rng = np.random.default_rng(1)
    centers = rng.normal(0, 3, size=(3, 6))
    y = rng.integers(0, 3, size=450)
    X = (centers[y] + rng.normal(size=(450, 6))) * np.array([1, 10, 100, 0.1, 1, 5]) + 40
    Xtr, Xte, ytr, yte = _split(X, y)
    assert SurrogateGradientClassifier(random_state=0).fit(Xtr, ytr).score(Xte, yte) >= 0.95
    X = rng.uniform(-1, 1, size=(600, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, "same", "different")
    Xtr, Xte, ytr, yte = _split(X, y)
    clf = SurrogateGradientClassifier(random_state=0).fit(Xtr, ytr)
    assert set(clf.classes_) == {"same", "different"}
    assert clf.score(Xte, yte) >= 0.9


def test_iris_if_available():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_iris(return_X_y=True)
    Xtr, Xte, ytr, yte = _split(X, y, test=0.3)
    assert SurrogateGradientClassifier(random_state=0).fit(Xtr, ytr).score(Xte, yte) >= 0.9


def test_probabilities_repeatability_and_params():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0)
    kw = dict(max_epochs=3, hidden_layer_sizes=(8,), n_steps=5, random_state=7)
    a = SurrogateGradientClassifier(**kw).fit(X, y)
    b = SurrogateGradientClassifier(**kw).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    p = a.predict_proba(X)
    assert p.shape == (60, 4)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(a.predict(X), a.classes_[p.argmax(axis=1)])
    assert a.n_features_in_ == 3
    params = a.get_params()
    assert params["n_steps"] == 5 and params["verbose"] is False
    assert a.set_params(n_steps=9).n_steps == 9
    with pytest.raises(ValueError, match="parameter name = 'nsteps'"):
        a.set_params(nsteps=9)
    c = pickle.loads(pickle.dumps(b))
    np.testing.assert_array_equal(c.predict(X), b.predict(X))
    assert "n_steps=5" in repr(b)
    # rate encoding is random during training but predictions are repeatable
    r = SurrogateGradientClassifier(encoding="rate", **kw).fit(X, y)
    np.testing.assert_array_equal(r.predict_proba(X), r.predict_proba(X))


def test_verbose_progress_bar(capsys):
    X = np.random.default_rng(0).normal(size=(20, 2))
    SurrogateGradientClassifier(max_epochs=2, n_steps=3, hidden_layer_sizes=(4,), verbose=True,
                                random_state=0).fit(X, X[:, 0] > 0)
    assert "SurrogateGradientClassifier" in capsys.readouterr().err


def test_early_stopping_keeps_validation_scores():
    Xtr, Xte, ytr, yte = _split(*_digits())
    clf = SurrogateGradientClassifier(early_stopping=True, n_iter_no_change=2, max_epochs=30,
                                      random_state=0).fit(Xtr, ytr)
    assert len(clf.validation_scores_) == clf.n_epochs_ <= 30
    assert max(clf.validation_scores_) >= 0.85


@pytest.mark.parametrize("kwargs,X,y,exc,match", [
    ({}, np.zeros((4, 2)), [0, 1, 0], ValueError, r"y = '<array of length 3>': expected one label per row of X \(4"),
    ({}, np.array([[0.0, np.nan], [1, 1]]), [0, 1], ValueError, r"X = .*nan.*finite"),
    ({}, np.zeros(4), [0, 1, 0, 1], ValueError, "X = .*2-D"),
    ({}, np.zeros((4, 2)), [0, 0, 0, 0], ValueError, "at least 2 classes"),
    ({}, np.zeros((4, 2)), [0.5, 1, 0, 1], ValueError, "continuous"),
    ({}, np.zeros((4, 2)), None, ValueError, "y is None"),
    ({"n_steps": 0}, np.zeros((4, 2)), [0, 1, 0, 1], ValueError, "n_steps = 0: expected an integer >= 1"),
    ({"n_steps": -3}, np.zeros((4, 2)), [0, 1, 0, 1], ValueError, "n_steps = -3"),
    ({"surrogate": "relu"}, np.zeros((4, 2)), [0, 1, 0, 1], ValueError, "surrogate = 'relu'"),
    ({"beta": 1.5}, np.zeros((4, 2)), [0, 1, 0, 1], ValueError, "beta = 1.5"),
    ({"loss": "mse_count"}, np.zeros((4, 2)), [0, 1, 0, 1], ValueError, "readout='spike_count'"),
    ({"hidden_layer_sizes": (10, 0)}, np.zeros((4, 2)), [0, 1, 0, 1], ValueError, "hidden_layer_sizes = 0"),
])
def test_bad_input_errors(kwargs, X, y, exc, match):
    with pytest.raises(exc, match=match):
        SurrogateGradientClassifier(max_epochs=1, **kwargs).fit(X, y)


def test_predict_errors():
    clf = SurrogateGradientClassifier(max_epochs=1, n_steps=2, hidden_layer_sizes=(3,))
    with pytest.raises(NotFittedError, match="not fitted"):
        clf.predict(np.zeros((2, 2)))
    clf.fit(np.arange(8.0).reshape(4, 2), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="X has 3 features, but SurrogateGradientClassifier is expecting 2"):
        clf.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="inf"):
        clf.predict_proba(np.array([[0.0, np.inf]]))


def test_scikit_learn_check_estimator():
    """scikit-learn's own conformance checks (test-only dependency): every check passes.

    ``check_estimators_unfitted`` requires ``sklearn.exceptions.NotFittedError``: spikecore raises
    its own ``NotFittedError``, which is also a subclass of scikit-learn's whenever scikit-learn
    is imported (``spikecore.learning.base.sklearn_compatible``). Checks that skip themselves
    (array-API, pandas when absent) are reported by scikit-learn as skipped, not failed.
    """
    estimator_checks = pytest.importorskip("sklearn.utils.estimator_checks")
    results = estimator_checks.check_estimator(SurrogateGradientClassifier(random_state=0), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) >= 45


def test_save_and_load_hdf5(tmp_path):
    """Trained networks round-trip through spikecore's HDF5 estimator files."""
    persist = pytest.importorskip("spikecore.learning.persist")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 16)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    for kw in ({}, {"readout": "spike_count", "train_threshold": True},
               {"conv_channels": (2,), "input_shape": (4, 4), "hidden_layer_sizes": ()}):
        clf = SurrogateGradientClassifier(max_epochs=2, n_steps=4, random_state=0, **kw).fit(X, y)
        path = persist.save_estimator(clf, tmp_path / "model.h5")
        loaded, _ = persist.load_estimator(path)
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_report_and_history_after_fit():
    """report_: spikes per layer and synaptic operations per sample, checked against a count made
    here from the network's own forward pass; history: loss and accuracy per epoch."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = SurrogateGradientClassifier(hidden_layer_sizes=(7, 6), n_steps=6, max_epochs=3,
                                      encoding="rate", recurrent=True, early_stopping=True,
                                      n_iter_no_change=5, random_state=0).fit(X, y)
    rep = clf.report_
    assert rep["layers"] == ["RecurrentLIF", "RecurrentLIF"]
    np.testing.assert_array_equal(rep["neurons"], [7, 6])
    assert len(clf.history_) == len(clf.train_scores_) == len(clf.validation_scores_) \
        == len(clf.validation_loss_) == clf.n_epochs_ == 3
    assert all(0.0 <= a <= 1.0 for a in clf.train_scores_ + clf.validation_scores_)
    assert all(np.isfinite(clf.validation_loss_))
    # recount on the same (training) samples with the same input spikes
    train = np.setdiff1d(np.arange(50), clf._split(y, np.random.default_rng(0))[1])
    assert rep["n_samples"] == len(train)
    x = clf._encode(X[train], None)   # None: the frozen prediction noise
    l1, l2, out = clf.network_.layers
    s1 = l1.forward(x, 6)
    s2 = l2.forward(s1, 6)
    clf.network_.clear()
    n = len(train)
    np.testing.assert_allclose(rep["spikes_per_sample"], [s1.sum() / n, s2.sum() / n])
    np.testing.assert_allclose(rep["spike_rate"], rep["spikes_per_sample"] / [7 * 6, 6 * 6])
    assert rep["input_spikes_per_sample"] == pytest.approx(x.sum() / n)
    synops = (x.sum() * 7 + s1.sum() * 6 + s2.sum() * 2        # feed-forward fan-outs
              + s1[:-1].sum() * 7 + s2[:-1].sum() * 6)         # recurrent fan-outs
    assert rep["synaptic_operations_per_sample"] == pytest.approx(synops / n)
    assert rep["input_macs_per_sample"] == 0.0
    # direct coding: analog input -> MACs, every step
    d = SurrogateGradientClassifier(hidden_layer_sizes=(4,), n_steps=3, max_epochs=1,
                                    random_state=0).fit(X, y)
    assert d.report_["input_spikes_per_sample"] == 0.0
    assert d.report_["input_macs_per_sample"] == pytest.approx(5 * 4 * 3)


def test_save_and_load_recurrent_and_truncated(tmp_path):
    """Recurrent weights, truncation window and the report survive an HDF5 round trip; the
    loaded model predicts identically and keeps training state out of the file."""
    persist = pytest.importorskip("spikecore.learning.persist")
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 16)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    for kw in ({"recurrent": True, "truncation": 3, "train_beta": True},
               {"recurrent": True, "conv_channels": (2,), "input_shape": (4, 4), "hidden_layer_sizes": (5,),
                "readout": "spike_count", "truncation": 2}):
        clf = SurrogateGradientClassifier(max_epochs=2, n_steps=5, random_state=0, **kw).fit(X, y)
        clf.predict(X)   # inference must not leave arrays behind in the saved file
        path = persist.save_estimator(clf, tmp_path / "model.h5")
        loaded, _ = persist.load_estimator(path)
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
        rec = [layer for layer in loaded.network_.layers if hasattr(layer, "weight_rec")]
        assert rec and all(r.weight_rec.shape == (5 if "conv_channels" in kw else 100,) * 2 for r in rec)
        np.testing.assert_array_equal(rec[0].weight_rec, [la for la in clf.network_.layers
                                                          if hasattr(la, "weight_rec")][0].weight_rec)
        assert loaded.network_.truncation == kw["truncation"] and loaded.truncation == kw["truncation"]
        np.testing.assert_array_equal(loaded.report_["spikes_per_sample"], clf.report_["spikes_per_sample"])
        with h5py.File(path, "r") as f:
            kept = []
            f.visititems(lambda name, obj: kept.append(name) if name.rsplit("/", 1)[-1] in
                         ("_state", "_x", "_cols", "_pending", "initial_state") and
                         obj.attrs.get("kind") != "none" else None)
        assert kept == []
