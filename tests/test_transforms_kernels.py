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


# -- float kernels: equal to float rounding (the twins add the same terms in another order) ----
def _sorted_stream(ev):
    x, y, t, p, w, h = ev
    order = np.argsort(t, kind="stable")
    return x[order], y[order], t[order], p[order], w, h


@settings(max_examples=60)
@given(streams(), st.integers(1, 7), st.integers(0, 3))
def test_voxel_grid_kernel_equals_reference(ev, n_bins, squeeze):
    x, y, t, p, w, h = ev
    if squeeze and len(t):  # all events at one time, or a long offset near 2**40
        t = np.full_like(t, t[0]) if squeeze == 1 else t + 2**40
    t0 = int(t.min()) if len(t) else 0
    duration = max(int(t.max()) - t0, 1) if len(t) else 1
    g1, g2 = np.zeros((n_bins, h, w)), np.zeros((n_bins, h, w))
    K.voxel_grid(x, y, t, p, t0, duration, g1)
    R.voxel_grid(x, y, t, p, t0, duration, g2)
    np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-12)
    assert abs(g1.sum() - (2 * p.astype(int) - 1).sum()) < 1e-9


@settings(max_examples=60)
@given(streams(), st.data())
def test_time_surfaces_kernel_equals_reference(ev, data):
    x, y, t, p, w, h = _sorted_stream(ev)
    lo = int(t.min()) - 5 if len(t) else 0
    hi = int(t.max()) + 5 if len(t) else 50
    k = data.draw(st.integers(0, 5))
    # sample times anywhere, or exactly on event times (the surface then holds the event as 1)
    when = st.sampled_from(t.tolist()) if len(t) and data.draw(st.booleans()) else st.integers(lo, hi)
    times = np.sort(np.array(data.draw(st.lists(when, min_size=k, max_size=k)), dtype=np.int64))
    tau = data.draw(st.floats(0.5, 100.0))
    s1, s2 = np.full((k, 2, h, w), -1.0), np.full((k, 2, h, w), -2.0)
    K.time_surfaces(x, y, p, t, times, tau, s1)
    R.time_surfaces(x, y, p, t, times, tau, s2)
    np.testing.assert_allclose(s1, s2, rtol=1e-13, atol=0)
    assert np.all((s1 >= 0) & (s1 <= 1))


@settings(max_examples=60)
@given(streams(), st.integers(1, 4), st.integers(0, 2), st.one_of(st.integers(0, 60).map(float), st.floats(0.0, 60.0)),
       st.floats(0.5, 30.0), st.booleans())
def test_averaged_time_surfaces_kernel_equals_reference(ev, cell_size, radius, window, tau, linear):
    x, y, t, p, w, h = _sorted_stream(ev)
    wgrid = -(-w // cell_size)
    n_cells = wgrid * -(-h // cell_size)
    cell = (y.astype(np.int64) // cell_size) * wgrid + x.astype(np.int64) // cell_size
    group = cell * 2 + p
    order = np.argsort(group, kind="stable").astype(np.int64)
    offsets = np.searchsorted(group[order], np.arange(n_cells * 2 + 1)).astype(np.int64)
    size = 2 * radius + 1
    h1, h2 = np.zeros((n_cells, 2, size, size)), np.zeros((n_cells, 2, size, size))
    K.averaged_time_surfaces(x, y, t, cell, p, order, offsets, radius, window, tau, linear, h1)
    R.averaged_time_surfaces(x, y, t, cell, p, order, offsets, radius, window, tau, linear, h2)
    np.testing.assert_allclose(h1, h2, rtol=1e-12, atol=1e-12)
    # every (cell, polarity) with events has 1 at the centre from each event itself, on average
    counts = np.bincount(group, minlength=n_cells * 2).reshape(n_cells, 2)
    assert np.all(h1[..., radius, radius][counts > 0] >= 1.0 - 1e-12)
    assert np.all(h1[counts == 0] == 0)
