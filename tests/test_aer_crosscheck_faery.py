"""spikecore reads what faery writes, and faery reads what spikecore writes, event by event.

Optional: skipped unless ``faery`` is installed (``pip install faery``, a Rust event-camera
toolkit that CI does not install). Last run: faery 0.7.1, with lz4 4.4.5 and zstandard 0.25.0.

Checked, faery -> spikecore:
* EVT 2.0 and EVT 3.0 (faery's EVT 3.0 writer emits VECT_BASE_X, VECT_12 and VECT_8 words of
  any pattern) for random, dense (vectors), time-jump (gaps of 2^24 and 2^34 µs and more:
  time-high wrap-arounds) and large absolute (1.7e15 µs) streams, with and without faery's
  ``zero_t0`` (which writes times relative to the first one and stores it on a ``% t0`` line:
  spikecore returns the stored times and keeps ``t0`` in the header, like OpenEB);
* DAT version 1 (9-bit x / 8-bit y records) and version 2, event types 0x00 (Event2d) and 0x0C
  (EventCD), ``% Width`` / ``% Height`` / ``% T0`` header lines, recordings longer than the
  32-bit time stamp (2^32 µs);
* AEDAT 4.0 without compression and with LZ4 (levels 1, 12) and Zstd (levels 1, 3, 22), with
  IMU and trigger packets interleaved and a second event stream (chosen with ``stream=``).
spikecore -> faery: EVT 2.0 and EVT 3.0 files of the same kinds of streams (faery's own EVT 3.0
reader needs every time-high wrap-around sent as 4095 then 0 and steps below 4094, which
spikecore's writer does; faery does not read its own EVT 3.0 files across wrap-arounds).
"""
import numpy as np
import pytest

from spikecore.datasets import aer

faery = pytest.importorskip("faery")
from faery.extension import aedat as faery_aedat  # noqa: E402
from faery.extension import dat as faery_dat  # noqa: E402
from faery.extension import evt as faery_evt  # noqa: E402


def _stream(kind, n, width, height, seed=0):
    """faery events (t <u8, x, y <u2, on bool), sorted as a camera sends them."""
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, faery.EVENTS_DTYPE)
    if kind == "random":
        t = np.sort(rng.integers(0, 3_000_000, n))
    elif kind == "dense":
        t = np.sort(rng.integers(0, 2000, n))
    elif kind == "jumps":
        gaps = [0, 1, 63, 64, 4095, 4096, 1 << 24, (1 << 24) + 5, 1 << 34, 12_345_678_901]
        t = np.cumsum(rng.choice(gaps, n, p=[.3, .2, .1, .1, .1, .1, .025, .025, .025, .025]))
    else:  # large absolute times
        t = 1_700_000_000_000_000 + np.sort(rng.integers(0, 10_000_000, n))
    ev["t"], ev["x"], ev["y"] = t, rng.integers(0, width, n), rng.integers(0, height, n)
    ev["on"] = rng.integers(0, 2, n).astype(bool)
    if kind == "dense":  # half of them in short rows: vector words
        k = n // 2
        ev["y"][:k], ev["x"][:k] = rng.integers(0, 3, k), rng.integers(0, 40, k)
    ev = ev[np.lexsort((ev["x"], ev["on"], ev["y"], ev["t"]))]
    keep = np.ones(n, bool)  # one event per pixel and time stamp
    keep[1:] = (np.diff(ev["t"].astype(np.int64)) != 0) | (np.diff(ev["x"].astype(int)) != 0) | \
        (np.diff(ev["y"].astype(int)) != 0) | (ev["on"][1:] != ev["on"][:-1])
    return ev[keep]


def _assert_same(got, ev, t_shift=0):
    assert len(got) == len(ev)
    assert np.array_equal(got["t"], ev["t"].astype(np.int64) - t_shift)
    assert np.array_equal(got["x"], ev["x"]) and np.array_equal(got["y"], ev["y"])
    assert np.array_equal(got["p"], ev["on"].astype(np.int8))


# Absolute times of 1.7e15 µs without zero_t0 cost faery 100 MB (EVT 2.0) and 800 MB (EVT 3.0) of
# time-high words: "large" is only written relative to its t0 here.
EVT_CASES = [(v, kind, n, z) for v in ("evt2", "evt3") for kind, n in (("random", 20_000), ("dense", 20_000),
                                                                        ("jumps", 3000), ("large", 20_000))
             for z in (False, True) if kind != "large" or z]


@pytest.mark.parametrize("version, kind, n, zero_t0", EVT_CASES)
def test_faery_evt_files(tmp_path, version, kind, n, zero_t0):
    ev = _stream(kind, n, 1280, 720)
    path = tmp_path / "faery.raw"
    with faery_evt.Encoder(path=path, version=version, zero_t0=zero_t0, dimensions=(1280, 720),
                           enforce_monotonic=True) as encoder:
        encoder.write({"events": ev})
    meta = aer.read_header(path)
    assert meta.format == version and meta.sensor_size == (1280, 720)
    t0 = int(meta.header["t0"]) if zero_t0 else 0
    assert "t0" in meta.header if zero_t0 else "t0" not in meta.header
    _assert_same(aer.read_events(path), ev, t0)
    assert np.array_equal(np.concatenate(list(aer.iter_events(path, chunk=4097))), aer.read_events(path))


@pytest.mark.parametrize("version, size", [("dat1", (304, 240)), ("dat2", (1280, 720))])
@pytest.mark.parametrize("event_type, code", [("2d", "Event2d"), ("cd", "EventCD")])
@pytest.mark.parametrize("long", [False, True])
def test_faery_dat_files(tmp_path, version, size, event_type, code, long):
    rng = np.random.default_rng(1)
    n = 5000
    ev = np.zeros(n, faery.EVENTS_DTYPE)
    ev["t"] = np.cumsum(rng.integers(0, 5 * 10**8 if long else 100, n))  # long: past 2^32 µs
    ev["x"], ev["y"], ev["on"] = rng.integers(0, size[0], n), rng.integers(0, size[1], n), rng.integers(0, 2, n)
    path = tmp_path / "faery.dat"
    packed = ev.astype([("t", "<u8"), ("x", "<u2"), ("y", "<u2"), ("payload", "u1")], casting="unsafe")
    with faery_dat.Encoder(path=path, version=version, event_type=event_type, zero_t0=False,
                           dimensions=size) as encoder:
        encoder.write(packed)
    meta = aer.read_header(path)
    assert meta.format == "dat" and meta.sensor_size == size
    assert meta.extra == {"event_type": code, "event_size": 8, "version": version[-1]}
    _assert_same(aer.read_events(path), ev)
    assert np.array_equal(np.concatenate(list(aer.iter_events(path, chunk=999))), aer.read_events(path))


def _node(name, path, attrs, nodes=()):
    return faery_aedat.DescriptionNode(name=name, path=path, nodes=list(nodes), attributes={
        k: faery_aedat.DescriptionAttribute(attribute_type=kind, value=v) for k, (kind, v) in attrs.items()})


def _track(i, type_id, output, size=None):
    base = "/mainloop/Recorder/outInfo/%d/" % i
    info = [_node("info", base + "info/", {"sizeX": ("int", size[0]), "sizeY": ("int", size[1]),
                                            "source": ("string", "faery")})] if size else []
    return _node(str(i), base, {"compression": ("string", "NONE"), "originalOutputName": ("string", output),
                                "typeIdentifier": ("string", type_id)}, info)


IMU_DTYPE = np.dtype([("t", "<u8"), ("temperature", "<f4")] +
                     [(s + a, "<f4") for s in ("accelerometer_", "gyroscope_", "magnetometer_") for a in "xyz"])


@pytest.mark.parametrize("compression", [None, ("lz4", 1), ("lz4", 12), ("zstd", 1), ("zstd", 3), ("zstd", 22)])
def test_faery_aedat4_files(tmp_path, compression):
    if compression:
        pytest.importorskip({"lz4": "lz4", "zstd": "zstandard"}[compression[0]])
    ev = _stream("large", 30_000, 346, 260)
    second = _stream("random", 300, 128, 128, seed=5)
    second["t"] += ev["t"][0]
    description = [_node("outInfo", "/mainloop/Recorder/outInfo/", {}, [
        _track(0, "EVTS", "events", (346, 260)), _track(1, "IMUS", "imu"), _track(2, "TRIG", "triggers"),
        _track(5, "EVTS", "events_2", (128, 128))])]
    path = tmp_path / "faery.aedat4"
    with faery_aedat.Encoder(path=path, description=description, compression=compression) as encoder:
        for k, start in enumerate(range(0, len(ev), 4096)):
            block = ev[start:start + 4096]
            encoder.write(0, block)
            imu = np.zeros(3, IMU_DTYPE)
            imu["t"] = block["t"][-1]
            encoder.write(1, imu)
            trigger = np.zeros(1, [("t", "<u8"), ("source", "u1")])
            trigger["t"], trigger["source"] = block["t"][-1], 1
            encoder.write(2, trigger)
            encoder.write(5, second[30 * k:30 * k + 30])
    with pytest.raises(ValueError, match=r"stream = None: .*holds 2: 0 \(originalOutputName events.*5 \("):
        aer.read_events(path)
    meta = aer.read_header(path, stream=0)
    assert meta.extra["compression"] == ("none" if compression is None else compression[0])
    assert meta.extra["event_streams"] == [0, 5] and meta.sensor_size == (346, 260)
    assert meta.extra["data_table_position"] > meta.data_offset  # faery writes the FileDataTable
    _assert_same(aer.read_events(path, stream=0), ev)
    _assert_same(aer.read_events(path, stream=5), second[:30 * (k + 1)])
    assert aer.read_header(path, stream=5).sensor_size == (128, 128)
    chunks = list(aer.iter_events(path, chunk=5000, stream=0))
    assert np.array_equal(np.concatenate(chunks), aer.read_events(path, stream=0))


def _faery_read(path):
    with faery_evt.Decoder(path, None, None) as decoder:
        blocks = [packet["events"] for packet in decoder if "events" in packet]
    return np.concatenate(blocks)


# 1.7e15 µs absolute times need 3 EVT 3.0 time-high words per 2^24 µs loop (600 MB): EVT 2.0 only
@pytest.mark.parametrize("fmt, kind, n", [(f, k, n) for f in ("evt2", "evt3") for k, n in (
    ("random", 20_000), ("dense", 20_000), ("jumps", 3000), ("large", 5000)) if f == "evt2" or k != "large"])
def test_faery_reads_our_files(tmp_path, fmt, kind, n):
    src = _stream(kind, n, 1280, 720, seed=3)
    ev = np.zeros(len(src), aer.EVENT_DTYPE)
    ev["t"], ev["x"], ev["y"], ev["p"] = src["t"], src["x"], src["y"], src["on"]
    path = tmp_path / "ours.raw"
    aer.write_events(path, ev, fmt, sensor_size=(1280, 720))
    back = _faery_read(path)
    assert len(back) == len(ev)
    assert np.array_equal(back["t"].astype(np.int64), ev["t"])
    assert np.array_equal(back["x"], ev["x"]) and np.array_equal(back["y"], ev["y"])
    assert np.array_equal(back["on"], ev["p"] == 1)


def test_every_vector_mask_decodes_as_in_faery(tmp_path):
    # hand-made EVT 3.0 words: every VECT_12 mask (4096) and every VECT_8 mask (256), each after an
    # EVT_ADDR_Y and a VECT_BASE_X of varying base and polarity, some as VECT_12, VECT_12, VECT_8
    # triples; faery decodes VECT_12 / VECT_8 words one at a time, as the EVT 3.0 spec describes them
    words = [0x8000, 0x6005]
    for mask in range(4096):
        words += [mask % 720, 0x3000 | (mask & 1) << 11 | (mask * 7) % 2000, 0x4000 | mask]
        if mask % 3 == 0:  # continue the vector: base + 12, then base + 24
            words += [0x4000 | (4095 - mask), 0x5000 | (mask & 0xFF)]
    for mask in range(256):
        words += [0x3000 | (mask & 2) << 10 | (mask * 5) % 2000, 0x5000 | mask]
    path = tmp_path / "vectors.raw"
    path.write_bytes(b"% evt 3.0\n% format EVT3;width=2048;height=2048\n" + np.array(words, "<u2").tobytes())
    ours = aer.read_events(path)
    theirs = _faery_read(path)
    assert len(ours) == len(theirs) > 4096 * 6
    assert np.array_equal(ours["t"], theirs["t"].astype(np.int64)) and np.all(ours["t"] == 5)
    assert np.array_equal(ours["x"], theirs["x"]) and np.array_equal(ours["y"], theirs["y"])
    assert np.array_equal(ours["p"] == 1, theirs["on"])
