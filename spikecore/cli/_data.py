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


def load_data(source, flat=True):
    """Return ``X`` (float32), ``y`` (1-D labels) and a one-line description.

    ``X`` is 2-D (n_samples, n_features); a ``.npz`` may hold samples of more axes (images
    ``(n, H, W, C)`` for a converted CNN), which are flattened unless ``flat=False``."""
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
        X = v.array("X (in %s)" % source, X, ndim=(2, 3, 4, 5), finite=True, dtype=np.float32)
        shape = " x ".join(str(d) for d in X.shape)
        return (X.reshape(len(X), -1) if flat else X), np.asarray(y), "%s (%s)" % (source, shape)
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


def scaled_data(source, scale):
    """:func:`load_data` with the inputs multiplied by ``scale`` (default 1/16 for the bundled
    digits, whose pixels are 0..16, else 1), as float32: ``(X, y, description, scale)``."""
    X, y, description = load_data(source, flat=False)
    scale = scale if scale is not None else (1.0 / 16.0 if source in (None, "digits") else 1.0)
    X = (X * v.positive("--scale", scale)).astype(np.float32)
    return X, y, description, scale


def ann_for_conversion(model, X_train, y_train, seed):
    """The ANN of ``spikecore convert`` / ``export``: the ONNX file ``model``, or (``None``) a
    ReLU MLP with hidden layers 128 and 64 trained here for 30 epochs; ``(ann, description)``."""
    from spikecore.conversion import load_onnx, mlp
    if model:
        return load_onnx(model), "%s (ONNX)" % model
    n_classes = int(np.max(y_train)) + 1
    ann = mlp((X_train.shape[1], 128, 64, n_classes), random_state=seed)
    ann.fit(X_train, y_train, epochs=30, batch_size=32, random_state=seed)
    return ann, "%d-128-64-%d ReLU MLP trained here (30 epochs)" % (X_train.shape[1], n_classes)
