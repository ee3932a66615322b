"""Score a trained or converted spiking network over a large test set, by chunks of samples,
on this machine or on a Dask cluster, with the same result either way."""
import copy
import inspect
import os

import numpy as np

from spikecore import _validate as v
from spikecore.datasets import spike_count_features


class EvaluationError(RuntimeError):
    """Scoring a chunk of samples failed; the message names the sample range and the cause."""


# ---------------------------------------------------------------------------- data sources
def _spike_dataset(data):
    """``data`` as a :class:`~spikecore.datasets.SpikeDataset` if it is one (or a path to one)."""
    from spikecore.datasets import SpikeDataset
    if isinstance(data, SpikeDataset):
        ds = data
    elif isinstance(data, (str, os.PathLike)):
        ds = SpikeDataset(data)
    else:
        return None
    if ds.n_units is None:
        v.fail("data", ds.path, "a spike dataset whose n_units is known: open it as SpikeDataset(path, "
                                "n_units=...) (the published SHD/SSC files: 700)")
    return ds


def _array_source(data):
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        v.fail("data", type(data).__name__, "a pair (X, y) of arrays, a SpikeDataset or the path of one")
    X, y = data
    if not (hasattr(X, "shape") and hasattr(X, "__getitem__")):
        X = v.array("X", X)
    if not (hasattr(y, "shape") and hasattr(y, "__getitem__")):
        y = v.array("y", y)
    if len(X.shape) < 2:
        v.fail("X", "<array of shape %s>" % (X.shape,), "an array (n_samples, n_features, ...)")
    if len(y.shape) != 1 or y.shape[0] != X.shape[0]:
        v.fail("y", "<array of shape %s>" % (y.shape,), "one label per sample of X (%d)" % X.shape[0])
    if getattr(y, "dtype", None) is not None and np.dtype(y.dtype).kind not in "iu":
        v.fail("y", "<array of dtype %s>" % y.dtype, "integer class labels", TypeError)
    return X, y


# ---------------------------------------------------------------------------- one chunk
def _spiking_model_counts(stats):
    """Integer totals of a :class:`~spikecore.conversion.SpikingModel` run (its ``last_stats``;
    every count there is an integer stored as float64, exact below 2**53)."""
    as_int = lambda a: int(np.rint(np.sum(a)))  # noqa: E731
    return {
        "input_spikes": as_int(stats["in_spikes"][0]),
        "hidden_spikes": [as_int(o) for o in stats["out_spikes"]],
        "synaptic_adds": as_int(stats["synaptic_adds"]),
        "macs": as_int(stats["macs"]),
        "neuron_updates": as_int(stats["neuron_updates"]),
    }


_REPORT_SUFFIXES = ("spikes", "operations", "presentations")


def _report_counts(report):
    """The integer counters of an activity report (``predict_with_report``)."""
    return {k: int(val) for k, val in report.items()
            if k.endswith(_REPORT_SUFFIXES) and isinstance(val, (int, np.integer)) and not isinstance(val, bool)}


def model_kind(model):
    """How :func:`evaluate` reads counts from ``model``: ``"spiking_model"``, ``"report"``,
    ``"output_spike_counts"`` or ``"none"`` (accuracy only)."""
    from spikecore.conversion import SpikingModel
    from spikecore.learning import DiehlCookClassifier
    if isinstance(model, SpikingModel):
        return "spiking_model"
    if isinstance(model, DiehlCookClassifier):  # predict_with_report gives the run's report
        return "report"
    if hasattr(model, "output_spike_counts"):
        return "output_spike_counts"
    return "none"


def _run_converted(m, X, timesteps, batch_size, rng, on_worker):
    """``m.predict(X, timesteps)``; on a Dask worker with the model's own sample threads
    pinned to one (``n_threads=1`` where ``SpikingModel.run`` has it), so that the worker
    processes, one thread each, are the only parallel layer (it changes no result)."""
    if on_worker and "n_threads" in inspect.signature(m.run).parameters:
        return m.run(X, timesteps, batch_size=batch_size, random_state=rng, n_threads=1).argmax(1)
    return m.predict(X, timesteps, batch_size=batch_size, random_state=rng)


def _score_chunk(model, source, start, stop, timesteps, seed, batch_size, on_worker=False):
    """Score samples ``start .. stop - 1``: ``(n_correct, counts)``; runs here or on a worker.

    ``source`` is either ``(X_chunk, y_chunk)`` (the rows already sliced) or a SpikeDataset
    (read here). ``model`` is shallow-copied, so the attribute ``run`` writes
    (``last_stats``) never races between tasks sharing a worker's copy.
    """
    try:
        if isinstance(source, tuple):
            X, y = source
            X, y = np.asarray(X), np.asarray(y)
        else:
            X, y = spike_count_features(source, start, stop)
        m = copy.copy(model)
        kind = model_kind(m)
        if kind == "spiking_model":
            rng = None if seed is None else np.random.default_rng([seed, start])
            pred = _run_converted(m, X, timesteps, batch_size, rng, on_worker)
            counts = _spiking_model_counts(m.last_stats)
        elif kind == "report":
            pred, report = m.predict_with_report(X)
            counts = _report_counts(report)
        else:
            pred = m.predict(X)
            if kind == "output_spike_counts":
                counts = {"output_spikes": int(np.asarray(m.output_spike_counts(X), np.int64).sum())}
            else:
                counts = None
        pred = np.asarray(pred)
        if pred.shape != y.shape:
            v.fail("model", type(model).__name__, "predict returning one label per sample (got shape %s for %d "
                                                   "samples)" % (pred.shape, len(y)))
        return int(np.count_nonzero(pred == y)), counts
    except EvaluationError:
        raise
    except Exception as exc:
        raise EvaluationError("samples %d..%d (of %s): %s: %s" % (start, stop - 1, type(model).__name__,
                                                                  type(exc).__name__, exc)) from exc


def _add(total, counts):
    if total is None:
        return copy.deepcopy(counts)
    for k, val in counts.items():
        total[k] = [a + b for a, b in zip(total[k], val)] if isinstance(val, list) else total[k] + val
    return total


_NOTES = {
    "spiking_model": "SpikingModel.last_stats of every chunk summed: input_spikes (0 for analog input, which is "
                     "a current, not spikes), hidden_spikes per hidden layer, synaptic_adds (each spike times "
                     "its fan-out; TSC: 2 per active synapse), macs (analog first layer), neuron_updates",
    "report": "the counters of the estimator's prediction report (predict_with_report), summed over chunks",
    "output_spike_counts": "output_spikes: the output layer's spike counts (output_spike_counts); the model "
                           "exposes no hidden-layer counts or synaptic operations for prediction",
}


# ---------------------------------------------------------------------------- public
def evaluate(model, data, *, client=None, batch_size=1024, timesteps=None, random_state=None, progress=False):
    r"""Accuracy, spike counts and synaptic operations of a trained or converted spiking network
    over a test set, by chunks of samples, on this machine or on a Dask cluster.

    The test set is cut into chunks of ``batch_size`` consecutive samples
    :math:`[a, b)`; each chunk is scored on its own (the model's ``predict``) and the per-chunk
    integers are summed:

    .. math:: \mathrm{accuracy} = \frac{1}{N}\sum_{\text{chunks}} \#\{i \in [a, b) :
              \hat y_i = y_i\}, \qquad C = \sum_{\text{chunks}} C_{[a, b)}

    for every counter :math:`C` the model exposes. Integer sums do not depend on the order in
    which workers finish, and a Poisson-coded converted model draws the spikes of chunk
    :math:`[a, b)` from the seed sequence ``(seed, a)``, keyed by the chunk's first sample,
    never by the worker: the result is identical, bit for bit, to ``client=None`` with the
    same ``batch_size`` (and identical to ``model.score`` on the whole set for deterministic
    models, e.g. analog-input conversions, when the set is one chunk).

    Parameters
    ----------
    model : estimator or SpikingModel
        A fitted spikecore classifier (``predict(X)``; e.g. ``DiehlCookClassifier``,
        ``SurrogateGradientClassifier``, ``BPSTDPClassifier``, ``PESClassifier``) or a converted
        network from :func:`spikecore.conversion.convert` (``predict(X, timesteps)``, labels
        ``0 .. n_classes - 1``). With a client it is sent to the cluster once
        (:func:`spikecore.distributed._dask.share`: recreated if the workers holding it die).
    data : (X, y), SpikeDataset or path
        ``X`` (n_samples, ...) and ``y`` (n_samples,): NumPy arrays, ``h5py.Dataset`` or
        memory maps; only ``X[a:b]`` slices are read, in this process, and shipped with their
        task. A spike dataset (:class:`spikecore.datasets.SpikeDataset`, or the path of an
        HDF5 file in that layout) is scored on the spike count of every unit
        (:func:`spike_count_features`); with a client the workers read their own samples, so
        the file's path must be readable on the workers.
    client : dask.distributed.Client, optional
        Score the chunks on this cluster (at most twice its threads in flight); ``None``
        scores them here, one after the other.
    batch_size : int
        Samples per chunk (one task).
    timesteps : int, optional
        :math:`T` of a converted network (required for a SpikingModel, not allowed otherwise:
        the estimators fix their own presentation time).
    random_state : None, int or numpy.random.Generator
        Seed source of the Poisson input of a converted network (one seed is drawn here).
    progress : bool
        A tqdm bar over the chunks; with a client, the Dask dashboard link is printed once.

    Returns
    -------
    dict
        ``model`` (class name), ``n_samples``, ``n_correct``, ``accuracy``, ``timesteps``,
        ``counts`` (dict of integer totals over all samples, or None when the model exposes
        none), ``counts_per_sample`` (the same divided by ``n_samples``) and ``counts_note``
        (what the counts are, or that the model exposes none).

    Raises
    ------
    EvaluationError
        A chunk failed (here or on a worker, also a worker lost more often than the scheduler
        allows): the message names the sample range and the original error.

    References
    ----------
    Rueckauer et al. (2017), Conversion of continuous-valued deep networks to efficient
    event-driven networks for image classification (operation counts of converted networks);
    Rocklin (2015), Dask: parallel computation with blocked algorithms and task scheduling.
    """
    batch_size = v.integer("batch_size", batch_size, low=1)
    progress = v.flag("progress", progress)
    kind = model_kind(model)
    if not hasattr(model, "predict"):
        v.fail("model", type(model).__name__, "a fitted classifier or a converted SpikingModel (with predict)")
    if kind == "spiking_model":
        if timesteps is None:
            v.fail("timesteps", None, "the number of time steps T of the converted network")
        timesteps = v.integer("timesteps", timesteps, low=1)
        seed = int(v.rng(random_state).integers(0, 2 ** 63)) if model.input_coding == "poisson" else None
    else:
        if timesteps is not None:
            v.fail("timesteps", timesteps, "None: %s fixes its own presentation time" % type(model).__name__)
        seed = None
    dataset = _spike_dataset(data)
    if dataset is None:
        X, y = _array_source(data)
        n = X.shape[0]
    else:
        n = len(dataset)
    spans = [(a, min(a + batch_size, n)) for a in range(0, n, batch_size)]

    def task_args(source):
        for a, b in spans:
            src = (np.asarray(X[a:b]), np.asarray(y[a:b])) if dataset is None else source
            yield (model_ref, src, a, b, timesteps, seed, batch_size, client is not None)

    if client is None:
        model_ref = model
        results = (_score_chunk(*args) for args in task_args(dataset))
    else:
        from ._dask import announce, check_client, map_in_order, share
        check_client(client)
        if progress:
            announce(client, "evaluate %s" % type(model).__name__)
        model_ref = share(client, model)  # sent once; each worker fetches it once from a peer
        source = None if dataset is None else share(client, dataset)

        def on_error(args, exc):
            if isinstance(exc, EvaluationError):
                return None
            return EvaluationError("samples %d..%d (of %s): the Dask task failed: %s: %s"
                                   % (args[2], args[3] - 1, type(model).__name__, type(exc).__name__, exc))

        results = (r for _, r in map_in_order(client, _score_chunk, task_args(source), on_error=on_error))
    if progress:
        from tqdm.auto import tqdm
        results = tqdm(results, total=len(spans), desc="evaluate", unit="chunk")
    n_correct, counts = 0, None
    for correct, chunk_counts in results:
        n_correct += correct
        if chunk_counts is not None:
            counts = _add(counts, chunk_counts)
    if counts is None and kind != "none" and n == 0:
        counts = {}
    per_sample = None
    if counts is not None and n:
        per_sample = {k: ([c / n for c in val] if isinstance(val, list) else val / n) for k, val in counts.items()}
    note = _NOTES.get(kind, "%s exposes no spike counts or synaptic operations; accuracy only"
                      % type(model).__name__)
    return {"model": type(model).__name__, "n_samples": n, "n_correct": n_correct,
            "accuracy": n_correct / n if n else float("nan"), "timesteps": timesteps,
            "counts": counts, "counts_per_sample": per_sample, "counts_note": note}
