"""STDP rules against their equations: windows measured from the kernels, bounds, reductions."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikecore.learning import stdp as S
from spikecore.learning.homeostasis import normalize_incoming, normalize_incoming_csr

DT = 1e-4
LAGS = np.array([-60e-3, -20e-3, -5e-3, -1e-4, 0.0, 1e-4, 5e-3, 20e-3, 60e-3])
POS = LAGS >= 0


def _exp(tau, d):
    return np.exp(-np.abs(d) / tau)


@pytest.mark.parametrize("pairing", ["all", "nearest"])
def test_pair_additive_window(pairing):
    r = S.PairSTDP(a_plus=0.01, a_minus=0.012, tau_plus=15e-3, tau_minus=30e-3, pairing=pairing)
    got = S.stdp_window(r, LAGS, dt=DT, w=0.5)
    want = np.where(POS, 0.01 * _exp(15e-3, LAGS), -0.012 * _exp(30e-3, LAGS))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)
    assert np.all(got[POS] > 0) and np.all(got[~POS] < 0)


@pytest.mark.parametrize("w", [0.1, 0.5, 0.9])
def test_pair_multiplicative_window(w):
    r = S.PairSTDP(a_plus=0.01, a_minus=0.012, weight_dependence="multiplicative", mu=1.0, w_min=0.0, w_max=1.0)
    got = S.stdp_window(r, LAGS, dt=DT, w=w)
    want = np.where(POS, 0.01 * (1 - w) * _exp(20e-3, LAGS), -0.012 * w * _exp(20e-3, LAGS))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)


def test_far_apart_pairs_do_nothing():
    for rule in (S.PairSTDP(), S.TripletSTDP(), S.PrePostTraceSTDP(), S.RewardModulatedSTDP(tau_c=0.05)):
        got = S.stdp_window(rule, [-2.0, 2.0], dt=1e-3, w=0.5)
        np.testing.assert_allclose(got, 0.0, atol=1e-12)


def test_triplet_reduces_to_pair_without_triplet_terms():
    kw = dict(tau_plus=16.8e-3, tau_minus=33.7e-3, w_min=0.0, w_max=1.0, pairing="all")
    tri = S.TripletSTDP(a2_plus=0.01, a3_plus=0.0, a2_minus=0.007, a3_minus=0.0, **kw)
    pair = S.PairSTDP(a_plus=0.01, a_minus=0.007, **kw)
    np.testing.assert_allclose(S.stdp_window(tri, LAGS, dt=DT), S.stdp_window(pair, LAGS, dt=DT), rtol=1e-12)
    # and on random spike trains, not only single pairs
    rng = np.random.default_rng(3)
    pre = (rng.random((400, 2, 5)) < 0.05).astype(np.uint8)
    post = (rng.random((400, 2, 4)) < 0.05).astype(np.uint8)
    w0 = rng.uniform(0.2, 0.8, (4, 5))
    a = S.PlasticSynapses(tri, weights=w0, dt=1e-3, batch=2, dtype=np.float64)
    b = S.PlasticSynapses(pair, weights=w0, dt=1e-3, batch=2, dtype=np.float64)
    a.run(pre, post)
    b.run(pre, post)
    np.testing.assert_allclose(a.dense_weights(), b.dense_weights(), rtol=1e-12)


def test_triplet_term_adds_potentiation_for_post_pre_post():
    # post at 0, pre at 10 ms, post at 20 ms: the second post spike sees o2 > 0
    tri = S.TripletSTDP(a2_plus=0.0, a3_plus=0.01, a2_minus=0.0, a3_minus=0.0, pairing="all")
    syn = S.PlasticSynapses(tri, weights=[[0.5]], dt=1e-3, dtype=np.float64)
    pre = np.zeros((25, 1, 1), np.uint8)
    post = np.zeros((25, 1, 1), np.uint8)
    post[0] = post[20] = 1
    pre[10] = 1
    syn.run(pre, post)
    want = 0.01 * np.exp(-10e-3 / tri.tau_plus) * np.exp(-20e-3 / tri.tau_y)
    np.testing.assert_allclose(syn.dense_weights()[0, 0] - 0.5, want, rtol=1e-9)


def test_diehl_cook_presynaptic_trace_window():
    r = S.PresynapticTraceSTDP(eta=0.02, x_tar=0.3, mu=0.5, w_max=1.0, tau_pre=20e-3)
    w = 0.4
    got = S.stdp_window(r, LAGS, dt=DT, w=w)
    want = np.where(POS, 0.02 * (_exp(20e-3, LAGS) - 0.3), -0.02 * 0.3) * (1 - w) ** 0.5
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_diehl_cook_exponential_window():
    r = S.ExponentialSTDP(eta=0.02, x_tar=0.3, beta=2.0, w_max=1.0, tau_pre=20e-3)
    w = 0.4
    got = S.stdp_window(r, LAGS, dt=DT, w=w)
    want = 0.02 * (np.where(POS, _exp(20e-3, LAGS), 0.0) * np.exp(-2.0 * w) - 0.3 * np.exp(-2.0 * (1 - w)))
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_diehl_cook_pre_post_window():
    r = S.PrePostTraceSTDP(eta_pre=0.004, eta_post=0.01, mu=0.8, tau_pre=20e-3, tau_post=25e-3)
    w = 0.3
    got = S.stdp_window(r, LAGS, dt=DT, w=w)
    want = np.where(POS, 0.01 * (1 - w) ** 0.8 * _exp(20e-3, LAGS), -0.004 * w ** 0.8 * _exp(25e-3, LAGS))
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_diehl_cook_code_rule_depression_window():
    r = S.TripletSTDP.diehl_cook()
    got = S.stdp_window(r, LAGS, dt=DT, w=0.5)
    want = np.where(POS, 0.0, -1e-4 * _exp(20e-3, LAGS))  # a lone pair never potentiates
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)


def test_reward_modulated_window_zero_reward_and_sign():
    r = S.RewardModulatedSTDP(a_plus=0.1, a_minus=0.12, tau_c=0.02, eta=1.0, w_min=-10.0, w_max=10.0)
    lags = np.array([-10e-3, -2e-3, 2e-3, 10e-3])
    pos = lags >= 0
    zero = S.stdp_window(r, lags, dt=1e-3, w=0.0, modulator=0.0)
    np.testing.assert_array_equal(zero, 0.0)
    up = S.stdp_window(r, lags, dt=1e-3, w=0.0, modulator=1.0)
    down = S.stdp_window(r, lags, dt=1e-3, w=0.0, modulator=-1.0)
    np.testing.assert_allclose(down, -up, rtol=1e-12)
    assert np.all(up[pos] > 0) and np.all(up[~pos] < 0)
    # total change = eta * M * STDP(dt) * sum_k dc^k dt (eligibility integrated by the weight)
    dc = np.exp(-1e-3 / 0.02)
    gain = 1e-3 / (1 - dc)
    stdp = np.where(pos, 0.1 * _exp(20e-3, lags), -0.12 * _exp(20e-3, lags))
    np.testing.assert_allclose(up, stdp * gain, rtol=1e-6)


def test_bcm_sign_follows_threshold():
    r = S.BCM(eta=1e-4, tau_rate=0.05, tau_theta=10.0, nu0=10.0, w_min=-1, w_max=1)
    syn = S.PlasticSynapses(r, weights=[[0.0]], dt=1e-3, dtype=np.float64)
    # postsynaptic rate below threshold -> depression; above -> potentiation
    syn.theta[...] = 100.0
    syn.y1[...] = 2.0  # 40 Hz estimate
    syn.step(np.ones((1, 1)), np.zeros((1, 1)))
    assert syn.dense_weights()[0, 0] < 0
    syn2 = S.PlasticSynapses(r, weights=[[0.0]], dt=1e-3, dtype=np.float64)
    syn2.theta[...] = 1.0
    syn2.y1[...] = 2.0
    syn2.step(np.ones((1, 1)), np.zeros((1, 1)))
    nu = 2.0 * np.exp(-1e-3 / 0.05) / 0.05
    np.testing.assert_allclose(syn2.dense_weights()[0, 0], 1e-4 * nu * (nu - 1.0), rtol=1e-9)


def test_bcm_threshold_slides_to_rate_squared():
    r = S.BCM(eta=0.0, tau_rate=0.05, tau_theta=0.2, nu0=10.0)
    syn = S.PlasticSynapses(r, weights=[[0.5]], dt=1e-3, dtype=np.float64)
    T = 6000
    post = np.zeros((T, 1, 1), np.uint8)
    post[::50] = 1  # 20 Hz
    syn.run(np.zeros((T, 1, 1), np.uint8), post)
    # theta tracks <nu^2>/nu0 ~ (20^2 + var)/10 within the trace's ripple
    assert 35.0 < syn.theta[0, 0] < 60.0


RULES_FOR_BOUNDS = [
    lambda: S.PairSTDP(a_plus=0.3, a_minus=0.3, w_min=-0.2, w_max=0.7),
    lambda: S.PairSTDP(a_plus=0.3, a_minus=0.3, weight_dependence="multiplicative", mu=0.5, pairing="nearest"),
    lambda: S.TripletSTDP(a2_plus=0.2, a3_plus=0.3, a2_minus=0.2, a3_minus=0.1, w_max=0.5),
    lambda: S.PresynapticTraceSTDP(eta=0.5, x_tar=0.5),
    lambda: S.ExponentialSTDP(eta=0.5, beta=4.0),
    lambda: S.RewardModulatedSTDP(a_plus=2.0, a_minus=2.0, tau_c=0.01, eta=500.0),
    lambda: S.BCM(eta=1e-2, tau_rate=0.01, nu0=5.0),
]


@settings(max_examples=30)
@given(seed=st.integers(0, 2 ** 31), k=st.integers(0, len(RULES_FOR_BOUNDS) - 1), sparse=st.booleans(),
       rate=st.floats(0.01, 0.9))
def test_weights_stay_within_bounds(seed, k, sparse, rate):
    rule = RULES_FOR_BOUNDS[k]()
    rng = np.random.default_rng(seed)
    code, p = rule.kernel_params(1e-3)
    lo, hi = p[4], p[5]
    w0 = rng.uniform(lo, hi, (6, 5))
    if sparse:
        mask = rng.random((6, 5)) < 0.6
        pre_i, post_i = np.nonzero(mask.T)  # rows = presynaptic neurons
        indptr = np.concatenate([[0], np.cumsum(np.bincount(pre_i, minlength=5))])
        syn = S.PlasticSynapses(rule, csr=(indptr, post_i, w0.T[mask.T].astype(np.float32), 6), dt=1e-3, batch=2)
    else:
        syn = S.PlasticSynapses(rule, weights=w0, dt=1e-3, batch=2)
    pre = (rng.random((60, 2, 5)) < rate).astype(np.uint8)
    post = (rng.random((60, 2, 6)) < rate).astype(np.uint8)
    mod = rng.normal(0, 5, (60, 2)) if isinstance(rule, S.RewardModulatedSTDP) else None
    syn.run(pre, post, modulator=mod)
    w = syn.weights_t if syn.kind == "dense" else syn.weights
    assert np.all(w >= np.float32(lo)) and np.all(w <= np.float32(hi))


def test_step_equals_run():
    rule = S.TripletSTDP(a2_plus=0.01, a3_plus=0.02, a2_minus=0.01, a3_minus=0.005, pairing="all")
    rng = np.random.default_rng(0)
    w0 = rng.uniform(0, 1, (3, 4))
    pre = (rng.random((30, 2, 4)) < 0.3).astype(np.uint8)
    post = (rng.random((30, 2, 3)) < 0.3).astype(np.uint8)
    a = S.PlasticSynapses(rule, weights=w0, dt=1e-3, batch=2)
    b = S.PlasticSynapses(rule, weights=w0, dt=1e-3, batch=2)
    a.run(pre, post)
    for t in range(30):
        b.step(pre[t], post[t])
    np.testing.assert_array_equal(a.dense_weights(), b.dense_weights())


def test_csr_data_is_shared_in_place():
    data = np.array([0.5, 0.5, 0.5], np.float32)
    syn = S.PlasticSynapses(S.PairSTDP(a_plus=0.1), csr=([0, 2, 3], [0, 1, 1], data, 2), dt=1e-3)
    syn.step([[1, 0]], [[0, 0]])
    syn.step([[0, 0]], [[1, 1]])
    assert syn.weights is data
    assert data[0] > 0.5 and data[1] > 0.5 and data[2] == 0.5


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="tau_plus"):
        S.PairSTDP(tau_plus=-1)
    with pytest.raises(ValueError, match="pairing"):
        S.PairSTDP(pairing="first")
    with pytest.raises(ValueError, match="w_max"):
        S.PairSTDP(w_min=1.0, w_max=0.5)
    with pytest.raises(TypeError, match="rule"):
        S.PlasticSynapses("stdp", weights=np.zeros((2, 2)))
    syn = S.PlasticSynapses(S.PairSTDP(), weights=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="pre_spikes"):
        syn.step(np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="modulator"):
        syn.step(np.zeros((1, 3)), np.zeros((1, 2)), modulator=1.0)


def test_normalization_dense_and_csr():
    rng = np.random.default_rng(1)
    wt = rng.uniform(0, 1, (7, 4)).astype(np.float32)
    wt[:, 2] = 0.0
    normalize_incoming(wt, 3.0)
    np.testing.assert_allclose(wt.sum(axis=0), [3.0, 3.0, 0.0, 3.0], rtol=1e-6)
    indices = np.array([0, 1, 1, 2, 0])
    w = np.array([1.0, 2.0, 2.0, 5.0, 3.0])
    normalize_incoming_csr(indices, w, 3, 2.0)
    np.testing.assert_allclose(np.bincount(indices, w, 3), [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="total"):
        normalize_incoming(wt, 0.0)
