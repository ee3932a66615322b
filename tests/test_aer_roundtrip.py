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


def test_vector_words_are_used(tmp_path):
    ev = _events([(100, x, 7, 1) for x in (10, 11, 13, 20)] + [(100, 30, 7, 1)])
    path = tmp_path / "v.raw"
    aer.write_events(path, ev, "evt3")
    data = path.read_bytes()
    words = np.frombuffer(data[data.index(b"% end\n") + 6:], "<u2")
    # TIME_HIGH 0, TIME_LOW 100, ADDR_Y 7, VECT_BASE_X p=1 x=10, VECT_12 bits {0,1,3,10}, ADDR_X p=1 x=30
    assert [hex(w) for w in words] == ["0x8000", "0x6064", "0x7", "0x380a", "0x440b", "0x281e"]
    assert np.array_equal(read_events(path), ev)


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
