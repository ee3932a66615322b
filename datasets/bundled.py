"""Data files shipped inside the package (no download, no optional dependency)."""
import os

import h5py
import numpy as np

#: Path of the bundled UCI digits file (built by ``tools/build_digits.py``).
DIGITS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.h5")


class Digits:
    """The UCI optical digits, as returned by :func:`load_digits`.

    Attributes
    ----------
    data : float32 ndarray (1797, 64)
        Flattened images, pixel values 0..16 (row-major 8x8).
    target : int64 ndarray (1797,)
        Digit labels 0..9.
    images : uint8 ndarray (1797, 8, 8)
        The images as stored, integer pixel values 0..16.
    target_names : int64 ndarray (10,)
        The classes, 0..9.
    feature_range : tuple
        ``(0, 16)``: the smallest and largest possible pixel value (use it to scale
        inputs, e.g. rates :math:`r = r_\\max\\, x / 16`).
    DESCR : str
        Description, provenance and licence.
    attrs : dict
        All provenance attributes of the file (source digest, licence, citation, ...).
    """

    def __init__(self, data, target, images, feature_range, descr, attrs):
        self.data = data
        self.target = target
        self.images = images
        self.target_names = np.arange(10, dtype=np.int64)
        self.feature_range = feature_range
        self.DESCR = descr
        self.attrs = attrs

    def __repr__(self):
        return "Digits(data=%s float32, target=%s int64, feature_range=%s)" % (
            self.data.shape, self.target.shape, self.feature_range)


def load_digits(return_X_y=False):
    """Load the bundled UCI optical digits (Alpaydin & Kaynak, 1998; CC BY 4.0).

    1 797 handwritten digits as 8x8 images whose pixels count the 'on' pixels of 4x4
    blocks of a 32x32 bitmap, hence integers :math:`x_{ij} \\in \\{0, \\dots, 16\\}`; the
    same samples, in the same order, as ``sklearn.datasets.load_digits``. Read from the
    HDF5 file in the package: no network and no optional dependency.

    Parameters
    ----------
    return_X_y : bool
        If True return ``(X, y)``: ``X`` float32 ``(1797, 64)`` with values 0..16 and
        ``y`` int64 ``(1797,)``. Otherwise return a :class:`Digits` object with
        ``.data``, ``.target``, ``.images`` ``(1797, 8, 8)``, ``.feature_range``
        ``(0, 16)`` and ``.DESCR``.

    Returns
    -------
    Digits or tuple of ndarray

    References
    ----------
    Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits. UCI
    Machine Learning Repository. https://doi.org/10.24432/C50P49
    """
    if not isinstance(return_X_y, (bool, np.bool_)):
        from spikecore._validate import fail
        fail("return_X_y", return_X_y, "True or False", TypeError)
    try:
        with h5py.File(DIGITS_PATH, "r") as h5:
            images = h5["images"][()]
            target = h5["target"][()].astype(np.int64)
            attrs = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in h5.attrs.items()}
    except (OSError, KeyError) as exc:
        raise OSError("bundled digits file %s is missing or damaged (%s); reinstall spikecore"
                      % (DIGITS_PATH, exc)) from exc
    data = images.reshape(len(images), 64).astype(np.float32)
    if return_X_y:
        return data, target
    lo, hi = attrs.get("feature_range", [0, 16])
    return Digits(data, target, images, (int(lo), int(hi)), str(attrs.get("description", "")), attrs)
