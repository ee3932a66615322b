"""Plain twins of ``spikecore.kernels.transforms`` (same names, same signatures).

Written for a reader: each rule is applied literally, event by event, searching the
earlier events instead of keeping a per-pixel memory. Quadratic in the number of events;
only for tests.
"""
import math

import numpy as np


def _most_recent_time(x, y, t, i, qx, qy):
    """Time of the latest event before index ``i`` at pixel ``(qx, qy)``, or None."""
    for j in range(i - 1, -1, -1):
        if x[j] == qx and y[j] == qy:
            return int(t[j])
    return None


def denoise(x, y, t, filter_time, width, height, keep):
    """Keep event :math:`i` when a 4-neighbour's most recent earlier event is closer in
    time than ``filter_time``: :math:`t_i - t_q < \\tau_f` (Delbruck, 2008; Tonic's
    ``Denoise``). Twin of :func:`spikecore.kernels.transforms.denoise`."""
    kept = 0
    for i in range(len(x)):
        xi, yi = int(x[i]), int(y[i])
        ok = False
        for qx, qy in ((xi - 1, yi), (xi + 1, yi), (xi, yi - 1), (xi, yi + 1)):
            if 0 <= qx < width and 0 <= qy < height:
                tq = _most_recent_time(x, y, t, i, qx, qy)
                if tq is not None and int(t[i]) - tq < filter_time:
                    ok = True
        keep[i] = ok
        kept += ok
    return kept


def refractory(x, y, t, refractory_period, width, height, keep):
    """Keep event :math:`n` at a pixel when it is the first there or
    :math:`t_n - t_{n-1} > t_\\mathrm{refrac}` (Tonic's ``RefractoryPeriod``). Twin of
    :func:`spikecore.kernels.transforms.refractory`."""
    kept = 0
    for i in range(len(x)):
        previous = _most_recent_time(x, y, t, i, int(x[i]), int(y[i]))
        ok = previous is None or int(t[i]) - previous > refractory_period
        keep[i] = ok
        kept += ok
    return kept


def accumulate_frames(x, y, p, starts, ends, frames):
    """:math:`F[k, p_i, y_i, x_i] \\mathrel{+}= 1` for ``starts[k] <= i < ends[k]``. Twin of
    :func:`spikecore.kernels.transforms.accumulate_frames`."""
    for k in range(len(starts)):
        sl = slice(int(starts[k]), int(ends[k]))
        np.add.at(frames[k], (p[sl].astype(np.intp), y[sl].astype(np.intp), x[sl].astype(np.intp)), 1)


def spikes_to_raster(steps, units, offsets, binary, raster):
    """:math:`R[s_k, b, u_k] = 1` (or ``+= 1``) for every spike of sample :math:`b` with
    :math:`0 \\le s_k < T`. Twin of :func:`spikecore.kernels.transforms.spikes_to_raster`."""
    T = raster.shape[0]
    inside = 0
    for b in range(len(offsets) - 1):
        s = np.asarray(steps[offsets[b]:offsets[b + 1]], dtype=np.int64)
        u = np.asarray(units[offsets[b]:offsets[b + 1]], dtype=np.int64)
        ok = (s >= 0) & (s < T)
        inside += int(ok.sum())
        if binary:
            raster[s[ok], b, u[ok]] = 1
        else:
            np.add.at(raster, (s[ok], b, u[ok]), 1)
    return inside


def voxel_grid(x, y, t, p, t0, duration, grid):
    """:math:`V[b, y, x] = \\sum_i s_i \\max(0, 1 - |b - t_i^*|)` over the events at
    :math:`(x, y)`, with :math:`t_i^* = \\min((B - 1)(t_i - t_0) / \\Delta T, B - 1)` and
    :math:`s_i = \\pm 1` for ``p = 1 / 0`` (Zhu et al., 2019): the tent kernel evaluated at
    every bin. Twin of :func:`spikecore.kernels.transforms.voxel_grid`."""
    n_bins = grid.shape[0]
    for i in range(len(x)):
        ts = min((n_bins - 1) * float(int(t[i]) - int(t0)) / float(duration), float(n_bins - 1))
        sign = 1.0 if int(p[i]) == 1 else -1.0
        for b in range(n_bins):
            weight = max(0.0, 1.0 - abs(b - ts))
            if weight > 0.0:
                grid[b, int(y[i]), int(x[i])] += sign * weight


def time_surfaces(x, y, p, t, sample_times, tau, surfaces):
    """:math:`S_k[p, y, x] = e^{-(\\tau_k - T)/\\tau}` with :math:`T` the latest time
    :math:`\\le \\tau_k` of an event at :math:`(p, y, x)`, found by scanning every
    event; 0 where there is none (Lagorce et al., 2017). Twin of
    :func:`spikecore.kernels.transforms.time_surfaces`."""
    n_ch, height, width = surfaces.shape[1:]
    for k, now in enumerate(sample_times):
        now = int(now)
        for c in range(n_ch):
            for r in range(height):
                for q in range(width):
                    times = [int(t[i]) for i in range(len(t))
                             if int(p[i]) == c and int(y[i]) == r and int(x[i]) == q and int(t[i]) <= now]
                    surfaces[k, c, r, q] = math.exp(-(now - max(times)) / tau) if times else 0.0


def averaged_time_surfaces(x, y, t, cell, channel, order, offsets, radius, time_window, tau, linear, hist):
    """HATS (Sironi et al., 2018) as Tonic's ``ToAveragedTimesurface``: for every event
    :math:`i`, the local time surface of the earlier events (stream order) of its own cell
    and polarity within :math:`\\rho` pixels and ``time_window`` us, plus 1 at the centre;
    averaged over the events of each (cell, polarity). Built one surface per event by
    scanning the whole stream (``order`` and ``offsets``, the kernel's grouping, are not
    needed here). Twin of :func:`spikecore.kernels.transforms.averaged_time_surfaces`."""
    size = 2 * radius + 1
    n = len(x)
    counts = {}
    sums = {}
    for i in range(n):
        key = (int(cell[i]), int(channel[i]))
        surface = np.zeros((size, size))
        surface[radius, radius] = 1.0
        for j in range(i):
            if (int(cell[j]), int(channel[j])) != key:
                continue
            delta = int(t[i]) - int(t[j])
            dx, dy = int(x[j]) - int(x[i]), int(y[j]) - int(y[i])
            if delta <= time_window and abs(dx) <= radius and abs(dy) <= radius:
                decay = max(0.0, 1.0 - delta / (3.0 * tau)) if linear else math.exp(-delta / tau)
                surface[dy + radius, dx + radius] += decay
        sums[key] = sums.get(key, 0.0) + surface
        counts[key] = counts.get(key, 0) + 1
    for (c, q), total in sums.items():
        hist[c, q] += total / counts[(c, q)]
