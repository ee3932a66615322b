"""Seed experiment (Kim, Lee, Song & Myung, 2019): encode digit images with the LIF and IF
neuron-model encoders, train a classifier on the spike counts, and compare its accuracy with
the same classifier on the raw images. The seed claims little information is lost.

Run the full experiment (all settings, printed as a table) with::

    python tests/test_encoding_digits.py

The test below runs the default setting only and checks the loss is small.
"""
import numpy as np
import pytest

from spikecore import encoding as E

T_STEPS = 100  # 100 steps of 1 ms
SETTINGS = {  # encoder name -> (function, keyword arguments)
    "IF  (gain 1, subtract reset)": (E.integrate_fire, {"gain": 1.0}),
    "LIF (tau 20 ms, gain 5)": (E.lif, {"gain": 5.0}),
    "LIF (tau 20 ms, gain 2)": (E.lif, {"gain": 2.0}),
}


def load_digits():
    """The bundled digits (1797 8x8 images, values 0..16); scikit-learn's copy as a fallback."""
    try:
        from spikecore.datasets import load_digits as bundled
    except ImportError:
        sklearn = pytest.importorskip("sklearn.datasets")
        X, y = sklearn.load_digits(return_X_y=True)
        return X.astype(np.float32), y.astype(np.int64)
    return bundled(return_X_y=True)


def split(n, test_fraction=0.3, seed=0):
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return order[n_test:], order[:n_test]


def softmax_regression(X_train, y_train, X_test, n_classes=10, epochs=300, lr=0.5, l2=1e-3):
    """Multinomial logistic regression, full-batch gradient descent on standardised features.

    Minimises :math:`-\\frac1N\\sum_n \\log \\mathrm{softmax}(W x_n + b)_{y_n} + \\frac{\\lambda}{2}\\|W\\|^2`.
    Returns the predicted classes of ``X_test``.
    """
    mu = X_train.mean(axis=0)
    sd = X_train.std(axis=0) + 1e-6
    A = (X_train - mu) / sd
    B = (X_test - mu) / sd
    W = np.zeros((A.shape[1], n_classes))
    b = np.zeros(n_classes)
    Y = np.eye(n_classes)[y_train]
    for _ in range(epochs):
        Z = A @ W + b
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        G = (P - Y) / len(A)
        W -= lr * (A.T @ G + l2 * W)
        b -= lr * G.sum(axis=0)
    return np.argmax(B @ W + b, axis=1)


def accuracy(features, y, train, test):
    pred = softmax_regression(features[train], y[train], features[test])
    return float((pred == y[test]).mean())


def encoded_counts(X, encoder, kwargs):
    spikes = encoder(X, T_STEPS, x_max=16.0, **kwargs)
    return spikes.sum(axis=0, dtype=np.int64).astype(np.float64)


def run_experiment(settings=SETTINGS, seeds=(0,)):
    """Test accuracy per feature set (raw images, then each encoder), one value per split seed."""
    X, y = load_digits()
    X = np.asarray(X, np.float64)
    features = {"raw images": X}
    for name, (encoder, kwargs) in settings.items():
        features[name] = encoded_counts(X, encoder, kwargs)
    results = {name: [] for name in features}
    for seed in seeds:
        train, test = split(len(X), seed=seed)
        for name, F in features.items():
            results[name].append(accuracy(F, y, train, test))
    return {name: np.array(acc) for name, acc in results.items()}


def test_neuron_encoders_lose_little_information_on_digits():
    results = run_experiment({k: SETTINGS[k] for k in list(SETTINGS)[:2]})
    raw = results["raw images"][0]
    assert raw > 0.9
    for name, acc in results.items():
        assert raw - acc[0] < 0.03, (name, acc, raw)


if __name__ == "__main__":
    seeds = range(5)
    res = run_experiment(seeds=seeds)
    raw = res["raw images"]
    print("digits: 1797 images, 5 random 70/30 splits, softmax regression on spike counts, T = %d steps"
          % T_STEPS)
    for name, acc in res.items():
        print("  %-30s accuracy %.3f +- %.3f   loss vs raw %+.3f" % (name, acc.mean(), acc.std(), (raw - acc).mean()))
