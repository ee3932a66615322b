"""Scale-out helpers on Dask (``dask.distributed``), an optional dependency (extra ``dask``).

Every function takes ``client=``: ``None`` runs on this machine; a
``dask.distributed.Client`` (a ``LocalCluster`` or a scheduler address) spreads the work
over its workers. The result is the same either way, bit for bit: work is split into
independent pieces (files, chunks of samples, sweep cells) whose randomness is keyed by the
piece's content index, never by the worker or the order of completion; integer results are
summed, which no order changes.

Dask is imported lazily inside the functions; ``import spikecore`` never imports it.

``encode_array``       encode a large ``(n_samples, ...)`` array into spikes by chunks of samples
``encode_to_dataset``  the same, written chunk by chunk into an HDF5 spike dataset
``evaluate``           accuracy, spike counts and synaptic operations of a trained estimator or a
                       converted network over an array or an HDF5 spike dataset, by chunks
``conversion_sweep``   ANN -> SNN conversion accuracy and operations over a grid of methods and T
``cli_client``         the context manager behind the CLI's ``--workers N`` / ``--scheduler ADDRESS``
``local_cluster``      the LocalCluster ``--workers N`` starts (one thread per worker, worker malloc settings)

Dataset conversion on a cluster is :func:`spikecore.datasets.convert_folder` with ``client=``: the
workers write part files beside the destination, the client assembles them (:mod:`.parts`).
Hyper-parameter sweeps of the estimators need no helper: scikit-learn's ``GridSearchCV`` inside
``joblib.parallel_backend("dask")`` distributes them (see :mod:`spikecore.distributed.sweep`).
While work runs, ``progress=True`` shows a tqdm bar and prints the Dask dashboard link once; a
worker's exception comes back naming the file, sample range or sweep cell that caused it.
"""
from .cli_client import cli_client, local_cluster
from .encode import ENCODERS, encode_array, encode_to_dataset
from .evaluate import EvaluationError, evaluate, spike_count_features
from .sweep import SweepError, conversion_sweep

__all__ = ["ENCODERS", "encode_array", "encode_to_dataset", "evaluate", "EvaluationError", "spike_count_features",
           "conversion_sweep", "SweepError", "cli_client", "local_cluster"]
