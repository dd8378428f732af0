"""The files matching a catalog's glob patterns, and whether that set can have changed.

A catalog of thousands of run files is re-listed on every search. Listing reads each
pattern's directory once (``os.scandir``: no per-name ``stat`` to tell files from
directories) and stats each match once. A directory's mtime changes whenever a name in it is
added, removed or renamed, so while every directory keeps the mtime it had at the last
listing, the set of files is known to be the same and only files that may still grow need a
``stat``. File systems stamp mtimes coarsely (up to 2 s on some), so a directory modified
within that margin of a listing is not trusted to show later changes: the next check lists
again.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import stat as stat_module
import time
import warnings
from collections.abc import Sequence

from ...errors import SkippedFileWarning

__all__ = ["GLOB_CHARACTERS", "FileListing", "Signature", "signature_of"]

#: ``(st_size, st_mtime_ns)``: a file is re-read only when this changes.
Signature = tuple[int, int]

GLOB_CHARACTERS = set("*?[")
#: The coarsest mtime granularity of common file systems (FAT: 2 s).
_MTIME_MARGIN_NS = 2_000_000_000


def signature_of(stat: os.stat_result) -> Signature:
    """The part of a ``stat`` that changes when a file is written."""
    return (stat.st_size, stat.st_mtime_ns)


def _split(pattern: str) -> tuple[str, str] | None:
    """``(directory, name pattern)`` when only the last path part has glob characters."""
    directory, name = os.path.split(pattern)
    if GLOB_CHARACTERS & set(directory) or not name:
        return None
    return directory, name


class FileListing:
    """Lists the regular files matching glob patterns, with their signatures.

    Directories are passed over; other matches that are not regular files (FIFOs, sockets,
    symlink loops, links to nothing) are passed over with a :class:`SkippedFileWarning`.

    Parameters
    ----------
    patterns
        Glob patterns. Those with glob characters only in their last part are listed with
        one directory read; others go through :func:`glob.glob` (and are always re-listed).
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = list(patterns)
        self._simple = [_split(pattern) for pattern in self.patterns]
        self._directories = sorted({split[0] or "." for split in self._simple if split is not None})
        self._trusted: dict[str, int] | None = None
        # Matches that are no regular file, warned about once while they stay so.
        self._skipped: dict[str, str] = {}

    def _directory_mtimes(self) -> dict[str, int] | None:
        try:
            return {d: os.stat(d).st_mtime_ns for d in self._directories}
        except OSError:
            return None

    def unchanged(self) -> bool:
        """True when no matching file can have appeared, vanished or been renamed since the
        last :meth:`list`."""
        if self._trusted is None or None in self._simple:
            return False
        return self._directory_mtimes() == self._trusted

    def list(self) -> dict[str, Signature]:
        """Return ``{path: signature}`` of every matching regular file, sorted by path."""
        before = self._directory_mtimes()
        found: dict[str, Signature] = {}
        skipped: dict[str, str] = {}
        for pattern, simple in zip(self.patterns, self._simple, strict=True):
            if simple is None:
                found.update(_glob_signatures(pattern, skipped))
            else:
                found.update(_scan_signatures(*simple, skipped))
        for path, reason in skipped.items():
            if self._skipped.get(path) != reason:
                # Directories are passed over silently, as glob's matches that hold no
                # run; anything else a pattern matches was probably meant to be a run file.
                warnings.warn(f"Skipping {path}: {reason}.", SkippedFileWarning, stacklevel=4)
        self._skipped = skipped
        listed_at = time.time_ns()
        settled = before is not None and all(
            listed_at - mtime > _MTIME_MARGIN_NS for mtime in before.values()
        )
        self._trusted = before if settled and before == self._directory_mtimes() else None
        return dict(sorted(found.items()))


def _scan_signatures(
    directory: str, name_pattern: str, skipped: dict[str, str]
) -> dict[str, Signature]:
    found: dict[str, Signature] = {}
    name = re.compile(fnmatch.translate(name_pattern))
    hidden_ok = name_pattern.startswith(".")  # like glob: '*' and '?' skip dot files
    try:
        entries = os.scandir(directory or ".")
    except FileNotFoundError:
        return found
    with entries:
        for entry in entries:
            if not name.match(entry.name) or (entry.name[0] == "." and not hidden_ok):
                continue
            path = os.path.join(directory, entry.name)
            try:
                if entry.is_file():
                    found[path] = signature_of(entry.stat())
                elif not entry.is_dir():
                    skipped[path] = _not_regular(path)
            except FileNotFoundError:  # removed while listing
                continue
            except OSError as error:  # a symlink loop, ...
                skipped[path] = error.strerror or str(error)
    return found


def _glob_signatures(pattern: str, skipped: dict[str, str]) -> dict[str, Signature]:
    found: dict[str, Signature] = {}
    for path in glob.glob(pattern):
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            if os.path.islink(path):
                skipped[path] = "it is a symbolic link to nothing"
            continue
        except OSError as error:
            skipped[path] = error.strerror or str(error)
            continue
        if stat_module.S_ISREG(stat.st_mode):
            found[path] = signature_of(stat)
        elif not stat_module.S_ISDIR(stat.st_mode):
            skipped[path] = _not_regular(path)
    return found


def _not_regular(path: str) -> str:
    """Why ``path``, neither a regular file nor a directory, is not read."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "it is a symbolic link to nothing"
    kind = "a FIFO" if stat_module.S_ISFIFO(mode) else "a socket, device or special file"
    return f"it is {kind}, not a regular file"
