"""spikecore: spiking neural networks on NumPy, with Numba- and Cython-compiled kernels.

The package is layered (see ARCHITECTURE.md): ``kernels`` (compiled hot loops) and
``reference`` (their plain-NumPy twins) at the bottom; ``datasets``; ``neurons``;
``encoding``/``decoding``; ``network``; ``nef``; ``learning``; ``conversion``; ``interop``;
and the command line ``cli`` on top. Importing ``spikecore`` is cheap: subpackages are
imported when first used, and optional integrations (matplotlib, Lava, NIR, Dask, peer
libraries) are never needed to import it.
"""
import importlib

__version__ = "0.1.0"

_SUBPACKAGES = (
    "kernels", "reference", "datasets", "neurons", "encoding", "decoding", "metrics",
    "network", "nef", "learning", "conversion", "interop", "distributed", "cli",
)


def __getattr__(name):
    # Lazy subpackage import: ``spikecore.neurons`` works without an explicit import,
    # yet ``import spikecore`` does not pay for compiling or loading every layer.
    if name in _SUBPACKAGES:
        return importlib.import_module("spikecore." + name)
    raise AttributeError("module 'spikecore' has no attribute %r" % (name,))


def __dir__():
    return sorted(list(globals()) + list(_SUBPACKAGES))
