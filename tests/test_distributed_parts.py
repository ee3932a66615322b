"""The pieces of a distributed dataset conversion that need no cluster: the block writer
(``SpikeDatasetWriter.extend``, variable-length data written from flat arrays in one HDF5
call) gives the file appending sample by sample gives; part files written by
``convert_files`` read back whole, and a part that differs from its worker's report is
refused. (The parts on a real cluster: tests/test_distributed_dask.py.)"""
import os

import h5py
import numpy as np
import pytest

from spikecore.datasets import EVENT_DTYPE, SpikeDatasetWriter, plan_folder, write_events
from spikecore.datasets.folders import _checked_samples, convert_files
from spikecore.distributed.parts import PartError, part_path, parts_folder, read_part


def contents(path):
    """Every dataset of an HDF5 file -> (dtype, shape, chunks, compression, values as bytes)."""
    out = {}
    with h5py.File(path, "r") as f:
        out["/"] = {k: np.asarray(a).tolist() for k, a in f.attrs.items()}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                if obj.dtype.kind == "O":
                    data = [(x.dtype.str, x.tobytes()) if isinstance(x, np.ndarray) else x for x in data]
                else:
                    data = data.tobytes()
                out[name] = (str(obj.dtype), obj.shape, obj.chunks, obj.compression, data)

        f.visititems(visit)
    return out


def random_samples(rng, n, equal=False):
    lengths = np.full(n, 3) if equal else rng.integers(0, 6, n)
    times = [np.sort(rng.random(k)) * 2 for k in lengths]
    units = [rng.integers(0, 300, k) for k in lengths]
    return lengths, times, units


@pytest.mark.parametrize("time_dtype, block, equal", [("float64", 4, False), ("float32", 1, True),
                                                     ("float16", 7, False)])
def test_extend_writes_the_file_append_writes(tmp_path, time_dtype, block, equal):
    rng = np.random.default_rng(block)
    lengths, times, units = random_samples(rng, 23, equal)
    kw = dict(time_dtype=time_dtype, block=block, keys=["a", "b", "c"], attrs={"split": "train"})
    with SpikeDatasetWriter(tmp_path / "one.h5", 300, **kw) as w:
        for i in range(23):
            w.append(times[i], units[i], i % 3, source="f%d.bin" % i, t0_us=i)
    with SpikeDatasetWriter(tmp_path / "blocks.h5", 300, **kw) as w:
        for a, b in ((0, 0), (0, 5), (5, 6), (6, 23)):  # an empty block, a short one, a long one
            w.extend(np.concatenate([np.zeros(0)] + times[a:b]), np.concatenate([np.zeros(0, int)] + units[a:b]),
                     lengths[a:b], [i % 3 for i in range(a, b)], source=["f%d.bin" % i for i in range(a, b)],
                     t0_us=np.arange(a, b))
    one, blocks = contents(tmp_path / "one.h5"), contents(tmp_path / "blocks.h5")
    assert one.keys() == blocks.keys() and "spikes/times" in one
    for name in one:
        assert one[name] == blocks[name], name
    # and the variable-length data is what h5py itself writes from one array per sample
    with h5py.File(tmp_path / "blocks.h5", "r") as f:
        for i in range(23):
            np.testing.assert_array_equal(f["spikes/times"][i], times[i].astype(time_dtype))
            assert f["spikes/times"][i].dtype == np.dtype(time_dtype) and f["spikes/units"][i].dtype == np.uint16
            np.testing.assert_array_equal(f["spikes/units"][i], units[i])


def test_extend_checks_the_block_and_names_the_sample(tmp_path):
    with SpikeDatasetWriter(tmp_path / "x.h5", 10, time_dtype="float16") as w:
        w.append([0.5], [1], 0)
        with pytest.raises(ValueError, match=r"units in 0..9 \(n_units - 1; sample 3\)"):
            w.extend([0.1, 0.2, 0.3], [1, 2, 10], [1, 0, 2], [0, 0, 0])
        with pytest.raises(ValueError, match=r"times >= 0 seconds \(sample 2\)"):
            w.extend([0.1, -0.2], [1, 2], [1, 1], [0, 0])
        with pytest.raises(ValueError, match="summing to the 2 times"):
            w.extend([0.1, 0.2], [1, 2], [1, 2], [0, 0])
        with pytest.raises(ValueError, match="one label per sample"):
            w.extend([0.1, 0.2], [1, 2], [1, 1], [0])
        with pytest.raises(ValueError, match=r"fit time_dtype float16 \(sample 1\)"):
            w.extend([1e6], [1], [1], [0])  # 1e6 s overflows float16 (it was stored as inf before)
        w.extend([0.25, 0.75], [3, 4], [2, 0], [1, 2])
    with h5py.File(tmp_path / "x.h5", "r") as f:  # a refused block left nothing behind
        assert f["labels"][()].tolist() == [0, 1, 2]
        assert [x.tolist() for x in f["spikes/units"][()]] == [[1], [3, 4], []]


def make_folder(root, sizes):
    rng = np.random.default_rng(5)
    for k, n in enumerate(sizes):
        folder = root / "Train" / "0"  # one class folder: the files in the order given
        folder.mkdir(parents=True, exist_ok=True)
        ev = np.zeros(n, EVENT_DTYPE)
        ev["t"] = np.sort(rng.integers(0, 100_000, n))
        ev["x"], ev["y"], ev["p"] = rng.integers(0, 34, n), rng.integers(0, 34, n), rng.integers(0, 2, n)
        write_events(folder / ("%05d.bin" % k), ev, "nmnist")
    return root


def test_a_part_reads_back_in_pieces_as_the_files_converted_here(tmp_path, monkeypatch):
    jobs, _ = plan_folder(make_folder(tmp_path / "src", [40, 0, 75, 12, 60]))
    dst = tmp_path / "dst"
    dst.mkdir()
    with parts_folder(dst / "train.h5") as folder:
        assert os.path.basename(folder).startswith(".train.h5.parts-") and os.path.dirname(folder) == str(dst)
        info = convert_files(jobs, part_path(folder, 3), 34 * 34 * 2, "float64")
        assert os.listdir(folder) == ["part-00003.part"]  # no temporary file left
        expected = [_checked_samples(job, 34 * 34 * 2, np.float64) for job in jobs]
        assert info.n_files == 5 and info.n_samples == 5 and info.n_events == 187
        assert info.labels == [0] * 5 and info.extra["source"] == [j.path[-9:] for j in jobs]
        pieces = list(read_part(info, max_events=70))  # 40+0 | 75 (one sample over the limit) | 12 | 60
        assert [(a, b) for *_, a, b in pieces] == [(0, 2), (2, 3), (3, 4), (4, 5)]
        times = np.concatenate([p[0] for p in pieces])
        units = np.concatenate([p[1] for p in pieces])
        np.testing.assert_array_equal(times, np.concatenate([e[0] for e in expected]))
        np.testing.assert_array_equal(units, np.concatenate([e[1] for e in expected]))
        assert units.dtype == np.uint16 and times.dtype == np.float64
        with pytest.raises(PartError, match="part-00003.part.*its worker reported"):
            list(read_part(info._replace(n_events=186)))
        with pytest.raises(PartError, match="part-00009.part"):
            list(read_part(info._replace(path=part_path(folder, 9))))
        size = os.path.getsize(info.path)  # 24-byte header + one record: 16 + 5*8 + 187*(8+2), padded to 8
        assert size == 24 + 16 + 40 + 187 * 10 + 2
        with open(info.path, "r+b") as f:  # cut short inside the units
            f.truncate(size - 100)
        with pytest.raises(PartError, match=r"part-00003.part: part file ends at byte %d inside a record.*"
                                            r"187 values of uint16 from byte %d" % (size - 100, 24 + 56 + 187 * 8)):
            list(read_part(info))
        with open(info.path, "r+b") as f:
            f.write(b"SCPARTxx")
        with pytest.raises(PartError, match="part-00003.part: not a part file .*byte 0"):
            list(read_part(info))
    assert os.listdir(dst) == []  # the parts folder is gone


def test_a_failing_file_leaves_no_part(tmp_path):
    jobs, _ = plan_folder(make_folder(tmp_path / "src", [30, 30]))
    with open(jobs[1].path, "r+b") as f:
        f.truncate(os.path.getsize(jobs[1].path) - 2)
    dst = tmp_path / "dst"
    dst.mkdir()
    with pytest.raises(Exception, match=jobs[1].path):
        with parts_folder(dst / "train.h5") as folder:
            try:
                convert_files(jobs, part_path(folder, 0), 34 * 34 * 2, "float64")
            finally:
                assert os.listdir(folder) == []  # the temporary part was removed
    assert os.listdir(dst) == []
