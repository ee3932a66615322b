"""Reference twin of ``spikecore.kernels.rng``: Philox4x32-10 (Salmon et al., 2011) in plain
NumPy, vectorised over arrays of counters, written straight from the round equation.

The counter layout is the one described in ``spikecore.kernels.rng``; the Bernoulli twin
builds every element's full 32-bit uniform :math:`u = 2^{24} a + b` and compares it with the
threshold, which is the definition the lazy kernel must reproduce exactly.
"""
import numpy as np

_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK = 0xFFFFFFFF


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 (Salmon et al., 2011): ten rounds of

    .. math:: (h_0, l_0) = M_0 c_0,\\; (h_1, l_1) = M_1 c_2,\\;
              c' = (h_1 \\oplus c_1 \\oplus k_0,\\; l_1,\\; h_0 \\oplus c_3 \\oplus k_1,\\; l_0)

    with the key bumped by :math:`(W_0, W_1)` between rounds. Arguments may be Python ints or
    uint64 arrays (broadcast); each word must be < 2**32. Returns four uint64 arrays.
    """
    c = [np.asarray(v, dtype=np.uint64) for v in (c0, c1, c2, c3)]
    k = [np.asarray(v, dtype=np.uint64) for v in (k0, k1)]
    m0, m1, mask, s32 = np.uint64(_M0), np.uint64(_M1), np.uint64(_MASK), np.uint64(32)
    for r in range(10):
        if r > 0:
            k = [(k[0] + np.uint64(_W0)) & mask, (k[1] + np.uint64(_W1)) & mask]
        p0 = m0 * c[0]  # < 2**64: exact in uint64
        p1 = m1 * c[2]
        c = [((p1 >> s32) ^ c[1] ^ k[0]) & mask, p1 & mask, ((p0 >> s32) ^ c[3] ^ k[1]) & mask, p0 & mask]
    return tuple(c)


def probability_threshold(p, out):
    """Integer thresholds :math:`\\theta = \\lfloor p\\,2^{32} \\rfloor` (see the kernel)."""
    out[:] = np.floor(np.asarray(p, dtype=np.float64) * 4294967296.0).astype(np.uint64)


def _split(value):
    value = int(value)
    return value & _MASK, value >> 32


def _row_words(key, stream, row, n_words):
    """The ``n_words`` words of global row ``row`` (planar layout of the kernel docstring)."""
    k0, k1 = _split(key)
    s0, s1 = _split(stream)
    n = (n_words + 3) // 4
    blocks = np.uint64(row * n) + np.arange(n, dtype=np.uint64)
    words = philox4x32_10(blocks & np.uint64(_MASK), blocks >> np.uint64(32), s0, s1, k0, k1)
    return np.concatenate(words)[:n_words]  # word w = word (w // n) of block (w % n)


def philox_uint32(key, stream, row0, out):
    """Fill ``out`` (T, M) uint32 with Philox4x32-10 words, row ``t`` from global row ``row0 + t``."""
    for t in range(out.shape[0]):
        out[t] = _row_words(key, stream, row0 + t, out.shape[1]).astype(np.uint32)


def philox_uniform(key, stream, row0, out):
    """Fill ``out`` (T, M) float64 with :math:`u = (w + 1/2)\\,2^{-32}` in (0, 1)."""
    for t in range(out.shape[0]):
        words = _row_words(key, stream, row0 + t, out.shape[1])
        out[t] = (words.astype(np.float64) + 0.5) / 4294967296.0


def philox_bernoulli(threshold, key, stream, row0, out):
    """Bernoulli spikes :math:`s_{t,m} = [u_{t,m} < \\theta_m]` with :math:`u = 2^{24}a + b`.

    :math:`a_{t,m}` is byte ``m % 4`` (little-endian) of row word ``m // 4`` (the row has
    ``ceil(M/4)`` words); :math:`b_{t,m}` is the top 24 bits of word 0 of block
    ``(row0 + t) * M + m`` in stream ``stream | 2**63``.
    """
    threshold = np.asarray(threshold, dtype=np.uint64)
    n_rows, n_cols = out.shape
    k0, k1 = _split(key)
    s0, s1 = _split(stream)
    m = np.arange(n_cols, dtype=np.uint64)
    for t in range(n_rows):
        row = row0 + t
        words = _row_words(key, stream, row, (n_cols + 3) // 4)
        a = (words[m // np.uint64(4)] >> (np.uint64(8) * (m % np.uint64(4)))) & np.uint64(0xFF)
        blocks = np.uint64(row * n_cols) + m
        fallback_stream_hi = s1 | 0x80000000  # stream | 2**63
        word0 = philox4x32_10(blocks & np.uint64(_MASK), blocks >> np.uint64(32), s0, fallback_stream_hi, k0, k1)[0]
        b = word0 >> np.uint64(8)
        u = (a << np.uint64(24)) | b
        out[t] = (u < threshold).astype(np.uint8)
