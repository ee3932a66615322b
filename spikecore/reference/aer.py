"""Plain twins of the Cython AER decoders/encoders (``spikecore.kernels.aer_nmnist``,
``aer_aedat``, ``aer_prophesee``): same names, signatures, state layouts and results, written
straight from the format specifications, one unit at a time, for a reader. Slow on purpose.

Specifications: Orchard et al. (2015) for N-MNIST; iniVation AEDAT 2.0 / libcaer AEDAT 3.1
packet and polarity layouts; Prophesee (2023) EVT 2.0, EVT 2.1, EVT 3.0 and DAT format pages. The bit
layouts are spelled out in the docstrings of the kernel modules.

Shared conventions: ``raw`` uint8 data region; ``state`` int64 (``state[0]`` resume
position, ``state[1]`` first corrupt byte position or -1, ``state[2]`` error code: 1 truncated
unit, 2 reserved word type, 3 impossible packet header, 4 truncated packet, 5 unsupported
packet); ``out`` EVENT_DTYPE records; decoders return the number of events written and stop at
the end of ``raw``, when ``out`` is full, or at the first error.
"""


def _u16(raw, i):
    return int(raw[i]) | (int(raw[i + 1]) << 8)


def _le32(raw, i):
    return int(raw[i]) | (int(raw[i + 1]) << 8) | (int(raw[i + 2]) << 16) | (int(raw[i + 3]) << 24)


def _be32(raw, i):
    return (int(raw[i]) << 24) | (int(raw[i + 1]) << 16) | (int(raw[i + 2]) << 8) | int(raw[i + 3])


def _put(out, n, t, x, y, p):
    out[n] = (t, x, y, p)


def _flag(state, pos, code):
    state[1] = pos
    state[2] = code


# --------------------------------------------------------------------------- N-MNIST

def decode_nmnist(raw, state, out):
    """N-MNIST: t = ((b2 & 127) << 16 | b3 << 8 | b4) + 2^13 k; x = b0; y = b1; p = b2 >> 7;
    records with y == 240 increment k instead of giving an event. ``state[3]`` is k."""
    pos, size, cap, n, k = int(state[0]), len(raw), len(out), 0, int(state[3])
    while pos + 5 <= size and n < cap:
        b0, b1, b2, b3, b4 = (int(v) for v in raw[pos:pos + 5])
        if b1 == 240:
            k += 1
        else:
            t = (((b2 & 127) << 16) | (b3 << 8) | b4) + (k << 13)
            _put(out, n, t, b0, b1, b2 >> 7)
            n += 1
        pos += 5
    if pos < size and pos + 5 > size:
        _flag(state, pos, 1)
    state[0], state[3] = pos, k
    return n


# --------------------------------------------------------------------------- AEDAT 2.0

def _aedat2_event(a, layout):
    """(x, y, p) of a DVS address, or None for special / APS / IMU records."""
    if layout == 0:
        if a & 0x8000:
            return None
        return (a >> 1) & 0x7F, (a >> 8) & 0x7F, a & 1
    if (a >> 31) & 1 or (a >> 10) & 1:
        return None
    return (a >> 12) & 0x3FF, (a >> 22) & 0x1FF, (a >> 11) & 1


def count_aedat2(raw, state, layout):
    """Number of DVS events among the big-endian [address, timestamp] records."""
    pos, size, n = int(state[0]), len(raw), 0
    while pos + 8 <= size:
        if _aedat2_event(_be32(raw, pos), layout) is not None:
            n += 1
        pos += 8
    if pos < size:
        _flag(state, pos, 1)
    state[0] = pos
    return n


def decode_aedat2(raw, state, out, layout):
    """DVS events of AEDAT 2.0 records (layout 0 DVS128, 1 DAVIS); t = unsigned timestamp."""
    pos, size, cap, n = int(state[0]), len(raw), len(out), 0
    while pos + 8 <= size and n < cap:
        xyp = _aedat2_event(_be32(raw, pos), layout)
        if xyp is not None:
            _put(out, n, _be32(raw, pos + 4), *xyp)
            n += 1
        pos += 8
    if pos < size and pos + 8 > size:
        _flag(state, pos, 1)
    state[0] = pos
    return n


# --------------------------------------------------------------------------- AEDAT 3.1

def _aedat3_header(raw, pos):
    """(error code, header dict) of the 28-byte packet header at ``pos``."""
    size = len(raw)
    if pos + 28 > size:
        return 1, None
    etype = _u16(raw, pos)
    if etype >= 0x8000:
        etype -= 0x10000
    fields = [_le32(raw, pos + 4 * k) for k in range(1, 7)]
    fields = [v - (1 << 32) if v >= (1 << 31) else v for v in fields]
    h = dict(zip(("size", "tsoffset", "overflow", "capacity", "number", "valid"), fields), type=etype)
    if (h["size"] <= 0 or h["capacity"] < 0 or h["number"] < 0 or h["number"] > h["capacity"] or h["valid"] < 0
            or h["valid"] > h["number"] or h["overflow"] < 0 or h["tsoffset"] < 0 or h["tsoffset"] + 4 > h["size"]):
        return 3, h
    if h["capacity"] * h["size"] > size - pos - 28:
        return 4, h
    if etype < 0 or (etype == 1 and h["size"] != 8):
        return 5, h
    return 0, h


def count_aedat3(raw, state):
    """Valid polarity events (type-1 packets, first eventNumber events, valid bit set)."""
    pos, n = int(state[0]), 0
    while pos < len(raw):
        err, h = _aedat3_header(raw, pos)
        if err:
            _flag(state, pos, err)
            break
        if h["type"] == 1:
            for i in range(h["number"]):
                n += raw[pos + 28 + 8 * i] & 1
        pos += 28 + h["capacity"] * h["size"]
    state[0] = pos
    return int(n)


def decode_aedat3(raw, state, out):
    """t = eventTSOverflow 2^31 + ts; x = d >> 17; y = (d >> 2) & 0x7FFF; p = (d >> 1) & 1."""
    pos, cap, n, i = int(state[0]), len(out), 0, int(state[3])
    while pos < len(raw) and n < cap:
        err, h = _aedat3_header(raw, pos)
        if err:
            _flag(state, pos, err)
            break
        if h["type"] == 1:
            while i < h["number"] and n < cap:
                ev = pos + 28 + 8 * i
                d = _le32(raw, ev)
                if d & 1:
                    ts = _le32(raw, ev + h["tsoffset"])
                    ts = ts - (1 << 32) if ts >= (1 << 31) else ts
                    _put(out, n, (h["overflow"] << 31) + ts, (d >> 17) & 0x7FFF, (d >> 2) & 0x7FFF, (d >> 1) & 1)
                    n += 1
                i += 1
            if i < h["number"]:
                break
        i = 0
        pos += 28 + h["capacity"] * h["size"]
    state[0], state[3] = pos, i
    return n


# --------------------------------------------------------------------------- Prophesee

def _time_high(value, half, th, loops, seen):
    """A time-high value: (t_high, L, seen) after it (L += 1 when it falls by ``half`` or more)."""
    return value, loops + 1 if seen and th - value >= half else loops, 1


def decode_evt2(raw, state, out):
    """EVT 2.0: CD words give t = L 2^34 + t_high 2^6 + t_low; TIME_HIGH words set t_high
    (L += 1 when it falls by 2^27 or more); EXT_TRIGGER, IMU_EVT (0xD), OTHERS, CONTINUED are
    skipped. State: [pos, err, code, t_high, L, t_high_seen]."""
    pos, size, cap, n = int(state[0]), len(raw), len(out), 0
    th, loops, seen = int(state[3]), int(state[4]), int(state[5])
    while pos + 4 <= size and n < cap:
        w = _le32(raw, pos)
        kind = w >> 28
        if kind in (0, 1):
            _put(out, n, (loops << 34) + (th << 6) + ((w >> 22) & 0x3F), (w >> 11) & 0x7FF, w & 0x7FF, kind)
            n += 1
        elif kind == 8:
            th, loops, seen = _time_high(w & 0x0FFFFFFF, 1 << 27, th, loops, seen)
        elif kind not in (0xA, 0xD, 0xE, 0xF):
            _flag(state, pos, 2)
            break
        pos += 4
    else:
        if pos < size and pos + 4 > size:
            _flag(state, pos, 1)
    state[0], state[3], state[4], state[5] = pos, th, loops, seen
    return n


def _evt21_word(raw, pos, legacy):
    """The 64-bit EVT 2.1 word at ``pos``, type in bits 63..60 (legacy files: halves swapped)."""
    first, second = _le32(raw, pos), _le32(raw, pos + 4)
    return (first << 32) | second if legacy else (second << 32) | first


def count_evt21(raw, state, legacy):
    """EVT 2.1 event count: the set bits of the valid masks of EVT_NEG/EVT_POS words."""
    pos, size, n = int(state[0]), len(raw), 0
    while pos + 8 <= size:
        w = _evt21_word(raw, pos, legacy)
        kind = w >> 60
        if kind in (0, 1):
            n += bin(w & 0xFFFFFFFF).count("1")
        elif kind not in (0x8, 0xA, 0xE, 0xF):
            _flag(state, pos, 2)
            break
        pos += 8
    else:
        if pos < size:
            _flag(state, pos, 1)
    state[0] = pos
    return n


def decode_evt21(raw, state, out, legacy):
    """EVT 2.1: EVT_NEG/EVT_POS words give (x + k, y, p = type, t = L 2^34 + t_high 2^6 + t_low)
    for each set bit k of the 32-bit valid mask, k increasing (a word is decoded only when all
    its events fit in ``out``); TIME_HIGH words set t_high (bits 59..32; L += 1 when it
    falls by 2^27 or more). State: [pos, err, code, t_high, L, t_high_seen]."""
    pos, size, cap, n = int(state[0]), len(raw), len(out), 0
    th, loops, seen = int(state[3]), int(state[4]), int(state[5])
    while pos + 8 <= size and n < cap:
        w = _evt21_word(raw, pos, legacy)
        kind = w >> 60
        if kind in (0, 1):
            valid = w & 0xFFFFFFFF
            bits = [k for k in range(32) if valid >> k & 1]
            if len(bits) > cap - n:
                break
            t = (loops << 34) + (th << 6) + ((w >> 54) & 0x3F)
            x, y = (w >> 43) & 0x7FF, (w >> 32) & 0x7FF
            for k in bits:
                _put(out, n, t, x + k, y, kind)
                n += 1
        elif kind == 8:
            th, loops, seen = _time_high((w >> 32) & 0x0FFFFFFF, 1 << 27, th, loops, seen)
        elif kind not in (0xA, 0xE, 0xF):
            _flag(state, pos, 2)
            break
        pos += 8
    else:
        if pos < size and pos + 8 > size:
            _flag(state, pos, 1)
    state[0], state[3], state[4], state[5] = pos, th, loops, seen
    return n


_EVT3_RESERVED = (0x1, 0x9, 0xB, 0xC)


def count_evt3(raw, state):
    """EVT 3.0 event count: one per ADDR_X word plus the set bits of VECT_12/VECT_8 masks."""
    pos, size, n = int(state[0]), len(raw), 0
    while pos + 2 <= size:
        w = _u16(raw, pos)
        kind = w >> 12
        if kind == 0x2:
            n += 1
        elif kind == 0x4:
            n += bin(w & 0xFFF).count("1")
        elif kind == 0x5:
            n += bin(w & 0xFF).count("1")
        elif kind in _EVT3_RESERVED:
            _flag(state, pos, 2)
            state[0] = pos
            return n
        pos += 2
    if pos < size:
        _flag(state, pos, 1)
    state[0] = pos
    return n


def decode_evt3(raw, state, out):
    """EVT 3.0: t = L 2^24 + t_high 2^12 + t_low; ADDR_X emits (x, y, p, t); vectors emit
    (x_base + k, y, p_vect, t) for set bits k and advance x_base by 12 or 8; a TIME_HIGH with a
    new value resets t_low to 0 (L += 1 when it falls by 2048 or more); CONTINUED_4,
    EXT_TRIGGER, IMU (0xD), OTHERS, CONTINUED_12 are skipped. State:
    [pos, err, code, t_high, L, t_high_seen, t_low, y, x_base, p_vect]."""
    pos, size, cap, n = int(state[0]), len(raw), len(out), 0
    th, loops, seen, tl, y, xb, vp = (int(v) for v in state[3:10])
    error = False
    while pos + 2 <= size and n < cap:
        w = _u16(raw, pos)
        kind = w >> 12
        t = (loops << 24) + (th << 12) + tl
        if kind == 0x0:
            y = w & 0x7FF
        elif kind == 0x2:
            _put(out, n, t, w & 0x7FF, y, (w >> 11) & 1)
            n += 1
        elif kind == 0x3:
            xb, vp = w & 0x7FF, (w >> 11) & 1
        elif kind in (0x4, 0x5):
            bits = 12 if kind == 0x4 else 8
            mask = w & ((1 << bits) - 1)
            if bin(mask).count("1") > cap - n:
                break
            for k in range(bits):
                if mask >> k & 1:
                    _put(out, n, t, xb + k, y, vp)
                    n += 1
            xb += bits
        elif kind == 0x6:
            tl = w & 0xFFF
        elif kind == 0x8:
            if w & 0xFFF != th:
                tl = 0
            th, loops, seen = _time_high(w & 0xFFF, 2048, th, loops, seen)
        elif kind in _EVT3_RESERVED:
            _flag(state, pos, 2)
            error = True
            break
        pos += 2
    if not error and pos < size and pos + 2 > size:
        _flag(state, pos, 1)
    state[0] = pos
    state[3:10] = (th, loops, seen, tl, y, xb, vp)
    return n


def decode_dat(raw, state, out, version1):
    """DAT: t = first uint32 + 2^32 k (k += 1 each time t falls more than 2^31 below the previous
    t); of the second uint32 d, version 2: x = d & 0x3FFF, y = (d >> 14) & 0x3FFF, p = d >> 28;
    version 1: x = d & 0x1FF, y = (d >> 9) & 0xFF, p = (d >> 17) & 1. State: [pos, err, code,
    k, previous t]."""
    pos, size, cap, n = int(state[0]), len(raw), len(out), 0
    wraps, last = int(state[3]), int(state[4])
    while pos + 8 <= size and n < cap:
        t = _le32(raw, pos) + (wraps << 32)
        if last - t > 1 << 31:
            wraps += 1
            t += 1 << 32
        last = t
        d = _le32(raw, pos + 4)
        if version1:
            _put(out, n, t, d & 0x1FF, (d >> 9) & 0xFF, (d >> 17) & 1)
        else:
            _put(out, n, t, d & 0x3FFF, (d >> 14) & 0x3FFF, d >> 28)
        n += 1
        pos += 8
    if pos < size and pos + 8 > size:
        _flag(state, pos, 1)
    state[0], state[3], state[4] = pos, wraps, last
    return n


def _valid(e):
    return e["t"] >= 0 and 0 <= e["x"] <= 2047 and 0 <= e["y"] <= 2047 and e["p"] in (0, 1)


def _time_highs(cur, th, bits):
    """Time-high counters (absolute) to send to go from ``cur`` (-1: none yet; start from 0 and
    send 0 itself when ``th`` is 0) to ``th``: steps of at most 2^(bits-1), each wrap-around
    crossed as (k 2^bits - 1, k 2^bits)."""
    if th == cur:
        return []
    half = 1 << (bits - 1)
    sent = [0] if cur < 0 and th == 0 else []
    v = max(cur, 0)
    while v != th:
        top = ((v >> bits) + 1 << bits) - 1
        goal = th if th <= top else top if v < top else top + 1
        v = goal if goal - v <= half else v + half
        sent.append(v)
    return sent


def _evt2_time_highs(e, cur, state, i):
    """EVT 2.0 / 2.1 encoders: the time-high counters to send before event ``e`` (index ``i``),
    or None after flagging ``state`` when it cannot be encoded (4 out of range, 3 time going
    backwards)."""
    if not _valid(e):
        _flag(state, i, 4)
        return None
    th = int(e["t"]) >> 6
    if cur >= 0 and th < cur:
        _flag(state, i, 3)
        return None
    return _time_highs(cur, th, 28)


def encode_evt2(events, state, words):
    """EVT 2.0 encoding: TIME_HIGH (t >> 6) mod 2^28 when it changes (climbing in steps of at
    most 2^27 and crossing each wrap-around as 2^28 - 1, 0), then the CD word
    p << 28 | (t & 63) << 22 | x << 11 | y. Returns words written."""
    i, cap, nw, cur = int(state[0]), len(words), 0, int(state[3])
    while i < len(events):
        e = events[i]
        highs = _evt2_time_highs(e, cur, state, i)
        if highs is None or len(highs) + 1 > cap - nw:
            break
        for v in highs:
            words[nw] = (0x8 << 28) | (v & 0x0FFFFFFF)
            nw += 1
        cur = int(e["t"]) >> 6
        words[nw] = (int(e["p"]) << 28) | ((int(e["t"]) & 0x3F) << 22) | (int(e["x"]) << 11) | int(e["y"])
        nw += 1
        i += 1
    state[0], state[3] = i, cur
    return nw


def _evt21_store(w, legacy):
    return ((w & 0xFFFFFFFF) << 32) | (w >> 32) if legacy else w


def encode_evt21(events, state, words, legacy):
    """EVT 2.1 encoding: TIME_HIGH words as EVT 2.0's (value in bits 59..32), then one
    EVT_NEG/EVT_POS word per run (same t, y, p; increasing x within [x0, x0 + 32)):
    p << 60 | (t & 63) << 54 | x0 << 43 | y << 32 | mask. Legacy: 32-bit halves swapped."""
    i, cap, nw, cur = int(state[0]), len(words), 0, int(state[3])
    n_ev = len(events)
    while i < n_ev:
        e = events[i]
        highs = _evt2_time_highs(e, cur, state, i)
        if highs is None or len(highs) + 1 > cap - nw:
            break
        for v in highs:
            words[nw] = _evt21_store((0x8 << 60) | ((v & 0x0FFFFFFF) << 32), legacy)
            nw += 1
        t = int(e["t"])
        cur = t >> 6
        j, x0, mask = i + 1, int(e["x"]), 1
        while j < n_ev:
            f = events[j]
            if (f["t"] != e["t"] or f["y"] != e["y"] or f["p"] != e["p"] or f["x"] <= events[j - 1]["x"]
                    or f["x"] - x0 > 31 or not _valid(f)):
                break
            mask |= 1 << (int(f["x"]) - x0)
            j += 1
        w = (int(e["p"]) << 60) | ((t & 0x3F) << 54) | (x0 << 43) | (int(e["y"]) << 32) | mask
        words[nw] = _evt21_store(w, legacy)
        nw += 1
        i = j
    state[0], state[3] = i, cur
    return nw


def _evt3_vector_run(events, i, width):
    """(end, base) of the run of events from ``i`` that one VECT_BASE_X + VECT_12, VECT_12,
    VECT_8 triple can carry (same t, y, p; increasing x in [base, base + 32), base =
    min(x, width - 32)), or (i + 1, None) when it has fewer than 5 events or cannot have one."""
    e = events[i]
    x0 = int(e["x"])
    if width < 32 or x0 >= width:
        return i + 1, None
    base, j, xprev = min(x0, width - 32), i + 1, x0
    while j < len(events) and j - i < 32:
        f = events[j]
        if (f["t"] != e["t"] or f["y"] != e["y"] or f["p"] != e["p"] or f["x"] <= xprev
                or f["x"] >= base + 32 or not _valid(f)):
            break
        xprev = int(f["x"])
        j += 1
    return (j, base) if j - i >= 5 else (i + 1, None)


def encode_evt3(events, state, words, width):
    """EVT 3.0 encoding: TIME_HIGH words (as EVT 2.0's, 12-bit, steps of at most 2048) when
    t >> 12 changes, TIME_LOW when t & 4095 changes or after a TIME_HIGH, ADDR_Y when y changes,
    then ADDR_X, or for a run of 5 or more (see ``_evt3_vector_run``) VECT_BASE_X base and the
    32-bit mask as VECT_12 (bits 0-11), VECT_12 (bits 12-23), VECT_8 (bits 24-31)."""
    i, cap, nw = int(state[0]), len(words), 0
    cur, tl_last, y_last = int(state[3]), int(state[4]), int(state[5])
    n_ev = len(events)
    while i < n_ev:
        e = events[i]
        if not _valid(e):
            _flag(state, i, 4)
            break
        t = int(e["t"])
        th, tl = t >> 12, t & 0xFFF
        if cur >= 0 and th < cur:
            _flag(state, i, 3)
            break
        j, base = _evt3_vector_run(events, i, width)
        highs = _time_highs(cur, th, 12)
        out = [(0x8 << 12) | (v & 0xFFF) for v in highs]
        if highs or tl != tl_last:
            out.append((0x6 << 12) | tl)
        if int(e["y"]) != y_last:
            out.append(int(e["y"]))
        if base is not None:
            mask = 0
            for k in range(i, j):
                mask |= 1 << (int(events[k]["x"]) - base)
            out += [(0x3 << 12) | (int(e["p"]) << 11) | base, (0x4 << 12) | (mask & 0xFFF),
                    (0x4 << 12) | ((mask >> 12) & 0xFFF), (0x5 << 12) | (mask >> 24)]
        else:
            out.append((0x2 << 12) | (int(e["p"]) << 11) | int(e["x"]))
        # the kernel reserves room for the worst case of this event before writing
        need = len(highs) + 2 + (4 if base is not None else 1)
        if need > cap - nw:
            break
        for v in out:
            words[nw] = v
            nw += 1
        cur, tl_last, y_last = th, tl, int(e["y"])
        i = j
    state[0], state[3], state[4], state[5] = i, cur, tl_last, y_last
    return nw
