"""The models against closed forms and published behaviour (verification ladder step 2)."""
import math

import numpy as np
import pytest

from spikecore.neurons import (IF, LIF, SRM0, AdaptiveLIF, CurrentLIF, HodgkinHuxley,
                               Izhikevich)


def _spike_times(spikes, dt):
    return np.flatnonzero(spikes) * dt


# ---------------------------------------------------------------------------------- LIF ----

@pytest.mark.parametrize("t_ref", [0.0, 2e-3, 5e-3])
@pytest.mark.parametrize("ri", [1.2, 2.0, 5.0])
def test_lif_rate_matches_closed_form_within_one_step(t_ref, ri):
    tau, dt, v_th = 20e-3, 1e-4, 1.0
    model = LIF(tau_mem=tau, v_th=v_th, t_ref=t_ref, dtype=np.float64)
    out = model.run(np.full((20000, 1, 1), ri), dt)
    isi = np.diff(_spike_times(out.spikes[:, 0, 0], dt))
    period = t_ref + tau * math.log(ri / (ri - v_th))
    assert len(isi) > 5
    assert np.all(np.abs(isi - period) <= dt + 1e-12)
    # the mean rate over many spikes also within one step's worth of period
    assert abs(1.0 / isi.mean() - 1.0 / period) <= 1.0 / period * dt / period + 1e-9


def test_lif_subthreshold_decay_is_exponential():
    tau, dt, v0 = 15e-3, 1e-4, 0.8
    model = LIF(tau_mem=tau, v_rest=0.1, dtype=np.float64)
    state = model.init_state(2, 3, v=v0)
    out = model.run(np.zeros((500, 2, 3)), dt, state=state, record_v=True)
    t = np.arange(1, 501) * dt
    expected = 0.1 + (v0 - 0.1) * np.exp(-t / tau)
    np.testing.assert_allclose(out.v[:, 0, 0], expected, rtol=1e-12)
    assert not out.spikes.any()


def test_lif_exact_charging_curve_and_euler_converges():
    tau, ri = 20e-3, 0.9
    t_end = 40e-3
    exact = ri * (1 - math.exp(-t_end / tau))
    lif = LIF(tau_mem=tau, dtype=np.float64)
    v_exact = lif.run(np.full((400, 1, 1), ri), 1e-4, record_v=True).v[-1, 0, 0]
    assert v_exact == pytest.approx(exact, rel=1e-12)
    errors = []
    for dt in (1e-3, 1e-4):
        steps = int(round(t_end / dt))
        v = LIF(tau_mem=tau, method="euler", dtype=np.float64).run(
            np.full((steps, 1, 1), ri), dt, record_v=True).v[-1, 0, 0]
        errors.append(abs(v - exact))
    assert errors[1] < errors[0] / 8  # first order: ten times smaller step, ~ten times smaller error


def test_refractory_period_is_exact():
    dt, t_ref = 1e-4, 3e-3
    model = LIF(tau_mem=1e-3, v_th=1.0, t_ref=t_ref, dtype=np.float64)
    # A huge current would fire every step; refractoriness must space spikes by exactly n_ref.
    out = model.run(np.full((1000, 1, 1), 1e3), dt, record_v=True)
    idx = np.flatnonzero(out.spikes[:, 0, 0])
    assert np.all(np.diff(idx) == 30)
    # while refractory the potential is clamped at the reset value
    for k in idx[:-1]:
        assert np.all(out.v[k:k + 30, 0, 0] == 0.0)


def test_soft_reset_keeps_the_overshoot():
    dt = 1e-3
    model = IF(tau_mem=1e-3, v_th=1.0, reset="soft")   # v += I per step
    out = model.run(np.full((10, 1, 1), 0.75, np.float32), dt, record_v=True)
    # charge 0.75 per step, subtract 1.0 at each crossing (strict threshold: v = 1.0 is silent)
    assert out.spikes[:, 0, 0].tolist() == [0, 1, 1, 0, 1, 1, 1, 0, 1, 1]
    np.testing.assert_array_equal(out.v[:5, 0, 0], [0.75, 0.5, 0.25, 1.0, 0.75])
    hard = IF(tau_mem=1e-3, v_th=1.0).run(np.full((10, 1, 1), 0.75, np.float32), dt)
    assert hard.spikes[:, 0, 0].tolist() == [0, 1] * 5


def test_if_integrates_without_leak():
    model = IF(tau_mem=10e-3, r_m=2.0, v_th=100.0, dtype=np.float64)
    out = model.run(np.full((100, 1, 1), 0.5), 1e-4, record_v=True)
    assert out.v[-1, 0, 0] == pytest.approx(2.0 * 0.5 * 100 * 1e-4 / 10e-3)


def test_batch_copies_are_independent():
    model = LIF(t_ref=1e-3)
    current = np.random.default_rng(0).uniform(0, 3, size=(300, 4, 5)).astype(np.float32)
    together = model.run(current, 1e-4).spikes
    for b in range(4):
        alone = model.run(current[:, b:b + 1], 1e-4).spikes
        np.testing.assert_array_equal(alone[:, 0], together[:, b])


def test_step_and_run_agree():
    model = AdaptiveLIF(theta_plus=0.2, tau_theta=50e-3, t_ref=1e-3)
    current = np.random.default_rng(1).uniform(0, 4, size=(200, 2, 3)).astype(np.float32)
    state = model.init_state(2, 3)
    stepped = np.array([model.step(state, current[t], 1e-4) for t in range(200)])
    np.testing.assert_array_equal(stepped, model.run(current, 1e-4).spikes)


# ----------------------------------------------------------------------------- CUBA LIF ----

@pytest.mark.parametrize("tau_s", [5e-3, 20e-3])
def test_cuba_psp_matches_the_closed_form(tau_s):
    # A current jump w at t = 0 gives v(t) = w tau_s/(tau_s - tau_m) (e^{-t/tau_s} - e^{-t/tau_m}),
    # or w (t/tau_m) e^{-t/tau_m} when tau_s = tau_m.
    tau_m, w, dt, T = 20e-3, 0.3, 1e-4, 1000
    model = CurrentLIF(tau_mem=tau_m, tau_syn=tau_s, dtype=np.float64)
    syn = np.zeros((T, 1, 1, 1))
    syn[0] = w
    out = model.run(np.zeros((T, 1, 1)), dt, syn_input=syn, record_v=True)
    t = np.arange(1, T + 1) * dt
    if tau_s == tau_m:
        expected = w * t / tau_m * np.exp(-t / tau_m)
    else:
        expected = w * tau_s / (tau_s - tau_m) * (np.exp(-t / tau_s) - np.exp(-t / tau_m))
    np.testing.assert_allclose(out.v[:, 0, 0], expected, rtol=1e-10, atol=1e-15)


def test_cuba_two_channels_superpose_and_keep_decaying_while_refractory():
    tau_m, dt = 20e-3, 1e-4
    model = CurrentLIF(tau_mem=tau_m, tau_syn=(5e-3, 10e-3), v_rest=-49e-3, v_th=-50e-3,
                       v_reset=-60e-3, t_ref=5e-3, dtype=np.float64)
    assert model.n_channels == 2 and model.synaptic_target == "i_syn"
    state = model.init_state(1, 1, v=-60e-3)
    state["i_syn"][0] = 2e-3
    state["i_syn"][1] = -1e-3
    T = 1500
    out = model.run(np.zeros((T, 1, 1)), dt, state=state, record_v=True)
    t = T * dt
    np.testing.assert_allclose(state["i_syn"][:, 0, 0],
                               [2e-3 * math.exp(-t / 5e-3), -1e-3 * math.exp(-t / 10e-3)],
                               rtol=1e-12)
    idx = np.flatnonzero(out.spikes[:, 0, 0])
    assert len(idx) >= 2 and np.all(np.diff(idx) >= 50)
    # Before the first spike, v is the sum of the three closed-form terms.
    k = idx[0] - 1
    tk = (k + 1) * dt
    psp = lambda w, ts: w * ts / (ts - tau_m) * (math.exp(-tk / ts) - math.exp(-tk / tau_m))
    expected = -49e-3 + (-60e-3 + 49e-3) * math.exp(-tk / tau_m) + psp(2e-3, 5e-3) + psp(-1e-3, 10e-3)
    assert out.v[k, 0, 0] == pytest.approx(expected, rel=1e-12)


def test_cuba_euler_approaches_exact():
    kw = dict(tau_mem=20e-3, tau_syn=(5e-3, 8e-3), v_th=10.0, dtype=np.float64)
    syn = np.zeros((2000, 2, 1, 1))
    syn[0, 0], syn[0, 1] = 1.0, -0.4
    exact = CurrentLIF(**kw).run(np.zeros((2000, 1, 1)), 1e-5, syn_input=syn, record_v=True).v
    euler = CurrentLIF(method="euler", **kw).run(np.zeros((2000, 1, 1)), 1e-5, syn_input=syn,
                                                 record_v=True).v
    np.testing.assert_allclose(euler, exact, atol=2e-3 * np.abs(exact).max())


# ------------------------------------------------------------------------- adaptive LIF ----

def test_adaptive_threshold_grows_with_spikes_and_decays_between():
    dt, tau_theta, plus = 1e-4, 0.1, 0.2
    model = AdaptiveLIF(tau_mem=10e-3, tau_theta=tau_theta, theta_plus=plus, dtype=np.float64)
    state = model.init_state(1, 1)
    current = np.concatenate([np.full((3000, 1, 1), 3.0), np.zeros((2000, 1, 1))])
    out = model.run(current, dt, state=state)
    times = _spike_times(out.spikes[:3000, 0, 0], dt)
    isi = np.diff(times)
    assert isi[-1] > 1.5 * isi[0]                         # spike-frequency adaptation
    # theta after the silent 0.2 s: sum of the increments, each decayed exactly
    t_end = 5000 * dt
    expected = sum(plus * math.exp(-(t_end - (s + dt)) / tau_theta) for s in times)
    assert state["theta"][0, 0] == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------------------------------------ SRM0 -----

def test_srm0_potential_is_the_kernel_convolution():
    # With no spike, u(t) = sum_s eps(s) I(t - s): for a step current, the integral of eps.
    tau_m, tau_s, dt, i0 = 10e-3, 2e-3, 1e-4, 0.5
    model = SRM0(tau_m=tau_m, tau_s=tau_s, v_th=10.0, dtype=np.float64)
    out = model.run(np.full((500, 1, 1), i0), dt, record_v=True)
    t = np.arange(1, 501) * dt
    integral = 1 - (tau_m * np.exp(-t / tau_m) - tau_s * np.exp(-t / tau_s)) / (tau_m - tau_s)
    np.testing.assert_allclose(out.v[:, 0, 0], i0 * integral, rtol=1e-10)


def test_srm0_spike_adds_the_eta_kernel_and_input_is_not_reset():
    tau_m, tau_eta, eta_0, dt = 10e-3, 5e-3, 1.0, 1e-4
    model = SRM0(tau_m=tau_m, eta_0=eta_0, tau_eta=tau_eta, v_th=0.5, t_ref=2e-3,
                 dtype=np.float64)
    current = np.zeros((400, 1, 1))
    current[:50] = 2.0
    out = model.run(current, dt, record_v=True)
    idx = np.flatnonzero(out.spikes[:, 0, 0])
    assert len(idx) >= 1
    k = idx[-1]
    # after the last spike: u = h(t) + eta(t - t_hat) with h the free response
    free = SRM0(tau_m=tau_m, v_th=1e9, dtype=np.float64).run(current, dt, record_v=True).v[:, 0, 0]
    later = np.arange(k, 400)
    expected = free[later] - eta_0 * np.exp(-(later - k) * dt / tau_eta)
    np.testing.assert_allclose(out.v[later, 0, 0], expected, rtol=1e-9, atol=1e-12)
    assert np.all(np.diff(idx) >= 20)


def test_srm0_rate_for_constant_current():
    # Exponential kernels: after a spike u(t) = R I - eta_0 e^{-s/tau_eta} (input term at its
    # steady state), so the period is t_ref-free tau_eta ln(eta_0 / (R I - theta)).
    dt, ri, theta, eta_0, tau_eta = 1e-5, 1.5, 1.0, 2.0, 8e-3
    model = SRM0(tau_m=10e-3, eta_0=eta_0, tau_eta=tau_eta, v_th=theta, dtype=np.float64)
    isi = np.diff(_spike_times(model.run(np.full((30000, 1, 1), ri), dt).spikes[:, 0, 0], dt))
    period = tau_eta * math.log(eta_0 / (ri - theta))
    assert len(isi) > 20 and np.all(np.abs(isi[-10:] - period) <= dt + 1e-12)


# ------------------------------------------------------------------------- Izhikevich -----

def _izh_isi(name, current, seconds=0.5, dt=1e-4):
    model = Izhikevich.preset(name, v_substeps=1, dtype=np.float64)
    out = model.run(np.full((int(seconds / dt), 1, 1), current), dt)
    return np.diff(_spike_times(out.spikes[:, 0, 0], dt)) * 1e3   # ms


def test_izhikevich_regular_spiking_adapts_fast_spiking_does_not():
    rs, fs = _izh_isi("RS", 15.0), _izh_isi("FS", 15.0)
    assert rs[-1] / rs[0] > 4.0           # RS: ISI grows several-fold (adaptation)
    assert fs[-1] / fs[0] < 2.0           # FS: little adaptation ...
    assert 1e3 / fs[-1] > 150.0           # ... at a high sustained rate
    assert 1e3 / _izh_isi("RS", 10.0)[-1] < 30.0


def test_izhikevich_intrinsic_bursting_then_regular():
    isi = _izh_isi("IB", 10.0)
    assert np.all(isi[:2] < 10.0)                        # initial burst
    tail = isi[3:]
    assert np.all(tail > 25.0)                           # then tonic, no more bursts
    assert tail.std() / tail.mean() < 0.05


def test_izhikevich_chattering_bursts_repeatedly():
    isi = _izh_isi("CH", 10.0)
    long = np.flatnonzero(isi > 30.0)
    assert len(long) >= 4                                # several inter-burst intervals ...
    assert np.all(isi[long[:-1] + 1] < 6.0)              # ... each followed by a burst
    assert (isi < 6.0).sum() >= 2 * len(long)            # several spikes per burst


def test_izhikevich_low_threshold_spiking_adapts_from_high_rate():
    isi = _izh_isi("LTS", 10.0)
    assert isi[0] < 5.0 and isi[-1] / isi[0] > 3.0


def test_izhikevich_thalamo_cortical_rebound_burst():
    dt = 1e-4
    current = np.zeros((4000, 1, 1))
    current[500:2000] = -10.0                            # hyperpolarise, then release
    for name, rebound in (("TC", True), ("RS", False)):
        out = Izhikevich.preset(name, v_substeps=1, dtype=np.float64).run(current, dt)
        spikes = out.spikes[:, 0, 0]
        assert not spikes[:2000].any()
        assert (spikes[2000:].sum() >= 2) == rebound, name


def test_izhikevich_resonator_rings():
    # A small pulse: the resonator's subthreshold response oscillates, the integrator's does not.
    dt = 1e-4
    counts = {}
    for name in ("RZ", "RS"):
        model = Izhikevich.preset(name, v_substeps=1, dtype=np.float64)
        state = model.init_state(1, 1)
        model.run(np.zeros((10000, 1, 1)), dt, state=state)  # settle at rest
        rest = float(state["v"][0, 0])
        pulse = np.zeros((3000, 1, 1))
        pulse[:20] = 0.5
        dev = model.run(pulse, dt, state=state, record_v=True).v[20:, 0, 0] - rest
        sign = np.sign(dev[np.abs(dev) > 0.01])
        counts[name] = (int(np.sum(sign[1:] != sign[:-1])), dev.min() / dev.max())
    assert counts["RZ"][0] >= 3 and counts["RZ"][1] < -0.3
    assert counts["RS"][0] <= 1 and counts["RS"][1] > -0.05


def test_izhikevich_paper_step_of_one_ms_runs():
    # The paper's own integration: dt = 1 ms with two 0.5 ms sub-steps for v.
    model = Izhikevich.preset("RS")
    out = model.run(np.full((1000, 4, 10), 10.0, np.float32), 1e-3)
    rate = out.spikes.sum(0).mean()
    assert 15 <= rate <= 40 and np.isfinite(out.state["v"]).all()


# -------------------------------------------------------------------- Hodgkin-Huxley ------

@pytest.mark.parametrize("method", ["rk4", "exponential_euler"])
def test_hodgkin_huxley_repetitive_firing_above_rheobase_only(method):
    dt = 2e-5                                               # 0.02 ms
    model = HodgkinHuxley(method=method, dtype=np.float64)
    levels = np.array([2.0, 4.0, 6.5, 10.0, 20.0])
    current = np.broadcast_to(levels, (15000, 1, 5))      # 300 ms
    spikes = model.run(current, dt).spikes[:, 0, :]
    late = spikes[5000:].sum(0)                            # after the first 100 ms
    assert late[0] == 0 and late[1] == 0                   # well below ~6.2: silent
    assert np.all(late[2:] >= 8)                           # above: tonic firing
    assert late[4] > late[3] > late[2]                     # rate grows with current
    isi = np.diff(np.flatnonzero(spikes[:, 3])) * dt
    assert np.ptp(isi[2:]) <= 2 * dt                       # regular, period ~14.6 ms at 10
    assert 13e-3 < isi[-1] < 16e-3


def test_hodgkin_huxley_rest_is_stable_and_integrators_agree():
    rk = HodgkinHuxley(dtype=np.float64)
    state = rk.init_state(1, 1)
    rk.run(np.zeros((5000, 1, 1)), 2e-5, state=state)
    assert abs(state["v"][0, 0] + 65.0) < 0.1
    current = np.full((5000, 1, 1), 10.0)
    a = rk.run(current, 1e-5, record_v=True).v[:, 0, 0]
    b = HodgkinHuxley(method="exponential_euler", dtype=np.float64).run(
        current, 1e-5, record_v=True).v[:, 0, 0]
    assert np.abs(a - b).max() < 2.0                        # mV, the same action potentials
