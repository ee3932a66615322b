# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Byte-level decoders and encoders of Prophesee's event formats: EVT 2.0, EVT 2.1, EVT 3.0, DAT.

Specification: Prophesee, "EVT 2.0 Format", "EVT 2.1 Format", "EVT 3.0 Format" and "DAT File
Format" (Metavision SDK / OpenEB documentation, docs.prophesee.ai, 2023). All words are
little-endian; the 4 most significant bits of a word give its type.

EVT 2.0 (32-bit words)::

    CD_OFF (0x0) / CD_ON (0x1):  [31:28] type | [27:22] t_low | [21:11] x | [10:0] y,  p = type
    EVT_TIME_HIGH (0x8):         [27:0] t_high
    EXT_TRIGGER (0xA), IMU_EVT (0xD), OTHERS (0xE), CONTINUED (0xF): skipped;  other types are
    reserved (IMU_EVT is OpenEB's ``BaseEventTypes::IMU_EVT``: one 0xD word + 5 CONTINUED words).

    t = L 2^34 + t_high 2^6 + t_low   (L counts wrap-arounds of the 28-bit t_high)

EVT 2.1 (64-bit words; events of one polarity in groups of up to 32 pixels of a row)::

    EVT_NEG (0x0) / EVT_POS (0x1): [63:60] type | [59:54] t_low | [53:43] x | [42:32] y | [31:0] valid
                                   -> one event (x + k, y, p = type, t) per set bit k of valid
    EVT_TIME_HIGH (0x8):           [59:32] t_high
    EXT_TRIGGER (0xA), OTHERS (0xE), CONTINUED (0xF): skipped;  other types are reserved.

    t = L 2^34 + t_high 2^6 + t_low

  A file written by an IMX636 (Gen 4.1) camera says ``endianness=legacy`` on its ``format``
  line: the sensor sends the upper 32-bit half of each word first, so its words are the ones
  above with the two halves swapped (``legacy`` argument; OpenEB's ``Evt21LegacyRaw``).

EVT 3.0 (16-bit words, stateful: only what changes is sent)::

    EVT_ADDR_Y (0x0):   [10:0] y   ([11] system type, ignored)
    EVT_ADDR_X (0x2):   [11] p | [10:0] x         -> one event (x, y, p, t)
    VECT_BASE_X (0x3):  [11] p | [10:0] x_base
    VECT_12 (0x4):      [11:0] valid mask         -> events at x_base + k for set bits k; x_base += 12
    VECT_8 (0x5):       [7:0] valid mask          -> likewise; x_base += 8
    EVT_TIME_LOW (0x6): [11:0] t_low
    EVT_TIME_HIGH (0x8):[11:0] t_high; a t_high different from the previous one resets t_low
                        to 0 until the next EVT_TIME_LOW (OpenEB's EVT3Decoder)
    CONTINUED_4 (0x7), EXT_TRIGGER (0xA), IMU (0xD), OTHERS (0xE), CONTINUED_12 (0xF): skipped;
    0x1, 0x9, 0xB, 0xC are reserved.

    t = L 2^24 + t_high 2^12 + t_low  (L counts wrap-arounds of the 24-bit time base)

A wrap-around (L += 1) is recognised when a time-high value falls by at least half its range
below the previous one (EVT 2.0 / 2.1: by 2^27 or more; EVT 3.0: by 2^11 or more, OpenEB's
rule ``last_high >= 2^11 + new_high``). A smaller fall is out-of-order data, not a wrap: the
time base follows it back (as OpenEB does) instead of jumping 2^34 or 2^24 µs ahead. A camera
sends every time-high value, so its wrap-arounds fall by the whole range.
Events before the first time-high word use t_high = 0.

DAT (8-byte records after the '%' header and two bytes [type, size]; two little-endian
32-bit words ``w0, w1``; OpenEB ``Event2d::RawEvent`` and, for ``% Version 1`` files,
``Event2d::RawEventV1``)::

    version 2:  t = w0 (uint32, µs) | x = w1[13:0] | y = w1[27:14] | p = w1[31:28]
    version 1:  t = w0 (uint32, µs) | x = w1[8:0]  | y = w1[16:9]  | p = w1[17]

  The 32-bit time stamp wraps every 2^32 µs (71.6 min; OpenEB's writer stores
  ``uint32(t - origin)``): a time stamp more than 2^31 µs below the previous one is a
  wrap-around and adds 2^32 µs from there on (the rule of faery's DAT reader; smaller falls are
  kept as they are).

State arrays (int64), shared with the pure-NumPy twins in ``spikecore.reference.aer``:
``state[0]`` byte position to resume from, ``state[1]`` byte position of the first corrupt
unit (-1 if none), ``state[2]`` error code (1 truncated unit, 2 reserved word type);
EVT 2.0 and 2.1: ``state[3]`` t_high, ``state[4]`` L, ``state[5]`` 1 once a t_high was seen;
EVT 3.0: ``state[3]`` t_high, ``state[4]`` L, ``state[5]`` t_high seen, ``state[6]`` t_low,
``state[7]`` y, ``state[8]`` x_base, ``state[9]`` vector polarity; DAT: ``state[3]`` wrap-arounds
so far, ``state[4]`` the previous (unwrapped) time stamp.
Decoders stop at the end of ``raw``, when ``out`` is full, or at the first error, and return
the number of events written.

Encoder state (int64): ``state[0]`` index of the next input event, ``state[1]`` index of the
first event that cannot be encoded (-1 if none), ``state[2]`` its code (3 time going
backwards, 4 x/y/p/t out of range), ``state[3]`` the last time-high counter sent
(t >> 6 or t >> 12, -1 before the first), ``state[4]`` last t_low sent (-1 none),
``state[5]`` last y sent (EVT 3.0, -1 none).

Encoders write files every decoder above reads back exactly, and so do OpenEB's: the time-high
counter climbs in steps of at most half its range and crosses each wrap-around as
``max, 0`` (2^28 - 1 then 0, or 4095 then 0), which OpenEB's strictest loop rule (EVT 2.1:
only a fall of the whole range) recognises; every EVT 3.0 time-high change is followed by an
EVT_TIME_LOW; EVT 3.0 vectors are written as OpenEB decodes them, VECT_BASE_X followed by
VECT_12, VECT_12, VECT_8 (32 pixels, base + 32 <= sensor width).
"""
from libc.stdint cimport int64_t, int16_t, int8_t, uint8_t, uint16_t, uint32_t, uint64_t

cdef struct Event:
    int64_t t
    int16_t x
    int16_t y
    int8_t p


cdef inline uint32_t _u32(const uint8_t[::1] raw, Py_ssize_t i) noexcept nogil:
    return (<uint32_t>raw[i]) | (<uint32_t>raw[i + 1] << 8) | (<uint32_t>raw[i + 2] << 16) \
        | (<uint32_t>raw[i + 3] << 24)


cdef extern from *:
    int __builtin_popcount(unsigned int) nogil
    int __builtin_ctz(unsigned int) nogil


cdef inline int _popcount(uint32_t v) noexcept nogil:
    cdef int c = 0
    while v:
        v &= v - 1
        c += 1
    return c


# Events per EVT 3.0 word, 255 for reserved types: one table lookup per word in count_evt3.
cdef int64_t _EVT2_HALF = 1 << 27  # EVT 2.0 / 2.1: half the range of the 28-bit time-high counter
cdef uint8_t _EVT3_COUNT[65536]


cdef void _fill_evt3_count() noexcept:
    cdef uint32_t w, typ
    for w in range(65536):
        typ = w >> 12
        if typ == 0x2:
            _EVT3_COUNT[w] = 1
        elif typ == 0x4:
            _EVT3_COUNT[w] = _popcount(w & 0xFFF)
        elif typ == 0x5:
            _EVT3_COUNT[w] = _popcount(w & 0xFF)
        elif typ == 0x1 or typ == 0x9 or typ == 0xB or typ == 0xC:
            _EVT3_COUNT[w] = 255
        else:
            _EVT3_COUNT[w] = 0


_fill_evt3_count()


cdef inline void _time_high(int64_t v, int64_t half, int64_t *th, int64_t *loops, int64_t *seen) noexcept nogil:
    # a time-high value; one at least half the range (half) below the previous one is a
    # wrap-around (L += 1), a smaller fall is not
    if seen[0] and th[0] - v >= half:
        loops[0] += 1
    th[0] = v
    seen[0] = 1


cdef void _end_evt2(int64_t[::1] state, Py_ssize_t pos, int err, int64_t th, int64_t loops, int64_t seen) noexcept:
    # store an EVT 2.0 / 2.1 decoder's position, error and time base
    if err:
        state[1] = pos
        state[2] = err
    state[0] = pos
    state[3] = th
    state[4] = loops
    state[5] = seen


def decode_evt2(const uint8_t[::1] raw, int64_t[::1] state, Event[::1] out):
    """Decode Prophesee EVT 2.0 words into ``out``; return the number of events written.

    Implements :math:`t = L\\,2^{34} + t_{high}\\,2^6 + t_{low}` with x, y and
    :math:`p \\in \\{0, 1\\}` (the word type) from each CD word (Prophesee EVT 2.0 spec);
    :math:`L` grows when :math:`t_{high}` falls by :math:`2^{27}` or more (module docstring).

    Parameters
    ----------
    raw : uint8[::1]
        Data region (after the '%' header), a whole number of 4-byte words.
    state : int64[::1]
        ``[pos, err_pos, err_code, t_high, L, t_high_seen]``, updated in place.
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
    cdef int64_t th = state[3], loops = state[4], seen = state[5]
    cdef uint32_t w, typ
    cdef int err = 0
    with nogil:
        while pos + 4 <= size and n < cap:
            w = _u32(raw, pos)
            typ = w >> 28
            if typ <= 1:
                out[n].t = (loops << 34) + (th << 6) + ((w >> 22) & 0x3F)
                out[n].x = (w >> 11) & 0x7FF
                out[n].y = w & 0x7FF
                out[n].p = typ
                n += 1
            elif typ == 8:
                _time_high(w & 0x0FFFFFFF, _EVT2_HALF, &th, &loops, &seen)
            elif typ != 0xA and typ != 0xD and typ != 0xE and typ != 0xF:  # EXT_TRIGGER, IMU, OTHERS, CONTINUED
                err = 2
                break
            pos += 4
    if err == 0 and pos < size and pos + 4 > size:
        err = 1
    _end_evt2(state, pos, err, th, loops, seen)
    return n


cdef inline uint64_t _evt21_word(const uint8_t[::1] raw, Py_ssize_t i, int legacy) noexcept nogil:
    # the 64-bit word at byte i in the standard layout (type in bits 63..60); a legacy (IMX636)
    # file holds the two 32-bit halves in the other order
    cdef uint64_t first = _u32(raw, i), second = _u32(raw, i + 4)
    if legacy:
        return (first << 32) | second
    return (second << 32) | first


def count_evt21(const uint8_t[::1] raw, int64_t[::1] state, int legacy):
    """Count the events in EVT 2.1 words from ``state[0]`` to the end (validating types).

    One event per set bit of each EVT_NEG / EVT_POS word's 32-bit valid mask (Prophesee EVT 2.1
    spec). Sets ``state[1]``/``state[2]`` at the first reserved word or a trailing partial
    word, and ``state[0]`` to the position reached.

    Parameters
    ----------
    raw : uint8[::1]
        Data region.
    state : int64[::1]
        EVT 2.1 state (as EVT 2.0); only positions and errors are touched.
    legacy : int
        1 for the IMX636 word order (``endianness=legacy``), 0 for plain little-endian words.

    Returns
    -------
    int
        Number of events.
    """
    cdef Py_ssize_t pos = state[0]
    cdef Py_ssize_t size = raw.shape[0]
    cdef int64_t n = 0
    cdef uint64_t w
    cdef uint32_t typ
    cdef int err = 0
    with nogil:
        while pos + 8 <= size:
            w = _evt21_word(raw, pos, legacy)
            typ = <uint32_t>(w >> 60)
            if typ <= 1:
                n += __builtin_popcount(<uint32_t>w)
            elif typ != 0x8 and typ != 0xA and typ != 0xE and typ != 0xF:
                err = 2
                break
            pos += 8
    if err == 0 and pos < size:
        err = 1
    if err:
        state[1] = pos
        state[2] = err
    state[0] = pos
    return n


def decode_evt21(const uint8_t[::1] raw, int64_t[::1] state, Event[::1] out, int legacy):
    """Decode Prophesee EVT 2.1 words into ``out``; return the number of events written.

    Implements :math:`t = L\\,2^{34} + t_{high}\\,2^6 + t_{low}` (:math:`L` as in
    :func:`decode_evt2`); an EVT_NEG / EVT_POS word
    gives the events :math:`(x + k, y, p, t)` for every set bit :math:`k` of its valid mask,
    in increasing :math:`k`, with :math:`p` its type (Prophesee EVT 2.1 spec). A word is only
    consumed when ``out`` has room for all its events, so chunked decoding with the carried
    ``state`` equals one-shot decoding.

    Parameters
    ----------
    raw : uint8[::1]
        Data region (after the '%' header), a whole number of 8-byte words.
    state : int64[::1]
        ``[pos, err_pos, err_code, t_high, L, t_high_seen]``, updated in place.
    out : EVENT_DTYPE[::1]
        Output records.
    legacy : int
        1 for the IMX636 word order (``endianness=legacy``), 0 for plain little-endian words.

    Returns
    -------
    int
        Events written.
    """
    cdef Py_ssize_t pos = state[0]
    cdef Py_ssize_t size = raw.shape[0]
    cdef Py_ssize_t cap = out.shape[0]
    cdef Py_ssize_t n = 0
    cdef int64_t th = state[3], loops = state[4], seen = state[5], t, x, y
    cdef uint64_t w
    cdef uint32_t typ, valid
    cdef int k, err = 0
    with nogil:
        while pos + 8 <= size and n < cap:
            w = _evt21_word(raw, pos, legacy)
            typ = <uint32_t>(w >> 60)
            if typ <= 1:
                valid = <uint32_t>w  # the low 32 bits
                if __builtin_popcount(valid) > cap - n:
                    break
                t = (loops << 34) + (th << 6) + <int64_t>((w >> 54) & 0x3F)
                x = <int64_t>((w >> 43) & 0x7FF)
                y = <int64_t>((w >> 32) & 0x7FF)
                while valid:
                    k = __builtin_ctz(valid)
                    out[n].t = t
                    out[n].x = x + k
                    out[n].y = y
                    out[n].p = typ
                    n += 1
                    valid &= valid - 1
            elif typ == 0x8:
                _time_high(<int64_t>((w >> 32) & 0x0FFFFFFF), _EVT2_HALF, &th, &loops, &seen)
            elif typ != 0xA and typ != 0xE and typ != 0xF:  # EXT_TRIGGER, OTHERS, CONTINUED: skipped
                err = 2
                break
            pos += 8
    if err == 0 and pos < size and pos + 8 > size:
        err = 1
    _end_evt2(state, pos, err, th, loops, seen)
    return n


def count_evt3(const uint8_t[::1] raw, int64_t[::1] state):
    """Count the events in EVT 3.0 words from ``state[0]`` to the end (validating types).

    One event per EVT_ADDR_X word plus one per set bit of each VECT_12 / VECT_8 mask
    (Prophesee EVT 3.0 spec). Sets ``state[1]``/``state[2]`` at the first reserved word or a
    trailing odd byte, and ``state[0]`` to the position reached.

    Parameters
    ----------
    raw : uint8[::1]
        Data region.
    state : int64[::1]
        EVT 3.0 state (see module docstring); only positions and errors are touched.

    Returns
    -------
    int
        Number of events.
    """
    cdef Py_ssize_t pos = state[0]
    cdef Py_ssize_t size = raw.shape[0]
    cdef int64_t n = 0
    cdef uint16_t w
    cdef int typ, err = 0
    cdef uint32_t bad = 0, c
    cdef Py_ssize_t start = pos
    with nogil:
        while pos + 2 <= size:
            c = _EVT3_COUNT[(<uint16_t>raw[pos]) | (<uint16_t>raw[pos + 1] << 8)]
            n += c
            bad |= c & 0x80
            pos += 2
        if bad:  # a reserved word: recount up to it
            pos = start
            n = 0
            while pos + 2 <= size:
                c = _EVT3_COUNT[(<uint16_t>raw[pos]) | (<uint16_t>raw[pos + 1] << 8)]
                if c == 255:
                    err = 2
                    break
                n += c
                pos += 2
    if err == 0 and pos < size:
        err = 1
    if err:
        state[1] = pos
        state[2] = err
    state[0] = pos
    return n


def decode_evt3(const uint8_t[::1] raw, int64_t[::1] state, Event[::1] out):
    """Decode Prophesee EVT 3.0 words into ``out``; return the number of events written.

    Stateful decoder of the Prophesee EVT 3.0 spec: :math:`t = L\\,2^{24} + t_{high}\\,2^{12}
    + t_{low}`; EVT_ADDR_X emits :math:`(x, y, p, t)`; VECT_12/VECT_8 emit
    :math:`(x_{base} + k, y, p_{vect}, t)` for every set bit :math:`k` and advance
    :math:`x_{base}` by 12 / 8; a new :math:`t_{high}` resets :math:`t_{low}` to 0 and counts a
    wrap-around when it falls by :math:`2^{11}` or more (OpenEB's EVT3Decoder). A vector word
    is only consumed when ``out`` has room for all its events, so chunked decoding with the
    carried ``state`` equals one-shot decoding.

    Parameters
    ----------
    raw : uint8[::1]
        Data region (after the '%' header).
    state : int64[::1]
        ``[pos, err_pos, err_code, t_high, L, t_high_seen, t_low, y, x_base, p_vect]``.
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
    cdef int64_t th = state[3], loops = state[4], seen = state[5], tl = state[6]
    cdef int64_t y = state[7], xb = state[8], vp = state[9]
    cdef int64_t t = (loops << 24) + (th << 12) + tl
    cdef uint16_t w
    cdef uint32_t mask
    cdef int typ, k, nbits, err = 0
    with nogil:
        while pos + 2 <= size and n < cap:
            w = (<uint16_t>raw[pos]) | (<uint16_t>raw[pos + 1] << 8)
            typ = w >> 12
            if typ == 0x2:
                out[n].t = t
                out[n].x = w & 0x7FF
                out[n].y = y
                out[n].p = (w >> 11) & 1
                n += 1
            elif typ == 0x6:
                tl = w & 0xFFF
                t = (loops << 24) + (th << 12) + tl
            elif typ == 0x0:
                y = w & 0x7FF
            elif typ == 0x4 or typ == 0x5:
                if typ == 0x4:
                    mask = w & 0xFFF
                    nbits = 12
                else:
                    mask = w & 0xFF
                    nbits = 8
                if _EVT3_COUNT[w] > cap - n:
                    break
                while mask:
                    k = __builtin_ctz(mask)
                    out[n].t = t
                    out[n].x = xb + k
                    out[n].y = y
                    out[n].p = vp
                    n += 1
                    mask &= mask - 1
                xb += nbits
            elif typ == 0x3:
                xb = w & 0x7FF
                vp = (w >> 11) & 1
            elif typ == 0x8:
                if (w & 0xFFF) != th:
                    tl = 0
                _time_high(w & 0xFFF, 2048, &th, &loops, &seen)
                t = (loops << 24) + (th << 12) + tl
            elif typ == 0x7 or typ == 0xA or typ == 0xD or typ == 0xE or typ == 0xF:
                pass
            else:
                err = 2
                break
            pos += 2
    if err == 0 and pos < size and pos + 2 > size:
        err = 1
    if err:
        state[1] = pos
        state[2] = err
    state[0] = pos
    state[3] = th
    state[4] = loops
    state[5] = seen
    state[6] = tl
    state[7] = y
    state[8] = xb
    state[9] = vp
    return n


def decode_dat(const uint8_t[::1] raw, int64_t[::1] state, Event[::1] out, int version1):
    """Decode Prophesee DAT 8-byte CD records into ``out``; return the number written.

    For the two little-endian 32-bit words :math:`w_0, w_1` of each record (Prophesee DAT file
    format; OpenEB ``Event2d::RawEvent`` / ``RawEventV1``): version 2,
    :math:`x = w_1 \\& (2^{14}-1)`, :math:`y = (w_1 \\gg 14) \\& (2^{14}-1)`, :math:`p = w_1 \\gg 28`;
    version 1, :math:`x = w_1 \\& 511`, :math:`y = (w_1 \\gg 9) \\& 255`,
    :math:`p = (w_1 \\gg 17) \\& 1`. :math:`t = w_0 + 2^{32} k`, where :math:`k` counts the time
    stamps that fell more than :math:`2^{31}` µs below their predecessor (32-bit wrap-arounds).

    Parameters
    ----------
    raw : uint8[::1]
        Records after the header and the [type, size] bytes.
    state : int64[::1]
        ``[pos, err_pos, err_code, k, previous t]``.
    out : EVENT_DTYPE[::1]
        Output records.
    version1 : int
        1 for a ``% Version 1`` file (9-bit x, 8-bit y), 0 for version 2.

    Returns
    -------
    int
        Events written.
    """
    cdef Py_ssize_t pos = state[0]
    cdef Py_ssize_t size = raw.shape[0]
    cdef Py_ssize_t cap = out.shape[0]
    cdef Py_ssize_t n = 0
    cdef int64_t wraps = state[3], last = state[4], t
    cdef uint32_t d
    with nogil:
        while pos + 8 <= size and n < cap:
            d = _u32(raw, pos + 4)
            t = <int64_t>_u32(raw, pos) + (wraps << 32)
            if last - t > (<int64_t>1 << 31):
                wraps += 1
                t += <int64_t>1 << 32
            last = t
            out[n].t = t
            if version1:
                out[n].x = d & 0x1FF
                out[n].y = (d >> 9) & 0xFF
                out[n].p = (d >> 17) & 1
            else:
                out[n].x = d & 0x3FFF
                out[n].y = (d >> 14) & 0x3FFF
                out[n].p = d >> 28
            n += 1
            pos += 8
    if pos < size and pos + 8 > size:
        state[1] = pos
        state[2] = 1
    state[0] = pos
    state[3] = wraps
    state[4] = last
    return n


cdef inline int _check_event(Event e, int64_t xmax, int64_t ymax) noexcept nogil:
    return e.t >= 0 and e.x >= 0 and e.x <= xmax and e.y >= 0 and e.y <= ymax and (e.p == 0 or e.p == 1)


cdef inline int64_t _next_time_high(int64_t v, int64_t th, int64_t bits) noexcept nogil:
    # the next time-high counter (absolute, not reduced modulo 2^bits) on the way from v < th to
    # th: steps of at most half the range, and every wrap-around crossed as (2^bits - 1, 0), so
    # that both the half-range rule of the decoders above and OpenEB's whole-range rule see it
    cdef int64_t half = (<int64_t>1) << (bits - 1)
    cdef int64_t top = (((v >> bits) + 1) << bits) - 1  # the last counter before the next wrap
    if th <= top:
        return th if th - v <= half else v + half
    if v < top:
        return top if top - v <= half else v + half
    return top + 1


cdef inline int64_t _count_time_highs(int64_t cur, int64_t th, int64_t bits) noexcept nogil:
    # the number of time-high words that take the last counter sent (cur, -1 before the first:
    # start from 0, and send 0 itself when th is 0) to th >= cur
    cdef int64_t v = cur if cur >= 0 else 0
    cdef int64_t n = 1 if cur < 0 and th == 0 else 0
    if th == cur:
        return 0
    while v != th:
        v = _next_time_high(v, th, bits)
        n += 1
    return n


def encode_evt2(Event[::1] events, int64_t[::1] state, uint32_t[::1] words):
    """Encode time-ordered events as EVT 2.0 words; return the number of words written.

    Inverse of :func:`decode_evt2`: EVT_TIME_HIGH words carry :math:`(t \\gg 6) \\bmod 2^{28}`
    whenever :math:`t \\gg 6` changes, climbing from the last one sent (from 0 at the start) in
    steps of at most :math:`2^{27}` and crossing each wrap-around as :math:`2^{28}-1, 0` (so every
    decoder, including OpenEB's, recovers every :math:`t` exactly); then one CD word
    :math:`p\\,2^{28} + (t \\bmod 64)\\,2^{22} + x\\,2^{11} + y` (Prophesee EVT 2.0 spec).
    Stops when ``words`` lacks room for the next event; sets ``state[1:3]`` for an event with
    :math:`t` smaller than its predecessor or fields out of range (x, y < 2048, p in {0, 1}).

    Parameters
    ----------
    events : EVENT_DTYPE[::1]
        Events to encode, non-decreasing t.
    state : int64[::1]
        Encoder state ``[next_event, err_index, err_code, last_time_high, -, -]``.
    words : uint32[::1]
        Output words.

    Returns
    -------
    int
        Words written.
    """
    cdef Py_ssize_t i = state[0]
    cdef Py_ssize_t n_ev = events.shape[0]
    cdef Py_ssize_t cap = words.shape[0]
    cdef Py_ssize_t nw = 0
    cdef int64_t cur = state[3], th, need, v
    cdef Event e
    cdef int err = 0
    with nogil:
        while i < n_ev:
            e = events[i]
            if not _check_event(e, 2047, 2047):
                err = 4
                break
            th = e.t >> 6
            if cur >= 0 and th < cur:
                err = 3
                break
            need = _count_time_highs(cur, th, 28)
            if need + 1 > cap - nw:  # time-high words + the CD word
                break
            if need:
                if cur < 0 and th == 0:
                    words[nw] = <uint32_t>0x8 << 28
                    nw += 1
                v = cur if cur >= 0 else 0
                while v != th:
                    v = _next_time_high(v, th, 28)
                    words[nw] = (<uint32_t>0x8 << 28) | <uint32_t>(v & 0x0FFFFFFF)
                    nw += 1
                cur = th
            words[nw] = (<uint32_t>e.p << 28) | (<uint32_t>(e.t & 0x3F) << 22) \
                | (<uint32_t>e.x << 11) | <uint32_t>e.y
            nw += 1
            i += 1
    if err:
        state[1] = i
        state[2] = err
    state[0] = i
    state[3] = cur
    return nw


def encode_evt21(Event[::1] events, int64_t[::1] state, uint64_t[::1] words, int legacy):
    """Encode time-ordered events as EVT 2.1 words; return the number of words written.

    Inverse of :func:`decode_evt21`: time-high words as in :func:`encode_evt2` (in bits 59..32),
    then one EVT_NEG / EVT_POS word per run of consecutive events with the same
    :math:`t, y, p` and increasing :math:`x < x_0 + 32` (:math:`x_0` the run's first x):
    :math:`p\\,2^{60} + (t \\bmod 64)\\,2^{54} + x_0\\,2^{43} + y\\,2^{32} + \\sum_k 2^{x_k - x_0}`
    (Prophesee EVT 2.1 spec). With ``legacy`` the two 32-bit halves of every word are swapped
    (IMX636 order). Stops when ``words`` lacks room; sets ``state[1:3]`` for an event with
    :math:`t` smaller than its predecessor or fields out of range (x, y < 2048, p in {0, 1}).

    Parameters
    ----------
    events : EVENT_DTYPE[::1]
        Events to encode, non-decreasing t.
    state : int64[::1]
        Encoder state ``[next_event, err_index, err_code, last_time_high, -, -]``.
    words : uint64[::1]
        Output words (as stored in the file, little-endian).
    legacy : int
        1 for the IMX636 word order, 0 for plain little-endian words.

    Returns
    -------
    int
        Words written.
    """
    cdef Py_ssize_t i = state[0], j
    cdef Py_ssize_t n_ev = events.shape[0]
    cdef Py_ssize_t cap = words.shape[0]
    cdef Py_ssize_t nw = 0
    cdef int64_t cur = state[3], th, need, v
    cdef uint64_t w, valid
    cdef Event e, f
    cdef int err = 0
    with nogil:
        while i < n_ev:
            e = events[i]
            if not _check_event(e, 2047, 2047):
                err = 4
                break
            th = e.t >> 6
            if cur >= 0 and th < cur:
                err = 3
                break
            need = _count_time_highs(cur, th, 28)
            if need + 1 > cap - nw:  # time-high words + the CD word
                break
            if need:
                if cur < 0 and th == 0:
                    w = <uint64_t>0x8 << 60
                    words[nw] = ((w << 32) | (w >> 32)) if legacy else w
                    nw += 1
                v = cur if cur >= 0 else 0
                while v != th:
                    v = _next_time_high(v, th, 28)
                    w = (<uint64_t>0x8 << 60) | (<uint64_t>(v & 0x0FFFFFFF) << 32)
                    words[nw] = ((w << 32) | (w >> 32)) if legacy else w
                    nw += 1
                cur = th
            # the run of events that share this word
            valid = 1
            j = i + 1
            while j < n_ev:
                f = events[j]
                if f.t != e.t or f.y != e.y or f.p != e.p or f.x <= events[j - 1].x or f.x - e.x > 31 \
                        or not _check_event(f, 2047, 2047):
                    break
                valid |= <uint64_t>1 << (f.x - e.x)
                j += 1
            w = (<uint64_t>e.p << 60) | (<uint64_t>(e.t & 0x3F) << 54) | (<uint64_t>e.x << 43) \
                | (<uint64_t>e.y << 32) | valid
            words[nw] = ((w << 32) | (w >> 32)) if legacy else w
            nw += 1
            i = j
    if err:
        state[1] = i
        state[2] = err
    state[0] = i
    state[3] = cur
    return nw


def encode_evt3(Event[::1] events, int64_t[::1] state, uint16_t[::1] words, int width):
    """Encode time-ordered events as EVT 3.0 words; return the number of words written.

    Inverse of :func:`decode_evt3` (Prophesee EVT 3.0 spec), written as OpenEB decodes it. Per
    event, only what changed is sent: EVT_TIME_HIGH :math:`(t \\gg 12) \\bmod 2^{12}` (climbing
    as in :func:`encode_evt2`, steps of at most 2048, wrap-arounds as 4095, 0), EVT_TIME_LOW
    :math:`t \\bmod 2^{12}` (always after a time-high word: OpenEB resets t_low when t_high
    changes), EVT_ADDR_Y; then either EVT_ADDR_X, or, for a run of at least 5 events with the
    same t, y, p and increasing x inside :math:`[b, b + 32)` with
    :math:`b = \\min(x_0, \\mathrm{width} - 32)`, VECT_BASE_X :math:`b` and the 32-bit mask as
    VECT_12, VECT_12, VECT_8 (OpenEB reads VECT_12 only as the first word of that triple and
    drops a vector whose base + 32 exceeds the sensor width).

    Parameters
    ----------
    events : EVENT_DTYPE[::1]
        Events to encode, non-decreasing t.
    state : int64[::1]
        Encoder state ``[next_event, err_index, err_code, last_time_high, last_t_low, last_y]``.
    words : uint16[::1]
        Output words.
    width : int
        Sensor width (2048 when unknown); no vectors when it is below 32.

    Returns
    -------
    int
        Words written.
    """
    cdef Py_ssize_t i = state[0], j
    cdef Py_ssize_t n_ev = events.shape[0]
    cdef Py_ssize_t cap = words.shape[0]
    cdef Py_ssize_t nw = 0
    cdef int64_t cur = state[3], tl_last = state[4], y_last = state[5]
    cdef int64_t th, tl, need, nth, v, base, xprev
    cdef uint32_t mask
    cdef Event e, f
    cdef int err = 0, vector
    with nogil:
        while i < n_ev:
            e = events[i]
            if not _check_event(e, 2047, 2047):
                err = 4
                break
            th = e.t >> 12
            tl = e.t & 0xFFF
            if cur >= 0 and th < cur:
                err = 3
                break
            # a vector run: same t, y, p; strictly increasing x within [base, base + 32)
            j = i + 1
            vector = 0
            if width >= 32 and e.x < width:
                base = e.x if e.x < width - 32 else width - 32
                xprev = e.x
                while j < n_ev and j - i < 32:
                    f = events[j]
                    if f.t != e.t or f.y != e.y or f.p != e.p or f.x <= xprev or f.x >= base + 32:
                        break
                    if not _check_event(f, 2047, 2047):
                        break
                    xprev = f.x
                    j += 1
                vector = j - i >= 5
            if not vector:
                j = i + 1
            nth = _count_time_highs(cur, th, 12)
            need = nth + 2 + (4 if vector else 1)  # time highs, time low, y, the event word(s)
            if need > cap - nw:
                break
            if nth:
                if cur < 0 and th == 0:
                    words[nw] = <uint16_t>0x8 << 12
                    nw += 1
                v = cur if cur >= 0 else 0
                while v != th:
                    v = _next_time_high(v, th, 12)
                    words[nw] = (<uint16_t>0x8 << 12) | <uint16_t>(v & 0xFFF)
                    nw += 1
                cur = th
            if nth or tl != tl_last:
                words[nw] = (<uint16_t>0x6 << 12) | <uint16_t>tl
                nw += 1
                tl_last = tl
            if e.y != y_last:
                words[nw] = <uint16_t>e.y
                nw += 1
                y_last = e.y
            if vector:
                mask = 0
                while i < j:
                    mask |= (<uint32_t>1) << (events[i].x - base)
                    i += 1
                words[nw] = (<uint16_t>0x3 << 12) | (<uint16_t>e.p << 11) | <uint16_t>base
                words[nw + 1] = (<uint16_t>0x4 << 12) | <uint16_t>(mask & 0xFFF)
                words[nw + 2] = (<uint16_t>0x4 << 12) | <uint16_t>((mask >> 12) & 0xFFF)
                words[nw + 3] = (<uint16_t>0x5 << 12) | <uint16_t>((mask >> 24) & 0xFF)
                nw += 4
            else:
                words[nw] = (<uint16_t>0x2 << 12) | (<uint16_t>e.p << 11) | <uint16_t>e.x
                nw += 1
                i += 1
    if err:
        state[1] = i
        state[2] = err
    state[0] = i
    state[3] = cur
    state[4] = tl_last
    state[5] = y_last
    return nw
