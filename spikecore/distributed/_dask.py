"""Lazy import of ``dask.distributed`` with an error that names the pip extra."""


def require_distributed():
    """Import and return the ``distributed`` module, or raise ImportError naming the extra."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError("client= needs Dask's distributed scheduler: pip install 'spikecore[dask]' "
                          "(or pip install 'dask[distributed]')") from exc
    return distributed


def check_client(client):
    """Return ``client`` if it is a ``dask.distributed.Client``; raise TypeError otherwise."""
    distributed = require_distributed()
    if not isinstance(client, distributed.Client):
        from spikecore import _validate as v
        v.fail("client", client, "None or a dask.distributed.Client", TypeError)
    return client


def default_window(client):
    """Tasks kept in flight by the in-order helpers: twice the cluster's worker threads."""
    return 2 * max(1, sum(client.nthreads().values()))


def announce(client, what, file=None):
    """Print, once per call site, where the work runs and the Dask dashboard address."""
    import sys
    n = len(client.scheduler_info().get("workers", {}))
    link = getattr(client, "dashboard_link", None) or "(no dashboard)"
    print("spikecore: %s on %d Dask worker%s; dashboard %s" % (what, n, "" if n == 1 else "s", link),
          file=sys.stderr if file is None else file, flush=True)


def map_in_order(client, func, arg_tuples, window=None, on_error=None):
    """Yield ``(args, result)`` of ``func(*args)`` for each tuple of ``arg_tuples``, in order,
    computed on ``client``'s workers with at most ``window`` tasks in flight.

    The arguments travel inside each task (they are not scattered), so when a worker dies
    the scheduler can run the task again on another one; the bounded window keeps results
    from piling up in worker memory faster than the caller consumes them. When a task fails,
    ``on_error(args, exc)`` may return the exception to raise instead (e.g. one naming the
    task's samples); the tasks not yet collected are cancelled.
    """
    import collections
    import warnings
    window = default_window(client) if window is None else window
    pending = collections.deque()
    todo = iter(arg_tuples)

    def submit_next():
        args = next(todo, None)
        if args is not None:
            with warnings.catch_warnings():  # a chunk inside its task is the point, not a slip
                warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
                pending.append((args, client.submit(func, *args, pure=False)))

    for _ in range(window):
        submit_next()
    try:
        while pending:
            args, future = pending.popleft()
            try:
                result = future.result()
            except Exception as exc:
                replacement = None if on_error is None else on_error(args, exc)
                if replacement is None:
                    raise
                raise replacement from exc
            submit_next()
            yield args, result
    finally:
        for _, future in pending:
            future.cancel()


def _keep(obj):
    return obj


def share(client, obj):
    """Send ``obj`` (a model, a dataset handle) to the cluster once and return its future.

    It travels inside one task that returns it: one worker computes it and the others fetch
    it from there when their tasks need it. Unlike ``client.scatter``, the scheduler keeps the
    task, so if every worker holding the object dies it is made again instead of being lost
    (scattered data has no recipe, and the tasks needing it would be cancelled).
    """
    return client.submit(_keep, obj, pure=False)
