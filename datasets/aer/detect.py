"""Which format a file is in, from its first bytes (never from its extension).

Rules, in order:

1. ``#!AER-DAT4`` -> ``"aedat4"``; ``#!AER-DAT3`` -> ``"aedat3"``; ``#!AER-DAT2`` -> ``"aedat2"``
   (any other ``#`` start, e.g. headerless-version AEDAT 1.0, is refused).
2. A ``%`` text header: ``% evt 2.0`` / ``% format EVT2`` -> ``"evt2"``; ``% evt 3.0`` /
   ``% format EVT3`` -> ``"evt3"``; ``% evt 2.1`` / ``% format EVT21`` -> ``"evt21"``; no
   ``evt``/``format`` line but ``% Data file containing`` or ``% Version`` -> ``"dat"``. Other EVT
   versions (4.0) are refused.
3. Anything else whose size is a multiple of 5 bytes -> ``"nmnist"`` (the ATIS format of
   N-MNIST / N-Caltech101 has no header at all; samples are named ``.bin`` or ``.bs2``).
4. Otherwise a ``ValueError`` asks for ``format=``.

Rules 1 and 2 apply only to a text start: the first three bytes printable ASCII. A headerless
N-MNIST / N-Caltech101 file begins with an event ``x, y, p<<7 | t[22:16], ...``, and its first
byte is ``#`` (35) or ``%`` (37) whenever the first event has x = 35 or 37, which N-Caltech101's
240-pixel-wide sensor allows; its third byte is 0x00 or 0x80 and up for any first event before
65.5 ms (ON/OFF bit with the timestamp's high bits), never printable.
"""
import os

from spikecore import _validate

from ._common import read_prefix, text_header
from .prophesee import parse_fields, raw_kind


def _text_start(head):
    """Whether the file begins like a text header line (first three bytes printable ASCII)."""
    return len(head) >= 3 and all(0x20 <= b < 0x7F for b in head[:3])


def detect_format(path):
    """Return the format name of the event file at ``path`` from its header/magic bytes.

    Parameters
    ----------
    path : str or os.PathLike
        An event file.

    Returns
    -------
    str
        One of ``"nmnist"``, ``"aedat2"``, ``"aedat3"``, ``"aedat4"``, ``"evt2"``, ``"evt21"``,
        ``"evt3"``, ``"dat"`` (rules in the module docstring).
    """
    path = _validate.path("path", path)
    head = read_prefix(path, 1 << 16)
    size = os.path.getsize(path)
    if not _text_start(head):
        head = b""  # binary from the first bytes: only the N-MNIST rule can apply
    if head.startswith(b"#!AER-DAT"):
        version = head[9:12]
        for prefix, name in ((b"4.", "aedat4"), (b"3.", "aedat3"), (b"2.", "aedat2")):
            if version.startswith(prefix):
                return name
        _validate.fail("path", path, "a supported AEDAT version (2.0, 3.1, 4.0), not %r" % head[:14])
    if head.startswith(b"#"):
        _validate.fail("path", path, "an AEDAT file with a '#!AER-DAT' version line (AEDAT 1.0 is not supported)")
    if head.startswith(b"%"):
        lines, _ = text_header(head, "%", end_marker="end")
        fields = parse_fields(lines)
        kind = raw_kind(fields)
        if kind in ("evt2", "evt21", "evt3"):
            return kind
        if kind is not None:
            _validate.fail("path", path, "a Prophesee EVT 2.0, 2.1 or 3.0 file, not %r" % kind)
        if "data_file_containing" in fields or "Version" in fields:
            return "dat"
        _validate.fail("path", path, "a Prophesee header with an 'evt'/'format' line (RAW) or a "
                       "'Data file containing'/'Version' line (DAT); pass format= to choose")
    if size % 5 == 0:
        return "nmnist"
    _validate.fail("path", path, "a recognisable event file: no '#!AER-DAT' or '%%' header, and the size "
                   "(%d bytes) is not a multiple of 5 (N-MNIST); pass format=" % size)
