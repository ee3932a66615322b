"""ReSuMe kernels == their reference twins (hypothesis), and the rule == its equations:
the per-trial form equals a dt -> 0 integration of the continuous rule, and is zero when the
output equals the target."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.kernels import resume as K
from spikecore.learning.resume import ReSuMe, resume_delta
from spikecore.neurons import CurrentLIF
from spikecore.reference import resume as R

DT = 1e-3


def _problem(seed, T, batch, n_in, n_out, p_in=0.15, p_d=0.05, inhibitory=True):
    rng = np.random.default_rng(seed)
    x = (rng.random((T, batch, n_in)) < p_in).astype(np.uint8)
    d = (rng.random((T, batch, n_out)) < p_d).astype(np.uint8)
    w = rng.normal(0.3, 0.4, (n_out, n_in))
    sign = np.where(rng.random(n_in) < 0.3, -1.0, 1.0) if inhibitory else np.ones(n_in)
    return x, d, w, sign


def _state(batch, n_out):
    return (np.zeros((batch, n_out)), np.zeros((1, batch, n_out)), np.zeros((batch, n_out), np.int32))


PARAMS = CurrentLIF(tau_mem=10e-3, tau_syn=5e-3, t_ref=2e-3, dtype=np.float64).step_params(DT)

shapes = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 60), st.integers(1, 3),
                   st.integers(1, 12), st.integers(1, 4))


@settings(max_examples=40)
@given(shapes, st.sampled_from([0, 1, 2]), st.floats(0.0, 0.05), st.floats(0.0, 0.5),
       st.floats(1e-3, 20e-3), st.booleans())
def test_resume_run_matches_reference(shape, mode, a, A, tau, bounded):
    seed, T, batch, n_in, n_out = shape
    x, d, w0, sign = _problem(seed, T, batch, n_in, n_out)
    lo, hi = (-0.2, 0.8) if bounded else (-np.inf, np.inf)
    outs, ws, dws = [], [], []
    for mod in (K, R):
        w = w0.copy()
        v, i_syn, refrac = _state(batch, n_out)
        out = np.zeros((T, batch, n_out), bool)
        dw = np.full((n_out, n_in), np.nan)
        mod.resume_run(w, sign, x, d, v, i_syn, refrac, *PARAMS, a, A, np.exp(-DT / tau), lo, hi,
                       mode, out, dw)
        outs.append(out)
        ws.append(w)
        dws.append(dw)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_allclose(ws[0], ws[1], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dws[0], dws[1], rtol=1e-10, atol=1e-13)
    if mode == 0:
        np.testing.assert_array_equal(ws[0], w0)


@settings(max_examples=25)
@given(shapes, st.sampled_from([1, 2]))
def test_resume_train_epoch_matches_reference(shape, mode):
    seed, T, batch, n_in, n_out = shape
    x, d, w0, sign = _problem(seed, T, batch, n_in, n_out)
    order = np.random.default_rng(seed).permutation(batch).astype(np.int64)
    res = []
    for mod in (K, R):
        w = w0.copy()
        out = np.zeros((T, batch, n_out), bool)
        mod.resume_train_epoch(order, w, sign, x, d, *PARAMS, 0.01, 0.1, np.exp(-DT / 5e-3),
                               -np.inf, np.inf, mode, out)
        res.append((w, out))
    np.testing.assert_array_equal(res[0][1], res[1][1])
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-10, atol=1e-13)


def _packed(rng, n_trains, n_max, t_max):
    trains = [np.sort(rng.uniform(0, t_max, rng.integers(0, n_max + 1))) for _ in range(n_trains)]
    ptr = np.zeros(n_trains + 1, np.int64)
    ptr[1:] = np.cumsum([t.size for t in trains])
    return (np.concatenate(trains) if trains else np.zeros(0)), ptr


@settings(max_examples=60)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(1, 8), st.integers(1, 3),
       st.floats(1e-3, 30e-3))
def test_integrated_delta_matches_reference(seed, batch, n_in, n_out, tau):
    rng = np.random.default_rng(seed)
    pre, pre_ptr = _packed(rng, batch * n_in, 12, 0.2)
    des, des_ptr = _packed(rng, batch * n_out, 5, 0.2)
    act, act_ptr = _packed(rng, batch * n_out, 5, 0.2)
    sign = np.where(rng.random(n_in) < 0.5, -1.0, 1.0)
    a = K.resume_integrated_delta(pre, pre_ptr, des, des_ptr, act, act_ptr, sign, 0.01, 0.2, tau,
                                  np.empty((n_out, n_in)))
    b = R.resume_integrated_delta(pre, pre_ptr, des, des_ptr, act, act_ptr, sign, 0.01, 0.2, tau,
                                  np.empty((n_out, n_in)))
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_zero_change_when_output_equals_target():
    rng = np.random.default_rng(3)
    inputs = [np.sort(rng.uniform(0, 0.2, 8)) for _ in range(20)]
    target = [np.array([0.021, 0.07, 0.1333]), np.array([0.05])]
    dw = resume_delta(inputs, target, target, a=0.01, A=0.3, tau=5e-3,
                      sign=np.where(np.arange(20) % 3 == 0, -1.0, 1.0))
    assert np.all(dw == 0.0)
    # and in the simulated per-trial and online forms: use the neuron's own output as target
    layer = ReSuMe(30, 2, dt=1e-4, random_state=1)
    layer.weights = rng.uniform(0.5, 1.5, (2, 30))
    x = (rng.random((2000, 1, 30)) < 20 * 1e-4).astype(np.uint8)
    out = layer.run(x)
    assert out.sum() >= 3
    for mode in ("trial", "online"):
        layer.mode = mode
        w0 = layer.weights.copy()
        again = layer.run(x, out.astype(np.uint8), learn=True)
        np.testing.assert_array_equal(again, out)
        np.testing.assert_array_equal(layer.weights, w0)


def test_missing_spike_strengthens_excitation_and_weakens_inhibition():
    """The paper's sign convention: S_d = 1, S_o = 0 -> excitatory efficacies up, inhibitory down."""
    pre = [np.array([0.010]), np.array([0.010])]
    dw = resume_delta(pre, np.array([0.012]), np.zeros(0), a=0.01, A=0.5, tau=5e-3,
                      sign=np.array([1.0, -1.0]))
    expected = 0.01 + 0.5 * np.exp(-2e-3 / 5e-3)
    np.testing.assert_allclose(dw, [[expected, -expected]], rtol=1e-14)
    # an input spike after (or at) the post-synaptic spike contributes only the a term
    dw = resume_delta([np.array([0.012]), np.array([0.013])], np.array([0.012]), np.zeros(0),
                      a=0.01, A=0.5, tau=5e-3)
    np.testing.assert_allclose(dw, [[0.01, 0.01]], rtol=1e-14)


def _grid_trains(rng, n, k_max, count):
    return [np.sort(rng.choice(k_max, size=count, replace=False)) for _ in range(n)]


def test_per_trial_form_equals_dt_to_zero_integration_of_the_continuous_rule():
    """Closed form vs a forward-Euler integration of dx/dt = -x/tau + S_in,
    dw/dt = (S_d - S_o)(a + A x) as dt -> 0 (spike times on a 0.5 ms grid so every dt of the
    sequence hits them), Richardson-extrapolated: relative error < 1e-6."""
    rng = np.random.default_rng(7)
    base, n_base = 0.5e-3, 120                                  # 60 ms
    pre = _grid_trains(rng, 6, n_base, 10)
    des = np.sort(rng.choice(np.arange(10, n_base), 3, replace=False))
    act = np.sort(rng.choice(np.arange(10, n_base), 4, replace=False))
    a, A, tau = 0.02, 0.3, 4e-3
    sign = np.array([1, 1, -1, 1, -1, 1], float)
    exact = resume_delta([p * base for p in pre], des * base, act * base, a=a, A=A, tau=tau, sign=sign)[0]

    def euler(m):
        dt = base / m
        x = np.zeros(len(pre))
        s_in = np.zeros((n_base * m, len(pre)))
        for i, p in enumerate(pre):
            s_in[p * m, i] = 1.0
        s_d = np.zeros(n_base * m)
        s_d[des * m] = 1.0
        s_o = np.zeros(n_base * m)
        s_o[act * m] = 1.0
        w = np.zeros(len(pre))
        for k in range(n_base * m):
            w += (s_d[k] - s_o[k]) * sign * (a + A * x)     # Dirac deltas integrate to jumps
            x += dt * (-x / tau) + s_in[k]
        return w

    results = {m: euler(m) for m in (16, 32, 64, 128)}
    err = {m: np.max(np.abs(results[m] - exact)) / np.max(np.abs(exact)) for m in results}
    assert err[128] < err[64] < err[32] < err[16]                      # converges ...
    assert 1.7 < err[64] / err[128] < 2.3                               # ... at first order
    richardson = 2 * results[128] - results[64]
    np.testing.assert_allclose(richardson, exact, rtol=1e-6, atol=1e-6 * np.max(np.abs(exact)))


def test_grid_forms_equal_the_closed_form():
    """On grid spike times the per-trial kernel's change equals resume_delta to rounding, and the
    online form (with a rate so small the output cannot change) equals the per-trial form."""
    rng = np.random.default_rng(11)
    T, n_in = 600, 40
    x, d, w0, sign = _problem(5, T, 1, n_in, 2, p_in=0.02, p_d=0.01)
    w0 = np.abs(w0) * 0.8
    dws, outs = {}, {}
    for mode, scale in ((1, 1.0), (2, 1e-9)):
        w = w0.copy()
        v, i_syn, refrac = _state(1, 2)
        out = np.zeros((T, 1, 2), bool)
        dw = np.empty((2, n_in))
        K.resume_run(w, sign, x, d, v, i_syn, refrac, *PARAMS, 0.01 * scale, 0.2 * scale,
                     np.exp(-DT / 5e-3), -np.inf, np.inf, mode, out, dw)
        dws[mode], outs[mode] = dw / scale, out
    np.testing.assert_array_equal(outs[1], outs[2])
    assert outs[1].sum() > 0 and d.sum() > 0
    times = lambda r: [np.nonzero(r[:, 0, j])[0] * DT for j in range(r.shape[2])]  # noqa: E731
    exact = resume_delta(times(x), times(d), times(outs[1]), a=0.01, A=0.2, tau=5e-3, sign=sign)
    np.testing.assert_allclose(dws[1], exact, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dws[2], dws[1], rtol=1e-6, atol=1e-9)
    assert rng is not None


def test_bad_arguments():
    with pytest.raises(ValueError, match="sign"):
        resume_delta([np.zeros(1)], np.zeros(1), np.zeros(1), a=0.1, A=0.1, tau=1e-3, sign=[0.5])
    with pytest.raises(ValueError, match="actual"):
        resume_delta([np.zeros(1)], [np.zeros(1)], [np.zeros(1), np.zeros(1)], a=0.1, A=0.1, tau=1e-3)
    with pytest.raises(ValueError, match="tau"):
        resume_delta([np.zeros(1)], np.zeros(1), np.zeros(1), a=0.1, A=0.1, tau=-1.0)
    with pytest.raises(ValueError, match="input_trains"):
        resume_delta([np.array([np.nan])], np.zeros(1), np.zeros(1), a=0.1, A=0.1, tau=1e-3)
    layer = ReSuMe(3, 1)
    with pytest.raises(ValueError, match="in_spikes"):
        layer.run(np.zeros((10, 1, 4)))
    with pytest.raises(ValueError, match="desired"):
        layer.run(np.zeros((10, 1, 3)), learn=True)
    with pytest.raises(ValueError, match="mode"):
        ReSuMe(3, 1, mode="batch")
