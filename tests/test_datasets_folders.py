"""Publisher dataset folders (N-MNIST, N-Caltech101, DVS128 Gesture, SHD/SSC, Prophesee class
folders such as N-CARS) convert into spike datasets; built as small synthetic folders with the
AER writers (and the real N-MNIST and N-CARS samples where the fixtures are present)."""
import os
import struct

import h5py
import numpy as np
import pytest

from spikecore.datasets import (EVENT_DTYPE, CorruptFileError, SpikeDataset, convert_file, convert_folder,
                                plan_folder, write_events)
from spikecore.datasets import transforms as T
from spikecore.datasets.folders import DatasetFolderError, detect_folder_format


def camera_events(n, w, h, seed, t0=0, span=300_000):
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=EVENT_DTYPE)
    ev["t"] = t0 + np.sort(rng.integers(0, span, n))
    ev["x"] = rng.integers(0, w, n)
    ev["y"] = rng.integers(0, h, n)
    ev["p"] = rng.integers(0, 2, n)
    return ev


def write_aedat31(path, events, packet=50):
    """A cAER AEDAT 3.1 file of polarity packets (libcaer common.h/polarity.h layout)."""
    with open(path, "wb") as f:
        f.write(b"#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n")
        for a in range(0, len(events), packet):
            ev = events[a:a + packet]
            n = len(ev)
            f.write(struct.pack("<hhiiiiii", 1, 1, 8, 4, 0, n, n, n))
            data = (ev["x"].astype(np.uint32) << 17) | (ev["y"].astype(np.uint32) << 2) \
                | (ev["p"].astype(np.uint32) << 1) | np.uint32(1)
            rec = np.zeros(n, dtype=[("d", "<u4"), ("t", "<i4")])
            rec["d"], rec["t"] = data, ev["t"]
            f.write(rec.tobytes())


@pytest.fixture
def nmnist_folder(tmp_path):
    src = tmp_path / "NMNIST"
    originals = {}
    seed = 0
    for split, digits in (("Train", (0, 1, 7)), ("Test", (0, 1))):
        for d in digits:
            folder = src / split / str(d)
            folder.mkdir(parents=True)
            for k in range(2):
                seed += 1
                ev = camera_events(200 + 10 * k, 34, 34, seed=seed)
                write_events(folder / ("%05d.bin" % k), ev, "nmnist")
                originals[(split.lower(), d, k)] = ev
    return src, originals


def test_nmnist_folder_round_trip(nmnist_folder, tmp_path):
    src, originals = nmnist_folder
    assert detect_folder_format(src) == "nmnist"
    out = convert_folder(src, tmp_path / "out", progress=False)
    assert sorted(out) == ["test", "train"]
    train = SpikeDataset(out["train"])
    assert len(train) == 6 and train.labels.tolist() == [0, 0, 1, 1, 7, 7]
    assert train.sensor_size == (34, 34, 2) and train.n_units == 34 * 34 * 2
    assert train.encoding == "nmnist_events" and train.time_resolution == 1e-6
    assert train.extra("source").tolist() == ["00000.bin", "00001.bin"] * 3
    for i, (d, k) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1), (7, 0), (7, 1)]):
        ev = originals[("train", d, k)]
        times, units = T.to_spike_list(ev, (34, 34, 2))
        s = train[i]
        np.testing.assert_array_equal(s.units, units)
        np.testing.assert_array_equal(np.rint(s.times * 1e6).astype(np.int64), ev["t"])  # exact us
        np.testing.assert_array_equal(train.to_raster(s, 1e-3, 300)[:, 0], T.to_raster(ev, (34, 34, 2), 1e-3, 300))
    assert len(SpikeDataset(out["test"])) == 4
    back = train.events(5)  # the events come back exactly through the unit mapping
    for f in "txyp":
        np.testing.assert_array_equal(back[f], originals[("train", 7, 1)][f])


def test_real_nmnist_sample_converts(fixtures_dir, tmp_path):
    folder = tmp_path / "N" / "Test" / "3"
    folder.mkdir(parents=True)
    os.symlink(fixtures_dir / "nmnist" / "sample_nmnist.bin", folder / "00001.bin")
    out = convert_folder(tmp_path / "N", tmp_path / "out", progress=False)
    s = SpikeDataset(out["test"])[0]
    assert s.label == 3 and s.times.size == 4325
    assert np.rint(s.times[[0, -1]] * 1e6).tolist() == [654, 311175]
    assert s.units[0] == (1 * 34 + 15) * 34 + 7  # first event (x 7, y 15, p 1)


def test_ncaltech101_class_folders(tmp_path):
    src = tmp_path / "Caltech" / "Caltech101"
    for cls in ("airplanes", "BACKGROUND_Google", "yin_yang"):
        (src / cls).mkdir(parents=True)
        write_events(src / cls / "image_0001.bin", camera_events(100, 240, 180, seed=len(cls)), "nmnist")
    (src / "empty_class").mkdir()
    jobs, keys = plan_folder(tmp_path / "Caltech")
    assert keys == ["BACKGROUND_Google", "airplanes", "yin_yang"] and jobs[0].format == "ncaltech101"
    out = convert_folder(tmp_path / "Caltech", tmp_path / "out", progress=False)
    ds = SpikeDataset(out["all"])
    assert ds.labels.tolist() == [0, 1, 2] and ds.keys == keys and ds.sensor_size == (240, 180, 2)


def test_dvs_gesture_windows_become_samples(tmp_path):
    src = tmp_path / "DvsGesture"
    src.mkdir()
    trials = {"user01_fluorescent": [(1, 1000, 50_000), (4, 60_000, 90_000)], "user02_led": [(11, 10, 20_000)]}
    events = {}
    for k, (name, windows) in enumerate(trials.items()):
        ev = camera_events(3000, 128, 128, seed=k, span=100_000)
        events[name] = ev
        write_aedat31(src / (name + ".aedat"), ev)
        with open(src / (name + "_labels.csv"), "w") as f:
            f.write("class,startTime_usec,endTime_usec\n")
            f.writelines("%d,%d,%d\n" % w for w in windows)
    (src / "trials_to_train.txt").write_text("user01_fluorescent.aedat\n")
    (src / "trials_to_test.txt").write_text("user02_led.aedat\n\n")
    out = convert_folder(src, tmp_path / "out", progress=False)
    train = SpikeDataset(out["train"])
    assert train.labels.tolist() == [0, 3] and train.keys[0] == "hand_clapping"
    assert train.extra("t0_us").tolist() == [1000, 60_000]
    ev = events["user01_fluorescent"]
    inside = ev[(ev["t"] >= 60_000) & (ev["t"] < 90_000)]
    s = train[1]
    np.testing.assert_array_equal(np.rint(s.times * 1e6).astype(np.int64), inside["t"] - 60_000)
    np.testing.assert_array_equal(s.units, T.to_spike_list(inside, (128, 128, 2))[1])
    test = SpikeDataset(out["test"])
    assert test.labels.tolist() == [10] and test[0].times.size == int((events["user02_led"]["t"] < 20_000).sum()
                                                                      - (events["user02_led"]["t"] < 10).sum())


def test_dvs_gesture_real_label_file_parses(fixtures_dir):
    from spikecore.datasets.folders import read_gesture_windows
    w = read_gesture_windows(fixtures_dir / "dvs_gesture" / "user01_natural_labels.csv")
    assert w.shape == (12, 3) and w[:, 0].tolist() == [1, 2, 3, 5, 4, 6, 7, 8, 8, 9, 10, 11]
    assert w[0].tolist() == [1, 53036986, 59508469]


def test_shd_folder_keeps_layout_speaker_and_keys(tmp_path):
    src = tmp_path / "hd"
    src.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("shd_train", 4), ("shd_test", 2)):
        with h5py.File(src / (split + ".h5"), "w") as f:
            t = f.create_dataset("spikes/times", (n,), dtype=h5py.vlen_dtype(np.float16))
            u = f.create_dataset("spikes/units", (n,), dtype=h5py.vlen_dtype(np.uint16))
            for i in range(n):
                k = int(rng.integers(1, 30))
                t[i] = np.sort(rng.uniform(0, 1, k)).astype(np.float16)
                u[i] = rng.integers(0, 700, k).astype(np.uint16)
            f["labels"] = rng.integers(0, 20, n).astype(np.uint16)
            f["extra/speaker"] = np.arange(n, dtype=np.uint16)
            f["extra/keys"] = np.array([b"zero", b"one"])
    out = convert_folder(src, tmp_path / "out", progress=False)
    assert sorted(out) == ["shd_test", "shd_train"]
    ours, theirs = SpikeDataset(out["shd_train"]), SpikeDataset(src / "shd_train.h5", n_units=700)
    assert ours.n_units == 700 and ours.keys == ["zero", "one"] and ours.extra("speaker").tolist() == [0, 1, 2, 3]
    for i in range(4):
        np.testing.assert_array_equal(ours[i].times, theirs[i].times)
        np.testing.assert_array_equal(ours[i].units, theirs[i].units)
    np.testing.assert_array_equal(ours.labels, theirs.labels)


def test_convert_file_is_a_plain_mappable_function(nmnist_folder):
    import pickle
    jobs, _ = plan_folder(nmnist_folder[0])
    job = pickle.loads(pickle.dumps(jobs[0]))
    (sample,) = convert_file(job)
    assert sample.label == 0 and sample.extra["source"] == "00000.bin"


def test_corrupt_source_aborts_and_keeps_previous_output(nmnist_folder, tmp_path, capsys):
    src, _ = nmnist_folder
    out = convert_folder(src, tmp_path / "out", progress=True)
    assert "nmnist/train" in capsys.readouterr().err  # the tqdm bar
    before = open(out["train"], "rb").read()
    bad = src / "Train" / "7" / "00001.bin"
    bad.write_bytes(bad.read_bytes()[:-2])  # no longer whole 5-byte records
    with pytest.raises(CorruptFileError) as exc:
        convert_folder(src, tmp_path / "out", format="nmnist", progress=False)
    assert str(bad) in str(exc.value)
    assert open(out["train"], "rb").read() == before
    assert sorted(os.listdir(tmp_path / "out")) == ["test.h5", "train.h5"]


def test_events_outside_the_sensor_name_the_file(tmp_path):
    folder = tmp_path / "N" / "Train" / "1"
    folder.mkdir(parents=True)
    write_events(folder / "a.bin", camera_events(10, 60, 60, seed=1), "nmnist")
    with pytest.raises(ValueError) as exc:
        convert_folder(tmp_path / "N", tmp_path / "out", progress=False)
    assert "a.bin" in str(exc.value) and "sensor_size" in str(exc.value)
    out = convert_folder(tmp_path / "N", tmp_path / "out", progress=False, sensor_size=(64, 64, 2))
    assert SpikeDataset(out["train"]).n_units == 64 * 64 * 2


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "cannot tell the dataset layout"),
    (lambda d: (d / "trials_to_train.txt").write_text("user09_led.aedat\n"), "is missing"),
    (lambda d: ((d / "trials_to_train.txt").write_text("u.aedat\n"), (d / "u.aedat").write_bytes(b""),
                (d / "u_labels.csv").write_text("a,b,c\n")), "expected 'class,startTime_usec,endTime_usec'"),
])
def test_folder_errors_say_what_is_missing(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises((DatasetFolderError, ValueError)) as exc:
        convert_folder(tmp_path, tmp_path / "out", progress=False)
    assert message in str(exc.value) and str(tmp_path) in str(exc.value)


def test_ncars_folder_with_the_real_dat_sample(fixtures_dir, tmp_path):
    # N-CARS layout (Sironi et al. 2018): n-cars_<split>/{background,cars}/*_td.dat
    src = tmp_path / "NCARS"
    for split, cls in (("n-cars_train", "cars"), ("n-cars_train", "background"), ("n-cars_test", "cars")):
        (src / split / cls).mkdir(parents=True)
        os.symlink(fixtures_dir / "prophesee_dat" / "NCARS_obj_004397_td.dat", src / split / cls / "obj_004397_td.dat")
    assert detect_folder_format(src) == "prophesee"
    out = convert_folder(src, tmp_path / "out", progress=False)
    assert sorted(out) == ["test", "train"]
    train = SpikeDataset(out["train"])
    assert train.keys == ["background", "cars"] and len(train) == 2
    assert train.sensor_size == (120, 100, 2)  # N-CARS crops
    assert [train[i].label for i in range(2)] == [0, 1]
    ref = np.load(fixtures_dir / "prophesee_dat" / "NCARS_obj_004397_td.reference.npy")
    s = SpikeDataset(out["test"])[0]
    assert s.label == 1 and s.times.size == ref.size == 4407
    np.testing.assert_array_equal(np.rint(s.times * 1e6).astype(np.int64), ref["t"])
    np.testing.assert_array_equal(s.units, (ref["p"].astype(np.int64) * 100 + ref["y"]) * 120 + ref["x"])


def test_prophesee_class_folders_take_the_header_geometry(tmp_path):
    src = tmp_path / "rec"
    evs = {}
    for k, cls in enumerate(("walk", "run", "walk")):
        (src / cls).mkdir(parents=True, exist_ok=True)
        evs[k] = camera_events(200, 64, 48, seed=k)
        write_events(src / cls / ("r%d.raw" % k), evs[k], "evt3", sensor_size=(64, 48))
    jobs, keys = plan_folder(src)
    assert keys == ["run", "walk"] and {j.split for j in jobs} == {"all"}
    assert all(j.sensor_size == (64, 48, 2) for j in jobs)
    out = convert_folder(src, tmp_path / "out", progress=False)
    ds = SpikeDataset(out["all"])
    assert len(ds) == 3 and ds.sensor_size == (64, 48, 2)
    assert [ds[i].label for i in range(3)] == [0, 1, 1]  # run/r1, walk/r0, walk/r2
    ev = evs[1]
    np.testing.assert_array_equal(ds[0].units, (ev["p"].astype(np.int64) * 48 + ev["y"]) * 64 + ev["x"])


def test_prophesee_without_geometry_asks_for_the_sensor_size(fixtures_dir, tmp_path):
    (tmp_path / "src" / "a").mkdir(parents=True)
    os.symlink(fixtures_dir / "prophesee_dat" / "NCARS_obj_004397_td.dat", tmp_path / "src" / "a" / "x.dat")
    with pytest.raises(DatasetFolderError, match="no sensor geometry; pass sensor_size"):
        plan_folder(tmp_path / "src")
    jobs, _ = plan_folder(tmp_path / "src", sensor_size=(304, 240, 2))
    assert convert_file(jobs[0])[0].times.size == 4407
