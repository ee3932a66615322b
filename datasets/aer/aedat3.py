"""cAER AEDAT 3.1 files: '#' header up to ``#!END-HEADER``, then event packets with 28-byte
headers. Only polarity packets (eventType 1) give events; the valid bit of each event and the
packet's eventTSOverflow are honoured (Tonic's reader ignores all three).
Decoders: :func:`spikecore.kernels.aer_aedat.count_aedat3` / ``decode_aedat3``.
"""
import numpy as np

from spikecore.kernels import aer_aedat

from . import chips
from ._common import CorruptFileError, EventFileMeta, text_header
from .aedat2 import parse_fields

NAME = "aedat3"
UNIT = 28
STATE_SIZE = 4


def parse_header(path, head, file_size, layout=None):
    """Parse the header: version, ``Format`` (only RAW), ``Source N`` names (sensor size)."""
    lines, offset = text_header(head, "#", end_marker="!end-header")
    if not lines or not lines[0].startswith("!AER-DAT3"):
        raise CorruptFileError(path, 0, "expected an AEDAT 3.x header starting '#!AER-DAT3.1'", NAME)
    if lines[-1].strip().lower() != "!end-header":
        raise CorruptFileError(path, offset, "header has no '#!END-HEADER' line", NAME)
    fields = parse_fields(lines[1:-1])
    fmt = fields.get("Format", "RAW")
    if fmt.upper() != "RAW":
        raise CorruptFileError(path, 0, "unsupported AEDAT 3.1 Format %r (only RAW)" % fmt, NAME)
    sources = {k: v for k, v in fields.items() if k.startswith("Source")}
    size = None
    for name in sources.values():
        size = chips.inivation_size(name)
        if size:
            break
    return EventFileMeta(path=str(path), format=NAME, data_offset=offset, sensor_size=size,
                         header=fields, header_lines=lines,
                         extra={"version": lines[0][len("!AER-DAT"):].strip(), "sources": sources})


def decode(raw, state, out, meta):
    return aer_aedat.decode_aedat3(raw, state, out)


def count(raw, state, meta):
    return aer_aedat.count_aedat3(raw, state)


def new_state(meta):
    state = np.zeros(STATE_SIZE, np.int64)
    state[1] = -1
    return state
