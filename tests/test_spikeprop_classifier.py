"""SpikePropClassifier: estimator contract, input errors, Iris (Bohte 2002) and a second dataset."""
import numpy as np
import pytest

from spikecore.learning import SpikePropClassifier, gaussian_receptive_fields


def blobs(seed, n=40):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(-1.0, 0.6, (n, 3)), rng.normal(1.0, 0.6, (n, 3))])
    y = np.repeat([3, 7], n)
    return X, y


def test_receptive_fields_follow_bohte():
    # m = 12 fields on [0, 10]: centres 0 + (2i-3)/2 * 10/10, sigma = 10 / (1.5 * 10)
    t = gaussian_receptive_fields(np.array([[1.5]]), 12, [0.0], [10.0])
    assert t.shape == (1, 12)
    centres = (2 * np.arange(1, 13) - 3) / 2.0
    r = np.exp(-(1.5 - centres) ** 2 / (2 * (1 / 1.5) ** 2))
    expected = np.where(r >= 0.1, 10e-3 * (1 - r), np.inf)
    np.testing.assert_array_equal(t[0], expected)
    assert t[0, 2] == 0.0              # centre 1.5 matches exactly: fires at 0
    assert np.isinf(t[0, 11])


def test_early_stopping_keeps_the_best_epoch_and_can_be_turned_off():
    from spikecore.learning.spikeprop import _child, _mean_error
    X, y = blobs(0)
    kw = dict(n_hidden=6, n_fields=6, epochs=40, random_state=0)
    full = SpikePropClassifier(early_stopping=False, **kw).fit(X, y)
    assert full.n_epochs_ == 40 and full.history_.shape == (40,) and full.validation_history_ is None
    assert full.best_epoch_ == 40
    es = SpikePropClassifier(n_iter_no_change=3, **kw).fit(X, y)
    val = es.validation_history_
    assert val.shape == (es.n_epochs_,) and es.best_epoch_ == int(np.argmin(val)) + 1
    # it stopped n_iter_no_change epochs after the best one, or ran out of epochs
    assert es.n_epochs_ == 40 or es.n_epochs_ - es.best_epoch_ == 3
    # the weights kept are the best epoch's: the held-out rows (drawn as fit draws them) give
    # the minimum of the validation history
    y_index = np.unique(y, return_inverse=True)[1]
    held = es._validation_rows(y_index, _child(np.random.default_rng(0)))
    assert held.sum() == 8  # 10 % of each class of 40
    x = es._encode(es._check_X(X, reset=False))
    target = es._targets(y_index)
    assert np.isclose(_mean_error(es.network_, x[held], target[held]), val.min(), rtol=1e-12)
    # a class with a single row cannot give both sets one: every row trains, every epoch
    tiny = SpikePropClassifier(n_hidden=4, n_fields=4, epochs=5, random_state=0).fit(X[[0, 1, 40]], [0, 0, 1])
    assert tiny.validation_history_ is None and tiny.n_epochs_ == 5
    # "auto" (the default) leaves multi-spike training (plateaus) to run every epoch
    multi = SpikePropClassifier(n_hidden=4, n_fields=4, epochs=3, random_state=0, multi_spike=True).fit(X, y)
    assert multi.validation_history_ is None and multi.n_epochs_ == 3


def test_early_stopping_parameters_are_checked():
    X, y = blobs(0)
    with pytest.raises(ValueError, match="validation_fraction"):
        SpikePropClassifier(epochs=1, validation_fraction=1.0).fit(X, y)
    with pytest.raises(ValueError, match="n_iter_no_change"):
        SpikePropClassifier(epochs=1, n_iter_no_change=0).fit(X, y)
    with pytest.raises(TypeError, match="early_stopping"):
        SpikePropClassifier(epochs=1, early_stopping="yes").fit(X, y)


def test_fit_predict_on_two_blobs():
    X, y = blobs(0)
    clf = SpikePropClassifier(n_hidden=6, n_fields=6, epochs=30, random_state=0).fit(X, y)
    assert set(clf.classes_) == {3, 7}
    Xt, yt = blobs(1)
    assert clf.score(Xt, yt) >= 0.9
    assert clf.history_.shape == (clf.n_epochs_,) and 1 <= clf.n_epochs_ <= 30
    assert clf.history_[-1] < clf.history_[0]
    t = clf.output_times(Xt)
    assert t.shape == (80, 2)
    # same seed -> same model
    clf2 = SpikePropClassifier(n_hidden=6, n_fields=6, epochs=30, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf2.network_.w_out, clf.network_.w_out)


def test_params_roundtrip():
    clf = SpikePropClassifier(n_hidden=4)
    p = clf.get_params()
    assert p["n_hidden"] == 4 and p["tau"] == 7e-3
    clf.set_params(epochs=5, tau=5e-3)
    assert clf.epochs == 5 and clf.tau == 5e-3
    with pytest.raises(ValueError, match="parameter name"):
        clf.set_params(n_hiden=3)


def test_bad_input_errors():
    X, y = blobs(0, 10)
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="X = .*finite"):
        SpikePropClassifier(epochs=1).fit(Xn, y)
    with pytest.raises(ValueError, match="y = .*at least 2 classes"):
        SpikePropClassifier(epochs=1).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="y = .*one label per row"):
        SpikePropClassifier(epochs=1).fit(X, y[:-1])
    with pytest.raises(ValueError, match="t_early"):
        SpikePropClassifier(epochs=1, t_early=30e-3, t_late=20e-3).fit(X, y)
    with pytest.raises(ValueError, match="tau"):
        SpikePropClassifier(epochs=1, tau=-1.0).fit(X, y)
    clf = SpikePropClassifier(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :2])
    with pytest.raises(ValueError):
        SpikePropClassifier().predict(X)


def test_verbose_progress_bar(capsys):
    X, y = blobs(0, 10)
    SpikePropClassifier(epochs=3, verbose=True, random_state=0).fit(X, y)
    assert "SpikeProp" in capsys.readouterr().err


def test_check_estimator():
    """scikit-learn's estimator checks (test-only dependency): every check must pass (all
    estimators are also checked in test_sklearn_conformance.py)."""
    pytest.importorskip("sklearn")
    from sklearn.utils.estimator_checks import check_estimator
    results = check_estimator(SpikePropClassifier(epochs=5, random_state=0), on_fail=None)
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    assert failed == set(), failed


def _iris_accuracy(n_splits, epochs=200):
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import StratifiedKFold
    X, y = datasets.load_iris(return_X_y=True)
    train, test = [], []
    for k, (tr, te) in enumerate(StratifiedKFold(n_splits, shuffle=True, random_state=0).split(X, y)):
        # 50-10-3: 4 features x 12 fields + 2 bias neurons = 50 inputs
        clf = SpikePropClassifier(n_hidden=10, n_fields=12, n_bias=2, epochs=epochs, random_state=k)
        clf.fit(X[tr], y[tr])
        assert clf.network_.w_hid.shape == (10, 50, 16)
        train.append(clf.score(X[tr], y[tr]))
        test.append(clf.score(X[te], y[te]))
    return np.mean(train), np.mean(test)


def test_iris_50_10_3_fast():
    """Fast version of the Iris check: 30 training samples (10 per class), 30 epochs, 50-10-3,
    tested on the other 120."""
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split
    X, y = datasets.load_iris(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, train_size=30, stratify=y, random_state=0)
    clf = SpikePropClassifier(n_hidden=10, n_fields=12, n_bias=2, epochs=30, random_state=0).fit(Xtr, ytr)
    assert clf.network_.w_hid.shape == (10, 50, 16)
    assert clf.score(Xtr, ytr) >= 0.95 and clf.score(Xte, yte) >= 0.85


@pytest.mark.slow
def test_iris_50_10_3_like_the_paper():
    train, test = _iris_accuracy(5)
    print("Iris 50-10-3, stratified 5-fold: train %.3f test %.3f" % (train, test))
    assert test >= 0.92


@pytest.mark.slow
def test_wine_dataset():
    """A dataset of our choosing: Wine (13 features, 3 classes), standardised, 5-fold."""
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import StratifiedKFold
    X, y = datasets.load_wine(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    acc = []
    for k, (tr, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)):
        clf = SpikePropClassifier(epochs=100, random_state=k).fit(X[tr], y[tr])
        acc.append(clf.score(X[te], y[te]))
    print("Wine 5-fold test accuracy %.3f" % np.mean(acc))
    assert np.mean(acc) >= 0.9
