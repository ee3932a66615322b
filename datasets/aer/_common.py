"""Pieces shared by every AER reader and writer: the event record type, the corrupt-file
error, the header metadata object, header-line parsing, memory mapping (atomic writes: spikecore._atomic)."""
import mmap
import os
from dataclasses import dataclass, field

import numpy as np

#: One camera event: ``t`` (int64, µs), ``x``, ``y`` (int16) and ``p`` (int8 polarity, 1 = ON).
#: Aligned to 16 bytes per record (the compiled decoders write whole records).
EVENT_DTYPE = np.dtype([("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("p", "i1")], align=True)

#: The formats :func:`read_events` understands.
FORMATS = ("nmnist", "aedat2", "aedat3", "aedat4", "evt2", "evt21", "evt3", "dat")

_REASONS = {
    1: "truncated record: the file ends inside a %s",
    2: "reserved (invalid) word type",
    3: "impossible packet header (negative or inconsistent sizes/counts)",
    4: "packet payload runs past the end of the file",
    5: "unsupported packet (compressed packet or unexpected event size)",
}


class CorruptFileError(ValueError):
    """A file is truncated or holds bytes its format does not allow.

    Attributes ``path``, ``offset`` (byte offset from the start of the file) and
    ``reason`` say where and what; the message names all three.
    """

    def __init__(self, path, offset, reason, fmt=None):
        self.path = os.fspath(path)
        self.offset = int(offset)
        self.reason = reason
        self.format = fmt
        what = ("%s " % fmt) if fmt else ""
        super().__init__("%r: corrupt %sdata at byte offset %d: %s" % (self.path, what, self.offset, reason))


def kernel_error(path, fmt, data_offset, state, unit="record"):
    """Raise :class:`CorruptFileError` from a kernel's ``state`` (``state[1]`` >= 0)."""
    code = int(state[2])
    reason = _REASONS.get(code, "error code %d" % code)
    if code == 1:
        reason = reason % unit
    raise CorruptFileError(path, data_offset + int(state[1]), reason, fmt)


@dataclass
class EventFileMeta:
    """What a file's header says, as returned by :func:`read_header`.

    Attributes
    ----------
    path : str
        The file.
    format : str
        One of ``FORMATS``.
    data_offset : int
        Byte offset where the binary event data starts (after the header).
    sensor_size : tuple of int or None
        ``(width, height)`` in pixels when the header (or the chip/plugin it names) says so,
        else ``None``.
    header : dict
        Header fields by name (``str -> str``), e.g. ``{"evt": "3.0", "plugin_name": ...}``.
    header_lines : list of str
        The raw header lines (without their '#'/'%' prefix and line ending).
    layout : str or None
        AEDAT 2.0 address layout (``"dvs128"`` or ``"davis"``).
    extra : dict
        Format-specific details (AEDAT 4: ``compression``, ``streams``, ...).
    """

    path: str
    format: str
    data_offset: int
    sensor_size: tuple = None
    header: dict = field(default_factory=dict)
    header_lines: list = field(default_factory=list)
    layout: str = None
    extra: dict = field(default_factory=dict)


def text_header(buf, prefix, end_marker=None, max_line=1 << 16):
    """Split the text header of ``buf`` (bytes-like) into lines starting with ``prefix``.

    A line belongs to the header when it starts with ``prefix``, ends with ``\\n`` within
    ``max_line`` bytes and is valid UTF-8 without control characters (so binary data that
    happens to begin with the prefix byte is not swallowed). ``end_marker`` (a line, after
    the prefix, that ends the header, e.g. ``"end"``) stops the scan early.

    Returns
    -------
    lines : list of str
        Header lines without prefix and line ending.
    data_offset : int
        Offset of the first byte after the header.
    """
    pos = 0
    lines = []
    size = len(buf)
    p = prefix.encode()
    while pos < size and bytes(buf[pos:pos + len(p)]) == p:
        stop = bytes(buf[pos:pos + max_line]).find(b"\n")
        if stop < 0:
            break
        raw = bytes(buf[pos + len(p):pos + stop]).rstrip(b"\r")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            break
        if any(ord(c) < 32 and c != "\t" for c in text):
            break
        lines.append(text)
        pos += stop + 1
        if end_marker is not None and text.strip().lower() == end_marker:
            break
    return lines, pos


class MappedFile:
    """Read-only memory map of a whole file as a uint8 array (``.array``); closes on exit.

    Empty files (which cannot be mapped) give an empty array.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._file = open(self.path, "rb")
        self.size = os.fstat(self._file.fileno()).st_size
        self._map = None
        if self.size:
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
            self.array = np.frombuffer(self._map, dtype=np.uint8)
        else:
            self.array = np.zeros(0, np.uint8)

    def close(self):
        self.array = None
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:  # a view still exported (user kept a slice); GC will close it
                pass
            self._map = None
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_prefix(path, n=1 << 20):
    """First ``n`` bytes of ``path`` (headers are parsed from this)."""
    with open(path, "rb") as f:
        return f.read(n)


