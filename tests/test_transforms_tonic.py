"""spikecore.datasets.transforms against Tonic's own functions (optional: needs tonic).

Each test runs Tonic (``tonic.functional``, ``tonic.slicers``, ``tonic.transforms``) and
spikecore on the same events, the real N-MNIST and AEDAT4 fixtures and generated streams
(boundaries, offsets near 2**40, negative times, unsorted times), and asserts that the
outputs are identical, or differ exactly in the way the function's docstring documents.

Run it with a Python that imports both spikecore and tonic 1.7.0; without tonic the module
is skipped. On the project machine tonic lives in its own venv, so a throw-away venv that
adds both site-packages directories works::

    python3.11 -m venv /tmp/venv-both && S=lib/python3.11/site-packages && cd /tmp/venv-both/$S
    echo "import site; site.addsitedir('/work/venv311/$S'); site.addsitedir('/work/venv-tonic/$S')" > both.pth
    cd /tmp && /tmp/venv-both/bin/python -m pytest -q /work/main/tests/test_transforms_tonic.py
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikecore.datasets import transforms as T
from spikecore.datasets.aer import EVENT_DTYPE, read_events

tonic = pytest.importorskip("tonic")
TF = pytest.importorskip("tonic.functional")
TS = pytest.importorskip("tonic.slicers")
TT = pytest.importorskip("tonic.transforms")


@pytest.fixture(scope="module")
def recordings(fixtures_dir):
    return {"nmnist": (read_events(fixtures_dir / "nmnist" / "sample_nmnist.bin"), (34, 34, 2)),
            "aedat4": (read_events(fixtures_dir / "aedat4" / "sample.aedat4"), (320, 240, 2))}


def make(ts, xs=None, ys=None, ps=None):
    ev = np.zeros(len(ts), dtype=EVENT_DTYPE)
    ev["t"] = ts
    n = len(ts)
    ev["x"] = np.arange(n) % 5 if xs is None else xs
    ev["y"] = (np.arange(n) // 5) % 4 if ys is None else ys
    ev["p"] = np.arange(n) % 2 if ps is None else ps
    return ev


def random_stream(n, w, h, seed, t0=0, span=100_000, sort=True):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, span, n) + t0
    return make(np.sort(t) if sort else t, rng.integers(0, w, n), rng.integers(0, h, n), rng.integers(0, 2, n))


GENERATED = {
    "boundaries": make([0, 100, 200, 300, 300]),
    "tonic_doc": make([0, 150, 299, 300]),
    "span199": make(list(range(0, 200, 7)) + [199]),
    "one": make([5]),
    "offset": random_stream(3000, 17, 13, 1, t0=12_345),
    "huge": random_stream(3000, 17, 13, 2, t0=2**40),
    "negative": random_stream(500, 9, 7, 3, t0=-50_000),
    "dense": random_stream(5000, 6, 5, 5, span=4000),
}


def assert_same_events(ours, theirs):
    assert len(ours) == len(theirs)
    for f in "txyp":
        np.testing.assert_array_equal(ours[f], theirs[f], err_msg=f)


def rows(events):
    return set(map(tuple, events[["t", "x", "y", "p"]].tolist()))


def tonic_meta(slicer, events):
    md = slicer.get_slice_metadata(events.copy(), None)
    return [(int(a), min(int(b), len(events))) for a, b in md]


def ours_meta(starts, ends):
    return list(zip(starts.tolist(), ends.tolist()))


# -- filters --------------------------------------------------------------------------
@pytest.mark.parametrize("name, filter_time", [("nmnist", 500), ("nmnist", 600), ("aedat4", 1000),
                                               ("aedat4", 20_000)])
def test_denoise_equals_tonic_on_fixtures(recordings, name, filter_time):
    ev, size = recordings[name]
    assert ev["t"].min() >= filter_time  # Tonic's phantom start plays no role
    assert_same_events(T.denoise(ev, filter_time, size), TF.denoise_numpy(ev.copy(), filter_time))


@pytest.mark.parametrize("name, filter_time", [("nmnist", 5000), ("nmnist", 50_000), ("negative", 400),
                                               ("dense", 50)])
def test_denoise_differs_only_by_tonic_phantom_start(recordings, name, filter_time):
    ev = recordings[name][0] if name in recordings else GENERATED[name]
    ours, theirs = rows(T.denoise(ev, filter_time)), rows(TF.denoise_numpy(ev.copy(), filter_time))
    assert ours <= theirs
    assert all(t < filter_time for t, *_ in theirs - ours)  # only events Tonic's t=0 memory saved


@pytest.mark.parametrize("name, period", [("nmnist", 0), ("nmnist", 100), ("nmnist", 5000), ("aedat4", 1000)])
def test_refractory_equals_tonic_on_fixtures(recordings, name, period):
    ev, size = recordings[name]
    assert ev["t"].min() > 0  # Tonic's first-event rule plays no role
    assert_same_events(T.refractory_filter(ev, period, size), TF.refractory_period_numpy(ev.copy(), period))


@st.composite
def streams(draw):
    w, h = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    n = draw(st.integers(1, 80))
    xs = draw(st.lists(st.integers(0, w - 1), min_size=n, max_size=n))
    ys = draw(st.lists(st.integers(0, h - 1), min_size=n, max_size=n))
    t = np.cumsum(draw(st.lists(st.integers(0, 40), min_size=n, max_size=n)))
    t = t + draw(st.sampled_from([-300, 0, 1, 12_345, 2**40]))
    if draw(st.booleans()):
        t = t[np.random.default_rng(draw(st.integers(0, 99))).permutation(n)]
    return make(t, xs, ys, np.zeros(n))


@settings(max_examples=80)
@given(streams(), st.integers(1, 60))
def test_denoise_agrees_with_tonic_on_random_streams(ev, filter_time):
    ours, theirs = rows(T.denoise(ev, filter_time)), rows(TF.denoise_numpy(ev.copy(), filter_time))
    assert ours <= theirs
    assert all(t < filter_time for t, *_ in theirs - ours)
    if ev["t"].min() >= filter_time:
        assert_same_events(T.denoise(ev, filter_time), TF.denoise_numpy(ev.copy(), filter_time))


@settings(max_examples=80)
@given(streams(), st.integers(0, 60))
def test_refractory_agrees_with_tonic_on_random_streams(ev, period):
    ours = T.refractory_filter(ev, period)
    theirs = TF.refractory_period_numpy(ev.copy(), period)
    if ev["t"].min() > 0:
        assert_same_events(ours, theirs)
    else:  # Tonic also drops a pixel's first event when it is at t <= 0
        first = {}
        for i, (t, x, y, _) in enumerate(ev.tolist()):
            first.setdefault((x, y), (i, t))
        extra = rows(ours) - rows(theirs)
        assert rows(theirs) <= rows(ours)
        assert extra <= {tuple(ev[i][["t", "x", "y", "p"]].tolist()) for i, t in first.values() if t <= 0}


# -- geometry -------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(17, 17), (33, 31), (37, 38), (36, 11), 10, 40])
def test_center_crop_equals_tonic(recordings, size):
    ev, sensor = recordings["nmnist"]
    theirs = TT.CenterCrop(sensor_size=sensor, size=size)(ev.copy())
    assert_same_events(T.center_crop(ev, sensor, size), theirs)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_crop_equals_tonic_crop_at_its_drawn_origin(recordings, seed):
    ev, sensor = recordings["aedat4"]
    target = (100, 90)
    np.random.seed(seed)
    theirs = TF.crop_numpy(ev.copy(), sensor, target)
    np.random.seed(seed)  # the corner Tonic drew
    origin = (int(np.random.rand() * (sensor[0] - target[0])), int(np.random.rand() * (sensor[1] - target[1])))
    assert_same_events(T.crop(ev, origin, target), theirs)


@pytest.mark.parametrize("factor", [1, 2, 3, 4, 5, 7, 8, (2, 3), 49, 98])
def test_downsample_equals_tonic_up_to_its_float_rounding(recordings, factor):
    ev, _ = recordings["aedat4"]
    fx, fy = (factor, factor) if isinstance(factor, int) else factor
    ours = T.downsample(ev, factor)
    theirs = TT.Downsample(spatial_factor=(1 / fx, 1 / fy))(ev.copy())
    np.testing.assert_array_equal(ours["x"], ev["x"] // fx)
    np.testing.assert_array_equal(ours["y"], ev["y"] // fy)
    for f, c in ((fx, "x"), (fy, "y")):
        differ = ours[c] != theirs[c]
        # Tonic's int(x * (1/f)) falls one pixel short exactly where x * (1/f) rounds below x // f
        np.testing.assert_array_equal(theirs[c][differ], ours[c][differ] - 1)
        assert np.all(ev[c][differ] * (1 / f) < ours[c][differ])
        if f in (1, 2, 3, 4, 5, 7, 8):
            assert not differ.any()
    np.testing.assert_array_equal(ours["t"], theirs["t"])


def test_merge_polarities_equals_tonic(recordings):
    ev, _ = recordings["nmnist"]
    assert_same_events(T.merge_polarities(ev), TT.MergePolarities()(ev.copy()))


@pytest.mark.parametrize("name", ["nmnist", "aedat4", "offset", "huge", "boundaries"])
def test_time_window_is_tonic_crop_time_half_open(recordings, name):
    ev = recordings[name][0] if name in recordings else GENERATED[name]
    lo, hi = int(ev["t"].min()), int(ev["t"].max())
    for a, b in ((lo, hi), (lo + (hi - lo) // 4, lo + (hi - lo) // 2), (lo + 1, hi - 1)):
        assert_same_events(T.time_window(ev, a, b + 1), TT.CropTime(min=a, max=b)(ev.copy()))


# -- slicing --------------------------------------------------------------------------
def _slicing_cases(recordings):
    out = dict(GENERATED)
    out.update({k: v[0] for k, v in recordings.items()})
    return out


def test_slice_by_time_equals_tonic_with_an_explicit_end(recordings):
    for name, ev in _slicing_cases(recordings).items():
        t0, tn = int(ev["t"][0]), int(ev["t"][-1])
        D = tn - t0
        for w in sorted({max(D // 7, 1), max(D // 3, 1), max(D, 1), D + 1} | ({100} if D < 10**5 else set())):
            for o in sorted({0, w // 2, w - max(w // 10, 1)}):
                for inc in (False, True):
                    for start, end in ((None, tn), (t0 - w // 2, tn + w), (t0 + 1, max(tn - 1, t0 + 1))):
                        kw = dict(overlap=o, include_incomplete=inc, start_time=start, end_time=end)
                        theirs = tonic_meta(TS.SliceByTime(time_window=w, **kw), ev)
                        assert ours_meta(*T.time_slices(ev, w, **kw)) == theirs, (name, w, kw)


def test_slice_by_time_default_end_covers_the_last_event(recordings):
    """Default end: Tonic's is t_N, ours t_N + 1 (documented): same windows as Tonic given
    end_time = t_N, and with include_incomplete every event is in a window."""
    for name, ev in _slicing_cases(recordings).items():
        tn = int(ev["t"][-1])
        D = tn - int(ev["t"][0])
        for w in sorted({max(D // 7, 1), max(D // 3, 1), 100, max(D, 1)}):
            for o in sorted({0, w // 2}):
                for inc in (False, True):
                    theirs = tonic_meta(TS.SliceByTime(time_window=w, overlap=o, include_incomplete=inc), ev)
                    ours = T.time_slices(ev, w, o, inc)
                    assert ours_meta(*T.time_slices(ev, w, o, inc, end_time=tn)) == theirs
                    if inc:
                        covered = np.zeros(len(ev), bool)
                        for a, b in zip(*ours):
                            covered[a:b] = True
                        assert covered.all(), (name, w, o)


@settings(max_examples=100)
@given(st.lists(st.integers(0, 5000), min_size=1, max_size=60), st.sampled_from([0, -777, 2**40]),
       st.integers(1, 3000), st.data())
def test_slice_by_time_agrees_with_tonic_on_random_streams(ts, t0, w, data):
    ev = make(np.sort(np.array(ts, dtype=np.int64)) + t0)
    o = data.draw(st.integers(0, w - 1))
    inc = data.draw(st.booleans())
    theirs = tonic_meta(TS.SliceByTime(time_window=w, overlap=o, include_incomplete=inc), ev)
    assert ours_meta(*T.time_slices(ev, w, o, inc, end_time=int(ev["t"][-1]))) == theirs


@pytest.mark.parametrize("w, o", [(12.5, 0.0), (12.5, 2.5), (33.3, 10.1), (0.5, 0.25), (1e4 / 3, 0.0)])
@pytest.mark.parametrize("name", ["tiny", "offset", "huge", "negative"])
def test_slice_by_time_with_fractional_windows_equals_tonic(name, w, o):
    ev = make(np.arange(7) * 10 + 1000) if name == "tiny" else GENERATED[name]
    for inc in (False, True):
        kw = dict(overlap=o, include_incomplete=inc, end_time=int(ev["t"][-1]))
        theirs = tonic_meta(TS.SliceByTime(time_window=w, **kw), ev)
        assert ours_meta(*T.time_slices(ev, w, **kw)) == theirs


@settings(max_examples=100)
@given(st.integers(1, 200), st.integers(1, 60), st.data())
def test_slice_by_count_equals_tonic(n, c, data):
    ev = make(np.arange(n))
    o = data.draw(st.integers(0, c - 1))
    inc = data.draw(st.booleans())
    theirs = tonic_meta(TS.SliceByEventCount(event_count=c, overlap=o, include_incomplete=inc), ev)
    assert ours_meta(*T.count_slices(ev, c, o, inc)) == theirs


@pytest.mark.parametrize("n_bins", [1, 2, 5, 7])
def test_event_bins_equal_tonic_when_the_count_divides(recordings, n_bins):
    for name, ev in _slicing_cases(recordings).items():
        ev = ev[:len(ev) - len(ev) % n_bins]  # Tonic drops the remainder (documented)
        theirs = tonic_meta(TS.SliceByEventBins(bin_count=n_bins), ev)
        assert ours_meta(*T.event_bin_slices(ev, n_bins)) == theirs, name


# -- frames ---------------------------------------------------------------------------
@pytest.mark.parametrize("how", [dict(time_window=50_000), dict(time_window=20_000, overlap=5_000),
                                 dict(time_window=20_000, overlap=5_000, include_incomplete=True),
                                 dict(event_count=1000), dict(event_count=1000, overlap=300),
                                 dict(event_count=1000, overlap=300, include_incomplete=True)])
@pytest.mark.parametrize("name", ["nmnist", "aedat4"])
def test_to_frame_equals_tonic(recordings, name, how):
    ev, size = recordings[name]
    if "time_window" in how:  # Tonic's default end is the last event's time (documented)
        how = dict(how, end_time=int(ev["t"][-1]))
    theirs = TT.ToFrame(sensor_size=size, **how)(ev.copy())
    ours = T.to_frame(ev, size, **how)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_to_frame_event_bins_equal_tonic_when_the_count_divides(recordings):
    ev, size = recordings["aedat4"]
    ev = ev[:len(ev) - len(ev) % 6]
    np.testing.assert_array_equal(T.to_frame(ev, size, n_event_bins=6),
                                  TT.ToFrame(sensor_size=size, n_event_bins=6)(ev.copy()))


def test_to_frame_with_start_and_end_time_equals_tonic(recordings):
    ev, size = recordings["nmnist"]
    how = dict(time_window=30_000, start_time=-20_000, end_time=400_000, include_incomplete=True)
    np.testing.assert_array_equal(T.to_frame(ev, size, **how), TT.ToFrame(sensor_size=size, **how)(ev.copy()))


# -- voxel grid, time surfaces, HATS, temporal downsampling -----------------------------------
REPRESENTATION_CASES = {
    "boundaries": (GENERATED["boundaries"], (5, 4, 2)),
    "tonic_doc": (GENERATED["tonic_doc"], (5, 4, 2)),
    "offset": (GENERATED["offset"], (17, 13, 2)),
    "huge": (GENERATED["huge"], (17, 13, 2)),
    "negative": (GENERATED["negative"], (9, 7, 2)),
    "dense": (GENERATED["dense"], (6, 5, 2)),
    "odd": (random_stream(2000, 17, 13, 7), (17, 13, 2)),
    "on_samples": (make([0, 1000, 1000, 2000, 2500, 3000], [0, 1, 1, 2, 3, 1], [0, 0, 0, 1, 2, 2], [1, 0, 0, 1, 1, 0]),
                   (5, 4, 2)),
}


def _case(recordings, name):
    return recordings[name] if name in recordings else REPRESENTATION_CASES[name]


@pytest.mark.parametrize("n_bins", [1, 2, 5, 10])
@pytest.mark.parametrize("name", ["nmnist", "aedat4", "boundaries", "offset", "huge", "negative", "odd", "on_samples"])
def test_voxel_grid_is_tonic_with_one_more_bin(recordings, name, n_bins):
    """Tonic normalises time to [0, B] (documented): its grid is ours with B + 1 bins, cut to B."""
    ev, size = _case(recordings, name)
    theirs = TT.ToVoxelGrid(sensor_size=size, n_time_bins=n_bins)(ev.copy())
    assert theirs.shape == (n_bins, 1, size[1], size[0])
    np.testing.assert_allclose(T.to_voxel_grid(ev, size, n_bins + 1)[:n_bins], theirs, rtol=1e-12, atol=1e-12)
    ours = T.to_voxel_grid(ev, size, n_bins)
    assert ours.shape == theirs.shape
    assert ours.sum() == pytest.approx(int((2 * ev["p"].astype(int) - 1).sum()), abs=1e-9)


def test_voxel_grid_keeps_the_events_tonic_drops():
    ev = make([0, 10], [0, 1], [0, 0], [0, 1])  # -1 at t0, +1 at tN
    theirs = TT.ToVoxelGrid(sensor_size=(2, 1, 2), n_time_bins=2)(ev.copy())
    assert theirs.sum() == -1.0 and theirs[:, 0, 0, 1].sum() == 0.0  # the event at tN is gone
    ours = T.to_voxel_grid(ev, (2, 1, 2), 2)
    assert ours[0, 0, 0, 0] == -1.0 and ours[1, 0, 0, 1] == 1.0 and ours.sum() == 0.0


@pytest.mark.parametrize("ts", [[5], [7, 7, 7, 7]])
def test_voxel_grid_at_one_time_where_tonic_divides_zero_by_zero(ts):
    ev = make(ts)
    for n_bins in (1, 3):
        try:
            with np.errstate(invalid="ignore"):
                theirs = TT.ToVoxelGrid(sensor_size=(5, 4, 2), n_time_bins=n_bins)(ev.copy())
        except IndexError:  # the NaN cast to an integer index
            pass
        else:
            assert np.isnan(theirs).any()
        ours = T.to_voxel_grid(ev, (5, 4, 2), n_bins)
        assert np.isfinite(ours).all() and not ours[1:].any()
        assert ours.sum() == (2 * ev["p"].astype(int) - 1).sum()


SURFACE_PARAMS = [dict(dt=1000, tau=5000.0), dict(dt=1000, tau=5000.0, include_incomplete=True),
                  dict(dt=10_000, tau=2000.0), dict(dt=777, tau=300.0, include_incomplete=True),
                  dict(dt=1000, tau=5000.0, overlap=400), dict(dt=3000, tau=1e4, overlap=1000, include_incomplete=True)]


@pytest.mark.parametrize("params", SURFACE_PARAMS)
@pytest.mark.parametrize("name", ["nmnist", "boundaries", "tonic_doc", "huge", "negative", "odd", "on_samples"])
def test_time_surface_is_tonic_sampled_one_microsecond_later(recordings, name, params):
    """Same number of surfaces as Tonic; Tonic's surface k is ours sampled 1 us before its
    sample time (its half-open window) and, with overlap o, k o later (documented)."""
    ev, size = _case(recordings, name)
    theirs = TF.to_timesurface_numpy(ev.copy(), size, **params)
    ours = T.to_timesurface(ev, size, **params)
    assert ours.shape == theirs.shape
    o = params.get("overlap", 0)
    early = T.to_timesurface(ev, size, start_time=int(ev["t"][0]) - 1, **params)[:len(theirs)]
    k = np.arange(len(theirs))[:, None, None, None]
    np.testing.assert_allclose(early * np.exp(-(k * o + 1) / params["tau"]), theirs, rtol=1e-9, atol=1e-300)
    if o == 0:  # then the only differences: pixels that fired exactly at the sample time
        times = T.surface_times(ev, params["dt"], include_incomplete=params.get("include_incomplete", False))
        differ = ~np.isclose(ours, theirs, rtol=1e-12, atol=0)
        for kk, c, r, q in zip(*np.nonzero(differ)):
            assert ours[kk, c, r, q] == 1.0
            assert np.any((ev["t"] == times[kk]) & (ev["p"] == c) & (ev["y"] == r) & (ev["x"] == q))
        if name == "on_samples" and params["dt"] == 1000:  # events at 1000, 2000, 3000
            assert differ.any()


def test_time_surface_of_an_empty_stream_where_tonic_fails():
    with pytest.raises(IndexError):
        TF.to_timesurface_numpy(make([]), (5, 4, 2), 100, 10.0)
    assert T.to_timesurface(make([]), (5, 4, 2), 100, 10.0).shape == (0, 2, 4, 5)


HATS_PARAMS = [dict(cell_size=10, surface_size=5, time_window=1000, tau=100, decay="exp"),
               dict(cell_size=5, surface_size=3, time_window=5000, tau=1000, decay="exp"),
               dict(cell_size=34, surface_size=7, time_window=20_000, tau=5000, decay="exp"),
               dict(cell_size=4, surface_size=1, time_window=500, tau=50, decay="exp"),
               dict(cell_size=8, surface_size=5, time_window=300, tau=100, decay="lin")]


@pytest.mark.parametrize("params", HATS_PARAMS)
@pytest.mark.parametrize("name", ["nmnist", "boundaries", "offset", "dense", "odd", "on_samples"])
def test_averaged_time_surface_equals_tonic(recordings, name, params):
    ev, size = _case(recordings, name)
    theirs = TF.to_averaged_timesurface_numpy(ev.copy(), size, **params)
    ours = T.to_averaged_timesurface(ev, size, **params)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-6)  # Tonic computes in float32


@pytest.mark.parametrize("name", ["nmnist", "odd"])
def test_averaged_time_surface_linear_decay_is_clamped(recordings, name):
    """Tonic's linear decay goes negative past 3 tau (documented); clamped, it is Tonic's
    with the window cut at 3 tau."""
    ev, size = _case(recordings, name)
    kw = dict(cell_size=10, surface_size=5, tau=100, decay="lin")
    theirs = TF.to_averaged_timesurface_numpy(ev.copy(), size, time_window=1000, **kw)
    assert theirs.min() < 0
    ours = T.to_averaged_timesurface(ev, size, time_window=1000, **kw)
    assert ours.min() >= 0
    cut = TF.to_averaged_timesurface_numpy(ev.copy(), size, time_window=300, **kw)
    np.testing.assert_allclose(ours, cut, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("params", HATS_PARAMS)
@pytest.mark.parametrize("name", ["huge", "negative"])
def test_averaged_time_surface_does_not_depend_on_the_time_origin(name, params):
    """Tonic rounds times to float32 (65 ms steps at 2**40 us) and starts its window at
    max(0, t - window) (documented): on the stream moved to t >= 0 it agrees with ours."""
    ev, size = REPRESENTATION_CASES[name]
    moved = ev.copy()
    moved["t"] -= ev["t"][0]
    ours = T.to_averaged_timesurface(ev, size, **params)
    np.testing.assert_allclose(ours, TF.to_averaged_timesurface_numpy(moved, size, **params), rtol=2e-5, atol=2e-6)
    if name == "huge":
        assert np.abs(TF.to_averaged_timesurface_numpy(ev.copy(), size, **params) - ours).max() > 0.5


@pytest.mark.parametrize("f", [1, 2, 3, 7, 49, 98, 1000, 10**6])
@pytest.mark.parametrize("name", ["nmnist", "aedat4", "offset", "huge", "negative", "dense"])
def test_downsample_time_equals_tonic_up_to_its_float_truncation(recordings, name, f):
    ev = _case(recordings, name)[0] if name in recordings else GENERATED[name]
    ours = T.downsample(ev, time_factor=f)
    theirs = TT.Downsample(time_factor=1 / f)(ev.copy())
    np.testing.assert_array_equal(ours["t"], ev["t"] // f)
    # Tonic: t * (1/f) in float64, truncated towards zero
    np.testing.assert_array_equal(theirs["t"], np.trunc(ev["t"] * (1 / f)).astype(np.int64))
    differ = ours["t"] != theirs["t"]
    negative = ev["t"] < 0
    # where they differ: a negative time truncated up, or Tonic's product rounded below the integer
    assert np.all(negative[differ] | (theirs["t"][differ] == ours["t"][differ] - 1))
    if not negative.any() and f in (1, 2, 3, 7, 1000, 10**6):
        assert not differ.any()
    for c in "xyp":
        np.testing.assert_array_equal(ours[c], ev[c])
