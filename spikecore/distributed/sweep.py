r"""Parameter sweeps on a Dask cluster.

**Estimator sweeps need nothing from spikecore.** spikecore's estimators follow
scikit-learn's conventions (``get_params``/``set_params``, ``fit``/``score``), so
``GridSearchCV`` / ``RandomizedSearchCV`` run them, and joblib's Dask backend sends each
(candidate, fold) fit to a worker::

    import joblib
    from dask.distributed import Client, LocalCluster
    from sklearn.model_selection import GridSearchCV
    from spikecore.learning import PESClassifier

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))   # or Client("tcp://scheduler:8786")
    search = GridSearchCV(PESClassifier(random_state=0), {"n_neurons": [50, 100], "n_epochs": [1, 2]}, cv=3)
    with joblib.parallel_backend("dask", client=client):
        search.fit(X, y)            # the same cv_results_ scores as without the backend

Seed the estimator (``random_state=<int>``): each fit then draws the same numbers on any
worker, so the scores equal the local ``n_jobs=1`` search's.

**Non-estimator sweeps**: :func:`conversion_sweep` scores ANN -> SNN conversion over a grid
of methods and time steps, one conversion per method and one task per (method, T) cell.
"""
import inspect

import numpy as np

from spikecore import _validate as v


class SweepError(RuntimeError):
    """A cell of a sweep failed; the message names the cell (method, T) and the cause."""


def _convert_cell(ann, calibration_data, method, convert_params):
    from spikecore.conversion import convert
    try:
        return convert(ann, calibration_data, method=method, **convert_params)
    except Exception as exc:
        raise SweepError("method %r: conversion failed: %s: %s" % (method, type(exc).__name__, exc)) from exc


def _score_cell(snn, X, y, method, timesteps, batch_size, seed):
    """One table row: the accuracy of ``snn`` at ``timesteps`` and its operation counts
    (exactly what :meth:`SpikingModel.report` puts in a row, plus the method and counts)."""
    try:
        pred = snn.predict(X, timesteps, batch_size=batch_size, random_state=seed)
        n_correct = int(np.count_nonzero(pred == y))
        return dict(method=method, n_correct=n_correct, n_samples=int(len(y)),
                    accuracy=float(np.mean(pred == y)) if len(y) else float("nan"), **snn.operations())
    except Exception as exc:
        raise SweepError("method %r, timesteps %d: %s: %s" % (method, timesteps, type(exc).__name__, exc)) from exc


def conversion_sweep(model, calibration_data, X, y, methods=("shift",), timesteps=(16, 32, 64, 128), *, client=None,
                     batch_size=256, random_state=0, progress=False, **convert_params):
    r"""Accuracy and operations of ANN -> SNN conversion over a grid of methods and time steps.

    For each method :math:`m` the ANN is converted once
    (:func:`spikecore.conversion.convert` on ``calibration_data``); then every cell
    :math:`(m, T)` scores the spiking network on ``(X, y)`` for :math:`T` steps:

    .. math:: \mathrm{acc}(m, T) = \frac{1}{N}\sum_{i=1}^{N}
              \big[\arg\max_k V^{(m)}_k(x_i, T) = y_i\big]

    with :math:`V^{(m)}_k(x, T)` the output layer's potential integrated over :math:`T` steps
    (Rueckauer et al., 2017; the methods' papers are listed in :mod:`spikecore.conversion`).
    Every cell uses the same Poisson seed ``random_state`` (an int), so the rows are those of
    ``SpikingModel.report(X, y, timesteps, random_state=random_state)`` and are identical,
    bit for bit, locally and on a cluster.

    Parameters
    ----------
    model : Sequential
        The trained ANN (:mod:`spikecore.conversion.ann` or ``load_onnx``).
    calibration_data : array (n_cal, ...)
        Inputs the normalisation is measured on.
    X, y : arrays
        Test inputs and labels ``0 .. n_classes - 1``.
    methods : sequence of str
        Conversion methods (keys of :data:`spikecore.conversion.METHODS`).
    timesteps : sequence of int
        :math:`T` (TSC: the window :math:`N`) of each cell.
    client : dask.distributed.Client, optional
        Run the conversions and cells on this cluster (the ANN and the data are sent to the
        cluster once, :func:`spikecore.distributed._dask.share`; each conversion is one task
        and its cells depend on it); ``None`` runs them here.
    batch_size : int
        Samples per inference batch.
    random_state : int
        Seed of the Poisson input of every cell.
    progress : bool
        A tqdm bar over the cells; with a client the Dask dashboard link is printed once.
    **convert_params
        Further keywords of :func:`~spikecore.conversion.convert` (``percentile``,
        ``threshold_scale``, ...), the same for every method.

    Returns
    -------
    list of dict
        One row per (method, T), methods outer: ``method``, ``accuracy``, ``n_correct``,
        ``n_samples`` and the keys of :meth:`SpikingModel.operations` (``timesteps``,
        ``latency``, ``synaptic_adds``, ``macs``, ``energy_pj``, ``spikes_per_layer``, ...).
        ``ConversionReport(method, rows_of_that_method, ann_accuracy).table()`` prints them.

    Raises
    ------
    SweepError
        A conversion or a cell failed (here or on a worker); the message names the method
        and the time steps.

    References
    ----------
    Rueckauer, Lungu, Hu, Pfeiffer & Liu (2017), Conversion of continuous-valued deep networks to
    efficient event-driven networks for image classification.
    """
    from spikecore.conversion import METHODS, Sequential, convert
    if not isinstance(model, Sequential):
        v.fail("model", model, "a spikecore.conversion.Sequential (the trained ANN; build one or use load_onnx)",
               TypeError)
    methods = [v.choice("methods", m, tuple(METHODS))
               for m in v.sequence("methods", methods, "a sequence of conversion methods, e.g. ('shift',)")]
    steps = [v.integer("timesteps", t, low=1)
             for t in v.sequence("timesteps", timesteps, "a sequence of numbers of steps, e.g. (16, 32, 64)")]
    known = set(inspect.signature(convert).parameters) - {"model", "calibration_data", "method"}
    for name in convert_params:
        if name not in known:
            v.fail(name, convert_params[name], "a keyword of spikecore.conversion.convert (%s)"
                   % ", ".join(sorted(known)), TypeError)
    progress = v.flag("progress", progress)
    if not methods or not steps:
        v.fail("methods" if not methods else "timesteps", list(methods) or list(timesteps), "at least one value")
    batch_size = v.integer("batch_size", batch_size, low=1)
    seed = v.integer("random_state", random_state, low=0)
    y = v.array("y", y, ndim=1, kinds="iu")
    if not hasattr(X, "__len__"):
        v.fail("X", X, "an array (n_samples, ...) of test inputs", TypeError)
    if len(y) != len(X):
        v.fail("y", "<%d labels>" % len(y), "one label per sample of X (%d)" % len(X))
    cells = [(m, t) for m in methods for t in steps]
    if client is None:
        def rows():
            for m in methods:
                snn = _convert_cell(model, calibration_data, m, convert_params)
                for t in steps:
                    yield _score_cell(snn, X, y, m, t, batch_size, seed)
        results = rows()
    else:
        from ._dask import announce, check_client, share
        check_client(client)
        if progress:
            announce(client, "conversion sweep (%d cells)" % len(cells))
        ann_f, cal_f, X_f, y_f = (share(client, a) for a in (model, calibration_data, X, y))
        snns = {m: client.submit(_convert_cell, ann_f, cal_f, m, convert_params, pure=False) for m in methods}
        futures = [client.submit(_score_cell, snns[m], X_f, y_f, m, t, batch_size, seed, pure=False)
                   for m, t in cells]

        def collect():
            try:
                for (m, t), f in zip(cells, futures):
                    try:
                        yield f.result()
                    except SweepError:
                        raise
                    except Exception as exc:
                        raise SweepError("method %r, timesteps %d: the Dask task failed: %s: %s"
                                         % (m, t, type(exc).__name__, exc)) from exc
            finally:
                client.cancel(futures + list(snns.values()))
        results = collect()
    if progress:
        from tqdm.auto import tqdm
        results = tqdm(results, total=len(cells), desc="conversion sweep", unit="cell")
    return list(results)
