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
