"""N-MNIST / N-Caltech101 ATIS files (Orchard et al., 2015): 5-byte events, no header.

Detection: a file that starts with neither an AEDAT ``#`` nor a Prophesee ``%`` header and whose
size is a multiple of 5 bytes is read as this format (the format has no magic bytes; files are
named ``.bin`` or, in some copies, ``.bs2``). Pass ``format="nmnist"`` to skip the guess.
The decoder is :func:`spikecore.kernels.aer_nmnist.decode_nmnist`.
"""
import numpy as np

from spikecore.kernels import aer_nmnist

from ._common import EventFileMeta

NAME = "nmnist"
UNIT = 5
STATE_SIZE = 4


def parse_header(path, head, file_size, layout=None):
    """Metadata of an N-MNIST file: no header, data from byte 0, sensor size unknown
    (34 x 34 for N-MNIST, up to 240 x 180 for N-Caltech101)."""
    return EventFileMeta(path=str(path), format=NAME, data_offset=0, extra={"record_bytes": UNIT})


def decode(raw, state, out, meta):
    return aer_nmnist.decode_nmnist(raw, state, out)


count = None


def bound(nbytes):
    """At most one event per 5-byte record."""
    return nbytes // UNIT


def new_state(meta):
    state = np.zeros(STATE_SIZE, np.int64)
    state[1] = -1
    return state
