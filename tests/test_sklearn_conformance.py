"""scikit-learn's own estimator checks (``check_estimator``) on every spikecore estimator.

scikit-learn is a test-only dependency (skipped when absent). Each estimator runs the full
``check_estimator`` with small, fast hyper-parameters; every check must pass except the ones
named in ``EXPECTED_FAILURES`` with the reason. The defaults are checked too, in the slow set.
"""
import pickle
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.exceptions import DataConversionWarning as SkDataConversionWarning
from sklearn.exceptions import NotFittedError as SkNotFittedError
from sklearn.utils.estimator_checks import check_estimator

from spikecore.learning import (
    BPSTDPClassifier,
    DiehlCookClassifier,
    PESClassifier,
    PESRegressor,
    ReSuMeClassifier,
    SpikePropClassifier,
    SurrogateGradientClassifier,
)
from spikecore.learning.base import DataConversionWarning, NotFittedError

# Small settings: every check of scikit-learn still runs, on fewer epochs / steps / neurons.
FAST = {
    "SurrogateGradientClassifier": SurrogateGradientClassifier(hidden_layer_sizes=(16,), max_epochs=30),
    "SurrogateGradientClassifier-rate": SurrogateGradientClassifier(hidden_layer_sizes=(16,), max_epochs=30,
                                                                    encoding="rate", n_steps=20),
    "BPSTDPClassifier": BPSTDPClassifier(hidden_layer_sizes=(30,), max_epochs=30),
    "BPSTDPClassifier-poisson": BPSTDPClassifier(hidden_layer_sizes=(30,), max_epochs=30, encoding="poisson"),
    "SpikePropClassifier": SpikePropClassifier(epochs=5),
    "ReSuMeClassifier": ReSuMeClassifier(epochs=2),
    "PESClassifier": PESClassifier(n_neurons=100, n_epochs=5),
    "PESRegressor": PESRegressor(n_neurons=100, n_epochs=10),
    "DiehlCookClassifier": DiehlCookClassifier(n_neurons=20, t_present=0.1),
}

# Checks allowed to fail, per case, with the reason (scikit-learn's documented mechanism,
# ``check_estimator(expected_failed_checks=...)``). Anything else failing fails the test.
EXPECTED_FAILURES = {
    "BPSTDPClassifier-poisson": {
        # accuracy > 0.83 on the training blobs: Poisson count noise at T = 50 steps costs
        # accuracy (documented in BPSTDPClassifier: 77-90 % here, depending on the seed);
        # the default regular encoding passes.
        "check_classifiers_train": "Poisson input noise at n_steps=50 (documented accuracy cost)",
    },
}


# spikecore's base classes mimic scikit-learn's without inheriting from them (no run-time
# dependency), which scikit-learn notes with a UserWarning.
pytestmark = pytest.mark.filterwarnings("ignore:Estimator .* does not inherit from:UserWarning")


def _run(case, estimator):
    results = check_estimator(estimator, on_fail=None, on_skip=None,
                              expected_failed_checks=EXPECTED_FAILURES.get(case, {}))
    failed = sorted({(r["check_name"], str(r["exception"]).split("\n")[0][:200])
                     for r in results if r["status"] == "failed"})
    assert failed == [], failed
    assert sum(r["status"] == "passed" for r in results) >= 40


@pytest.mark.parametrize("case", sorted(FAST))
def test_check_estimator_fast_settings(case):
    _run(case, FAST[case])


@pytest.mark.slow
@pytest.mark.parametrize("cls", [SurrogateGradientClassifier, BPSTDPClassifier, SpikePropClassifier,
                                 ReSuMeClassifier, PESClassifier, PESRegressor, DiehlCookClassifier],
                         ids=lambda c: c.__name__)
def test_check_estimator_defaults(cls):
    _run(cls.__name__, cls())


# ---------------------------------------------------------------------- the shared base classes
def test_not_fitted_error_is_both_classes_and_pickles():
    with pytest.raises(NotFittedError) as info:
        ReSuMeClassifier().predict(np.zeros((2, 2)))
    assert isinstance(info.value, SkNotFittedError)
    assert isinstance(info.value, (ValueError, AttributeError))
    assert "ReSuMeClassifier" in str(info.value) and "not fitted" in str(info.value)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is type(info.value) and again.args == info.value.args
    with pytest.raises(SkNotFittedError):
        PESRegressor().predict(np.zeros((2, 2)))


def test_column_vector_y_warns_with_both_classes():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.warns(DataConversionWarning) as record:
        ReSuMeClassifier(epochs=1).fit(X, np.array([[0], [1]] * 3))
    assert any(issubclass(w.category, SkDataConversionWarning) for w in record)


def test_import_spikecore_does_not_import_sklearn(tmp_path):
    code = ("import sys, spikecore, spikecore.learning\n"
            "from spikecore.learning import base\n"
            "assert base.sklearn_compatible(base.NotFittedError) is base.NotFittedError\n"
            "assert not any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules)\n")
    # run outside the source tree, so the installed package is imported (as a user would)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_predictions_do_not_depend_on_the_batch():
    """A row's prediction is a function of the row alone (frozen prediction noise)."""
    rng = np.random.default_rng(0)
    X = rng.random((60, 4))
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    for est in (BPSTDPClassifier(hidden_layer_sizes=(20,), max_epochs=3, random_state=0),
                BPSTDPClassifier(hidden_layer_sizes=(20,), max_epochs=3, encoding="poisson", random_state=0),
                DiehlCookClassifier(n_neurons=10, t_present=0.05, random_state=0),
                SurrogateGradientClassifier(hidden_layer_sizes=(8,), max_epochs=3, encoding="rate",
                                            random_state=0)):
        est.fit(X, y)
        order = rng.permutation(60)
        for method in ("predict", "decision_function", "predict_proba", "transform"):
            if hasattr(est, method):
                full = getattr(est, method)(X)
                np.testing.assert_array_equal(getattr(est, method)(X[order]), full[order])
                np.testing.assert_array_equal(getattr(est, method)(X[7:9]), full[7:9])
