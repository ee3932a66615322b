# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Byte-level decoder of the N-MNIST / N-Caltech101 40-bit ATIS event format.

Format (Orchard, Jayawant, Cohen & Thakor 2015, "Converting static image datasets to
spiking neuromorphic datasets using saccades", Front. Neurosci. 9:437; their
``read_dataset``): every event is 5 bytes, no header::

    byte 0: x                (8 bits)
    byte 1: y                (8 bits)
    byte 2: p << 7 | t[22:16]
    byte 3: t[15:8]
    byte 4: t[7:0]

so the 23-bit timestamp is :math:`t_{raw} = (b_2 \\,\\&\\, 127)\\,2^{16} + b_3\\,2^8 + b_4`
(microseconds) and :math:`p = b_2 \\gg 7`. A record with :math:`y = 240` is not an event but a
timestamp-overflow marker: every later event gets :math:`+2^{13}` µs, i.e.
:math:`t = t_{raw} + 2^{13} k`, where :math:`k` is the number of markers seen before it.

Kernel contract (shared by all ``aer_*`` decoders, see ``spikecore.datasets.aer``):
``raw`` is the data region of the file (uint8), ``state`` an int64 array, ``out`` an array of
``EVENT_DTYPE`` records. ``state[0]`` is the byte position in ``raw`` to resume from,
``state[1]`` the byte position of the first corrupt unit (-1 if none), ``state[2]`` its
error code (1: truncated record), ``state[3]`` the overflow-marker count :math:`k`.
The decoder stops at the end of ``raw``, when ``out`` is full, or at the first error, and
returns the number of events written.
"""
from libc.stdint cimport int64_t, int16_t, int8_t, uint8_t

cdef struct Event:
    int64_t t
    int16_t x
    int16_t y
    int8_t p


def decode_nmnist(const uint8_t[::1] raw, int64_t[::1] state, Event[::1] out):
    """Decode N-MNIST 40-bit ATIS records into ``out``; return the number of events written.

    Implements :math:`t = ((b_2 \\& 127) 2^{16} + b_3 2^8 + b_4) + 2^{13} k`,
    :math:`x = b_0`, :math:`y = b_1`, :math:`p = b_2 \\gg 7`, with records where
    :math:`y = 240` counted into :math:`k` (Orchard et al., 2015) instead of emitted.

    Parameters
    ----------
    raw : uint8[::1]
        Event bytes (no header in this format).
    state : int64[::1]
        ``[position, error_position, error_code, k]``; updated in place.
    out : EVENT_DTYPE[::1]
        Output records; decoding stops when full.

    Returns
    -------
    int
        Number of events written to ``out``.
    """
    cdef Py_ssize_t pos = state[0]
    cdef Py_ssize_t size = raw.shape[0]
    cdef Py_ssize_t cap = out.shape[0]
    cdef Py_ssize_t n = 0
    cdef int64_t k = state[3]
    cdef uint8_t b2
    with nogil:
        while pos + 5 <= size and n < cap:
            if raw[pos + 1] == 240:
                k += 1
            else:
                b2 = raw[pos + 2]
                out[n].t = ((<int64_t>(b2 & 127) << 16) | (<int64_t>raw[pos + 3] << 8)
                            | <int64_t>raw[pos + 4]) + (k << 13)
                out[n].x = raw[pos]
                out[n].y = raw[pos + 1]
                out[n].p = b2 >> 7
                n += 1
            pos += 5
    if pos < size and pos + 5 > size:
        state[1] = pos
        state[2] = 1
    state[0] = pos
    state[3] = k
    return n
