"""Encode a large ``(n_samples, ...)`` array into spikes by chunks of samples, locally or on
a Dask cluster, with the same seeded result whatever the chunking or the number of workers."""
import os

import numpy as np

from spikecore import _validate as v
from spikecore import encoding

#: Encoders ``encode_array`` can split by samples: each works element by element (or, for
#: ``rank_order``, sample by sample), so a chunk of samples encodes exactly as in the whole.
ENCODERS = ("poisson", "regular", "latency", "phase", "tsc", "population", "lif", "integrate_fire",
            "rank_order")

#: Keyword arguments that would make an encoder return something other than one raster.
_TUPLE_OPTIONS = ("return_times", "return_membrane")


def _encode_chunk(x, start, encoder, num_steps, seed, params):
    """Encode samples ``start .. start + len(x) - 1``; returns uint8 ``(T, len(x), ...)``.

    A plain module-level function with picklable arguments, so Dask can run it on a worker.
    Poisson sample ``i`` uses Philox stream ``i`` under the key drawn from ``seed``.
    """
    x = np.asarray(x)
    stop = start + len(x)
    try:
        if encoder == "poisson" and len(x) == 0:
            return encoding.poisson(x, num_steps, random_state=seed, **params)
        if encoder == "poisson":
            out = None
            for i in range(len(x)):
                try:
                    spikes = encoding.poisson(x[i], num_steps, random_state=seed, stream=start + i, **params)
                except ValueError as exc:
                    raise ValueError("x[%d] (sample %d): %s" % (start + i, start + i, exc)) from None
                if out is None:
                    out = np.empty((spikes.shape[0], len(x)) + spikes.shape[1:], np.uint8)
                out[:, i] = spikes
            return out
        if encoder == "rank_order":
            return encoding.rank_order(x, num_steps, batch_axis=True, **params)
        return getattr(encoding, encoder)(x, num_steps, **params)
    except ValueError as exc:
        if encoder == "poisson":
            raise
        raise ValueError("x[%d:%d] (samples %d..%d): %s" % (start, stop, start, stop - 1, exc)) from exc


def _check_params(encoder, params):
    for name in _TUPLE_OPTIONS:
        if params.get(name):
            v.fail(name, params[name], "False in encode_array (it returns one spike raster)")
    for name in ("stream", "batch_axis"):
        if name in params:
            v.fail(name, params[name], "not given: encode_array sets it (%s)" % (
                "Poisson stream = sample index" if name == "stream" else "each sample ranked on its own"))


def _chunks(n, chunk_size):
    return [(a, min(a + chunk_size, n)) for a in range(0, n, chunk_size)]


def encode_array(x, encoder="poisson", num_steps=None, *, client=None, chunk_size=1024, random_state=None,
                 progress=False, **params):
    """Encode every sample of a large array into a spike raster, by chunks of samples, on this
    machine or on the workers of a Dask cluster; the result does not depend on either.

    Sample :math:`i` (row ``x[i]``) is encoded on its own with the chosen encoder of
    :mod:`spikecore.encoding`. For ``"poisson"`` the spikes of sample :math:`i` are

    .. math:: s_{t,i,m} = [\\, u_{t,m}(k, i) < \\theta_{i,m} \\,], \\qquad
              \\theta_{i,m} = \\lfloor p_{i,m}\\, 2^{32} \\rfloor

    where :math:`u_{t,m}(k, i)` are Philox4x32-10 words (Salmon et al., 2011) under the key
    :math:`k` (one seed drawn from ``random_state`` in the calling process) and the stream
    :math:`i`, the sample index, and :math:`p_{i,m}` the spike probability per step of
    element :math:`m` (see :func:`spikecore.encoding.poisson`). Randomness is keyed by the
    sample index, never by the chunk or the worker, so any ``chunk_size`` and any number of
    workers give the same bits: ``encode_array(x, ...)[:, i]`` equals
    ``poisson(x[i], T, random_state=seed, stream=i)``. The other encoders are deterministic
    and element-wise (``rank_order`` ranks each sample on its own).

    Parameters
    ----------
    x : array_like or h5py.Dataset, shape (n_samples, ...)
        Input values; only ``x[a:b]`` slices are read, so an HDF5 dataset larger than memory
        can be passed (the output must fit in this process's memory).
    encoder : str
        One of :data:`ENCODERS`.
    num_steps : int
        Number of time steps ``T`` (optional only for ``rank_order``).
    client : dask.distributed.Client, optional
        Run the chunks on this cluster; ``None`` runs them here.
    chunk_size : int
        Samples per task (>= 1).
    random_state : None, int or numpy.random.Generator
        Seed source of ``"poisson"`` (the same seed gives the same spikes); must be ``None``
        for the deterministic encoders.
    progress : bool
        Show a tqdm progress bar over the chunks; with a client, print the Dask dashboard link once.
    **params
        Keyword arguments of the encoder (``max_rate``, ``dt``, ``x_min``, ``x_max``, ...).

    Returns
    -------
    ndarray of uint8, shape (T, n_samples, ...)
        Time first, as every encoder (population coding adds a trailing field axis).

    Raises
    ------
    ValueError
        Bad arguments, or bad values in ``x``: the message names the chunk's sample range
        (``x[a:b]``) and the encoder's index within it.

    References
    ----------
    Salmon, Moraes, Dror & Shaw (2011), Parallel random numbers: as easy as 1, 2, 3 (Philox);
    Rocklin (2015), Dask: parallel computation with blocked algorithms and task scheduling.
    """
    out = None
    n = None
    for a, b, n, chunk in _encoded_chunks(x, encoder, num_steps, client, chunk_size, random_state, progress, params):
        if out is None:
            out = np.empty((chunk.shape[0], n) + chunk.shape[2:], np.uint8)
        out[:, a:b] = chunk
    return out


def _encoded_chunks(x, encoder, num_steps, client, chunk_size, random_state, progress, params):
    """Check the arguments of :func:`encode_array` and yield ``(a, b, n_samples, raster of
    x[a:b])`` in sample order, computed here or on ``client``; one empty chunk ``(0, 0, 0,
    raster)`` when ``x`` has no samples (so the caller learns the raster's shape)."""
    encoder = v.choice("encoder", encoder, ENCODERS)
    chunk_size = v.integer("chunk_size", chunk_size, low=1)
    progress = v.flag("progress", progress)
    _check_params(encoder, params)
    if not (hasattr(x, "shape") and hasattr(x, "__getitem__")):
        x = v.array("x", x)
    if len(x.shape) < 1:
        v.fail("x", "<scalar>", "an array with a leading sample axis (n_samples, ...)")
    if encoder == "poisson":
        seed = int(v.rng(random_state).integers(0, 2 ** 63))
    else:
        if random_state is not None:
            v.fail("random_state", random_state, "None: encoder %r is deterministic" % encoder)
        seed = None
    n = x.shape[0]
    spans = _chunks(n, chunk_size)
    if not spans:  # no samples: encode an empty array for the right (T, 0, ...) shape
        yield 0, 0, 0, _encode_chunk(np.asarray(x[0:0]), 0, encoder, num_steps, seed, params)
        return
    if client is None:
        results = (_encode_chunk(x[a:b], a, encoder, num_steps, seed, params) for a, b in spans)
    else:
        from ._dask import announce, check_client, map_in_order
        check_client(client)
        if progress:
            announce(client, "encode %s" % encoder)
        # each chunk travels inside its task (not scattered), so a task lost with its worker can run again
        tasks = ((np.asarray(x[a:b]), a, encoder, num_steps, seed, params) for a, b in spans)
        results = (chunk for _, chunk in map_in_order(client, _encode_chunk, tasks))
    if progress:
        from tqdm.auto import tqdm
        results = tqdm(results, total=len(spans), desc="encode %s" % encoder, unit="chunk")
    for (a, b), chunk in zip(spans, results):
        yield a, b, n, chunk


def raster_to_samples(raster, dt):
    r"""Spike lists of a raster ``(T, n, ...)`` in the flat form of
    :meth:`spikecore.datasets.SpikeDatasetWriter.extend`: ``(times, units, lengths)``.

    Sample :math:`i` gets one spike at time :math:`t\,\Delta t` on unit :math:`u` for every
    nonzero ``raster[t, i, ...]``, where :math:`u` is the C-order index of the trailing axes
    (``np.ravel_multi_index``); each sample's spikes are sorted by time, then unit.
    """
    raster = np.asarray(raster)
    if raster.ndim < 2:
        v.fail("raster", "<array of shape %s>" % (raster.shape,), "a raster (T, n_samples, ...)")
    T, n = raster.shape[:2]
    flat = raster.reshape(T, n, -1).transpose(1, 0, 2)  # (n, T, units): nonzero() comes out sample, time, unit
    sample, step, unit = np.nonzero(flat)
    lengths = np.bincount(sample, minlength=n).astype(np.int64)
    return step * float(dt), unit.astype(np.int64), lengths


def encode_to_dataset(x, path, labels=None, encoder="poisson", num_steps=None, *, dt=1e-3, keys=None,
                      client=None, chunk_size=1024, random_state=None, progress=False, **params):
    r"""Encode every sample of ``x`` into spikes, as :func:`encode_array` does, and write them
    to the HDF5 spike dataset ``path`` chunk by chunk, so neither the rasters nor the spikes
    of the whole array are ever in memory at once.

    Sample :math:`i`'s spikes are those of ``encode_array(x, ...)[:, i]`` (the same bits for
    the same ``random_state``, whatever ``chunk_size`` or ``client``), stored as spike lists
    (:func:`raster_to_samples`): time :math:`t\,\Delta t` in seconds, unit = C-order index of
    the element (and population field). The file is written atomically
    (:class:`spikecore.datasets.SpikeDatasetWriter`): a failure leaves no partial file and any
    earlier file at ``path`` intact.

    Parameters
    ----------
    x : array_like or h5py.Dataset, shape (n_samples, ...)
        Input values (only ``x[a:b]`` slices are read).
    path : str or path-like
        Output ``.h5`` spike dataset.
    labels : array_like of int (n_samples,), optional
        Class of each sample (stored as ``labels``; 0 for every sample when omitted).
    encoder, num_steps, client, chunk_size, random_state, progress, **params
        As :func:`encode_array`.
    dt : float
        Duration of one step in seconds (the spike times' unit; also passed to encoders
        that take ``dt``, such as ``poisson``'s rates in Hz).
    keys : sequence of str, optional
        Class names (``keys[label]``), stored as ``extra/keys``.

    Returns
    -------
    str
        The path written.
    """
    from spikecore.datasets import SpikeDatasetWriter
    path = v.path("path", path)
    if os.path.isdir(path):
        v.fail("path", path, "a file path (it is a folder)", IsADirectoryError)
    dt = v.positive("dt", dt, unit="s")
    if keys is not None:
        keys = v.sequence("keys", keys, "None or a sequence of class names")
    n_samples = x.shape[0] if hasattr(x, "shape") and len(x.shape) else None
    if labels is not None:
        labels = v.array("labels", labels, ndim=1, kinds="iu")
        if n_samples is not None and len(labels) != n_samples:
            v.fail("labels", "<%d labels>" % len(labels), "one label per sample of x (%d)" % n_samples)
    import inspect
    encoder_name = v.choice("encoder", encoder, ENCODERS)
    if "dt" in inspect.signature(getattr(encoding, encoder_name)).parameters:
        params = dict(params, dt=dt)
    writer = None
    try:
        for a, b, _, chunk in _encoded_chunks(x, encoder, num_steps, client, chunk_size, random_state,
                                               progress, params):
            if writer is None:
                n_units = int(np.prod(chunk.shape[2:], dtype=np.int64))
                record = {k: val for k, val in params.items() if isinstance(val, (int, float, str, bool))}
                writer = SpikeDatasetWriter(path, max(n_units, 1), encoding=encoder_name,
                                            encoding_params=dict(record, num_steps=int(chunk.shape[0]), dt=dt),
                                            time_resolution=dt, time_dtype="float64", keys=keys,
                                            attrs={"input_shape": np.asarray(chunk.shape[2:], np.int64)})
            times, units, lengths = raster_to_samples(chunk, dt)
            block_labels = np.zeros(b - a, np.int64) if labels is None else labels[a:b]
            writer.extend(times, units, lengths, block_labels)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    return writer.close()
