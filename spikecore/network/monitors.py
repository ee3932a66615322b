"""What a network run recorded: spike lists, voltages and population rates.

Recording is requested on the network before running (:meth:`Network.record_spikes`,
:meth:`Network.record_voltage`); spike counts per step and population (hence population rates)
are always recorded. Spikes are stored as compact lists — one entry per spike, not a dense
``(T, batch, n)`` raster — and turned into a raster only on request.
"""
from typing import NamedTuple

import numpy as np

from .. import _validate as V


class SpikeList(NamedTuple):
    """Spikes of one population as parallel arrays, sorted by step, then batch element, then neuron.

    Attributes
    ----------
    step : int64 array
        Time step of each spike, counted from the start of the run.
    batch : int64 array
        Batch element.
    neuron : int64 array
        Neuron index within the population.
    dt : float
        Time step (s); ``step * dt`` are the spike times.
    """

    step: np.ndarray
    batch: np.ndarray
    neuron: np.ndarray
    dt: float

    @property
    def times(self):
        """Spike times in seconds from the start of the run."""
        return self.step * self.dt

    def __len__(self):
        return int(self.step.size)


class RunResult:
    """The output of :meth:`spikecore.network.Network.run`.

    Attributes
    ----------
    n_steps : int
        Number of steps run.
    batch : int
        Batch size.
    dt : float
        Time step (s).
    counts : int32 array (n_steps, n_populations, batch)
        Number of spikes per step, population and batch element.
    wall_s : float
        Wall-clock time of the compiled loop (s).
    """

    def __init__(self, populations, n_steps, batch, dt, counts, spike_lists, voltages, wall_s):
        self._pops = {p.name: p for p in populations}
        self.n_steps = n_steps
        self.batch = batch
        self.dt = dt
        self.counts = counts
        self._spikes = spike_lists
        self._voltages = voltages
        self.wall_s = wall_s

    def _pop(self, pop):
        name = pop if isinstance(pop, str) else getattr(pop, "name", None)
        if not isinstance(name, str) or name not in self._pops:
            V.fail("population", pop, "one of the network's populations: %s" % ", ".join(self._pops),
                   V.NotFoundError)
        if not isinstance(pop, str) and pop is not self._pops[name]:
            # a population of another network that happens to share a name
            V.fail("population", pop, "a population of the network that made this result (or its "
                   "name: %s)" % ", ".join(self._pops), TypeError)
        return self._pops[name]

    def spikes(self, pop):
        """The recorded spikes of ``pop`` as a :class:`SpikeList` (needs ``record_spikes``)."""
        p = self._pop(pop)
        if p.name not in self._spikes:
            V.fail("population", p.name, "a population recorded with net.record_spikes(...)",
                   V.NotFoundError)
        return self._spikes[p.name]

    def raster(self, pop):
        """Dense spike raster ``(n_steps, batch, n)`` bool of ``pop``, built from its spike list."""
        p = self._pop(pop)
        s = self.spikes(p)
        out = np.zeros((self.n_steps, self.batch, p.n), dtype=bool)
        out[s.step, s.batch, s.neuron] = True
        return out

    def voltage(self, pop):
        """Recorded membrane potentials ``(n_steps, batch, k)`` and the neuron indices ``(k,)``.

        The value at step ``t`` is the potential after that step's update (after reset).
        """
        p = self._pop(pop)
        if p.name not in self._voltages:
            V.fail("population", p.name, "a population recorded with net.record_voltage(...)",
                   V.NotFoundError)
        return self._voltages[p.name]

    def spike_count(self, pop):
        """Number of spikes per step and batch element, ``(n_steps, batch)``."""
        return self.counts[:, self._pop(pop).index, :]

    def rate(self, pop):
        """Population rate :math:`r(t) = N_\\mathrm{spikes}(t) / (n\\, dt)` in Hz, ``(n_steps, batch)``."""
        p = self._pop(pop)
        return self.counts[:, p.index, :] / (p.n * self.dt)

    def mean_rate(self, pop):
        """Mean firing rate per neuron over the run (Hz), one value per batch element."""
        p = self._pop(pop)
        return self.counts[:, p.index, :].sum(axis=0) / (p.n * self.n_steps * self.dt)

    def __repr__(self):
        total = self.counts.sum(axis=(0, 2))
        parts = ", ".join("%s: %d spikes" % (name, total[p.index]) for name, p in self._pops.items())
        return "RunResult(%d steps x batch %d; %s)" % (self.n_steps, self.batch, parts)
