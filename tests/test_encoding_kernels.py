"""Every encoder kernel equals its reference twin on generated inputs (exact spikes)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spikecore.kernels import encoding as K
from spikecore.reference import encoding as R

unit = st.floats(0.0, 1.0, allow_nan=False)
T_small = st.integers(1, 30)


def unit_array(max_n=20):
    return hnp.arrays(np.float64, st.integers(1, max_n), elements=unit)


def both(name, *args, shapes, dtypes):
    """Run kernel and reference on fresh output arrays; return the two output tuples."""
    outs = []
    for impl in (K, R):
        bufs = [np.zeros(s, d) for s, d in zip(shapes, dtypes)]
        getattr(impl, name)(*args, *bufs)
        outs.append(bufs)
    return outs


@given(p=unit_array(), T=T_small)
def test_regular(p, T):
    k, r = both("regular_encode", p, shapes=[(T, p.size)], dtypes=[np.uint8])
    np.testing.assert_array_equal(k[0], r[0])


@given(x=unit_array(), T=T_small, tau=st.floats(0.1, 50), threshold=st.floats(0.0, 0.99),
       log_mode=st.booleans(), clip=st.booleans())
def test_latency(x, T, tau, threshold, log_mode, clip):
    k, r = both("latency_encode", x, tau, threshold, log_mode, clip,
                shapes=[(T, x.size), (x.size,)], dtypes=[np.uint8, np.float64])
    np.testing.assert_array_equal(k[0], r[0])
    np.testing.assert_allclose(k[1], r[1], rtol=1e-12)
    assert k[0].sum(axis=0).max() <= 1


@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 12)),
                    elements=st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(-5, 5)),
       T=T_small, threshold=st.floats(-1, 1))
def test_rank_order(x, T, threshold):
    k, r = both("rank_order_encode", x, threshold, shapes=[(T,) + x.shape], dtypes=[np.uint8])
    np.testing.assert_array_equal(k[0], r[0])


@given(x=unit_array(), T=st.integers(2, 40), m=st.integers(3, 10), min_response=st.floats(0.01, 1.0))
def test_population(x, T, m, min_response):
    width = 1.0 / (m - 2)
    centres = (2 * np.arange(1, m + 1) - 3) / 2 * width
    sigma = width / 1.5
    k, r = both("population_encode", x, centres, sigma, float(T - 1), min_response,
                shapes=[(T, x.size, m), (x.size, m)], dtypes=[np.uint8, np.float64])
    np.testing.assert_array_equal(k[0], r[0])
    np.testing.assert_allclose(k[1], r[1], rtol=1e-12)


@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 4)), elements=st.floats(-3, 3)),
       threshold=st.floats(0.01, 2))
def test_delta(x, threshold):
    k, r = both("delta_encode", x, threshold, shapes=[x.shape, x.shape], dtypes=[np.uint8, np.uint8])
    np.testing.assert_array_equal(k[0], r[0])
    np.testing.assert_array_equal(k[1], r[1])


@settings(max_examples=40)
@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 3)), elements=unit),
       fir=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(0, 1)), threshold=st.floats(-0.5, 1))
def test_bsa(x, fir, threshold):
    k, r = both("bsa_encode", x, fir, threshold, shapes=[x.shape], dtypes=[np.uint8])
    np.testing.assert_array_equal(k[0], r[0])


@given(current=hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(0, 5)), T=T_small,
       leaky=st.booleans(), beta=st.floats(0.5, 0.999), v_reset=st.floats(-1, 0.5),
       subtract=st.booleans(), refractory=st.integers(0, 4), record=st.booleans())
def test_neuron(current, T, leaky, beta, v_reset, subtract, refractory, record):
    b, a = (beta, 1 - beta) if leaky else (1.0, 1.0)
    rows = T if record else 0
    k, r = both("neuron_encode", current, b, a, 1.0, v_reset, subtract, refractory,
                shapes=[(T, current.size), (rows, current.size)], dtypes=[np.uint8, np.float64])
    np.testing.assert_array_equal(k[0], r[0])
    np.testing.assert_array_equal(k[1], r[1])


@given(p=unit_array(), N=st.integers(2, 64))
def test_tsc(p, N):
    k, r = both("tsc_encode", p, shapes=[(N, p.size)], dtypes=[np.uint8])
    np.testing.assert_array_equal(k[0], r[0])


@given(K_=st.integers(1, 12), T=T_small, data=st.data())
def test_phase(K_, T, data):
    q = np.array(data.draw(st.lists(st.integers(0, 2 ** K_ - 1), min_size=1, max_size=10)), np.int64)
    k, r = both("phase_encode", q, K_, shapes=[(T, q.size)], dtypes=[np.uint8])
    np.testing.assert_array_equal(k[0], r[0])


def test_every_public_kernel_has_a_reference_twin():
    import inspect

    from spikecore.kernels import rng as KR
    from spikecore.reference import rng as RR

    for kernels, reference in ((K, R), (KR, RR)):
        public = [n for n, f in vars(kernels).items()
                  if not n.startswith("_") and callable(f) and getattr(f, "__module__", "") == kernels.__name__]
        assert public
        for name in public:
            assert callable(getattr(reference, name, None)), name
            k_params = list(inspect.signature(getattr(kernels, name).py_func).parameters)
            assert list(inspect.signature(getattr(reference, name)).parameters) == k_params, name
