# cython: language_level=3
"""The calling thread's floating-point mode: flush subnormal numbers to zero while a kernel runs.

A number below the smallest normal one of its type (1.2e-38 in float32, 2.2e-308 in float64) is
*subnormal*, and x86 processors compute with subnormal operands or results through a microcode
assist, tens of times slower than normal arithmetic. Neuron states that decay towards zero
(synaptic currents, potentials with ``v_rest = 0``) pass through that range, and with
round-to-nearest a decay factor above 1/2 never leaves it: ``d * x`` rounds back to ``x`` at
the smallest subnormal, so the value stays there for good. In float32 that happens after a few
thousand steps of silence: 2 s (20 000 steps) of 4 000 float32-arithmetic CurrentLIF neurons
with sparse input and an unused second channel took 1.27 s without the flush and 0.067 s with
it (``python benchmarks/subnormals.py``, 2026-11-24; with float64 arithmetic 0.098 s both ways).

The SSE control register MXCSR has two bits for this: FTZ (bit 15, flush subnormal results to
zero) and DAZ (bit 6, read subnormal operands as zero) (Intel 64 and IA-32 Architectures
Software Developer's Manual, vol. 1, sec. 10.2.3). TensorFlow sets them in its threads, and
PyTorch exposes them as ``torch.set_flush_denormal``. spikecore sets them only around its
compiled simulation loop, in the calling thread, and restores the previous register after:
numbers of normal size are unaffected, and no other code sees the change.

On processors without SSE (e.g. ARM) the functions do nothing and report it.
"""

cdef extern from *:
    """
    #if defined(__SSE__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 1)
    #include <xmmintrin.h>
    #define SPIKECORE_HAS_MXCSR 1
    static unsigned int spikecore_getcsr(void) { return _mm_getcsr(); }
    static void spikecore_setcsr(unsigned int v) { _mm_setcsr(v); }
    #else
    #define SPIKECORE_HAS_MXCSR 0
    static unsigned int spikecore_getcsr(void) { return 0; }
    static void spikecore_setcsr(unsigned int v) { (void)v; }
    #endif
    """
    int SPIKECORE_HAS_MXCSR
    unsigned int spikecore_getcsr() nogil
    void spikecore_setcsr(unsigned int v) nogil

FTZ = 0x8000
DAZ = 0x0040
SUPPORTED = bool(SPIKECORE_HAS_MXCSR)


def get_mode():
    """The calling thread's MXCSR register (0 where there is none)."""
    return spikecore_getcsr()


def flush_subnormals():
    """Set FTZ and DAZ in the calling thread; return the previous register for :func:`restore`."""
    cdef unsigned int previous = spikecore_getcsr()
    spikecore_setcsr(previous | FTZ | DAZ)
    return previous


def restore(unsigned int previous):
    """Put back the register that :func:`flush_subnormals` returned."""
    spikecore_setcsr(previous)


class subnormals_flushed:
    """``with subnormals_flushed(): ...`` runs the block with FTZ and DAZ set in this thread and
    restores the previous register afterwards, also when the block raises."""

    def __enter__(self):
        self._previous = flush_subnormals()
        return self

    def __exit__(self, *exc):
        restore(self._previous)
        return False
