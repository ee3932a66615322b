"""The ``--workers N`` / ``--scheduler ADDRESS`` options of the command line, and the Dask
client they stand for."""
import contextlib
import logging

from spikecore import _validate as v


def add_arguments(parser):
    """Add ``--workers`` and ``--scheduler`` (mutually exclusive) to an argparse parser."""
    group = parser.add_argument_group("Dask (optional extra 'dask')")
    ex = group.add_mutually_exclusive_group()
    ex.add_argument("--workers", type=int, default=None, metavar="N",
                    help="run on a local Dask cluster of N worker processes (one thread each)")
    ex.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run on the Dask cluster whose scheduler listens at ADDRESS (e.g. tcp://host:8786)")


@contextlib.contextmanager
def cli_client(workers=None, scheduler=None):
    """Yield ``None`` (neither option: run here) or a ``dask.distributed.Client``, and close
    what was opened here on exit (the local cluster; never a remote scheduler itself).

    Parameters
    ----------
    workers : int, optional
        Start a ``LocalCluster`` of this many worker processes, one thread each (the
        spikecore kernels are single-threaded; processes avoid the GIL), dashboard on a free port.
    scheduler : str, optional
        Connect to this scheduler address instead.

    The commands print the dashboard link once, when their work starts (``progress=True``).
    """
    if workers is not None and scheduler is not None:
        v.fail("--workers", workers, "not given together with --scheduler %s" % scheduler)
    if workers is None and scheduler is None:
        yield None
        return
    from ._dask import require_distributed
    distributed = require_distributed()
    cluster = None
    if workers is not None:
        workers = v.integer("--workers", workers, low=1)
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=logging.ERROR)
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
