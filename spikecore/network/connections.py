"""Connections between populations: dense, sparse (CSR), one-to-one, 2-D convolution, 2-D pooling.

A :class:`Connection` holds the synapses from a presynaptic population to one input channel
(``target``) of a postsynaptic population, in the layout its propagation kernel reads
(:mod:`spikecore.kernels.propagation`), plus integer delays in steps. The postsynaptic input of
channel ``target`` at step :math:`t` is

.. math::
    I_i(t) = \\sum_j \\sum_{s} w_{ij}\\, [t = t_j^{(s)} + 1 + d_{ij}]

where :math:`t_j^{(s)}` are the spike steps of presynaptic neuron :math:`j` and :math:`d_{ij}` the
synapse's delay in steps: a spike emitted at step :math:`t` reaches the neuron update of step
:math:`t + 1 + d_{ij}` (with :math:`d = 0`, the next step, as in Brian2's schedule of
Stimberg, Brette & Goodman, 2019). Excitation and inhibition are the signs of the weights (or
separate channels of a model that has them).

Connections are made with :meth:`spikecore.network.Network.connect`; this module holds the
objects and the checks.
"""
import numpy as np

from .. import _validate as V
from . import connectivity


class Conv2D:
    """A 2-D convolution from a ``(C_in, H, W)`` population to a ``(C_out, H', W')`` one.

    .. math::
        I[o, y', x'] = \\sum_{c, k_y, k_x} K[o, c, k_y, k_x]\\, z[c, y' s_y - p_y + k_y, x' s_x - p_x + k_x],
        \\qquad H' = \\lfloor (H + 2p_y - K_h)/s_y \\rfloor + 1

    the cross-correlation of convolutional networks (LeCun et al., 1998), as used by converted
    CNNs (Rueckauer et al., 2017) and event-camera networks.

    Parameters
    ----------
    kernel : array (C_out, C_in, K_h, K_w)
        Kernel :math:`K`.
    in_shape : tuple (C_in, H, W), optional
        Shape of the presynaptic population; defaults to its ``shape``.
    stride : int or (int, int)
        :math:`(s_y, s_x)`.
    padding : int or (int, int)
        Zero padding :math:`(p_y, p_x)`.
    """

    def __init__(self, kernel, in_shape=None, stride=1, padding=0):
        self.kernel = V.array("kernel", kernel, ndim=4, finite=True, kinds="iuf")
        if 0 in self.kernel.shape:
            V.fail("kernel", "<array of shape %s>" % (self.kernel.shape,),
                   "a (C_out, C_in, K_h, K_w) kernel with every dimension >= 1")
        self.in_shape = None if in_shape is None else _shape3("in_shape", in_shape)
        self.stride = _pair("stride", stride, 1)
        self.padding = _pair("padding", padding, 0)

    def out_shape(self, in_shape):
        c_out, c_in, k_h, k_w = self.kernel.shape
        if in_shape[0] != c_in:
            V.fail("kernel", "<array of shape %s>" % (self.kernel.shape,),
                   "C_in = %d input channels to match in_shape %s" % (in_shape[0], in_shape))
        out_h = (in_shape[1] + 2 * self.padding[0] - k_h) // self.stride[0] + 1
        out_w = (in_shape[2] + 2 * self.padding[1] - k_w) // self.stride[1] + 1
        if out_h < 1 or out_w < 1:
            V.fail("kernel", "<array of shape %s>" % (self.kernel.shape,),
                   "a kernel that fits the padded input %s" % (in_shape,))
        return (c_out, out_h, out_w)


class Pool2D:
    """2-D sum or average pooling from a ``(C, H, W)`` population to ``(C, H', W')``.

    .. math::
        I[c, y', x'] = a \\sum_{k_y < P_y,\\, k_x < P_x} z[c, y' s_y + k_y, x' s_x + k_x],
        \\qquad a = 1 \\text{ (sum) or } 1/(P_y P_x) \\text{ (average)}

    (Rueckauer et al., 2017, convert average pooling this way.)

    Parameters
    ----------
    size : int or (int, int)
        Window :math:`(P_y, P_x)`.
    stride : int or (int, int), optional
        :math:`(s_y, s_x)`; defaults to ``size`` (non-overlapping windows).
    mode : {"average", "sum"}
        Pooling kind.
    in_shape : tuple (C, H, W), optional
        Shape of the presynaptic population; defaults to its ``shape``.
    """

    def __init__(self, size, stride=None, mode="average", in_shape=None):
        self.size = _pair("size", size, 1)
        self.stride = self.size if stride is None else _pair("stride", stride, 1)
        self.mode = V.choice("mode", mode, ("average", "sum"))
        self.in_shape = None if in_shape is None else _shape3("in_shape", in_shape)

    @property
    def scale(self):
        return 1.0 / (self.size[0] * self.size[1]) if self.mode == "average" else 1.0

    def out_shape(self, in_shape):
        out_h = (in_shape[1] - self.size[0]) // self.stride[0] + 1
        out_w = (in_shape[2] - self.size[1]) // self.stride[1] + 1
        if out_h < 1 or out_w < 1:
            V.fail("size", self.size, "a window that fits the input %s" % (in_shape,))
        return (in_shape[0], out_h, out_w)


class Connection:
    """Synapses from population ``pre`` to input channel ``target`` of population ``post``.

    Attributes
    ----------
    name : str
        ``"pre->post"`` unless named.
    kind : {"csr", "dense", "conv2d", "pool2d"}
        Storage and propagation kernel.
    pre, post : Population
        Source and target populations.
    target : int
        Index of the postsynaptic input channel.
    delay : int
        Uniform extra delay in steps (``kind != "csr"``, or CSR without per-synapse delays).
    max_delay : int
        Largest delay in steps of any synapse (sets the ring buffer length).
    indptr, indices, weights, delays : arrays
        CSR storage (``kind == "csr"``); ``delays`` is empty without per-synapse delays.
    weights_t : array (n_pre, n_post)
        Transposed dense weights (``kind == "dense"``).
    conv, pool : Conv2D or Pool2D
        Geometry (``kind == "conv2d"`` / ``"pool2d"``).
    plasticity : PlasticityRule or None
        The rule that changes the weights during :meth:`Network.run` (``kind`` dense or csr;
        e.g. :class:`spikecore.learning.PairSTDP`). The weight arrays above always hold the
        current weights: the simulator copies them in before a run and back after it.
    """

    def __init__(self, name, kind, pre, post, target, delay=0, max_delay=0):
        self.name = name
        self.kind = kind
        self.pre = pre
        self.post = post
        self.target = target
        self.delay = int(delay)
        self.max_delay = int(max_delay)
        self.indptr = self.indices = self.weights = self.delays = None
        self.weights_t = None
        self.conv = self.pool = None
        self.in_shape = self.out_shape = None
        self.plasticity = None

    @property
    def n_synapses(self):
        """Number of synapses (for conv/pool: the number of nonzero pre->post pairs is not stored)."""
        if self.kind == "csr":
            return int(self.indices.size)
        if self.kind == "dense":
            return int(self.weights_t.size)
        return None

    def synapses(self):
        """The synapses as explicit lists ``(pre, post, weight, delay_steps)`` (CSR and dense kinds).

        Used to export the same network to another simulator (e.g. Brian2).
        """
        if self.kind == "csr":
            pre = np.repeat(np.arange(self.pre.n), np.diff(self.indptr))
            d = self.delays if self.delays.size else np.full(pre.size, self.delay, np.int32)
            return pre, self.indices.astype(np.int64), self.weights.copy(), d.astype(np.int64)
        if self.kind == "dense":
            pre, post = np.meshgrid(np.arange(self.pre.n), np.arange(self.post.n), indexing="ij")
            return (pre.ravel(), post.ravel(), self.weights_t.ravel().copy(),
                    np.full(pre.size, self.delay, np.int64))
        V.fail("kind", self.kind, "'csr' or 'dense' to list synapses explicitly")

    def to_dense(self):
        """The weight matrix :math:`W` of shape ``(n_post, n_pre)`` (multapses summed, delays ignored)."""
        from ..kernels.propagation import conv2d_propagate, pool2d_propagate
        if self.kind == "dense":
            return self.weights_t.T.copy()
        if self.kind == "csr":
            pre, post, w, _ = self.synapses()
            W = np.zeros((self.post.n, self.pre.n), self.weights.dtype)
            np.add.at(W, (post, pre), w)
            return W
        # conv/pool: push a unit spike of every presynaptic neuron through the kernel
        W = np.zeros((self.post.n, self.pre.n), np.float64)
        idx = np.zeros((1, 1), np.int32)
        count = np.ones(1, np.int64)
        ring = np.zeros((1, 1, self.post.n))
        _, h, w = self.in_shape
        _, oh, ow = self.out_shape
        for j in range(self.pre.n):
            idx[0, 0] = j
            ring[:] = 0.0
            if self.kind == "conv2d":
                k = np.asarray(self.conv.kernel, np.float64)
                conv2d_propagate(idx, count, k, h, w, oh, ow, self.conv.stride[0], self.conv.stride[1],
                                 self.conv.padding[0], self.conv.padding[1], ring, 0)
            else:
                pool2d_propagate(idx, count, h, w, oh, ow, self.pool.size[0], self.pool.size[1],
                                 self.pool.stride[0], self.pool.stride[1], self.pool.scale, ring, 0)
            W[:, j] = ring[0, 0]
        return W

    def __repr__(self):
        n = self.n_synapses
        return "Connection(%r, kind=%r, target=%d%s, max_delay=%d)" % (
            self.name, self.kind, self.target, "" if n is None else ", synapses=%d" % n, self.max_delay)


def csr_columns(indptr, indices, n_post):
    """Column index of a CSR matrix stored by presynaptic row, for postsynaptic updates.

    Returns ``(post_ptr, post_syn, syn_pre)``: ``post_syn[post_ptr[i]:post_ptr[i+1]]`` are the
    synapse numbers onto postsynaptic neuron ``i`` (ascending), ``syn_pre[k]`` the presynaptic
    neuron (row) of synapse ``k``.
    """
    indptr = np.asarray(indptr, np.int64)
    indices = np.asarray(indices)
    syn_pre = np.repeat(np.arange(indptr.shape[0] - 1, dtype=np.int32), np.diff(indptr))
    post_syn = np.argsort(indices, kind="stable").astype(np.int64)
    post_ptr = np.zeros(n_post + 1, np.int64)
    np.cumsum(np.bincount(indices, minlength=n_post), out=post_ptr[1:])
    return post_ptr, post_syn, syn_pre


def _pair(name, value, low):
    if np.isscalar(value):
        v = V.integer(name, value, low=low)
        return (v, v)
    try:
        items = tuple(value)
    except TypeError:
        V.fail(name, value, "an int or a pair of ints", TypeError)
    if len(items) != 2:
        V.fail(name, value, "an int or a pair of ints")
    return (V.integer(name, items[0], low=low), V.integer(name, items[1], low=low))


def _shape3(name, value):
    if isinstance(value, (str, bytes)):
        V.fail(name, value, "a (C, H, W) tuple", TypeError)
    try:
        shape = tuple(value)
    except TypeError:
        V.fail(name, value, "a (C, H, W) tuple", TypeError)
    if len(shape) != 3:
        V.fail(name, value, "a (C, H, W) tuple")
    return tuple(V.integer(name, s, low=1) for s in shape)


#: Largest delay in steps: synaptic delays are stored as int32 by the propagation kernels.
MAX_DELAY_STEPS = 2**31 - 2


def call_user(name, fn, rng, size, where=""):
    """``fn(rng, size)`` for a callable argument; a wrong signature is reported against ``name``."""
    try:
        return fn(rng, size)
    except TypeError as exc:
        V.fail(name, fn, "a callable f(rng, n) (called with (rng, %d): %s)%s" % (size, exc, where), TypeError)


def _check_steps(name, steps, dt, where=""):
    if steps > MAX_DELAY_STEPS:
        V.fail(name, "<%d steps of dt = %g s>" % (steps, dt),
               "at most %d steps (int32 delays)%s" % (MAX_DELAY_STEPS, where))
    return steps


def _delay_steps(name, delay, dt, size, rng, scalar_only=None, where=""):
    """Convert a delay in seconds (scalar, array of ``size`` or callable(rng, size)) to steps.

    ``scalar_only``: the kind of a connection that takes one delay only (conv, pool).
    """
    if callable(delay):
        delay = call_user(name, delay, rng, size)
    if isinstance(delay, np.ndarray) and delay.ndim == 0:
        delay = delay[()]
    if np.isscalar(delay):
        d = V.real(name, delay, low=0.0, unit="s")
        return _check_steps(name, int(round(d / dt)), dt), None
    if scalar_only:
        V.fail(name, delay if not isinstance(delay, np.ndarray) else "<array of shape %s>" % (delay.shape,),
               "one scalar delay (s) for a %s connection%s" % (scalar_only, where))
    arr = V.array(name, delay, ndim=1, finite=True, kinds="iuf", shape=(size,))
    if arr.size and arr.min() < 0:
        V.fail(name, "<array with minimum %g>" % arr.min(), "delays >= 0 (seconds)")
    steps = np.rint(arr / dt)
    if steps.size:
        _check_steps(name, int(steps.max()), dt)
    return None, steps.astype(np.int64)


def _weights(name, weight, size, rng):
    """Weights for ``size`` synapses: scalar, array of ``size`` or callable(rng, size)."""
    if callable(weight):
        weight = call_user(name, weight, rng, size)
    if isinstance(weight, np.ndarray) and weight.ndim == 0:
        weight = weight[()]
    if np.isscalar(weight):
        return np.full(size, V.real(name, weight), np.float64)
    return V.array(name, weight, ndim=1, finite=True, kinds="iuf", shape=(size,)).astype(np.float64)


def build(name, pre, post, target, dt, dtype, rng, *, weight, p, in_degree, pairs, one_to_one,
          conv, pool, delay, max_delay, autapses):
    """Make a :class:`Connection` from the arguments of :meth:`Network.connect` (checked here)."""
    chosen = [k for k, v in (("p", p), ("in_degree", in_degree), ("pairs", pairs),
                             ("one_to_one", one_to_one or None), ("conv", conv), ("pool", pool))
              if v is not None]
    if len(chosen) > 1:
        V.fail("connectivity", chosen, "at most one of p, in_degree, pairs, one_to_one, conv, pool "
               "(connection %s)" % name)
    rule = chosen[0] if chosen else "dense"
    where = " (connection %s)" % name
    if isinstance(delay, np.ndarray) and delay.ndim == 0:
        delay = delay[()]
    # a slice of a population (PopulationView): draw synapses between the slices, store them
    # on the whole populations with shifted indices
    pre_off = getattr(pre, "start", 0)
    post_off = getattr(post, "start", 0)
    pre_pop = getattr(pre, "population", pre)
    post_pop = getattr(post, "population", post)
    sliced = pre_pop is not pre or post_pop is not post
    if sliced and rule in ("conv", "pool"):
        V.fail(rule, "<%s>" % rule, "whole populations (not slices)" + where)

    if rule in ("conv", "pool"):
        spec = conv if rule == "conv" else pool
        if not isinstance(spec, Conv2D if rule == "conv" else Pool2D):
            V.fail(rule, spec, "a spikecore.network.%s" % ("Conv2D" if rule == "conv" else "Pool2D") + where,
                   TypeError)
        if weight is not None:
            V.fail("weight", weight, "None for a %s connection (the kernel holds the weights)%s"
                   % (rule, where))
        in_shape = spec.in_shape or pre.shape
        if in_shape is None or int(np.prod(in_shape)) != pre.n:
            V.fail("in_shape", in_shape, "a (C, H, W) shape with C*H*W = %d neurons of population %r%s"
                   % (pre.n, pre.name, where))
        out_shape = spec.out_shape(in_shape)
        if int(np.prod(out_shape)) != post.n:
            V.fail("post", post.name, "a population of %d = %s neurons (the %s output) but it has %d%s"
                   % (int(np.prod(out_shape)), "x".join(map(str, out_shape)), rule, post.n, where))
        d, _ = _delay_steps("delay", 0.0 if delay is None else delay, dt, 0, rng,
                            scalar_only=rule, where=where)
        c = Connection(name, rule + "2d", pre, post, target, delay=d, max_delay=d)
        c.in_shape, c.out_shape = tuple(in_shape), tuple(out_shape)
        if rule == "conv":
            c.conv = spec
            c.kernel = np.ascontiguousarray(spec.kernel, dtype=dtype)
        else:
            c.pool = spec
        _check_max(c, max_delay, dt, where)
        return c

    if rule == "dense":
        if weight is None:
            V.fail("weight", weight, "a (n_post, n_pre) = (%d, %d) weight matrix, or a connectivity "
                   "rule (p, in_degree, pairs, one_to_one, conv, pool)%s" % (post.n, pre.n, where))
        if callable(weight) or np.isscalar(weight) or (isinstance(weight, np.ndarray) and weight.ndim == 0):
            V.fail("weight", weight, "a (n_post, n_pre) = (%d, %d) weight matrix, or a connectivity rule "
                   "(p, in_degree, pairs, one_to_one, conv, pool) for a scalar or callable weight%s"
                   % (post.n, pre.n, where))
        W = V.array("weight", weight, ndim=2, finite=True, kinds="iuf", shape=(post.n, pre.n))
        if (np.isscalar(delay) or delay is None) and not sliced:
            d, _ = _delay_steps("delay", 0.0 if delay is None else delay, dt, 0, rng)
            c = Connection(name, "dense", pre, post, target, delay=d, max_delay=d)
            c.weights_t = np.ascontiguousarray(W.T, dtype=dtype)
            _check_max(c, max_delay, dt, where)
            return c
        # per-synapse delays or slices: store the matrix as CSR of its nonzero entries
        post_i, pre_i = np.nonzero(W)
        if not (np.isscalar(delay) or delay is None or callable(delay)):  # a callable gets n = nnz
            D = V.array("delay", delay, ndim=2, finite=True, kinds="iuf", shape=(post.n, pre.n))
            delay = D[post_i, pre_i]
        return _csr(name, pre_pop, post_pop, target, dt, dtype, rng, pre_i + pre_off,
                    post_i + post_off, W[post_i, pre_i], delay, max_delay, where)

    # autapses: excluded when the two (slices of one) population overlap and autapses=False
    overlap = pre_pop is post_pop and not autapses
    same = overlap and pre_off == post_off and pre.n == post.n
    if rule == "p":
        prob = V.real("p", p, low=0.0, high=1.0)
        pre_i, post_i = connectivity.fixed_probability(pre.n, post.n, prob, rng, not same)
    elif rule == "in_degree":
        k = V.integer("in_degree", in_degree, low=0)
        if overlap and not same:
            V.fail("autapses", autapses, "True for in_degree between overlapping slices" + where)
        pre_i, post_i = connectivity.fixed_in_degree(pre.n, post.n, k, rng, not same)
    elif rule == "one_to_one":
        if pre.n != post.n:
            V.fail("one_to_one", True, "populations of equal size, got %r (%d) -> %r (%d)%s"
                   % (pre.name, pre.n, post.name, post.n, where))
        pre_i, post_i = connectivity.one_to_one(pre.n)
    else:
        if not isinstance(pairs, (tuple, list)) or len(pairs) != 2:
            V.fail("pairs", pairs, "a (pre_indices, post_indices) pair of integer arrays" + where, TypeError)
        pre_i = V.indices("pairs[0]", pairs[0])
        post_i = V.indices("pairs[1]", pairs[1], shape=(pre_i.size,))
        if pre_i.size and (pre_i.min() < 0 or pre_i.max() >= pre.n):
            V.fail("pairs[0]", "<indices in [%d, %d]>" % (pre_i.min(), pre_i.max()),
                   "indices in [0, %d) of population %r%s" % (pre.n, pre.name, where))
        if post_i.size and (post_i.min() < 0 or post_i.max() >= post.n):
            V.fail("pairs[1]", "<indices in [%d, %d]>" % (post_i.min(), post_i.max()),
                   "indices in [0, %d) of population %r%s" % (post.n, post.name, where))
    if weight is None:
        V.fail("weight", weight, "a scalar, an array of one weight per synapse or a callable(rng, n)"
               + where)
    w = _weights("weight", weight, pre_i.size, rng)
    pre_i, post_i = pre_i + pre_off, post_i + post_off
    if overlap and not same and rule == "p":  # drop i -> i between overlapping slices
        keep = pre_i != post_i
        pre_i, post_i, w = pre_i[keep], post_i[keep], w[keep]
    return _csr(name, pre_pop, post_pop, target, dt, dtype, rng, pre_i, post_i, w, delay,
                max_delay, where)


def _csr(name, pre, post, target, dt, dtype, rng, pre_i, post_i, w, delay, max_delay, where):
    d, arr = _delay_steps("delay", 0.0 if delay is None else delay, dt, pre_i.size, rng)
    indptr, indices, data, delay_steps, _ = connectivity.to_csr(pre_i, post_i, w, arr, pre.n, dtype)
    if arr is None:
        c = Connection(name, "csr", pre, post, target, delay=d, max_delay=d)
    else:
        c = Connection(name, "csr", pre, post, target, delay=0,
                       max_delay=int(arr.max()) if arr.size else 0)
    c.indptr, c.indices, c.weights, c.delays = indptr, indices, data, delay_steps
    _check_max(c, max_delay, dt, where)
    return c


def _check_max(c, max_delay, dt, where):
    if max_delay is None:
        return
    m = _check_steps("max_delay", int(round(V.real("max_delay", max_delay, low=0.0, unit="s") / dt)), dt, where)
    if c.max_delay > m:
        V.fail("delay", "<%d steps>" % c.max_delay,
               "delays <= max_delay = %g s (%d steps)%s" % (max_delay, m, where))
    c.max_delay = m
