"""Compiled hot loops (installed as ``spikecore.kernels``).

Every function here follows the kernel contract of ARCHITECTURE.md: NumPy arrays and
scalars in and out, no allocation inside the time loop, batched state ``(batch, n)``,
``cache=True`` for Numba, and a twin of the same name in ``spikecore.reference``.
Numba modules are ``*.py``; Cython modules (byte-level decoders) are ``*.pyx`` compiled
at install time.
"""
