"""The real AEDAT 4.0 fixture (a DV recording: events, IMU and trigger streams, LZ4) reads the
same in spikecore and in ``aedat``, norse's independent (Rust) AEDAT 4.0 decoder.

Optional: skipped unless ``aedat`` (``pip install aedat``) and ``lz4`` are installed, and
without the shared fixtures. Last run: aedat 2.3.0: 111 954 events, identical t, x, y and
polarity in file order, from the event stream only (its 475 IMU samples are not events).
"""
import numpy as np
import pytest

from spikecore.datasets import aer

aedat = pytest.importorskip("aedat")
pytest.importorskip("lz4")


def test_aedat_reads_the_dv_fixture_like_spikecore(fixtures_dir):
    path = fixtures_dir / "aedat4" / "sample.aedat4"
    decoder = aedat.Decoder(str(path))
    streams = decoder.id_to_stream()
    event_ids = sorted(k for k, v in streams.items() if v["type"] == "events")
    blocks, imus = [], 0
    for packet in decoder:
        if "events" in packet:
            blocks.append(packet["events"])
        elif "imus" in packet:
            imus += len(packet["imus"])
    theirs = np.concatenate(blocks)
    meta = aer.read_header(path)
    ours = aer.read_events(path)
    assert meta.extra["event_streams"] == event_ids == [meta.extra["stream"]]
    assert meta.sensor_size == (streams[event_ids[0]]["width"], streams[event_ids[0]]["height"])
    assert len(ours) == len(theirs) == 111_954 and imus == 475
    assert np.array_equal(ours["t"], theirs["t"].astype(np.int64))
    assert np.array_equal(ours["x"], theirs["x"]) and np.array_equal(ours["y"], theirs["y"])
    assert np.array_equal(ours["p"] == 1, theirs["on"])
