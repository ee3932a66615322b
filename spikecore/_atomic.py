"""Atomic file writes: every writer in spikecore goes through here.

A writer writes into a hidden temporary file in the target's folder and renames it onto
the target (``os.replace``, atomic on POSIX and Windows) only when complete, so a reader
sees either the previous file or the whole new one, never a half-written file. If the
writer raises, the temporary file is removed and the previous file is untouched.
"""
import os
import uuid
from contextlib import contextmanager

from spikecore import _validate as v


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    Use it with libraries that open files by name (h5py). The temporary file is created
    empty with the usual permissions (``0o666`` minus the umask).
    """
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        v.fail("path", path, "a file in an existing folder", FileNotFoundError)
    while True:  # a fresh hidden name beside the target
        tmp = os.path.join(folder, ".%s.%s.tmp" % (os.path.basename(path), uuid.uuid4().hex[:12]))
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)  # the data is on disk before the rename makes it visible
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@contextmanager
def atomic_write(path):
    """Open a temporary binary file beside ``path`` for writing (``with atomic_write(p) as f``);
    on success it replaces ``path``, on any error it is deleted."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            yield f
