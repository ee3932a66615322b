"""Loihi CUBA kernels: compiled == reference, and the invariants of Loihi's fixed-point arithmetic."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.kernels import loihi as K
from spikecore.reference import loihi as R

MAX24 = 1 << 23


def _empty3(dtype):
    return np.zeros((0, 0, 0), dtype)


def _run_fixed(mod, a, i_decay, v_decay, bias, vth, w_rec=None, rec_exp=0, reset=(0, 0), t_start=1,
               u0=None, v0=None):
    T, batch, n = a.shape
    u = np.zeros((batch, n), np.int32) if u0 is None else u0.copy()
    v = np.zeros((batch, n), np.int32) if v0 is None else v0.copy()
    w = np.zeros((0, 0), np.int32) if w_rec is None else w_rec
    s_prev = np.zeros((batch, n), np.uint8)
    spikes = np.zeros((T, batch, n), np.uint8)
    ur = np.zeros((T, batch, n), np.int32)
    vr = np.zeros((T, batch, n), np.int32)
    mod.loihi_cuba_run(a, u, v, i_decay, v_decay, bias, vth, w, rec_exp, s_prev,
                       reset[0], reset[1], t_start, spikes, ur, vr)
    return spikes, ur, vr, u, v


@st.composite
def fixed_cases(draw):
    T = draw(st.integers(1, 12))
    batch = draw(st.integers(1, 3))
    n = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    amp = draw(st.sampled_from([3, 300, 2**17, 2**26]))  # the last overflows 32 bits after << 6
    a = rng.integers(-amp, amp + 1, size=(T, batch, n)).astype(np.int32)
    bias = rng.integers(-4096, 4096, size=n).astype(np.int32) << draw(st.integers(0, 7))
    rec = draw(st.booleans())
    w = rng.integers(-256, 255, size=(n, n)).astype(np.int32) if rec else None
    u0 = rng.integers(-MAX24 + 1, MAX24, size=(batch, n)).astype(np.int32)
    v0 = rng.integers(-MAX24 + 1, MAX24, size=(batch, n)).astype(np.int32)
    return dict(a=a, i_decay=draw(st.integers(0, 4096)), v_decay=draw(st.integers(0, 4096)),
                bias=bias, vth=draw(st.integers(0, 2**17 - 1)), w_rec=w,
                rec_exp=draw(st.integers(-4, 3)),
                reset=(draw(st.integers(0, 5)), draw(st.integers(0, 4))),
                t_start=draw(st.integers(1, 20)), u0=u0, v0=v0)


@settings(max_examples=60)
@given(fixed_cases())
def test_fixed_kernel_equals_reference(case):
    if case["reset"][0] > 0:
        case["reset"] = (case["reset"][0], case["reset"][1] % case["reset"][0])
    got = _run_fixed(K, **case)
    want = _run_fixed(R, **case)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@settings(max_examples=40)
@given(st.integers(0, 2**31 - 1), st.integers(1, 30))
def test_idecay_zero_is_exact_accumulator(seed, T):
    rng = np.random.default_rng(seed)
    a = rng.integers(-1000, 1000, size=(T, 2, 4)).astype(np.int32)
    spikes, ur, vr, _, _ = _run_fixed(K, a, 0, 4096, np.zeros(4, np.int32), 2**17 - 1)
    np.testing.assert_array_equal(ur, np.cumsum(a.astype(np.int64) << 6, axis=0))
    # v_decay = 4096: the voltage forgets itself and equals this step's current (no spike here)
    np.testing.assert_array_equal(vr, ur)


@settings(max_examples=40)
@given(st.integers(-(2**17), 2**17), st.integers(0, 4096), st.integers(-(MAX24) + 1, MAX24))
def test_current_wraps_and_voltage_saturates(a, i_decay, u0):
    case = dict(a=np.full((1, 1, 1), a, np.int32), i_decay=i_decay, v_decay=0,
                bias=np.zeros(1, np.int32), vth=2**17 - 1,
                u0=np.full((1, 1), u0, np.int32), v0=np.full((1, 1), MAX24 - 1, np.int32))
    _, ur, vr, _, _ = _run_fixed(K, **case)
    p = u0 * (4096 - i_decay)
    exact = int(np.sign(p)) * (abs(p) >> 12) + (a << 6)
    expect = exact - 2**24 if exact > MAX24 else exact + 2**24 if exact <= -MAX24 else exact
    assert ur[0, 0, 0] == expect
    assert -MAX24 < ur[0, 0, 0] <= MAX24
    assert -MAX24 + 1 <= vr[0, 0, 0] <= MAX24 - 1  # saturated, never wrapped
    if exact + (MAX24 - 1) > MAX24 - 1 and expect == exact:
        assert vr[0, 0, 0] in (MAX24 - 1, 0)  # 0 if it fired (threshold below the rail)


def test_threshold_is_strict():
    vth = 10
    # bias alone drives v to exactly vth << 6: no spike; one more unit: spike
    for b, fires in ((vth << 6, 0), ((vth << 6) + 1, 1)):
        spikes, _, vr, _, _ = _run_fixed(K, np.zeros((1, 1, 1), np.int32), 4096, 4096,
                                         np.array([b], np.int32), vth)
        assert spikes[0, 0, 0] == fires
        assert vr[0, 0, 0] == (0 if fires else b)


def test_reset_follows_lava_time_steps():
    a = np.ones((6, 1, 1), np.int32)
    _, ur, _, _, _ = _run_fixed(K, a, 0, 4096, np.zeros(1, np.int32), 2**17 - 1,
                                reset=(3, 1), t_start=1)
    # Lava time steps 1..6; the state is zeroed before steps 1 and 4
    assert list(ur[:, 0, 0] >> 6) == [1, 2, 3, 1, 2, 3]


@settings(max_examples=40)
@given(st.integers(0, 2**31 - 1), st.integers(1, 10))
def test_float_kernel_equals_reference(seed, T):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(T, 2, 5))
    args = dict(du=float(rng.uniform()), dv=float(rng.uniform()), bias=rng.normal(size=5) * 0.1,
                vth=float(rng.uniform(0.1, 2)))
    outs = []
    for mod in (K, R):
        u = np.zeros((2, 5)); v = np.zeros((2, 5))
        s = np.zeros((T, 2, 5), np.uint8); ur = np.zeros((T, 2, 5)); vr = np.zeros((T, 2, 5))
        mod.lif_float_run(a, u, v, args["du"], args["dv"], args["bias"], args["vth"], s, ur, vr)
        outs.append((s, ur, vr))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(outs[0][2], outs[1][2], rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(st.integers(0, 2**31 - 1), st.integers(1, 2), st.integers(1, 3), st.integers(1, 2),
       st.integers(0, 2), st.integers(1, 2), st.sampled_from([1, 2]), st.booleans())
def test_conv_kernel_equals_reference(seed, stride, k, dil, pad, groups, n, big):
    rng = np.random.default_rng(seed)
    cin, cout = 2 * groups, 2 * groups
    H, W = 7, 6
    x = (rng.random((n, cin, H, W)) < 0.4).astype(np.int32)
    if big:
        x *= 2**20  # forces the 24-bit wrap
    w = rng.integers(-128, 128, size=(cout, cin // groups, k, k)).astype(np.int32)
    Ho = (H + 2 * pad - dil * (k - 1) - 1) // stride + 1
    Wo = (W + 2 * pad - dil * (k - 1) - 1) // stride + 1
    if Ho < 1 or Wo < 1:
        return
    outs = []
    for mod in (K, R):
        out = np.zeros((n, cout, Ho, Wo), np.int32)
        mod.loihi_conv2d(x, w, stride, stride, pad, pad, dil, dil, groups, out)
        outs.append(out)
    np.testing.assert_array_equal(outs[0], outs[1])
    assert outs[0].min() >= -MAX24 and outs[0].max() < MAX24


def test_conv_matches_dense_correlation():
    rng = np.random.default_rng(0)
    x = (rng.random((1, 3, 8, 8)) < 0.5).astype(np.int32)
    w = rng.integers(-5, 6, size=(4, 3, 3, 3)).astype(np.int32)
    out = np.zeros((1, 4, 3, 3), np.int32)
    K.loihi_conv2d(x, w, 2, 2, 0, 0, 1, 1, 1, out)
    for k in range(4):
        for p in range(3):
            for q in range(3):
                assert out[0, k, p, q] == int((x[0, :, 2 * p:2 * p + 3, 2 * q:2 * q + 3] * w[k]).sum())


@settings(max_examples=40)
@given(st.integers(0, 2**31 - 1), st.integers(1, 8), st.integers(0, 4096), st.integers(0, 4096))
def test_engine_step_kernels_equal_reference_and_the_run_kernel(seed, T, i_decay, v_decay):
    rng = np.random.default_rng(seed)
    cur = rng.integers(-3000, 3000, size=(T, 2, 5)).astype(np.float32)
    bias = (rng.integers(-100, 100, size=5) << 6).astype(np.int32)
    vth = int(rng.integers(1, 500))
    results = []
    for mod in (K, R):
        u = np.zeros((2, 5), np.int32); v = np.zeros((2, 5), np.int32)
        s = np.zeros((T, 2, 5), bool); tr = np.zeros((T, 2, 5), np.float32)
        mod.loihi_cuba_neuron_run(u, v, cur, i_decay, v_decay, bias, vth, s, tr)
        results.append((s, tr, u))
    spikes, _, vr, u_end, _ = _run_fixed(K, cur.astype(np.int32), i_decay, v_decay, bias, vth)
    for s, tr, u in results:
        np.testing.assert_array_equal(s, spikes.astype(bool))
        np.testing.assert_array_equal(tr, vr)
        np.testing.assert_array_equal(u, u_end)


def test_neuron_model_follows_the_engine_interface():
    from spikecore.neurons.loihi import LoihiCUBA
    model = LoihiCUBA(i_decay=4096, v_decay=1024, vth_mant=25, bias_mant=30, bias_exp=6)
    state = model.init_state(1, 3)
    assert model.state_names == ("u", "v") and state["u"].dtype == np.int32
    out = model.run(np.zeros((5, 1, 3), np.float32), dt=1e-3, record_v=True)
    # bias 30 << 6 = 1920 > 25 << 6 = 1600: fires every step, v reset to 0
    assert out.spikes.all() and (out.v == 0).all()
    s = model.step(model.init_state(1, 3), np.zeros((1, 3)), 1e-3)
    assert s.all()
    with pytest.raises(ValueError, match="i_decay"):
        LoihiCUBA(i_decay=5000, v_decay=0, vth_mant=1)
