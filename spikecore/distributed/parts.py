"""Part files of a distributed dataset conversion: written by the workers, assembled by the client.

A conversion on a Dask cluster (:func:`spikecore.datasets.convert_folder` with ``client=``)
splits each output file ``<split>.h5`` into parts, one per task of consecutive source files.
The worker that converts a task's files writes its samples into a part file itself and
returns only small metadata (:class:`PartInfo`); the client copies the parts, in file order,
into the one spike dataset through :meth:`SpikeDatasetWriter.extend` (temporary file +
``os.replace``), so the output is the file a local run writes.

Part files are private to a conversion and live in a hidden folder beside the destination,
``<dst>/.<split>.h5.parts-<random>/part-00012.h5``, removed when the split is assembled or
the conversion fails (a worker's exception, a lost worker, ``KeyboardInterrupt``). Only a
client process killed outright (``SIGKILL``, power loss) leaves the hidden folder behind;
it is never mistaken for output and can be deleted.

A part holds the samples in the flat (compressed sparse row) form, already checked and cast
to the output dtypes, so the client reads each dataset with one read and writes the
variable-length datasets in blocks:

=============  ==============================================================
``times``      (E,) spike times of every sample, one after the other (seconds,
               the output's time dtype)
``units``      (E,) the unit of each spike (the output's unit dtype)
``lengths``    (N,) int64 spike count of each sample
attributes     ``spikecore_format = "spikecore.spike_dataset_part"``,
               ``n_samples`` N, ``n_events`` E
=============  ==============================================================
"""
import collections
import contextlib
import os
import shutil
import tempfile
import time
import uuid

import h5py
import numpy as np

PART_FORMAT = "spikecore.spike_dataset_part"

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
    return os.path.join(folder, "part-%05d.h5" % index)


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
        self._tmp = os.path.join(os.path.dirname(path), ".%s.%s.tmp" % (os.path.basename(path), uuid.uuid4().hex[:12]))
        self._h5 = h5py.File(self._tmp, "w")
        try:
            kw = dict(shape=(0,), maxshape=(None,), chunks=(1 << 16,))
            self._times = self._h5.create_dataset("times", dtype=time_dtype, **kw)
            self._units = self._h5.create_dataset("units", dtype=unit_dtype, **kw)
        except BaseException:
            self.abort()
            raise
        self._lengths, self._pending, self._pending_events = [], [], 0
        self.n_events = 0

    def append(self, times, units, lengths):
        """Add samples in flat form (already checked and cast to the part's dtypes)."""
        self._pending.append((times, units))
        self._lengths.append(np.asarray(lengths, np.int64))
        self._pending_events += len(times)
        if self._pending_events >= PIECE_EVENTS:
            self._flush()

    def _flush(self):
        if not self._pending_events:
            self._pending = []
            return
        a, b = self.n_events, self.n_events + self._pending_events
        for ds, k in ((self._times, 0), (self._units, 1)):
            ds.resize((b,))
            ds[a:b] = np.concatenate([p[k] for p in self._pending]) if len(self._pending) > 1 else self._pending[0][k]
        self.n_events = b
        self._pending, self._pending_events = [], 0

    def close(self):
        """Write the lengths and attributes and rename the part onto its path."""
        try:
            self._flush()
            lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
            self._h5.create_dataset("lengths", data=lengths)
            self._h5.attrs.update({"spikecore_format": PART_FORMAT, "n_samples": len(lengths),
                                   "n_events": self.n_events})
            self._h5.close()
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        return len(lengths), self.n_events

    def abort(self):
        """Close and delete the temporary file."""
        with contextlib.suppress(Exception):  # already closed, or broken: removing it is what matters
            self._h5.close()
        if os.path.exists(self._tmp):
            os.remove(self._tmp)


def read_part(info, max_events=PIECE_EVENTS):
    """Yield the samples of the part described by ``info`` (a :class:`PartInfo`) in pieces
    of at most ``max_events`` spikes (or one sample, when a sample alone has more):
    ``(times, units, lengths, first, stop)``, samples ``first .. stop - 1`` of the part.

    Raises :class:`PartError` naming the file when it is missing or its counts differ from
    what its worker reported.
    """
    try:
        h5 = h5py.File(info.path, "r")
    except (OSError, FileNotFoundError) as exc:
        raise PartError("%s: part file of a distributed conversion cannot be opened (%s)" % (info.path, exc)) from exc
    with h5:
        got = (h5.attrs.get("spikecore_format"), int(h5.attrs.get("n_samples", -1)), int(h5.attrs.get("n_events", -1)))
        if got != (PART_FORMAT, info.n_samples, info.n_events):
            raise PartError("%s: part file holds (format, samples, spikes) = %r; its worker reported %r"
                            % (info.path, got, (PART_FORMAT, info.n_samples, info.n_events)))
        lengths = h5["lengths"][()]
        ends = np.cumsum(lengths)
        times, units = h5["times"], h5["units"]
        first, start = 0, 0
        while first < len(lengths):
            # the longest run of samples from `first` whose spikes fit in max_events (at least one)
            stop = max(first + 1, int(np.searchsorted(ends, start + max_events, side="right")))
            end = int(ends[stop - 1])
            yield times[start:end], units[start:end], lengths[first:stop], first, stop
            first, start = stop, end
