"""AEDAT 4.0 files written by dv-processing (iniVation's official library) read the same in
spikecore, event by event.

Optional: skipped unless ``dv-processing`` is installed (``pip install dv-processing``; CI does
not install it); LZ4 / Zstd cases also need ``lz4`` / ``zstandard``. Last run: dv-processing
2.0.4, lz4 4.4.5, zstandard 0.25.0.

Checked: a DAVIS346 recording (``MonoCameraWriter.DAVISConfig``: event, frame, IMU and trigger
streams) with all five compressions (NONE, LZ4, LZ4_HIGH, ZSTD, ZSTD_HIGH), frame / IMU / trigger
packets interleaved with the event packets, absolute time stamps of 1.7e15 µs; the same file
without its FileDataTable (``dataTablePosition`` -1, as a recording that was never closed), which
dv-processing still reads; and a stereo recording (``StereoCameraWriter``: two event streams),
which spikecore refuses to mix and reads one camera at a time with ``stream=``.
"""
import struct

import numpy as np
import pytest

from spikecore.datasets import aer

dv = pytest.importorskip("dv_processing")

COMPRESSIONS = ["NONE", "LZ4", "LZ4_HIGH", "ZSTD", "ZSTD_HIGH"]
NEEDS = {"LZ4": "lz4", "LZ4_HIGH": "lz4", "ZSTD": "zstandard", "ZSTD_HIGH": "zstandard"}


def _events(n, width, height, seed):
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, aer.EVENT_DTYPE)
    ev["t"] = 1_700_000_000_000_000 + np.sort(rng.integers(0, 2_000_000, n))
    ev["x"], ev["y"], ev["p"] = rng.integers(0, width, n), rng.integers(0, height, n), rng.integers(0, 2, n)
    return ev


def _store(ev):
    store = dv.EventStore()
    for t, x, y, p in zip(ev["t"].tolist(), ev["x"].tolist(), ev["y"].tolist(), ev["p"].tolist()):
        store.push_back(t, x, y, bool(p))
    return store


def _davis_file(path, compression, ev, width=346, height=260):
    config = dv.io.MonoCameraWriter.DAVISConfig("DAVIS346_00000001", (width, height))
    config.compression = getattr(dv.CompressionType, compression)
    writer = dv.io.MonoCameraWriter(str(path), config)
    for start in range(0, len(ev), 2500):
        block = ev[start:start + 2500]
        writer.writeEvents(_store(block))
        t = int(block["t"][0])
        writer.writeFrame(dv.Frame(t, np.full((height, width), start % 251, np.uint8)))
        writer.writeImu(dv.IMU(t, 25.0, 0.1, 0.2, 9.8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
        writer.writeTrigger(dv.Trigger(t, dv.TriggerType.EXTERNAL_SIGNAL_RISING_EDGE))
    del writer  # closing writes the FileDataTable and its position


def _dv_count(path):
    recording = dv.io.MonoCameraRecording(str(path))
    n = 0
    while True:
        batch = recording.getNextEventBatch()
        if batch is None:
            return n
        n += len(batch)


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_dv_processing_davis_recording(tmp_path, compression):
    if compression in NEEDS:
        pytest.importorskip(NEEDS[compression])
    ev = _events(12_000, 346, 260, seed=0)
    path = tmp_path / "davis.aedat4"
    _davis_file(path, compression, ev)
    meta = aer.read_header(path)
    assert meta.extra["compression"] == compression.lower()
    kinds = {k: v.get("typeIdentifier") for k, v in meta.extra["streams"].items()}
    assert sorted(kinds.values()) == ["EVTS", "FRME", "IMUS", "TRIG"]
    assert meta.extra["event_streams"] == [meta.extra["stream"]] and meta.sensor_size == (346, 260)
    assert meta.extra["data_table_position"] > meta.data_offset
    got = aer.read_events(path)
    assert np.array_equal(got, ev)
    assert np.array_equal(np.concatenate(list(aer.iter_events(path, chunk=3333))), ev)
    assert _dv_count(path) == len(ev)


def _without_data_table(src, dst):
    """Copy of an uncompressed or compressed AEDAT 4 file cut at its FileDataTable, with
    ``dataTablePosition`` set to -1 in the IOHeader flatbuffer."""
    data = bytearray(src.read_bytes())
    table = aer.read_header(src).extra["data_table_position"]
    head = 14 + 4  # '#!AER-DAT4.0\r\n' + the IOHeader size
    root = head + struct.unpack_from("<I", data, head)[0]
    vtable = root - struct.unpack_from("<i", data, root)[0]
    field = struct.unpack_from("<H", data, vtable + 4 + 2 * 1)[0]  # field 1: dataTablePosition
    assert field and struct.unpack_from("<q", data, root + field)[0] == table
    struct.pack_into("<q", data, root + field, -1)
    dst.write_bytes(bytes(data[:table]))


@pytest.mark.parametrize("compression", ["NONE", "ZSTD"])
def test_dv_processing_recording_without_data_table(tmp_path, compression):
    if compression in NEEDS:
        pytest.importorskip(NEEDS[compression])
    ev = _events(6000, 346, 260, seed=1)
    full, cut = tmp_path / "full.aedat4", tmp_path / "cut.aedat4"
    _davis_file(full, compression, ev)
    _without_data_table(full, cut)
    assert aer.read_header(cut).extra["data_table_position"] == -1
    assert np.array_equal(aer.read_events(cut), ev)
    assert _dv_count(cut) == len(ev)  # dv-processing reads the cut file too


def test_dv_processing_stereo_recording(tmp_path):
    left, right = _events(5000, 640, 480, seed=2), _events(3000, 640, 480, seed=3)
    config = [dv.io.MonoCameraWriter.EventOnlyConfig(name, (640, 480)) for name in ("left_cam", "right_cam")]
    for c in config:
        c.compression = dv.CompressionType.NONE
    path = tmp_path / "stereo.aedat4"
    writer = dv.io.StereoCameraWriter(str(path), config[0], config[1])
    writer.left.writeEvents(_store(left))
    writer.right.writeEvents(_store(right))
    del writer
    with pytest.raises(ValueError, match=r"stream = None: .*holds 2: 0 \(.*left_cam\), 1 \(.*right_cam\)"):
        aer.read_events(path)
    with pytest.raises(ValueError, match="stream = 7"):
        aer.read_events(path, stream=7)
    assert np.array_equal(aer.read_events(path, stream=0), left)
    assert np.array_equal(aer.read_events(path, stream=1), right)
    assert np.array_equal(np.concatenate(list(aer.iter_events(path, chunk=999, stream=1))), right)
    assert aer.read_header(path, stream=1).sensor_size == (640, 480)
