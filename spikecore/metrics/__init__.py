"""Spike-train metrics: van Rossum (2001) and Victor-Purpura (1996) distances, the Schreiber
et al. (2003) correlation, and the spike-time error of Bohte et al. (2002)."""
from spikecore.metrics.distances import (  # noqa: F401
    pairwise, schreiber_correlation, spike_time_error, van_rossum_distance,
    victor_purpura_distance,
)
