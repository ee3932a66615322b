"""Neuron models: validated parameters in SI units, batched ``(batch, n)`` state, compiled kernels.

Every model has ``init_state(batch, n)``, ``step(state, current, dt)`` and
``run(current, dt, state=None, record_v=False)``; the interface the network engine uses
(``kernel_step``, ``state_names``, ``step_params(dt)``, ``synaptic_target``) is described in
:mod:`spikecore.neurons.base`.

=====================  ==============================================================
``IF``                 perfect integrate-and-fire (Lapicque 1907)
``LIF``                leaky integrate-and-fire, exact or Euler, hard or soft reset
``CurrentLIF``         LIF with exponential synaptic currents, the CUBA neuron
``AdaptiveLIF``        LIF with adaptive threshold (Diehl & Cook 2015)
``Izhikevich``         Izhikevich (2003), presets RS IB CH FS LTS TC RZ
``SRM0``               spike response model, kernel form (Gerstner 1995)
``HodgkinHuxley``      Hodgkin & Huxley (1952), RK4 or exponential Euler
``LoihiCUBA``          Loihi's CUBA neuron in fixed point, bit-exact with Lava (Davies et al. 2018)
``LoihiCUBAInput``     the same, driven through its bias (a netx input layer)
=====================  ==============================================================
"""
from spikecore.neurons.adaptive import AdaptiveLIF
from spikecore.neurons.base import NeuronModel, RunResult
from spikecore.neurons.cuba import CurrentLIF
from spikecore.neurons.hodgkin_huxley import HodgkinHuxley
from spikecore.neurons.izhikevich import PRESETS as IZHIKEVICH_PRESETS
from spikecore.neurons.izhikevich import Izhikevich
from spikecore.neurons.lif import IF, LIF
from spikecore.neurons.loihi import LoihiCUBA, LoihiCUBAInput
from spikecore.neurons.srm import SRM0

__all__ = [
    "NeuronModel", "RunResult", "IF", "LIF", "CurrentLIF", "AdaptiveLIF", "Izhikevich",
    "IZHIKEVICH_PRESETS", "SRM0", "HodgkinHuxley", "LoihiCUBA", "LoihiCUBAInput",
]
