"""Build ``datasets/digits.h5``: the UCI optical digits as scikit-learn ships them.

This is the script that produced the bundled file; spikecore itself never imports
scikit-learn. Run it in an environment that has scikit-learn and h5py::

    python -m venv /tmp/venv-sk && /tmp/venv-sk/bin/pip install scikit-learn h5py
    /tmp/venv-sk/bin/python tools/build_digits.py datasets/digits.h5

Source: Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits
[Dataset]. UCI Machine Learning Repository. https://doi.org/10.24432/C50P49 (CC BY 4.0).
scikit-learn's ``load_digits`` ships the 1 797 samples of the UCI *test* partition
(``optdigits.tes``) as ``sklearn/datasets/data/digits.csv.gz``; the file written here holds
exactly those values (8x8 images, integer pixels 0..16) and labels, in the same order.

Layout written (HDF5, gzip level 9, shuffle filter):

* ``images``  uint8 (1797, 8, 8), values 0..16
* ``target``  uint8 (1797,), digits 0..9
* root attributes: ``title``, ``description``, ``licence``, ``citation``, ``source_url``,
  ``doi``, ``source_file``, ``source_sha256`` (of scikit-learn's csv.gz),
  ``sklearn_version``, ``n_samples``, ``feature_range``, ``content_sha256`` (of the
  images bytes followed by the target bytes), ``built_by``.
"""
import argparse
import hashlib
import os
import sys
import tempfile

import numpy as np

DESCRIPTION = """Optical recognition of handwritten digits (UCI), as shipped by scikit-learn.

1 797 samples, 10 classes (digits 0-9), 64 features: an 8x8 image whose pixels are
integers 0..16. Each image was obtained by dividing a normalised 32x32 binary bitmap of a
handwritten digit into non-overlapping 4x4 blocks and counting the 'on' pixels in each
block. The 1 797 samples are the test partition (optdigits.tes) of the UCI data set,
written by 13 people who did not contribute to its training partition.

Class counts 0..9: 178 182 177 183 181 182 181 179 174 180.

Creators: E. Alpaydin and C. Kaynak, Bogazici University, 1998.
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0).
Cite: Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits.
UCI Machine Learning Repository. https://doi.org/10.24432/C50P49
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="path of the HDF5 file to write (e.g. datasets/digits.h5)")
    args = parser.parse_args(argv)

    import h5py
    import sklearn
    from sklearn import datasets as skd

    bunch = skd.load_digits()
    images = bunch.images
    if images.shape != (1797, 8, 8) or images.min() < 0 or images.max() > 16:
        sys.exit("unexpected scikit-learn digits: shape %s, range %s..%s"
                 % (images.shape, images.min(), images.max()))
    if not np.array_equal(images, np.round(images)):
        sys.exit("scikit-learn digits are not integers")
    images = images.astype(np.uint8)
    target = bunch.target.astype(np.uint8)
    source = os.path.join(os.path.dirname(skd.__file__), "data", "digits.csv.gz")
    with open(source, "rb") as f:
        source_sha = hashlib.sha256(f.read()).hexdigest()
    content_sha = hashlib.sha256(images.tobytes() + target.tobytes()).hexdigest()

    out = os.path.abspath(args.output)
    fd, tmp = tempfile.mkstemp(prefix=".digits-", suffix=".h5.tmp", dir=os.path.dirname(out))
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as h5:
            kw = dict(compression="gzip", compression_opts=9, shuffle=True, track_times=False)
            h5.create_dataset("images", data=images, **kw)
            h5.create_dataset("target", data=target, **kw)
            a = h5.attrs
            a["title"] = "UCI optical recognition of handwritten digits (scikit-learn copy)"
            a["description"] = DESCRIPTION
            a["licence"] = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
            a["citation"] = ("Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten "
                             "Digits [Dataset]. UCI Machine Learning Repository.")
            a["doi"] = "10.24432/C50P49"
            a["source_url"] = ("https://archive.ics.uci.edu/dataset/80/"
                               "optical+recognition+of+handwritten+digits")
            a["source_file"] = "sklearn/datasets/data/digits.csv.gz"
            a["source_sha256"] = source_sha
            a["sklearn_version"] = sklearn.__version__
            a["n_samples"] = images.shape[0]
            a["feature_range"] = np.array([0, 16], dtype=np.int64)
            a["content_sha256"] = content_sha
            a["built_by"] = "tools/build_digits.py"
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; package data must be world-readable
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print("wrote %s (%d bytes), content sha256 %s" % (out, os.path.getsize(out), content_sha))


if __name__ == "__main__":
    main()
