"""Writers: N-MNIST ``.bin``, AEDAT 2.0, Prophesee EVT 2.0 and EVT 3.0.

Every writer is atomic (a temporary file in the same folder, then ``os.replace``), so an
interrupted write leaves any previous file intact, and deterministic, so that for a file it
wrote ``write(read(file))`` reproduces it byte for byte.
"""
import os

import numpy as np

from spikecore import _validate
from spikecore.kernels import aer_prophesee

from spikecore._atomic import atomic_write

from ._common import EVENT_DTYPE

WRITE_FORMATS = ("nmnist", "aedat2", "evt2", "evt21", "evt3")
NMNIST_T_BITS = 23
NMNIST_OVERFLOW = 1 << 13
DEFAULT_CHIPS = {"dvs128": "ch.unizh.ini.jaer.chip.retina.DVS128",
                 "davis": "eu.seebetter.ini.chips.davis.Davis346B"}


def as_events(events, name="events"):
    """Return ``events`` (a structured array with fields t, x, y, p) as a contiguous
    ``EVENT_DTYPE`` array, checking the fields exist and are integers."""
    arr = np.asarray(events)
    names = arr.dtype.names or ()
    if arr.ndim != 1 or not all(f in names for f in ("t", "x", "y", "p")):
        _validate.fail(name, "<array of dtype %s, shape %s>" % (arr.dtype, arr.shape),
                       "a 1-D structured array with integer fields t, x, y, p (EVENT_DTYPE)", TypeError)
    for f in ("t", "x", "y", "p"):
        kind = arr.dtype[f].kind
        if kind not in "iub":
            _validate.fail(name, "<field %s of dtype %s>" % (f, arr.dtype[f]), "integer fields t, x, y, p", TypeError)
    if arr.dtype == EVENT_DTYPE:
        return np.ascontiguousarray(arr)
    out = np.empty(len(arr), EVENT_DTYPE)
    for f in ("t", "x", "y", "p"):
        column = arr[f].astype(np.int64)
        lo, hi = {"t": (np.iinfo(np.int64).min, np.iinfo(np.int64).max), "x": (-32768, 32767),
                  "y": (-32768, 32767), "p": (-128, 127)}[f]
        if len(column) and (column.min() < lo or column.max() > hi):
            bad = int(np.argmax((column < lo) | (column > hi)))
            _validate.fail(name, "<event %d: %s = %d>" % (bad, f, column[bad]), "%s within the %s range of EVENT_DTYPE"
                           % (f, EVENT_DTYPE[f]))
        out[f] = column
    return out


def _check_range(ev, field, low, high, what, name="events"):
    col = ev[field]
    bad = np.nonzero((col < low) | (col > high))[0]
    if len(bad):
        i = int(bad[0])
        _validate.fail(name, "<event %d: %s = %d>" % (i, field, int(col[i])),
                       "%s in [%d, %d] (%s)" % (field, low, high, what))


def nmnist_bytes(events):
    """Encode events as N-MNIST 40-bit records (Orchard et al., 2015), inserting the minimal
    number of overflow markers (y = 240, each worth :math:`2^{13}` µs) so that every
    :math:`t = t_{raw} + 2^{13} k` has :math:`0 \\le t_{raw} < 2^{23}`."""
    ev = as_events(events)
    _check_range(ev, "x", 0, 255, "8-bit N-MNIST address")
    _check_range(ev, "y", 0, 255, "8-bit N-MNIST address")
    bad = np.nonzero(ev["y"] == 240)[0]
    if len(bad):
        _validate.fail("events", "<event %d: y = 240>" % bad[0], "y != 240 (240 is the N-MNIST overflow marker)")
    _check_range(ev, "p", 0, 1, "polarity")
    _check_range(ev, "t", 0, np.iinfo(np.int64).max, "µs")
    t = ev["t"]
    top = (1 << NMNIST_T_BITS) - 1
    need = np.maximum(0, -((top - t) // NMNIST_OVERFLOW))  # ceil((t - top) / 2^13), >= 0
    k = np.maximum.accumulate(need) if len(t) else need
    traw = t - k * NMNIST_OVERFLOW
    bad = np.nonzero(traw < 0)[0]
    if len(bad):
        _validate.fail("events", "<event %d: t = %d>" % (bad[0], t[bad[0]]),
                       "times that overflow markers can reach: t may not fall more than 2^23 µs below an earlier t")
    n = len(ev)
    total = n + (int(k[-1]) if n else 0)
    rows = np.zeros((total, 5), np.uint8)
    rows[:, 1] = 240  # markers everywhere, then the events on top
    at = np.arange(n) + k
    rows[at, 0] = ev["x"]
    rows[at, 1] = ev["y"]
    rows[at, 2] = (ev["p"].astype(np.uint8) << 7) | (traw >> 16).astype(np.uint8)
    rows[at, 3] = ((traw >> 8) & 0xFF).astype(np.uint8)
    rows[at, 4] = (traw & 0xFF).astype(np.uint8)
    return rows.tobytes()


def write_nmnist(path, events):
    """Write events as an N-MNIST / N-Caltech101 ``.bin`` file (atomic).

    Each event is 5 bytes ``x, y, p << 7 | t[22:16], t[15:8], t[7:0]`` (Orchard et al., 2015);
    times beyond :math:`2^{23}` µs use overflow markers (:func:`nmnist_bytes`).

    Parameters
    ----------
    path : str or os.PathLike
        Output file.
    events : ndarray
        Structured array with t (µs, >= 0), x, y (0..255, y != 240), p (0/1).
    """
    data = nmnist_bytes(events)
    with atomic_write(path) as f:
        f.write(data)


def write_aedat2(path, events, *, layout="davis", chip=None):
    """Write events as a jAER AEDAT 2.0 file (atomic).

    Records are big-endian ``[address, timestamp]``; DVS128: :math:`a = y\\,2^8 + x\\,2 + p`;
    DAVIS: :math:`a = y\\,2^{22} + x\\,2^{12} + p\\,2^{11}` (iniVation AEDAT 2.0 layouts).

    Parameters
    ----------
    path : str or os.PathLike
        Output file.
    events : ndarray
        Structured array; t in [0, 2^32) µs; DVS128 x, y < 128; DAVIS x < 1024, y < 512.
    layout : {"dvs128", "davis"}
        Address layout.
    chip : str, optional
        jAER chip class for the ``# AEChip:`` line (default: DVS128 or Davis346B).
    """
    _validate.choice("layout", layout, ("dvs128", "davis"))
    ev = as_events(events)
    xmax, ymax = (127, 127) if layout == "dvs128" else (1023, 511)
    _check_range(ev, "x", 0, xmax, layout + " address")
    _check_range(ev, "y", 0, ymax, layout + " address")
    _check_range(ev, "p", 0, 1, "polarity")
    _check_range(ev, "t", 0, (1 << 32) - 1, "unsigned 32-bit µs timestamp")
    x = ev["x"].astype(np.uint32)
    y = ev["y"].astype(np.uint32)
    p = ev["p"].astype(np.uint32)
    if layout == "dvs128":
        addr = (y << 8) | (x << 1) | p
    else:
        addr = (y << 22) | (x << 12) | (p << 11)
    records = np.empty((len(ev), 2), ">u4")
    records[:, 0] = addr
    records[:, 1] = ev["t"].astype(np.uint32)
    if chip is None:
        chip = DEFAULT_CHIPS[layout]
    if not isinstance(chip, str) or not chip or not all(0x20 <= ord(c) < 0x7F for c in chip):
        _validate.fail("chip", chip, "None or a jAER chip class name (printable ASCII on one line)",
                       TypeError if not isinstance(chip, str) else ValueError)
    header = ("#!AER-DAT2.0\r\n"
              "# This is a raw AE data file - do not edit\r\n"
              "# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event\r\n"
              "# Timestamps tick is 1 us\r\n"
              "# AEChip: %s\r\n"
              "# Written by spikecore\r\n" % chip)
    with atomic_write(path) as f:
        f.write(header.encode("ascii"))
        f.write(records.tobytes())


def _sensor_size(sensor_size, ev):
    """``sensor_size`` as ``(width, height)`` (1..2048 each), with every event inside it; None stays None."""
    if sensor_size is None:
        return None
    size = _validate.sequence("sensor_size", sensor_size, "None or (width, height)")
    if len(size) != 2:
        _validate.fail("sensor_size", sensor_size, "None or (width, height)")
    w = _validate.integer("sensor_size[0]", size[0], low=1, high=2048)
    h = _validate.integer("sensor_size[1]", size[1], low=1, high=2048)
    _check_range(ev, "x", 0, w - 1, "inside sensor_size = (%d, %d)" % (w, h))
    _check_range(ev, "y", 0, h - 1, "inside sensor_size = (%d, %d)" % (w, h))
    return w, h


def _prophesee_header(evt, sensor_size, options=""):
    lines = ["% evt " + {"evt2": "2.0", "evt21": "2.1", "evt3": "3.0"}[evt]]
    if sensor_size is not None:
        w, h = sensor_size
        lines.append("% format " + evt.upper() + ";height=%d;width=%d" % (h, w) + options)
        lines.append("%% geometry %dx%d" % (w, h))
    elif options:
        lines.append("% format " + evt.upper() + options)
    lines += ["% generator spikecore", "% end"]
    return ("\n".join(lines) + "\n").encode("ascii")


_ENCODE_ERRORS = {3: "non-decreasing time bases: events must be sorted by t",
                  4: "0 <= x, y < 2048, p in {0, 1} and t >= 0"}


def _encode_words(ev, encode, dtype, per_event):
    """Run a Prophesee encoder kernel over ``ev``, growing the word buffer as needed."""
    state = np.array([0, -1, 0, -1, -1, -1], np.int64)
    parts = []
    cap = max(64, per_event * len(ev) + 64)
    while True:
        words = np.empty(cap, dtype)
        nw = encode(ev, state, words)
        parts.append(words[:nw])
        if state[1] >= 0:
            i = int(state[1])
            _validate.fail("events", "<event %d: %s>" % (i, ev[i]), _ENCODE_ERRORS[int(state[2])])
        if state[0] >= len(ev):
            break
        if nw == 0:
            cap *= 2
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def write_evt2(path, events, *, sensor_size=None):
    """Write events as a Prophesee EVT 2.0 RAW file (atomic); see
    :func:`spikecore.kernels.aer_prophesee.encode_evt2` for the encoding.

    Parameters
    ----------
    path : str or os.PathLike
        Output file.
    events : ndarray
        Structured array sorted by t (µs, >= 0); x, y < 2048; p 0/1.
    sensor_size : (width, height), optional
        Written to the header (``% format`` and ``% geometry`` lines).
    """
    ev = as_events(events)
    sensor_size = _sensor_size(sensor_size, ev)
    words = _encode_words(ev, aer_prophesee.encode_evt2, np.uint32, 2)
    with atomic_write(path) as f:
        f.write(_prophesee_header("evt2", sensor_size))
        f.write(words.astype("<u4").tobytes())


def write_evt21(path, events, *, sensor_size=None, endianness="little"):
    """Write events as a Prophesee EVT 2.1 RAW file (atomic), one 64-bit word per run of
    neighbouring events (same t, y, p; x within 32 pixels); see
    :func:`spikecore.kernels.aer_prophesee.encode_evt21`.

    Parameters
    ----------
    path : str or os.PathLike
        Output file.
    events : ndarray
        Structured array sorted by t (µs, >= 0); x, y < 2048; p 0/1.
    sensor_size : (width, height), optional
        Written to the header.
    endianness : {"little", "legacy"}
        Plain little-endian 64-bit words (GenX320 and the format page), or the IMX636 order
        (the upper 32-bit half first; written as ``endianness=legacy`` on the ``format`` line,
        as OpenEB reads it).
    """
    endianness = _validate.choice("endianness", endianness, ("little", "legacy"))
    ev = as_events(events)
    sensor_size = _sensor_size(sensor_size, ev)
    legacy = int(endianness == "legacy")
    words = _encode_words(ev, lambda e, s, w: aer_prophesee.encode_evt21(e, s, w, legacy), np.uint64, 2)
    with atomic_write(path) as f:
        f.write(_prophesee_header("evt21", sensor_size, ";endianness=legacy" if legacy else ""))
        f.write(words.astype("<u8").tobytes())


def write_evt3(path, events, *, sensor_size=None):
    """Write events as a Prophesee EVT 3.0 RAW file (atomic), with vector words (VECT_12,
    VECT_12, VECT_8 after VECT_BASE_X, as OpenEB reads them) for runs of 5 or more neighbouring
    events; see :func:`spikecore.kernels.aer_prophesee.encode_evt3`.

    Parameters
    ----------
    path : str or os.PathLike
        Output file.
    events : ndarray
        Structured array sorted by t (µs, >= 0); x, y < 2048; p 0/1.
    sensor_size : (width, height), optional
        Written to the header; the width also keeps every vector inside the sensor (OpenEB drops
        a vector whose base + 32 exceeds it). Without it vectors stay below x = 2048.
    """
    ev = as_events(events)
    sensor_size = _sensor_size(sensor_size, ev)
    width = 2048 if sensor_size is None else sensor_size[0]
    words = _encode_words(ev, lambda e, s, w: aer_prophesee.encode_evt3(e, s, w, width), np.uint16, 7)
    with atomic_write(path) as f:
        f.write(_prophesee_header("evt3", sensor_size))
        f.write(words.astype("<u2").tobytes())


def write_events(path, events, format, **options):
    """Write events in ``format`` (``"nmnist"``, ``"aedat2"``, ``"evt2"``, ``"evt21"``, ``"evt3"``), atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output file.
    events : ndarray
        Structured array with fields t, x, y, p (``EVENT_DTYPE``).
    format : str
        Output format.
    **options
        Passed to the writer: ``layout``/``chip`` (AEDAT 2.0), ``sensor_size`` (EVT),
        ``endianness`` (EVT 2.1).
    """
    _validate.choice("format", format, WRITE_FORMATS)
    path = _validate.path("path", path)
    if os.path.isdir(path):
        _validate.fail("path", path, "a file path (it is a folder)", IsADirectoryError)
    writer = {"nmnist": write_nmnist, "aedat2": write_aedat2, "evt2": write_evt2, "evt21": write_evt21,
              "evt3": write_evt3}[format]
    return writer(os.fspath(path), events, **options)
