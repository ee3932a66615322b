"""Counter-based random numbers (Philox4x32-10) for every kernel that needs randomness.

Why Philox4x32-10
-----------------
A *counter-based* generator (Salmon, Moraes, Dror & Shaw, 2011, "Parallel random numbers:
as easy as 1, 2, 3", SC'11) is a keyed bijection :math:`b_k` of 128-bit blocks; the
:math:`i`-th random block is simply :math:`b_k(i)`. There is no sequential state, so

* the random number used for element ``(t, m)`` depends only on ``(seed, stream, t, m)``:
  results are identical whatever the chunking, the thread count or the order in which
  threads run (a stateful generator shared by threads cannot promise that);
* independent streams are free: a different ``stream`` number (one per Poisson input
  group, one per plasticity rule, ...) gives an independent sequence under the same seed;
* the work is a few 32x32->64-bit multiplies and XORs per block with no memory traffic,
  which LLVM vectorises.

Philox4x32 with 10 rounds is the variant Salmon et al. recommend: it passes the whole
TestU01 BigCrush battery (they found 7 rounds sufficient and keep 10 as a safety margin).
It is the Philox generator of Random123, cuRAND (``CURAND_RNG_PSEUDO_PHILOX4_32_10``),
PyTorch's CUDA generator and TensorFlow's stateless random ops. Faster but weaker hashes were
deliberately not used. ``tests/test_encoding_rng.py`` checks this code
against the Random123 known-answer vectors.

Counter layout
--------------
The 64-bit ``key`` (the seed) gives the two Philox key words ``(key & 0xFFFFFFFF, key >> 32)``;
the 63-bit ``stream`` gives counter words 2 and 3 ``(stream & 0xFFFFFFFF, stream >> 32)``;
counter words 0 and 1 hold a 64-bit block index. Arrays are ``(T, M)`` (time steps x
flattened ``batch * n``); ``row0`` is the global index of row 0, so a simulator drawing one
step at a time gets exactly the numbers of a one-shot call.

*Row words.* A row that needs :math:`W` 32-bit words uses :math:`n = \\lceil W/4 \\rceil`
blocks starting at block :math:`r\\,n` (:math:`r` = global row); word :math:`w` of the row is
word :math:`\\lfloor w/n \\rfloor` of block :math:`r\\,n + (w \\bmod n)` (planar order, which
lets LLVM vectorise the block loop). :func:`philox_uint32` and :func:`philox_uniform` use
:math:`W = M`.

*Bernoulli draws* (:func:`philox_bernoulli`) need a 32-bit uniform :math:`u_m` per element,
compared with an integer threshold :math:`\\theta_m = \\lfloor p_m 2^{32} \\rfloor`. The
comparison is decided by the top byte unless that byte equals
:math:`\\min(\\lfloor \\theta_m / 2^{24} \\rfloor, 255)`, which happens with probability
1/256, so only the top byte is drawn up front:
:math:`u_m = 2^{24} a_m + b_m`, where :math:`a_m` is byte :math:`m \\bmod 4` (little-endian)
of row word :math:`\\lfloor m/4 \\rfloor` (:math:`W = \\lceil M/4 \\rceil`) and :math:`b_m` is
the top 24 bits of word 0 of the block with index :math:`r M + m` in the *fallback*
stream ``stream | 2**63``, drawn only when needed. :math:`u_m` is uniform on
:math:`[0, 2^{32})`, so :math:`P(s_m = 1) = \\theta_m / 2^{32}` exactly (within
:math:`2^{-32}` of :math:`p_m`); the lazy draw changes the cost, not the result.
"""
import sys

import numba
import numpy as np

if sys.byteorder != "little":  # the Bernoulli kernel reads bytes of uint32 words
    raise ImportError("spikecore.kernels.rng assumes a little-endian machine")

# Philox4x32 constants (Salmon et al. 2011; Random123 philox.h).
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S24 = np.uint64(24)
_S8 = np.uint64(8)
_FALLBACK = np.uint64(0x80000000)  # bit 63 of the stream, in counter word 3
_TIES = np.uint64(0x0202020202020202)
_TWO32 = 4294967296.0


@numba.njit(cache=True, inline="always")
def _round(c0, c1, c2, c3, k0, k1):
    p0 = _M0 * c0
    p1 = _M1 * c2
    return ((p1 >> _S32) ^ c1 ^ k0) & _MASK, p1 & _MASK, ((p0 >> _S32) ^ c3 ^ k1) & _MASK, p0 & _MASK


@numba.njit(cache=True, inline="always")
def _bump(k0, k1):
    return (k0 + _W0) & _MASK, (k1 + _W1) & _MASK


@numba.njit(cache=True, inline="always")
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 block function (Salmon et al., 2011): a 4-word counter and a 2-word key
    in, four random 32-bit words out.

    One round maps counter :math:`(c_0, c_1, c_2, c_3)` under key :math:`(k_0, k_1)` to

    .. math::
        (h_0, l_0) = M_0 c_0,\\quad (h_1, l_1) = M_1 c_2,\\quad
        c' = (h_1 \\oplus c_1 \\oplus k_0,\\; l_1,\\; h_0 \\oplus c_3 \\oplus k_1,\\; l_0)

    where :math:`(h, l)` are the high and low 32 bits of the 64-bit product,
    :math:`M_0 = \\mathtt{0xD2511F53}` and :math:`M_1 = \\mathtt{0xCD9E8D57}`. Ten rounds; before
    each round after the first the key is bumped by :math:`W_0 = \\mathtt{0x9E3779B9}`,
    :math:`W_1 = \\mathtt{0xBB67AE85}` (mod :math:`2^{32}`).

    Parameters
    ----------
    c0, c1, c2, c3 : uint64
        Counter words, each < 2**32.
    k0, k1 : uint64
        Key words, each < 2**32.

    Returns
    -------
    tuple of four uint64
        The random words, each < 2**32.
    """
    c0 = np.uint64(c0)
    c1 = np.uint64(c1)
    c2 = np.uint64(c2)
    c3 = np.uint64(c3)
    k0 = np.uint64(k0)
    k1 = np.uint64(k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    return _round(c0, c1, c2, c3, k0, k1)


@numba.njit(cache=True)
def _row_words(block0, n, s0, s1, k0, k1, words):
    # words[j * n + q] = word j of block block0 + q  (planar: a vectorisable loop)
    for q in range(n):
        b = block0 + np.uint64(q)
        r0, r1, r2, r3 = philox4x32_10(b & _MASK, b >> _S32, s0, s1, k0, k1)
        words[q] = np.uint32(r0)
        words[n + q] = np.uint32(r1)
        words[2 * n + q] = np.uint32(r2)
        words[3 * n + q] = np.uint32(r3)


@numba.njit(cache=True)
def _compare_top(top_bytes, top, row):
    # 1: decided spike, 0: decided no spike, 2: tie on the top byte (resolved later)
    for m in range(row.shape[0]):
        a = top_bytes[m]
        row[m] = np.uint8(a < top[m]) | (np.uint8(a == top[m]) << np.uint8(1))


@numba.njit(cache=True)
def _find_ties(row, ties):
    # indices m with row[m] == 2 (top-byte ties, probability 1/256 each); 16 bytes are
    # screened at a time since most 16-byte groups hold no tie; branch-free compaction inside
    n = row.shape[0]
    n16 = n // 16
    packed = row[: 16 * n16].view(np.uint64)
    k = 0
    for g in range(n16):
        if (packed[2 * g] | packed[2 * g + 1]) & _TIES:
            for m in range(16 * g, 16 * g + 16):
                ties[k] = m
                k += np.int64(row[m] == 2)
    for m in range(16 * n16, n):
        ties[k] = m
        k += np.int64(row[m] == 2)
    return k


@numba.njit(cache=True)
def _fallback_words(block0, ties, k, s0, s1, k0, k1, fallback):
    # fallback[i] = word 0 of block block0 + ties[i] in the fallback stream (vectorisable)
    s1f = s1 | _FALLBACK
    for i in range(k):
        b = block0 + np.uint64(ties[i])
        r0, r1, r2, r3 = philox4x32_10(b & _MASK, b >> _S32, s0, s1f, k0, k1)
        fallback[i] = r0


@numba.njit(cache=True)
def _resolve_ties(row, low, ties, k, fallback):
    for i in range(k):
        m = ties[i]
        row[m] = np.uint8((fallback[i] >> _S8) < low[m])


@numba.njit(cache=True)
def probability_threshold(p, out):
    """Integer Bernoulli thresholds :math:`\\theta = \\lfloor p\\, 2^{32} \\rfloor`.

    A uniform 32-bit word :math:`u` gives a spike when :math:`u < \\theta`, so
    :math:`P(\\text{spike}) = \\theta / 2^{32}` and :math:`|\\theta/2^{32} - p| < 2^{-32}`
    (Salmon et al., 2011, supply the uniform words).

    Parameters
    ----------
    p : float64 array (M,)
        Probabilities in [0, 1] (checked by the caller).
    out : uint64 array (M,)
        Receives the thresholds, in [0, 2**32].
    """
    for m in range(p.shape[0]):
        out[m] = np.uint64(np.floor(p[m] * _TWO32))


@numba.njit(cache=True)
def philox_uint32(key, stream, row0, out):
    """Fill ``out`` (T, M) with Philox4x32-10 words (Salmon et al., 2011), row layout above.

    .. math:: \\mathrm{out}_{t,w} = \\mathrm{word}_{\\lfloor w/n\\rfloor}\\big(
              \\mathrm{Philox}_k(r n + (w \\bmod n),\\; s)\\big),\\quad r = t_0 + t,\\;
              n = \\lceil M/4 \\rceil

    Parameters
    ----------
    key : uint64
        Seed :math:`k` (64 bits).
    stream : uint64
        Stream number :math:`s` (< 2**63); different streams are independent.
    row0 : int64
        Global index :math:`t_0` of row 0.
    out : uint32 array (T, M)
        Receives the words.
    """
    key = np.uint64(key)
    stream = np.uint64(stream)
    k0, k1 = key & _MASK, key >> _S32
    s0, s1 = stream & _MASK, stream >> _S32
    n_rows, n_cols = out.shape
    n = (n_cols + 3) // 4
    words = np.empty(4 * n, np.uint32)
    for t in range(n_rows):
        _row_words(np.uint64(row0 + t) * np.uint64(n), n, s0, s1, k0, k1, words)
        out[t, :] = words[:n_cols]


@numba.njit(cache=True)
def philox_uniform(key, stream, row0, out):
    """Fill ``out`` (T, M) with uniform numbers in the open interval (0, 1).

    .. math:: u = (w + 1/2)\\, 2^{-32}

    with :math:`w` the element's Philox4x32-10 word in the layout of :func:`philox_uint32`
    (Salmon et al., 2011). Resolution :math:`2^{-32}`; 0 and 1 never occur, so ``log(u)``
    and ``log(1 - u)`` are finite.

    Parameters
    ----------
    key, stream : uint64
        Seed and stream number (< 2**63).
    row0 : int64
        Global index of row 0.
    out : float64 array (T, M)
        Receives the numbers.
    """
    key = np.uint64(key)
    stream = np.uint64(stream)
    k0, k1 = key & _MASK, key >> _S32
    s0, s1 = stream & _MASK, stream >> _S32
    n_rows, n_cols = out.shape
    n = (n_cols + 3) // 4
    words = np.empty(4 * n, np.uint32)
    scale = 1.0 / _TWO32
    for t in range(n_rows):
        _row_words(np.uint64(row0 + t) * np.uint64(n), n, s0, s1, k0, k1, words)
        for m in range(n_cols):
            out[t, m] = (np.float64(words[m]) + 0.5) * scale


@numba.njit(cache=True, nogil=True)
def philox_bernoulli(threshold, key, stream, row0, out):
    """Bernoulli spikes :math:`s_{t,m} = [\\,u_{t,m} < \\theta_m\\,]` from Philox4x32-10 words.

    .. math:: u_{t,m} = 2^{24} a_{t,m} + b_{t,m}, \\qquad P(s_{t,m} = 1) = \\theta_m / 2^{32}

    :math:`a` (top byte) and :math:`b` (low 24 bits, drawn only when :math:`a_{t,m} =
    \\lfloor \\theta_m / 2^{24} \\rfloor`) follow the module's Bernoulli layout (Salmon et al.,
    2011, for the generator). All draws are independent, so the spike count of element ``m``
    over ``T`` rows is Binomial(T, theta_m / 2**32).

    Parameters
    ----------
    threshold : uint64 array (M,)
        Integer thresholds :math:`\\theta_m` in [0, 2**32] (:func:`probability_threshold`).
    key, stream : uint64
        Seed and stream number (< 2**63).
    row0 : int64
        Global index of row 0: ``row0 = t`` with one row gives row ``t`` of a one-shot call.
    out : uint8 array (T, M)
        Receives the spikes (0 or 1).
    """
    key = np.uint64(key)
    stream = np.uint64(stream)
    k0, k1 = key & _MASK, key >> _S32
    s0, s1 = stream & _MASK, stream >> _S32
    n_rows, n_cols = out.shape
    n = (n_cols + 15) // 16  # blocks per row: 16 top bytes per block
    # u < theta  <=>  a < top  or  (a == top and b < low), with top = min(theta >> 24, 255)
    # and low = theta - top * 2**24 in [0, 2**24] (2**24 when theta = 2**32: always a spike)
    top = np.empty(n_cols, np.uint8)
    low = np.empty(n_cols, np.uint64)
    for m in range(n_cols):
        hi = min(threshold[m] >> _S24, np.uint64(255))
        top[m] = np.uint8(hi)
        low[m] = threshold[m] - (hi << _S24)
    words = np.empty(4 * n, np.uint32)
    top_bytes = words.view(np.uint8)
    ties = np.empty(n_cols + 1, np.int64)  # +1: the compaction writes one past the count
    fallback = np.empty(n_cols, np.uint64)
    for t in range(n_rows):
        r = np.uint64(row0 + t)
        row = out[t]
        _row_words(r * np.uint64(n), n, s0, s1, k0, k1, words)
        _compare_top(top_bytes, top, row)
        k = _find_ties(row, ties)
        _fallback_words(r * np.uint64(n_cols), ties, k, s0, s1, k0, k1, fallback)
        _resolve_ties(row, low, ties, k, fallback)
