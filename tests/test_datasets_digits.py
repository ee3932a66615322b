"""The bundled UCI digits load without optional dependencies and are the published data."""
import hashlib
import subprocess
import sys

import numpy as np
import pytest

from spikecore.datasets import load_digits

# sha256 of images (uint8, 1797x8x8) bytes followed by labels (uint8) bytes, as written by
# tools/build_digits.py from scikit-learn 1.9.1's digits.csv.gz.
CONTENT_SHA256 = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"


def test_return_X_y_shapes_dtypes_and_range():
    X, y = load_digits(return_X_y=True)
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))


def test_label_counts_and_digest():
    d = load_digits()
    assert np.bincount(d.target).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    digest = hashlib.sha256(d.images.astype(np.uint8).tobytes() + d.target.astype(np.uint8).tobytes()).hexdigest()
    assert digest == CONTENT_SHA256 == d.attrs["content_sha256"]


def test_object_fields_agree():
    d = load_digits()
    assert d.images.shape == (1797, 8, 8)
    assert d.feature_range == (0, 16)
    np.testing.assert_array_equal(d.data, d.images.reshape(1797, 64).astype(np.float32))
    assert "CC BY 4.0" in d.DESCR and "Alpaydin" in d.DESCR
    # first image is the well-known '0' of scikit-learn's copy
    assert d.target[0] == 0 and d.images[0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_bad_argument_is_named():
    with pytest.raises(TypeError, match="return_X_y"):
        load_digits(return_X_y="yes")


def test_loading_imports_no_optional_package(tmp_path):
    code = ("import sys; from spikecore.datasets import load_digits; load_digits();"
            "bad=[m for m in ('sklearn','torch','tonic','pandas','matplotlib') if m in sys.modules];"
            "sys.exit(1 if bad else 0)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
