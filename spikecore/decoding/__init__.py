"""Decoders: spike trains -> values.

=====================================================  =========================================
``spike_count``, ``firing_rate``                       rate read-outs
``first_spike_time``                                   time to first spike (value for "never")
``max_membrane``, ``mean_membrane``, ``final_membrane``  membrane read-outs of output neurons
``latency_decode``                                     inverse of ``encoding.latency``
``rank_order_decode``                                  firing order / rank weights (Thorpe & Gautrais, 1998)
``population_decode``                                  Gaussian-field populations (Bohte et al., 2002)
``delta_decode``, ``bsa_decode``                       inverses of the time-series codes
``tsc_decode``, ``phase_decode``                       inverses of TSC and phase coding
``burst_decode``                                       inverse of burst coding (Park et al., 2019)
=====================================================  =========================================
"""
from .burst import burst_decode
from .counts import firing_rate, spike_count
from .latency import latency_decode
from .membrane import final_membrane, max_membrane, mean_membrane
from .population import population_decode
from .rank_order import rank_order_decode
from .timeseries import bsa_decode, delta_decode
from .timing import first_spike_time
from .tsc import phase_decode, tsc_decode

__all__ = [
    "bsa_decode", "burst_decode", "delta_decode", "final_membrane", "firing_rate", "first_spike_time", "latency_decode",
    "max_membrane", "mean_membrane", "phase_decode", "population_decode", "rank_order_decode",
    "spike_count", "tsc_decode",
]
