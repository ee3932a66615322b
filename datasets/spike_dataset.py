"""HDF5 spike datasets in the SHD/SSC layout (Cramer et al., 2020): writer and lazy reader.

Layout (the one the Heidelberg spiking data sets are published in, so their tooling reads
our files and we read theirs)::

    /spikes/times   (N,) variable-length float arrays: spike times of sample i, seconds
    /spikes/units   (N,) variable-length unsigned int arrays: the unit (input channel) of
                    each spike of sample i, same length as times[i]
    /labels         (N,) integer class of each sample
    /extra/keys     (optional) class names, keys[label]
    /extra/<name>   (optional) one value per sample (SHD: ``speaker``; ours: e.g. ``source``)

The published SHD/SSC files store ``times`` as float16 and ``units`` / ``labels`` as
uint16 (700 cochlea channels, 20 or 35 classes). Our writer keeps the layout and picks
the dtypes: ``times`` float32 by default (float64 for event-camera data, whose
microsecond timestamps must survive exactly), ``units`` the smallest unsigned integer
that holds ``n_units``, ``labels`` uint16 (int64 when a label does not fit).

Our files add a root attribute block that says what produced the spikes:

=====================  =============================================================
``spikecore_format``   ``"spikecore.spike_dataset"`` (marks a file written by us)
``format_version``     1
``n_units``            number of units (input neurons); units are ``0 .. n_units-1``
``n_samples``          N
``time_unit``          ``"s"``
``time_resolution``    clock tick of the source in seconds (1e-6 for event cameras), or
                       absent when times are continuous
``encoding``           name of the encoding that produced the spikes (e.g.
                       ``"nmnist_events"``, ``"dvs_gesture_events"``, ``"shd_cochlea"``)
``encoding_params``    JSON object of its parameters
``sensor_size``        event-camera data only: ``(W, H, P)``
``unit_mapping``       event-camera data only: ``"unit = p*W*H + y*W + x"``, the
                       C-order index of pixel ``(x, y)`` and polarity ``p`` in a
                       ``(P, H, W)`` frame (so a sample's units reshape to frames)
=====================  =============================================================

HDF5 filters (gzip here) compress the chunked per-sample index of a variable-length
dataset, not the arrays themselves, which HDF5 keeps in its global heap: the layout is
fixed by SHD compatibility, so the payload is stored uncompressed (as in the published
files).
"""
import collections
import collections.abc
import json
import numbers
import os
import sys

import h5py
import numpy as np

from spikecore import __version__
from spikecore import _validate as v
from spikecore._atomic import atomic_path

FORMAT_NAME = "spikecore.spike_dataset"
FORMAT_VERSION = 1
UNIT_MAPPING = "unit = p*W*H + y*W + x"

_LAYOUT_HINT = ("expected the SHD/SSC layout (Cramer et al. 2020): datasets spikes/times, "
                "spikes/units (one variable-length array per sample) and labels")


class SpikeDatasetError(ValueError):
    """A file is not a readable spike dataset; the message names the file and what is wrong."""


Sample = collections.namedtuple("Sample", "times units label")
Sample.__doc__ = """One sample: ``times`` float64 seconds, ``units`` int64, ``label`` int."""

Batch = collections.namedtuple("Batch", "indices times units labels")
Batch.__doc__ = """A batch of samples: ``indices`` int64 (B,), ``times`` / ``units`` lists of
B arrays, ``labels`` int64 (B,)."""


def _unit_dtype(n_units):
    for dt in (np.uint8, np.uint16, np.uint32):
        if n_units - 1 <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.uint64)


#: A writer also flushes when this many spikes are buffered (bounds memory for long recordings).
_FLUSH_EVENTS = 1 << 22


def _integers(name, values):
    """A 1-D integer array (an empty list, whose NumPy dtype is float, is accepted as no values)."""
    arr = v.array(name, values, ndim=1, kinds="biuf")
    if arr.dtype.kind not in "iu":
        if arr.size:
            v.fail(name, v._Described("<array of dtype %s>" % arr.dtype), "integers", TypeError)
        arr = arr.astype(np.int64)
    return arr


def _check_block(times, units, lengths, n_units, time_dtype, first=0):
    """Check a block of samples in flat form (see :meth:`SpikeDatasetWriter.extend`) and
    return ``(times, units, lengths)``: times cast to ``time_dtype`` (through float64, as
    one sample at a time would be), units as given, lengths int64.

    Errors name the sample (``first`` + its index in the block). Shared by the writer and
    the part files of a distributed conversion, so both reject exactly the same input.
    """
    lengths = _integers("lengths", lengths).astype(np.int64, copy=False)
    t = v.array("times", times, ndim=1, finite=True)
    u = _integers("units", units)
    if lengths.size and lengths.min() < 0:
        v.fail("lengths", "<array with minimum %d>" % lengths.min(), "spike counts >= 0")
    if t.shape != u.shape:
        v.fail("units", "<array of shape %s>" % (u.shape,), "the shape of times %s" % (t.shape,))
    if t.size != int(lengths.sum()):
        v.fail("lengths", "<%d samples with %d spikes in all>" % (lengths.size, lengths.sum()),
               "spike counts summing to the %d times given" % t.size)
    ends = np.cumsum(lengths)

    def sample(k):  # the sample that holds spike k of the block
        return first + int(np.searchsorted(ends, k, side="right"))

    t = t.astype(np.float64, copy=False)
    if t.size and t.min() < 0:
        k = int(np.argmin(t))
        v.fail("times", "<array with minimum %r>" % t[k], "times >= 0 seconds (sample %d)" % sample(k))
    if u.size:
        low, high = u.min(), u.max()
        if low < 0 or high >= n_units:
            k = int(np.flatnonzero((u < 0) | (u >= n_units))[0])
            v.fail("units", "<array with range %d..%d>" % (low, high),
                   "units in 0..%d (n_units - 1; sample %d)" % (n_units - 1, sample(k)))
    with np.errstate(over="ignore"):  # an overflow is reported below, naming the sample
        stored = t.astype(time_dtype, copy=False)
    if stored.dtype != t.dtype and not np.all(np.isfinite(stored)):
        k = int(np.flatnonzero(~np.isfinite(stored))[0])
        v.fail("times", "<array with %r>" % t[k], "times that fit time_dtype %s (sample %d)" % (stored.dtype, sample(k)))
    return np.ascontiguousarray(stored), np.ascontiguousarray(u), lengths


def _write_vlen(ds, start, blocks):
    """Write samples ``start, start + 1, ...`` of the 1-D variable-length dataset ``ds``
    in one ``H5Dwrite``, straight from flat arrays.

    ``blocks`` is a list of ``(flat, lengths)``: C-contiguous arrays already of the
    dataset's base dtype and their per-sample lengths. HDF5 reads variable-length memory
    as ``hvl_t {size_t len; void *p}`` records; we build them pointing into the flat
    arrays (kept alive by ``blocks`` during the call), so there is no per-sample Python
    object and no copy before HDF5's own.
    """
    base = h5py.check_vlen_dtype(ds.dtype)
    records, n = [], 0
    for flat, lengths in blocks:
        if flat.dtype != base or not flat.flags.c_contiguous:
            raise TypeError("internal: flat block of dtype %s for a vlen %s dataset" % (flat.dtype, base))
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.uint64)
        hvl = np.empty(len(lengths), dtype=[("len", np.uintp), ("p", np.uintp)])
        hvl["len"] = lengths
        hvl["p"] = np.where(lengths > 0, np.uint64(flat.ctypes.data) + offsets * np.uint64(flat.itemsize), 0)
        records.append(hvl)
        n += len(lengths)
    if n == 0:
        return
    hvl = np.concatenate(records) if len(records) > 1 else records[0]
    memory_type = h5py.h5t.vlen_create(h5py.h5t.py_create(base))
    file_space = ds.id.get_space()
    file_space.select_hyperslab((start,), (n,))
    ds.id.write(h5py.h5s.create_simple((n,)), file_space, hvl, mtype=memory_type)


def sensor_size_3(name, sensor_size):
    """``sensor_size`` as ``(W, H, P)``: three positive integers (no float truncated)."""
    size = v.sequence(name, sensor_size, "(W, H, P): three positive integers")
    if len(size) != 3:
        v.fail(name, sensor_size, "(W, H, P): three positive integers")
    return tuple(v.integer(name, s, low=1) for s in size)


def _json_params(params):
    if params is None:
        return "{}"
    if not isinstance(params, collections.abc.Mapping):
        v.fail("encoding_params", params, "None or a dict of JSON-serialisable parameters", TypeError)
    try:
        return json.dumps(dict(params), sort_keys=True)
    except (TypeError, ValueError) as exc:
        v.fail("encoding_params", params, "JSON-serialisable parameters (%s)" % exc, TypeError)


class SpikeDatasetWriter:
    """Write a spike dataset sample by sample, atomically, in the SHD/SSC layout.

    Samples are appended to a temporary file in the destination folder; :meth:`close`
    writes labels and attributes and renames it onto ``path`` (``os.replace``). If the
    writer is used as a context manager and the block raises, nothing is renamed: a
    previous file at ``path`` stays intact. Memory use is one block of samples (``block``
    samples, or fewer when they hold over :math:`2^{22}` spikes). :meth:`extend` adds many
    samples at once from flat arrays, with one HDF5 write per block.

    Parameters
    ----------
    path : str or path-like
        Destination ``.h5`` file.
    n_units : int
        Number of units; every unit index must satisfy ``0 <= unit < n_units``.
    encoding : str, optional
        Name of what produced the spikes (stored in the ``encoding`` attribute).
    encoding_params : dict, optional
        JSON-serialisable parameters of that encoding.
    sensor_size : tuple of int, optional
        ``(W, H, P)`` for event-camera data; adds ``sensor_size`` and ``unit_mapping``
        attributes (units are :math:`u = p W H + y W + x`).
    time_resolution : float, optional
        Clock tick of the source in seconds (1e-6 for event cameras).
    keys : sequence of str, optional
        Class names (``extra/keys``; ``keys[label]`` names a class).
    attrs : dict, optional
        More root attributes (numbers, strings or arrays).
    time_dtype : {"float16", "float32", "float64"}
        Storage dtype of spike times (SHD itself uses float16).
    compression : {"gzip", "lzf", None}
        HDF5 filter for the chunked datasets.
    block : int
        Samples buffered in memory between writes (also the chunk length).

    References
    ----------
    Cramer, B., Stradmann, Y., Schemmel, J. & Zenke, F. (2020). The Heidelberg spiking
    data sets for the systematic evaluation of spiking neural networks. IEEE TNNLS.
    """

    def __init__(self, path, n_units, *, encoding=None, encoding_params=None, sensor_size=None,
                 time_resolution=None, keys=None, attrs=None, time_dtype="float32",
                 compression="gzip", block=256):
        self.path = os.path.abspath(v.path("path", path))
        if os.path.isdir(self.path):
            v.fail("path", path, "a file path (it is a folder)", IsADirectoryError)
        self.n_units = v.integer("n_units", n_units, low=1)
        try:
            dtype_name = str(np.dtype(time_dtype)) if time_dtype is not None else None
        except TypeError:
            dtype_name = time_dtype
        v.choice("time_dtype", dtype_name, ("float16", "float32", "float64"))
        v.choice("compression", compression, ("gzip", "lzf", None))
        self._block = v.integer("block", block, low=1)
        self._time_dtype = np.dtype(time_dtype)
        self._unit_dtype = _unit_dtype(self.n_units)
        self._attrs = {
            "spikecore_format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "n_units": self.n_units,
            "time_unit": "s",
            "encoding": "" if encoding is None else str(encoding),
            "encoding_params": _json_params(encoding_params),
        }
        self._attrs["spikecore_version"] = __version__
        if time_resolution is not None:
            self._attrs["time_resolution"] = v.positive("time_resolution", time_resolution, "s")
        if sensor_size is not None:
            size = sensor_size_3("sensor_size", sensor_size)
            if size[0] * size[1] * size[2] != self.n_units:
                v.fail("sensor_size", sensor_size, "(W, H, P) of positive ints with W*H*P == n_units = %d"
                       % self.n_units)
            self._attrs["sensor_size"] = np.array(size, dtype=np.int64)
            self._attrs["unit_mapping"] = UNIT_MAPPING
        if attrs is not None and not isinstance(attrs, collections.abc.Mapping):
            v.fail("attrs", attrs, "None or a dict {name: number, string or numeric array}", TypeError)
        for k, val in (attrs or {}).items():
            if not isinstance(k, str):
                v.fail("attrs", k, "string attribute names", TypeError)
            if k in self._attrs:
                v.fail("attrs", k, "a name other than the reserved %s" % sorted(self._attrs))
            if not isinstance(val, str) and np.asarray(val).dtype.kind not in "biufSU":
                v.fail("attrs[%r]" % k, val, "a number, a string or a numeric array (an HDF5 attribute)", TypeError)
            self._attrs[k] = val
        if keys is not None:
            keys = v.sequence("keys", keys, "None or a sequence of class names")
            for k in keys:
                if not isinstance(k, (str, bytes, numbers.Integral)):
                    v.fail("keys", keys, "class names (strings)", TypeError)
        self._keys = None if keys is None else [k.decode() if isinstance(k, bytes) else str(k) for k in keys]
        self._labels = []
        self._extra = None
        self._pending, self._pending_n, self._pending_events = [], 0, 0
        self._n = 0
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._closed = False
        try:
            self._h5 = h5py.File(self._tmp, "w")
            kw = dict(chunks=(self._block,), maxshape=(None,), compression=compression)
            self._times = self._h5.create_dataset("spikes/times", (0,), dtype=h5py.vlen_dtype(self._time_dtype), **kw)
            self._units = self._h5.create_dataset("spikes/units", (0,), dtype=h5py.vlen_dtype(self._unit_dtype), **kw)
        except BaseException:
            self._ctx.__exit__(*sys.exc_info())
            raise
        self._compression = compression

    def __len__(self):
        return self._n + self._pending_n

    @property
    def time_dtype(self):
        """Storage dtype of spike times (numpy dtype)."""
        return self._time_dtype

    @property
    def unit_dtype(self):
        """Storage dtype of units: the smallest unsigned integer holding ``n_units - 1``."""
        return self._unit_dtype

    def append(self, times, units, label, **extra):
        """Add one sample.

        Parameters
        ----------
        times : array-like of float (k,)
            Spike times in seconds, finite and >= 0.
        units : array-like of int (k,)
            Unit of each spike, ``0 <= units < n_units``.
        label : int
            Class of the sample.
        **extra
            Per-sample values (numbers or strings) stored as ``extra/<name>``; every
            sample must give the same names.
        """
        self._check_open()
        t = v.array("times", times, ndim=1, finite=True)
        u = _integers("units", units)
        if t.shape != u.shape:
            v.fail("units", "<array of shape %s>" % (u.shape,), "the shape of times %s (sample %d)" % (t.shape, len(self)))
        label = v.integer("label", label)
        self.extend(t, u, [t.size], [label], **{k: [val] for k, val in extra.items()})

    def extend(self, times, units, lengths, labels, **extra):
        """Add a block of samples given as flat arrays (the compressed sparse row form).

        Sample :math:`i` of the block is ``times[o_i : o_{i+1}]`` / ``units[o_i : o_{i+1}]``
        with offsets :math:`o_0 = 0`, :math:`o_{i+1} = o_i + \\mathrm{lengths}_i`. The file
        is the same as appending the samples one by one (:meth:`append`), without the
        per-sample Python work: the block is checked with a few whole-array operations and
        written with one HDF5 write per dataset.

        Parameters
        ----------
        times : array-like of float (sum(lengths),)
            Spike times in seconds of every sample, one after the other; finite, >= 0.
        units : array-like of int (sum(lengths),)
            Units, ``0 <= units < n_units``.
        lengths : array-like of int (B,)
            Number of spikes of each sample (0 allowed).
        labels : array-like of int (B,)
            Class of each sample.
        **extra
            ``name=`` a sequence of B per-sample values (stored as ``extra/<name>``); the
            same names as every other sample.
        """
        self._check_open()
        t, u, lengths = _check_block(times, units, lengths, self.n_units, self._time_dtype, first=len(self))
        self._add_block(t, u, lengths, labels, extra, check_extra=True)

    def _extend_checked(self, times, units, lengths, labels, **extra):
        """:meth:`extend` for a block that already went through ``_check_block`` with this
        writer's ``n_units`` and time dtype, units cast to :attr:`unit_dtype` (the dataset-folder
        conversion checks each file once, where its errors can name the file; a distributed
        conversion's parts hold such blocks). The values are not checked again; the dtypes are."""
        self._check_open()
        if (times.dtype != self._time_dtype or units.dtype != self._unit_dtype
                or not (times.flags.c_contiguous and units.flags.c_contiguous)):
            raise TypeError("internal: a checked block of %s times and %s units for a writer of %s / %s"
                            % (times.dtype, units.dtype, self._time_dtype, self._unit_dtype))
        self._add_block(times, units, np.asarray(lengths, np.int64), labels, extra)

    def _add_block(self, t, u, lengths, labels, extra, check_extra=False):
        lab = _integers("labels", labels)
        if lab.shape != lengths.shape:
            v.fail("labels", "<array of shape %s>" % (lab.shape,), "one label per sample, shape %s" % (lengths.shape,))
        if not len(lengths):
            return
        names = tuple(sorted(extra))
        if self._extra is not None and names != tuple(sorted(self._extra)):
            v.fail("extra", names, "the same extra names as earlier samples %s (sample %d)"
                   % (tuple(sorted(self._extra)), len(self)))
        values = {}
        for k in names:
            values[k] = v.sequence(k, extra[k], "a sequence of one value per sample")
            if len(values[k]) != len(lengths):
                v.fail("extra", "<%d values of %r>" % (len(values[k]), k), "one value per sample (%d)" % len(lengths))
            if check_extra:
                for val in values[k]:
                    if not isinstance(val, (str, bytes, numbers.Number, np.generic)):
                        v.fail(k, val, "a number or a string per sample (stored as extra/%s)" % k, TypeError)
        if self._extra is None:
            self._extra = {k: [] for k in names}
        for k in names:
            self._extra[k].extend(values[k])
        self._labels.extend(int(x) for x in lab)
        self._pending.append((t, u.astype(self._unit_dtype, copy=False), lengths))
        self._pending_n += len(lengths)
        self._pending_events += t.size
        if self._pending_n >= self._block or self._pending_events >= _FLUSH_EVENTS:
            self._flush()

    def _flush(self):
        if not self._pending_n:
            return
        a, b = self._n, self._n + self._pending_n
        for ds, k in ((self._times, 0), (self._units, 1)):
            ds.resize((b,))
            _write_vlen(ds, a, [(chunk[k], chunk[2]) for chunk in self._pending])
        self._n = b
        self._pending, self._pending_n, self._pending_events = [], 0, 0

    def _check_open(self):
        if self._closed:
            raise ValueError("SpikeDatasetWriter for %s is already closed" % self.path)

    def close(self):
        """Write labels, extras and attributes, then rename the file onto ``path``."""
        self._check_open()
        try:
            self._flush()
            labels = np.asarray(self._labels, dtype=np.int64)
            fits16 = labels.size == 0 or (labels.min() >= 0 and labels.max() <= np.iinfo(np.uint16).max)
            kw = dict(compression=self._compression) if labels.size else {}
            self._h5.create_dataset("labels", data=labels.astype(np.uint16 if fits16 else np.int64), **kw)
            if self._keys is not None:
                self._h5.create_dataset("extra/keys", data=np.array(self._keys, dtype=object),
                                        dtype=h5py.string_dtype())
            for name, values in (self._extra or {}).items():
                arr = np.asarray(values)
                if arr.dtype.kind in "US":
                    self._h5.create_dataset("extra/" + name, data=arr.astype(object), dtype=h5py.string_dtype(), **kw)
                else:
                    self._h5.create_dataset("extra/" + name, data=arr, **kw)
            self._attrs["n_samples"] = self._n
            for k, val in self._attrs.items():
                self._h5.attrs[k] = val
            self._h5.close()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._ctx.__exit__(None, None, None)
        return self.path

    def abort(self):
        """Discard everything written; a previous file at ``path`` is left as it was."""
        if self._closed:
            return
        self._closed = True
        try:
            self._h5.close()
        except Exception:
            pass
        aborted = RuntimeError("write aborted")
        self._ctx.__exit__(RuntimeError, aborted, None)  # removes the temporary file

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def spike_count_features(dataset, start=0, stop=None):
    r"""Spike count of every unit of samples ``start .. stop - 1`` of a spike dataset: the
    rate code ``spikecore train --data file.h5`` and ``spikecore.distributed.evaluate`` use.

    .. math:: X_{i,u} = \#\{k : \mathrm{units}_i[k] = u\}, \qquad u = 0 \dots N_\mathrm{units} - 1

    Parameters
    ----------
    dataset : SpikeDataset
    start, stop : int
        Sample range (default: every sample).

    Returns
    -------
    X : float32 ndarray (stop - start, n_units)
        ``n_units`` from the file; for a file that does not record it, one past the largest
        unit in the range read.
    y : int64 ndarray (stop - start,)
    """
    if not isinstance(dataset, SpikeDataset):
        v.fail("dataset", dataset, "a SpikeDataset", TypeError)
    start = v.integer("start", start, low=0, high=len(dataset))
    stop = len(dataset) if stop is None else v.integer("stop", stop, low=start, high=len(dataset))
    batch = dataset.batch(np.arange(start, stop))
    n_units = dataset.n_units
    if n_units is None:
        n_units = max((int(u.max()) + 1 for u in batch.units if u.size), default=1)
    X = np.zeros((stop - start, n_units), np.float32)
    for i, units in enumerate(batch.units):
        if units.size and (units.min() < 0 or units.max() >= n_units):
            v.fail("data", "%s sample %d" % (dataset.path, start + i),
                   "units in 0..%d (n_units = %d)" % (n_units - 1, n_units))
        X[i] = np.bincount(units, minlength=n_units)
    return X, np.asarray(batch.labels)


def write_spike_dataset(path, times, units, labels, n_units, **kwargs):
    """Write whole lists of samples as a spike dataset (see :class:`SpikeDatasetWriter`).

    Parameters
    ----------
    path : str or path-like
        Destination file (replaced atomically).
    times, units : sequence of 1-D arrays
        ``times[i]`` (seconds) and ``units[i]`` of sample ``i``.
    labels : sequence of int
        Class of each sample.
    n_units : int
        Number of units.
    **kwargs
        Passed to :class:`SpikeDatasetWriter` (``encoding``, ``encoding_params``,
        ``sensor_size``, ``time_resolution``, ``keys``, ``attrs``, ``time_dtype``, ...).

    Returns
    -------
    str
        The absolute path written.
    """
    times = v.sequence("times", times, "a sequence of 1-D arrays of spike times, one per sample")
    units = v.sequence("units", units, "a sequence of 1-D arrays of units, one per sample")
    labels = v.sequence("labels", labels, "a sequence of integer labels, one per sample")
    if not (len(times) == len(units) == len(labels)):
        v.fail("labels", "<%d labels, %d times, %d units>" % (len(labels), len(times), len(units)),
               "as many times, units and labels")
    with SpikeDatasetWriter(path, n_units, **kwargs) as w:
        for t, u, lab in zip(times, units, labels):
            w.append(t, u, lab)
    return w.path


class SpikeDataset:
    """Lazy reader of an SHD-layout spike dataset (ours, or the published SHD/SSC files).

    Nothing but the labels is read at construction; samples are read from disk when
    indexed, so datasets larger than memory stream. The file handle is opened on first
    use in each process (safe to pickle into worker processes).

    Parameters
    ----------
    path : str or path-like
        The ``.h5`` file.
    n_units : int, optional
        Number of units, needed for dense rasters when the file does not say (the
        published SHD/SSC files do not: pass 700).

    Attributes
    ----------
    path : str
    n_units : int or None
    labels : int64 ndarray (N,)
    keys : list of str or None
        Class names from ``extra/keys``.
    attrs : dict
        Root attributes (encoding, parameters, sensor size, ...).
    encoding : str
    encoding_params : dict
    sensor_size : tuple or None
        ``(W, H, P)`` for event-camera data.
    time_resolution : float or None
        Source clock tick in seconds, used to bin times exactly.

    Examples
    --------
    >>> ds = SpikeDataset("shd_train.h5", n_units=700)          # doctest: +SKIP
    >>> for raster, labels in ds.raster_batches(64, dt=1e-3, T=1000, seed=0):  # doctest: +SKIP
    ...     pass  # raster: uint8 (1000, 64, 700)
    """

    def __init__(self, path, n_units=None):
        self.path = os.path.abspath(v.path("path", path))
        self._h5 = None
        self._pid = None
        if n_units is not None:
            n_units = v.integer("n_units", n_units, low=1)
        h5 = self._file()
        try:
            self._read_layout(h5, n_units)
        except (SpikeDatasetError, ValueError, TypeError):
            self.close()
            raise
        except (OSError, RuntimeError, KeyError) as exc:  # HDF5 errors of a damaged file
            self.close()
            raise SpikeDatasetError("%s: damaged spike dataset (%s: %s)"
                                    % (self.path, type(exc).__name__, exc)) from exc

    def _read_layout(self, h5, n_units):
        for name in ("spikes/times", "spikes/units", "labels"):
            if name not in h5 or not isinstance(h5[name], h5py.Dataset):
                raise SpikeDatasetError("%s: missing dataset '%s'; %s" % (self.path, name, _LAYOUT_HINT))
        times, units = h5["spikes/times"], h5["spikes/units"]
        for name, ds, kinds in (("spikes/times", times, "f"), ("spikes/units", units, "iu")):
            base = h5py.check_vlen_dtype(ds.dtype)
            ok = (base is not None and ds.ndim == 1 and base.kind in kinds) or \
                 (base is None and ds.ndim == 2 and ds.dtype.kind in kinds)
            if not ok:
                raise SpikeDatasetError("%s: dataset '%s' has dtype %s and shape %s; %s (%s)" % (
                    self.path, name, ds.dtype if base is None else "vlen " + str(base), ds.shape, _LAYOUT_HINT,
                    "float times" if kinds == "f" else "integer units"))
        try:
            labels = h5["labels"][()]
        except (OSError, RuntimeError) as exc:
            raise SpikeDatasetError("%s: cannot read dataset 'labels' (%s)" % (self.path, exc)) from exc
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise SpikeDatasetError("%s: dataset 'labels' has dtype %s and shape %s; expected one integer per "
                                    "sample" % (self.path, labels.dtype, labels.shape))
        if not (len(times) == len(units) == len(labels)):
            raise SpikeDatasetError("%s: spikes/times has %d samples, spikes/units %d, labels %d; they must match"
                                    % (self.path, len(times), len(units), len(labels)))
        self.labels = labels.astype(np.int64)
        self.attrs = {k: (val.decode() if isinstance(val, bytes) else val) for k, val in h5.attrs.items()}
        file_n = self.attrs.get("n_units")
        if n_units is not None:
            if file_n is not None and int(file_n) != n_units:
                v.fail("n_units", n_units, "%d, the value stored in %s" % (int(file_n), self.path))
        self.n_units = n_units if n_units is not None else (None if file_n is None else int(file_n))
        self.keys = None
        if "extra/keys" in h5:
            self.keys = [k.decode() if isinstance(k, bytes) else str(k) for k in h5["extra/keys"][()]]
        self.encoding = str(self.attrs.get("encoding", ""))
        try:
            self.encoding_params = json.loads(self.attrs.get("encoding_params", "{}"))
        except (TypeError, ValueError) as exc:
            raise SpikeDatasetError("%s: attribute 'encoding_params' is not JSON (%s)" % (self.path, exc)) from exc
        size = self.attrs.get("sensor_size")
        res = self.attrs.get("time_resolution")
        try:
            if size is not None and isinstance(size, np.ndarray) and size.dtype.kind == "f" \
                    and np.all(np.isfinite(size)) and np.all(size == np.round(size)):
                size = size.astype(np.int64)  # whole numbers stored as floats by another writer
            self.sensor_size = None if size is None else sensor_size_3("sensor_size", size)
            self.time_resolution = None if res is None else v.positive("time_resolution", res, "s")
        except (TypeError, ValueError) as exc:
            raise SpikeDatasetError("%s: attribute %s" % (self.path, exc)) from exc

    # -- file handle -------------------------------------------------------------------
    def _file(self):
        if self._h5 is None or self._pid != os.getpid():
            if not os.path.exists(self.path):
                raise FileNotFoundError("%s: no such spike dataset file" % self.path)
            try:
                self._h5 = h5py.File(self.path, "r")
            except OSError as exc:
                raise SpikeDatasetError("%s: not a readable HDF5 file (%s); %s" % (self.path, exc, _LAYOUT_HINT)) from exc
            self._pid = os.getpid()
        return self._h5

    def close(self):
        """Close the file handle (it reopens on the next access)."""
        if self._h5 is not None and self._pid == os.getpid():
            self._h5.close()
        self._h5 = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_h5"] = None
        state["_pid"] = None
        return state

    def __repr__(self):
        return "SpikeDataset(%r, samples=%d, n_units=%s, encoding=%r)" % (
            self.path, len(self), self.n_units, self.encoding)

    # -- samples -----------------------------------------------------------------------
    def __len__(self):
        return len(self.labels)

    def _index(self, i):
        i = v.integer("index", i)
        n = len(self)
        if not -n <= i < n:
            raise IndexError("index = %d: expected -%d <= index < %d (samples in %s)" % (i, n, n, self.path))
        return i % n

    def _read(self, indices):
        """Read the spikes of sorted unique ``indices`` in one HDF5 selection each."""
        h5 = self._file()
        out = []
        for name in ("spikes/times", "spikes/units"):
            ds = h5[name]
            try:
                rows = ds[indices] if len(indices) > 1 else [ds[int(indices[0])]]
            except (OSError, RuntimeError) as exc:
                raise SpikeDatasetError("%s: cannot read '%s' for samples %s (%s)" % (
                    self.path, name, list(indices[:5]), exc)) from exc
            out.append(list(rows))
        return out

    def _sample(self, i, t, u):
        t = np.asarray(t, dtype=np.float64).ravel()
        u = np.asarray(u).ravel().astype(np.int64)
        if t.shape != u.shape:
            raise SpikeDatasetError("%s: sample %d has %d times but %d units" % (self.path, i, t.size, u.size))
        if t.size and not (np.isfinite(t).all() and t.min() >= 0):
            bad = t[~(np.isfinite(t) & (t >= 0))][0]
            raise SpikeDatasetError("%s: sample %d has the spike time %r; expected finite times >= 0 seconds"
                                    % (self.path, i, float(bad)))
        return t, u

    def __getitem__(self, i):
        """Sample ``i`` as ``Sample(times float64 seconds, units int64, label int)``."""
        i = self._index(i)
        (t,), (u,) = self._read(np.array([i]))
        t, u = self._sample(i, t, u)
        return Sample(t, u, int(self.labels[i]))

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def batch(self, indices):
        """Read the samples ``indices`` (any order, repeats allowed) as a :class:`Batch`."""
        idx = v.indices("indices", indices, ndim=None).ravel()
        n = len(self)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            bad = int(idx[(idx < -n) | (idx >= n)][0])
            raise IndexError("indices = %d: expected -%d <= index < %d (samples in %s)" % (bad, n, n, self.path))
        idx = idx % n if n else idx
        if idx.size == 0:
            return Batch(idx, [], [], np.zeros(0, np.int64))
        uniq, inverse = np.unique(idx, return_inverse=True)
        times, units = self._read(uniq)
        pairs = [self._sample(int(uniq[k]), times[k], units[k]) for k in range(len(uniq))]
        return Batch(idx, [pairs[k][0] for k in inverse], [pairs[k][1] for k in inverse], self.labels[idx])

    def events(self, i):
        """Sample ``i`` of an event-camera dataset as camera events (fields t in
        microseconds from the sample's origin, x, y, p), inverting the stored
        ``unit_mapping`` (:func:`spikecore.datasets.transforms.from_spike_list`)."""
        from spikecore.datasets.transforms import from_spike_list
        if self.sensor_size is None:
            v.fail("sensor_size", None, "a camera dataset with a 'sensor_size' attribute (%s has none)" % self.path)
        s = self[i]
        return from_spike_list(s.times, s.units, self.sensor_size)

    @property
    def extra_names(self):
        """Names of the per-sample datasets under ``extra/`` (``keys`` excluded)."""
        h5 = self._file()
        if "extra" not in h5:
            return []
        return sorted(k for k, item in h5["extra"].items() if isinstance(item, h5py.Dataset) and k != "keys")

    def extra(self, name):
        """The per-sample values of ``extra/<name>`` (e.g. SHD's ``speaker``)."""
        h5 = self._file()
        key = "extra/" + str(name)
        if key not in h5:
            available = sorted(h5["extra"].keys()) if "extra" in h5 else []
            v.fail("name", name, "one of %s (extra datasets in %s)" % (available, self.path), KeyError)
        data = h5[key][()]
        if data.dtype.kind == "O":
            data = np.array([d.decode() if isinstance(d, bytes) else d for d in data], dtype=object)
        return data

    def batches(self, batch_size, *, shuffle=True, seed=None, drop_last=False):
        """Iterate over the dataset in batches.

        Parameters
        ----------
        batch_size : int
        shuffle : bool
            Visit the samples in a random order drawn from ``seed``.
        seed : None, int or numpy.random.Generator
            The same int gives the same order; a Generator advances, so passing one
            Generator to successive epochs gives a new order each epoch.
        drop_last : bool
            Skip the final batch when it is smaller than ``batch_size``.

        Yields
        ------
        Batch
        """
        batch_size = v.integer("batch_size", batch_size, low=1)
        shuffle = v.flag("shuffle", shuffle)
        drop_last = v.flag("drop_last", drop_last)
        order = np.arange(len(self), dtype=np.int64)
        if shuffle:
            order = v.rng(seed).permutation(len(self))
        stop = len(order) - (len(order) % batch_size if drop_last else 0)
        for a in range(0, stop, batch_size):
            yield self.batch(order[a:a + batch_size])

    def to_raster(self, batch, dt, T, *, binary=True, dtype=np.uint8):
        """Dense input raster ``(T, B, n_units)`` of a :class:`Batch` or :class:`Sample`.

        Spike :math:`k` lands in step :math:`s_k = \\lfloor t_k / \\Delta t \\rfloor`
        (computed on the integer source clock when ``time_resolution`` divides ``dt``);
        spikes at or after :math:`T \\Delta t` are dropped. See
        :func:`spikecore.datasets.transforms.spike_lists_to_raster`.
        """
        from spikecore.datasets.transforms import spike_lists_to_raster
        if self.n_units is None:
            v.fail("n_units", None, "a number of units: pass SpikeDataset(path, n_units=...) (SHD/SSC: 700)")
        if isinstance(batch, Sample):
            times, units = [batch.times], [batch.units]
        elif isinstance(batch, Batch):
            times, units = batch.times, batch.units
        else:
            v.fail("batch", batch, "a Batch (SpikeDataset.batch) or a Sample (SpikeDataset[i])", TypeError)
        return spike_lists_to_raster(times, units, self.n_units, dt, T, binary=binary, dtype=dtype,
                                     time_resolution=self.time_resolution)

    def raster_batches(self, batch_size, dt, T, *, shuffle=True, seed=None, drop_last=False, binary=True,
                       dtype=np.uint8):
        """Like :meth:`batches`, converted on the fly: yields ``(raster (T, B, n), labels (B,))``."""
        v.positive("dt", dt, "s")
        v.integer("T", T, low=1)
        for b in self.batches(batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last):
            yield self.to_raster(b, dt, T, binary=binary, dtype=dtype), b.labels
