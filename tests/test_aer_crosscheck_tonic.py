"""N-MNIST and AEDAT 2.0 files written by spikecore read the same in tonic's readers.

Optional: skipped unless ``tonic`` (``pip install tonic``) is installed. Last run: tonic 1.7.0.

Checked: N-MNIST ``.bin`` with overflow markers (times past 2^23 µs) through
``tonic.io.read_mnist_file``, exact; AEDAT 2.0 DAVIS through ``tonic.io.read_davis_346``
(jAER's convention: x and y flipped, ``345 - x`` and ``259 - y``; every record an event) and the
raw records of ``read_aedat_header_from_file`` / ``get_aer_events_from_file`` for both layouts
(header end, big-endian address and time stamp). Not used: ``read_dvs_128``, which in tonic 1.7.0
unpacks three values from ``read_aedat_header_from_file`` into two (ValueError) and reads x from
bits 8-14 and y from bits 1-7, the opposite of iniVation's DVS128 layout (x bits 7-1, y bits 14-8).
"""
import numpy as np
import pytest

from spikecore.datasets import aer

tonic_io = pytest.importorskip("tonic.io")


def _events(n, seed, width, height, t_max):
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, aer.EVENT_DTYPE)
    ev["t"] = np.sort(rng.integers(0, t_max, n))
    ev["x"], ev["y"], ev["p"] = rng.integers(0, width, n), rng.integers(0, height, n), rng.integers(0, 2, n)
    return ev


def test_tonic_reads_our_nmnist_files(tmp_path):
    ev = _events(20_000, 0, 34, 34, 3 << 23)  # past 2^23 µs: overflow markers
    path = tmp_path / "00001.bin"
    aer.write_events(path, ev, "nmnist")
    theirs = tonic_io.read_mnist_file(str(path), dtype=np.dtype([("x", int), ("y", int), ("t", int), ("p", int)]))
    assert len(theirs) == len(ev)
    for f in "txyp":
        assert np.array_equal(theirs[f], ev[f].astype(np.int64)), f


def test_tonic_reads_our_aedat2_files(tmp_path):
    ev = _events(20_000, 1, 346, 260, (1 << 32) - 1)
    path = tmp_path / "davis.aedat"
    aer.write_events(path, ev, "aedat2", layout="davis")
    version, start, _ = tonic_io.read_aedat_header_from_file(str(path))
    assert version == 2.0 and start == aer.read_header(path).data_offset
    _, _, theirs = tonic_io.read_davis_346(str(path))
    assert len(theirs) == len(ev)
    assert np.array_equal(theirs["t"], ev["t"]) and np.array_equal(theirs["p"], ev["p"])
    assert np.array_equal(theirs["x"], 345 - ev["x"].astype(np.int64))
    assert np.array_equal(theirs["y"], 259 - ev["y"].astype(np.int64))
    small = _events(5000, 2, 128, 128, (1 << 32) - 1)
    path = tmp_path / "dvs128.aedat"
    aer.write_events(path, small, "aedat2", layout="dvs128")
    version, start, _ = tonic_io.read_aedat_header_from_file(str(path))
    records = tonic_io.get_aer_events_from_file(str(path), version, start)
    assert np.array_equal(records["timeStamp"], small["t"])
    address = records["address"].astype(np.int64)
    assert np.array_equal(address, (small["y"].astype(np.int64) << 8) | (small["x"] << 1) | small["p"])
