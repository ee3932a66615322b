"""Every kernel in spikecore.kernels.transforms equals its plain twin (exactly: integer outputs)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spikecore.kernels import transforms as K
from spikecore.reference import transforms as R


@st.composite
def streams(draw, max_n=60):
    w = draw(st.integers(1, 6))
    h = draw(st.integers(1, 6))
    n = draw(st.integers(0, max_n))
    x = np.array(draw(st.lists(st.integers(0, w - 1), min_size=n, max_size=n)), dtype=np.int16)
    y = np.array(draw(st.lists(st.integers(0, h - 1), min_size=n, max_size=n)), dtype=np.int16)
    p = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.int8)
    dt = np.array(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)), dtype=np.int64)
    t = np.cumsum(dt) + draw(st.integers(-5, 1000))
    if draw(st.booleans()):  # streams out of time order must give the same answer too
        t = t[np.random.default_rng(draw(st.integers(0, 99))).permutation(n)]
    return x, y, t.astype(np.int64), p, w, h


@settings(max_examples=60)
@given(streams(), st.floats(0.5, 60.0))
def test_denoise_kernel_equals_reference(ev, filter_time):
    x, y, t, _, w, h = ev
    k1, k2 = np.zeros(len(x), bool), np.ones(len(x), bool)
    n1 = K.denoise(x, y, t, filter_time, w, h, k1)
    n2 = R.denoise(x, y, t, filter_time, w, h, k2)
    np.testing.assert_array_equal(k1, k2)
    assert n1 == n2 == k1.sum()


@settings(max_examples=60)
@given(streams(), st.floats(0.0, 60.0))
def test_refractory_kernel_equals_reference(ev, period):
    x, y, t, _, w, h = ev
    k1, k2 = np.zeros(len(x), bool), np.ones(len(x), bool)
    n1 = K.refractory(x, y, t, period, w, h, k1)
    n2 = R.refractory(x, y, t, period, w, h, k2)
    np.testing.assert_array_equal(k1, k2)
    assert n1 == n2 == k1.sum()


@settings(max_examples=60)
@given(streams(), st.data())
def test_accumulate_frames_kernel_equals_reference(ev, data):
    x, y, _, p, w, h = ev
    n = len(x)
    k = data.draw(st.integers(0, 5))
    starts = np.array(data.draw(st.lists(st.integers(0, n), min_size=k, max_size=k)), dtype=np.int64)
    ends = np.array([data.draw(st.integers(int(s), n)) for s in starts], dtype=np.int64)
    f1 = np.zeros((k, 2, h, w), np.int32)
    f2 = np.zeros((k, 2, h, w), np.int32)
    K.accumulate_frames(x, y, p, starts, ends, f1)
    R.accumulate_frames(x, y, p, starts, ends, f2)
    np.testing.assert_array_equal(f1, f2)
    assert f1.sum() == int((ends - starts).sum())


@settings(max_examples=60)
@given(st.data(), st.booleans())
def test_spikes_to_raster_kernel_equals_reference(data, binary):
    batch = data.draw(st.integers(0, 4))
    T = data.draw(st.integers(1, 8))
    n = data.draw(st.integers(1, 6))
    counts = data.draw(st.lists(st.integers(0, 15), min_size=batch, max_size=batch))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    m = int(offsets[-1])
    steps = np.array(data.draw(st.lists(st.integers(-2, T + 2), min_size=m, max_size=m)), dtype=np.int64)
    units = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    r1 = np.zeros((T, batch, n), np.int64)
    r2 = np.zeros((T, batch, n), np.int64)
    i1 = K.spikes_to_raster(steps, units, offsets, binary, r1)
    i2 = R.spikes_to_raster(steps, units, offsets, binary, r2)
    np.testing.assert_array_equal(r1, r2)
    assert i1 == i2 == int(((steps >= 0) & (steps < T)).sum())
    if not binary:
        assert r1.sum() == i1
