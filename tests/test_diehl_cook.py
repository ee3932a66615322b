"""The Diehl & Cook (2015) network: learning happens (fast), the target accuracy is reached (slow)."""
import numpy as np
import pytest
from spikecore.datasets import load_digits

from spikecore.learning import DiehlCookClassifier, NotFittedError, PairSTDP


def _split(n_train, n_test, seed=0):
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    X, y = X[order], y[order]
    return X[:n_train], y[:n_train], X[n_train: n_train + n_test], y[n_train: n_train + n_test]


def test_learning_happens_quickly():
    # 300 samples, 40 neurons, 0.2 s presentations: well above the 10 % chance level
    Xtr, ytr, Xte, yte = _split(300, 200)
    clf = DiehlCookClassifier(n_neurons=40, t_present=0.2, random_state=0).fit(Xtr, ytr)
    acc = clf.score(Xte, yte)
    assert acc > 0.5, acc
    # an untrained network (no plasticity, random weights) is much worse
    frozen = DiehlCookClassifier(n_neurons=40, t_present=0.2, nu_pre=0.0, nu_post=0.0,
                                 random_state=0).fit(Xtr, ytr)
    assert acc > frozen.score(Xte, yte) + 0.1


def test_fitted_state_is_plain_arrays_and_reproducible():
    Xtr, ytr, Xte, yte = _split(120, 60)
    kw = dict(n_neurons=12, t_present=0.1, random_state=3)
    a = DiehlCookClassifier(**kw).fit(Xtr, ytr)
    b = DiehlCookClassifier(**kw).fit(Xtr, ytr)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.predict(Xte), b.predict(Xte))
    assert a.weights_.shape == (12, 64) and a.weights_.dtype == np.float32
    assert a.theta_.shape == (12,) and a.assignments_.shape == (12,)
    fitted = {k: v for k, v in vars(a).items() if k.endswith("_") and not k.startswith("_")}
    for k, v in fitted.items():
        if k in ("history_", "report_"):
            continue
        assert isinstance(v, (np.ndarray, int, float, np.integer, np.floating)), k
    # a copy made from the fitted arrays alone predicts the same (what an HDF5 round trip does)
    c = DiehlCookClassifier(**kw)
    for k, v in fitted.items():
        setattr(c, k, v)
    np.testing.assert_array_equal(c.predict(Xte), a.predict(Xte))
    assert a.report_["phase"] == "fit"
    counts, rep = a.transform_with_report(Xte)
    np.testing.assert_array_equal(counts, a.transform(Xte))
    assert rep["phase"] == "predict" and rep["n_samples"] == 60
    assert rep["synaptic_operations"] == rep["input_spikes"] * 12 + rep["output_spikes"] * 11
    assert len(a.history_) == 1 and 0.0 <= a.history_[0] <= 1.0
    # normalisation holds after training
    np.testing.assert_allclose(a.weights_.sum(axis=1), 6.4, rtol=1e-4)


def test_other_rules_and_string_labels():
    Xtr, ytr, Xte, _ = _split(80, 20)
    labels = np.array(list("abcdefghij"))[ytr]
    clf = DiehlCookClassifier(n_neurons=10, t_present=0.05, rule="pre_trace", random_state=0)
    assert set(clf.fit(Xtr, labels).predict(Xte)) <= set(labels)
    clf = DiehlCookClassifier(n_neurons=10, t_present=0.05, rule=PairSTDP(a_plus=0.01), random_state=0)
    clf.fit(Xtr * 3.0 - 5.0, ytr)  # any range: scaled by the data's range


def test_bad_input_is_named():
    Xtr, ytr, _, _ = _split(30, 0)
    with pytest.raises(NotFittedError):
        DiehlCookClassifier().predict(Xtr)
    with pytest.raises(ValueError, match="X"):
        DiehlCookClassifier(n_neurons=4, t_present=0.01).fit(np.where(Xtr > 0.5, np.nan, Xtr), ytr)
    with pytest.raises(ValueError, match="complement"):
        DiehlCookClassifier(complement="yes", t_present=0.01).fit(Xtr, ytr)


def test_standardised_features_are_scaled_per_feature_and_population_coded():
    Xtr, ytr, _, _ = _split(60, 0)
    mean, std = Xtr.mean(axis=0), Xtr.std(axis=0) + 1e-9
    Z = (Xtr - mean) / std  # standardised: negative values, like most tabular pipelines
    clf = DiehlCookClassifier(n_neurons=10, t_present=0.05, random_state=0).fit(Z, ytr)
    varying = np.flatnonzero(Z.max(axis=0) > Z.min(axis=0))  # the always-dark border pixels are constant
    assert 0 < varying.size < 64
    np.testing.assert_array_equal(clf.features_, varying)  # constant features are left out
    assert clf.receptive_fields_ == 10 and not clf.complement_  # tabular: Gaussian fields
    assert clf.weights_.shape == (10, 10 * varying.size)
    np.testing.assert_allclose(clf.x_min_, Z.min(axis=0).astype(np.float32))
    comp = DiehlCookClassifier(n_neurons=10, t_present=0.05, receptive_fields=None, random_state=0).fit(Z, ytr)
    assert comp.complement_ and comp.receptive_fields_ == 0 and comp.weights_.shape == (10, 2 * varying.size)
    plain = DiehlCookClassifier(n_neurons=10, t_present=0.05, receptive_fields=None, complement=False,
                                random_state=0).fit(Z, ytr)
    assert not plain.complement_ and plain.weights_.shape == (10, varying.size)
    four = DiehlCookClassifier(n_neurons=10, t_present=0.05, receptive_fields=4, random_state=0).fit(Z, ytr)
    assert four.receptive_fields_ == 4 and four.weights_.shape == (10, 4 * varying.size)
    images = DiehlCookClassifier(n_neurons=10, t_present=0.05, random_state=0).fit(Xtr, ytr)
    assert not images.complement_ and images.receptive_fields_ == 0
    assert images.weights_.shape == (10, 64)  # digits: one global range, pixels as they are
    np.testing.assert_array_equal(images.features_, np.arange(64))  # every pixel kept (dark ones are silent)
    shifted = DiehlCookClassifier(n_neurons=10, t_present=0.05, random_state=0).fit(Xtr + 5.0, ytr)
    assert shifted.receptive_fields_ == 10  # no shared zero baseline: measurements, scaled per feature
    with pytest.raises(ValueError, match="receptive_fields"):
        DiehlCookClassifier(receptive_fields=2).fit(Z, ytr)


def test_class_sizes_weigh_the_label_assignment():
    # 90/10 classes: the paper's rule (argmax of the average response) gives the rare class as
    # many neurons as the common one and scores below always answering the common class;
    # weighing by class size ("total", the default) does not
    rng = np.random.default_rng(1)

    def data(n0, n1):
        X = rng.standard_normal((n0 + n1, 8))
        X[n0:, :4] += 1.5
        y = np.r_[np.zeros(n0, int), np.ones(n1, int)]
        order = rng.permutation(n0 + n1)
        return X[order], y[order]

    Xtr, ytr = data(270, 30)
    Xte, yte = data(180, 20)
    total = DiehlCookClassifier(n_neurons=30, t_present=0.1, random_state=0).fit(Xtr, ytr)
    mean = DiehlCookClassifier(n_neurons=30, t_present=0.1, assignment="mean", random_state=0).fit(Xtr, ytr)
    assert np.array_equal(total.weights_, mean.weights_)  # the same network, only the labels differ
    assert total.score(Xte, yte) >= 0.85  # 0.90; "mean": 0.62, always-class-0: 0.90
    counts = np.bincount(ytr)
    fired = (total.class_rates_ > 0).any(axis=0)  # a neuron silent for every sample is unassigned (-1)
    np.testing.assert_array_equal(total.assignments_,
                                  np.where(fired, (total.class_rates_ * counts[:, None]).argmax(axis=0), -1))
    np.testing.assert_array_equal(mean.assignments_, np.where(fired, mean.class_rates_.argmax(axis=0), -1))
    # balanced classes: the two rules are the same
    Xb, yb, _, _ = _split(200, 0)
    keep = np.concatenate([np.flatnonzero(yb == c)[:4] for c in range(10)])  # 4 per class
    assert np.all(np.bincount(yb[keep]) == 4)
    a = DiehlCookClassifier(n_neurons=10, t_present=0.05, random_state=0).fit(Xb[keep], yb[keep])
    b = DiehlCookClassifier(n_neurons=10, t_present=0.05, assignment="mean", random_state=0).fit(Xb[keep], yb[keep])
    np.testing.assert_array_equal(a.assignments_, b.assignments_)
    with pytest.raises(ValueError, match="assignment"):
        DiehlCookClassifier(assignment="max", t_present=0.01).fit(Xtr, ytr)


def test_input_coding_lifts_iris():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split
    X, y = sklearn_datasets.load_iris(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    comp = DiehlCookClassifier(receptive_fields=None, random_state=0).fit(Xtr, ytr)
    assert comp.complement_ and comp.weights_.shape == (100, 8)
    assert comp.score(Xte, yte) >= 0.75  # 0.82; chance 0.33, without complement coding 0.60
    clf = DiehlCookClassifier(random_state=0).fit(Xtr, ytr)
    assert clf.receptive_fields_ == 10 and clf.weights_.shape == (100, 40)
    assert clf.score(Xte, yte) >= 0.9  # 10 Gaussian fields per feature (the default)
    with pytest.raises(ValueError, match="rule"):
        DiehlCookClassifier(rule="hebb", t_present=0.01).fit(Xtr, ytr)
    with pytest.raises(ValueError, match="max_rate"):
        DiehlCookClassifier(max_rate=900.0, t_present=0.01).fit(Xtr, ytr)
    with pytest.raises(ValueError, match="n_neurons"):
        DiehlCookClassifier(n_neurons=0).fit(Xtr, ytr)


@pytest.mark.slow
def test_reaches_85_percent_with_100_neurons():
    # the documented main-job result: 100 neurons, one unsupervised pass over 1347 digits,
    # accuracy on the 450 held-out digits (seed 0)
    Xtr, ytr, Xte, yte = _split(1347, 450)
    clf = DiehlCookClassifier(n_neurons=100, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.85


def test_more_epochs_do_not_silence_a_low_dimensional_layer():
    # One feature, three classes: the weak input (weight sum W = 1) cannot overcome thresholds
    # that keep rising. With the paper's tau_theta = 1e4 s the thresholds never reach their decay
    # equilibrium, so each epoch raised them until the layer barely fired even at the last rate
    # boost: 0.92 after one epoch, 0.66 after three, with 5.8 -> 0.9 test spikes per sample.
    # tau_theta="auto" (here 30 * 0.2 * 1 / (5 * 0.02) = 60 s) lets them settle where the layer
    # still fires: 1.0 after one epoch and after three, 6.4 and 6.5 spikes.
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 50)
    X = (rng.normal(0.0, 0.35, y.size) + 1.5 * y)[:, None] + 20.0
    test = np.arange(y.size) % 4 == 0
    kw = dict(n_neurons=30, t_present=0.2, random_state=0)
    one = DiehlCookClassifier(n_epochs=1, **kw).fit(X[~test], y[~test])
    three = DiehlCookClassifier(n_epochs=3, **kw).fit(X[~test], y[~test])
    spikes_one = one.transform(X[test]).sum(axis=1).mean()
    spikes_three = three.transform(X[test]).sum(axis=1).mean()
    assert spikes_three >= 0.5 * spikes_one, (spikes_one, spikes_three)
    assert three.score(X[test], y[test]) >= one.score(X[test], y[test]) - 0.05
    assert one.score(X[test], y[test]) >= 0.9
    assert one.tau_theta_ == pytest.approx(30 * 0.2 * 1.0 / (5 * 0.02))
    # 20 features x 10 fields: W = 20; with the default 100 neurons and 0.5 s the formula gives
    # 100 * 0.5 * 20 / 0.1 = 1e4 s, the paper's value, which is also the upper bound
    wide = DiehlCookClassifier(n_neurons=4, t_present=0.01, random_state=0)
    wide.fit(rng.normal(size=(12, 20)), np.arange(12) % 2)
    assert wide.tau_theta_ == pytest.approx(4 * 0.01 * 20 / (5 * 0.02))
    assert DiehlCookClassifier(n_neurons=100, t_present=0.5, random_state=0).fit(
        rng.normal(size=(12, 20)), np.arange(12) % 2).tau_theta_ == 1e4
    assert DiehlCookClassifier(tau_theta=123.0, n_neurons=4, t_present=0.01).fit(
        X[::10], y[::10]).tau_theta_ == 123.0
    with pytest.raises(ValueError, match="tau_theta"):
        DiehlCookClassifier(tau_theta="long", t_present=0.01).fit(X, y)
    with pytest.raises(ValueError, match="tau_theta"):
        DiehlCookClassifier(tau_theta=0.0, t_present=0.01).fit(X, y)
