"""The ``--workers N`` / ``--scheduler ADDRESS`` options of the command line, and the Dask
client they stand for."""
import contextlib
import logging
import os

from spikecore import _validate as v


def add_arguments(parser):
    """Add ``--workers`` and ``--scheduler`` (mutually exclusive) to an argparse parser."""
    group = parser.add_argument_group("Dask (optional extra 'dask')")
    ex = group.add_mutually_exclusive_group()
    ex.add_argument("--workers", type=int, default=None, metavar="N",
                    help="run on a local Dask cluster of N worker processes (one thread each)")
    ex.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run on the Dask cluster whose scheduler listens at ADDRESS (e.g. tcp://host:8786)")


#: glibc malloc settings of the worker processes spikecore starts (bytes). Dask starts workers
#: with ``MALLOC_TRIM_THRESHOLD_=65536``; setting any such variable turns off glibc's adaptive
#: mmap threshold, so every numpy temporary over 128 KiB is mapped on allocation and unmapped on
#: free, and each new array page-faults in again (measured: a worker converted event files
#: 1.5-2.4x slower than the client process). Arrays up to 32 MiB come from the heap instead,
#: and up to 128 MiB of freed memory stays with a worker between tasks.
WORKER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": 32 << 20, "MALLOC_TRIM_THRESHOLD_": 128 << 20}


def local_cluster(n_workers, **kwargs):
    """A ``dask.distributed.LocalCluster`` of ``n_workers`` processes, one thread each, as the
    command line's ``--workers N`` starts it: dashboard on a free port, quiet logs, and the
    worker malloc settings :data:`WORKER_MALLOC` in place of Dask's default trim threshold (a
    value set otherwise in ``distributed.nanny.pre-spawn-environ`` is kept). ``kwargs`` go to
    ``LocalCluster``."""
    from ._dask import require_distributed
    distributed = require_distributed()
    import dask
    n_workers = v.integer("n_workers", n_workers, low=1)
    options = dict(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                   silence_logs=logging.ERROR)
    options.update(kwargs)
    # The worker's value: the parent's environment first (Dask's rule; Dask also leaves the values
    # of every cluster it started in os.environ), then Dask's config.
    config = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    saved = {name: os.environ.get(name) for name in WORKER_MALLOC}
    try:
        for name, value in WORKER_MALLOC.items():
            current = saved[name] if saved[name] is not None else config.get(name)
            if current is None or (name == "MALLOC_TRIM_THRESHOLD_" and str(current) == "65536"):
                os.environ[name] = str(value)  # unset, or Dask's own default rather than a user's choice
            elif saved[name] is None:
                os.environ[name] = str(current)
        return distributed.LocalCluster(**options)
    finally:  # the workers have their environment; leave this process's as it was
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def cli_client(workers=None, scheduler=None):
    """Yield ``None`` (neither option: run here) or a ``dask.distributed.Client``, and close
    what was opened here on exit (the local cluster; never a remote scheduler itself).

    Parameters
    ----------
    workers : int, optional
        Start a ``LocalCluster`` of this many worker processes, one thread each (the
        spikecore kernels are single-threaded; processes avoid the GIL), dashboard on a free
        port (:func:`local_cluster`).
    scheduler : str, optional
        Connect to this scheduler address instead.

    The commands print the dashboard link once, when their work starts (``progress=True``).
    """
    if scheduler is not None and not isinstance(scheduler, str):
        v.fail("--scheduler", scheduler, "a scheduler address such as 'tcp://host:8786'", TypeError)
    if workers is not None and scheduler is not None:
        v.fail("--workers", workers, "not given together with --scheduler %s" % scheduler)
    if workers is None and scheduler is None:
        yield None
        return
    from ._dask import require_distributed
    distributed = require_distributed()
    cluster = None
    if workers is not None:
        cluster = local_cluster(v.integer("--workers", workers, low=1))
        try:
            client = distributed.Client(cluster)
        except BaseException:
            cluster.close()
            raise
    else:
        try:
            client = distributed.Client(scheduler, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise OSError("--scheduler %s: cannot reach a Dask scheduler there (%s)" % (scheduler, exc)) from exc
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
