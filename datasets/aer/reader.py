"""``read_header``, ``read_events`` and ``iter_events``: one entry point for every format.

Binary formats are memory-mapped and decoded by the compiled kernels of
``spikecore.kernels.aer_*`` (Cython, built ahead of time), which stop at the first corrupt or
truncated unit; the error then names the file and the byte offset. Formats whose event count
is not bounded by their size (EVT 2.1 and 3.0 vectors, AEDAT packets) are counted first, so the
output is allocated once at its exact size.
"""
import os

import numpy as np

from spikecore import _validate

from . import aedat2, aedat3, aedat4, nmnist
from ._common import EVENT_DTYPE, FORMATS, CorruptFileError, MappedFile, kernel_error, read_prefix
from .detect import detect_format
from .prophesee import DAT, EVT2, EVT3, EVT21

CODECS = {"nmnist": nmnist, "aedat2": aedat2, "aedat3": aedat3, "evt2": EVT2, "evt21": EVT21, "evt3": EVT3,
          "dat": DAT}
#: Formats made of fixed-size units after the header: bytes past the last whole unit are a truncated unit.
WHOLE_UNITS = ("nmnist", "aedat2", "evt2", "evt21", "evt3", "dat")


def _whole_units(mapped, meta, codec):
    """The data bytes up to the last whole unit, and the byte offset of a trailing partial unit (or None)."""
    raw = mapped.array[meta.data_offset:]
    if meta.format not in WHOLE_UNITS:
        return raw, None
    cut = len(raw) - len(raw) % codec.UNIT
    return raw[:cut], (meta.data_offset + cut if cut < len(raw) else None)


def _truncated(meta, codec, offset, what=None):
    raise CorruptFileError(meta.path, offset, "truncated record: the file ends inside %s"
                           % (what or "a %d-byte unit" % codec.UNIT), meta.format)


def _codec_name(path, format):
    if format is None:
        return detect_format(path)
    return _validate.choice("format", format, FORMATS)


def _header(path, name, size, layout, stream):
    head = read_prefix(path, 1 << 20)
    if name == "aedat4":
        return aedat4.parse_header(path, head, size, layout=layout, stream=stream)
    if stream is not None:
        _validate.fail("stream", stream, "None: only AEDAT 4.0 files have streams, and %r is %s" % (path, name))
    return CODECS[name].parse_header(path, head, size, layout=layout)


def read_header(path, format=None, *, layout=None, stream=None):
    """Read a file's header: format, sensor size, header fields, where the data starts.

    Parameters
    ----------
    path : str or os.PathLike
        Event file.
    format : str, optional
        One of ``"nmnist"``, ``"aedat2"``, ``"aedat3"``, ``"aedat4"``, ``"evt2"``, ``"evt21"``,
        ``"evt3"``, ``"dat"``; detected from the first bytes when omitted (see :func:`detect_format`).
    layout : {"dvs128", "davis"}, optional
        AEDAT 2.0 address layout, when the ``# AEChip:`` line names no known chip.
    stream : int, optional
        AEDAT 4.0 only: the id of the event stream to read, required when the file holds
        several (e.g. a stereo recording; the error lists them).

    Returns
    -------
    EventFileMeta
        ``format``, ``sensor_size`` ((width, height) or None; AEDAT 4.0: of the chosen
        stream), ``header``, ``header_lines``, ``data_offset``, ``layout`` and format-specific
        ``extra`` (AEDAT 4.0: ``streams``, ``event_streams``, the chosen ``stream``).
    """
    path = _validate.path("path", path)
    name = _codec_name(path, format)
    return _header(path, name, os.path.getsize(path), layout, stream)


def _decode_all(mapped, meta, codec):
    raw, partial = _whole_units(mapped, meta, codec)
    state = codec.new_state(meta)
    if codec.count is not None:
        probe = state.copy()
        n = codec.count(raw, probe, meta)
        if probe[1] >= 0:
            kernel_error(meta.path, meta.format, meta.data_offset, probe, "%d-byte unit" % codec.UNIT)
    else:
        n = codec.bound(len(raw))
    out = np.empty(n, EVENT_DTYPE)
    got = codec.decode(raw, state, out, meta)
    more = []
    while state[1] < 0 and state[0] < len(raw):
        # the counting kernel stopped before words that produce no event (a trailing time-high word) or
        # before the events of a trailing EVT 3.0 vector group, which the decoder emits word by word:
        # decode the rest in small blocks, so no event is dropped and no error is raised for valid data
        at = int(state[0])
        block = np.empty(64, EVENT_DTYPE)
        k = codec.decode(raw, state, block, meta)
        if k:
            more.append(block[:k])
        elif state[0] == at:
            break
    if state[1] >= 0:
        kernel_error(meta.path, meta.format, meta.data_offset, state, "%d-byte unit" % codec.UNIT)
    if state[0] != len(raw):  # no progress before the end without an error: never return fewer events silently
        _truncated(meta, codec, meta.data_offset + int(state[0]), "a multi-word event group")
    if partial is not None:
        _truncated(meta, codec, partial)
    if more:
        return np.concatenate([out[:got]] + more)
    if got < n:
        out = out[:got].copy() if got < 0.75 * n else out[:got]
    return out


def read_events(path, format=None, *, layout=None, stream=None):
    """Read all camera events of a file, in file order.

    Parameters
    ----------
    path : str or os.PathLike
        Event file: N-MNIST/N-Caltech101 ``.bin``, AEDAT 2.0/3.1/4.0, Prophesee EVT 2.0/2.1/3.0
        ``.raw`` or ``.dat``.
    format : str, optional
        Format name (see :func:`read_header`); detected from the header/magic bytes when
        omitted, never from the extension.
    layout : {"dvs128", "davis"}, optional
        AEDAT 2.0 address layout when the header names no known chip.
    stream : int, optional
        AEDAT 4.0 event stream id, for files with several event streams (see :func:`read_header`).

    Returns
    -------
    numpy.ndarray
        Structured array of ``EVENT_DTYPE``: ``t`` (int64, µs), ``x``, ``y`` (int16),
        ``p`` (int8, 1 = ON). Use :func:`read_header` for the sensor size and header fields.

    Raises
    ------
    CorruptFileError
        Truncated or corrupt data; the message names the file and the byte offset.
    """
    path = _validate.path("path", path)
    meta = read_header(path, format, layout=layout, stream=stream)
    with MappedFile(path) as mapped:
        if meta.format == "aedat4":
            parts = list(aedat4.iter_packets(mapped, meta))
            return np.concatenate(parts) if parts else np.zeros(0, EVENT_DTYPE)
        return _decode_all(mapped, meta, CODECS[meta.format])


def _rechunk(blocks, chunk):
    """Re-cut a stream of event arrays into arrays of exactly ``chunk`` events (last shorter)."""
    pending = []
    have = 0
    for block in blocks:
        pending.append(block)
        have += len(block)
        while have >= chunk:
            joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
            yield joined[:chunk]
            rest = joined[chunk:]
            pending = [rest] if len(rest) else []
            have = len(rest)
    if have:
        yield np.concatenate(pending) if len(pending) > 1 else pending[0]


def iter_events(path, chunk=1_000_000, format=None, *, layout=None, stream=None):
    """Stream the events of a file in arrays of ``chunk`` events (the last may be shorter).

    The file is memory-mapped and decoded incrementally; stateful decoders (EVT 2.0/3.0 time
    bases, AEDAT 3.1 packets, N-MNIST overflow markers) carry their state from one chunk to
    the next, so concatenating the chunks equals :func:`read_events`. Corrupt data raises
    when the stream reaches it (earlier chunks have already been yielded).

    Parameters
    ----------
    path : str or os.PathLike
        Event file.
    chunk : int
        Events per yielded array, >= 1.
    format, layout, stream
        As for :func:`read_events`.

    Yields
    ------
    numpy.ndarray
        ``EVENT_DTYPE`` arrays.
    """
    chunk = _validate.integer("chunk", chunk, low=1)
    path = _validate.path("path", path)
    meta = read_header(path, format, layout=layout, stream=stream)
    with MappedFile(path) as mapped:
        if meta.format == "aedat4":
            yield from _rechunk(aedat4.iter_packets(mapped, meta), chunk)
            return
        yield from _rechunk(_kernel_blocks(mapped, meta, CODECS[meta.format], max(chunk, 32)), chunk)


def _kernel_blocks(mapped, meta, codec, capacity):
    """Decode ``mapped`` block by block (``capacity`` >= 32: room for any EVT 2.1 or 3.0 vector)."""
    raw, partial = _whole_units(mapped, meta, codec)
    state = codec.new_state(meta)
    while True:
        out = np.empty(capacity, EVENT_DTYPE)
        got = codec.decode(raw, state, out, meta)
        if got:
            yield out[:got]
        if state[1] >= 0:
            kernel_error(meta.path, meta.format, meta.data_offset, state, "%d-byte unit" % codec.UNIT)
        if state[0] >= len(raw):
            if partial is not None:
                _truncated(meta, codec, partial)
            return
        if got == 0:  # no progress without an error: the data ends inside a group of words
            _truncated(meta, codec, meta.data_offset + int(state[0]), "a multi-word event group")
