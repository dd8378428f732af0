"""Readers of run files take a path or an already open binary file (one open per scan).

Run files are opened through :func:`open_run_file`, never a bare ``open``: a path replaced
under the reader by a FIFO (whose ``open`` would block until a writer comes), a directory, a
symlink loop or a file this user may not read gives our :class:`RunFileUnavailable` naming the
file, at once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from ...errors import RunFileNotFound, RunFilePermissionError, RunFileUnavailable

__all__ = ["FileSource", "open_run_file", "opened", "run_file_error", "source_name"]

FileSource = str | os.PathLike[str] | BinaryIO

#: Opening never waits (a FIFO opens at once) and never makes a terminal ours.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def run_file_error(path: str | os.PathLike[str], error: OSError) -> RunFileUnavailable:
    """Our error for an OS error met while opening or reading the run file ``path``."""
    name = os.fspath(path)
    if isinstance(error, FileNotFoundError):
        found: RunFileUnavailable = RunFileNotFound(
            f"The run file {name} does not exist any more (removed or renamed after the "
            "catalog listed it); reload the catalog."
        )
    elif isinstance(error, PermissionError):
        found = RunFilePermissionError(
            f"The run file {name} may not be read by this user ({error.strerror}); "
            "change its permissions or read it as its owner."
        )
    else:
        reason = error.strerror or str(error)
        found = RunFileUnavailable(f"The run file {name} cannot be read: {reason}.")
    found.errno = error.errno
    found.filename = name
    return found


def _not_regular(name: str, mode: int) -> RunFileUnavailable:
    kind = "a device or special file"
    for test, what in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            kind = what
    error = RunFileUnavailable(
        f"The run file {name} is {kind} now, not a regular file; it is not read."
    )
    error.errno = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
    error.filename = name
    return error


def open_run_file(path: str | os.PathLike[str], buffering: int = -1) -> BinaryIO:
    """Open the run file ``path`` for reading, refusing anything but a regular file.

    ``buffering`` is ``open``'s (the size of the read buffer; -1: the default).

    Raises
    ------
    RunFileNotFound
        The file is gone.
    RunFilePermissionError
        This user may not read it.
    RunFileUnavailable
        It is a directory, FIFO, socket or device, or ``open`` fails otherwise (a symlink
        loop, ...).
    """
    name = os.fspath(path)
    try:
        descriptor = os.open(name, _OPEN_FLAGS)
    except OSError as error:
        raise run_file_error(name, error) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(name, mode)
        # Through open() (not fdopen) so that the file's ``name`` is its path, for messages.
        return open(name, "rb", buffering, opener=lambda _path, _flags: descriptor)
    except BaseException:
        os.close(descriptor)
        raise


@contextmanager
def opened(source: FileSource) -> Iterator[BinaryIO]:
    """Yield ``source`` as an open binary file: opened (and closed) here when it is a path."""
    if isinstance(source, str | os.PathLike):
        with open_run_file(source) as file:
            yield file
    else:
        yield source


def source_name(source: FileSource) -> str:
    """The file name to put in messages."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", "<file>"))
