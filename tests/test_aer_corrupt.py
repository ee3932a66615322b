"""Corrupt, truncated and flipped files raise CorruptFileError naming the file and byte offset
(never a crash, never silently fewer events); AEDAT 3.1 header fields are honoured; AEDAT 4
reads uncompressed and Zstd files and names the package it lacks."""
import struct
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikecore.datasets import aer
from spikecore.datasets.aer import EVENT_DTYPE, CorruptFileError, read_events


def _events(n, seed=0, xmax=200, ymax=200):
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, EVENT_DTYPE)
    ev["t"] = np.cumsum(rng.integers(0, 50, n))
    ev["x"] = rng.integers(0, xmax, n)
    ev["y"] = rng.integers(0, ymax, n)
    ev["y"][ev["y"] == 240] = 239
    ev["p"] = rng.integers(0, 2, n)
    return ev


def _written(tmp_path, fmt, n=300):
    path = tmp_path / ("sample." + fmt)
    aer.write_events(path, _events(n), fmt)
    return path, aer.read_header(path).data_offset


UNIT = {"nmnist": 5, "aedat2": 8, "evt2": 4, "evt21": 8, "evt3": 2}


@pytest.mark.parametrize("fmt", ["nmnist", "aedat2", "evt2", "evt21", "evt3"])
@settings(max_examples=15)
@given(cut=st.integers(1, 10_000))
def test_truncation_inside_a_unit_names_file_and_offset(tmp_path_factory, fmt, cut):
    path, start = _written(tmp_path_factory.mktemp("t"), fmt)
    data = path.read_bytes()
    unit = UNIT[fmt]
    body = len(data) - start
    keep = start + (cut % (body // unit)) * unit + 1 + cut % (unit - 1)  # ends inside a unit
    bad = path.with_name("cut." + fmt)
    bad.write_bytes(data[:keep])
    offset = keep - (keep - start) % unit
    with pytest.raises(CorruptFileError) as exc:
        read_events(bad, format=fmt)
    assert exc.value.offset == offset and str(bad) in str(exc.value)
    assert "byte offset %d" % offset in str(exc.value)
    with pytest.raises(CorruptFileError):
        list(aer.iter_events(bad, chunk=7, format=fmt))


@pytest.mark.parametrize("fmt", ["nmnist", "aedat2", "evt2", "evt21", "evt3"])
@settings(max_examples=25)
@given(where=st.integers(0, 1 << 30), value=st.integers(0, 255))
def test_flipped_bytes_never_crash(tmp_path_factory, fmt, where, value):
    path, start = _written(tmp_path_factory.mktemp("f"), fmt)
    data = bytearray(path.read_bytes())
    i = start + where % (len(data) - start)
    data[i] = value
    path.write_bytes(bytes(data))
    try:
        ev = read_events(path, format=fmt)
    except CorruptFileError as exc:
        assert str(path) in str(exc) and start <= exc.offset < len(data)
    else:
        assert ev.dtype == EVENT_DTYPE
        if fmt == "aedat2":  # fixed-size records, no markers in the DAVIS layout's y range < 200
            assert len(ev) in (300, 299)


@pytest.mark.parametrize("fmt, kind, mask", [("evt3", 0xB, 0xF0), ("evt2", 0x3, 0xF0), ("evt21", 0x5, 0xF0)])
def test_reserved_word_type_offset(tmp_path, fmt, kind, mask):
    path, start = _written(tmp_path, fmt)
    data = bytearray(path.read_bytes())
    unit = UNIT[fmt]
    at = start + unit * 40
    data[at + unit - 1] = (kind << 4) | (data[at + unit - 1] & 0x0F)  # top nibble of a little-endian word
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="byte offset %d: reserved" % at):
        read_events(path)
    chunks = []
    with pytest.raises(CorruptFileError, match="byte offset %d" % at):
        for c in aer.iter_events(path, chunk=3):
            chunks.append(c)


def test_undetectable_files(tmp_path):
    odd = tmp_path / "odd.bin"
    odd.write_bytes(b"\x01\x02\x03")
    with pytest.raises(ValueError, match="not a multiple of 5"):
        aer.detect_format(odd)
    evt4 = tmp_path / "x.raw"
    evt4.write_bytes(b"% evt 4.0\n% end\n")
    with pytest.raises(ValueError, match="EVT 2.0, 2.1 or 3.0"):
        aer.read_events(evt4)
    old = tmp_path / "old.aedat"
    old.write_bytes(b"# a jAER 1.0 file\r\n" + bytes(12))
    with pytest.raises(ValueError, match="AEDAT 1.0"):
        aer.read_events(old)
    nochip = tmp_path / "nochip.aedat"
    nochip.write_bytes(b"#!AER-DAT2.0\r\n# nothing\r\n" + bytes(8))
    with pytest.raises(ValueError, match="layout = None: expected 'dvs128' or 'davis'"):
        aer.read_events(nochip)
    assert len(aer.read_events(nochip, layout="dvs128")) == 1


# ----------------------------------------------------------------- AEDAT 3.1 (cAER packets)

def _packet(etype, events, overflow=0, capacity=None, size=8):
    number = len(events)
    capacity = number if capacity is None else capacity
    valid = sum(1 for e in events if e[0] & 1)
    head = struct.pack("<hhiiiiii", etype, 1, size, 4, overflow, capacity, number, valid)
    body = b"".join(struct.pack("<Ii", d, ts) + bytes(size - 8) for d, ts in events)
    return head + body + bytes(size * (capacity - number))


def _polarity(x, y, p, valid=1):
    return (x << 17) | (y << 2) | (p << 1) | valid


def _aedat3(tmp_path, packets):
    path = tmp_path / "rec.aedat"
    header = b"#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017\r\n#!END-HEADER\r\n"
    path.write_bytes(header + b"".join(packets))
    return path, len(header)


def test_aedat3_honours_type_valid_bit_and_overflow(tmp_path):
    packets = [
        _packet(0, [(0x5, 10)]),                                            # special event packet: skipped
        _packet(1, [(_polarity(3, 4, 1), 100), (_polarity(5, 6, 0, valid=0), 101), (_polarity(7, 8, 0), 102)],
                capacity=5),                                                 # unused capacity
        _packet(2, [(0, 0)], size=12),                                       # a frame-like packet: skipped
        _packet(1, [(_polarity(127, 127, 1), 5)], overflow=3),               # eventTSOverflow
    ]
    path, start = _aedat3(tmp_path, packets)
    assert aer.detect_format(path) == "aedat3"
    meta = aer.read_header(path)
    assert meta.sensor_size == (128, 128) and meta.data_offset == start
    ev = read_events(path)
    assert [tuple(int(v) for v in e) for e in ev] == [(100, 3, 4, 1), (102, 7, 8, 0), ((3 << 31) + 5, 127, 127, 1)]
    assert np.array_equal(np.concatenate(list(aer.iter_events(path, chunk=1))), ev)


def test_aedat3_truncated_and_impossible_packets(tmp_path):
    good = [_packet(1, [(_polarity(1, 2, 1), 7)] * 4), _packet(1, [(_polarity(1, 2, 1), 9)] * 4)]
    path, start = _aedat3(tmp_path, good)
    data = path.read_bytes()
    second = start + len(good[0])
    path.write_bytes(data[:-3])
    with pytest.raises(CorruptFileError, match="byte offset %d: packet payload runs past" % second):
        read_events(path)
    path.write_bytes(data[:second + 10])
    with pytest.raises(CorruptFileError, match="byte offset %d: truncated" % second):
        read_events(path)
    bad = bytearray(data)
    bad[second + 24:second + 28] = struct.pack("<i", 99)  # eventValid > eventNumber
    path.write_bytes(bytes(bad))
    with pytest.raises(CorruptFileError, match="byte offset %d: impossible packet header" % second):
        read_events(path)


# ----------------------------------------------------------------- AEDAT 4.0

def _recompress(fixtures_dir, tmp_path, code, compress):
    """Rewrite the LZ4 fixture with another compression (patching the IOHeader's enum)."""
    import lz4.frame

    src = (fixtures_dir / "aedat4" / "sample.aedat4").read_bytes()
    meta = aer.read_header(fixtures_dir / "aedat4" / "sample.aedat4")
    size = struct.unpack_from("<i", src, 14)[0]
    header = bytearray(src[:18 + size])
    fb = header[18:]
    root = struct.unpack_from("<I", fb, 0)[0]
    vtable = root - struct.unpack_from("<i", fb, root)[0]
    comp_at = 18 + root + struct.unpack_from("<H", fb, vtable + 4)[0]
    table_at = 18 + root + struct.unpack_from("<H", fb, vtable + 6)[0]
    struct.pack_into("<i", header, comp_at, code)
    struct.pack_into("<q", header, table_at, -1)  # the rewritten file has no data table
    out = [bytes(header)]
    pos, end = 18 + size, meta.extra["data_table_position"]
    while pos < end:
        stream, n = struct.unpack_from("<ii", src, pos)
        body = compress(lz4.frame.decompress(src[pos + 8:pos + 8 + n]))
        out.append(struct.pack("<ii", stream, len(body)) + body)
        pos += 8 + n
    path = tmp_path / ("re%d.aedat4" % code)
    path.write_bytes(b"".join(out))
    return path


def test_aedat4_uncompressed_and_zstd(fixtures_dir, tmp_path):
    pytest.importorskip("lz4")
    expected = read_events(fixtures_dir / "aedat4" / "sample.aedat4")
    plain = _recompress(fixtures_dir, tmp_path, 0, lambda b: b)
    assert aer.read_header(plain).extra["compression"] == "none"
    assert np.array_equal(read_events(plain), expected)
    zstandard = pytest.importorskip("zstandard")
    packed = _recompress(fixtures_dir, tmp_path, 3, lambda b: zstandard.ZstdCompressor().compress(b))
    assert np.array_equal(read_events(packed), expected)


def test_aedat4_missing_codec_is_named(fixtures_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    with pytest.raises(ImportError, match="'lz4'.*pip install lz4"):
        read_events(fixtures_dir / "aedat4" / "sample.aedat4")


def test_aedat4_truncated(fixtures_dir, tmp_path):
    pytest.importorskip("lz4")
    data = (fixtures_dir / "aedat4" / "sample.aedat4").read_bytes()
    bad = tmp_path / "cut.aedat4"
    bad.write_bytes(data[:500_000])  # ends before the data table it points to
    with pytest.raises(CorruptFileError, match="dataTablePosition"):
        read_events(bad)
    plain = _recompress(fixtures_dir, tmp_path, 0, lambda b: b)
    raw = plain.read_bytes()
    plain.write_bytes(raw[:-100])
    with pytest.raises(CorruptFileError, match="cut|re0.aedat4") as exc:
        read_events(plain)
    assert "runs past the end" in str(exc.value) and exc.value.offset < len(raw) - 100


@pytest.mark.parametrize("x", [35, 37])  # '#' and '%': the first byte of a headerless N-Caltech101 file
def test_atis_file_whose_first_event_looks_like_a_header_byte(tmp_path, x):
    """N-Caltech101's sensor is 240 wide, so a recording may start with x = 35 ('#') or 37 ('%');
    its third byte (polarity bit and the timestamp's high bits) is never printable text."""
    ev = np.zeros(4, aer.EVENT_DTYPE)
    ev["x"], ev["y"], ev["p"], ev["t"] = [x, 1, 2, 3], [37, 35, 0, 179], [1, 0, 1, 0], [0, 10, 70_000, 300_000]
    path = tmp_path / "image_0001.bin"
    aer.write_events(path, ev, "nmnist")
    assert aer.detect_format(path) == "nmnist"
    np.testing.assert_array_equal(aer.read_events(path), ev)
