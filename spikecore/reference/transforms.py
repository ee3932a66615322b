"""Plain twins of ``spikecore.kernels.transforms`` (same names, same signatures).

Written for a reader: each rule is applied literally, event by event, searching the
earlier events instead of keeping a per-pixel memory. Quadratic in the number of events;
only for tests.
"""
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
