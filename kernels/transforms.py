"""Compiled loops behind the event transforms (``spikecore.datasets.transforms``).

Each function has a plain twin of the same name and signature in
``spikecore.reference.transforms``; ``tests/test_transforms_kernels.py`` proves that they
agree: exactly for the integer and boolean outputs, to float rounding for the voxel grid and
the time surfaces (the twins add the same terms in a different order).

Events arrive as separate field arrays (``t`` int64 microseconds, ``x``, ``y`` int16,
``p`` int8) because Numba kernels take plain arrays, not structured ones; the public
functions in ``spikecore.datasets.transforms`` split the structured array for them.
"""
import math

import numba
import numpy as np


@numba.njit(cache=True)
def denoise(x, y, t, filter_time, width, height, keep):
    """Nearest-neighbour time filter (Tonic's ``Denoise``; Delbruck, 2008).

    Event :math:`i` at pixel :math:`(x_i, y_i)` and time :math:`t_i` is kept when one of
    its four neighbours :math:`q \\in \\{(x_i \\pm 1, y_i), (x_i, y_i \\pm 1)\\}` inside the
    ``width`` x ``height`` sensor has a previous event and the most recent one (in stream
    order), at time :math:`t_q`, satisfies :math:`t_i - t_q < \\tau_f` (``filter_time``).
    The pixel's own previous events do not count.

    Parameters
    ----------
    x, y : int16 arrays (n,)
        Pixel coordinates, ``0 <= x < width``, ``0 <= y < height`` (checked by the caller).
    t : int64 array (n,)
        Event times in microseconds, in stream order.
    filter_time : float
        :math:`\\tau_f` in microseconds.
    width, height : int
        Sensor size in pixels.
    keep : bool array (n,)
        Output: ``keep[i]`` is True when event ``i`` passes.

    Returns
    -------
    int
        Number of kept events.
    """
    n = x.shape[0]
    last = np.empty((height, width), dtype=np.int64)
    seen = np.zeros((height, width), dtype=np.bool_)
    kept = 0
    for i in range(n):
        xi = np.int64(x[i])
        yi = np.int64(y[i])
        ti = t[i]
        ok = False
        if xi > 0 and seen[yi, xi - 1] and float(ti - last[yi, xi - 1]) < filter_time:
            ok = True
        elif xi < width - 1 and seen[yi, xi + 1] and float(ti - last[yi, xi + 1]) < filter_time:
            ok = True
        elif yi > 0 and seen[yi - 1, xi] and float(ti - last[yi - 1, xi]) < filter_time:
            ok = True
        elif yi < height - 1 and seen[yi + 1, xi] and float(ti - last[yi + 1, xi]) < filter_time:
            ok = True
        keep[i] = ok
        if ok:
            kept += 1
        last[yi, xi] = ti
        seen[yi, xi] = True
    return kept


@numba.njit(cache=True)
def refractory(x, y, t, refractory_period, width, height, keep):
    """Per-pixel refractory filter (Tonic's ``RefractoryPeriod``).

    Event :math:`n` at a pixel is kept when it is the pixel's first event or when
    :math:`t_n - t_{n-1} > t_\\mathrm{refrac}`, :math:`t_{n-1}` being the time of the
    previous event at the same pixel in stream order, kept or not (as in Tonic).

    Parameters
    ----------
    x, y : int16 arrays (n,)
        Pixel coordinates inside the ``width`` x ``height`` sensor.
    t : int64 array (n,)
        Event times in microseconds.
    refractory_period : float
        :math:`t_\\mathrm{refrac}` in microseconds.
    width, height : int
        Sensor size in pixels.
    keep : bool array (n,)
        Output mask.

    Returns
    -------
    int
        Number of kept events.
    """
    n = x.shape[0]
    last = np.empty((height, width), dtype=np.int64)
    seen = np.zeros((height, width), dtype=np.bool_)
    kept = 0
    for i in range(n):
        xi = np.int64(x[i])
        yi = np.int64(y[i])
        ok = (not seen[yi, xi]) or float(t[i] - last[yi, xi]) > refractory_period
        keep[i] = ok
        if ok:
            kept += 1
        last[yi, xi] = t[i]
        seen[yi, xi] = True
    return kept


@numba.njit(cache=True)
def accumulate_frames(x, y, p, starts, ends, frames):
    """Add events to dense frames: :math:`F[k, p_i, y_i, x_i] \\mathrel{+}= 1` for every
    event :math:`i` with ``starts[k] <= i < ends[k]`` (Tonic's ``ToFrame`` accumulation).

    Slices may overlap, so one event can count in several frames.

    Parameters
    ----------
    x, y : int16 arrays (n,)
        Pixel coordinates inside the frame.
    p : int8 array (n,)
        Channel (polarity) index, ``0 <= p < C``.
    starts, ends : int64 arrays (K,)
        Event index range of each frame (``0 <= starts[k] <= ends[k] <= n``).
    frames : integer array (K, C, H, W)
        Output, added to in place (the caller zeroes it).
    """
    for k in range(starts.shape[0]):
        for i in range(starts[k], ends[k]):
            frames[k, p[i], y[i], x[i]] += 1


@numba.njit(cache=True)
def spikes_to_raster(steps, units, offsets, binary, raster):
    """Scatter spike lists into a dense raster ``(T, batch, n)``.

    Sample :math:`b` owns spikes ``offsets[b] <= k < offsets[b+1]``; each spike at time
    step :math:`s_k` on unit :math:`u_k` sets :math:`R[s_k, b, u_k] = 1` (``binary``) or
    adds one to it (spike counts, saturating at the dtype's maximum is the caller's
    concern). Spikes with :math:`s_k \\notin [0, T)` are dropped.

    Parameters
    ----------
    steps : int64 array (m,)
        Time-step index of each spike, :math:`s_k = \\lfloor t_k / \\Delta t \\rfloor`.
    units : int64 array (m,)
        Unit (input neuron) index, ``0 <= units[k] < n``.
    offsets : int64 array (batch + 1,)
        CSR offsets of each sample's spikes.
    binary : bool
        Write ones instead of counts.
    raster : integer array (T, batch, n)
        Output, written in place (the caller zeroes it).

    Returns
    -------
    int
        Number of spikes that fell inside ``[0, T)``.
    """
    T = raster.shape[0]
    inside = 0
    for b in range(offsets.shape[0] - 1):
        for k in range(offsets[b], offsets[b + 1]):
            s = steps[k]
            if s >= 0 and s < T:
                inside += 1
                if binary:
                    raster[s, b, units[k]] = 1
                else:
                    raster[s, b, units[k]] += 1
    return inside


@numba.njit(cache=True)
def voxel_grid(x, y, t, p, t0, duration, grid):
    """Spread event polarities bilinearly over time bins (Zhu, Yuan, Chaney & Daniilidis,
    2019, "Unsupervised event-based learning of optical flow, depth and egomotion", the
    discretized event volume).

    With :math:`B` bins, event :math:`i` at normalised time
    :math:`t_i^* = (B - 1)(t_i - t_0) / \\Delta T` (``duration`` :math:`\\Delta T > 0`)
    adds :math:`s_i \\max(0, 1 - |b - t_i^*|)` to bin :math:`b`, with :math:`s_i = +1` for
    ``p == 1`` and :math:`-1` for ``p == 0``: :math:`s_i (1 - d)` to bin
    :math:`\\lfloor t_i^* \\rfloor` and :math:`s_i d` to the next, :math:`d` the fractional
    part. A :math:`t_i^*` rounded above :math:`B - 1` is taken as :math:`B - 1`.

    Parameters
    ----------
    x, y : int16 arrays (n,)
        Pixel coordinates inside the grid.
    t : int64 array (n,)
        Event times in microseconds, ``t0 <= t <= t0 + duration``.
    p : int8 array (n,)
        Polarity, 0 or 1.
    t0 : int
        Time of normalised time 0 (the earliest event).
    duration : int
        :math:`\\Delta T` in microseconds, >= 1.
    grid : float64 array (B, H, W)
        Output, added to in place (the caller zeroes it).
    """
    n_bins = grid.shape[0]
    top = float(n_bins - 1)
    for i in range(x.shape[0]):
        ts = top * float(t[i] - t0) / float(duration)
        if ts > top:
            ts = top
        b = np.int64(ts)
        d = ts - b
        s = 1.0 if p[i] == 1 else -1.0
        grid[b, y[i], x[i]] += s * (1.0 - d)
        if b + 1 < n_bins:
            grid[b + 1, y[i], x[i]] += s * d


@numba.njit(cache=True)
def time_surfaces(x, y, p, t, sample_times, tau, surfaces):
    """Global time surfaces sampled at given times (Lagorce et al., 2017, "HOTS: a
    hierarchy of event-based time-surfaces for pattern recognition", IEEE TPAMI 39(7),
    over the whole sensor as in Tonic's ``ToTimesurface``).

    :math:`S_k[p, y, x] = e^{-(\\tau_k - T_k[p, y, x]) / \\tau}`, where :math:`\\tau_k` is
    ``sample_times[k]`` and :math:`T_k[p, y, x]` the time of the latest event at that pixel
    and polarity with :math:`t \\le \\tau_k`; 0 where there is none.

    Parameters
    ----------
    x, y : int16 arrays (n,)
        Pixel coordinates inside the surface.
    p : int8 array (n,)
        Polarity (channel) index.
    t : int64 array (n,)
        Event times in microseconds, sorted (non-decreasing).
    sample_times : int64 array (K,)
        Sorted sample times in microseconds.
    tau : float
        Decay time constant :math:`\\tau` in microseconds, > 0.
    surfaces : float64 array (K, P, H, W)
        Output, every element written.
    """
    n_ch, height, width = surfaces.shape[1], surfaces.shape[2], surfaces.shape[3]
    last = np.zeros((n_ch, height, width), dtype=np.int64)
    seen = np.zeros((n_ch, height, width), dtype=np.bool_)
    i = 0
    n = t.shape[0]
    for k in range(sample_times.shape[0]):
        now = sample_times[k]
        while i < n and t[i] <= now:
            last[p[i], y[i], x[i]] = t[i]
            seen[p[i], y[i], x[i]] = True
            i += 1
        for c in range(n_ch):
            for r in range(height):
                for q in range(width):
                    if seen[c, r, q]:
                        surfaces[k, c, r, q] = math.exp(-float(now - last[c, r, q]) / tau)
                    else:
                        surfaces[k, c, r, q] = 0.0


@numba.njit(cache=True)
def averaged_time_surfaces(x, y, t, cell, channel, order, offsets, radius, time_window, tau, linear, hist):
    """Histograms of averaged time surfaces (HATS; Sironi, Brambilla, Bourdis, Lagorce &
    Benosman, 2018, "HATS: histograms of averaged time surfaces for robust event-based
    object classification", CVPR), accumulated as Tonic's ``ToAveragedTimesurface``.

    Events are grouped by (cell, polarity) in stream order: ``order[offsets[g]:offsets[g+1]]``
    are the indices of group :math:`g`. For event :math:`i` of a group, every earlier event
    :math:`j` of the same group with :math:`t_i - t_j \\le \\Delta` (``time_window``) and
    :math:`|x_j - x_i|, |y_j - y_i| \\le \\rho` (``radius``) adds
    :math:`k(t_i - t_j)` at :math:`(y_j - y_i + \\rho, x_j - x_i + \\rho)`, the event itself
    adds 1 at the centre, with :math:`k(\\delta) = e^{-\\delta/\\tau}` or (``linear``)
    :math:`\\max(0, 1 - \\delta / (3\\tau))`. Each histogram is then divided by the number of
    events of its group.

    Parameters
    ----------
    x, y : int16 arrays (n,)
        Pixel coordinates.
    t : int64 array (n,)
        Event times in microseconds; within each group non-decreasing in stream order.
    cell : int64 array (n,)
        Cell index of each event.
    channel : int8 array (n,)
        Polarity of each event.
    order : int64 array (n,)
        Event indices grouped by (cell, polarity), each group in stream order.
    offsets : int64 array (G + 1,)
        Group boundaries in ``order``.
    radius : int
        :math:`\\rho`; surfaces are ``2 rho + 1`` square.
    time_window : float
        :math:`\\Delta` in microseconds, >= 0.
    tau : float
        Decay time constant in microseconds, > 0.
    linear : bool
        Linear instead of exponential decay.
    hist : float64 array (n_cells, P, 2 rho + 1, 2 rho + 1)
        Output, added to in place (the caller zeroes it).
    """
    for g in range(offsets.shape[0] - 1):
        a, b = offsets[g], offsets[g + 1]
        if a == b:
            continue
        c = cell[order[a]]
        q = channel[order[a]]
        for u in range(a, b):
            i = order[u]
            hist[c, q, radius, radius] += 1.0
            for v in range(u - 1, a - 1, -1):
                j = order[v]
                delta = t[i] - t[j]
                if float(delta) > time_window:
                    break
                dx = np.int64(x[j]) - np.int64(x[i])
                dy = np.int64(y[j]) - np.int64(y[i])
                if -radius <= dx <= radius and -radius <= dy <= radius:
                    if linear:
                        w = 1.0 - float(delta) / (3.0 * tau)
                        if w < 0.0:
                            w = 0.0
                    else:
                        w = math.exp(-float(delta) / tau)
                    hist[c, q, dy + radius, dx + radius] += w
        count = float(b - a)
        for r in range(hist.shape[2]):
            for s in range(hist.shape[3]):
                hist[c, q, r, s] /= count
