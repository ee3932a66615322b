# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Byte-level decoders of iniVation/jAER AEDAT 2.0 and cAER AEDAT 3.1 event data.

AEDAT 2.0 (jAER; iniVation "AEDAT file formats" and AedatTools' ImportAedatDataVersion1or2):
after the '#' header, 8-byte big-endian records ``[int32 address, int32 timestamp (µs)]``.

* DVS128 layout (``layout = 0``): bit 15 set marks an external/special event (skipped);
  ``x = (a >> 1) & 0x7F``, ``y = (a >> 8) & 0x7F``, ``p = a & 1``.
* DAVIS layout (``layout = 1``): bit 31 set marks an APS/IMU sample and bit 10 a special
  event (both skipped); ``y = (a >> 22) & 0x1FF``, ``x = (a >> 12) & 0x3FF``, ``p = (a >> 11) & 1``.

Addresses are returned as stored (no axis flip), t as the unsigned 32-bit timestamp.

AEDAT 3.1 (cAER; libcaer ``events/common.h`` and ``events/polarity.h``): after the '#' header,
packets of a 28-byte little-endian header ::

    int16 eventType, int16 eventSource, int32 eventSize, int32 eventTSOffset,
    int32 eventTSOverflow, int32 eventCapacity, int32 eventNumber, int32 eventValid

followed by eventCapacity * eventSize bytes, of which the first eventNumber events are used.
Only eventType 1 (polarity) carries events: ``data = uint32`` at offset 0 and ``ts = int32``
at eventTSOffset, ``valid = data & 1``, ``p = (data >> 1) & 1``, ``y = (data >> 2) & 0x7FFF``,
``x = (data >> 17) & 0x7FFF`` and :math:`t = \\mathrm{eventTSOverflow}\\,2^{31} + ts`.
Events whose valid bit is 0 (deleted by a filter) are skipped; packets of any other type are
skipped whole. A negative eventType (bit 15, the compression flag) is not supported.

State (int64): ``state[0]`` byte position to resume from (AEDAT 3.1: start of the current
packet), ``state[1]`` byte position of the first corrupt unit (-1 if none), ``state[2]`` its
code (1 truncated record or packet header, 3 impossible packet header, 4 truncated packet
payload, 5 unsupported packet), AEDAT 3.1 ``state[3]`` index of the next event inside the
current packet.
"""
from libc.stdint cimport int64_t, int32_t, int16_t, int8_t, uint8_t, uint32_t

cdef struct Event:
    int64_t t
    int16_t x
    int16_t y
    int8_t p


cdef inline uint32_t _be32(const uint8_t[::1] raw, Py_ssize_t i) noexcept nogil:
    return (<uint32_t>raw[i] << 24) | (<uint32_t>raw[i + 1] << 16) | (<uint32_t>raw[i + 2] << 8) \
        | (<uint32_t>raw[i + 3])


cdef inline uint32_t _le32(const uint8_t[::1] raw, Py_ssize_t i) noexcept nogil:
    return (<uint32_t>raw[i]) | (<uint32_t>raw[i + 1] << 8) | (<uint32_t>raw[i + 2] << 16) \
        | (<uint32_t>raw[i + 3] << 24)


cdef inline bint _aedat2_is_dvs(uint32_t a, int layout) noexcept nogil:
    if layout == 0:
        return (a & 0x8000) == 0
    return (a >> 31) == 0 and (a & 0x400) == 0


def count_aedat2(const uint8_t[::1] raw, int64_t[::1] state, int layout):
    """Count the polarity (DVS) events among AEDAT 2.0 records from ``state[0]`` on.

    A record is a DVS event when, for DVS128, bit 15 of its address is 0, and for DAVIS,
    bits 31 and 10 are 0 (iniVation AEDAT 2.0 address layouts). Flags a trailing partial
    record in ``state[1:3]``.

    Parameters
    ----------
    raw : uint8[::1]
        Data region after the '#' header.
    state : int64[::1]
        ``[pos, err_pos, err_code]``.
    layout : int
        0 for DVS128, 1 for DAVIS.

    Returns
    -------
    int
        Number of DVS events.
    """
    cdef Py_ssize_t pos = state[0]
    cdef Py_ssize_t size = raw.shape[0]
    cdef int64_t n = 0
    with nogil:
        while pos + 8 <= size:
            if _aedat2_is_dvs(_be32(raw, pos), layout):
                n += 1
            pos += 8
    if pos < size:
        state[1] = pos
        state[2] = 1
    state[0] = pos
    return n


def decode_aedat2(const uint8_t[::1] raw, int64_t[::1] state, Event[::1] out, int layout):
    """Decode AEDAT 2.0 DVS events into ``out``; return the number written.

    DVS128: :math:`x = (a \\gg 1) \\& 127`, :math:`y = (a \\gg 8) \\& 127`, :math:`p = a \\& 1`;
    DAVIS: :math:`x = (a \\gg 12) \\& 1023`, :math:`y = (a \\gg 22) \\& 511`,
    :math:`p = (a \\gg 11) \\& 1`; :math:`t` = the unsigned 32-bit timestamp in µs (jAER /
    iniVation AEDAT 2.0; big-endian records). Non-DVS records are skipped.

    Parameters
    ----------
    raw : uint8[::1]
        Data region after the '#' header.
    state : int64[::1]
        ``[pos, err_pos, err_code]``.
    out : EVENT_DTYPE[::1]
        Output records.
    layout : int
        0 for DVS128, 1 for DAVIS.

    Returns
    -------
    int
        Events written.
    """
    cdef Py_ssize_t pos = state[0]
    cdef Py_ssize_t size = raw.shape[0]
    cdef Py_ssize_t cap = out.shape[0]
    cdef Py_ssize_t n = 0
    cdef uint32_t a
    with nogil:
        while pos + 8 <= size and n < cap:
            a = _be32(raw, pos)
            if _aedat2_is_dvs(a, layout):
                out[n].t = _be32(raw, pos + 4)
                if layout == 0:
                    out[n].x = (a >> 1) & 0x7F
                    out[n].y = (a >> 8) & 0x7F
                    out[n].p = a & 1
                else:
                    out[n].x = (a >> 12) & 0x3FF
                    out[n].y = (a >> 22) & 0x1FF
                    out[n].p = (a >> 11) & 1
                n += 1
            pos += 8
    if pos < size and pos + 8 > size:
        state[1] = pos
        state[2] = 1
    state[0] = pos
    return n


cdef inline int _aedat3_header(const uint8_t[::1] raw, Py_ssize_t pos, Py_ssize_t size,
                               int32_t* hdr) noexcept nogil:
    """Read and check the packet header at ``pos``; return 0 or an error code."""
    cdef int k
    if pos + 28 > size:
        return 1
    hdr[0] = <int16_t>((<uint32_t>raw[pos]) | (<uint32_t>raw[pos + 1] << 8))
    for k in range(1, 7):
        hdr[k] = <int32_t>_le32(raw, pos + 4 * k)
    # hdr: 0 type, 1 size, 2 ts offset, 3 ts overflow, 4 capacity, 5 number, 6 valid
    if hdr[1] <= 0 or hdr[4] < 0 or hdr[5] < 0 or hdr[5] > hdr[4] or hdr[6] < 0 \
            or hdr[6] > hdr[5] or hdr[3] < 0 or hdr[2] < 0 or hdr[2] + 4 > hdr[1]:
        return 3
    if <int64_t>hdr[4] * hdr[1] > size - pos - 28:
        return 4
    if hdr[0] < 0:
        return 5
    if hdr[0] == 1 and hdr[1] != 8:
        return 5
    return 0


def count_aedat3(const uint8_t[::1] raw, int64_t[::1] state):
    """Count valid polarity events in AEDAT 3.1 packets from ``state[0]`` to the end.

    Honours eventType (only type 1, polarity, counts), eventNumber (events past it are unused
    capacity) and each event's valid bit (libcaer packet layout). Flags truncated or
    impossible packet headers in ``state[1:3]``.

    Parameters
    ----------
    raw : uint8[::1]
        Data region after the '#!END-HEADER' line.
    state : int64[::1]
        ``[pos, err_pos, err_code, index_in_packet]``.

    Returns
    -------
    int
        Number of valid polarity events.
    """
    cdef Py_ssize_t pos = state[0]
    cdef Py_ssize_t size = raw.shape[0]
    cdef int64_t n = 0
    cdef int32_t hdr[7]
    cdef Py_ssize_t i, ev
    cdef int err = 0
    with nogil:
        while pos < size:
            err = _aedat3_header(raw, pos, size, hdr)
            if err:
                break
            if hdr[0] == 1:
                for i in range(hdr[5]):
                    ev = pos + 28 + 8 * i
                    if raw[ev] & 1:
                        n += 1
            pos += 28 + <Py_ssize_t>hdr[4] * hdr[1]
    if err:
        state[1] = pos
        state[2] = err
    state[0] = pos
    return n


def decode_aedat3(const uint8_t[::1] raw, int64_t[::1] state, Event[::1] out):
    """Decode valid AEDAT 3.1 polarity events into ``out``; return the number written.

    :math:`t = \\mathrm{eventTSOverflow}\\,2^{31} + ts`, :math:`x = (d \\gg 17) \\& 32767`,
    :math:`y = (d \\gg 2) \\& 32767`, :math:`p = (d \\gg 1) \\& 1` for events of type-1
    packets whose valid bit :math:`d \\& 1` is set (libcaer ``polarity.h``). Resumes inside a
    packet at ``state[3]`` when ``out`` filled up mid-packet.

    Parameters
    ----------
    raw : uint8[::1]
        Data region after the header.
    state : int64[::1]
        ``[pos, err_pos, err_code, index_in_packet]``.
    out : EVENT_DTYPE[::1]
        Output records.

    Returns
    -------
    int
        Events written.
    """
    cdef Py_ssize_t pos = state[0]
    cdef Py_ssize_t size = raw.shape[0]
    cdef Py_ssize_t cap = out.shape[0]
    cdef Py_ssize_t n = 0
    cdef Py_ssize_t i = state[3], ev
    cdef int32_t hdr[7]
    cdef uint32_t d
    cdef int64_t base
    cdef int err = 0
    with nogil:
        while pos < size and n < cap:
            err = _aedat3_header(raw, pos, size, hdr)
            if err:
                break
            if hdr[0] == 1:
                base = (<int64_t>hdr[3]) << 31
                while i < hdr[5] and n < cap:
                    ev = pos + 28 + 8 * i
                    d = _le32(raw, ev)
                    if d & 1:
                        out[n].t = base + <int32_t>_le32(raw, ev + hdr[2])
                        out[n].x = (d >> 17) & 0x7FFF
                        out[n].y = (d >> 2) & 0x7FFF
                        out[n].p = (d >> 1) & 1
                        n += 1
                    i += 1
                if i < hdr[5]:
                    break
            i = 0
            pos += 28 + <Py_ssize_t>hdr[4] * hdr[1]
    if err:
        state[1] = pos
        state[2] = err
    state[0] = pos
    state[3] = i
    return n
