"""jAER AEDAT 2.0 files: '#' text header, then 8-byte big-endian ``[address, timestamp]`` records.

The address layout (DVS128 or DAVIS) comes from the ``# AEChip:`` header line, or from
``layout=`` when the header does not name a known chip. Decoders:
:func:`spikecore.kernels.aer_aedat.count_aedat2` / ``decode_aedat2``.
"""
import numpy as np

from spikecore import _validate
from spikecore.kernels import aer_aedat

from . import chips
from ._common import CorruptFileError, EventFileMeta, text_header

NAME = "aedat2"
UNIT = 8
STATE_SIZE = 3
LAYOUTS = ("dvs128", "davis")


def parse_fields(lines):
    """``key: value`` header lines as a dict (first occurrence wins)."""
    fields = {}
    for line in lines:
        if ":" in line:
            key, value = line.split(":", 1)
            fields.setdefault(key.strip(), value.strip())
    return fields


def parse_header(path, head, file_size, layout=None):
    """Parse the '#' header: version line, ``AEChip`` (layout and sensor size), creation time."""
    lines, offset = text_header(head, "#")
    if not lines or not lines[0].startswith("!AER-DAT2"):
        raise CorruptFileError(path, 0, "expected an AEDAT 2.0 header starting '#!AER-DAT2.0'", NAME)
    fields = parse_fields(lines[1:])
    chip = fields.get("AEChip", "")
    if layout is None:
        layout = chips.inivation_layout(chip)
        if layout is None:
            _validate.fail("layout", None, "'dvs128' or 'davis': the header of %r names no known chip "
                           "(AEChip: %r)" % (str(path), chip))
    _validate.choice("layout", layout, LAYOUTS)
    extra = {"chip": chip, "version": lines[0][len("!AER-DAT"):].strip()}
    created = fields.get("Creation time", "")
    digits = created.split()[-1] if created.split() else ""
    if digits.isdigit():
        extra["start_timestamp_ms"] = int(digits)
    return EventFileMeta(path=str(path), format=NAME, data_offset=offset,
                         sensor_size=chips.inivation_size(chip), header=fields,
                         header_lines=lines, layout=layout, extra=extra)


def _code(meta):
    return LAYOUTS.index(meta.layout)


def decode(raw, state, out, meta):
    return aer_aedat.decode_aedat2(raw, state, out, _code(meta))


def count(raw, state, meta):
    return aer_aedat.count_aedat2(raw, state, _code(meta))


def new_state(meta):
    state = np.zeros(STATE_SIZE, np.int64)
    state[1] = -1
    return state
