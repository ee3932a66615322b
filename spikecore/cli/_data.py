"""Data for ``spikecore train`` / ``evaluate``: load a feature matrix and split it.

A data source is one of:

- ``digits`` (default): the bundled UCI optical digits, pixels 0..16 (``load_digits``);
- a ``.npz`` file with arrays ``X`` (n_samples, n_features) and ``y`` (n_samples,);
- an HDF5 spike dataset (SHD layout, :class:`spikecore.datasets.SpikeDataset`): each sample
  becomes its vector of spike counts per unit, a plain rate code any estimator can take.
"""
import os

import numpy as np

from spikecore import _validate as v


def load_data(source):
    """Return ``X`` (float32, 2-D), ``y`` (1-D labels) and a one-line description."""
    if source in (None, "digits"):
        from spikecore.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return X, y, "bundled digits (1797 x 64, pixels 0..16)"
    if not os.path.exists(source):
        v.fail("--data", source, "'digits', a .npz file with X and y, or an HDF5 spike dataset",
               FileNotFoundError)
    if source.endswith(".npz"):
        with np.load(source) as z:
            if "X" not in z or "y" not in z:
                v.fail("--data", source, "a .npz file holding arrays 'X' and 'y' (found %s)" % sorted(z.files))
            X, y = z["X"], z["y"]
        X = v.array("X (in %s)" % source, X, ndim=2, finite=True, dtype=np.float32)
        return X, np.asarray(y), "%s (%d x %d)" % (source, X.shape[0], X.shape[1])
    from spikecore.datasets import SpikeDataset, spike_count_features

    ds = SpikeDataset(source)
    X, y = spike_count_features(ds)
    return X, y, "%s (%d samples, spike counts of %d units)" % (source, len(ds), X.shape[1])


def split(X, y, test_size, seed):
    """Seeded stratified split: ``test_size`` (0..1) of each class goes to the test set."""
    test_size = v.real("--test-size", test_size, low=0.0, high=1.0, low_open=True, high_open=True)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        n_test = int(round(test_size * len(idx)))
        test[idx[:n_test]] = True
    return X[~test], y[~test], X[test], y[test]
