"""iniVation AEDAT 4.0 files (DV software; dv-processing ``aedat4`` I/O).

Layout: ``#!AER-DAT4.0\\r\\n``; int32 size + an ``IOHeader`` flatbuffer (``compression``:
0 none, 1 LZ4, 2 LZ4 high, 3 Zstd, 4 Zstd high; ``dataTablePosition`` int64, -1 if absent;
``infoNode``: XML describing the streams); then packets ``[int32 streamId, int32 size,
size bytes]`` up to the data table. Each packet is a size-prefixed flatbuffer, compressed
as the header says; event packets (stream ``typeIdentifier`` EVTS) hold
``table EventPacket { elements: [Event] }`` with ``struct Event { timestamp: int64;
x: int16; y: int16; polarity: bool }`` (16 bytes with padding, little-endian).

Packets of other streams (frames, IMU samples, triggers, ...) are skipped without being
decompressed. A file with several event streams (a stereo recording of dv-processing's
``StereoCameraWriter``, or raw + filtered events) is read one stream at a time: ``stream=``
(the numeric stream id) chooses it, and leaving it out raises an error that lists them, so
the events of two cameras are never mixed. Files without a FileDataTable
(``dataTablePosition`` -1, e.g. a recording that was not closed) are read to their end.

Uncompressed files need nothing else; LZ4 needs the ``lz4`` package and Zstd the
``zstandard`` package (``pip install spikecore[aedat4]``), imported only when needed.
The flatbuffers are read with a few bounds-checked ``struct`` reads (no flatbuffers package).
"""
import struct
import xml.etree.ElementTree as ET

import numpy as np

from spikecore import _validate

from ._common import EVENT_DTYPE, CorruptFileError, EventFileMeta

NAME = "aedat4"
MAGIC = b"#!AER-DAT4.0\r\n"
COMPRESSION = {0: "none", 1: "lz4", 2: "lz4_high", 3: "zstd", 4: "zstd_high"}


class _Flatbuffer:
    """Bounds-checked reads from one flatbuffer; errors name the file offset of ``base``."""

    def __init__(self, buf, path, file_offset, what):
        self.buf = buf
        self.path = path
        self.at = file_offset
        self.what = what

    def _need(self, pos, n):
        if pos < 0 or pos + n > len(self.buf):
            raise CorruptFileError(self.path, self.at, "%s flatbuffer: read of %d bytes at %d is outside its "
                                   "%d bytes" % (self.what, n, pos, len(self.buf)), NAME)

    def u32(self, pos):
        self._need(pos, 4)
        return struct.unpack_from("<I", self.buf, pos)[0]

    def scalar(self, fmt, pos):
        self._need(pos, struct.calcsize(fmt))
        return struct.unpack_from(fmt, self.buf, pos)[0]

    def field(self, table, index):
        """Absolute position of field ``index`` of the table at ``table`` (None if absent)."""
        vtable = table - self.scalar("<i", table)
        vsize = self.scalar("<H", vtable)
        if 4 + 2 * index + 2 > vsize:
            return None
        off = self.scalar("<H", vtable + 4 + 2 * index)
        return table + off if off else None

    def vector(self, pos):
        """(start, length) of the vector referenced at ``pos``."""
        start = pos + self.u32(pos)
        return start + 4, self.u32(start)

    def string(self, pos):
        start, n = self.vector(pos)
        self._need(start, n)
        return bytes(self.buf[start:start + n]).decode("utf-8", "replace")


def _streams(xml_text):
    """{stream id: {attribute: value}} from the IOHeader's infoNode XML."""
    streams = {}
    if not xml_text:
        return streams
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return streams
    for node in root.iter("node"):
        name = node.get("name", "")
        if not name.isdigit():
            continue
        attrs = {}
        for attr in node.iter("attr"):
            attrs[attr.get("key")] = attr.text
        streams[int(name)] = attrs
    return streams


def _describe(streams, ids):
    return ", ".join("%d (%s)" % (k, ", ".join("%s %s" % (a, streams[k][a]) for a in ("originalOutputName", "source")
                                                if streams[k].get(a))) for k in ids)


def _choose_stream(path, streams, event_ids, stream):
    """The event stream to read: ``stream`` (checked), else the only one; None when the header
    declares none (then every packet that holds an EventPacket is read)."""
    if stream is not None:
        stream = _validate.integer("stream", stream)
        if stream not in event_ids:
            _validate.fail("stream", stream, "the id of an event stream of %r: %s" % (
                str(path), _describe(streams, event_ids) if event_ids else "it declares none"))
        return stream
    if len(event_ids) > 1:
        _validate.fail("stream", None, "one of the event streams of %r, which holds %d: %s (pass stream=)" % (
            str(path), len(event_ids), _describe(streams, event_ids)))
    return event_ids[0] if event_ids else None


def parse_header(path, head, file_size, layout=None, stream=None):
    """Parse the version line and the IOHeader flatbuffer (compression, data table, streams)
    and choose the event stream to read (see the module docstring)."""
    if bytes(head[:len(MAGIC)]) != MAGIC:
        raise CorruptFileError(path, 0, "expected the AEDAT 4.0 line '#!AER-DAT4.0\\r\\n'", NAME)
    at = len(MAGIC)
    if file_size < at + 4:
        raise CorruptFileError(path, at, "file ends before the IOHeader size", NAME)
    size = struct.unpack_from("<i", head, at)[0]
    if size <= 0 or at + 4 + size > file_size:
        raise CorruptFileError(path, at, "IOHeader size %d does not fit in the file" % size, NAME)
    if at + 4 + size > len(head):
        with open(path, "rb") as f:
            f.seek(at + 4)
            body = f.read(size)
    else:
        body = bytes(head[at + 4:at + 4 + size])
    fb = _Flatbuffer(body, path, at + 4, "IOHeader")
    root = fb.u32(0)
    pos = fb.field(root, 0)
    compression = fb.scalar("<i", pos) if pos is not None else 0
    pos = fb.field(root, 1)
    table_pos = fb.scalar("<q", pos) if pos is not None else -1
    pos = fb.field(root, 2)
    info = fb.string(pos) if pos is not None else ""
    if compression not in COMPRESSION:
        raise CorruptFileError(path, at + 4, "unknown AEDAT 4 compression code %d" % compression, NAME)
    data_offset = at + 4 + size
    if table_pos >= 0 and not data_offset <= table_pos <= file_size:
        raise CorruptFileError(path, at + 4, "dataTablePosition %d outside the file" % table_pos, NAME)
    streams = _streams(info)
    event_ids = sorted(k for k, v in streams.items() if v.get("typeIdentifier") == "EVTS")
    chosen = _choose_stream(path, streams, event_ids, stream)
    sensor = None
    if chosen is not None:
        sx, sy = streams[chosen].get("sizeX"), streams[chosen].get("sizeY")
        if sx and sy and sx.isdigit() and sy.isdigit():
            sensor = (int(sx), int(sy))
    return EventFileMeta(path=str(path), format=NAME, data_offset=data_offset, sensor_size=sensor,
                         header={"infoNode": info}, header_lines=[MAGIC.decode().strip()],
                         extra={"compression": COMPRESSION[compression], "data_table_position": table_pos,
                                "streams": streams, "event_streams": event_ids, "stream": chosen})


def _decompressor(meta):
    kind = meta.extra["compression"]
    if kind == "none":
        return None
    if kind.startswith("lz4"):
        try:
            import lz4.frame
        except ImportError as exc:
            raise ImportError("%r is LZ4-compressed: reading it needs the optional package 'lz4' "
                              "(pip install lz4, or pip install spikecore[aedat4])" % meta.path) from exc
        return lz4.frame.decompress
    try:
        import zstandard
    except ImportError as exc:
        raise ImportError("%r is Zstd-compressed: reading it needs the optional package 'zstandard' "
                          "(pip install zstandard, or pip install spikecore[aedat4])" % meta.path) from exc

    def unzstd(data):
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)

    return unzstd


def _packet_events(payload, path, offset):
    """The Event structs of one decompressed EventPacket flatbuffer as an EVENT_DTYPE array."""
    buf = payload
    if len(buf) >= 8 and struct.unpack_from("<I", buf, 0)[0] == len(buf) - 4:
        buf = memoryview(buf)[4:]  # size-prefixed (dv-processing writes it so)
    fb = _Flatbuffer(buf, path, offset, "EventPacket")
    root = fb.u32(0)
    pos = fb.field(root, 0)
    if pos is None:
        return np.zeros(0, EVENT_DTYPE)
    start, n = fb.vector(pos)
    fb._need(start, 16 * n)
    # struct Event {int64 t; int16 x; int16 y; bool polarity; 3 pad} has EVENT_DTYPE's layout
    events = np.frombuffer(buf, dtype=EVENT_DTYPE, count=n, offset=start).copy()
    if n and events["p"].max() > 1:
        raise CorruptFileError(path, offset, "polarity byte other than 0/1 in an event packet", NAME)
    return events


def iter_packets(mapped, meta):
    """Yield the event array of each event packet, in file order."""
    raw = mapped.array
    path = meta.path
    end = meta.extra["data_table_position"]
    if end < 0:
        end = len(raw)
    decompress = _decompressor(meta)
    chosen = meta.extra["stream"]
    pos = meta.data_offset
    while pos < end:
        if pos + 8 > end:
            raise CorruptFileError(path, pos, "truncated packet header (%d bytes left, 8 needed)" % (end - pos), NAME)
        stream, size = struct.unpack_from("<ii", raw, pos)
        if size < 0 or pos + 8 + size > end:
            raise CorruptFileError(path, pos, "packet of %d bytes runs past the end of the data" % size, NAME)
        body = raw[pos + 8:pos + 8 + size]
        if chosen is None or stream == chosen:
            data = bytes(body)
            if decompress is not None:
                try:
                    data = decompress(data)
                except Exception as exc:  # the codecs raise their own error types
                    raise CorruptFileError(path, pos, "packet does not decompress (%s)" % exc, NAME) from None
            if chosen is not None or data[4:8] == b"EVTS" or data[8:12] == b"EVTS":
                yield _packet_events(data, path, pos)
        pos += 8 + size
