"""Writers and readers agree: read(write(events)) == events, write(read(file)) == file, and
streaming equals one-shot reading, for generated event streams."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikecore.datasets import aer
from spikecore.datasets.aer import EVENT_DTYPE, read_events


def _events(rows):
    ev = np.zeros(len(rows), EVENT_DTYPE)
    for i, (t, x, y, p) in enumerate(rows):
        ev[i] = (t, x, y, p)
    return ev


def _sorted_stream(draw, n_max, t_max, x_max, y_max, y_forbid=None):
    n = draw(st.integers(0, n_max))
    gaps = draw(st.lists(st.one_of(st.integers(0, 3), st.integers(0, t_max)), min_size=n, max_size=n))
    t = np.cumsum(np.array(gaps, dtype=np.int64)) if n else np.zeros(0, np.int64)
    rows = []
    for i in range(n):
        y = draw(st.integers(0, y_max))
        if y_forbid is not None and y == y_forbid:
            y = y_forbid - 1
        rows.append((int(t[i]), draw(st.integers(0, x_max)), y, draw(st.integers(0, 1))))
    return _events(rows)


@st.composite
def nmnist_streams(draw):
    return _sorted_stream(draw, 60, 1 << 22, 255, 255, y_forbid=240)


@st.composite
def prophesee_streams(draw):
    ev = _sorted_stream(draw, 60, 1 << 26, 2047, 2047)
    # add runs of neighbouring pixels at one time/row/polarity (EVT 3.0 vector words)
    if len(ev) and draw(st.booleans()):
        i = draw(st.integers(0, len(ev) - 1))
        xs = sorted(set(draw(st.lists(st.integers(0, 30), min_size=2, max_size=12))))
        run = np.repeat(ev[i:i + 1], len(xs))
        run["x"] = np.minimum(2047, run["x"][0] // 2 + np.array(xs))
        run = run[np.concatenate([[True], np.diff(run["x"]) > 0])]
        ev = np.concatenate([ev[:i + 1], run, ev[i + 1:]])
    return ev


def _check_round_trip(tmp_path, ev, fmt, **opts):
    path = tmp_path / ("events." + fmt)
    aer.write_events(path, ev, fmt, **opts)
    back = read_events(path)
    assert back.dtype == EVENT_DTYPE
    assert np.array_equal(back, ev)
    again = tmp_path / ("again." + fmt)
    aer.write_events(again, back, fmt, **opts)
    assert again.read_bytes() == path.read_bytes()
    if len(ev):
        chunks = list(aer.iter_events(path, chunk=5))
        assert np.array_equal(np.concatenate(chunks), ev)
    return path


@settings(max_examples=40)
@given(ev=nmnist_streams())
def test_nmnist_round_trip(tmp_path_factory, ev):
    _check_round_trip(tmp_path_factory.mktemp("nm"), ev, "nmnist")


def test_nmnist_overflow_markers(tmp_path):
    t = np.array([5, (1 << 23) + 7, (1 << 24) + 3 * 8192 + 11, (1 << 26)], np.int64)
    ev = _events([(int(v), 1, 2, i % 2) for i, v in enumerate(t)])
    path = _check_round_trip(tmp_path, ev, "nmnist")
    raw = np.frombuffer(path.read_bytes(), np.uint8).reshape(-1, 5)
    markers = (raw[:, 1] == 240).sum()
    assert markers == ((1 << 26) - ((1 << 23) - 1) + 8191) // 8192  # minimal: ceil((t - (2^23 - 1)) / 2^13)
    assert len(raw) == len(ev) + markers


@settings(max_examples=30)
@given(ev=st.one_of(nmnist_streams()), layout=st.sampled_from(["dvs128", "davis"]))
def test_aedat2_round_trip(tmp_path_factory, ev, layout):
    if layout == "dvs128":
        ev = ev.copy()
        ev["x"] %= 128
        ev["y"] %= 128
    path = _check_round_trip(tmp_path_factory.mktemp("a2"), ev, "aedat2", layout=layout)
    meta = aer.read_header(path)
    assert meta.layout == layout and meta.sensor_size == ((128, 128) if layout == "dvs128" else (346, 260))


@settings(max_examples=40)
@given(ev=prophesee_streams(), fmt=st.sampled_from(["evt2", "evt21", "evt3"]))
def test_prophesee_round_trip(tmp_path_factory, ev, fmt):
    path = _check_round_trip(tmp_path_factory.mktemp(fmt), ev, fmt, sensor_size=(2048, 2048))
    assert aer.detect_format(path) == fmt
    if fmt == "evt21":  # the IMX636 word order
        path = _check_round_trip(tmp_path_factory.mktemp(fmt), ev, fmt, endianness="legacy")
        assert aer.read_header(path).extra == {"endianness": "legacy", "endianness_from": "header"}


def test_time_base_wrap_arounds(tmp_path):
    # beyond 2^24 µs (EVT 3.0 time base) and 2^34 µs (EVT 2.0 time base), with huge gaps
    t = np.array([0, (1 << 24) - 1, 1 << 24, 5 << 24, (1 << 34) + 17, (3 << 34) + 5], np.int64)
    ev = _events([(int(v), i, 2 * i, i % 2) for i, v in enumerate(t)])
    for fmt in ("evt2", "evt21", "evt3"):
        _check_round_trip(tmp_path, ev, fmt)


def test_evt21_words_follow_the_format_page(tmp_path):
    # a run of 4 ON events in a row (x 10, 11, 13, 42 -> one word of base 10, one of base 42: 42 is
    # 32 pixels on), an
    # OFF event, then a new time high; the same words with swapped halves in the legacy order
    ev = _events([(100, x, 7, 1) for x in (10, 11, 13, 42)] + [(100, 5, 9, 0), (64 * 5 + 3, 2047, 2047, 1)])
    th0 = 0x8 << 60 | (100 >> 6) << 32
    want = [th0,
            0x1 << 60 | (100 & 63) << 54 | 10 << 43 | 7 << 32 | 0b1011,
            0x1 << 60 | (100 & 63) << 54 | 42 << 43 | 7 << 32 | 1,
            0x0 << 60 | (100 & 63) << 54 | 5 << 43 | 9 << 32 | 1,
            0x8 << 60 | 5 << 32,
            0x1 << 60 | 3 << 54 | 2047 << 43 | 2047 << 32 | 1]
    for endianness in ("little", "legacy"):
        path = tmp_path / ("v_%s.raw" % endianness)
        aer.write_events(path, ev, "evt21", endianness=endianness)
        data = path.read_bytes()
        words = [int(w) for w in np.frombuffer(data[data.index(b"% end\n") + 6:], "<u8")]
        if endianness == "legacy":  # the upper half first
            words = [(w & 0xFFFFFFFF) << 32 | w >> 32 for w in words]
        assert [hex(w) for w in words] == [hex(w) for w in want]
        assert np.array_equal(read_events(path), ev)
    with pytest.raises(ValueError, match="endianness"):
        aer.write_events(tmp_path / "e.raw", ev, "evt21", endianness="big")


def test_evt21_word_order_without_a_header_option(tmp_path):
    # a file whose format line does not say endianness=...: the order in which its first words are
    # valid EVT 2.1 words (an IMX636 recording in the legacy order without the option reads right)
    rng = np.random.default_rng(3)
    ev = _events(sorted((int(t), int(x), int(y), int(p)) for t, x, y, p in zip(
        rng.integers(0, 10**6, 500), rng.integers(0, 1280, 500), rng.integers(0, 720, 500), rng.integers(0, 2, 500))))
    for endianness in ("little", "legacy"):
        path = tmp_path / ("%s.raw" % endianness)
        aer.write_events(path, ev, "evt21", endianness=endianness)
        data = path.read_bytes()
        body = data[data.index(b"% end\n") + 6:]
        bare = tmp_path / ("bare_%s.raw" % endianness)
        bare.write_bytes(b"% evt 2.1\n% end\n" + body)
        meta = aer.read_header(bare)
        assert meta.extra == {"endianness": endianness, "endianness_from": "data"}
        assert np.array_equal(read_events(bare), ev)
        # what the header declares wins over the data
        declared = tmp_path / "declared.raw"
        other = "little" if endianness == "legacy" else "legacy"
        declared.write_bytes(b"% evt 2.1\n% format EVT21;endianness=" + other.encode() + b"\n% end\n" + body)
        assert aer.read_header(declared).extra == {"endianness": other, "endianness_from": "header"}


def _body(path, dtype):
    data = path.read_bytes()
    return [int(w) for w in np.frombuffer(data[data.index(b"% end\n") + 6:], dtype)]


def test_vector_words_are_used(tmp_path):
    # 6 ON events in row 7 at t = 100 within 32 pixels of x = 10, then one more at x = 50
    xs = (10, 11, 13, 20, 33, 41)
    ev = _events([(100, x, 7, 1) for x in xs] + [(100, 50, 7, 1)])
    path = tmp_path / "v.raw"
    aer.write_events(path, ev, "evt3")
    mask = sum(1 << (x - 10) for x in xs)
    # TIME_HIGH 0, TIME_LOW 100, ADDR_Y 7, VECT_BASE_X p=1 x=10, VECT_12, VECT_12, VECT_8, ADDR_X p=1 x=50:
    # a vector is always the VECT_12, VECT_12, VECT_8 triple OpenEB's EVT3Decoder reads
    assert [hex(w) for w in _body(path, "<u2")] == [hex(w) for w in [
        0x8000, 0x6064, 0x7, 0x380A, 0x4000 | mask & 0xFFF, 0x4000 | mask >> 12 & 0xFFF, 0x5000 | mask >> 24, 0x2832]]
    assert np.array_equal(read_events(path), ev)
    # near the right edge the base moves left so that base + 32 <= width (OpenEB drops the vector otherwise)
    edge = _events([(100, x, 7, 0) for x in (30, 31, 33, 35, 39)])
    aer.write_events(path, edge, "evt3", sensor_size=(40, 10))
    words = _body(path, "<u2")
    assert words[3] == 0x3000 | 8 and words[4] == 0x4000 | (0b1 << 22 | 0b1 << 23 | 0b1 << 25 | 0b1 << 27) & 0xFFF
    assert np.array_equal(read_events(path), edge)
    # fewer than 5 events, or a sensor narrower than 32 pixels: single-event words only
    narrow = _events([(100, x, 7, 0) for x in (10, 11, 13, 15, 19)])
    for few, size in ((edge[:4], (40, 10)), (narrow, (20, 10))):
        aer.write_events(path, few, "evt3", sensor_size=size)
        assert not [w for w in _body(path, "<u2") if w >> 12 in (0x3, 0x4, 0x5)]
        assert np.array_equal(read_events(path), few)


def test_evt3_time_low_follows_every_time_high(tmp_path):
    # t_low is unchanged (100) across a time-high change: OpenEB (and faery) reset t_low to 0 at a new
    # time high, so EVT_TIME_LOW must be sent again, and the decoder does the same reset
    ev = _events([(100, 1, 2, 1), (4096 + 100, 3, 2, 0)])
    path = tmp_path / "tl.raw"
    aer.write_events(path, ev, "evt3")
    assert [hex(w) for w in _body(path, "<u2")] == ["0x8000", "0x6064", "0x2", "0x2801", "0x8001", "0x6064", "0x2003"]
    assert np.array_equal(read_events(path), ev)
    raw = tmp_path / "reset.raw"  # TIME_HIGH 0, TIME_LOW 100, ADDR_Y 2, ADDR_X, TIME_HIGH 1, ADDR_X
    raw.write_bytes(b"% evt 3.0\n% end\n" + np.array([0x8000, 0x6064, 0x2, 0x2801, 0x8001, 0x2003], "<u2").tobytes())
    assert read_events(raw)["t"].tolist() == [100, 4096]


def test_time_high_wrap_arounds_are_sent_as_max_then_zero(tmp_path):
    # OpenEB's EVT 2.1 decoder counts a loop only for a time high falling from 2^28 - 1 to 0, its EVT 2.0
    # decoder only for a fall of nearly 2^34 µs: the writers cross every wrap-around that way
    t = (1 << 34) + 640
    ev = _events([(64, 1, 1, 1), (t, 2, 2, 0)])
    for fmt, dtype, shift in (("evt2", "<u4", 28), ("evt21", "<u8", 60)):
        path = tmp_path / ("w." + fmt)
        aer.write_events(path, ev, fmt)
        words = _body(path, dtype)
        highs = [(w >> (shift - 28 if fmt == "evt2" else 32)) & 0x0FFFFFFF for w in words if w >> shift == 8]
        assert highs == [1, 1 + (1 << 27), (1 << 28) - 1, 0, 10]
        assert np.array_equal(read_events(path), ev)
    path = tmp_path / "w.evt3"
    aer.write_events(path, _events([(0, 1, 1, 1), ((1 << 24) + 5, 2, 2, 0)]), "evt3")
    assert [w & 0xFFF for w in _body(path, "<u2") if w >> 12 == 8] == [0, 2048, 4095, 0]


def test_small_time_high_falls_are_not_wrap_arounds(tmp_path):
    # a time high one step below the previous one (out-of-order data) moves the time base back, as in
    # OpenEB, instead of adding a whole 2^34 µs (EVT 2.0) or 2^24 µs (EVT 3.0) loop
    evt2 = [0x8 << 28 | 100, 0x1 << 28 | 5 << 22, 0x8 << 28 | 99, 0x1 << 28 | 6 << 22,
            0x8 << 28 | 0x0FFFFFFF, 0x8 << 28 | 0, 0x1 << 28 | 7 << 22]
    path = tmp_path / "back.raw"
    path.write_bytes(b"% evt 2.0\n% end\n" + np.array(evt2, "<u4").tobytes())
    assert read_events(path)["t"].tolist() == [100 * 64 + 5, 99 * 64 + 6, (1 << 34) + 7]
    evt3 = [0x8000 | 100, 0x6005, 0x2000, 0x8000 | 99, 0x6006, 0x2000, 0x8FFF, 0x8000, 0x6007, 0x2000]
    path.write_bytes(b"% evt 3.0\n% end\n" + np.array(evt3, "<u2").tobytes())
    assert read_events(path)["t"].tolist() == [100 * 4096 + 5, 99 * 4096 + 6, (1 << 24) + 7]


def test_imu_words_are_skipped(tmp_path):
    # IMU_EVT (0xD) words of Prophesee cameras with an IMU (OpenEB BaseEventTypes::IMU_EVT): one 0xD word
    # and 5 CONTINUED words in EVT 2.0; type 0xD (Evt3EventTypes_4bits::IMU) in EVT 3.0
    evt2 = [0x8 << 28 | 1, 0x1 << 28 | 3 << 22 | 4 << 11 | 5] + [0xD << 28 | 77] + [0xF << 28 | 9] * 5 + \
        [0x0 << 28 | 4 << 22 | 6 << 11 | 7]
    path = tmp_path / "imu.raw"
    path.write_bytes(b"% evt 2.0\n% end\n" + np.array(evt2, "<u4").tobytes())
    assert [tuple(int(v) for v in e) for e in read_events(path)] == [(67, 4, 5, 1), (68, 6, 7, 0)]
    evt3 = [0x8000, 0x6003, 0x0005, 0x2804, 0xD123, 0xF456, 0x2006]
    path.write_bytes(b"% evt 3.0\n% end\n" + np.array(evt3, "<u2").tobytes())
    assert [tuple(int(v) for v in e) for e in read_events(path)] == [(3, 4, 5, 1), (3, 6, 5, 0)]


def _dat(path, header, records, etype=12):
    rec = np.array(records, np.uint32).reshape(-1, 2)
    path.write_bytes(header + (bytes([etype, 8]) if header else b"") + rec.astype("<u4").tobytes())


def test_dat_versions_wrap_arounds_and_headers(tmp_path):
    path = tmp_path / "a.dat"
    # version 2 (OpenEB Event2d::RawEvent): x 14 bits, y 14 bits, p from bit 28; the 32-bit time stamp
    # wraps (OpenEB writes uint32(t)): a fall of more than 2^31 µs adds 2^32 µs, a small fall does not
    v2 = [(4294967000, 3 | 4 << 14 | 1 << 28), (200, 5 | 6 << 14), (150, 7 | 8 << 14 | 1 << 28)]
    _dat(path, b"% Data file containing EventCD events\n% Version 2\n% Width 640\n% Height 480\n", v2)
    assert aer.detect_format(path) == "dat"
    meta = aer.read_header(path)
    assert meta.sensor_size == (640, 480) and meta.extra["version"] == "2"
    got = [tuple(int(v) for v in e) for e in read_events(path)]
    assert got == [(4294967000, 3, 4, 1), ((1 << 32) + 200, 5, 6, 0), ((1 << 32) + 150, 7, 8, 1)]
    assert np.array_equal(np.concatenate(list(aer.iter_events(path, chunk=1))), read_events(path))
    # version 1 (OpenEB Event2d::RawEventV1): x 9 bits, y 8 bits, p bit 17
    v1 = [(10, 300 | 200 << 9 | 1 << 17), (11, 511 | 255 << 9)]
    _dat(path, b"% Data file containing Event2D events\n% Version 1\n", v1, etype=0)
    assert [tuple(int(v) for v in e) for e in read_events(path)] == [(10, 300, 200, 1), (11, 511, 255, 0)]
    # no header at all (OpenEB dat_tools: older files), only with format="dat"
    _dat(path, b"", [(1, 2 | 3 << 14)])
    assert [tuple(int(v) for v in e) for e in read_events(path, format="dat")] == [(1, 2, 3, 0)]
    # external-trigger DAT files hold no camera events
    _dat(path, b"% Version 2\n", [(1, 0)], etype=14)
    with pytest.raises(aer.CorruptFileError, match="external-trigger events"):
        read_events(path)


def test_format_line_spellings(tmp_path):
    # faery's header reader accepts EVT2.0 / EVT2.1 / EVT3.0 on the format line as well
    for spelled, fmt in (("EVT2.0", "evt2"), ("EVT3.0", "evt3"), ("EVT2.1", "evt21"), ("EVT21", "evt21")):
        path = tmp_path / "f.raw"
        path.write_bytes(("%% format %s;height=10;width=20\n" % spelled).encode())
        assert aer.detect_format(path) == fmt and aer.read_header(path).sensor_size == (20, 10)


@pytest.mark.parametrize("fmt, bad, message", [
    ("nmnist", (0, 1, 240, 0), "240 is the N-MNIST overflow marker"),
    ("nmnist", (0, 256, 1, 0), "x in [0, 255]"),
    ("evt3", (0, 2048, 1, 0), "0 <= x, y < 2048"),
    ("evt2", (-1, 1, 1, 0), "t >= 0"),
    ("aedat2", (0, 1, 1, 2), "p in [0, 1]"),
])
def test_writers_reject_bad_events(tmp_path, fmt, bad, message):
    path = tmp_path / "x.out"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match=r"events = '?<event 1") as exc:
        aer.write_events(path, _events([(0, 1, 1, 1), bad]), fmt)
    assert message in str(exc.value)
    assert path.read_bytes() == b"previous"  # atomic: the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.out"]  # no temp file left


def test_unsorted_prophesee_rejected(tmp_path):
    ev = _events([(10_000, 1, 1, 1), (10, 1, 1, 1)])
    for fmt in ("evt2", "evt21", "evt3"):
        with pytest.raises(ValueError, match="sorted by t"):
            aer.write_events(tmp_path / "u.raw", ev, fmt)


def test_write_events_checks_arguments(tmp_path):
    with pytest.raises(ValueError, match="format = 'aedat4'"):
        aer.write_events(tmp_path / "x", np.zeros(0, EVENT_DTYPE), "aedat4")
    with pytest.raises(TypeError, match="structured array"):
        aer.write_events(tmp_path / "x", np.zeros(3), "evt2")
    with pytest.raises(ValueError, match="format = 'bin'"):
        aer.read_events(tmp_path / "x", format="bin")
    with pytest.raises(ValueError, match="chunk = 0"):
        list(aer.iter_events(tmp_path / "x", chunk=0))
