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
