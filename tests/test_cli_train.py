"""`spikecore train` / `evaluate` and the HDF5 estimator persistence behind them."""
import h5py
import numpy as np
import pytest

from spikecore.cli import main
from spikecore.learning.persist import load_estimator, save_estimator
from spikecore.learning.spikeprop import SpikePropClassifier


def _blobs(path, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(-1.5, 0.5, (30, 3)), rng.normal(1.5, 0.5, (30, 3))]).astype(np.float32)
    y = np.repeat([0, 1], 30)
    np.savez(path, X=X, y=y)
    return X, y


def test_persist_round_trip_restores_predictions(tmp_path):
    X, y = _blobs(tmp_path / "d.npz")
    est = SpikePropClassifier(epochs=3, n_hidden=4, n_fields=5, random_state=1).fit(X, y)
    path = save_estimator(est, tmp_path / "m.h5", note="hello")
    loaded, info = load_estimator(path)
    assert info == {"note": "hello"}
    assert type(loaded) is SpikePropClassifier
    assert loaded.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    np.testing.assert_array_equal(loaded.history_, est.history_)


def test_persist_refuses_foreign_classes(tmp_path):
    X, y = _blobs(tmp_path / "d.npz")
    est = SpikePropClassifier(epochs=1, n_hidden=2, n_fields=3, random_state=0).fit(X, y)
    path = save_estimator(est, tmp_path / "m.h5")
    with h5py.File(path, "a") as f:
        f.attrs["class"] = "os:system"
    with pytest.raises(ValueError, match="refusing to load class 'os:system'"):
        load_estimator(path)


def test_load_rejects_non_model_file(tmp_path):
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("a", data=[1])
    with pytest.raises(ValueError, match="not a spikecore estimator file"):
        load_estimator(path)


def test_train_then_evaluate(tmp_path, capsys):
    _blobs(tmp_path / "d.npz")
    model = tmp_path / "m.h5"
    code = main(["train", "--method", "spikeprop", "--data", str(tmp_path / "d.npz"), "--quiet",
                 "--param", "epochs=5", "--param", "n_hidden=4", "-o", str(model)])
    assert code == 0
    out = capsys.readouterr().out
    test_acc = float(out.split("accuracy  train ")[1].split("test ")[1].split()[0])
    assert test_acc >= 0.9  # two well-separated blobs
    assert main(["evaluate", str(model)]) == 0
    out = capsys.readouterr().out
    assert "accuracy  %.4f" % test_acc in out


def test_train_rejects_unknown_parameter(tmp_path, capsys):
    _blobs(tmp_path / "d.npz")
    code = main(["train", "--method", "spikeprop", "--data", str(tmp_path / "d.npz"), "--quiet",
                 "--param", "epochz=5", "-o", str(tmp_path / "m.h5")])
    assert code == 2
    assert "epochz" in capsys.readouterr().err
    assert not (tmp_path / "m.h5").exists()


def test_train_missing_data_file(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "nope.npz"), "--quiet"]) == 2
    assert "nope.npz" in capsys.readouterr().err


def test_convert_trains_converts_and_reports(capsys):
    assert main(["convert", "--timesteps", "4,32", "--method", "shift"]) == 0
    out = capsys.readouterr().out
    ann = float(out.split("ANN       test accuracy ")[1].split()[0])
    row32 = [line for line in out.splitlines() if line.startswith("| 32 |")][0]
    snn = float(row32.split("|")[3].strip().rstrip(" %")) / 100
    assert ann > 0.9 and snn >= ann - 0.02  # the shift method is near-lossless at T = 32


def test_convert_rejects_bad_timesteps(capsys):
    assert main(["convert", "--timesteps", "8,x"]) == 2
    assert "--timesteps" in capsys.readouterr().err
