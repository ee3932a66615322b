"""spikecore == Brian2 on the CUBA network (same connectivity, same initial potentials, float64;
and the same statistics in float32).

Skipped when Brian2 is not installed (it is the ``brian2`` extra). Brian2's ``numpy`` target is
used: it needs no C compiler and no compile time, and gives the same spikes as its Cython target.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from spikecore.network.examples import cuba, cuba_export

brian2 = pytest.importorskip("brian2")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_brian2_cuba.py"


def _brian2_module():
    spec = importlib.util.spec_from_file_location("_brian2_cuba", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sorted_spikes(step, neuron):
    order = np.lexsort((neuron, step))
    return step[order], neuron[order]


def _compare(n_steps, seed, dtype=np.float64):
    net, pop = cuba(4000, seed=seed, dtype=dtype, arithmetic=dtype)
    data = cuba_export(net, pop)
    res = net.run(n_steps)
    s = res.spikes(pop)
    sc_t, sc_i = _sorted_spikes(s.step, s.neuron)
    b2 = _brian2_module().run_brian2_cuba("numpy", data["pre_e"], data["post_e"], data["pre_i"],
                                          data["post_i"], data["v0"], data["n"], n_steps * 1e-4,
                                          float_dtype=np.dtype(dtype).name)
    b2_t, b2_i = _sorted_spikes(np.rint(b2["t"] / 1e-4).astype(np.int64), b2["i"])
    return (sc_t, sc_i), (b2_t, b2_i)


def _first_difference(a, b):
    m = min(a[0].size, b[0].size)
    diff = np.flatnonzero((a[0][:m] != b[0][:m]) | (a[1][:m] != b[1][:m]))
    return int(diff[0]) if diff.size else m


def _cv_isi(step, neuron, n):
    cvs = []
    for k in range(n):
        t = step[neuron == k]
        if t.size > 2:
            isi = np.diff(t)
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs))


def test_cuba_spike_trains_identical_to_brian2():
    """200 ms of CUBA (4000 neurons, ~4 500 spikes): every spike at the same step."""
    sc, b2 = _compare(2000, seed=1)
    assert sc[0].size > 3000
    assert sc[0].size == b2[0].size
    np.testing.assert_array_equal(sc[0], b2[0])
    np.testing.assert_array_equal(sc[1], b2[1])


@pytest.mark.slow
def test_cuba_long_run_matches_brian2():
    """5 s of CUBA: spike-identical as long as they agree, then rates and CV of ISI agree."""
    sc, b2 = _compare(50000, seed=2)
    first = _first_difference(sc, b2)
    identical_until_ms = (sc[0][first] if first < sc[0].size else 50000) * 0.1
    print("spike-identical until %.1f ms (%d spikes)" % (identical_until_ms, first))
    assert identical_until_ms >= 1000.0
    rate_sc, rate_b2 = sc[0].size / 4000 / 5.0, b2[0].size / 4000 / 5.0
    assert abs(rate_sc - rate_b2) <= 0.02 * rate_b2
    cv_sc, cv_b2 = _cv_isi(*sc, 4000), _cv_isi(*b2, 4000)
    assert abs(cv_sc - cv_b2) <= 0.05 * cv_b2


def test_cuba_float32_statistics_match_brian2_float32():
    """1 s of CUBA in single precision on both sides (spikecore's arithmetic=np.float32, Brian2's
    default_float_dtype = float32): different rounding orders, so not the same spikes, but the
    same rate and CV of ISI."""
    sc, b2 = _compare(10000, seed=1, dtype=np.float32)
    assert sc[0].size > 15000
    assert abs(sc[0].size - b2[0].size) <= 0.03 * b2[0].size
    cv_sc, cv_b2 = _cv_isi(*sc, 4000), _cv_isi(*b2, 4000)
    assert abs(cv_sc - cv_b2) <= 0.05 * cv_b2
