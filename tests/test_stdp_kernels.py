"""Kernel == reference for the plasticity kernels (traces, dense and CSR weight updates, the layer)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from spikecore.kernels import plasticity as K

from spikecore.learning import stdp as S
from spikecore.reference import plasticity as R

RTOL = 1e-5  # float32 weights/traces; the two sides differ only in libm vs NumPy rounding
ATOL = 1e-6

RULE_MAKERS = {
    "pair_add": lambda: S.PairSTDP(a_plus=0.05, a_minus=0.06),
    "pair_mult_nearest": lambda: S.PairSTDP(a_plus=0.05, a_minus=0.06, weight_dependence="multiplicative",
                                            mu=0.7, pairing="nearest"),
    "triplet": lambda: S.TripletSTDP(a2_plus=0.01, a3_plus=0.02, a2_minus=0.01, a3_minus=0.005,
                                     pairing="all"),
    "triplet_dc": lambda: S.TripletSTDP.diehl_cook(nu_pre=0.01, nu_post=0.05),
    "pre_trace": lambda: S.PresynapticTraceSTDP(eta=0.05, x_tar=0.3, mu=0.5),
    "exponential": lambda: S.ExponentialSTDP(eta=0.05, x_tar=0.3, beta=2.0),
    "pre_post": lambda: S.PrePostTraceSTDP(eta_pre=0.02, eta_post=0.05, mu=1.0),
    "reward": lambda: S.RewardModulatedSTDP(a_plus=0.2, a_minus=0.25, tau_c=0.05, eta=5.0),
    "bcm": lambda: S.BCM(eta=1e-4, tau_rate=0.02, tau_theta=0.05, nu0=20.0, w_min=-1.0, w_max=1.0),
}


def _state(rng, batch, n_pre, n_post, n_syn_shape, rule_code):
    f = np.float32
    st_ = dict(
        x1=rng.uniform(0, 2, (batch, n_pre)).astype(f), x2=rng.uniform(0, 2, (batch, n_pre)).astype(f),
        y1=rng.uniform(0, 2, (batch, n_post)).astype(f), y2=rng.uniform(0, 2, (batch, n_post)).astype(f),
        theta=rng.uniform(0, 50, (batch, n_post)) if rule_code == K.RULE_BCM else np.zeros((1, 1)),
        elig=(rng.normal(0, 0.1, (batch,) + n_syn_shape).astype(f) if rule_code == K.RULE_RSTDP
              else np.zeros((1,) * (1 + len(n_syn_shape)), f)),
    )
    return st_


def _copy(d):
    return {k: v.copy() for k, v in d.items()}


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


@settings(max_examples=25)
@given(seed=st.integers(0, 2 ** 31), batch=st.integers(1, 3), n_pre=st.integers(1, 9),
       n_post=st.integers(1, 9), T=st.integers(1, 12), rule=st.sampled_from(sorted(RULE_MAKERS)),
       p_spike=st.floats(0.05, 0.6))
def test_dense_run_matches_reference(seed, batch, n_pre, n_post, T, rule, p_spike):
    rng = np.random.default_rng(seed)
    code, p = RULE_MAKERS[rule]().kernel_params(1e-3)
    w = rng.uniform(p[K.P_W_MIN], p[K.P_W_MAX], (n_pre, n_post)).astype(np.float32)
    pre = (rng.random((T, batch, n_pre)) < p_spike).astype(np.uint8)
    post = (rng.random((T, batch, n_post)) < p_spike).astype(np.uint8)
    mod = rng.normal(0, 1, (T, batch))
    s = _state(rng, batch, n_pre, n_post, (n_pre, n_post), code)
    s2 = _copy(s)
    w2 = w.copy()
    K.stdp_dense_run(w, pre, post, s["x1"], s["x2"], s["y1"], s["y2"], s["theta"], s["elig"], mod, code, p)
    R.stdp_dense_run(w2, pre, post, s2["x1"], s2["x2"], s2["y1"], s2["y2"], s2["theta"], s2["elig"], mod, code, p)
    _close(w, w2)
    for k in s:
        _close(s[k], s2[k])
    assert np.all(w >= p[K.P_W_MIN]) and np.all(w <= p[K.P_W_MAX])


def _random_csr(rng, n_pre, n_post, density):
    mask = rng.random((n_pre, n_post)) < density
    indptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int64)
    indices = np.nonzero(mask)[1].astype(np.int32)
    return indptr, indices


@settings(max_examples=25)
@given(seed=st.integers(0, 2 ** 31), batch=st.integers(1, 3), n_pre=st.integers(1, 9),
       n_post=st.integers(1, 9), T=st.integers(1, 12), rule=st.sampled_from(sorted(RULE_MAKERS)),
       density=st.floats(0.0, 1.0))
def test_csr_run_matches_reference_and_dense(seed, batch, n_pre, n_post, T, rule, density):
    rng = np.random.default_rng(seed)
    code, p = RULE_MAKERS[rule]().kernel_params(1e-3)
    indptr, indices = _random_csr(rng, n_pre, n_post, density)
    nnz = indices.size
    w = rng.uniform(p[K.P_W_MIN], p[K.P_W_MAX], nnz).astype(np.float32)
    post_ptr, post_syn, syn_pre = S.csr_columns(indptr, indices, n_post)
    pre = (rng.random((T, batch, n_pre)) < 0.3).astype(np.uint8)
    post = (rng.random((T, batch, n_post)) < 0.3).astype(np.uint8)
    mod = rng.normal(0, 1, (T, batch))
    s = _state(rng, batch, n_pre, n_post, (nnz,), code)
    s2 = _copy(s)
    w2 = w.copy()
    K.stdp_csr_run(indptr, indices, w, post_ptr, post_syn, syn_pre, pre, post, s["x1"], s["x2"], s["y1"],
                   s["y2"], s["theta"], s["elig"], mod, code, p)
    R.stdp_csr_run(indptr, indices, w2, post_ptr, post_syn, syn_pre, pre, post, s2["x1"], s2["x2"],
                   s2["y1"], s2["y2"], s2["theta"], s2["elig"], mod, code, p)
    _close(w, w2)
    for k in s:
        _close(s[k], s2[k])
    assert np.all(w >= p[K.P_W_MIN]) and np.all(w <= p[K.P_W_MAX])


@settings(max_examples=15)
@given(seed=st.integers(0, 2 ** 31), batch=st.integers(1, 2), n_pre=st.integers(1, 7),
       n_post=st.integers(1, 7), T=st.integers(1, 10), rule=st.sampled_from(sorted(RULE_MAKERS)))
def test_fully_connected_csr_equals_dense(seed, batch, n_pre, n_post, T, rule):
    rng = np.random.default_rng(seed)
    code, p = RULE_MAKERS[rule]().kernel_params(1e-3)
    w = rng.uniform(p[K.P_W_MIN], p[K.P_W_MAX], (n_pre, n_post)).astype(np.float32)
    indptr, indices = _random_csr(rng, n_pre, n_post, 2.0)  # every synapse present, row-major
    pre = (rng.random((T, batch, n_pre)) < 0.3).astype(np.uint8)
    post = (rng.random((T, batch, n_post)) < 0.3).astype(np.uint8)
    mod = rng.normal(0, 1, (T, batch))
    sd = _state(rng, batch, n_pre, n_post, (n_pre, n_post), code)
    sc = _copy(sd)
    sc["elig"] = sd["elig"].reshape(sd["elig"].shape[0], -1).copy()
    wc = w.ravel().copy()
    K.stdp_dense_run(w, pre, post, sd["x1"], sd["x2"], sd["y1"], sd["y2"], sd["theta"], sd["elig"], mod, code, p)
    K.stdp_csr_run(indptr, indices, wc, *S.csr_columns(indptr, indices, n_post), pre, post, sc["x1"], sc["x2"],
                   sc["y1"], sc["y2"], sc["theta"], sc["elig"], mod, code, p)
    _close(wc.reshape(n_pre, n_post), w)


@settings(max_examples=30)
@given(seed=st.integers(0, 2 ** 31), batch=st.integers(1, 3), n=st.integers(1, 20),
       decay=st.floats(0.0, 1.0), nearest=st.booleans())
def test_trace_update_matches_reference(seed, batch, n, decay, nearest):
    rng = np.random.default_rng(seed)
    trace = rng.uniform(0, 3, (batch, n)).astype(np.float32)
    spikes = rng.random((batch, n)) < 0.4
    idx = np.zeros((batch, n), np.int32)
    cnt = np.zeros(batch, np.int64)
    for b in range(batch):
        where = np.flatnonzero(spikes[b])
        idx[b, : where.size] = where
        cnt[b] = where.size
    t2 = trace.copy()
    K.trace_update(trace, idx, cnt, decay, nearest)
    R.trace_update(t2, idx, cnt, decay, nearest)
    np.testing.assert_array_equal(trace, t2)


@settings(max_examples=15)
@given(seed=st.integers(0, 2 ** 31), batch=st.integers(1, 3), n_in=st.integers(1, 12),
       n_out=st.integers(1, 6), T=st.integers(1, 30), learn=st.booleans(),
       rule=st.sampled_from(["pair_add", "triplet_dc", "pre_trace", "bcm"]))
def test_competitive_layer_matches_reference(seed, batch, n_in, n_out, T, learn, rule):
    rng = np.random.default_rng(seed)
    code, p = RULE_MAKERS[rule]().kernel_params(1e-3)
    f = np.float64
    inputs = (rng.random((T, batch, n_in)) < 0.3).astype(np.uint8)
    w = rng.uniform(0, 1, (n_in, n_out))
    v = rng.uniform(0, 1, (batch, n_out))
    theta = rng.uniform(0, 0.5, (batch, n_out))
    refrac = rng.integers(0, 3, (batch, n_out)).astype(np.int32)
    i_inh = rng.uniform(0, 0.5, (batch, n_out))
    s = _state(rng, batch, n_in, n_out, (n_in, n_out), code)
    s = {k: a.astype(f) for k, a in s.items()}
    counts = np.zeros((batch, n_out), np.int32)
    args = dict(inputs=inputs, weights_t=w, v=v, theta=theta, refrac=refrac, i_inh=i_inh, x1=s["x1"],
                x2=s["x2"], y1=s["y1"], y2=s["y2"], bcm_theta=s["theta"], elig=s["elig"],
                modulator=np.zeros((0, batch)), alpha=0.95, beta=1.0, v_rest=0.0, v_th=1.0, v_reset=0.0,
                n_ref=2, theta_decay=0.999, theta_plus=0.05, w_inh=0.7, inh_decay=0.6, learn=learn,
                rule=code, p=p, counts=counts)
    args2 = {k: (a.copy() if isinstance(a, np.ndarray) else a) for k, a in args.items()}
    K.competitive_layer_run(**args)
    R.competitive_layer_run(**args2)
    np.testing.assert_array_equal(args["counts"], args2["counts"])
    for k in ("weights_t", "v", "theta", "i_inh", "x1", "y1"):
        np.testing.assert_allclose(args[k], args2[k], rtol=1e-9, atol=1e-12)


def test_every_public_kernel_has_a_twin():
    import inspect
    for name, fn in vars(K).items():
        if name.startswith("_") or not hasattr(fn, "py_func"):
            continue
        twin = getattr(R, name)
        assert inspect.signature(twin) == inspect.signature(fn.py_func), name
