"""Subnormal numbers are flushed to zero while spikecore's kernels run, and only then.

Without the flush, a float32 CurrentLIF population whose currents decay to nothing spends its
run in microcode assists: a decay factor above 1/2 rounds the smallest subnormal back to itself,
so the value never reaches zero (see spikecore.kernels.fpmode).
"""
import numpy as np
import pytest

from spikecore.kernels import fpmode
from spikecore.kernels import network as K
from spikecore.network import Network
from spikecore.neurons import LIF, CurrentLIF

TINY32 = np.finfo(np.float32).tiny
needs_mxcsr = pytest.mark.skipif(not fpmode.SUPPORTED, reason="no SSE control register on this CPU")


def test_decay_sticks_in_the_subnormal_range_without_the_flush():
    # the premise: plain float32 arithmetic keeps the smallest subnormal forever
    x = np.float32(np.finfo(np.float32).smallest_subnormal)
    d = np.float32(np.exp(-0.1 / 10))
    assert x * d == x != 0


@needs_mxcsr
def test_flush_and_restore():
    before = fpmode.get_mode()
    saved = fpmode.flush_subnormals()
    try:
        assert saved == before
        assert fpmode.get_mode() & (fpmode.FTZ | fpmode.DAZ) == fpmode.FTZ | fpmode.DAZ
        a = np.array([TINY32], np.float32)
        assert (a * np.float32(0.5))[0] == 0.0  # would be the subnormal TINY32 / 2
    finally:
        fpmode.restore(saved)
    assert fpmode.get_mode() == before
    assert (np.array([TINY32], np.float32) * np.float32(0.5))[0] == TINY32 / 2


def _silent_cuba(arithmetic):
    net = Network(dt=1e-4)
    model = CurrentLIF(tau_mem=20e-3, tau_syn=(5e-3, 10e-3), v_rest=-49e-3, v_th=-50e-3,
                       v_reset=-60e-3, t_ref=5e-3, dtype=np.float32, arithmetic=arithmetic)
    pop = net.add(model, n=64, initial={"i_syn": 1e-3})
    return net, pop


@needs_mxcsr
@pytest.mark.parametrize("arithmetic", [np.float64, np.float32])
def test_network_run_leaves_no_subnormal_state_and_restores_the_mode(arithmetic):
    before = fpmode.get_mode()
    net, pop = _silent_cuba(arithmetic)
    net.run(20000)  # 2 s: the currents (tau 5 and 10 ms) decay by e^-200 and e^-400
    i_syn = net.state(pop)["i_syn"]
    assert np.all((i_syn == 0) | (np.abs(i_syn) >= TINY32))
    assert fpmode.get_mode() == before


@needs_mxcsr
def test_model_run_flushes_too():
    model = LIF(tau_mem=5e-3, v_rest=0.0, dtype=np.float32)
    state = model.init_state(1, 8, v=0.5)
    model.run(np.zeros((20000, 1, 8), np.float32), dt=1e-4, state=state)  # v decays by e^-400
    assert np.all(state["v"] == 0.0)


def test_mode_restored_when_the_kernel_raises(monkeypatch):
    before = fpmode.get_mode()
    net, _ = _silent_cuba(np.float32)

    def boom(*args):
        raise RuntimeError("kernel failed")
    monkeypatch.setattr(K, "network_run", boom)
    with pytest.raises(RuntimeError, match="kernel failed"):
        net.run(10)
    assert fpmode.get_mode() == before
