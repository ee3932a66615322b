"""Helpers shared by the test_bptt_*.py files (data loading, split, finite-difference check)."""
import numpy as np
import pytest

H = 1e-6      # central-difference step
RTOL = 1e-5   # max |analytic - FD| <= RTOL * max |FD| per parameter array


def _digits():
    """The bundled digits (spikecore.datasets) when present, else scikit-learn's copy."""
    try:
        from spikecore.datasets import load_digits
    except ImportError:
        load_digits = pytest.importorskip("sklearn.datasets").load_digits
    X, y = load_digits(return_X_y=True)
    return np.asarray(X, dtype=np.float32), np.asarray(y)


def _split(X, y, seed=0, test=0.25):
    """Stratified split without scikit-learn."""
    rng = np.random.default_rng(seed)
    te = np.concatenate([rng.permutation(np.flatnonzero(y == k))[: int(round(test * np.sum(y == k)))]
                         for k in np.unique(y)])
    tr = np.setdiff1d(np.arange(len(y)), te)
    return X[tr], X[te], y[tr], y[te]


def _fd_check(loss_fn, params, grads):
    for p, g in zip(params, grads):
        fd = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + H
            lp = loss_fn()
            p[idx] = old - H
            lm = loss_fn()
            p[idx] = old
            fd[idx] = (lp - lm) / (2 * H)
        scale = max(np.abs(fd).max(), 1e-8)
        assert np.abs(fd - g).max() <= RTOL * scale, (np.abs(fd - g).max(), scale)
