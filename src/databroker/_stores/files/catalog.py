"""Catalog stores over directories of JSONL or msgpack files, one run per file."""

from __future__ import annotations

import io
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ...errors import (
    CatalogPathNotFound,
    CorruptFileError,
    DuplicateRunWarning,
    RunFileNotFound,
    RunFileUnavailable,
    RunNotFound,
    SkippedFileWarning,
    WriteNotSupported,
)
from ..base import Doc, Serializer
from ..document_checks import start_problem
from ..indexed import InProcessCatalogStore
from ..lru import LRUCache
from .arrivals import FileArrivals
from .listing import GLOB_CHARACTERS, FileListing, Signature, signature_of
from .run import FileRun, IterDocuments, Locate, RunFileReader, ScanOutline
from .source import FileSource, open_run_file

__all__ = ["JSONL", "MSGPACK", "FileCatalogStore", "FileFormat"]

#: Files up to this size are read with one call when scanned (most runs of a few events).
_WHOLE_FILE_BYTES = 1 << 16
#: Cached decoded runs per catalog (bounded memory, v2-api.md).
_MAX_OPEN_RUNS = 1024


@dataclass(frozen=True)
class FileFormat:
    """How one file format is read and written."""

    name: str
    suffix: str
    read_first: Callable[[FileSource], tuple[str, dict[str, Any]] | None]
    read_stop: Callable[[FileSource], Doc | None]
    iter_documents: IterDocuments
    writer: Callable[[str], Serializer]
    scan_outline: ScanOutline | None = None
    locate: Locate | None = None
    iter_run_records: IterDocuments | None = None

    @property
    def reader(self) -> RunFileReader:
        """The readers a :class:`FileRun` uses."""
        return RunFileReader(
            self.iter_documents,
            self.scan_outline,
            self.read_stop,
            self.locate,
            self.iter_run_records,
        )


def _jsonl_format() -> FileFormat:
    from . import jsonl_format
    from .writers import JSONLWriter

    def read_stop(path: FileSource) -> Doc | None:
        last = jsonl_format.read_last_document(path)
        return last[1] if last is not None and last[0] == "stop" else None

    return FileFormat(
        "jsonl",
        ".jsonl",
        jsonl_format.read_first_document,
        read_stop,
        jsonl_format.iter_documents,
        JSONLWriter,
        jsonl_format.scan_outline,
        jsonl_format.locate,
    )


def _msgpack_format() -> FileFormat:
    from . import msgpack_format, msgpack_scan
    from .msgpack_tail import read_msgpack_stop
    from .writers import MsgpackWriter

    return FileFormat(
        "msgpack",
        ".msgpack",
        msgpack_format.read_first_document,
        read_msgpack_stop,
        msgpack_format.iter_documents,
        MsgpackWriter,
        msgpack_scan.scan_outline,
        msgpack_format.locate,
        msgpack_scan.iter_run_records,
    )


JSONL = _jsonl_format
MSGPACK = _msgpack_format


class _NamedBytes(io.BytesIO):
    """The bytes of a small file, read at once, with the file's name for messages."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


@dataclass
class _ScannedFile:
    signature: Signature
    start: Doc | None
    stop: Doc | None
    #: Why the file could not be opened at the last scan (it is tried again on the next).
    unreadable: str | None = None

    @property
    def may_grow(self) -> bool:
        """True until the file holds a stop document (a run still being written)."""
        return self.stop is None


#: The signature of a file that could not be opened: never equal to one seen, so the next
#: scan tries again (permissions change without changing size or mtime).
_RETRY: Signature = (-1, -1)


def _skip(path: str, reason: str) -> None:
    # One bad file never hides the other runs: it is passed over, with a word.
    warnings.warn(f"Skipping {path}: {reason}.", SkippedFileWarning, stacklevel=5)


def _glob_directory(pattern: str) -> str:
    """Return the leading part of ``pattern`` that has no glob characters, as a directory."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts:
        if GLOB_CHARACTERS & set(part):
            break
        fixed.append(part)
    if len(fixed) == len(parts):  # no glob at all: the pattern names a file
        fixed = fixed[:-1]
    return str(Path(*fixed)) if fixed else "."


class FileCatalogStore(FileArrivals, InProcessCatalogStore):
    """Runs stored one per file in files matching glob patterns.

    Parameters
    ----------
    paths
        A glob pattern or a list of them.
    file_format
        :data:`JSONL` or :data:`MSGPACK` (a factory returning the :class:`FileFormat`).
    ttl
        Seconds during which listing and ``len`` reuse the last scan.
    """

    supports_writes = True
    supports_deletes = True

    #: Catalogs are shared by threads (a notebook's dask scheduler, a web server): listing,
    #: rescanning and the cache of open runs change under this lock.
    _lock: threading.RLock

    def __init__(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        file_format: Any,
        ttl: float = 1.0,
    ) -> None:
        super().__init__()
        self._lock = threading.RLock()
        if isinstance(paths, str | os.PathLike):
            paths = [paths]
        self.patterns = [os.fspath(path) for path in paths]
        self.format: FileFormat = file_format()
        self.backend_name = self.format.name
        self.ttl = ttl
        for pattern in self.patterns:
            directory = _glob_directory(pattern)
            if not os.path.isdir(directory):
                raise CatalogPathNotFound(
                    f"The directory {directory!r} of the {self.format.name} catalog path "
                    f"{pattern!r} does not exist. Check the path, or create the directory."
                )
        self._files: dict[str, _ScannedFile] = {}
        self._uid_paths: dict[str, str] = {}
        self._runs: LRUCache[str, FileRun] = LRUCache(_MAX_OPEN_RUNS)
        self._listing = FileListing(self.patterns)
        self._last_scan = float("-inf")
        self.refresh(force=True)

    # -- scanning --------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_scan < self.ttl:
            return
        with self._lock:
            if not force and time.monotonic() - self._last_scan < self.ttl:
                return  # another thread scanned meanwhile
            self._scan()
            self._last_scan = time.monotonic()

    def _current_signatures(self) -> dict[str, Signature] | None:
        """Signatures of the files that may have changed; None means all were listed anew."""
        if not self._listing.unchanged():
            return None
        # No file appeared, vanished or was renamed: only runs still being written can change.
        current: dict[str, Signature] = {}
        for path, scanned in self._files.items():
            if not scanned.may_grow:
                continue
            try:
                current[path] = signature_of(os.stat(path))
            except OSError:  # vanished, or became a symlink loop, ...: list anew
                return None
        return current

    def _scan(self) -> None:
        current = self._current_signatures()
        changed = False
        if current is None:
            current = self._listing.list()
            for path in self._files.keys() - current.keys():
                del self._files[path]
                changed = True
        for path, signature in current.items():
            known = self._files.get(path)
            if known is not None and known.signature == signature:
                continue
            scanned = self._files[path] = self._read_head(path, signature, known)
            # A file that still holds no run (being created, unreadable) changes no index.
            changed = changed or known is None or known.start is not None or bool(scanned.start)
        if changed:
            self._reindex()

    def _read_head(
        self, path: str, signature: Signature, known: _ScannedFile | None = None
    ) -> _ScannedFile:
        """Read the start (and, cheaply, the stop) of one file, opening it once."""
        try:
            with open_run_file(path) as file:
                head = file.read(_WHOLE_FILE_BYTES)
                if len(head) < _WHOLE_FILE_BYTES:  # the whole file: parse it from memory
                    return self._read_head_of(_NamedBytes(head, path), path, signature)
                return self._read_head_of(file, path, signature)
        except RunFileNotFound:  # removed since it was listed
            return _ScannedFile(signature, None, None)
        except (RunFileUnavailable, OSError) as error:  # unreadable, a FIFO now, ...
            if known is None or known.unreadable != str(error):  # once while it stays so
                _skip(path, str(error))
            return _ScannedFile(_RETRY, None, None, unreadable=str(error))

    def _read_head_of(self, file: BinaryIO, path: str, signature: Signature) -> _ScannedFile:
        try:
            first = self.format.read_first(file)
        except CorruptFileError as error:
            _skip(path, f"its first document does not decode ({error})")
            return _ScannedFile(signature, None, None)
        if first is None:  # empty: a file being created
            return _ScannedFile(signature, None, None)
        name, doc = first
        if name != "start":
            _skip(path, f"its first document is {name!r}, not a start document")
            return _ScannedFile(signature, None, None)
        problem = start_problem(doc)
        if problem is not None:  # listing sorts by time and indexes by uid: both must be sound
            _skip(path, f"its start document is malformed: {problem}")
            return _ScannedFile(signature, None, None)
        return _ScannedFile(signature, doc, self.format.read_stop(file))

    def _reindex(self) -> None:
        # Built aside and swapped in: readers in other threads never see a half-built index.
        starts: dict[str, Doc] = {}
        uid_paths: dict[str, str] = {}
        for path in sorted(self._files):
            start = self._files[path].start
            if start is None:
                continue
            uid = start["uid"]
            if uid in uid_paths:
                warnings.warn(
                    f"Two files hold the run {uid!r}: {uid_paths[uid]} and {path}; "
                    f"using {uid_paths[uid]}.",
                    DuplicateRunWarning,
                    stacklevel=5,
                )
                continue
            uid_paths[uid] = path
            starts[uid] = start
        self._note_arrivals(starts)  # live data: runs not seen before arrived
        for uid in list(self._runs):
            if uid_paths.get(uid) != self._uid_paths.get(uid):
                self._runs.pop(uid)
        self._uid_paths = uid_paths
        self._replace_starts(starts)

    # -- runs -----------------------------------------------------------------------------

    def path_of(self, uid: str) -> str:
        """Return the file holding run ``uid``."""
        try:
            return self._uid_paths[uid]
        except KeyError:
            raise RunNotFound(f"No run with uid {uid!r} in {self.patterns}.") from None

    def open_run(self, uid: str) -> FileRun:
        with self._lock:
            run = self._runs.get(uid)
            if run is not None:
                return run
            path = self.path_of(uid)
            run = FileRun(path, self._starts[uid], self.format.reader)
            run.poll_interval = self.poll_interval
            self._runs[uid] = run
            return run

    def stops(self, uids: Sequence[str]) -> dict[str, Doc | None]:
        result: dict[str, Doc | None] = {}
        for uid in uids:
            scanned = self._files.get(self._uid_paths.get(uid, ""))
            result[uid] = scanned.stop if scanned is not None else None
        return result

    def delete_run(self, uid: str) -> None:
        """Remove the file holding run ``uid``."""
        with self._lock:
            path = self.path_of(uid)
            os.remove(path)
            self._runs.pop(uid, None)
            self.refresh(force=True)

    # -- writing --------------------------------------------------------------------------

    def serializer(self) -> Serializer:
        pattern = self.patterns[0]
        directory = os.path.dirname(pattern) or "."
        if GLOB_CHARACTERS & set(directory):
            raise WriteNotSupported(
                f"Cannot write to the {self.format.name} catalog {pattern!r}: the directory "
                "part of its first path pattern contains glob characters."
            )
        return self.format.writer(directory)
