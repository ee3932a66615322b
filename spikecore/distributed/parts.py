"""Part files of a distributed dataset conversion: written by the workers, assembled by the client.

A conversion on a Dask cluster (:func:`spikecore.datasets.convert_folder` with ``client=``)
splits each output file ``<split>.h5`` into parts, one per task of consecutive source files.
The worker that converts a task's files writes its samples into a part file itself and
returns only small metadata (:class:`PartInfo`); the client copies the parts, in file order,
into the one spike dataset through :meth:`SpikeDatasetWriter.extend` (temporary file +
``os.replace``), so the output is the file a local run writes.

Part files are private to a conversion and live in a hidden folder beside the destination,
``<dst>/.<split>.h5.parts-<random>/part-00012.part``, removed when the split is assembled or
the conversion fails (a worker's exception, a lost worker, ``KeyboardInterrupt``). Only a
client process killed outright (``SIGKILL``, power loss) leaves the hidden folder behind;
it is never mistaken for output and can be deleted.

A part holds the samples in the flat (compressed sparse row) form, already checked and cast
to the output dtypes. It is not an HDF5 file: it is private to one conversion and read once,
in order, so it is a plain binary file of records that the worker appends and the client
maps into memory and hands straight to HDF5, which copies the spikes once, into the output
(reading back HDF5 parts through chunked datasets had cost the client 0.09 s per 2000 N-MNIST
files, in its serial part of the job). The client deletes a part while the writer may still
hold views of its pages, which POSIX allows. Integers are little-endian int64; the arrays
are in the dtypes the header names::

    header   8 bytes  magic b"SCPART\x00\x01"
             8 bytes  time dtype, numpy ``dtype.str`` (e.g. "<f8") padded with NUL
             8 bytes  unit dtype (e.g. "<u2") padded with NUL
    record   int64 n_samples, int64 n_events
             lengths  n_samples int64: spike count of each sample
             times    n_events values of the time dtype (seconds)
             units    n_events values of the unit dtype
             NUL padding to a multiple of 8 bytes
    record   ... (one per block the worker wrote, each of at most PIECE_EVENTS spikes
             unless one sample alone has more), to the end of the file

A file that ends inside a record, or whose counts differ from what its worker reported
(:class:`PartInfo`), is refused with :class:`PartError` naming the file and byte offset.
"""
import collections
import contextlib
import os
import shutil
import tempfile
import time
import uuid

import numpy as np

#: Spikes buffered by a part writer before it writes them, and read back per piece by the client.
PIECE_EVENTS = 1 << 22

PartInfo = collections.namedtuple("PartInfo", "path n_files n_samples n_events labels extra")
PartInfo.__doc__ = """What a worker returns for a part it wrote: ``path``, ``n_files`` source
files, ``n_samples``, ``n_events`` (spikes), ``labels`` (list of int, one per sample) and
``extra`` (dict name -> list of per-sample values)."""


class PartError(RuntimeError):
    """A part file is missing or does not hold what its worker reported."""


@contextlib.contextmanager
def parts_folder(final_path):
    """Create the hidden folder of parts beside ``final_path`` and yield its path; remove it
    with everything in it when the block ends, whether it succeeds or raises.

    A task cancelled after a failure may still be writing into the folder on a worker; the
    removal is retried for a few seconds until the folder stays gone (a worker never
    re-creates it: its part file then fails to open, which is harmless).
    """
    final_path = os.path.abspath(os.fspath(final_path))
    folder = tempfile.mkdtemp(prefix=".%s.parts-" % os.path.basename(final_path), dir=os.path.dirname(final_path))
    try:
        yield folder
    finally:
        remove_folder(folder)


def remove_folder(folder, timeout=10.0):
    """Remove ``folder`` and its files, retrying while files still appear in it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            shutil.rmtree(folder)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def part_path(folder, index):
    """Path of part ``index`` in a parts folder."""
    return os.path.join(folder, "part-%05d.part" % index)


MAGIC = b"SCPART\x00\x01"
_HEADER_BYTES = 24


def _dtype_field(dtype):
    text = np.dtype(dtype).str.encode("ascii")
    if len(text) > 8:
        raise ValueError("internal: dtype %s does not fit a part header" % dtype)
    return text.ljust(8, b"\0")


class PartWriter:
    """Write one part file: blocks of checked samples appended in order, renamed onto its
    path by :meth:`close` (a temporary name first, so a part is either whole or absent).

    No ``fsync``: a part lives only until the client has copied it, and the client copies
    it after the task reported success, from the same page cache; the final file is synced.

    Parameters
    ----------
    path : str
        The part file (its folder must exist: a removed folder means the job was abandoned).
    time_dtype, unit_dtype : numpy dtype
        Storage dtypes of the output file.
    """

    def __init__(self, path, time_dtype, unit_dtype):
        self.path = path
        self.time_dtype, self.unit_dtype = np.dtype(time_dtype), np.dtype(unit_dtype)
        self._tmp = os.path.join(os.path.dirname(path), ".%s.%s.tmp" % (os.path.basename(path), uuid.uuid4().hex[:12]))
        self._file = open(self._tmp, "xb")
        try:
            self._file.write(MAGIC + _dtype_field(self.time_dtype) + _dtype_field(self.unit_dtype))
        except BaseException:
            self.abort()
            raise
        self._pending, self._pending_events = [], 0
        self.n_samples = self.n_events = 0

    def append(self, times, units, lengths):
        """Add samples in flat form (already checked and cast to the part's dtypes)."""
        times = np.ascontiguousarray(times, self.time_dtype)
        units = np.ascontiguousarray(units, self.unit_dtype)
        lengths = np.ascontiguousarray(lengths, np.int64)
        if len(times) != len(units) or len(times) != int(lengths.sum()):
            raise ValueError("internal: %d times, %d units and lengths summing to %d"
                             % (len(times), len(units), int(lengths.sum())))
        self._pending.append((times, units, lengths))
        self._pending_events += len(times)
        if self._pending_events >= PIECE_EVENTS:
            self._flush()

    def _flush(self):
        if not self._pending:
            return
        if len(self._pending) == 1:
            times, units, lengths = self._pending[0]
        else:
            times, units, lengths = (np.concatenate([p[k] for p in self._pending]) for k in range(3))
        f = self._file
        f.write(np.array([len(lengths), len(times)], "<i8").tobytes())
        for array in (lengths.astype("<i8", copy=False), times, units):
            f.write(memoryview(array).cast("B"))
        pad = -(lengths.nbytes + times.nbytes + units.nbytes) % 8
        f.write(b"\0" * pad)
        self.n_samples += len(lengths)
        self.n_events += len(times)
        self._pending, self._pending_events = [], 0

    def close(self):
        """Write what is buffered and rename the part onto its path: ``(n_samples, n_events)``."""
        try:
            self._flush()
            self._file.close()
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        return self.n_samples, self.n_events

    def abort(self):
        """Close and delete the temporary file."""
        with contextlib.suppress(Exception):  # already closed, or broken: removing it is what matters
            self._file.close()
        if os.path.exists(self._tmp):
            os.remove(self._tmp)


class _Cursor:
    """Reads a part file mapped in memory, front to back, naming the byte offset of any shortfall."""

    def __init__(self, path, data):
        self.path, self.data, self.pos = path, data, 0

    def take(self, dtype, count):
        """The next ``count`` values of ``dtype``: a read-only view of the mapped file, not a
        copy (the client hands them straight to HDF5, which copies them once, into the output)."""
        dtype = np.dtype(dtype)
        end = self.pos + count * dtype.itemsize
        if end > len(self.data):
            raise PartError("%s: part file ends at byte %d inside a record: expected %d values of %s from byte %d"
                            % (self.path, len(self.data), count, dtype, self.pos))
        out = self.data[self.pos:end].view(dtype)
        self.pos = end
        return out


def read_part(info, max_events=PIECE_EVENTS):
    """Yield the samples of the part described by ``info`` (a :class:`PartInfo`) in pieces
    of at most ``max_events`` spikes (or one sample, when a sample alone has more):
    ``(times, units, lengths, first, stop)``, samples ``first .. stop - 1`` of the part.
    The arrays are read-only views of the file mapped in memory.

    Raises :class:`PartError` naming the file (and byte offset) when it is missing, not a
    part, cut short, or its counts differ from what its worker reported.
    """
    try:
        size = os.path.getsize(info.path)
        data = np.memmap(info.path, np.uint8, mode="r") if size else np.zeros(0, np.uint8)
    except (OSError, ValueError) as exc:
        raise PartError("%s: part file of a distributed conversion cannot be opened (%s)" % (info.path, exc)) from exc
    cur = _Cursor(info.path, data)
    header = bytes(data[:_HEADER_BYTES])
    if len(header) != _HEADER_BYTES or header[:8] != MAGIC:
        raise PartError("%s: not a part file of a distributed conversion (byte 0: expected magic %r)"
                        % (info.path, MAGIC))
    try:
        time_dtype, unit_dtype = (np.dtype(header[k:k + 8].rstrip(b"\0").decode("ascii")) for k in (8, 16))
    except (TypeError, ValueError, UnicodeDecodeError) as exc:
        raise PartError("%s: byte 8: unreadable dtypes in the part header %r" % (info.path, header[8:])) from exc
    cur.pos = _HEADER_BYTES
    first = n_events = 0
    while cur.pos < size:
        offset = cur.pos
        n, e = (int(x) for x in cur.take("<i8", 2))
        if n < 0 or e < 0 or first + n > info.n_samples or n_events + e > info.n_events:
            raise PartError("%s: byte %d: a record of %d samples and %d spikes after %d samples and %d spikes; "
                            "its worker reported %d samples and %d spikes in all"
                            % (info.path, offset, n, e, first, n_events, info.n_samples, info.n_events))
        lengths = cur.take("<i8", n).astype(np.int64, copy=False)
        if int(lengths.sum()) != e or (n and lengths.min() < 0):
            raise PartError("%s: byte %d: sample lengths do not sum to the record's %d spikes" % (info.path, offset, e))
        times = cur.take(time_dtype, e)
        units = cur.take(unit_dtype, e)
        cur.pos += -(cur.pos - offset) % 8
        ends = np.cumsum(lengths)
        a, start = 0, 0
        while a < n:
            # the longest run of samples from `a` whose spikes fit in max_events (at least one)
            b = max(a + 1, int(np.searchsorted(ends, start + max_events, side="right")))
            end = int(ends[b - 1])
            yield times[start:end], units[start:end], lengths[a:b], first + a, first + b
            a, start = b, end
        first += n
        n_events += e
    if (first, n_events) != (info.n_samples, info.n_events):
        raise PartError("%s: part file holds %d samples and %d spikes; its worker reported %d and %d"
                        % (info.path, first, n_events, info.n_samples, info.n_events))
