"""Bad parameters and bad input raise errors that name the argument, the value and the expectation."""
import numpy as np
import pytest

from spikecore.neurons import (IF, LIF, SRM0, AdaptiveLIF, CurrentLIF, HodgkinHuxley,
                               Izhikevich)


@pytest.mark.parametrize("factory, match", [
    (lambda: LIF(tau_mem=-0.02), r"tau_mem = -0.02: expected a positive"),
    (lambda: LIF(tau_mem=0.0), r"tau_mem = 0.0"),
    (lambda: LIF(tau_mem=float("nan")), r"tau_mem = nan"),
    (lambda: LIF(v_th=0.5, v_reset=0.5), r"v_reset = 0.5: expected a value below v_th"),
    (lambda: LIF(v_th=float("inf")), r"v_th = inf: expected a finite"),
    (lambda: LIF(t_ref=-1e-3), r"t_ref = -0.001"),
    (lambda: LIF(reset="zero"), r"reset = 'zero': expected one of 'hard', 'soft'"),
    (lambda: LIF(method="rk45"), r"method = 'rk45'"),
    (lambda: IF(r_m=0), r"r_m = 0"),
    (lambda: CurrentLIF(tau_syn=(5e-3, -1e-3)), r"tau_syn\[1\] = -0.001"),
    (lambda: CurrentLIF(tau_syn=()), r"tau_syn"),
    (lambda: AdaptiveLIF(tau_theta=0), r"tau_theta = 0"),
    (lambda: AdaptiveLIF(theta_plus=-0.1), r"theta_plus = -0.1"),
    (lambda: Izhikevich(c=40.0), r"c = 40.0: expected a reset potential below v_peak"),
    (lambda: Izhikevich(a=-0.02), r"a = -0.02"),
    (lambda: Izhikevich(v_substeps=0), r"v_substeps = 0"),
    (lambda: Izhikevich.preset("XY"), r"name = 'XY': expected one of"),
    (lambda: SRM0(tau_s=20e-3, tau_m=10e-3), r"tau_s = 0.02: expected a rise time below tau_m"),
    (lambda: SRM0(eta_0=0.0), r"eta_0 = 0.0"),
    (lambda: HodgkinHuxley(c_m=-1.0), r"c_m = -1.0"),
    (lambda: HodgkinHuxley(method="euler"), r"method = 'euler'"),
])
def test_bad_parameters(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_bad_arithmetic():
    with pytest.raises(TypeError, match=r"arithmetic = <class 'numpy.float32'>: expected numpy.float64, "
                       r"or numpy.float32 with dtype=numpy.float32 \(the state dtype here is float64\)"):
        CurrentLIF(dtype=np.float64, arithmetic=np.float32)
    with pytest.raises(TypeError, match="arithmetic = 'half'"):
        CurrentLIF(arithmetic="half")
    with pytest.raises(TypeError, match="arithmetic = None"):
        CurrentLIF(arithmetic=None)
    assert CurrentLIF(arithmetic="float32").arithmetic == np.float32


def test_bad_parameter_types():
    with pytest.raises(TypeError, match="tau_mem = '20ms'"):
        LIF(tau_mem="20ms")
    with pytest.raises(TypeError, match="dtype"):
        LIF(dtype=np.int32)
    with pytest.raises(TypeError, match="v_substeps = 1.5: expected an integer"):
        Izhikevich(v_substeps=1.5)


@pytest.mark.parametrize("dt", [0.0, -1e-4, float("nan")])
def test_bad_time_step(dt):
    with pytest.raises(ValueError, match="dt = "):
        LIF().run(np.zeros((3, 1, 1)), dt)


def test_wrong_current_shape_and_dtype():
    lif = LIF()
    with pytest.raises(ValueError, match=r"current = '?<array of shape \(3, 2\)>'?: expected shape \(any, any, any\)"):
        lif.run(np.zeros((3, 2)), 1e-4)
    state = lif.init_state(2, 4)
    with pytest.raises(ValueError, match=r"current = '?<array of shape \(2, 3\)>'?: expected shape \(2, 4\)"):
        lif.step(state, np.zeros((2, 3)), 1e-4)
    with pytest.raises(ValueError, match=r"current = '?<array of shape \(5, 2, 3\)>'?: expected shape \(any, 2, 4\)"):
        lif.run(np.zeros((5, 2, 3)), 1e-4, state=state)
    with pytest.raises(TypeError, match="current = '?<array of dtype bool>'?"):
        lif.run(np.zeros((3, 2, 4), bool), 1e-4)
    with pytest.raises(TypeError, match="current"):
        lif.run(np.array([["a"]]), 1e-4)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_current(bad):
    current = np.ones((4, 1, 3), np.float32)
    current[2, 0, 1] = bad
    with pytest.raises(ValueError, match=r"current = '?<array with .* at index \(2, 0, 1\)>'?: expected finite"):
        LIF().run(current, 1e-4)
    with pytest.raises(ValueError, match="expected finite"):
        HodgkinHuxley().step(HodgkinHuxley().init_state(1, 3), current[2], 1e-5)


def test_bad_state():
    lif = LIF()
    with pytest.raises(TypeError, match="state"):
        lif.step([np.zeros((1, 1))], np.zeros((1, 1)), 1e-4)
    state = lif.init_state(1, 2)
    state["refrac"] = state["refrac"].astype(np.float32)
    with pytest.raises(TypeError, match=r"state\['refrac'\].*int32"):
        lif.step(state, np.zeros((1, 2)), 1e-4)
    state = lif.init_state(1, 2)
    del state["refrac"]
    with pytest.raises(ValueError, match="state"):
        lif.step(state, np.zeros((1, 2)), 1e-4)
    with pytest.raises(TypeError, match="a state variable of LIF"):
        lif.init_state(1, 2, w=0.0)
    with pytest.raises(ValueError, match="broadcastable"):
        lif.init_state(2, 3, v=np.zeros(4))
    with pytest.raises(ValueError, match="batch = 0"):
        lif.init_state(0, 3)
    with pytest.raises(ValueError, match="expected finite"):
        lif.init_state(1, 1, v=np.nan)


def test_bad_syn_input():
    model = CurrentLIF(tau_syn=(5e-3, 10e-3))
    with pytest.raises(ValueError, match=r"syn_input = '?<array of shape \(4, 1, 1, 2\)>'?: expected shape \(4, 2, 1, 2\)"):
        model.run(np.zeros((4, 1, 2)), 1e-4, syn_input=np.zeros((4, 1, 1, 2)))
