"""The network engine: populations, connections, monitors and the simulator.

=====================  ==============================================================
``Network``            populations + connections; ``add``, ``add_source``, ``connect``,
                       ``record_spikes``, ``record_voltage``, ``run`` (clock or event mode)
``Conv2D``, ``Pool2D`` convolution and pooling connectivity for ``Network.connect``
``Connection``         the synapses of one connection (CSR, dense, conv, pool)
``RunResult``          spike lists, rasters, voltages and population rates of a run
=====================  ==============================================================

The per-step work runs in compiled loops (:mod:`spikecore.kernels.network`,
:mod:`spikecore.kernels.propagation`, :mod:`spikecore.kernels.event_driven`); their plain-NumPy
twins are in :mod:`spikecore.reference`.
"""
from .connections import Connection, Conv2D, Pool2D
from .monitors import RunResult, SpikeList
from .network import Network
from .population import Population

__all__ = ["Network", "Population", "Connection", "Conv2D", "Pool2D", "RunResult", "SpikeList"]
