"""Rate codes: Poisson counts are Binomial(T, r dt); regular coding is exact; reproducibility."""
import numpy as np
import pytest

from spikecore.encoding import poisson, regular


def binomial_moment_bounds(T, p, n, z=5.0):
    """z-sigma bounds for the sample mean and sample variance of n Binomial(T, p) counts.

    mean: sd = sqrt(T p q / n); sample variance: Var(S^2) = (mu4 - sigma^4 (n-3)/(n-1)) / n with
    the binomial's central fourth moment mu4 = T p q (1 + 3 p q (T - 2)).
    """
    q = 1 - p
    var = T * p * q
    mu4 = T * p * q * (1 + 3 * p * q * (T - 2))
    sd_mean = np.sqrt(var / n)
    sd_var = np.sqrt((mu4 - var ** 2 * (n - 3) / (n - 1)) / n)
    return var, z * sd_mean, z * sd_var


@pytest.mark.parametrize("p", [0.02, 0.1, 0.37, 0.5, 0.9])
def test_poisson_counts_are_binomial(p):
    T, n = 100, 4000
    x = np.full(n, p, np.float32)
    spikes = poisson(x, T, random_state=12345)  # max_rate * dt = 1: probability = x
    p_exact = np.floor(np.float64(np.float32(p)) * 2 ** 32) / 2 ** 32
    counts = spikes.sum(axis=0, dtype=np.int64)
    var, tol_mean, tol_var = binomial_moment_bounds(T, p_exact, n)
    assert abs(counts.mean() - T * p_exact) < tol_mean
    assert abs(counts.var(ddof=1) - var) < tol_var


def test_poisson_rate_and_dt_scaling_and_independence_over_time():
    # 40 Hz at dt = 1 ms over 2000 steps: p = 0.04
    T, n = 2000, 500
    spikes = poisson(np.full(n, 40.0), T, max_rate=100.0, dt=1e-3, x_max=100.0, random_state=7)
    counts = spikes.sum(axis=0, dtype=np.int64)
    var, tol_mean, tol_var = binomial_moment_bounds(T, 0.04, n)
    assert abs(counts.mean() - T * 0.04) < tol_mean
    assert abs(counts.var(ddof=1) - var) < tol_var
    s = spikes.astype(np.float64)
    lag = np.corrcoef(s[1:].ravel(), s[:-1].ravel())[0, 1]
    assert abs(lag) < 5 / np.sqrt(s.size)


def test_poisson_same_seed_same_spikes_and_shape():
    x = np.random.default_rng(0).random((4, 3, 5)).astype(np.float32)
    a = poisson(x, 20, random_state=3)
    b = poisson(x, 20, random_state=np.random.default_rng(3))
    assert a.shape == (20, 4, 3, 5) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, poisson(x, 20, random_state=4))
    assert not np.array_equal(a, poisson(x, 20, random_state=3, stream=1))
    assert poisson(np.zeros(10), 50, random_state=1).sum() == 0
    assert poisson(np.ones(10), 50, random_state=1).sum() == 500


def test_regular_counts_are_exact_and_evenly_spaced():
    x = np.array([0.0, 0.1, 0.25, 0.5, 1.0])
    s = regular(x, 40)
    np.testing.assert_array_equal(s.sum(axis=0), [0, 4, 10, 20, 40])
    np.testing.assert_array_equal(np.diff(np.flatnonzero(s[:, 2])), 4)


@pytest.mark.parametrize("call, message", [
    (lambda: poisson([0.5, np.nan], 10), "at index (1,)>: expected finite values"),
    (lambda: poisson([0.5, -0.2], 10), "x = <array with -0.2 at index (1,)>: expected values in [0.0, 1.0]"),
    (lambda: poisson([5.0], 10, x_max=4.0), "expected values in [0.0, 4.0]"),
    (lambda: poisson([0.5], 0), "num_steps = 0: expected an integer >= 1"),
    (lambda: poisson([0.5], -3), "num_steps = -3"),
    (lambda: poisson([0.5], 10, max_rate=-5.0), "max_rate = -5.0: expected a positive"),
    (lambda: poisson([0.5], 10, max_rate=2000.0), "max_rate = 2000.0: expected max_rate * dt <= 1"),
    (lambda: poisson([0.5], 10, random_state=-1), "random_state = -1"),
    (lambda: regular([0.5], 10, dt=0.0), "dt = 0.0"),
    (lambda: poisson([0.5], 2.5), "num_steps = 2.5: expected an integer"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError)) as exc:
        call()
    assert message in str(exc.value).replace("'", "")  # _validate quotes array descriptions


def test_poisson_threads_do_not_change_the_spikes():
    # 2**21 elements or more are split into blocks of rows over threads; row t keeps its counter
    x = np.random.default_rng(3).random((40, 1000))
    one = poisson(x, 60, random_state=7, n_threads=1)
    assert one.size >= 2 ** 21
    for n in (2, 3, 7):
        np.testing.assert_array_equal(poisson(x, 60, random_state=7, n_threads=n), one)
    with pytest.raises(ValueError, match="n_threads"):
        poisson(x, 60, n_threads=0)
