"""The README's Python examples run as a new user would paste them: each block on its own, in a
fresh interpreter and an empty folder. Blocks that need a file of the user's own (an ONNX model)
are skipped, and so is the Dask block when ``dask.distributed`` is not installed."""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S) if README.exists() else []
NEEDS_USER_FILE = ("digits_mlp.onnx",)


def _first_line(block):
    return next(line for line in block.splitlines() if line.strip())[:60]


@pytest.mark.skipif(not BLOCKS, reason="README.md not next to the tests (installed package)")
@pytest.mark.parametrize("block", BLOCKS, ids=[_first_line(b) for b in BLOCKS])
def test_readme_example_runs(block, tmp_path):
    if any(name in block for name in NEEDS_USER_FILE):
        pytest.skip("needs a file of the user's own")
    if "dask.distributed" in block and importlib.util.find_spec("distributed") is None:
        pytest.skip("dask.distributed not installed")
    for module in re.findall(r"^from (sklearn|nengo|nir|onnx)\b", block, re.M):
        pytest.importorskip(module)
    if "spikecore.interop.nir" in block:
        pytest.importorskip("nir")
    script = tmp_path / "example.py"
    script.write_text(block, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
