"""Prophesee RAW (EVT 2.0, EVT 2.1, EVT 3.0) and DAT files: '%' text header, then binary data.

Header lines look like ``% evt 3.0``, ``% format EVT3;height=720;width=1280``,
``% geometry 1280x720``, ``% plugin_name hal_plugin_gen41_evk3``, ``% Width 640``; RAW headers
may end with ``% end``. A DAT file's header is followed by two bytes ``[event type, event size]``
(type 0 Event2d or 12 EventCD, size 8); its ``% Version`` line picks the record layout (1: the
old 9-bit x / 8-bit y layout, OpenEB's ``Event2d::RawEventV1``; otherwise version 2), and a DAT
file read with ``format="dat"`` that has no header at all holds bare version-2 Event2d records
(OpenEB's ``dat_tools.parse_header``). Decoders: :mod:`spikecore.kernels.aer_prophesee`.

Time stamps are returned as the file stores them: a ``% t0`` / ``% T0`` header line (faery's
writers store the first time stamp there and write times relative to it) is kept in
``EventFileMeta.header`` but not added, as OpenEB and expelliarmus do not add it either.

EVT 2.1 comes in two word orders (Prophesee's format page; OpenEB's ``Evt21Raw`` and
``Evt21LegacyRaw``): plain little-endian 64-bit words, and the IMX636's, which sends the upper
32-bit half first and which OpenEB's headers mark ``% format EVT21;...;endianness=legacy``. When
the header says nothing, the order is read from the data (:func:`_evt21_order_of_data`).
"""
import re

import numpy as np

from spikecore.kernels import aer_prophesee

from . import chips
from ._common import CorruptFileError, EventFileMeta, text_header

STATE_SIZE = 10


def parse_fields(lines):
    """Header lines as ``{key: value}``: the first word is the key, the rest the value."""
    fields = {}
    for line in lines:
        text = line.strip()
        if text.lower().startswith("data file containing"):
            fields["data_file_containing"] = text[len("data file containing"):].strip()
            continue
        key, _, value = text.partition(" ")
        if key:
            fields.setdefault(key, value.strip())
    return fields


def raw_kind(fields):
    """``"evt2"``, ``"evt3"``, another EVT name, or None, from the ``evt``/``format`` lines."""
    fmt = fields.get("format", "")
    if fmt:
        name = fmt.split(";")[0].strip().upper()
        return {"EVT2": "evt2", "EVT2.0": "evt2", "EVT3": "evt3", "EVT3.0": "evt3", "EVT21": "evt21",
                "EVT2.1": "evt21"}.get(name, name.lower())
    evt = fields.get("evt", "").strip()
    if evt:
        return {"2.0": "evt2", "3.0": "evt3", "2.1": "evt21"}.get(evt, "evt" + evt)
    return None


def sensor_size(fields):
    """(width, height) from ``format``/``geometry``/``Width``+``Height`` lines or the plugin name."""
    fmt = fields.get("format", "")
    w = re.search(r"width=(\d+)", fmt)
    h = re.search(r"height=(\d+)", fmt)
    if w and h:
        return int(w.group(1)), int(h.group(1))
    m = re.match(r"\s*(\d+)\s*x\s*(\d+)", fields.get("geometry", ""))
    if m:
        return int(m.group(1)), int(m.group(2))
    width = fields.get("Width", fields.get("width", ""))
    height = fields.get("Height", fields.get("height", ""))
    if width.isdigit() and height.isdigit():
        return int(width), int(height)
    for key in ("plugin_name", "sensor_generation", "system_ID"):
        size = chips.prophesee_size(fields.get(key))
        if size:
            return size
    return None


def _parse(path, head, name, file_size=None):
    lines, offset = text_header(head, "%", end_marker="end")
    rest = bytes(head[offset:])
    if file_size == len(head) and rest[:1] == b"%" and b"\n" not in rest and all(0x20 <= b < 0x7F for b in rest):
        # the file ends inside a '%' header line (binary data is never all printable text up to the end)
        raise CorruptFileError(path, offset, "the file ends inside the '%%' header line %r" % rest.decode(), name)
    fields = parse_fields(lines)
    return EventFileMeta(path=str(path), format=name, data_offset=offset,
                         sensor_size=sensor_size(fields), header=fields, header_lines=lines)


def _new_state(meta=None):
    state = np.zeros(STATE_SIZE, np.int64)
    state[1] = -1
    return state


class EVT2:
    """EVT 2.0 codec (32-bit words)."""

    NAME = "evt2"
    UNIT = 4

    @staticmethod
    def parse_header(path, head, file_size, layout=None):
        return _parse(path, head, "evt2", file_size)

    @staticmethod
    def decode(raw, state, out, meta):
        return aer_prophesee.decode_evt2(raw, state, out)

    count = None

    @staticmethod
    def bound(nbytes):
        return nbytes // 4

    new_state = staticmethod(_new_state)


def evt21_endianness(fields):
    """The word order an EVT 2.1 header declares: ``"legacy"`` (the IMX636 order: upper 32-bit
    half first) or ``"little"`` from ``endianness=...`` on its ``format`` line (OpenEB's
    spelling), ``None`` when it says nothing."""
    for part in fields.get("format", "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "endianness":
            return "legacy" if value.strip().lower() == "legacy" else "little"
    return None


_EVT21_TYPES = (0x0, 0x1, 0x8, 0xA, 0xE, 0xF)


def _evt21_order_of_data(data):
    """For a header that declares no word order: ``"legacy"`` when the first words (up to 4096)
    are all valid EVT 2.1 words in the IMX636 order and more of them are time-high words in that
    order (type 8, the other half zero) than in the plain order, else ``"little"`` (OpenEB's
    default). Time-high words decide because a sparse stream (one pixel per word) can be valid in
    both orders, while a time-high word has one empty 32-bit half only in the order it was
    written in."""
    words = np.frombuffer(data[:len(data) - len(data) % 8][:8 * 4096], "<u8")
    low, high = words & np.uint64(0xFFFFFFFF), words >> np.uint64(32)
    legacy_types = (words >> np.uint64(28)) & np.uint64(0xF)
    if not len(words) or not np.isin(legacy_types, _EVT21_TYPES).all():
        return "little"
    th_little = np.count_nonzero((words >> np.uint64(60) == 8) & (low == 0))
    th_legacy = np.count_nonzero((legacy_types == 8) & (high == 0))
    return "legacy" if th_legacy > th_little else "little"


class EVT21:
    """EVT 2.1 codec (64-bit words, vectors of up to 32 pixels; IMX636 "legacy" word order)."""

    NAME = "evt21"
    UNIT = 8

    @staticmethod
    def parse_header(path, head, file_size, layout=None):
        meta = _parse(path, head, "evt21", file_size)
        order = evt21_endianness(meta.header)
        source = "header"
        if order is None:
            order, source = _evt21_order_of_data(head[meta.data_offset:]), "data"
        meta.extra = {"endianness": order, "endianness_from": source}
        return meta

    @staticmethod
    def decode(raw, state, out, meta):
        return aer_prophesee.decode_evt21(raw, state, out, int(meta.extra["endianness"] == "legacy"))

    @staticmethod
    def count(raw, state, meta):
        return aer_prophesee.count_evt21(raw, state, int(meta.extra["endianness"] == "legacy"))

    new_state = staticmethod(_new_state)


class EVT3:
    """EVT 3.0 codec (16-bit words, stateful)."""

    NAME = "evt3"
    UNIT = 2

    @staticmethod
    def parse_header(path, head, file_size, layout=None):
        return _parse(path, head, "evt3", file_size)

    @staticmethod
    def decode(raw, state, out, meta):
        return aer_prophesee.decode_evt3(raw, state, out)

    @staticmethod
    def count(raw, state, meta):
        return aer_prophesee.count_evt3(raw, state)

    new_state = staticmethod(_new_state)


class DAT:
    """DAT codec (8-byte CD records after [type, size])."""

    NAME = "dat"
    UNIT = 8
    EVENT_TYPES = {0: "Event2d", 12: "EventCD"}

    @staticmethod
    def parse_header(path, head, file_size, layout=None):
        meta = _parse(path, head, "dat", file_size)
        version = meta.header.get("Version", "2").strip()
        if not meta.header_lines:  # headerless (old) DAT file: Event2d records from byte 0
            meta.extra = {"event_type": "Event2d", "event_size": 8, "version": version}
            return meta
        at = meta.data_offset
        if file_size < at + 2:
            raise CorruptFileError(path, at, "file ends before the DAT [event type, event size] bytes", "dat")
        etype, esize = head[at], head[at + 1]
        if etype == 14:
            raise CorruptFileError(path, at, "this DAT file holds external-trigger events (type 14), not camera "
                                   "(CD) events", "dat")
        if etype not in DAT.EVENT_TYPES or esize != 8:
            raise CorruptFileError(path, at, "unsupported DAT event type %d / size %d (expected type 0 "
                                   "or 12, size 8)" % (etype, esize), "dat")
        meta.data_offset = at + 2
        meta.extra = {"event_type": DAT.EVENT_TYPES[etype], "event_size": esize, "version": version}
        return meta

    @staticmethod
    def decode(raw, state, out, meta):
        return aer_prophesee.decode_dat(raw, state, out, int(meta.extra["version"] == "1"))

    count = None

    @staticmethod
    def bound(nbytes):
        return nbytes // 8

    new_state = staticmethod(_new_state)
