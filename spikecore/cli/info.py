"""``spikecore info``: versions, compiled kernels and their cache, CPU threads."""
import importlib
import os
import pkgutil
import platform
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser("info", help="print versions, kernel compilation/cache status and CPU threads")
    p.set_defaults(func=run)


def kernel_status():
    """Describe every module of ``spikecore.kernels``.

    Returns a list of ``(module name, kind, status)``; kind is ``"cython"`` for a compiled
    extension and ``"numba"`` for a JIT module, whose status counts the functions with an
    on-disk Numba cache entry (``*.nbi`` index files beside the module).
    """
    import spikecore.kernels as kpkg

    rows = []
    for info in pkgutil.iter_modules(kpkg.__path__):
        name = info.name
        try:
            mod = importlib.import_module("spikecore.kernels." + name)
        except Exception as exc:  # report, do not crash `info`
            rows.append((name, "?", "import failed: %s" % exc))
            continue
        path = Path(getattr(mod, "__file__", "") or "")
        if path.suffix in (".so", ".pyd"):
            rows.append((name, "cython", "compiled (%s)" % path.name))
        else:
            cache = path.parent / "__pycache__"
            n = len(list(cache.glob(path.stem + ".*.nbi"))) if cache.is_dir() else 0
            rows.append((name, "numba", "%d cached function(s)" % n if n else "not yet compiled (JIT on first use)"))
    return rows


def run(args):
    import numba
    import numpy
    import h5py

    import spikecore

    print("spikecore %s" % spikecore.__version__)
    print("python    %s (%s)" % (platform.python_version(), platform.python_implementation()))
    print("numpy     %s" % numpy.__version__)
    print("numba     %s" % numba.__version__)
    print("h5py      %s (HDF5 %s)" % (h5py.__version__, h5py.version.hdf5_version))
    print("platform  %s" % platform.platform())
    print("cpu       %d logical core(s); numba threads %d; threading layer %s"
          % (os.cpu_count() or 0, numba.config.NUMBA_NUM_THREADS, numba.config.THREADING_LAYER))
    print("kernels   (%s)" % Path(importlib.import_module("spikecore.kernels").__file__).parent)
    for name, kind, status in kernel_status():
        print("  %-20s %-7s %s" % (name, kind, status))
    optional = ("matplotlib", "brian2", "nir", "dask", "onnx", "nengo")
    found = []
    for mod in optional:
        try:
            m = importlib.import_module(mod)
            found.append("%s %s" % (mod, getattr(m, "__version__", "?")))
        except Exception:
            found.append("%s -" % mod)
    print("optional  " + ", ".join(found))
    return 0
