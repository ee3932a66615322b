"""The Neural Engineering Framework (Eliasmith & Anderson 2003) with PES learning (MacNeil & Eliasmith 2011).

=========================  ==================================================================
``Network``                a model: ``ensemble``, ``input``, ``node``, ``connect``, ``probe``
``Ensemble``               n neurons representing a d-vector: encoders, gains, biases, tuning
``LstsqL2``                L2-regularised least-squares decoders (noise-scaled, as Nengo)
``PES``                    online error-driven learning of decoders or weights
``Simulator``              spiking or rate simulation in one compiled (Numba) loop
``Input``, ``Node``        time-varying inputs; pass-through nodes (e.g. to form an error)
``Uniform``, ``UniformHypersphere``, ``ScatteredHypersphere``   parameter distributions
=========================  ==================================================================

The computations match Nengo's reference simulator (Bekolay et al. 2014): the same encoders,
rates and intercepts give the same gains, biases, tuning curves and decoders, and PES makes the
same changes; the tests check this against Nengo itself when it is installed.
"""
from spikecore.nef.connections import Connection
from spikecore.nef.dists import ScatteredHypersphere, Uniform, UniformHypersphere
from spikecore.nef.ensembles import (
    Ensemble,
    Neurons,
    gain_bias,
    lif_rate,
    max_rates_intercepts,
    rates_from_current,
)
from spikecore.nef.network import Input, Network, Node, Probe
from spikecore.nef.pes import PES, local_error, pes_delta
from spikecore.nef.simulator import Simulator
from spikecore.nef.solvers import LstsqL2, solve_l2

__all__ = [
    "Network", "Ensemble", "Neurons", "Connection", "Input", "Node", "Probe", "Simulator",
    "LstsqL2", "solve_l2", "PES", "pes_delta", "local_error", "gain_bias", "max_rates_intercepts",
    "lif_rate", "rates_from_current", "Uniform", "UniformHypersphere", "ScatteredHypersphere",
]
