"""Event-camera (AER) files: read every common format, write the ones users convert to.

>>> events = read_events("sample.raw")          # format from the header/magic bytes
>>> meta = read_header("sample.raw")            # sensor size, header fields, data offset
>>> for block in iter_events("big.aedat4", chunk=1_000_000): ...
>>> write_events("out.raw", events, "evt3", sensor_size=meta.sensor_size)

Events are ``EVENT_DTYPE`` structured arrays: ``t`` (int64, µs), ``x``, ``y`` (int16),
``p`` (int8, 1 = ON), in file order. Corrupt or truncated data raises
:class:`CorruptFileError` naming the file and the byte offset.
"""
from ._common import EVENT_DTYPE, FORMATS, CorruptFileError, EventFileMeta
from .detect import detect_format
from .reader import iter_events, read_events, read_header
from .writers import WRITE_FORMATS, write_aedat2, write_events, write_evt2, write_evt3, write_evt21, write_nmnist

__all__ = [
    "EVENT_DTYPE", "FORMATS", "WRITE_FORMATS", "CorruptFileError", "EventFileMeta", "detect_format",
    "read_header", "read_events", "iter_events", "write_events", "write_nmnist", "write_aedat2",
    "write_evt2", "write_evt21", "write_evt3",
]
