"""spikecore's Loihi emulator against Lava's bit-accurate CPU backend (benchmarks/lava_crosscheck.py).

The slow test runs the cross-check for real when a Python with lava-nc 0.10 exists
(``$SPIKECORE_LAVA_PYTHON``, or the venv ``/work/venv-lava310`` / ``$SPIKECORE_LAVA_VENV``) and
skips otherwise. The fast tests check the Lava runner's pure helpers against spikecore without Lava.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from spikecore.interop.lava import netx_weight_quantization

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load("_lava_run")
crosscheck = _load("lava_crosscheck")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.sampled_from(["mixed", "excitatory"]), st.data())
def test_runner_weight_optimisation_agrees_with_spikecore(n_out, n_in, mode, data):
    # lava-dl's optimize_weight_bits (re-implemented in the runner) and spikecore's quantisation
    # give the same synapse weights, exponent and precision whenever Lava's Dense does not clip
    # (Lava's Dense picks its own sign mode: these weights keep lava-dl's, so nothing is clipped)
    low, high = (-128, 127) if mode == "mixed" else (0, 255)
    w = data.draw(arrays(np.int64, (n_out, n_in), elements=st.integers(low, high)))
    assume(w.max() > 0 and (w.min() < 0 or mode == "excitatory"))
    ours, exp, nwb, sign_mode = netx_weight_quantization(w.astype(np.float64))
    theirs, nwb_r, exp_r = runner.optimize_weight_bits(w)
    assert sign_mode == mode and (exp, nwb) == (exp_r, nwb_r)
    np.testing.assert_array_equal(ours, theirs)


def test_nonpositive_weights_with_a_zero_quantise_like_lava_dl_and_lava():
    # largest weight exactly 0: lava-dl's optimize_weight_bits takes the mixed branch with
    # scale -128 / w_min (127 / 0 is inf), shifts by s = 8 and asks for 1 weight bit; Lava's Dense
    # then sees no positive weight (inhibitory), clips -256 to -255 and truncates 7 bits: -128.
    # Lava 0.10 ran a 16 -> 8 layer of such weights to the same u, v and spikes as these rules.
    theirs, nwb_r, exp_r = runner.optimize_weight_bits(np.array([[0, -1]]))
    assert (theirs.tolist(), nwb_r, exp_r) == ([[0, -256]], 1, -8)
    ours, exp, nwb, mode = netx_weight_quantization(np.array([[0.0, -1.0]]))
    assert (ours.tolist(), exp, nwb, mode) == ([[0, -128]], -8, 1, "inhibitory")


def test_layout_helpers_are_inverse_and_match_netx():
    x = np.arange(5 * 2 * 3 * 4).reshape(5, 2, 3, 4)  # (T, C, H, W)
    lava = runner._to_lava(x)
    assert lava.shape == (4, 3, 2, 5)  # (W, H, C, T)
    assert lava[3, 2, 1, 4] == x[4, 1, 2, 3]
    np.testing.assert_array_equal(runner._from_lava(lava), x)
    # Lava's flatten of (W, H, C) after netx's transpose([2, 1, 0]) is spikecore's C-order (C, H, W)
    np.testing.assert_array_equal(lava[..., 0].transpose(2, 1, 0).ravel(), x[0].ravel())


def test_first_mismatch_names_layer_step_and_neuron():
    a = [np.zeros((4, 3), np.uint8), np.zeros((4, 2), np.uint8)]
    b = [a[0].copy(), a[1].copy()]
    assert crosscheck.first_mismatch(a, b, "spikes") is None
    b[1][2, 1] = 1
    msg = crosscheck.first_mismatch(a, b, "spikes")
    assert "layer 1" in msg and "step 2" in msg and "(1,)" in msg


def test_missing_lava_python_gives_a_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("SPIKECORE_LAVA_PYTHON", str(tmp_path / "no-python"))
    python, why = crosscheck.lava_python(tmp_path / "venv", create=False)
    assert python is None and "does not import lava" in why
    monkeypatch.delenv("SPIKECORE_LAVA_PYTHON")
    python, why = crosscheck.lava_python(tmp_path / "venv", create=False)
    assert python is None and "no Lava venv" in why


@pytest.mark.slow
def test_spikecore_matches_lava_bit_for_bit(tmp_path):
    python, why = crosscheck.lava_python(crosscheck.DEFAULT_VENV, create=False)
    if python is None:
        pytest.skip("Lava cross-check: %s" % why)
    rows = crosscheck.crosscheck(python, quick=True, record=True, workdir=tmp_path, log=lambda m: None)
    assert len(rows) == 6
    for row in rows:
        assert row["mismatch"] is None, "%s: %s" % (row["case"], row["mismatch"])
        assert row["identical"] and row["identical_uv"]
        # not a trivial comparison: every layer spikes, and no layer spikes at every step
        for spikes, n in zip(row["spikes"], row["neurons"]):
            assert 0 < spikes < n * row["steps"], row
    # the integrator layer of the "signs" case wrapped its 24-bit current in both simulators
    with np.load(tmp_path / "case1_out.npz") as z:
        assert z["u_0"].min() < 0  # only excitatory weights feed it: negative u means a wrap
