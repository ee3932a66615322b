"""Philox4x32-10 counter-based RNG: known answers, kernel == reference, layout and statistics."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikecore.kernels import rng as K
from spikecore.reference import rng as R

# Random123 tests/kat_vectors, "philox4x32 10" lines: counter (4 words), key (2 words) -> output.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]

keys = st.integers(0, 2 ** 64 - 1)
streams = st.integers(0, 2 ** 63 - 1)


@pytest.mark.parametrize("ctr, key, expected", KAT)
def test_philox_known_answers(ctr, key, expected):
    assert tuple(int(w) for w in K.philox4x32_10(*ctr, *key)) == expected
    assert tuple(int(w) for w in R.philox4x32_10(*ctr, *key)) == expected


@settings(max_examples=40)
@given(key=keys, stream=streams, row0=st.integers(0, 10 ** 6), T=st.integers(1, 4), M=st.integers(1, 37))
def test_words_and_uniforms_kernel_equals_reference(key, stream, row0, T, M):
    a = np.empty((T, M), np.uint32)
    b = np.empty((T, M), np.uint32)
    K.philox_uint32(np.uint64(key), np.uint64(stream), row0, a)
    R.philox_uint32(key, stream, row0, b)
    np.testing.assert_array_equal(a, b)
    u = np.empty((T, M))
    w = np.empty((T, M))
    K.philox_uniform(np.uint64(key), np.uint64(stream), row0, u)
    R.philox_uniform(key, stream, row0, w)
    np.testing.assert_array_equal(u, w)
    assert (u > 0).all() and (u < 1).all()


@settings(max_examples=60)
@given(key=keys, stream=streams, row0=st.integers(0, 10 ** 6), T=st.integers(1, 5),
       data=st.data(), M=st.integers(1, 70))
def test_bernoulli_kernel_equals_reference(key, stream, row0, T, M, data):
    # thresholds near multiples of 2**24 force the lazy top-byte comparison to tie often
    top = data.draw(st.lists(st.integers(0, 256), min_size=M, max_size=M))
    jitter = data.draw(st.lists(st.integers(0, 2 ** 24 - 1), min_size=M, max_size=M))
    thr = np.minimum(np.array(top, np.uint64) << np.uint64(24), np.uint64(2 ** 32))
    thr = np.where(thr < np.uint64(2 ** 32), thr + np.array(jitter, np.uint64), thr).astype(np.uint64)
    a = np.empty((T, M), np.uint8)
    b = np.empty((T, M), np.uint8)
    K.philox_bernoulli(thr, np.uint64(key), np.uint64(stream), row0, a)
    R.philox_bernoulli(thr, key, stream, row0, b)
    np.testing.assert_array_equal(a, b)


def test_bernoulli_ties_resolved_exactly_like_reference():
    # every threshold's top byte is hit with probability 1/256: many ties over 300 x 512 draws
    thr = (np.arange(512, dtype=np.uint64) % np.uint64(257)) << np.uint64(24)
    thr = np.minimum(thr + np.uint64(12345), np.uint64(2 ** 32))
    a = np.empty((300, 512), np.uint8)
    b = np.empty((300, 512), np.uint8)
    K.philox_bernoulli(thr, np.uint64(77), np.uint64(3), 0, a)
    R.philox_bernoulli(thr, 77, 3, 0, b)
    np.testing.assert_array_equal(a, b)


def test_probability_threshold_matches_reference_and_extremes():
    p = np.array([0.0, 1.0, 0.5, 2.0 ** -32, 1 - 2.0 ** -40, 0.123456789])
    a = np.empty(p.size, np.uint64)
    b = np.empty(p.size, np.uint64)
    K.probability_threshold(p, a)
    R.probability_threshold(p, b)
    np.testing.assert_array_equal(a, b)
    assert a[0] == 0 and a[1] == 2 ** 32 and a[2] == 2 ** 31
    out = np.empty((50, 6), np.uint8)
    K.philox_bernoulli(a, np.uint64(1), np.uint64(0), 0, out)
    assert (out[:, 0] == 0).all() and (out[:, 1] == 1).all()


def test_result_independent_of_chunking():
    thr = np.full(1000, 2 ** 31, np.uint64)
    whole = np.empty((12, 1000), np.uint8)
    K.philox_bernoulli(thr, np.uint64(5), np.uint64(9), 0, whole)
    stepwise = np.empty_like(whole)
    for t in range(12):
        K.philox_bernoulli(thr, np.uint64(5), np.uint64(9), t, stepwise[t:t + 1])
    np.testing.assert_array_equal(whole, stepwise)


def test_uniform_statistics_and_stream_independence():
    u = np.empty((200, 1000))
    K.philox_uniform(np.uint64(2024), np.uint64(0), 0, u)
    n = u.size
    # mean of n U(0,1): sd sqrt(1/(12 n)); variance: sd of sample variance sqrt((1/80 - 1/144)/n)
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt((1 / 80 - 1 / 144) / n)
    counts = np.histogram(u, bins=20, range=(0, 1))[0]
    chi2 = ((counts - n / 20) ** 2 / (n / 20)).sum()
    assert chi2 < 50  # 19 degrees of freedom: P(chi2 > 50) ~ 1e-4
    other = np.empty_like(u)
    K.philox_uniform(np.uint64(2024), np.uint64(1), 0, other)
    r = np.corrcoef(u.ravel(), other.ravel())[0, 1]
    assert abs(r) < 5 / np.sqrt(n)
    lag = np.corrcoef(u[1:].ravel(), u[:-1].ravel())[0, 1]
    assert abs(lag) < 5 / np.sqrt(n)
