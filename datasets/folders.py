"""Neuromorphic dataset folders as their publishers ship them, converted once into spike
datasets (:mod:`spikecore.datasets.spike_dataset`), read from local disk only.

Supported layouts (``format`` names):

``"nmnist"``
    N-MNIST (Orchard, Jayawant, Cohen & Thakor, 2015): ``Train/<digit>/*.bin`` and
    ``Test/<digit>/*.bin``, 34 x 34 ATIS events. Label = the digit folder.
``"ncaltech101"``
    N-Caltech101 (Orchard et al., 2015): ``<class>/*.bin`` class folders (optionally
    under ``Caltech101/``), no official split (everything goes to ``all.h5``); label =
    index of the class folder in sorted order, class names in ``extra/keys``. Default
    sensor 240 x 180; coordinates are kept as recorded (Tonic subtracts each sample's
    minimum x and y).
``"dvs_gesture"``
    DVS128 Gesture (Amir et al., 2017): trial recordings ``userNN_<lighting>.aedat``
    (AEDAT 3.1), per-trial ``userNN_<lighting>_labels.csv`` windows
    ``class,startTime_usec,endTime_usec`` and the split lists ``trials_to_train.txt`` /
    ``trials_to_test.txt``. Each window is one sample, the events with
    :math:`t_\\mathrm{start} \\le t < t_\\mathrm{end}`, times measured from
    :math:`t_\\mathrm{start}`; label = class - 1 (0..10, as in Tonic).
``"shd"``
    SHD / SSC (Cramer et al., 2020): ``*.h5`` files already in the spike-dataset layout;
    each is re-written with our attribute block (700 units, encoding ``shd_cochlea``).
``"prophesee"``
    Prophesee recordings sorted into class folders, as N-CARS ships them (Sironi, Brambilla,
    Bourdis, Lagorce & Benosman, 2018: ``n-cars_train/{background,cars}/*_td.dat`` and
    ``n-cars_test/...``): ``[<split>/]<class>/*.dat`` or ``*.raw`` (DAT, EVT 2.0, 2.1, 3.0,
    told apart by their headers). A split folder whose name contains ``train``, ``test`` or
    ``val`` is written to ``train.h5``, ``test.h5`` or ``val.h5`` (any other name as itself,
    lower-cased); class folders directly under ``src`` go to ``all.h5``. Label = index of the
    class name in the sorted union of class folders, names in ``extra/keys``. Sensor size:
    ``sensor_size=``, else (120, 100, 2) for N-CARS (classes ``background`` and ``cars``),
    else the first recording's header geometry (events outside it raise an error naming the
    file). Times are kept on the recording's clock (no offset).

Camera events become spikes with :func:`spikecore.datasets.transforms.to_spike_list`:
unit :math:`u = p W H + y W + x`, time :math:`(t - t_0) 10^{-6}` s (float64, so the
microsecond clock survives exactly; ``time_resolution = 1e-6``).

The per-file work is :func:`convert_file`, a plain function of a picklable
:class:`FileJob`; :func:`convert_folder` plans the jobs and appends each file's samples,
checked and packed into flat arrays, to one atomic writer per split. With ``client=`` the
workers convert batches of files and write part files, which the client assembles in file
order (:mod:`spikecore.distributed.parts`).
"""
import collections
import csv
import os

import numpy as np

from spikecore import _validate as v

from .spike_dataset import SpikeDataset, SpikeDatasetWriter, _check_block, _unit_dtype, sensor_size_3
from .transforms import to_spike_list

FORMATS = ("nmnist", "ncaltech101", "dvs_gesture", "shd", "prophesee")

#: Default sensor sizes ``(W, H, P)``.
SENSOR_SIZES = {"nmnist": (34, 34, 2), "ncaltech101": (240, 180, 2), "dvs_gesture": (128, 128, 2)}

#: N-CARS crops (Sironi et al., 2018): 120 x 100 pixels, two polarities.
NCARS_SENSOR_SIZE = (120, 100, 2)
NCARS_CLASSES = ["background", "cars"]

#: DVS128 Gesture classes 1..11 (Amir et al., 2017), stored at label = class - 1.
DVS_GESTURE_CLASSES = (
    "hand_clapping", "right_hand_wave", "left_hand_wave", "right_arm_clockwise",
    "right_arm_counter_clockwise", "left_arm_clockwise", "left_arm_counter_clockwise",
    "arm_roll", "air_drums", "air_guitar", "other_gestures",
)

FileJob = collections.namedtuple("FileJob", "format split path label labels_csv sensor_size")
FileJob.__doc__ = """One source file to convert: ``format``, ``split`` (output file stem),
``path``, ``label`` (int or None), ``labels_csv`` (DVS Gesture windows or None),
``sensor_size`` (W, H, P) or None."""

ConvertedSample = collections.namedtuple("ConvertedSample", "times units label extra")
ConvertedSample.__doc__ = """A converted sample: ``times`` float64 s, ``units`` int64, ``label``,
``extra`` dict of per-sample values (camera data: ``source`` file name and ``t0_us``, the
time origin on the source clock; SHD/SSC: ``speaker`` when the source has it)."""


class DatasetFolderError(ValueError):
    """A folder does not look like the publisher's layout; the message says what is missing."""


def _bins(folder):
    return sorted(f for f in os.listdir(folder) if f.lower().endswith((".bin", ".bs2")))


def _subdirs(folder):
    return sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))


def _recordings(folder):
    return sorted(f for f in os.listdir(folder) if f.lower().endswith((".dat", ".raw")))


def _class_dirs(folder):
    """Sub-folders of ``folder`` that hold Prophesee recordings."""
    return [d for d in _subdirs(folder) if _recordings(os.path.join(folder, d))]


def _split_name(folder_name):
    low = folder_name.lower()
    for split in ("train", "test", "val"):
        if split in low:
            return split
    return low


def _prophesee_splits(src):
    """``[(split, folder)]``: class folders directly in ``src`` (split ``all``), or split
    folders each holding class folders of recordings."""
    if _class_dirs(src):
        return [("all", src)]
    return [(_split_name(d), os.path.join(src, d)) for d in _subdirs(src) if _class_dirs(os.path.join(src, d))]


def detect_folder_format(src):
    """Guess which publisher layout the folder ``src`` holds (one of :data:`FORMATS`).

    Rules: ``Train``/``Test`` sub-folders of ``.bin`` class folders -> ``"nmnist"``;
    ``.aedat`` files with ``trials_to_train.txt`` -> ``"dvs_gesture"``; ``.h5`` files ->
    ``"shd"``; class folders of ``.dat``/``.raw`` recordings (directly or in split folders)
    -> ``"prophesee"``; class folders of ``.bin`` files (or a ``Caltech101`` folder of them)
    -> ``"ncaltech101"``.
    """
    src = v.path("src", src)
    if not os.path.isdir(src):
        v.fail("src", src, "an existing folder", FileNotFoundError)
    names = os.listdir(src)
    if any(n in names for n in ("Train", "Test")):
        return "nmnist"
    if "trials_to_train.txt" in names or "trials_to_test.txt" in names:
        return "dvs_gesture"
    if any(n.lower().endswith(".h5") for n in names):
        return "shd"
    if _prophesee_splits(src):
        return "prophesee"
    root = os.path.join(src, "Caltech101") if "Caltech101" in names else src
    if any(_bins(os.path.join(root, d)) for d in _subdirs(root)):
        return "ncaltech101"
    raise DatasetFolderError(
        "%s: cannot tell the dataset layout: expected Train/ and Test/ (N-MNIST), class folders of .bin "
        "files (N-Caltech101), .aedat trials with trials_to_train.txt (DVS128 Gesture), .h5 files "
        "(SHD/SSC) or class folders of Prophesee .dat/.raw recordings (N-CARS); pass format= one of %s" % (src, ", ".join(FORMATS)))


def plan_folder(src, format=None, sensor_size=None):
    """List the :class:`FileJob` s that convert the folder ``src``, in a fixed order.

    Parameters
    ----------
    src : path
        The dataset folder as downloaded and unpacked.
    format : str, optional
        One of :data:`FORMATS`; detected when omitted (:func:`detect_folder_format`).
    sensor_size : tuple, optional
        Override the default ``(W, H, P)`` of camera datasets.

    Returns
    -------
    jobs : list of FileJob
    keys : list of str or None
        Class names (``extra/keys``).
    """
    src = v.path("src", src)
    if not os.path.isdir(src):
        v.fail("src", src, "an existing folder", FileNotFoundError)
    fmt = detect_folder_format(src) if format is None else v.choice("format", format, FORMATS)
    size = SENSOR_SIZES.get(fmt) if sensor_size is None else sensor_size_3("sensor_size", sensor_size)
    jobs = []
    if fmt == "nmnist":
        splits = [s for s in ("Train", "Test") if os.path.isdir(os.path.join(src, s))]
        if not splits:
            raise DatasetFolderError("%s: no Train/ or Test/ folder (N-MNIST layout Train/<digit>/*.bin)" % src)
        for split in splits:
            for d in _subdirs(os.path.join(src, split)):
                if not d.isdigit():
                    raise DatasetFolderError("%s: folder %r is not a digit class (N-MNIST layout "
                                             "Train/<digit>/*.bin)" % (os.path.join(src, split), d))
                folder = os.path.join(src, split, d)
                jobs += [FileJob(fmt, split.lower(), os.path.join(folder, f), int(d), None, size) for f in _bins(folder)]
        keys = [str(i) for i in range(10)]
    elif fmt == "ncaltech101":
        root = os.path.join(src, "Caltech101") if os.path.isdir(os.path.join(src, "Caltech101")) else src
        classes = [d for d in _subdirs(root) if _bins(os.path.join(root, d))]
        for label, d in enumerate(classes):
            folder = os.path.join(root, d)
            jobs += [FileJob(fmt, "all", os.path.join(folder, f), label, None, size) for f in _bins(folder)]
        keys = classes
    elif fmt == "dvs_gesture":
        lists = {s: os.path.join(src, "trials_to_%s.txt" % s) for s in ("train", "test")}
        if not any(os.path.exists(p) for p in lists.values()):
            raise DatasetFolderError("%s: no trials_to_train.txt / trials_to_test.txt (DVS128 Gesture layout)" % src)
        for split, listing in lists.items():
            if not os.path.exists(listing):
                continue
            with open(listing) as f:
                trials = [line.strip() for line in f if line.strip()]
            for trial in trials:
                path = os.path.join(src, trial)
                labels_csv = os.path.join(src, os.path.splitext(trial)[0] + "_labels.csv")
                for need in (path, labels_csv):
                    if not os.path.exists(need):
                        raise DatasetFolderError("%s lists %r but %s is missing" % (listing, trial, need))
                jobs.append(FileJob(fmt, split, path, None, labels_csv, size))
        keys = list(DVS_GESTURE_CLASSES)
    elif fmt == "prophesee":
        splits = _prophesee_splits(src)
        if not splits:
            raise DatasetFolderError("%s: no class folders of .dat/.raw recordings (layout [<split>/]<class>/*.dat)"
                                     % src)
        keys = sorted({c for _, folder in splits for c in _class_dirs(folder)})
        for split, folder in splits:
            for c in _class_dirs(folder):
                jobs += [FileJob(fmt, split, os.path.join(folder, c, f), keys.index(c), None, size)
                         for f in _recordings(os.path.join(folder, c))]
        if size is None and jobs:
            size = NCARS_SENSOR_SIZE if keys == NCARS_CLASSES else _header_size(jobs[0].path)
            jobs = [j._replace(sensor_size=size) for j in jobs]
    else:  # shd
        for f in sorted(n for n in os.listdir(src) if n.lower().endswith(".h5")):
            jobs.append(FileJob(fmt, os.path.splitext(f)[0], os.path.join(src, f), None, None, None))
        keys = None
    if not jobs:
        raise DatasetFolderError("%s: no sample files found for format %r" % (src, fmt))
    return jobs, keys


def _header_size(path):
    """``(W, H, 2)`` from a Prophesee recording's header geometry."""
    from spikecore.datasets import read_header
    size = read_header(path).sensor_size
    if size is None:
        raise DatasetFolderError("%s: the header gives no sensor geometry; pass sensor_size=(W, H, 2)" % path)
    return (int(size[0]), int(size[1]), 2)


def read_gesture_windows(path):
    """The windows of a DVS128 Gesture ``*_labels.csv``: int64 array ``(k, 3)`` of
    ``(class, startTime_usec, endTime_usec)``, with a clear error for any bad row."""
    rows = []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != ["class", "startTime_usec", "endTime_usec"]:
            raise DatasetFolderError("%s: first line %r; expected 'class,startTime_usec,endTime_usec'"
                                     % (path, None if header is None else ",".join(header)))
        for line, row in enumerate(reader, start=2):
            if not row or not "".join(row).strip():
                continue
            try:
                c, a, b = (int(x) for x in row)
            except ValueError:
                raise DatasetFolderError("%s line %d: %r is not three integers" % (path, line, ",".join(row))) from None
            if not (1 <= c <= len(DVS_GESTURE_CLASSES)) or b <= a:
                raise DatasetFolderError("%s line %d: class %d, window %d..%d; expected class 1..%d and "
                                         "start < end" % (path, line, c, a, b, len(DVS_GESTURE_CLASSES)))
            rows.append((c, a, b))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _read_events(path, fmt):
    from spikecore.datasets import read_events  # the AER readers (datasets/aer)
    return read_events(path, format=fmt)


def convert_file(job):
    """Convert one source file of a :class:`FileJob` into samples (a plain function,
    picklable arguments, so it can be mapped over processes or a Dask cluster).

    Returns
    -------
    list of ConvertedSample
    """
    name = os.path.basename(job.path)
    if job.format in ("nmnist", "ncaltech101"):
        events = _read_events(job.path, "nmnist")
        try:
            times, units = to_spike_list(events, job.sensor_size, t0=0)
        except ValueError as exc:
            raise ValueError("%s: %s (pass sensor_size= to convert_folder for a larger sensor)" % (job.path, exc)) from exc
        return [ConvertedSample(times, units, job.label, {"source": name, "t0_us": 0})]
    if job.format == "dvs_gesture":
        windows = read_gesture_windows(job.labels_csv)
        events = _read_events(job.path, None)
        t = events["t"]
        if len(t) > 1 and np.any(t[1:] < t[:-1]):
            order = np.argsort(t, kind="stable")
            events, t = events[order], t[order]
        out = []
        for c, a, b in windows:
            i, j = np.searchsorted(t, [a, b], "left")
            times, units = to_spike_list(events[i:j], job.sensor_size, t0=int(a))
            out.append(ConvertedSample(times, units, int(c) - 1, {"source": name, "t0_us": int(a)}))
        return out
    if job.format == "prophesee":
        events = _read_events(job.path, None)
        try:
            times, units = to_spike_list(events, job.sensor_size, t0=0)
        except ValueError as exc:
            raise ValueError("%s: %s (pass sensor_size= to convert_folder for a larger sensor)" % (job.path, exc)) from exc
        return [ConvertedSample(times, units, job.label, {"source": name, "t0_us": 0})]
    if job.format == "shd":
        ds = SpikeDataset(job.path)
        try:
            speaker = ds.extra("speaker") if "speaker" in ds.extra_names else None
            return [ConvertedSample(s.times, s.units, s.label, {} if speaker is None else {"speaker": speaker[i]})
                    for i, s in enumerate(ds)]
        finally:
            ds.close()
    v.fail("job.format", job.format, "one of %s" % (FORMATS,))


def _checked_samples(job, n_units, time_dtype):
    """:func:`convert_file` of ``job`` as one block in flat form, checked and cast to the
    output dtypes exactly as :meth:`SpikeDatasetWriter.extend` would (errors name the file):
    ``(times, units, lengths, labels, extra)``."""
    samples = convert_file(job)
    names = sorted(samples[0].extra) if samples else []
    if any(sorted(s.extra) != names for s in samples):
        raise ValueError("%s: its samples give different extra names" % job.path)
    lengths = [len(s.times) for s in samples]
    times = np.concatenate([np.asarray(s.times) for s in samples]) if samples else np.zeros(0)
    units = np.concatenate([np.asarray(s.units) for s in samples]) if samples else np.zeros(0, np.int64)
    try:
        times, units, lengths = _check_block(times, units, lengths, n_units, time_dtype)
    except ValueError as exc:
        raise ValueError("%s: %s" % (job.path, exc)) from exc
    return (times, units.astype(_unit_dtype(n_units), copy=False), lengths, [s.label for s in samples],
            {k: [s.extra[k] for s in samples] for k in names})


def convert_files(jobs, part, n_units, time_dtype):
    """Convert a batch of consecutive files (:func:`convert_file`) and write their samples
    into the part file ``part`` (:class:`spikecore.distributed.parts.PartWriter`): the
    task a Dask worker runs in a distributed :func:`convert_folder`.

    One task converts a batch of files, so the scheduler's per-task overhead (milliseconds)
    is paid once per batch; the spikes stay on disk beside the destination and only the
    small metadata travels back. Memory: one file's samples plus a bounded write buffer.

    Parameters
    ----------
    jobs : list of FileJob
    part : str
        Part file to write (in the conversion's parts folder).
    n_units : int
    time_dtype : numpy dtype
        The output's storage dtype of spike times.

    Returns
    -------
    spikecore.distributed.parts.PartInfo
    """
    from spikecore.distributed.parts import PartInfo, PartWriter
    writer = PartWriter(part, np.dtype(time_dtype), _unit_dtype(n_units))
    labels, extra = [], None
    try:
        for job in jobs:
            times, units, lengths, file_labels, file_extra = _checked_samples(job, n_units, time_dtype)
            if not len(lengths):
                continue
            if extra is None:
                extra = {k: [] for k in file_extra}
            elif sorted(extra) != sorted(file_extra):
                raise ValueError("%s: extra names %s differ from the earlier files' %s"
                                 % (job.path, sorted(file_extra), sorted(extra)))
            writer.append(times, units, lengths)
            labels += file_labels
            for k, values in file_extra.items():
                extra[k] += values
        n_samples, n_events = writer.close()
    except BaseException:
        writer.abort()
        raise
    return PartInfo(part, len(jobs), n_samples, n_events, labels, extra or {})


def _files_per_task(n_files, n_threads):
    """About four tasks per worker thread, at most 256 files each."""
    return max(1, min(256, -(-n_files // (4 * max(1, n_threads)))))


def _name_files(jobs):
    paths = [job.path for job in jobs]
    return ", ".join(paths) if len(paths) <= 4 else "%s, ... %s (%d files)" % (paths[0], paths[-1], len(paths))


def _progress(total, desc, enabled):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="file", disable=not enabled)


def _write_local(writer, jobs, bar):
    """Convert ``jobs`` here, one file at a time, appending each file's samples to ``writer``."""
    for job in jobs:
        times, units, lengths, labels, extra = _checked_samples(job, writer.n_units, writer.time_dtype)
        writer._extend_checked(times, units, lengths, labels, **extra)  # checked once, naming the file
        bar.update(1)


class _TaskFiles:
    """The files of one conversion task, in a wrapper Dask does not look inside: Dask walks
    every list and tuple of a task's arguments for futures, 20 000 calls (0.1 s of the
    client's time in 2 000 N-MNIST files) for lists of FileJob namedtuples."""

    __slots__ = ("jobs",)

    def __init__(self, jobs):
        self.jobs = jobs

    def __getstate__(self):
        return self.jobs

    def __setstate__(self, jobs):
        self.jobs = jobs


def _convert_task(files, part, n_units, time_dtype):
    """:func:`convert_files` of a :class:`_TaskFiles`: the function each Dask task runs."""
    return convert_files(files.jobs, part, n_units, time_dtype)


def _write_on_cluster(client, writer, jobs, bar):
    """Convert ``jobs`` on a Dask cluster and assemble the parts into ``writer``.

    Each task (a batch of consecutive files, :func:`convert_files`) writes a part file in a
    hidden folder beside the destination; the parts are copied in file order as their tasks
    finish (the tasks not yet collected keep running meanwhile), each deleted once copied,
    and the folder is removed at the end, also when anything fails. At most a window of
    tasks (twice the cluster's threads) is in flight; a task lost with its worker is run
    again by the scheduler and rewrites its part. A failed task raises here with the file
    named (the worker's own error names it; a lost worker names the task's files); the
    tasks not yet collected are cancelled.
    """
    from spikecore.distributed._dask import map_in_order
    from spikecore.distributed.parts import part_path, parts_folder, read_part

    per_task = _files_per_task(len(jobs), sum(client.nthreads().values()))
    batches = [_TaskFiles(jobs[a:a + per_task]) for a in range(0, len(jobs), per_task)]

    def on_error(args, exc):
        files = args[0].jobs
        if any(job.path in str(exc) for job in files):
            return None  # the worker's own exception already names the file: keep its type
        return RuntimeError("%s: converting on a Dask worker failed: %s: %s"
                            % (_name_files(files), type(exc).__name__, exc))

    with parts_folder(writer.path) as folder:
        tasks = ((batch, part_path(folder, k), writer.n_units, str(writer.time_dtype))
                 for k, batch in enumerate(batches))
        for (batch, *_), info in map_in_order(client, _convert_task, tasks, on_error=on_error):
            for times, units, lengths, a, b in read_part(info):  # checked by the worker (_checked_samples)
                writer._extend_checked(times, units, lengths, info.labels[a:b],
                                       **{k: vals[a:b] for k, vals in info.extra.items()})
            os.remove(info.path)
            bar.update(len(batch.jobs))


def convert_folder(src, dst, format=None, *, sensor_size=None, time_dtype=None, progress=True, client=None):
    """Convert a publisher's dataset folder into spike-dataset files, one per split.

    Plans the files (:func:`plan_folder`), converts each with :func:`convert_file` and
    appends its samples to an atomic :class:`SpikeDatasetWriter` per split
    (:meth:`SpikeDatasetWriter.extend`): an interrupted conversion leaves any earlier
    output untouched.

    Parameters
    ----------
    src : path
        Folder as shipped by the publisher (see the module docstring).
    dst : path
        Output folder (created if needed); files ``<split>.h5`` (``train``, ``test``;
        ``all`` for N-CalTech101 and split-less Prophesee class folders; SHD/SSC keep their
        file names).
    format : str, optional
        One of :data:`FORMATS`; detected when omitted.
    sensor_size : tuple, optional
        ``(W, H, P)`` override for camera datasets.
    time_dtype : str, optional
        Storage dtype of spike times; default float64 for camera data (keeps the
        microsecond clock exact) and float32 for SHD/SSC (their float16 times fit).
    progress : bool
        Show a tqdm progress bar.
    client : dask.distributed.Client, optional
        Convert the files on this Dask cluster (optional extra ``dask``): one task per
        batch of consecutive files (about four tasks per worker thread, at most 256 files
        each) converts them and writes their samples into a part file in a hidden folder
        beside the destination (``dst/.<split>.h5.parts-<random>/``); the client copies the
        parts, in file order, into the same atomic writer, so the output is identical to
        the local run (``None``), and removes the parts. The source files and ``dst`` must
        be reachable by the workers at the same paths (a shared filesystem on a multi-node
        cluster). A worker's exception is raised here naming the file; on any failure
        (also ``KeyboardInterrupt``) the split being written is not created and its parts
        are removed.

    Returns
    -------
    dict
        ``split -> path`` of the files written.

    References
    ----------
    Orchard et al. (2015) N-MNIST / N-Caltech101; Amir et al. (2017) DVS128 Gesture;
    Cramer et al. (2020) SHD / SSC; Sironi et al. (2018) N-CARS.
    """
    src, dst = v.path("src", src), v.path("dst", dst)
    if os.path.exists(dst) and not os.path.isdir(dst):
        v.fail("dst", dst, "an output folder (it is a file)", NotADirectoryError)
    progress = v.flag("progress", progress)
    if time_dtype is not None:
        try:
            name = str(np.dtype(time_dtype))
        except TypeError:
            name = time_dtype
        v.choice("time_dtype", name, ("float16", "float32", "float64"))
    jobs, keys = plan_folder(src, format, sensor_size)
    fmt = jobs[0].format
    if client is not None:
        from spikecore.distributed._dask import announce, check_client
        check_client(client)
        if progress:
            announce(client, "convert_folder %s" % os.path.basename(os.path.abspath(src)))
    os.makedirs(dst, exist_ok=True)
    written = {}
    for split in dict.fromkeys(j.split for j in jobs):
        split_jobs = [j for j in jobs if j.split == split]
        path = os.path.join(dst, split + ".h5")
        if fmt == "shd":
            source = SpikeDataset(split_jobs[0].path, n_units=None)
            n_units = source.n_units or 700
            kw = dict(encoding=source.encoding or "shd_cochlea",
                      encoding_params=source.encoding_params or {"channels": 700, "model": "Cramer et al. 2020"},
                      keys=source.keys, time_dtype=time_dtype or "float32")
            source.close()
        else:
            W, H, P = split_jobs[0].sensor_size
            n_units = W * H * P
            kw = dict(encoding="%s_events" % fmt, encoding_params={"source_format": fmt, "unit_mapping": "p*W*H + y*W + x"},
                      sensor_size=(W, H, P), time_resolution=1e-6, keys=keys, time_dtype=time_dtype or "float64")
        bar = _progress(len(split_jobs), "%s/%s" % (fmt, split), progress)
        try:
            with SpikeDatasetWriter(path, n_units, attrs={"source_folder": os.path.abspath(src), "split": split},
                                    **kw) as writer:
                if client is None:
                    _write_local(writer, split_jobs, bar)
                else:
                    _write_on_cluster(client, writer, split_jobs, bar)
        finally:
            bar.close()
        written[split] = writer.path
    return written
