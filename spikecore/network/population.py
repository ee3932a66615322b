"""Populations: a group of neurons of one model (or a spike source) inside a :class:`Network`."""
import numpy as np

from .. import _validate as V


class Population:
    """``n`` neurons of one neuron model, or a spike source when ``model`` is None.

    Made by :meth:`spikecore.network.Network.add` (neurons) or
    :meth:`~spikecore.network.Network.add_source` (input spikes given to ``run``); do not
    construct it directly.

    Attributes
    ----------
    name : str
        Unique name in the network (used in error messages and results).
    model : spikecore.neurons.NeuronModel or None
        The neuron model (None for a spike source).
    n : int
        Number of neurons.
    shape : tuple or None
        Optional layout, e.g. ``(C, H, W)`` for convolution and pooling (C-order numbering).
    initial : dict
        Initial values of state variables (``{"v": array (n,) or (batch, n) or scalar}``),
        applied whenever the network's state is (re)created.
    index : int
        Position in the network.
    """

    def __init__(self, index, name, model, n, shape, initial):
        self.index = index
        self.name = name
        self.model = model
        self.n = n
        self.shape = shape
        self.initial = initial

    @property
    def is_source(self):
        """True for a spike source (no neuron model)."""
        return self.model is None

    @property
    def n_channels(self):
        """Number of synaptic input channels of the model (0 for a source)."""
        return 0 if self.model is None else int(getattr(self.model, "n_channels", 1))

    def channel(self, target):
        """Index of input channel ``target`` (int, or ``"exc"``/``"inh"`` for two channels)."""
        if self.model is None:
            V.fail("post", self.name, "a neuron population (spike sources receive no synapses)",
                   TypeError)
        names = {"exc": 0, "inh": 1} if self.n_channels == 2 else {}
        if isinstance(target, str):
            if target not in names:
                V.fail("target", target, "a channel index in [0, %d)%s of population %r"
                       % (self.n_channels, " or 'exc'/'inh'" if names else "", self.name))
            return names[target]
        return V.integer("target", target, low=0, high=self.n_channels - 1)

    def __getitem__(self, index):
        """A contiguous slice ``pop[start:stop]`` to connect from or to (like Brian2's ``P[:3200]``)."""
        if not isinstance(index, slice) or index.step not in (None, 1):
            V.fail("index", index, "a contiguous slice such as pop[0:100] (population %r)"
                   % self.name, TypeError)
        try:
            start, stop, _ = index.indices(self.n)
        except TypeError:
            V.fail("index", index, "a slice with integer bounds such as pop[0:100] (population %r)"
                   % self.name, TypeError)
        if stop <= start:
            V.fail("index", index, "a non-empty slice of population %r (n = %d)" % (self.name, self.n))
        return PopulationView(self, start, stop)

    def __repr__(self):
        what = "source" if self.model is None else type(self.model).__name__
        return "Population(%r, %s, n=%d)" % (self.name, what, self.n)


class PopulationView:
    """Neurons ``start .. stop-1`` of a population, for :meth:`Network.connect`.

    A connection from or to a view is stored on the whole population (indices shifted by
    ``start``), so it costs nothing at run time. Sparse and dense rules accept views;
    convolution and pooling need whole populations.

    Attributes
    ----------
    population : Population
        The population sliced.
    start, stop : int
        The slice.
    n : int
        ``stop - start``.
    """

    def __init__(self, population, start, stop):
        self.population = population
        self.start = start
        self.stop = stop
        self.n = stop - start
        self.name = "%s[%d:%d]" % (population.name, start, stop)
        self.shape = None
        self.is_source = population.is_source

    def __repr__(self):
        return "PopulationView(%r)" % self.name


#: Largest population: neuron indices are stored as int32 by the propagation kernels.
MAX_SIZE = 2**31 - 1


def check_size(n, shape):
    """Resolve ``n`` and ``shape`` of a new population (either, or both if consistent)."""
    if shape is not None:
        if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
            V.fail("shape", shape, "a tuple of positive ints", TypeError)
        try:
            shape = tuple(V.integer("shape", s, low=1) for s in shape)
        except TypeError:
            V.fail("shape", shape, "a tuple of positive ints", TypeError)
        size = int(np.prod(shape, dtype=object)) if shape else 1
        if size > MAX_SIZE:
            V.fail("shape", shape, "at most %d neurons in all (int32 neuron indices)" % MAX_SIZE)
        if n is not None and V.integer("n", n, low=1) != size:
            V.fail("n", n, "the product of shape %s = %d" % (shape, size))
        return size, shape
    if n is None:
        V.fail("n", n, "the number of neurons (or a shape)", TypeError)
    return V.integer("n", n, low=1, high=MAX_SIZE), None
