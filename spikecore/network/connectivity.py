"""Random and explicit connectivity: which presynaptic neuron connects to which postsynaptic one.

Every builder returns synapses as two integer arrays ``(pre, post)`` sorted by ``pre`` then
``post``, and :func:`to_csr` turns them (with weights and delays) into the compressed sparse
row layout the propagation kernels read (row = presynaptic neuron, so a spike reads one
contiguous run of synapses). All randomness comes from an explicit ``numpy.random.Generator``:
the same seed gives the same synapses.
"""
import numpy as np

from .. import _validate as V


def fixed_probability(n_pre, n_post, p, rng, autapses=True):
    """Connect every pair ``(j, i)`` independently with probability ``p`` (Erdős–Rényi).

    Each of the :math:`n_\\mathrm{pre} n_\\mathrm{post}` pairs is a Bernoulli(:math:`p`) trial, the
    random connectivity of the CUBA/COBA benchmark networks (Brette et al., 2007; Vogels &
    Abbott, 2005). The trials are drawn in :math:`O(\\mathrm{nnz})` by skipping over the
    flattened pair index with geometric gaps, :math:`g \\sim \\mathrm{Geom}(p)`, which gives exactly
    the same distribution as one coin per pair (Batagelj & Brandes, 2005).

    Parameters
    ----------
    n_pre, n_post : int
        Number of presynaptic and postsynaptic neurons.
    p : float
        Connection probability in [0, 1].
    rng : numpy.random.Generator
        Source of randomness.
    autapses : bool
        If False, pairs with ``pre == post`` are not connected (use for a recurrent connection
        of a population onto itself when self-connections are unwanted).

    Returns
    -------
    pre, post : int64 arrays (nnz,)
        Synapses sorted by ``pre`` then ``post``.
    """
    total = n_pre * n_post
    if total == 0 or p == 0.0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if p == 1.0:
        flat = np.arange(total, dtype=np.int64)
    else:
        chunks = []
        position = -1
        expected = total * p
        while True:
            m = int(expected + 6.0 * np.sqrt(expected * (1 - p)) + 16)
            # geometric gaps g = 1 + floor(ln U / ln(1 - p)), clipped so the sum cannot overflow
            u = 1.0 - rng.random(m)  # in (0, 1]
            with np.errstate(over="ignore", divide="ignore"):  # tiny p: gaps beyond total
                gaps = np.minimum(np.floor(np.log(u) / np.log1p(-p)) + 1.0, float(total + 1))
            flat = position + np.cumsum(gaps.astype(np.int64))
            done = flat[-1] >= total
            flat = flat[flat < total]
            chunks.append(flat)
            if done:
                break
            position = int(flat[-1])
            expected = (total - 1 - position) * p
        flat = np.concatenate(chunks)
    pre = flat // n_post
    post = flat - pre * n_post
    if not autapses:
        keep = pre != post
        pre, post = pre[keep], post[keep]
    return pre, post


def fixed_in_degree(n_pre, n_post, k, rng, autapses=True):
    """Give every postsynaptic neuron exactly ``k`` distinct presynaptic partners, drawn uniformly.

    The fixed in-degree rule of Brunel (2000) (each neuron receives :math:`C_E` excitatory and
    :math:`C_I` inhibitory inputs chosen at random). Duplicates are redrawn until each row has
    ``k`` distinct partners.

    Parameters
    ----------
    n_pre, n_post : int
        Number of presynaptic and postsynaptic neurons.
    k : int
        In-degree, ``0 <= k <= n_pre`` (``n_pre - 1`` without autapses).
    rng : numpy.random.Generator
        Source of randomness.
    autapses : bool
        If False, neuron ``i`` never receives from presynaptic neuron ``i``.

    Returns
    -------
    pre, post : int64 arrays (n_post * k,)
        Synapses sorted by ``pre`` then ``post``.
    """
    pool = n_pre if autapses else n_pre - 1
    if k > pool:
        V.fail("in_degree", k, "at most %d (the number of available presynaptic neurons)" % pool)
    if k == 0 or n_post == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows = np.arange(n_post, dtype=np.int64)[:, None]
    if 2 * k > pool:
        # dense draw: a random permutation prefix per row
        keys = rng.random((n_post, pool))
        draw = np.argsort(keys, axis=1)[:, :k].astype(np.int64)
    else:
        draw = rng.integers(0, pool, size=(n_post, k), dtype=np.int64)
        while True:
            draw.sort(axis=1)
            dup = np.zeros(draw.shape, bool)
            dup[:, 1:] = draw[:, 1:] == draw[:, :-1]
            n_dup = int(dup.sum())
            if n_dup == 0:
                break
            draw[dup] = rng.integers(0, pool, size=n_dup, dtype=np.int64)
    if not autapses:
        draw = draw + (draw >= rows)  # skip index i in row i
    post = np.broadcast_to(rows, draw.shape).ravel()
    pre = draw.ravel()
    order = np.lexsort((post, pre))
    return pre[order], post[order]


def one_to_one(n):
    """Connect neuron ``i`` of the presynaptic population to neuron ``i`` of the postsynaptic one.

    :math:`W_{ij} = w\\,\\delta_{ij}`: identity connectivity (an input layer driving a
    population of the same size, or the identity layers of converted networks).

    Returns
    -------
    pre, post : int64 arrays (n,)
    """
    a = np.arange(n, dtype=np.int64)
    return a, a.copy()


def to_csr(pre, post, weights, delays, n_pre, dtype):
    """Sort synapses by presynaptic neuron and build the CSR arrays of the propagation kernels.

    Row :math:`j` (presynaptic neuron) holds its synapses in
    :math:`[\\mathrm{indptr}_j, \\mathrm{indptr}_{j+1})` with
    :math:`\\mathrm{indptr}_{j+1} - \\mathrm{indptr}_j = |\\{k : \\mathrm{pre}_k = j\\}|`, the
    compressed sparse row layout (the Yale format: Eisenstat, Gursky, Schultz & Sherman, 1982), of
    :math:`W^T` so that a spike reads one contiguous run.

    Parameters
    ----------
    pre, post : int arrays (nnz,)
        Presynaptic and postsynaptic neuron of each synapse.
    weights : float array (nnz,)
        Weight of each synapse.
    delays : int array (nnz,) or None
        Extra delay of each synapse in steps (``None``: no extra delay).
    n_pre : int
        Number of presynaptic neurons (rows).
    dtype : numpy dtype
        Weight dtype.

    Returns
    -------
    indptr : int64 (n_pre + 1,)
        Row pointer.
    indices : int32 (nnz,)
        Postsynaptic neuron of each synapse, rows in ascending ``pre`` order.
    data : dtype (nnz,)
        Weights in the same order.
    delay_steps : int32 (nnz,) or (0,)
        Delays in the same order (empty when ``delays`` is None).
    order : int64 (nnz,)
        Permutation applied to the input synapses (``indices == post[order]``).
    """
    order = np.lexsort((post, pre)) if pre.size else np.zeros(0, np.int64)
    counts = np.bincount(pre, minlength=n_pre) if pre.size else np.zeros(n_pre, np.int64)
    indptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.ascontiguousarray(post[order], dtype=np.int32)
    data = np.ascontiguousarray(weights[order], dtype=dtype)
    if delays is None:
        delay_steps = np.zeros(0, np.int32)
    else:
        delay_steps = np.ascontiguousarray(delays[order], dtype=np.int32)
    return indptr, indices, data, delay_steps, order
