"""The package installs, imports cheaply and its command line answers."""
import subprocess
import sys

import pytest

import spikecore
from spikecore import _validate as v
from spikecore.cli import main


def test_version_string():
    parts = spikecore.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)


def test_import_needs_no_optional_dependency(tmp_path):
    code = (
        "import sys, spikecore;"
        "bad = [m for m in ('matplotlib', 'torch', 'nir', 'dask', 'brian2', 'lava') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    # cwd outside the source tree, so the installed package is imported
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert spikecore.__version__ in capsys.readouterr().out


def test_cli_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "numba" in out and "kernels" in out and "cpu" in out


def test_console_script_help(tmp_path):
    out = subprocess.run([sys.executable, "-m", "spikecore.cli", "--help"], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    assert "info" in out.stdout and "demo" in out.stdout


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: v.positive("tau_mem", -0.02), "tau_mem = -0.02: expected a positive"),
        (lambda: v.positive("dt", float("nan")), "dt = nan"),
        (lambda: v.integer("T", 0, low=1), "T = 0: expected an integer >= 1"),
        (lambda: v.array("x", [[1.0, float("nan")]], finite=True), "x = <array with nan at index (0, 1)>"),
        (lambda: v.array("x", [1.0, 2.0], ndim=3), "x = <array of shape (2,)>: expected an array with 3"),
        (lambda: v.choice("reset", "soft-ish", ("hard", "soft")), "reset = 'soft-ish': expected one of 'hard', 'soft'"),
        (lambda: v.rng(-1), "random_state = -1"),
    ],
)
def test_validation_messages_name_argument_value_and_expectation(call, message):
    with pytest.raises((ValueError, TypeError)) as exc:
        call()
    assert message in str(exc.value)
