"""Prophesee files written by spikecore (EVT 2.0, 2.1, 3.0) read the same in evlib, an
independent (Rust) reader.

Optional: skipped unless ``evlib`` is installed (``pip install evlib``; it pulls polars and
pyarrow, so CI does not install it). Last run: evlib 0.13.2, 200 000 events per format,
identical (and evlib reads the two Prophesee fixtures as spikecore does: 521 252 and 5 000
events, same t, x, y).
"""
import numpy as np
import pytest

from spikecore.datasets import aer

evlib = pytest.importorskip("evlib")


@pytest.mark.parametrize("fmt", ["evt2", "evt21", "evt3"])
def test_evlib_reads_our_prophesee_files(tmp_path, fmt):
    rng = np.random.default_rng(0)
    n = 200_000
    ev = np.zeros(n, aer.EVENT_DTYPE)
    ev["t"] = np.sort(rng.integers(0, 3_000_000, n))
    ev["x"], ev["y"], ev["p"] = rng.integers(0, 1280, n), rng.integers(0, 720, n), rng.integers(0, 2, n)
    k = n // 4  # a quarter in long runs along one row: vector words with many bits
    ev["y"][:k], ev["x"][:k] = 100, np.arange(k) % 1280
    ev = ev[np.lexsort((ev["x"], ev["p"], ev["y"], ev["t"]))]
    path = tmp_path / "ours.raw"
    aer.write_events(path, ev, fmt, sensor_size=(1280, 720))
    df = evlib.load_events(str(path), sort=False).collect()
    t = df["t"].dt.total_microseconds().to_numpy()
    assert len(df) == n
    assert np.array_equal(t, ev["t"])
    assert np.array_equal(df["x"].to_numpy(), ev["x"]) and np.array_equal(df["y"].to_numpy(), ev["y"])
    assert np.array_equal(df["polarity"].to_numpy() > 0, ev["p"] == 1)
