"""Encoders: values -> spike trains.

Every encoder is a small plain function (Tonic's functional style) returning a uint8 0/1
raster with time first, ``(T, *x.shape)`` (population coding adds a trailing field axis;
delta modulation returns ON and OFF rasters). Intensity codes take a declared range
``[x_min, x_max]`` and raise on values outside it, NaN or inf. Random codes take
``random_state`` (None, seed or ``numpy.random.Generator``): the same seed gives the same spikes.

============================  ==============================================================
``poisson``                   Bernoulli/Poisson rate coding (Philox4x32-10 counter-based RNG)
``regular``                   deterministic evenly spaced spikes
``latency``                   time to first spike, linear or logarithmic (RC)
``rank_order``                rank-order coding (Thorpe & Gautrais, 1998)
``population``                Gaussian receptive fields (Bohte et al., 2002), exact times too
``field_responses``           the fields' responses as intensities (population rate coding)
``delta``                     delta modulation / temporal contrast, ON and OFF channels
``bsa``, ``bsa_filter``       Ben's Spiker Algorithm (Schrauwen & Van Campenhout, 2003)
``lif``, ``integrate_fire``   neuron-model encoders (Kim et al., 2019)
``tsc``                       temporal switch coding (Han & Roy, 2020)
``phase``                     phase coding with weighted spikes (Kim et al., 2018)
``burst``                     burst coding (Park et al., 2019)
============================  ==============================================================
"""
from ._common import SPIKE_DTYPE
from .bsa import bsa, bsa_filter
from .burst import burst
from .delta import delta
from .latency import latency
from .neuron_model import integrate_fire, lif
from .phase import phase
from .population import field_responses, gaussian_fields, population
from .rank_order import rank_order
from .rate import poisson, regular
from .tsc import tsc

__all__ = [
    "SPIKE_DTYPE", "bsa", "bsa_filter", "burst", "delta", "field_responses", "gaussian_fields", "integrate_fire",
    "latency", "lif", "phase", "poisson", "population", "rank_order", "regular", "tsc",
]
