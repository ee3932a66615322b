"""Limit the BLAS thread pool while spiking networks train (the library's threading choice).

Surrogate-gradient training alternates small GEMMs (NumPy -> OpenBLAS/MKL) with single-threaded
Numba recurrences (``spikecore.kernels.bptt``). OpenBLAS's worker threads keep spinning after
each GEMM and take the core the next kernel needs; on the 2-core development machines a 784-500-10
training step ran several times slower with BLAS's default threads than with one (measured in
``benchmarks/training.py``; the same finding as ARCHITECTURE.md's kernel contract). So the
estimators train and predict inside :func:`limit_blas_threads` (one BLAS thread), and restore
the previous setting afterwards.

The control is the libraries' own C API (``openblas_set_num_threads`` and its
``scipy_openblas``-prefixed names in NumPy's wheels; ``MKL_Set_Num_Threads``), found among the
shared libraries already loaded in the process (``/proc/self/maps``, Linux). Where none is found
(other platforms, Accelerate) it does nothing. No package beyond the standard library is used.
"""
import contextlib
import ctypes

# (getter, setter) symbol pairs, by BLAS build
_APIS = (
    ("openblas_get_num_threads", "openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("MKL_Get_Max_Threads", "MKL_Set_Num_Threads"),
)


def _loaded_blas():
    """(get, set) ctypes functions of every BLAS library loaded in this process."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps
                     if "blas" in line.lower() or "libmkl_rt" in line.lower()}
    except OSError:
        return []
    found = []
    for path in sorted(p for p in paths if p.startswith("/")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _APIS:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                found.append((getattr(lib, get_name), getattr(lib, set_name)))
                break
    return found


@contextlib.contextmanager
def limit_blas_threads(n_threads=1):
    """Context manager: run the block with at most ``n_threads`` BLAS threads, then restore.

    Parameters
    ----------
    n_threads : int
        Threads for OpenBLAS/MKL inside the block (default 1).

    Notes
    -----
    The setting is process-wide while the block runs (the BLAS libraries have one pool).
    """
    if isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1:
        raise ValueError("n_threads = %r: expected an integer >= 1" % (n_threads,))
    libs = _loaded_blas()
    before = [get() for get, _ in libs]
    for _, set_threads in libs:
        set_threads(n_threads)
    try:
        yield
    finally:
        for (_, set_threads), n in zip(libs, before):
            set_threads(n)
