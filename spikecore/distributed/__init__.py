"""Scale-out helpers on Dask (``dask.distributed``), an optional dependency (extra ``dask``).

Every function takes ``client=``: ``None`` runs on this machine; a
``dask.distributed.Client`` (a ``LocalCluster`` or a scheduler address) spreads the work
over its workers. The result is the same either way, bit for bit: work is split into
independent pieces (files, chunks of samples) whose randomness is keyed by the piece's
content index, never by the worker or the order of completion.

Dask is imported lazily inside the functions; ``import spikecore`` never imports it.

``encode_array``    encode a large ``(n_samples, ...)`` array into spikes by chunks of samples

Dataset conversion on a cluster is :func:`spikecore.datasets.convert_folder` with ``client=``.
"""
from .encode import ENCODERS, encode_array

__all__ = ["ENCODERS", "encode_array"]
