r"""What every neuron model shares, and the interface the network engine relies on.

A neuron model object (``LIF(...)``, ``CurrentLIF(...)``, ``Izhikevich.preset("RS")`` ...) is
its own validated parameter set, in SI units (seconds, volts for the dimensionless ML models
whose threshold is 1.0, millivolts for the biophysical models Izhikevich and Hodgkin-Huxley —
each class says which). It holds no state: state lives in a dict of arrays made by
:meth:`NeuronModel.init_state`, so one model can drive any number of populations.

Engine interface (stable)
-------------------------
For a model object ``model``, a population of ``n`` neurons, ``batch`` independent copies and a
time step ``dt`` (seconds):

``model.kernel_step``
    The Numba ``@njit`` per-step function of :mod:`spikecore.kernels.neurons`
    (``lif_step``, ``cuba_lif_step``, ``adaptive_lif_step``, ``izhikevich_step``,
    ``srm0_step``, ``hh_step``). It is called, from Python or from other ``@njit`` code, as::

        model.kernel_step(*states, current, *params, spikes_out)

    and advances every state array in place by one step of ``dt``, writing the spikes of
    that step into ``spikes_out`` (``bool`` or ``uint8``, shape ``(batch, n)``).
``model.kernel_run``
    The matching time-looping kernel (``lif_run`` ...), called as
    ``model.kernel_run(*states, current_T, *run_inputs, *params, spikes_T, v_trace)``;
    ``run_inputs`` is empty except for :class:`~spikecore.neurons.CurrentLIF`, where it is
    ``(syn_input,)``. :meth:`NeuronModel.run` does this for you.
``model.state_names``
    Ordered tuple of the names of the state arrays, in the order ``kernel_step`` takes them
    (e.g. ``("v", "refrac")`` for LIF, ``("v", "i_syn", "refrac")`` for CurrentLIF).
``model.init_state(batch, n, **initial_values)``
    Returns ``{name: array}`` in that order; ``tuple(state[k] for k in model.state_names)``
    (or :meth:`NeuronModel.state_arrays`) gives the ``states`` tuple. Floating state has
    ``model.dtype`` (float32 by default, float64 when constructed with ``dtype=np.float64``);
    refractory counters are int32. Every array has shape ``(batch, n)`` except CurrentLIF's
    ``i_syn``, which is ``(n_syn, batch, n)``. State arrays are C-contiguous.
``model.step_params(dt)``
    Tuple of the kernel's parameters for that ``dt``, in the kernel's order: float64 Python
    floats, ints, bools, and for CurrentLIF two float64 arrays of length ``n_syn`` (float32
    scalars and arrays for ``CurrentLIF(arithmetic=np.float32)``). Compute it once per
    simulation, not per step.
``model.voltage_name``
    Name of the membrane-potential state (``"v"``; ``"u"`` for SRM0), for monitors.
``model.synaptic_target``
    Where synaptic input goes. ``None`` for every model except CurrentLIF: the synaptic input
    of a step is the ``current`` argument of ``kernel_step`` (summed into a ``(batch, n)``
    array, in the model's current units, held for that step). For CurrentLIF it is ``"i_syn"``:
    a spike arriving on channel ``k`` with weight ``w`` is added directly to the state,
    ``state["i_syn"][k, b, j] += w``, between steps (after the step in which the presynaptic
    neuron fired, before the next step — Brian2's default schedule with zero delay), and
    ``current`` carries only an external injected current (zeros if none).
    ``model.n_channels`` is the number of channels (1 for every model but a two-channel
    CurrentLIF, where channel 0 has ``tau_syn[0]`` — conventionally excitatory — and channel
    1 ``tau_syn[1]``).

Semantics common to all kernels (see :mod:`spikecore.kernels.neurons`): strict threshold
``v > v_th``; after a spike the neuron cannot spike again for ``n_ref`` steps
(``n_ref = floor((t_ref + 1e-3 dt) / dt)``, Brian2's rounding), with ``v`` clamped while
refractory and synaptic currents still decaying. ``step`` and ``run`` (and the network
engine) run the kernels with subnormal numbers flushed to zero in the calling thread
(:mod:`spikecore.kernels.fpmode`): a state that would fall below the smallest normal number of
its dtype becomes 0, which keeps silent float32 neurons from slowing a run down many times.

Python use
----------
>>> import numpy as np
>>> from spikecore.neurons import LIF
>>> lif = LIF(tau_mem=20e-3, v_th=1.0, t_ref=2e-3)
>>> out = lif.run(np.full((1000, 1, 3), 1.5, np.float32), dt=1e-4)
>>> out.spikes.shape                    # (T, batch, n) bool
(1000, 1, 3)
"""
from typing import NamedTuple, Optional

import numpy as np

from spikecore import _validate
from spikecore.kernels import fpmode


class RunResult(NamedTuple):
    """Output of :meth:`NeuronModel.run`.

    Attributes
    ----------
    spikes : bool ndarray (T, batch, n)
        Spike raster, time first.
    v : ndarray (T, batch, n) or None
        Membrane potential after every step (after reset), when ``record_v`` was set.
    state : dict
        The final state (the same arrays as the ``state`` passed in, updated in place).
    """

    spikes: np.ndarray
    v: Optional[np.ndarray]
    state: dict


def check_dtype(dtype):
    """Return ``numpy.dtype(dtype)`` if it is float32 or float64, else raise a clear error."""
    if dtype is None:  # numpy reads None as float64; a model's dtype is stated explicitly
        _validate.fail("dtype", dtype, "numpy.float32 or numpy.float64", TypeError)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        _validate.fail("dtype", dtype, "numpy.float32 or numpy.float64", TypeError)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        _validate.fail("dtype", dtype, "numpy.float32 or numpy.float64", TypeError)
    return dt


def refractory_steps(t_ref, dt):
    r"""Number of refractory steps :math:`n_\mathrm{ref} = \lfloor (t_\mathrm{ref} + 10^{-3} dt)/dt \rfloor`.

    The small offset makes ``t_ref = 5e-3, dt = 1e-4`` give exactly 50 despite rounding;
    it is Brian2's ``timestep`` rule (Stimberg, Brette & Goodman 2019).
    """
    return int((t_ref + 1e-3 * dt) / dt)


class NeuronModel:
    """Base class of the neuron models: state creation, argument checks, ``step`` and ``run``.

    Subclasses set ``state_names``, ``kernel_step``, ``kernel_run`` (as ``staticmethod``)
    and implement :meth:`step_params` and :meth:`_initial_values`. See the module docstring
    for the interface the network engine uses.
    """

    state_names = ()
    voltage_name = "v"
    synaptic_target = None
    n_channels = 1
    kernel_step = None
    kernel_run = None

    def __init__(self, dtype=np.float32):
        self.dtype = check_dtype(dtype)

    # -- state ------------------------------------------------------------------------------
    def state_shape(self, name, batch, n):
        """Shape of state array ``name`` for ``batch`` copies of ``n`` neurons."""
        return (batch, n)

    def state_dtype(self, name):
        """dtype of state array ``name`` (int32 for refractory counters, else ``self.dtype``)."""
        return np.dtype(np.int32) if name == "refrac" else self.dtype

    def _initial_values(self):
        """Default initial value of every state variable (dict name -> float)."""
        raise NotImplementedError

    def init_state(self, batch, n, /, **initial):
        """Make a fresh state: ``{name: array}`` in the order of ``state_names``.

        Parameters
        ----------
        batch, n : int
            Number of independent copies and of neurons.
        **initial : scalar or array-like
            Initial value of a state variable by name (e.g. ``v=-0.055``), broadcast to its
            shape; variables not given take the model's resting values.
        """
        batch = _validate.integer("batch", batch, low=1)
        n = _validate.integer("n", n, low=1)
        defaults = self._initial_values()
        for key in initial:
            if key not in self.state_names:
                _validate.fail(key, initial[key], "a state variable of %s: one of %s"
                               % (type(self).__name__, ", ".join(self.state_names)), TypeError)
        state = {}
        for name in self.state_names:
            shape = self.state_shape(name, batch, n)
            dtype = self.state_dtype(name)
            value = initial.get(name, defaults[name])
            arr = _validate.array(name, value, finite=True)
            if np.dtype(dtype).kind == "i":  # refractory counters, Loihi's integer states: no silent truncation
                _validate.whole(name, arr)
            try:
                state[name] = np.ascontiguousarray(np.broadcast_to(arr, shape), dtype=dtype).copy()
            except ValueError:
                _validate.fail(name, "<array of shape %s>" % (arr.shape,),
                               "a value broadcastable to %s" % (shape,))
        return state

    def check_population(self, n, where=""):
        """Raise if the model cannot drive ``n`` neurons (e.g. per-neuron parameters of another
        length); ``where`` is appended to the message (the network names the population)."""

    def state_arrays(self, state):
        """Check ``state`` (a dict from :meth:`init_state`) and return its arrays in kernel order."""
        if not isinstance(state, dict):
            _validate.fail("state", state, "a dict of arrays from init_state()", TypeError)
        missing = [k for k in self.state_names if k not in state]
        if missing:
            _validate.fail("state", sorted(state), "keys %s" % (self.state_names,))
        first = state[self.state_names[0]]
        if not isinstance(first, np.ndarray) or first.ndim != 2:
            _validate.fail("state[%r]" % self.state_names[0], first, "an array of shape (batch, n)",
                           TypeError)
        batch, n = first.shape
        arrays = []
        for name in self.state_names:
            arr = state[name]
            shape = self.state_shape(name, batch, n)
            dtype = self.state_dtype(name)
            if not isinstance(arr, np.ndarray) or arr.shape != shape or arr.dtype != dtype \
                    or not arr.flags.c_contiguous or not arr.flags.writeable:
                _validate.fail("state[%r]" % name,
                               "<%s %s>" % (getattr(arr, "dtype", type(arr).__name__),
                                            getattr(arr, "shape", "")),
                               "a writeable C-contiguous %s array of shape %s" % (dtype, shape),
                               TypeError)
            arrays.append(arr)
        return tuple(arrays)

    # -- kernel parameters --------------------------------------------------------------------
    def step_params(self, dt):
        """Tuple of the kernel's scalar parameters for time step ``dt`` (seconds)."""
        raise NotImplementedError

    # -- simulation -----------------------------------------------------------------------------
    def _check_current(self, current, shape, name="current"):
        arr = _validate.array(name, current, shape=shape, finite=True, kinds="iuf")
        return np.ascontiguousarray(arr, dtype=self.dtype)

    def step(self, state, current, dt):
        """Advance ``state`` in place by one step of ``dt`` seconds; return the spikes.

        Parameters
        ----------
        state : dict
            From :meth:`init_state`; updated in place.
        current : array-like (batch, n)
            Input of this step (units in the model's docstring); finite.
        dt : float
            Time step (s).

        Returns
        -------
        bool ndarray (batch, n)
            Which neurons spiked.
        """
        params = self.step_params(dt)
        arrays = self.state_arrays(state)
        batch, n = arrays[0].shape
        self.check_population(n)
        cur = self._check_current(current, (batch, n))
        spikes = np.zeros((batch, n), dtype=bool)
        with fpmode.subnormals_flushed():  # this thread, for the kernel only
            self.kernel_step(*arrays, cur, *params, spikes)
        return spikes

    def run(self, current, dt, state=None, record_v=False):
        """Simulate ``T`` steps of a ``(T, batch, n)`` input in one compiled loop.

        Parameters
        ----------
        current : array-like (T, batch, n)
            Input at every step; finite.
        dt : float
            Time step (s).
        state : dict, optional
            Initial state (updated in place); a fresh :meth:`init_state` if omitted.
        record_v : bool
            Also return the membrane potential after every step.

        Returns
        -------
        RunResult
            ``(spikes, v, state)``.
        """
        return self._run(current, dt, state, record_v, ())

    def _run(self, current, dt, state, record_v, extra_inputs):
        params = self.step_params(dt)
        record_v = _validate.flag("record_v", record_v)
        cur = self._check_current(current, (None, None, None))
        T, batch, n = cur.shape
        if batch < 1 or n < 1:
            _validate.fail("current", "<array of shape %s>" % (cur.shape,),
                           "a (T, batch, n) input with batch >= 1 and n >= 1")
        self.check_population(n)
        if state is None:
            state = self.init_state(batch, n)
        arrays = self.state_arrays(state)
        _validate.array("current", cur, shape=(None,) + arrays[0].shape)  # match the state
        spikes = np.zeros((T, batch, n), dtype=bool)
        trace = np.zeros((T if record_v else 0, batch, n), dtype=self.dtype)
        with fpmode.subnormals_flushed():  # this thread, for the kernel only
            self.kernel_run(*arrays, cur, *extra_inputs, *params, spikes, trace)
        return RunResult(spikes, trace if record_v else None, state)

    def __repr__(self):
        fields = ", ".join("%s=%r" % (k, v) for k, v in self._describe().items())
        return "%s(%s)" % (type(self).__name__, fields)

    def _describe(self):
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}
