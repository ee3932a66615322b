"""Event transforms (``spikecore.datasets.transforms``), in the style of Tonic.

One small function per transform, each taking and returning a structured event array
with fields ``t`` (int64 microseconds), ``x``, ``y`` (int16) and ``p`` (int8), plus
callable classes on top (:class:`Compose`, :class:`Denoise`, :class:`ToFrame`, ...) for
pipelines; the dense representations (:func:`to_frame`, :func:`to_voxel_grid`,
:func:`to_timesurface`, :func:`to_averaged_timesurface`, :func:`to_raster`) return
arrays. Sensor sizes are ``(W, H, P)`` as in Tonic (Lenz, Chaney, Shrestha et al., 2021,
"Tonic: event-based datasets and transformations", Zenodo).

Where the semantics differ from Tonic 1.x (checked against Tonic 1.7.0 on the N-MNIST and
AEDAT4 fixtures and generated edge cases: ``tests/test_transforms_tonic.py``) it is said
in the function's docstring; the short list:

* :func:`denoise`: Tonic initialises its per-pixel memory as if every pixel had fired at
  ``t = 0``, so any event earlier than ``filter_time`` with an in-range neighbour passes;
  here a neighbour counts only once it has really fired. Identical otherwise.
* :func:`refractory_filter`: Tonic drops a pixel's first event when it is at ``t <= 0``;
  here a pixel's first event is always kept. Identical otherwise.
* :func:`time_window` is half-open ``[start, end)`` (Tonic's ``CropTime`` keeps ``t == max``
  and drops ``t < 0`` by default).
* :func:`downsample` divides by an integer factor, :math:`x' = \\lfloor x / f \\rfloor`;
  Tonic's ``spatial_factor`` multiplies by a float (``spatial_factor = 1 / f``) and
  truncates, which misplaces pixels through rounding for some factors (e.g. ``f = 49``:
  ``49 * (1/49) = 0.999...`` lands in pixel 0).
* :func:`time_slices` (``SliceByTime``, ``ToFrame(time_window=...)``): a recording of
  events at :math:`t_0 \\ldots t_N` lasts until :math:`t_N + 1` us (``end_time`` is
  exclusive). Tonic's default end is :math:`t_N`, one microsecond short: it leaves out a
  last complete window that ends at :math:`t_N + 1`, and with ``include_incomplete=True``
  it loses the events at :math:`t_N` whenever :math:`t_N - t_0 - w` is a multiple of the
  stride. Identical to Tonic when ``end_time`` is given.
* :func:`time_bin_slices` / :func:`event_bin_slices` (``n_time_bins`` / ``n_event_bins``)
  cover every event, and with ``overlap`` each bin keeps its place (stride = bin width):
  Tonic's integer division of the duration or count drops the remainder at the end, and
  its stride ``width * (1 - overlap)`` with ``width = bin * (1 + overlap)`` shrinks the
  bins towards the start, leaving the end of the recording out.
* :func:`center_crop` pads like Tonic's ``CenterCrop`` when the crop is larger than the
  sensor.
* :func:`to_frame` counts in int32 by default (Tonic: int16, which can overflow) and
  returns no frame for an empty stream sliced by ``time_window``/``event_count`` (Tonic's
  ``ToFrame``: one zero frame of shape ``(1, P, W, H)``, W and H swapped).
* :func:`downsample` ``time_factor`` is an integer divisor, :math:`t' = \\lfloor t / f_t
  \\rfloor` (Tonic: ``time_factor = 1/f_t`` multiplies in float64 and truncates towards 0).
* :func:`to_voxel_grid` normalises time to :math:`[0, B - 1]` as Zhu et al. (2019) and
  E2VID; Tonic's :math:`[0, B]` drops the events at the last time (and gives NaNs when all
  events share one time).
* :func:`to_timesurface` samples at :math:`\\tau_k` including events at :math:`t = \\tau_k`
  (Tonic's half-open windows leave them to the next surface), and with ``overlap`` at the
  window ends (Tonic: at :math:`t_0 + (k+1)\\,dt` regardless).
* :func:`to_averaged_timesurface` computes in exact int64 times and float64 (Tonic:
  float32 times, exact only below :math:`2^{24}` us) and clamps the linear decay at 0.

The loops (denoise, refractory filter, frame accumulation, raster scatter, voxel grid,
time surfaces, HATS) are Numba kernels in ``spikecore.kernels.transforms`` with twins in
``spikecore.reference.transforms``.
"""
from fractions import Fraction

import numpy as np

from spikecore import _validate as v
from spikecore.kernels import transforms as _k

FIELDS = ("t", "x", "y", "p")


# -- checks ---------------------------------------------------------------------------
def _events(events, name="events"):
    names = getattr(getattr(events, "dtype", None), "names", None)
    if names is None or not set(FIELDS) <= set(names):
        v.fail(name, events if names is None else "<structured array with fields %s>" % (names,),
               "a structured array with fields t (int64 us), x, y (int16), p (int8) "
               "(as returned by spikecore.datasets.read_events)", TypeError)
    if events.ndim != 1:
        v.fail(name, "<array of shape %s>" % (events.shape,), "a 1-D event array")
    return events


def _sensor(sensor_size, events=None, name="sensor_size"):
    """``(W, H, P)``; ``(W, H)`` means ``(W, H, 2)`` (two polarities); inferred from the
    events (max + 1) when None, as Tonic does."""
    if sensor_size is None:
        if events is None or len(events) == 0:
            v.fail(name, None, "(W, H, P): it cannot be inferred from an empty event array")
        return (int(events["x"].max()) + 1, int(events["y"].max()) + 1, max(int(events["p"].max()) + 1, 1))
    size = tuple(sensor_size)
    if len(size) == 2:
        size = size + (2,)
    if len(size) != 3 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in size):
        v.fail(name, sensor_size, "(W, H) or (W, H, P) of positive integers")
    return tuple(int(s) for s in size)


def _inside(events, size, name="events"):
    """Raise unless every event lies inside the sensor ``size``."""
    if len(events) == 0:
        return
    w, h, p = size
    for field, bound in (("x", w), ("y", h), ("p", p)):
        col = events[field]
        lo, hi = int(col.min()), int(col.max())
        if lo < 0 or hi >= bound:
            v.fail(name, "<events with %s in %d..%d>" % (field, lo, hi),
                   "%s in 0..%d for sensor_size %s" % (field, bound - 1, size))


def _sorted(events, name="events"):
    t = events["t"]
    if len(t) > 1 and np.any(t[1:] < t[:-1]):
        i = int(np.argmax(t[1:] < t[:-1]))
        v.fail(name, "<events with t[%d] = %d > t[%d] = %d>" % (i, t[i], i + 1, t[i + 1]),
               "events sorted by time (non-decreasing t)")


def _fields(events):
    return (np.ascontiguousarray(events["x"], dtype=np.int16), np.ascontiguousarray(events["y"], dtype=np.int16),
            np.ascontiguousarray(events["t"], dtype=np.int64), np.ascontiguousarray(events["p"], dtype=np.int8))


# -- filters --------------------------------------------------------------------------
def _span(t, start_time, end_time, after_last):
    """``(t_s, t_e)``: ``start_time`` / ``end_time`` (whole µs) or, where not given, the first time
    and the last time plus ``after_last``; None for an empty stream missing either bound."""
    if start_time is not None:
        start_time = v.integer("start_time", start_time)
    if end_time is not None:
        end_time = v.integer("end_time", end_time)
    if len(t) == 0 and (start_time is None or end_time is None):
        return None
    ts = int(t[0]) if start_time is None else start_time
    te = int(t[-1]) + after_last if end_time is None else end_time
    return ts, te


def denoise(events, filter_time, sensor_size=None):
    """Nearest-neighbour time filter: drop events with no recent neighbour.

    Event :math:`i` is kept when one of its four neighbours
    :math:`q \\in \\{(x_i \\pm 1, y_i), (x_i, y_i \\pm 1)\\}` has fired before it (in stream
    order) and its most recent event :math:`t_q` satisfies :math:`t_i - t_q < \\tau_f`.
    This is the background-activity filter of Delbruck (2008) in the form of Tonic's
    ``Denoise`` (Lenz et al., 2021), except that pixels that have not fired yet never
    count as recent (see the module notes).

    Parameters
    ----------
    events : structured ndarray
        Events with fields t (us), x, y, p.
    filter_time : float
        :math:`\\tau_f` in microseconds, > 0.
    sensor_size : tuple, optional
        ``(W, H[, P])``; default: max coordinate + 1.

    Returns
    -------
    structured ndarray
        The kept events, in their original order.
    """
    events = _events(events)
    filter_time = v.positive("filter_time", filter_time, "us")
    if len(events) == 0:
        return events.copy()
    size = _sensor(sensor_size, events)
    _inside(events, size)
    x, y, t, _ = _fields(events)
    keep = np.empty(len(events), dtype=np.bool_)
    _k.denoise(x, y, t, filter_time, size[0], size[1], keep)
    return events[keep]


def refractory_filter(events, refractory_period, sensor_size=None):
    """Per-pixel refractory period: drop events that follow the pixel's previous event
    too closely.

    Event :math:`n` of a pixel is kept when it is the pixel's first event or
    :math:`t_n - t_{n-1} > t_\\mathrm{refrac}`, where :math:`t_{n-1}` is the pixel's
    previous event, kept or not, as in Tonic's ``RefractoryPeriod`` (Lenz et al., 2021).

    Parameters
    ----------
    events : structured ndarray
    refractory_period : float
        :math:`t_\\mathrm{refrac}` in microseconds, >= 0.
    sensor_size : tuple, optional
        ``(W, H[, P])``; default: max coordinate + 1.

    Returns
    -------
    structured ndarray
    """
    events = _events(events)
    refractory_period = v.nonnegative("refractory_period", refractory_period, "us")
    if len(events) == 0:
        return events.copy()
    size = _sensor(sensor_size, events)
    _inside(events, size)
    x, y, t, _ = _fields(events)
    keep = np.empty(len(events), dtype=np.bool_)
    _k.refractory(x, y, t, refractory_period, size[0], size[1], keep)
    return events[keep]


# -- geometry -------------------------------------------------------------------------
def crop(events, origin, size):
    """Keep the events inside a box and move the box to the origin.

    :math:`x' = x - x_0,\\ y' = y - y_0` for events with :math:`x_0 \\le x < x_0 + w` and
    :math:`y_0 \\le y < y_0 + h` (Tonic's crop with a given, not random, corner).

    Parameters
    ----------
    events : structured ndarray
    origin : (int, int)
        Top-left corner :math:`(x_0, y_0)` of the box.
    size : (int, int)
        Box size :math:`(w, h)`; the new sensor size is ``(w, h, P)``.

    Returns
    -------
    structured ndarray
    """
    events = _events(events)
    if len(tuple(origin)) != 2 or not all(isinstance(o, (int, np.integer)) for o in origin):
        v.fail("origin", origin, "(x0, y0) integers")
    if len(tuple(size)) != 2 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in size):
        v.fail("size", size, "(w, h) positive integers")
    (x0, y0), (w, h) = origin, size
    x, y = events["x"].astype(np.int64), events["y"].astype(np.int64)
    out = events[(x >= x0) & (x < x0 + w) & (y >= y0) & (y < y0 + h)]
    out["x"] -= x0
    out["y"] -= y0
    return out


def center_crop(events, sensor_size, size):
    """Crop the central ``size = (w, h)`` box of a ``(W, H, P)`` sensor (Tonic's
    ``CenterCrop``): :func:`crop` with origin
    :math:`(\\lfloor (W - w)/2 \\rfloor, \\lfloor (H - h)/2 \\rfloor)`.

    A box larger than the sensor along an axis pads it: the origin is then negative and
    the events move right (down) by :math:`\\lceil (w - W)/2 \\rceil` pixels, as in
    Tonic's ``CenterCrop`` and torchvision's.

    Parameters
    ----------
    events : structured ndarray
        Events inside the sensor.
    sensor_size : tuple
        ``(W, H[, P])``.
    size : int or (int, int)
        ``(w, h)`` (an int ``s`` means ``(s, s)``), each >= 1; the new sensor size is
        ``(w, h, P)``.
    """
    events = _events(events)
    sensor = _sensor(sensor_size)
    W, H, _ = sensor
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    size = tuple(size)
    if len(size) != 2 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in size):
        v.fail("size", size, "(w, h) positive integers, or one positive integer")
    _inside(events, sensor)
    return crop(events, ((W - size[0]) // 2, (H - size[1]) // 2), size)


def downsample(events, factor=1, time_factor=1):
    """Reduce the spatial resolution by an integer factor: :math:`x' = \\lfloor x / f_x
    \\rfloor,\\ y' = \\lfloor y / f_y \\rfloor`, and the time resolution by an integer
    ``time_factor`` :math:`f_t`: :math:`t' = \\lfloor t / f_t \\rfloor` (times then count
    units of :math:`f_t` us, e.g. milliseconds for 1000). No event is dropped (several may
    then share a pixel and time), as in Tonic's ``Downsample`` with ``spatial_factor = 1/f``
    and ``time_factor = 1/f_t``.

    Tonic computes ``int(x * (1/f))`` in floating point, which puts some pixels one too
    low where ``x * (1/f)`` rounds just below an integer: for ``f`` in 1..128 and
    ``x < 4096`` that happens for ``f`` = 49, 98, 103 and 107 (e.g. ``x = 49, f = 49``
    gives 0 instead of 1). Here the division is exact.

    Its time rule is the same, :math:`t' = \\mathrm{trunc}(t \\cdot \\mathrm{time\\_factor})`
    in float64, with the same misplaced ticks (``t = 49`` with ``time_factor = 1/49``
    gives 0), times beyond :math:`2^{53}` us rounded, and truncation towards zero, so that
    its tick 0 covers :math:`(-f_t, f_t)` when times are negative. Here the division is
    exact int64 floor division: tick :math:`k` is :math:`[k f_t, (k + 1) f_t)` for every
    :math:`k`. Tonic's multiplier may also be > 1 (stretching time); that is not
    downsampling and not provided.

    Parameters
    ----------
    events : structured ndarray
    factor : int or (int, int)
        :math:`f` or :math:`(f_x, f_y)`, >= 1 (default 1: positions unchanged). A
        ``(W, H)`` sensor becomes ``(ceil(W / f_x), ceil(H / f_y))``.
    time_factor : int
        :math:`f_t \\ge 1` (default 1: times unchanged).
    """
    events = _events(events)
    if isinstance(factor, (int, np.integer)) and not isinstance(factor, (bool, np.bool_)):
        fx = fy = factor
    elif isinstance(factor, (tuple, list)) and len(factor) == 2:
        fx, fy = factor
    else:
        v.fail("factor", factor, "an integer >= 1 or a pair (fx, fy) of them", TypeError)
    v.integer("factor", fx, low=1)
    v.integer("factor", fy, low=1)
    if isinstance(time_factor, (bool, np.bool_)) or not isinstance(time_factor, (int, np.integer)):
        v.fail("time_factor", time_factor, "an integer divisor >= 1 (Tonic's time_factor = 0.001 is "
               "time_factor = 1000 here)", TypeError)
    ft = v.integer("time_factor", time_factor, low=1)
    out = events.copy()
    out["x"] = events["x"] // fx
    out["y"] = events["y"] // fy
    if ft != 1:
        out["t"] = events["t"] // ft
    return out


def merge_polarities(events):
    """Set every polarity to 0 (one channel), as Tonic's ``MergePolarities``: :math:`p' = 0`."""
    out = _events(events).copy()
    out["p"] = 0
    return out


# -- time -----------------------------------------------------------------------------
def time_window(events, start=None, end=None):
    """Events with :math:`t_\\mathrm{start} \\le t < t_\\mathrm{end}` (microseconds;
    either bound may be None). Events must be sorted by time; the cut is a binary
    search, so this is cheap on long recordings."""
    events = _events(events)
    _sorted(events)
    t = events["t"]
    a = 0 if start is None else int(np.searchsorted(t, v.integer("start", start), "left"))
    b = len(t) if end is None else int(np.searchsorted(t, v.integer("end", end), "left"))
    return events[a:max(a, b)]


def time_slices(events, time_window, overlap=0, include_incomplete=False, start_time=None, end_time=None):
    """Index ranges of fixed-length time windows (Tonic's ``SliceByTime``).

    Window :math:`k` covers :math:`[t_s + k\\,(w - o),\\ t_s + k\\,(w - o) + w)` with
    :math:`t_s` = ``start_time`` (default: the first event's time), :math:`w` =
    ``time_window`` and :math:`o` = ``overlap`` (us). With :math:`D = t_e - t_s`, where
    :math:`t_e` = ``end_time`` (exclusive; default: the last event's time + 1 us), there are
    :math:`\\lfloor (D - w) / (w - o) \\rfloor + 1` windows, those that fit in
    :math:`[t_s, t_e)`, or :math:`\\lceil (D - w) / (w - o) \\rceil + 1` with
    ``include_incomplete``, enough to reach :math:`t_e`; at least 1.

    Differs from Tonic only by the default end: Tonic uses the last event's time
    :math:`t_N` itself, so it leaves out a last complete window ending at :math:`t_N + 1`,
    and even with ``include_incomplete=True`` drops the events at :math:`t_N` whenever
    :math:`t_N - t_s - w` is a multiple of the stride (events at 0, 100 with ``w = 100``:
    Tonic gives ``[0]`` only). Pass ``end_time = t_N`` to get Tonic's windows.

    Parameters
    ----------
    events : structured ndarray
        Sorted by time.
    time_window : float
        :math:`w` in us, > 0.
    overlap : float
        :math:`o` in us, ``0 <= o < w``.
    include_incomplete : bool
        Add the windows that reach past :math:`t_e`.
    start_time, end_time : int, optional
        :math:`t_s` and :math:`t_e` in us, ``end_time >= start_time``. An empty stream has
        no windows unless both are given.

    Returns
    -------
    (starts, ends) : int64 arrays
        Event index ranges ``events[starts[k]:ends[k]]``.
    """
    events = _events(events)
    _sorted(events)
    w = v.positive("time_window", time_window, "us")
    o = v.nonnegative("overlap", overlap, "us")
    if o >= w:
        v.fail("overlap", overlap, "an overlap smaller than time_window = %r" % time_window)
    t = events["t"]
    span = _span(t, start_time, end_time, after_last=1)
    if span is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ts, te = span
    if end_time is not None and te < ts:
        v.fail("end_time", end_time, "an end time >= the start time %d us" % ts)
    rel = t - ts  # exact int64 offsets: no float rounding at large absolute times
    if w.is_integer() and o.is_integer():  # integer arithmetic, exact
        w, stride = int(w), int(w - o)
        q, r = divmod(te - ts - w, stride)
        n = max(q + (1 if include_incomplete and r else 0) + 1, 1)
        begin = np.arange(n, dtype=np.int64) * stride
    else:
        stride = w - o
        count = (te - ts - w) / stride
        n = max(int(np.ceil(count) if include_incomplete else np.floor(count)) + 1, 1)
        begin = np.arange(n) * stride
    return (np.searchsorted(rel, begin, "left").astype(np.int64),
            np.searchsorted(rel, begin + w, "left").astype(np.int64))


def count_slices(events, event_count, overlap=0, include_incomplete=False):
    """Index ranges of fixed event counts (Tonic's ``SliceByEventCount``): slice :math:`k`
    is ``[k (c - o), k (c - o) + c)`` with :math:`c` = ``event_count`` and :math:`o` =
    ``overlap`` (``0 <= o < c``); incomplete last slices are dropped unless
    ``include_incomplete``. A stream shorter than ``c`` gives one slice with all its events
    (as Tonic); an empty stream gives no slice (Tonic: one empty slice)."""
    events = _events(events)
    c = v.integer("event_count", event_count, low=1)
    o = v.integer("overlap", overlap, low=0)
    if o >= c:
        v.fail("overlap", overlap, "an overlap smaller than event_count = %d" % c)
    n_ev = len(events)
    stride = c - o
    if n_ev == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    size = min(c, n_ev)
    q, r = divmod(n_ev - size, stride)
    n = q + (1 if include_incomplete and r else 0) + 1
    starts = np.arange(n, dtype=np.int64) * stride
    return starts, np.minimum(starts + c, n_ev).astype(np.int64)


def time_bin_slices(events, n_time_bins, overlap=0.0):
    """Index ranges of ``n_time_bins`` equal time bins covering every event.

    With :math:`t_0, t_N` the first and last times, the recording lasts
    :math:`L = t_N - t_0 + 1` us; bin :math:`k` holds
    :math:`t_0 + k L / n \\le t < t_0 + (k + 1 + \\mathrm{overlap}) L / n`, each bin
    enlarged by the fraction ``overlap`` at its end without moving its start. The edges are
    computed in exact rational arithmetic (the overlap taken as the decimal it prints as,
    0.1 = 1/10), so an event exactly on an edge always opens the later bin.

    Tonic's ``SliceByTimeBins`` uses the integer width :math:`\\lfloor (t_N - t_0) / n
    \\rfloor`, so the events in the last :math:`(t_N - t_0) \\bmod n + 1` us are never in a
    bin (all of them when :math:`t_N - t_0 < n`), and with ``overlap`` its stride
    ``width * (1 - overlap)`` shrinks the bins towards the start.
    """
    events = _events(events)
    _sorted(events)
    n = v.integer("n_time_bins", n_time_bins, low=1)
    ov = v.real("overlap", overlap, low=0.0, high=1.0, high_open=True)
    t = events["t"]
    if len(t) == 0:
        z = np.zeros(n, np.int64)
        return z, z.copy()
    t0, length = int(t[0]), int(t[-1]) - int(t[0]) + 1
    frac = Fraction(repr(ov))
    num, den = frac.numerator, frac.denominator
    # integer times: t >= e  <=>  t >= ceil(e); -(-a // b) is ceil(a / b) on Python ints
    begin = [-(-k * length // n) for k in range(n)]
    end = [-(-((k + 1) * den + num) * length // (n * den)) for k in range(n)]
    rel = t - t0
    return (np.searchsorted(rel, np.array(begin, dtype=np.int64), "left").astype(np.int64),
            np.searchsorted(rel, np.array(end, dtype=np.int64), "left").astype(np.int64))


def event_bin_slices(events, n_event_bins, overlap=0.0):
    """Index ranges of ``n_event_bins`` bins of (nearly) equal event counts covering
    every event: bin :math:`k` is :math:`[\\lfloor k N / n \\rfloor,\\
    \\lfloor (k+1) N / n \\rfloor + \\lceil \\mathrm{overlap}\\, N / n \\rceil)`, clipped
    to :math:`N` (the overlap taken as the decimal it prints as).

    Tonic's ``SliceByEventBins`` uses :math:`\\lfloor N / n \\rfloor` events per bin, so
    it drops the last :math:`N \\bmod n` events (every event when :math:`N < n`), and with
    ``overlap`` its stride ``count * (1 - overlap)`` shrinks the bins towards the start."""
    events = _events(events)
    n = v.integer("n_event_bins", n_event_bins, low=1)
    ov = v.real("overlap", overlap, low=0.0, high=1.0, high_open=True)
    N = len(events)
    edges = (np.arange(n + 1, dtype=np.int64) * N) // n
    frac = Fraction(repr(ov))
    extra = -(-frac.numerator * N // (frac.denominator * n))  # ceil(overlap N / n), exact
    return edges[:-1], np.minimum(edges[1:] + extra, N).astype(np.int64)


def slice_by_time(events, time_window, overlap=0, include_incomplete=False, start_time=None, end_time=None):
    """Cut events into fixed-length time windows; returns a list of event arrays (see
    :func:`time_slices` for the windows)."""
    starts, ends = time_slices(events, time_window, overlap, include_incomplete, start_time, end_time)
    return [events[a:b] for a, b in zip(starts, ends)]


def slice_by_count(events, event_count, overlap=0, include_incomplete=False):
    """Cut events into slices of ``event_count`` events; returns a list of event arrays
    (see :func:`count_slices`)."""
    starts, ends = count_slices(events, event_count, overlap, include_incomplete)
    return [events[a:b] for a, b in zip(starts, ends)]


# -- dense frames ---------------------------------------------------------------------
def to_frame(events, sensor_size, *, time_window=None, event_count=None, n_time_bins=None, n_event_bins=None,
             overlap=0, include_incomplete=False, start_time=None, end_time=None, dtype=np.int32):
    """Accumulate events into dense frames ``(K, P, H, W)`` (Tonic's ``ToFrame``).

    :math:`F[k, p, y, x] = |\\{i \\in S_k : p_i = p, y_i = y, x_i = x\\}|`, the number of
    events of slice :math:`S_k` at each pixel and polarity. Exactly one of
    ``time_window`` (:func:`time_slices`), ``event_count`` (:func:`count_slices`),
    ``n_time_bins`` (:func:`time_bin_slices`) or ``n_event_bins``
    (:func:`event_bin_slices`) chooses the slices; ``overlap`` is in microseconds, events
    or a fraction of a bin respectively. ``include_incomplete`` applies to ``time_window``
    and ``event_count``, ``start_time``/``end_time`` to ``time_window`` only (Tonic ignores
    them silently elsewhere; here that is an error).

    Where the slices differ from Tonic's (the default end of ``time_window`` slicing,
    ``n_time_bins``/``n_event_bins`` covering every event) see the slicing functions. An
    empty stream gives no frame with ``time_window`` (unless ``start_time`` and
    ``end_time`` are given) or ``event_count``; Tonic's ``ToFrame`` returns one zero frame
    of shape ``(1, P, W, H)`` there, W and H swapped.

    Parameters
    ----------
    events : structured ndarray
    sensor_size : tuple
        ``(W, H, P)`` (``(W, H)`` means ``P = 2``); with ``P == 1`` all polarities must
        already be 0 (use :func:`merge_polarities`; Tonic sets them to 0 in the caller's
        array when there is one polarity value).
    dtype : integer dtype
        Count dtype (default int32; Tonic uses int16, which overflows past 32767 events
        at one pixel).

    Returns
    -------
    ndarray (K, P, H, W)
    """
    events = _events(events)
    size = _sensor(sensor_size)
    chosen = [k for k, val in (("time_window", time_window), ("event_count", event_count),
                               ("n_time_bins", n_time_bins), ("n_event_bins", n_event_bins)) if val is not None]
    if len(chosen) != 1:
        v.fail("time_window/event_count/n_time_bins/n_event_bins", chosen or None, "exactly one of them set")
    if np.dtype(dtype).kind not in "iu":
        v.fail("dtype", dtype, "an integer dtype")
    if include_incomplete and chosen[0] not in ("time_window", "event_count"):
        v.fail("include_incomplete", include_incomplete, "False with %s (it applies to time_window and "
               "event_count only)" % chosen[0])
    for name, val in (("start_time", start_time), ("end_time", end_time)):
        if val is not None and chosen[0] != "time_window":
            v.fail(name, val, "None with %s (it applies to time_window only)" % chosen[0])
    _inside(events, size)
    if time_window is not None:
        starts, ends = time_slices(events, time_window, overlap, include_incomplete, start_time, end_time)
    elif event_count is not None:
        starts, ends = count_slices(events, event_count, overlap, include_incomplete)
    elif n_time_bins is not None:
        starts, ends = time_bin_slices(events, n_time_bins, overlap)
    else:
        starts, ends = event_bin_slices(events, n_event_bins, overlap)
    W, H, P = size
    frames = np.zeros((len(starts), P, H, W), dtype=dtype)
    x, y, _, p = _fields(events)
    _k.accumulate_frames(x, y, p, starts, ends, frames)
    return frames


# -- event representations ------------------------------------------------------------
def _whole_us(name, value, low):
    """A whole number of microseconds >= ``low`` (an int, or a float such as 1e3); returned as int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        v.fail(name, value, "a whole number of microseconds >= %d" % low, TypeError)
    if not (np.isfinite(value) and float(value).is_integer() and value >= low):
        v.fail(name, value, "a whole number of microseconds >= %d" % low)
    return int(value)


def to_voxel_grid(events, sensor_size, n_time_bins):
    """Voxel grid ``(B, 1, H, W)``: each event's polarity spread bilinearly over the two
    nearest of ``B`` time bins (Zhu, Yuan, Chaney & Daniilidis, 2019, "Unsupervised
    event-based learning of optical flow, depth, and egomotion", CVPR: the discretized
    event volume; Tonic's ``ToVoxelGrid``).

    .. math::

        V[b, 0, y, x] = \\sum_{i:\\, x_i = x,\\, y_i = y} s_i \\max(0, 1 - |b - t_i^*|),
        \\qquad t_i^* = (B - 1) \\frac{t_i - t_0}{t_N - t_0}

    with :math:`s_i = +1` for ``p = 1`` and :math:`-1` for ``p = 0``, and :math:`t_0, t_N`
    the earliest and latest event times (any event order). An event's two weights sum to
    1, so :math:`\\sum V = \\sum_i s_i`. When every event has the same time (one event, for
    instance) :math:`t_i^* = 0`: all of them go to bin 0, the rule of the E2VID code Tonic's
    is adapted from (``events_to_voxel_grid``, which divides by 1 when :math:`t_N = t_0`).
    An empty stream gives zeros.

    Differs from Tonic 1.7's ``to_voxel_grid_numpy``, which normalises to :math:`[0, B]`
    (:math:`t_i^* = B (t_i - t_0)/(t_N - t_0)`) instead of the paper's and E2VID's
    :math:`[0, B - 1]`: weight that lands on bin :math:`B` is dropped, so the events at
    :math:`t_N` vanish and the grid no longer sums to :math:`\\sum_i s_i` (Tonic's grid is
    this grid with ``B + 1`` bins, cut to its first ``B``; with ``B = 1`` each event is
    weighted by :math:`1 - (t_i - t_0)/(t_N - t_0)`). One event, or all events at one time,
    gives NaNs or an IndexError there (0 / 0 cast to an index), an empty stream an
    IndexError, and its functional form rewrites ``p = 0`` as ``-1`` in the caller's array.

    Parameters
    ----------
    events : structured ndarray
    sensor_size : tuple
        ``(W, H)`` or ``(W, H, 2)``: polarities must be 0 or 1.
    n_time_bins : int
        :math:`B \\ge 1` (with :math:`B = 1` every event adds :math:`s_i` to the one bin).

    Returns
    -------
    float64 ndarray (B, 1, H, W)
    """
    events = _events(events)
    size = _sensor(sensor_size)
    if size[2] != 2:
        v.fail("sensor_size", sensor_size, "(W, H) or (W, H, 2): the voxel grid takes p = 1 as +1 and p = 0 as -1")
    n = v.integer("n_time_bins", n_time_bins, low=1)
    _inside(events, size)
    W, H, _ = size
    grid = np.zeros((n, H, W), dtype=np.float64)
    if len(events):
        x, y, t, p = _fields(events)
        t0 = int(t.min())
        _k.voxel_grid(x, y, t, p, t0, max(int(t.max()) - t0, 1), grid)
    return grid.reshape(n, 1, H, W)


def surface_times(events, dt, overlap=0, include_incomplete=False, start_time=None, end_time=None):
    """Sample times of :func:`to_timesurface`, int64 microseconds:
    :math:`\\tau_k = t_s + \\Delta t + k (\\Delta t - o)`, the ends of the windows of
    :func:`time_slices` (:math:`t_s` = ``start_time``, default the first event's time).

    They run up to :math:`t_e` = ``end_time`` (default: the last event's time, inclusive):
    the :math:`\\lfloor (t_e - t_s - \\Delta t) / (\\Delta t - o) \\rfloor + 1` samples
    :math:`\\le t_e`, or with ``include_incomplete`` one more when the last falls short of
    :math:`t_e`, so that every event is in a surface; at least one. These are Tonic 1.7's
    counts (its ``SliceByTime`` windows with end :math:`t_N`). An empty stream has no
    samples unless both ``start_time`` and ``end_time`` are given.
    """
    events = _events(events)
    _sorted(events)
    w = _whole_us("dt", dt, 1)
    o = _whole_us("overlap", overlap, 0)
    if o >= w:
        v.fail("overlap", overlap, "an overlap smaller than dt = %r" % dt)
    span = _span(events["t"], start_time, end_time, after_last=0)
    if span is None:
        return np.zeros(0, np.int64)
    ts, te = span
    if te < ts:
        v.fail("end_time", te, "an end time >= the start time %d us" % ts)
    stride = w - o
    q, r = divmod(te - ts - w, stride)
    n = max(q + (1 if include_incomplete and r else 0) + 1, 1)
    return ts + w + np.arange(n, dtype=np.int64) * stride


def to_timesurface(events, sensor_size, dt, tau, overlap=0, include_incomplete=False, start_time=None,
                   end_time=None):
    """Global time surfaces ``(K, P, H, W)`` sampled every ``dt`` (Lagorce, Orchard,
    Galluppi, Shi & Benosman, 2017, "HOTS: a hierarchy of event-based time-surfaces for
    pattern recognition", IEEE TPAMI 39(7); Tonic 1.7's ``ToTimesurface``).

    .. math::

        S_k[p, y, x] = \\exp\\left(-\\frac{\\tau_k - T_k[p, y, x]}{\\tau}\\right)

    where :math:`\\tau_k` are the sample times of :func:`surface_times` and
    :math:`T_k[p, y, x]` is the time of the latest event at that pixel and polarity with
    :math:`t \\le \\tau_k`; 0 where there is none. Values are in :math:`[0, 1]`, 1 at a
    pixel that fired at :math:`\\tau_k` (HOTS's surface includes the current event). The
    differences are exact int64 microseconds, so offsets near :math:`2^{40}` cost nothing.

    This follows the signature and sampling of Tonic 1.7's ``to_timesurface_numpy(events,
    sensor_size, dt, tau, overlap=0, include_incomplete=False)``: surfaces over the whole
    sensor at a fixed interval. (Older Tonic releases, those with an ``ordering`` argument,
    made one local surface of ``surface_dimensions`` around each event, with a ``decay``
    option; that form is not provided.) It differs from Tonic 1.7 in two ways:

    * Tonic updates its memory with the events of its half-open window
      :math:`[\\tau_k - \\Delta t, \\tau_k)`, so an event exactly at :math:`\\tau_k` shows up
      only in the next surface (as :math:`e^{-\\Delta t/\\tau}`), and one at :math:`t_N`
      is lost when :math:`t_N - t_0` is a multiple of ``dt``. Tonic's surface :math:`k` is
      this one sampled 1 us earlier times :math:`e^{-1/\\tau}`.
    * With ``overlap`` Tonic still samples at :math:`t_0 + (k + 1)\\Delta t` while its
      windows advance by :math:`\\Delta t - o`, so each surface is evaluated up to
      :math:`k\\,o` after the events it holds; here the samples are the window ends.

    Tonic also fails on an empty stream (IndexError); here it gives ``(0, P, H, W)``.

    Parameters
    ----------
    events : structured ndarray
        Sorted by time.
    sensor_size : tuple
        ``(W, H[, P])``.
    dt : int
        Sampling interval :math:`\\Delta t`, whole microseconds >= 1.
    tau : float
        Decay time constant :math:`\\tau` in microseconds, > 0.
    overlap, include_incomplete, start_time, end_time
        See :func:`surface_times`.

    Returns
    -------
    float64 ndarray (K, P, H, W)
    """
    events = _events(events)
    size = _sensor(sensor_size)
    tau = v.positive("tau", tau, "us")
    times = surface_times(events, dt, overlap, include_incomplete, start_time, end_time)
    _inside(events, size)
    W, H, P = size
    surfaces = np.empty((len(times), P, H, W), dtype=np.float64)
    x, y, t, p = _fields(events)
    _k.time_surfaces(x, y, p, t, times, tau, surfaces)
    return surfaces


def to_averaged_timesurface(events, sensor_size, cell_size=10, surface_size=5, time_window=1000, tau=100,
                            decay="exp"):
    """Histograms of averaged time surfaces (HATS) ``(C, P, S, S)`` (Sironi, Brambilla,
    Bourdis, Lagorce & Benosman, 2018, "HATS: histograms of averaged time surfaces for
    robust event-based object classification", CVPR; Tonic's ``ToAveragedTimesurface``,
    same parameters, defaults and output layout).

    The sensor is cut into :math:`C = \\lceil W/K \\rceil \\lceil H/K \\rceil` cells of
    :math:`K \\times K` pixels (``cell_size``), numbered row by row:
    :math:`c = \\lfloor y/K \\rfloor \\lceil W/K \\rceil + \\lfloor x/K \\rfloor`. Each
    event :math:`e_i` gets a local time surface of size :math:`S = 2\\rho + 1`
    (``surface_size``) from the earlier events (stream order) of its own cell and
    polarity within :math:`\\rho` pixels and ``time_window`` :math:`\\Delta` us:

    .. math::

        T_i[\\rho + dy, \\rho + dx] = [dx = dy = 0]
        + \\sum_{j < i:\\; x_j - x_i = dx,\\ y_j - y_i = dy,\\ t_i - t_j \\le \\Delta} k(t_i - t_j)

    with :math:`k(\\delta) = e^{-\\delta/\\tau}` (``decay="exp"``) or
    :math:`\\max(0, 1 - \\delta/(3\\tau))` (``"lin"``), and the histogram of cell :math:`c`
    and polarity :math:`p` is the mean of :math:`T_i` over its events (zeros when it has
    none).

    Identical to Tonic 1.7's ``to_averaged_timesurface_numpy`` for sorted streams with
    :math:`t \\ge 0`, :math:`t < 2^{24}` us (16.7 s) and, for ``"lin"``,
    ``time_window <= 3 tau``, except for float rounding: Tonic computes in float32, so
    beyond 16.7 s its times round (at :math:`2^{40}` us to 65 ms steps, and every nearby
    event counts as simultaneous); here differences are exact int64 microseconds and the
    result float64. Tonic's linear decay is not clamped, so with its defaults
    (``time_window=1000, tau=100``) events older than 300 us add negative weights down to
    :math:`-2.3`; its older per-event time surfaces clamped it at 0, as here. Tonic also drops
    earlier events with negative times (it starts the window at :math:`\\max(0, t_i -
    \\Delta)`); here the result does not depend on the time origin.

    Parameters
    ----------
    events : structured ndarray
        Sorted by time.
    sensor_size : tuple
        ``(W, H[, P])``.
    cell_size : int
        :math:`K \\ge 1`.
    surface_size : int
        :math:`S`, odd, ``1 <= S <= cell_size`` (as Tonic).
    time_window : float
        :math:`\\Delta` in microseconds, >= 0.
    tau : float
        Decay time constant in microseconds, > 0.
    decay : {"exp", "lin"}

    Returns
    -------
    float64 ndarray (C, P, S, S)
    """
    events = _events(events)
    size = _sensor(sensor_size)
    K = v.integer("cell_size", cell_size, low=1)
    S = v.integer("surface_size", surface_size, low=1)
    if S % 2 == 0 or S > K:
        v.fail("surface_size", surface_size, "an odd integer <= cell_size = %d" % K)
    window = v.nonnegative("time_window", time_window, "us")
    tau = v.positive("tau", tau, "us")
    v.choice("decay", decay, ("exp", "lin"))
    _sorted(events)
    _inside(events, size)
    W, H, P = size
    wgrid = -(-W // K)
    n_cells = wgrid * -(-H // K)
    hist = np.zeros((n_cells, P, S, S), dtype=np.float64)
    if len(events) == 0:
        return hist
    x, y, t, p = _fields(events)
    cell = (y.astype(np.int64) // K) * wgrid + x.astype(np.int64) // K
    group = cell * P + p.astype(np.int64)
    order = np.argsort(group, kind="stable").astype(np.int64)
    offsets = np.searchsorted(group[order], np.arange(n_cells * P + 1), "left").astype(np.int64)
    _k.averaged_time_surfaces(x, y, t, cell, p, order, offsets, S // 2, window, tau, decay == "lin", hist)
    return hist


# -- spikes for the engine ------------------------------------------------------------
def to_spike_list(events, sensor_size, t0=0):
    """Events as a spike list ``(times, units)``: one input unit per pixel and polarity.

    :math:`\\mathrm{time}_i = (t_i - t_0) \\cdot 10^{-6}` seconds and
    :math:`\\mathrm{unit}_i = p_i W H + y_i W + x_i`, the C-order index of
    :math:`(p, y, x)` in a ``(P, H, W)`` frame (the mapping stored as ``unit_mapping`` in
    spike-dataset files).

    Parameters
    ----------
    events : structured ndarray
    sensor_size : tuple
        ``(W, H, P)``.
    t0 : int or None
        Time origin in microseconds (default 0; None: the first event's time). Events
        before ``t0`` are an error.

    Returns
    -------
    times : float64 ndarray (n,)
        Seconds.
    units : int64 ndarray (n,)
    """
    events = _events(events)
    W, H, P = _sensor(sensor_size)
    _inside(events, (W, H, P))
    t = events["t"].astype(np.int64)
    if t0 is None:
        t0 = int(t[0]) if len(t) else 0
    t0 = v.integer("t0", t0)
    if len(t) and int(t.min()) < t0:
        v.fail("t0", t0, "a time origin <= the earliest event time %d us" % int(t.min()))
    units = (events["p"].astype(np.int64) * H + events["y"].astype(np.int64)) * W + events["x"].astype(np.int64)
    return (t - t0) * 1e-6, units


def from_spike_list(times, units, sensor_size, t0=0):
    """Inverse of :func:`to_spike_list`: camera events from a spike list.

    :math:`t_i = t_0 + \\mathrm{round}(10^6\\,\\mathrm{time}_i)` microseconds and
    :math:`(p_i, y_i, x_i)` from :math:`\\mathrm{unit}_i = p_i W H + y_i W + x_i`.

    Returns
    -------
    structured ndarray
        Fields t (int64), x, y (int16), p (int8), in the order of the spikes.
    """
    W, H, P = _sensor(sensor_size)
    times = v.array("times", times, ndim=1, finite=True)
    units = v.array("units", units, ndim=1, kinds="iu").astype(np.int64)
    if times.shape != units.shape:
        v.fail("units", "<array of shape %s>" % (units.shape,), "the shape of times %s" % (times.shape,))
    if units.size and (units.min() < 0 or units.max() >= W * H * P):
        v.fail("units", "<array with range %d..%d>" % (units.min(), units.max()),
               "units in 0..%d for sensor_size %s" % (W * H * P - 1, (W, H, P)))
    out = np.zeros(units.size, dtype=[("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("p", "i1")])
    out["t"] = v.integer("t0", t0) + np.rint(times.astype(np.float64) * 1e6).astype(np.int64)
    out["p"], rest = np.divmod(units, W * H)
    out["y"], out["x"] = np.divmod(rest, W)
    return out


def time_to_step(times, dt, time_resolution=None):
    """Time-step index of each spike: :math:`s = \\lfloor t / \\Delta t \\rfloor`.

    When ``time_resolution`` :math:`r` (the source clock tick, e.g. 1e-6 s) divides
    :math:`\\Delta t`, the division is done on integer ticks,
    :math:`s = \\lfloor \\mathrm{round}(t / r) / \\mathrm{round}(\\Delta t / r) \\rfloor`,
    so a spike exactly on a bin edge lands in the later bin whatever the float error of
    its stored time. Otherwise float64 floor division.

    Returns
    -------
    int64 ndarray
    """
    dt = v.positive("dt", dt, "s")
    times = np.asarray(times, dtype=np.float64)
    if time_resolution is not None:
        r = v.positive("time_resolution", time_resolution, "s")
        ticks = round(dt / r)
        if ticks >= 1 and abs(ticks * r - dt) <= 1e-9 * dt:
            return np.rint(times / r).astype(np.int64) // ticks
    return np.floor(times / dt).astype(np.int64)


def spike_lists_to_raster(times, units, n_units, dt, T, *, binary=True, dtype=np.uint8, time_resolution=None):
    """Dense input raster ``(T, B, n)`` from B spike lists (the engine's input layout).

    :math:`R[s, b, u] = 1` (``binary``) or the spike count, for every spike of sample
    :math:`b` on unit :math:`u` with step :math:`s` = :func:`time_to_step` of its time;
    spikes at or after :math:`T \\Delta t` are dropped.

    Parameters
    ----------
    times, units : sequence of B 1-D arrays
        Seconds and unit indices per sample (as in an SHD file).
    n_units : int
    dt : float
        Time step in seconds.
    T : int
        Number of steps.
    binary : bool
        Ones instead of counts (counts saturate at the dtype's maximum).
    dtype : dtype
        Raster dtype (uint8 default; bool allowed with ``binary``).
    time_resolution : float, optional
        Source clock tick, see :func:`time_to_step`.

    Returns
    -------
    ndarray (T, B, n_units)
    """
    n_units = v.integer("n_units", n_units, low=1)
    T = v.integer("T", T, low=1)
    if len(times) != len(units):
        v.fail("units", "<%d samples>" % len(units), "as many samples as times (%d)" % len(times))
    dtype = np.dtype(dtype)
    if dtype.kind == "b" and not binary:
        v.fail("dtype", dtype, "an integer dtype for spike counts (binary=False)")
    steps, unit_all, offsets = [], [], [0]
    for b, (t, u) in enumerate(zip(times, units)):
        t = np.asarray(t).ravel()
        u = np.asarray(u).ravel().astype(np.int64)
        if t.shape != u.shape:
            v.fail("units", "<sample %d: %d units>" % (b, u.size), "%d units, one per spike time" % t.size)
        if u.size and (u.min() < 0 or u.max() >= n_units):
            v.fail("units", "<sample %d with units %d..%d>" % (b, u.min(), u.max()), "units in 0..%d" % (n_units - 1))
        steps.append(time_to_step(t, dt, time_resolution))
        unit_all.append(u)
        offsets.append(offsets[-1] + u.size)
    steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
    unit_all = np.concatenate(unit_all) if unit_all else np.zeros(0, np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    if binary or dtype.kind == "b":
        raster = np.zeros((T, len(times), n_units), dtype=dtype)
        _k.spikes_to_raster(steps, unit_all, offsets, True, raster)
        return raster
    # counts: accumulate in int64, then saturate into the requested dtype
    counts = np.zeros((T, len(times), n_units), dtype=np.int64)
    _k.spikes_to_raster(steps, unit_all, offsets, False, counts)
    top = np.iinfo(dtype).max if dtype.kind in "iu" else None
    return (np.minimum(counts, top) if top is not None else counts).astype(dtype)


def to_raster(events, sensor_size, dt, T, *, t0=0, binary=True, dtype=np.uint8):
    """Events of one recording as a dense raster ``(T, n)`` with :math:`n = W H P` units
    (:func:`to_spike_list` then :func:`spike_lists_to_raster` at the microsecond clock).
    Stack samples on axis 1 for the engine's ``(T, batch, n)``."""
    times, units = to_spike_list(events, sensor_size, t0)
    W, H, P = _sensor(sensor_size)
    return spike_lists_to_raster([times], [units], W * H * P, dt, T, binary=binary, dtype=dtype,
                                 time_resolution=1e-6)[:, 0, :]


# -- classes --------------------------------------------------------------------------
class Compose:
    """Apply transforms in order: ``Compose([Denoise(5000), ToFrame((34, 34, 2), n_time_bins=10)])``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for i, tr in enumerate(self.transforms):
            if not callable(tr):
                v.fail("transforms[%d]" % i, tr, "a callable", TypeError)

    def __call__(self, events):
        for tr in self.transforms:
            events = tr(events)
        return events

    def __repr__(self):
        return "Compose(%r)" % (self.transforms,)


class _Partial:
    """A transform function with its parameters bound (the classes below)."""
    _function = None

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __call__(self, events):
        return self._function(events, *self.args, **self.kwargs)

    def __repr__(self):
        parts = [repr(a) for a in self.args] + ["%s=%r" % kv for kv in self.kwargs.items()]
        return "%s(%s)" % (type(self).__name__, ", ".join(parts))


class Denoise(_Partial):
    """Callable :func:`denoise`: ``Denoise(filter_time, sensor_size=None)(events)``."""
    _function = staticmethod(denoise)


class RefractoryFilter(_Partial):
    """Callable :func:`refractory_filter`: ``RefractoryFilter(refractory_period)(events)``."""
    _function = staticmethod(refractory_filter)


class Crop(_Partial):
    """Callable :func:`crop`: ``Crop(origin, size)(events)``."""
    _function = staticmethod(crop)


class CenterCrop(_Partial):
    """Callable :func:`center_crop`: ``CenterCrop(sensor_size, size)(events)``."""
    _function = staticmethod(center_crop)


class Downsample(_Partial):
    """Callable :func:`downsample`: ``Downsample(factor)(events)``, ``Downsample(time_factor=1000)(events)``."""
    _function = staticmethod(downsample)


class MergePolarities(_Partial):
    """Callable :func:`merge_polarities`: ``MergePolarities()(events)``."""
    _function = staticmethod(merge_polarities)


class TimeWindow(_Partial):
    """Callable :func:`time_window`: ``TimeWindow(start, end)(events)``."""
    _function = staticmethod(time_window)


class ToFrame(_Partial):
    """Callable :func:`to_frame`: ``ToFrame(sensor_size, n_time_bins=10)(events)``."""
    _function = staticmethod(to_frame)


class ToVoxelGrid(_Partial):
    """Callable :func:`to_voxel_grid`: ``ToVoxelGrid(sensor_size, n_time_bins)(events)``."""
    _function = staticmethod(to_voxel_grid)


class ToTimesurface(_Partial):
    """Callable :func:`to_timesurface`: ``ToTimesurface(sensor_size, dt, tau)(events)``."""
    _function = staticmethod(to_timesurface)


class ToAveragedTimesurface(_Partial):
    """Callable :func:`to_averaged_timesurface`:
    ``ToAveragedTimesurface(sensor_size, cell_size=10, surface_size=5, time_window=1000, tau=100)(events)``.
    Pass the parameters by name: positionally they follow the function (``cell_size``
    first), while Tonic's class takes ``surface_size`` first."""
    _function = staticmethod(to_averaged_timesurface)


class ToSpikeList(_Partial):
    """Callable :func:`to_spike_list`: ``ToSpikeList(sensor_size)(events)``."""
    _function = staticmethod(to_spike_list)


class ToRaster(_Partial):
    """Callable :func:`to_raster`: ``ToRaster(sensor_size, dt, T)(events)``."""
    _function = staticmethod(to_raster)
