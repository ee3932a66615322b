r"""Connections between NEF objects: decoded, neuron-to-neuron, and from inputs and nodes.

A connection from an ensemble computes a function :math:`f` of the represented value by
linear decoding (Eliasmith & Anderson 2003, ch. 7): decoders :math:`D` (:math:`n \times k`)
are solved by regularised least squares so that :math:`\hat f(x) = D^\top a(x) \approx f(x)`
on the evaluation points, and the connection's matrix is :math:`W = T D^\top` with the
transform :math:`T` (:math:`\mathrm{size\_out} \times k`). On a spiking run the decoded output
is :math:`W s(t)` (spikes of height :math:`1/dt`) passed through the post-synaptic low-pass
filter :math:`h(t) = e^{-t/\tau}/\tau` (discretised by zero-order hold,
:math:`y[n] = \gamma y[n-1] + (1-\gamma) u[n]`, :math:`\gamma = e^{-dt/\tau}`).

With ``solver=LstsqL2(weights=True)`` and an ensemble as ``post``, the connection is a full
neuron→neuron weight matrix :math:`\omega_{ji} = \alpha_j\,e_j \cdot (T D^\top)_{:,i} / r`
(gain·encoder·decoder) that drives the postsynaptic currents directly. A connection onto
``ens.neurons`` adds :math:`\alpha_j (W s)_j` to neuron :math:`j`'s current (Nengo's
convention, Bekolay et al. 2014).
"""
import numpy as np

from spikecore import _validate
from spikecore.nef.ensembles import Ensemble, Neurons
from spikecore.nef.pes import PES
from spikecore.nef.solvers import LstsqL2


def _size(obj, role):
    from spikecore.nef.network import Input, Node  # imported here: network.py imports this module
    if isinstance(obj, Ensemble):
        return obj.dimensions
    if isinstance(obj, Neurons):
        return obj.ensemble.n_neurons
    if isinstance(obj, (Input, Node)):
        return obj.size
    if isinstance(obj, PES) and role == "post":
        if obj.connection is None:
            _validate.fail("post", obj, "a PES rule already attached to a connection", TypeError)
        return obj.connection.error_dimensions
    _validate.fail(role, obj, "an Ensemble, ens.neurons, an Input or Node%s"
                   % (", or a PES rule" if role == "post" else ""), TypeError)


def _transform(transform, size_out, size_mid):
    T = np.asarray(_validate.array("transform", transform, ndim=(0, 2), finite=True), dtype=np.float64)
    if T.ndim == 0:
        if size_out != size_mid:
            _validate.fail("transform", float(T), "a (%d, %d) matrix: a scalar transform needs the "
                           "function output (%d) and post (%d) sizes to match"
                           % (size_out, size_mid, size_mid, size_out))
        return float(T) * np.eye(size_out)
    if T.shape != (size_out, size_mid):
        _validate.fail("transform", "<array of shape %s>" % (T.shape,),
                       "shape (size_out, size_mid) = (%d, %d)" % (size_out, size_mid))
    return T.copy()


def function_targets(function, eval_points):
    r"""Targets :math:`f(x_k)` of a connection's function at every evaluation point.

    Parameters
    ----------
    function : callable or array or None
        ``f(x)`` for one point ``x`` (d,) returning a scalar or vector; an array (m, k) of
        precomputed targets; None for the identity.
    eval_points : array (m, d)

    Returns
    -------
    float64 ndarray (m, k)
    """
    if function is None:
        return np.array(eval_points, dtype=np.float64)
    if callable(function):
        from spikecore.nef.network import _function_value  # network.py imports this module
        rows = []
        for x in eval_points:
            rows.append(_function_value("function", function, x, "x = %s" % np.round(x, 4).tolist()))
        sizes = {len(r) for r in rows}
        if len(sizes) != 1:
            _validate.fail("function", function, "a function returning the same size for every point")
        out = np.array(rows)
        if not np.all(np.isfinite(out)):
            _validate.fail("function", function, "finite outputs on the evaluation points")
        return out
    Y = _validate.array("function", function, ndim=(1, 2), finite=True, dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.shape[0] != len(eval_points):
        _validate.fail("function", "<array of shape %s>" % (Y.shape,),
                       "one target row per evaluation point (%d)" % len(eval_points))
    return Y


class Connection:
    r"""A connection ``pre -> post`` (create it with :meth:`spikecore.nef.Network.connect`).

    Attributes
    ----------
    weights : float64 ndarray (size_out, size_in)
        The initial matrix :math:`W` applied to the source signal (decoders times transform,
        gain·encoder·decoder weights, or the transform for neuron and node sources).
    decoders : float64 ndarray (n, k) or None
        Solved decoders of a connection from an ensemble.
    synapse : float or None
        Post-synaptic low-pass time constant :math:`\tau` (s); None: no filter, no delay.
    learning_rule : PES or None
    to_neurons : bool
        The output drives neuron currents (post is ``ens.neurons`` or a weight solver).
    error_dimensions : int
        Size of the PES error: the post ensemble's dimensions for connections onto neurons,
        else ``size_out``.
    solver_info : dict or None
    """

    def __init__(self, pre, post, *, function=None, transform=1.0, synapse=0.005, solver=None,
                 eval_points=None, learning_rule=None, label=None):
        from spikecore.nef.network import Input, Node  # imported here: network.py imports this module
        self.pre, self.post, self.label = pre, post, label
        size_source = _size(pre, "pre")
        size_post = _size(post, "post")
        self.synapse = None if synapse is None else _validate.nonnegative("synapse", synapse, "s")
        self.solver = LstsqL2() if solver is None else solver
        if not isinstance(self.solver, LstsqL2):
            _validate.fail("solver", solver, "an LstsqL2 instance", TypeError)
        self.decoders = None
        self.solver_info = None
        self.eval_points = None
        post_ens = post.ensemble if isinstance(post, Neurons) else post
        weight_solver = self.solver.weights and isinstance(post, Ensemble)
        if self.solver.weights and not isinstance(post, Ensemble):
            _validate.fail("solver", self.solver, "weights=True only for a connection onto an Ensemble")
        if self.solver.weights and not isinstance(pre, Ensemble):
            _validate.fail("solver", self.solver, "weights=True only for a connection from an Ensemble")

        if isinstance(pre, Ensemble):
            if eval_points is None:
                points = pre.eval_points
            else:
                points = _validate.array("eval_points", eval_points, ndim=2, shape=(None, pre.dimensions),
                                         finite=True, dtype=np.float64)
            targets = function_targets(function, points)
            size_mid = targets.shape[1]
            A = pre.rates(points)
            if np.count_nonzero(A) == 0:
                _validate.fail("pre", pre, "an ensemble whose neurons fire at some evaluation point "
                               "(the activity matrix is all zero)")
            D, info = self.solver(A, targets)
            self.decoders, self.solver_info, self.eval_points = D, info, points
            T = _transform(transform, size_post if not weight_solver else post.dimensions, size_mid)
            W = T @ D.T
            if weight_solver:
                W = post.scaled_encoders @ W
            self.size_in = pre.n_neurons
        else:
            if function is not None:
                _validate.fail("function", function, "None: a function needs an Ensemble as pre "
                               "(compute inputs' functions in the Input itself)")
            W = _transform(transform, size_post, size_source)
            self.size_in = size_source
        self.weights = np.ascontiguousarray(W, dtype=np.float64)
        self.size_out = self.weights.shape[0]
        self.to_neurons = isinstance(post, Neurons) or weight_solver
        self.post_ensemble = post_ens if isinstance(post_ens, Ensemble) else None
        self.error_dimensions = self.post_ensemble.dimensions if self.to_neurons else self.size_out
        self.source_is_neurons = isinstance(pre, (Ensemble, Neurons))
        self.source_is_input = isinstance(pre, Input)
        self.source_is_node = isinstance(pre, Node)

        self.learning_rule = None
        if learning_rule is not None:
            if not isinstance(learning_rule, PES):
                _validate.fail("learning_rule", learning_rule, "a PES instance", TypeError)
            if learning_rule.connection is not None:
                _validate.fail("learning_rule", learning_rule, "a PES instance not already used by another connection")
            if not self.source_is_neurons:
                _validate.fail("learning_rule", learning_rule, "a rule on a connection from an Ensemble or its neurons")
            if isinstance(post, PES):
                _validate.fail("learning_rule", learning_rule, "no rule on an error connection")
            learning_rule.connection = self
            self.learning_rule = learning_rule

    @property
    def pre_ensemble(self):
        """The presynaptic ensemble (for connections from an ensemble or its neurons), else None."""
        if isinstance(self.pre, Ensemble):
            return self.pre
        if isinstance(self.pre, Neurons):
            return self.pre.ensemble
        return None

    def __repr__(self):
        return "<Connection %r -> %r (%d x %d)>" % (self.pre, self.post, self.size_out, self.size_in)
