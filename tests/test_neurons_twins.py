"""Kernel == reference for every public function of spikecore.kernels.neurons (hypothesis).

Spikes and refractory counters must agree exactly. Floating state must agree to
rtol = atol = 1e-6 (float32) / 1e-12 (float64) — both sides do the same arithmetic (float64;
float32 for CurrentLIF(arithmetic=np.float32)), so in practice they agree bit for bit — except
Hodgkin-Huxley, whose exponentials come from NumPy on one side and libm on the other: atol 1e-3 mV, 1e-6 on the gates.
"""
import inspect

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import spikecore.kernels.neurons as K
import spikecore.reference.neurons as R
from spikecore.neurons import (IF, LIF, SRM0, AdaptiveLIF, CurrentLIF, HodgkinHuxley,
                               Izhikevich)

PUBLIC = [n for n, f in vars(K).items()
          if callable(f) and not n.startswith("_") and getattr(f, "__module__", "") == K.__name__]


def test_every_kernel_has_a_twin_with_the_same_signature():
    assert len(PUBLIC) == 12
    for name in PUBLIC:
        assert hasattr(R, name), name
        kernel_sig = inspect.signature(getattr(K, name).py_func)
        assert kernel_sig == inspect.signature(getattr(R, name)), name


dtypes = st.sampled_from([np.float32, np.float64])
shapes = st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 30))
dts = st.sampled_from([1e-4, 2.5e-4, 1e-3])


@st.composite
def lif_family(draw):
    kind = draw(st.sampled_from(["IF", "LIF", "CurrentLIF", "AdaptiveLIF"]))
    dtype = draw(dtypes)
    v_th = draw(st.floats(0.3, 2.0))
    common = dict(v_th=v_th, v_reset=draw(st.floats(-0.5, 0.25)),
                  t_ref=draw(st.sampled_from([0.0, 1e-3, 2e-3, 5e-3])),
                  r_m=draw(st.floats(0.5, 3.0)), reset=draw(st.sampled_from(["hard", "soft"])),
                  dtype=dtype)
    tau = draw(st.floats(2e-3, 50e-3))
    method = draw(st.sampled_from(["exact", "euler"]))
    if kind == "IF":
        return IF(tau_mem=tau, **common)
    common.update(v_rest=draw(st.floats(-0.2, 0.3)), method=method)
    if kind == "LIF":
        return LIF(tau_mem=tau, **common)
    if kind == "CurrentLIF":
        n_syn = draw(st.integers(1, 2))
        taus = tuple(draw(st.floats(1e-3, 30e-3)) for _ in range(n_syn))
        if draw(st.booleans()):
            taus = (tau,) + taus[1:]  # the tau_syn == tau_mem limit
        # float32 state: float64 arithmetic (the convention) or float32 arithmetic throughout
        arithmetic = draw(st.sampled_from([np.float64, dtype]))
        return CurrentLIF(tau_mem=tau, tau_syn=taus, arithmetic=arithmetic, **common)
    return AdaptiveLIF(tau_mem=tau, tau_theta=draw(st.floats(5e-3, 1.0)),
                       theta_plus=draw(st.floats(0.0, 0.5)), **common)


@st.composite
def other_models(draw):
    kind = draw(st.sampled_from(["Izhikevich", "SRM0"]))
    dtype = draw(dtypes)
    if kind == "Izhikevich":
        name = draw(st.sampled_from(["RS", "IB", "CH", "FS", "LTS", "TC", "RZ"]))
        return Izhikevich.preset(name, v_substeps=draw(st.integers(1, 3)), dtype=dtype)
    tau_m = draw(st.floats(2e-3, 40e-3))
    return SRM0(tau_m=tau_m, tau_s=draw(st.sampled_from([0.0, 0.25 * tau_m, 0.5 * tau_m])),
                r_m=draw(st.floats(0.5, 2.0)), eta_0=draw(st.floats(0.1, 2.0)),
                tau_eta=draw(st.floats(1e-3, 30e-3)), v_th=draw(st.floats(0.3, 1.5)),
                t_ref=draw(st.sampled_from([0.0, 1e-3, 3e-3])), dtype=dtype)


def _random_state(model, batch, n, rng):
    state = model.init_state(batch, n)
    for name, arr in state.items():
        if name == "refrac":
            arr[...] = rng.integers(0, 4, size=arr.shape)
        elif name == "v" and isinstance(model, Izhikevich):
            arr[...] = rng.uniform(-80.0, 29.0, size=arr.shape)
        elif name == "v" and isinstance(model, HodgkinHuxley):
            arr[...] = rng.uniform(-75.0, 20.0, size=arr.shape)
        elif name in ("m", "h", "n"):
            arr[...] = rng.uniform(0.0, 1.0, size=arr.shape)
        elif name == "u" and isinstance(model, Izhikevich):
            arr[...] = rng.uniform(-20.0, 5.0, size=arr.shape)
        else:
            arr[...] = rng.uniform(-0.5, 1.2, size=arr.shape)
    return state


def _current(model, shape, rng):
    if isinstance(model, Izhikevich):
        lo, hi = -5.0, 25.0
    elif isinstance(model, HodgkinHuxley):
        lo, hi = -5.0, 30.0
    else:
        lo, hi = -1.0, 4.0
    return rng.uniform(lo, hi, size=shape).astype(model.dtype)


def _tolerances(model):
    if isinstance(model, HodgkinHuxley):
        return {"v": 1e-3}, 1e-6
    tol = 1e-6 if model.dtype == np.float32 else 1e-12
    return {}, tol


def _assert_same(model, ks, rs, kspk, rspk):
    np.testing.assert_array_equal(kspk, rspk)
    special, tol = _tolerances(model)
    for name in model.state_names:
        if ks[name].dtype.kind == "i":
            np.testing.assert_array_equal(ks[name], rs[name], err_msg=name)
        else:
            atol = special.get(name, tol)
            np.testing.assert_allclose(ks[name], rs[name], rtol=tol, atol=atol, err_msg=name)


def _check_run(model, batch, n, T, dt, seed, record):
    rng = np.random.default_rng(seed)
    ks = _random_state(model, batch, n, rng)
    rs = {k: v.copy() for k, v in ks.items()}
    current = _current(model, (T, batch, n), rng)
    params = model.step_params(dt)
    extra = ()
    if isinstance(model, CurrentLIF):
        syn = rng.uniform(-0.5, 1.0, size=(T, model.n_channels, batch, n)).astype(model.dtype)
        syn[rng.random(syn.shape) < 0.7] = 0.0
        extra = (syn,)
    kspk = np.zeros((T, batch, n), bool)
    rspk = np.zeros((T, batch, n), bool)
    tshape = (T if record else 0, batch, n)
    ktr, rtr = np.zeros(tshape, model.dtype), np.zeros(tshape, model.dtype)
    kernel_run = getattr(K, model.kernel_run.__name__)
    ref_run = getattr(R, model.kernel_run.__name__)
    kernel_run(*model.state_arrays(ks), current, *extra, *params, kspk, ktr)
    ref_run(*model.state_arrays(rs), current, *extra, *params, rspk, rtr)
    _assert_same(model, ks, rs, kspk, rspk)
    if record:
        special, tol = _tolerances(model)
        np.testing.assert_allclose(ktr, rtr, rtol=tol, atol=special.get("v", tol))


def _check_step(model, batch, n, dt, seed):
    rng = np.random.default_rng(seed)
    ks = _random_state(model, batch, n, rng)
    rs = {k: v.copy() for k, v in ks.items()}
    current = _current(model, (batch, n), rng)
    params = model.step_params(dt)
    kspk = np.zeros((batch, n), np.uint8)   # the engine passes uint8 spike buffers
    rspk = np.zeros((batch, n), np.uint8)
    getattr(K, model.kernel_step.__name__)(*model.state_arrays(ks), current, *params, kspk)
    getattr(R, model.kernel_step.__name__)(*model.state_arrays(rs), current, *params, rspk)
    _assert_same(model, ks, rs, kspk, rspk)


@settings(max_examples=50)
@given(lif_family(), shapes, dts, st.integers(0, 2**32 - 1), st.booleans())
def test_lif_family_run_kernels_equal_reference(model, shape, dt, seed, record):
    batch, n, T = shape
    _check_run(model, batch, n, T, dt, seed, record)


@settings(max_examples=40)
@given(other_models(), shapes, dts, st.integers(0, 2**32 - 1), st.booleans())
def test_izhikevich_srm0_run_kernels_equal_reference(model, shape, dt, seed, record):
    batch, n, T = shape
    _check_run(model, batch, n, T, dt, seed, record)


@settings(max_examples=20)
@given(st.sampled_from(["rk4", "exponential_euler"]), dtypes, shapes,
       st.sampled_from([1e-5, 2.5e-5]), st.integers(0, 2**32 - 1), st.booleans())
def test_hodgkin_huxley_run_kernel_equals_reference(method, dtype, shape, dt, seed, record):
    batch, n, T = shape
    _check_run(HodgkinHuxley(method=method, dtype=dtype), batch, n, T * 5, dt, seed, record)


@settings(max_examples=40)
@given(st.one_of(lif_family(), other_models(),
                 st.sampled_from(["rk4", "exponential_euler"]).map(
                     lambda m: HodgkinHuxley(method=m, dtype=np.float64))),
       st.integers(1, 3), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_step_kernels_equal_reference(model, batch, n, seed):
    dt = 1e-5 if isinstance(model, HodgkinHuxley) else 2.5e-4
    _check_step(model, batch, n, dt, seed)
