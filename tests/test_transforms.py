"""Public event transforms: semantics, Tonic's documented behaviour, errors."""
import numpy as np
import pytest

from spikecore.datasets import transforms as T

DTYPE = np.dtype([("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("p", "i1")], align=True)


def events(rows):
    """Rows of (t, x, y, p)."""
    out = np.zeros(len(rows), dtype=DTYPE)
    for name, col in zip("txyp", zip(*rows) if rows else ([], [], [], [])):
        out[name] = col
    return out


def random_events(n, w=16, h=12, seed=0, span=100_000):
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=DTYPE)
    ev["t"] = np.sort(rng.integers(0, span, n))
    ev["x"] = rng.integers(0, w, n)
    ev["y"] = rng.integers(0, h, n)
    ev["p"] = rng.integers(0, 2, n)
    return ev


def test_denoise_keeps_events_with_a_recent_neighbour():
    ev = events([(0, 1, 1, 0), (10, 2, 1, 1), (20, 1, 1, 0), (30, 2, 1, 0), (40, 5, 5, 0), (100, 3, 1, 0)])
    out = T.denoise(ev, 15)
    # (0,1,1): no neighbour fired before; (10,2,1): (1,1) at 0 -> 10 < 15; (20,1,1): (2,1) at 10;
    # (30,2,1): (1,1) at 20; (40,5,5): isolated; (100,3,1): (2,1) at 30 -> 70 >= 15
    assert out["t"].tolist() == [10, 20, 30]
    # diagonal neighbours do not count (4-neighbourhood, as Tonic)
    assert len(T.denoise(events([(0, 1, 1, 0), (1, 2, 2, 0)]), 100)) == 0


def test_denoise_matches_tonic_on_the_nmnist_fixture(fixtures_dir):
    read_events = pytest.importorskip("spikecore.datasets.aer.reader").read_events
    ev = read_events(fixtures_dir / "nmnist" / "sample_nmnist.bin", format="nmnist")
    # Tonic 1.7.0 tonic.functional.denoise_numpy / refractory_period_numpy on the same file
    # (run in a separate venv): (kept, sum of kept t). The first event is at t = 654 us, so
    # for filter_time < 654 Tonic's initial memory plays no role and results must agree.
    for ft, n, tsum in ((500, 1059, 174540716), (600, 1236, 201938479)):
        out = T.denoise(ev, ft, (34, 34, 2))
        assert (len(out), int(out["t"].sum())) == (n, tsum)
    for r, n, tsum in ((100, 4315, 688856363), (1000, 4303, 687853278), (5000, 2454, 388241655)):
        out = T.refractory_filter(ev, r, (34, 34, 2))
        assert (len(out), int(out["t"].sum())) == (n, tsum)
    # ToFrame(time_window=50 ms) / ToFrame(event_count=1000) per-frame totals from Tonic
    fr = T.to_frame(ev, (34, 34, 2), time_window=50_000)
    assert fr.reshape(len(fr), -1).sum(1).tolist() == [650, 723, 728, 560, 590, 1053]
    fr = T.to_frame(ev, (34, 34, 2), event_count=1000)
    assert fr.reshape(len(fr), -1).sum(1).tolist() == [1000] * 4


def test_denoise_differs_from_tonic_only_by_its_phantom_start():
    # Tonic treats every pixel as having fired at t=0: this early event would pass there.
    ev = events([(5, 3, 3, 0)])
    assert len(T.denoise(ev, 100, (8, 8, 2))) == 0


def test_refractory_filter_counts_dropped_events_as_previous():
    ev = events([(0, 1, 1, 0), (5, 1, 1, 1), (9, 1, 1, 0), (20, 1, 1, 0), (21, 2, 2, 0)])
    # first kept (also at t=0, unlike Tonic); 5-0 <= 6 dropped; 9-5 <= 6 dropped; 20-9 > 6 kept
    assert T.refractory_filter(ev, 6)["t"].tolist() == [0, 20, 21]


def test_crop_center_crop_downsample_merge():
    ev = random_events(500)
    out = T.crop(ev, (4, 2), (5, 6))
    inside = (ev["x"] >= 4) & (ev["x"] < 9) & (ev["y"] >= 2) & (ev["y"] < 8)
    assert len(out) == inside.sum()
    np.testing.assert_array_equal(out["x"], ev["x"][inside] - 4)
    np.testing.assert_array_equal(out["y"], ev["y"][inside] - 2)
    np.testing.assert_array_equal(out["t"], ev["t"][inside])
    cc = T.center_crop(ev, (16, 12, 2), (8, 6))
    np.testing.assert_array_equal(cc, T.crop(ev, (4, 3), (8, 6)))
    ds = T.downsample(ev, (4, 3))
    assert ds["x"].max() <= 3 and ds["y"].max() <= 3 and len(ds) == len(ev)
    np.testing.assert_array_equal(ds["x"], ev["x"] // 4)
    assert T.merge_polarities(ev)["p"].max() == 0 and ev["p"].max() == 1  # input untouched


def test_time_window_and_slices():
    ev = events([(0, 0, 0, 0), (150, 0, 0, 0), (299, 0, 0, 0), (300, 0, 0, 0)])
    assert T.time_window(ev, 150, 300)["t"].tolist() == [150, 299]
    # Tonic SliceByTime docstring example: window 100 -> [0], [150], [299] (+ [300] if incomplete)
    assert [s["t"].tolist() for s in T.slice_by_time(ev, 100)] == [[0], [150], [299]]
    # the overhang window holds the event at t = 300 (it was lost before: Tonic's default end t_N)
    assert [s["t"].tolist() for s in T.slice_by_time(ev, 100, include_incomplete=True)] == [[0], [150], [299], [300]]
    starts, ends = T.time_slices(ev, 100, overlap=50)
    assert list(zip(starts, ends)) == [(0, 1), (1, 1), (1, 2), (1, 2), (2, 3)]
    assert [len(s) for s in T.slice_by_count(ev, 3)] == [3]
    assert [len(s) for s in T.slice_by_count(ev, 3, include_incomplete=True)] == [3, 1]
    assert [len(s) for s in T.slice_by_count(ev, 2, overlap=1)] == [2, 2, 2]


@pytest.mark.parametrize("how", [dict(n_time_bins=7), dict(n_event_bins=7), dict(time_window=10_000),
                                 dict(event_count=100, include_incomplete=True)])
def test_to_frame_counts_every_event_where_it_belongs(how):
    ev = random_events(1234, seed=3)
    fr = T.to_frame(ev, (16, 12, 2), **how)
    assert fr.shape[1:] == (2, 12, 16) and fr.dtype == np.int32
    if "time_window" not in how:  # time windows end at the last window start + w
        assert fr.sum() == len(ev)
    whole = np.zeros((2, 12, 16), np.int64)
    np.add.at(whole, (ev["p"], ev["y"], ev["x"]), 1)
    if fr.sum() == len(ev):
        np.testing.assert_array_equal(fr.sum(0), whole)


def test_to_frame_time_bins_are_equal_and_cover_the_recording():
    ev = events([(t, 0, 0, 0) for t in range(10, 20)])
    fr = T.to_frame(ev, (1, 1, 1), n_time_bins=5)
    assert fr[:, 0, 0, 0].tolist() == [2, 2, 2, 2, 2]


def test_spike_list_unit_mapping_reshapes_to_frames():
    ev = random_events(800, seed=5)
    times, units = T.to_spike_list(ev, (16, 12, 2))
    np.testing.assert_allclose(times, ev["t"] * 1e-6)
    counts = np.bincount(units, minlength=16 * 12 * 2).reshape(2, 12, 16)
    np.testing.assert_array_equal(counts, T.to_frame(ev, (16, 12, 2), n_event_bins=1)[0])
    raster = T.to_raster(ev, (16, 12, 2), dt=1e-3, T=100, binary=False)
    assert raster.shape == (100, 16 * 12 * 2) and raster.sum() == len(ev)
    # the raster's step of an event is floor(t / 1 ms) on the microsecond clock
    r = T.to_raster(events([(999, 1, 0, 0), (1000, 1, 0, 0)]), (2, 1, 1), dt=1e-3, T=2)
    assert r[:, 1].tolist() == [1, 1]


def test_time_to_step_is_exact_on_the_source_clock():
    t = np.float32(0.009)  # stored just below 9 ms
    assert T.time_to_step([t], 1e-3)[0] == 8
    assert T.time_to_step([t], 1e-3, time_resolution=1e-6)[0] == 9


def test_spike_lists_to_raster_batches_and_drops_late_spikes():
    times = [np.array([0.0, 0.0015, 0.5]), np.array([0.0025])]
    units = [np.array([0, 2, 1]), np.array([1])]
    r = T.spike_lists_to_raster(times, units, 3, 1e-3, 4)
    assert r.shape == (4, 2, 3) and r.dtype == np.uint8
    assert r.sum() == 3 and r[0, 0, 0] == 1 and r[1, 0, 2] == 1 and r[2, 1, 1] == 1
    counts = T.spike_lists_to_raster([np.zeros(300)], [np.zeros(300, int)], 1, 1.0, 1, binary=False)
    assert counts[0, 0, 0] == 255  # saturates in uint8


def test_classes_and_compose():
    ev = random_events(300, seed=9)
    pipe = T.Compose([T.Denoise(5000), T.MergePolarities(), T.ToFrame((16, 12, 1), n_time_bins=3)])
    expected = T.to_frame(T.merge_polarities(T.denoise(ev, 5000)), (16, 12, 1), n_time_bins=3)
    np.testing.assert_array_equal(pipe(ev), expected)
    assert "Denoise(5000)" in repr(pipe)


@pytest.mark.parametrize("call, message", [
    (lambda ev: T.denoise(ev, -1), "filter_time = -1"),
    (lambda ev: T.denoise(np.zeros(3), 10), "events = "),
    (lambda ev: T.denoise(ev, 10, (4, 4, 2)), "x in 0..3 for sensor_size"),
    (lambda ev: T.time_window(ev[::-1], 0, 10), "sorted by time"),
    (lambda ev: T.to_frame(ev, (16, 12, 2)), "exactly one"),
    (lambda ev: T.to_frame(ev, (16, 12, 2), n_time_bins=0), "n_time_bins = 0"),
    (lambda ev: T.crop(ev, (0, 0), (0, 3)), "size = (0, 3)"),
    (lambda ev: T.spike_lists_to_raster([[0.1]], [[5]], 3, 1e-3, 4), "units in 0..2"),
    (lambda ev: T.to_spike_list(ev, (16, 12, 2), t0=10**9), "t0 = 1000000000"),
    (lambda ev: T.time_slices(ev, 100, overlap=-10), "overlap = -10: expected a number >= 0"),
    (lambda ev: T.time_slices(ev, 100, overlap=100), "overlap = 100: expected an overlap smaller than time_window"),
    (lambda ev: T.time_slices(ev, 100, overlap=250), "overlap = 250: expected an overlap smaller than time_window"),
    (lambda ev: T.count_slices(ev, 10, overlap=10), "overlap = 10: expected an overlap smaller than event_count"),
    (lambda ev: T.count_slices(ev, 10, overlap=-1), "overlap = -1: expected an integer >= 0"),
    (lambda ev: T.time_bin_slices(ev, 4, overlap=1.0), "overlap = 1.0: expected a number < 1.0"),
    (lambda ev: T.event_bin_slices(ev, 4, overlap=-0.5), "overlap = -0.5: expected a number >= 0.0"),
    (lambda ev: T.to_frame(ev, (16, 12, 2), time_window=100, overlap=100), "overlap = 100"),
    (lambda ev: T.time_slices(ev, 100, start_time=500, end_time=400), "end_time = 400: expected an end time >="),
    (lambda ev: T.to_frame(ev, (16, 12, 2), n_time_bins=3, include_incomplete=True), "include_incomplete = True"),
    (lambda ev: T.to_frame(ev, (16, 12, 2), event_count=9, end_time=5), "end_time = 5: expected None with event"),
    (lambda ev: T.downsample(ev, 2.0), "factor = 2.0: expected an integer >= 1 or a pair"),
    (lambda ev: T.center_crop(ev, (16, 12, 2), (0, 4)), "size = (0, 4)"),
    (lambda ev: T.center_crop(ev, (8, 12, 2), (4, 4)), "x in 0..7 for sensor_size (8, 12, 2)"),
])
def test_errors_name_argument_value_and_expectation(call, message):
    with pytest.raises((ValueError, TypeError)) as exc:
        call(random_events(50))
    assert message in str(exc.value)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40)
@given(st.integers(0, 200), st.integers(1, 40), st.integers(1, 30), st.integers(1, 2), st.integers(0, 10**6))
def test_spike_list_round_trip(n, w, h, p, seed):
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=DTYPE)
    ev["t"] = np.sort(rng.integers(0, 10**8, n))  # up to 100 s: float64 seconds keep every us
    ev["x"], ev["y"], ev["p"] = rng.integers(0, w, n), rng.integers(0, h, n), rng.integers(0, p, n)
    times, units = T.to_spike_list(ev, (w, h, p))
    back = T.from_spike_list(times, units, (w, h, p))
    for f in "txyp":
        np.testing.assert_array_equal(back[f], ev[f])


# -- behaviour that was wrong before (each test failed on the previous version) ---------------
def test_time_slices_include_incomplete_keeps_events_at_the_last_time():
    # the overhang window must reach the last event even when t_N - t_0 - w is a multiple of
    # the stride (before: Tonic's end t_N, so [100] and the two events at t = 300 were lost)
    assert [s["t"].tolist() for s in T.slice_by_time(events([(0, 0, 0, 0), (100, 0, 0, 0)]), 100,
                                                     include_incomplete=True)] == [[0], [100]]
    ev = events([(0, 0, 0, 0), (100, 0, 0, 0), (200, 0, 0, 0), (300, 0, 0, 0), (300, 0, 0, 0)])
    fr = T.to_frame(ev, (1, 1, 1), time_window=60, overlap=30, include_incomplete=True)
    assert len(fr) == 10 and fr[-1].sum() == 2


def test_time_slices_default_end_is_one_microsecond_after_the_last_event():
    ev = events([(t, 0, 0, 0) for t in range(200)])  # 200 us of events: two whole 100 us windows
    assert [len(s) for s in T.slice_by_time(ev, 100)] == [100, 100]
    assert [len(s) for s in T.slice_by_time(ev, 100, end_time=199)] == [100]  # Tonic's end: t_N


@settings(max_examples=150)
@given(st.lists(st.integers(0, 3000), min_size=1, max_size=40), st.sampled_from([0, -999, 2**40, 1605537493718345]),
       st.integers(1, 700), st.data())
def test_time_slices_follow_their_definition(ts, t0, w, data):
    ev = events([(t0 + t, 0, 0, 0) for t in sorted(ts)])
    o = data.draw(st.integers(0, w - 1))
    inc = data.draw(st.booleans())
    start = data.draw(st.one_of(st.none(), st.integers(-500, 500).map(lambda d: t0 + min(ts) + d)))
    end = data.draw(st.one_of(st.none(), st.integers(0, 3500).map(lambda d: t0 + d)))
    ts_ = t0 + min(ts) if start is None else start
    if end is not None and end < ts_:
        with pytest.raises(ValueError, match="end_time = "):
            T.time_slices(ev, w, o, inc, start, end)
        end = None
    starts, ends = T.time_slices(ev, w, o, inc, start, end)
    te = t0 + max(ts) + 1 if end is None else end
    s = w - o
    fits = [k for k in range(len(starts)) if ts_ + k * s + w <= te]
    assert fits == list(range(len(fits)))  # the complete windows come first
    if inc:  # enough windows to reach te, no more
        assert ts_ + (len(starts) - 1) * s + w >= te and (len(starts) == 1 or ts_ + (len(starts) - 2) * s + w < te)
    else:  # every complete window, at least one
        assert len(starts) == max(len(fits), 1) and (len(fits) == 0 or ts_ + len(fits) * s + w > te)
    t = ev["t"]
    for k, (a, b) in enumerate(zip(starts, ends)):
        inside = np.nonzero((t >= ts_ + k * s) & (t < ts_ + k * s + w))[0]
        assert list(range(a, b)) == inside.tolist()


def test_time_bins_put_an_event_on_an_exact_edge_in_the_later_bin():
    # 89 * 367222 / 178 = 183611 exactly; float edges put this event in no bin at all before
    ev = events([(0, 0, 0, 0), (183611, 0, 0, 0), (367221, 0, 0, 0)])
    starts, ends = T.time_bin_slices(ev, 178)
    assert [k for k in range(178) if starts[k] <= 1 < ends[k]] == [89]


@settings(max_examples=150)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=50), st.sampled_from([0, -7, 2**40, 1605537493718345]),
       st.integers(1, 300), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.3, 0.99]), st.booleans())
def test_time_bins_follow_their_exact_definition(ts, t0, n, overlap, on_edges):
    from fractions import Fraction
    rel = sorted(ts)
    length = rel[-1] - rel[0] + 1
    if on_edges:  # put events exactly on the (integer) bin edges
        rel = sorted(set(rel) | {rel[0] + k * length // n for k in range(n) if k * length % n == 0})
    ev = events([(t0 + r, 0, 0, 0) for r in rel])
    starts, ends = T.time_bin_slices(ev, n, overlap)
    o = Fraction(repr(overlap))
    for i, r in enumerate(rel):
        r -= rel[0]
        expected = [k for k in range(n) if Fraction(k * length, n) <= r < (k + 1 + o) * length / n]
        assert [k for k in range(n) if starts[k] <= i < ends[k]] == expected
        if overlap == 0:
            assert expected == [r * n // length]


def test_center_crop_pads_a_box_larger_than_the_sensor():
    ev = events([(0, 0, 0, 0), (1, 3, 2, 1), (2, 1, 3, 0)])
    out = T.center_crop(ev, (4, 4, 2), (7, 2))  # origin (floor(-3/2), 1) = (-2, 1): x moves right by 2
    assert out["x"].tolist() == [5] and out["y"].tolist() == [1]
    out = T.center_crop(ev, (4, 4), 6)
    assert out["x"].tolist() == [1, 4, 2] and out["y"].tolist() == [1, 3, 4]


# -- voxel grid, time surfaces, HATS, temporal downsampling -----------------------------------
def test_voxel_grid_spreads_each_polarity_over_the_two_nearest_bins():
    # t* = (B - 1)(t - t0)/(tN - t0) with B = 3: t = 0 -> 0, 10 -> 2, 3 -> 0.6, 5 -> 1
    ev = events([(0, 0, 0, 1), (3, 1, 0, 1), (5, 2, 1, 0), (10, 0, 0, 0)])
    g = T.to_voxel_grid(ev, (3, 2), 3)
    assert g.shape == (3, 1, 2, 3) and g.dtype == np.float64
    expected = np.zeros((3, 1, 2, 3))
    expected[0, 0, 0, 0] = 1.0           # +1 at t* = 0
    expected[2, 0, 0, 0] = -1.0          # -1 at t* = 2 (the last event is kept whole)
    expected[0, 0, 0, 1], expected[1, 0, 0, 1] = 0.4, 0.6
    expected[1, 0, 1, 2] = -1.0
    np.testing.assert_allclose(g, expected, atol=1e-15)


@pytest.mark.parametrize("n_bins", [1, 2, 7, 10])
@pytest.mark.parametrize("t0", [0, -12_345, 2**40])
def test_voxel_grid_sums_to_the_polarity_sum(n_bins, t0):
    ev = random_events(2000, seed=n_bins)
    ev["t"] += t0
    g = T.to_voxel_grid(ev[np.random.default_rng(1).permutation(len(ev))], (16, 12, 2), n_bins)  # any order
    assert g.sum() == pytest.approx(int((2 * ev["p"].astype(int) - 1).sum()), abs=1e-9)
    per_pixel = np.zeros((12, 16))
    np.add.at(per_pixel, (ev["y"], ev["x"]), 2 * ev["p"].astype(int) - 1)
    np.testing.assert_allclose(g.sum(axis=(0, 1)), per_pixel, atol=1e-9)
    # the same stream at another time origin gives the same grid
    shifted = ev.copy()
    shifted["t"] -= t0
    np.testing.assert_allclose(T.to_voxel_grid(shifted, (16, 12), n_bins), T.to_voxel_grid(ev, (16, 12), n_bins),
                               atol=1e-12)


def test_voxel_grid_edge_cases():
    one = events([(5, 2, 1, 1)])
    g = T.to_voxel_grid(one, (4, 3, 2), 4)  # one event: bin 0 (no 0 / 0)
    assert g[0, 0, 1, 2] == 1.0 and g.sum() == 1.0
    same = events([(7, 0, 0, 1), (7, 1, 1, 0), (7, 0, 0, 1)])
    g = T.to_voxel_grid(same, (4, 3), 3)
    assert g[0, 0, 0, 0] == 2.0 and g[0, 0, 1, 1] == -1.0 and np.abs(g[1:]).sum() == 0
    assert not T.to_voxel_grid(events([]), (4, 3), 2).any()
    assert T.to_voxel_grid(events([]), (4, 3), 2).shape == (2, 1, 3, 4)


def test_time_surface_values_and_sample_times():
    ev = events([(0, 0, 0, 1), (4, 1, 0, 0), (10, 0, 0, 1), (17, 2, 1, 1), (25, 1, 0, 0)])
    # t0 = 0, tN = 25, dt = 10: samples at 10, 20 (<= tN); with include_incomplete also 30
    assert T.surface_times(ev, 10).tolist() == [10, 20]
    assert T.surface_times(ev, 10, include_incomplete=True).tolist() == [10, 20, 30]
    assert T.surface_times(ev, 10, overlap=4).tolist() == [10, 16, 22]
    assert T.surface_times(ev, 100).tolist() == [100]  # shorter than dt: one surface
    assert T.surface_times(ev, 10, start_time=-20, end_time=40).tolist() == [-10, 0, 10, 20, 30, 40]
    # tN - t0 a multiple of dt: the last sample is tN itself and holds the event there
    at30 = events([(0, 0, 0, 0), (30, 1, 0, 0)])
    for inc in (False, True):
        assert T.surface_times(at30, 10, include_incomplete=inc).tolist() == [10, 20, 30]
        assert T.to_timesurface(at30, (2, 1, 1), 10, 5.0, include_incomplete=inc)[-1, 0, 0].tolist() == [
            np.exp(-30 / 5), 1.0]
    s = T.to_timesurface(ev, (3, 2, 2), 10, 5.0, include_incomplete=True)
    assert s.shape == (3, 2, 2, 3)
    assert s[0, 1, 0, 0] == 1.0                              # fired at the sample time 10
    assert s[0, 0, 0, 1] == pytest.approx(np.exp(-6 / 5))    # p=0 at (1, 0), t = 4
    assert s[1, 1, 1, 2] == pytest.approx(np.exp(-3 / 5))    # t = 17 sampled at 20
    assert s[2, 0, 0, 1] == pytest.approx(np.exp(-5 / 5))    # t = 25 replaced t = 4
    assert s[0, 1, 1, 2] == 0.0                               # has not fired yet
    assert np.count_nonzero(s[0]) == 2 and np.count_nonzero(s[2]) == 3


@pytest.mark.parametrize("t0", [0, -777, 2**40])
def test_time_surface_is_in_0_1_and_1_where_a_pixel_just_fired(t0):
    ev = random_events(3000, seed=4)
    ev["t"] += t0
    s = T.to_timesurface(ev, (16, 12, 2), 1000, 3000.0, include_incomplete=True)
    times = T.surface_times(ev, 1000, include_incomplete=True)
    assert len(s) == 100 and np.all((s >= 0) & (s <= 1))
    assert times[-1] >= ev["t"][-1]  # every event is in a surface
    for k in (0, 17, 99):
        fired = ev[ev["t"] == times[k]]
        assert np.all(s[k, fired["p"], fired["y"], fired["x"]] == 1.0)
        before = ev[ev["t"] <= times[k]]
        assert np.count_nonzero(s[k]) == len(set(zip(before["p"].tolist(), before["y"].tolist(),
                                                     before["x"].tolist())))
    shifted = ev.copy()
    shifted["t"] -= t0
    np.testing.assert_array_equal(T.to_timesurface(shifted, (16, 12, 2), 1000, 3000.0, include_incomplete=True), s)


def test_time_surface_of_an_empty_stream():
    assert T.to_timesurface(events([]), (4, 3, 2), 10, 5.0).shape == (0, 2, 3, 4)
    s = T.to_timesurface(events([]), (4, 3, 2), 10, 5.0, start_time=0, end_time=30)
    assert s.shape == (3, 2, 3, 4) and not s.any()


def test_averaged_time_surface_by_hand():
    # 5 x 3 sensor, cells of 3 x 3 -> 2 cells; surface 3 x 3 (radius 1), exp decay tau = 10
    ev = events([(0, 1, 1, 1), (10, 2, 1, 1), (12, 4, 0, 1), (20, 1, 2, 1), (1000, 1, 1, 1)])
    h = T.to_averaged_timesurface(ev, (5, 3, 2), cell_size=3, surface_size=3, time_window=100, tau=10)
    assert h.shape == (2, 2, 3, 3) and not h[:, 0].any()
    cell0 = np.zeros((3, 3))
    cell0[1, 1] = 4                                   # each of the 4 events of cell 0 adds 1 at the centre
    cell0[1, 0] += np.exp(-10 / 10)                   # t=10 at (2,1) sees t=0 at (1,1): dx=-1, dy=0
    cell0[0, 1] += np.exp(-20 / 10)                   # t=20 at (1,2) sees t=0 at (1,1): dx=0, dy=-1
    cell0[0, 2] += np.exp(-10 / 10)                   # t=20 at (1,2) sees t=10 at (2,1): dx=+1, dy=-1
    # t=1000 at (1,1): everything is older than the 100 us window
    np.testing.assert_allclose(h[0, 1], cell0 / 4)
    edge = T.to_averaged_timesurface(ev, (5, 3, 2), cell_size=3, surface_size=3, time_window=20, tau=10)
    np.testing.assert_allclose(edge[0, 1], cell0 / 4)  # t_i - t_j == time_window still counts (as Tonic)
    short = T.to_averaged_timesurface(ev, (5, 3, 2), cell_size=3, surface_size=3, time_window=19, tau=10)
    assert short[0, 1, 0, 1] == 0.0 and short[0, 1, 0, 2] == pytest.approx(edge[0, 1, 0, 2])
    expected1 = np.zeros((3, 3))
    expected1[1, 1] = 1.0                             # (4,0) is alone in cell 1 (x 3..4)
    np.testing.assert_allclose(h[1, 1], expected1)
    lin = T.to_averaged_timesurface(ev, (5, 3, 2), cell_size=3, surface_size=3, time_window=100, tau=5, decay="lin")
    assert lin[0, 1, 0, 1] == 0.0                     # 1 - 20/15 < 0: clamped
    assert lin[0, 1, 1, 0] == pytest.approx((1 - 10 / 15) / 4)


@pytest.mark.parametrize("size, K, S", [((34, 34, 2), 10, 5), ((17, 13, 2), 4, 3), ((17, 13, 1), 17, 17),
                                        ((5, 3, 2), 1, 1)])
def test_averaged_time_surface_shape_and_time_origin(size, K, S):
    W, H, P = size
    ev = random_events(1500, w=W, h=H, seed=K)
    ev["p"] %= P
    h = T.to_averaged_timesurface(ev, size, cell_size=K, surface_size=S, time_window=5000, tau=1000)
    assert h.shape == (-(-W // K) * -(-H // K), P, S, S)
    assert np.all(h >= 0)
    shifted = ev.copy()
    shifted["t"] += 2**40
    np.testing.assert_allclose(T.to_averaged_timesurface(shifted, size, cell_size=K, surface_size=S, time_window=5000,
                                                         tau=1000), h, rtol=1e-12)
    assert T.to_averaged_timesurface(events([]), size, K, S).shape == h.shape


def test_downsample_time_factor_floors_and_keeps_positions():
    ev = events([(-1001, 3, 2, 0), (-1000, 3, 2, 0), (-1, 1, 1, 1), (0, 0, 0, 0), (999, 5, 4, 1), (1000, 7, 6, 1),
                 (2**40 + 1999, 2, 2, 0)])
    out = T.downsample(ev, time_factor=1000)
    assert out["t"].tolist() == [-2, -1, -1, 0, 0, 1, (2**40 + 1999) // 1000]
    for f in "xyp":
        np.testing.assert_array_equal(out[f], ev[f])
    both = T.downsample(ev, 2, time_factor=1000)
    np.testing.assert_array_equal(both["x"], ev["x"] // 2)
    np.testing.assert_array_equal(both["t"], out["t"])
    np.testing.assert_array_equal(T.downsample(ev, 3), T.downsample(ev, 3, time_factor=1))
    assert T.downsample(ev, 3)["t"].tolist() == ev["t"].tolist()


def test_new_representation_classes():
    ev = random_events(400, seed=11)
    np.testing.assert_array_equal(T.ToVoxelGrid((16, 12), 5)(ev), T.to_voxel_grid(ev, (16, 12), 5))
    np.testing.assert_array_equal(T.ToTimesurface((16, 12, 2), 1000, 500.0)(ev), T.to_timesurface(ev, (16, 12, 2),
                                                                                                   1000, 500.0))
    np.testing.assert_array_equal(T.ToAveragedTimesurface((16, 12, 2), cell_size=4, surface_size=3)(ev),
                                  T.to_averaged_timesurface(ev, (16, 12, 2), 4, 3))
    pipe = T.Compose([T.Downsample(time_factor=10), T.ToTimesurface((16, 12, 2), 100, 50.0)])
    np.testing.assert_array_equal(pipe(ev), T.to_timesurface(T.downsample(ev, time_factor=10), (16, 12, 2), 100, 50.0))
    assert "ToVoxelGrid((16, 12), 5)" == repr(T.ToVoxelGrid((16, 12), 5))


@pytest.mark.parametrize("call, message", [
    (lambda ev: T.to_voxel_grid(ev, (16, 12, 1), 3), "sensor_size = (16, 12, 1): expected (W, H) or (W, H, 2)"),
    (lambda ev: T.to_voxel_grid(ev, (16, 12), 0), "n_time_bins = 0: expected an integer >= 1"),
    (lambda ev: T.to_voxel_grid(ev, (8, 12), 3), "x in 0..7 for sensor_size (8, 12, 2)"),
    (lambda ev: T.to_timesurface(ev, (16, 12), 12.5, 10.0), "dt = 12.5: expected a whole number of microseconds"),
    (lambda ev: T.to_timesurface(ev, (16, 12), 0, 10.0), "dt = 0: expected a whole number of microseconds >= 1"),
    (lambda ev: T.to_timesurface(ev, (16, 12), 100, 0), "tau = 0: expected a positive finite number"),
    (lambda ev: T.to_timesurface(ev, (16, 12), 100, 10.0, overlap=100), "overlap = 100: expected an overlap smaller"),
    (lambda ev: T.to_timesurface(ev[::-1], (16, 12), 100, 10.0), "sorted by time"),
    (lambda ev: T.to_timesurface(ev, (16, 12), 100, 10.0, start_time=10, end_time=5), "end_time = 5: expected an end"),
    (lambda ev: T.to_averaged_timesurface(ev, (16, 12), surface_size=4), "surface_size = 4: expected an odd integer"),
    (lambda ev: T.to_averaged_timesurface(ev, (16, 12), cell_size=3, surface_size=5),
     "surface_size = 5: expected an odd integer <= cell_size = 3"),
    (lambda ev: T.to_averaged_timesurface(ev, (16, 12), decay="linear"), "decay = 'linear': expected one of 'exp'"),
    (lambda ev: T.to_averaged_timesurface(ev, (16, 12), time_window=-1), "time_window = -1: expected a number >= 0"),
    (lambda ev: T.to_averaged_timesurface(ev[::-1], (16, 12)), "sorted by time"),
    (lambda ev: T.downsample(ev, time_factor=0.001), "time_factor = 0.001: expected an integer divisor >= 1"),
    (lambda ev: T.downsample(ev, time_factor=0), "time_factor = 0: expected an integer >= 1"),
])
def test_new_representations_reject_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError)) as exc:
        call(random_events(50))
    assert message in str(exc.value)
