"""Compiled loops behind the event transforms (``spikecore.datasets.transforms``).

Each function has a plain twin of the same name and signature in
``spikecore.reference.transforms``; ``tests/test_transforms_kernels.py`` proves that they
agree exactly (all outputs here are integers or booleans).

Events arrive as separate field arrays (``t`` int64 microseconds, ``x``, ``y`` int16,
``p`` int8) because Numba kernels take plain arrays, not structured ones; the public
functions in ``spikecore.datasets.transforms`` split the structured array for them.
"""
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
