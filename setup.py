"""Build script: the package list and the Cython extensions.

Metadata, dependencies and the folder mapping are in setup.cfg. This file exists only for
what setup.cfg cannot say: every ``kernels/*.pyx`` becomes the compiled extension
``spikecore.kernels.<name>``, and every subpackage of ``spikecore/`` is found automatically.
"""
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

HERE = Path(__file__).parent


def _packages():
    pkgs = ["spikecore"] + ["spikecore." + p for p in find_packages(str(HERE / "spikecore"))]
    for top in ("kernels", "datasets"):
        pkgs.append("spikecore." + top)
        pkgs += ["spikecore.%s.%s" % (top, p) for p in find_packages(str(HERE / top))]
    return pkgs


def _package_dir():
    mapping = {"spikecore": "spikecore", "spikecore.kernels": "kernels", "spikecore.datasets": "datasets"}
    return mapping


extensions = [
    Extension(
        "spikecore.kernels." + pyx.stem,
        [str(pyx.relative_to(HERE))],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    )
    for pyx in sorted((HERE / "kernels").glob("*.pyx"))
]

setup(
    packages=_packages(),
    package_dir=_package_dir(),
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
)
