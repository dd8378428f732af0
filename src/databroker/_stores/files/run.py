"""One run stored in one JSONL or msgpack file, decoded incrementally as the file grows.

Opening a run costs the same whatever its size: the start comes from the catalog's scan, the
stop from the file's tail, and descriptors, resources and stream resources from an *outline*
scan that skips event and datum records without decoding them. Events are decoded (once, then
only appended bytes) when something asks for them.

One :class:`FileRun` may be read from many threads: decoding holds the run's lock, and the
documents a reader gets are never changed afterwards (pages grown from single events are
sealed before the lock is released).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import DatabrokerError, InvalidDocument, MalformedRecord
from ..base import Doc, RunStore
from ..lru import LRUCache
from ..run_documents import RunDocuments
from ..single_events import EventRows
from .collector import collector_paused
from .source import FileSource, open_run_file, run_file_error

__all__ = ["FileRun", "IterDocuments", "RunFileReader", "ScanOutline", "forget_outlines"]

#: ``iter_documents(path, offset)`` of a file format: yields ``(end_offset, name, doc)``.
IterDocuments = Callable[[str, int], Iterator[tuple[int, str, dict[str, Any]]]]
#: ``scan_outline(path, offset, add)`` of a file format: calls ``add(name, doc, start, end)``
#: for every document but events and datum (skipped undecoded), with the record's byte range;
#: returns the offset to resume at.
ScanOutline = Callable[[str, int, Callable[[str, dict[str, Any], int, int], None]], int]
#: ``locate(path, start, end)`` of a file format: how messages name the record that spans
#: bytes ``[start, end)``, as ``(line or None, "line 6" or "byte offset 1234")``.
Locate = Callable[[str, int, int], tuple[int | None, str]]

_Signature = tuple[int, int]


@dataclass(frozen=True)
class RunFileReader:
    """How a file format's run file is read: all of it, its outline, its stop."""

    iter_documents: IterDocuments
    scan_outline: ScanOutline | None = None
    read_stop: Callable[[FileSource], Doc | None] | None = None
    locate: Locate | None = None
    #: Like ``iter_documents``, but runs of one-event pages may come as one ``EventRows``.
    iter_run_records: IterDocuments | None = None


class _Decoded:
    """Documents decoded from a file up to ``offset``, as the file was at ``signature``."""

    __slots__ = ("documents", "offset", "shared", "signature")

    def __init__(self, path: str) -> None:
        self.documents = RunDocuments(source=path)
        self.offset = 0
        self.signature: _Signature | None = None
        self.shared = False  # kept in _OUTLINES: never extended, replaced when the file changes


#: Outlines of finished runs, kept per file while it stays the same file of the same size and
#: mtime: another catalog over the file (or this one reloaded) lists the run's streams
#: without scanning it again.
_OUTLINES: LRUCache[tuple[str, int, int, int, int], _Decoded] = LRUCache(512)
_OUTLINES_LOCK = threading.Lock()


def forget_outlines() -> None:
    """Forget the outlines kept per file, as a new process starts (benchmarks of first looks)."""
    with _OUTLINES_LOCK:
        _OUTLINES.clear()


def _outline_key(path: str) -> tuple[str, int, int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (path, stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_dev)


class FileRun(RunStore):
    """A :class:`RunStore` over one file, re-reading only appended bytes while the run is live.

    Parameters
    ----------
    path
        The run's file.
    start
        The run's start document, already read when the catalog scanned the file.
    reader
        The file format's readers (a bare ``iter_documents`` is accepted: then the stop and
        the descriptors come from decoding the whole file).
    """

    def __init__(self, path: str, start: Doc, reader: RunFileReader | IterDocuments) -> None:
        self.path = path
        self.uid = start["uid"]
        self._start = start
        self._reader = reader if isinstance(reader, RunFileReader) else RunFileReader(reader)
        self._lock = threading.RLock()
        self._full = _Decoded(path)
        self._outline: _Decoded | None = None
        # Set once a decode of the whole file saw the stop: the run cannot change any more.
        self._complete = False
        self._tail_stop: tuple[_Signature, Doc | None] | None = None

    # -- decoding -------------------------------------------------------------------------

    def _signature(self) -> _Signature | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None  # the file vanished: keep what was read
        except OSError as error:  # a symlink loop, a directory we may not enter, ...
            raise run_file_error(self.path, error) from None
        return (stat.st_size, stat.st_mtime_ns)

    def _gone(self) -> None:
        """Raise our error for a file that vanished before anything of it was read."""
        open_run_file(self.path).close()  # raises RunFileNotFound, or opens a new file

    def _sync(self) -> RunDocuments:
        """Decode what was appended to the file since the last look; return the documents."""
        if self._complete:  # read without the lock: set last, once everything is in place
            return self._full.documents
        with self._lock:
            if self._complete:
                return self._full.documents
            return self._sync_locked()

    def _sync_locked(self) -> RunDocuments:
        decoded = self._full
        signature = self._signature()
        if signature is None and decoded.signature is None:
            self._gone()
        if signature is None or signature == decoded.signature:
            return decoded.documents
        if signature[0] < decoded.offset:  # rewritten, not appended: start over
            decoded = self._full = _Decoded(self.path)
        documents = decoded.documents
        # Consecutive event pages of one descriptor wait in ``pages`` (their end offsets in
        # ``ends``) and are added together: one-event pages, as a RunEngine writes them,
        # are then checked and added in a few passes over all of them.
        pages: list[dict[str, Any]] = []
        ends: list[int] = []
        waiting: Any = None  # the descriptor of the pages waiting
        records = self._reader.iter_run_records or self._reader.iter_documents
        try:
            with collector_paused():
                for end, name, doc in records(self.path, decoded.offset):
                    if type(doc) is EventRows:
                        full, full_ends = pages, ends
                        pages, ends, waiting = [], [], None
                        self._add_pages(decoded, full, full_ends)
                        self._add_rows(decoded, doc, end)
                        continue
                    if name == "event_page" and _one_row(doc):
                        if doc.get("descriptor") != waiting or len(pages) >= _BATCH:
                            full, full_ends = pages, ends
                            pages, ends, waiting = [], [], doc.get("descriptor")
                            self._add_pages(decoded, full, full_ends)
                        pages.append(doc)
                        ends.append(end)
                        continue
                    if pages:
                        full, full_ends = pages, ends
                        pages, ends, waiting = [], [], None
                        self._add_pages(decoded, full, full_ends)
                    self._add(decoded, name, doc, end)
        finally:
            try:
                self._add_pages(decoded, pages, ends)  # kept when a later record is damaged
            finally:
                documents.seal()
        decoded.signature = signature
        self._outline = None  # the full decode answers everything from now on
        if documents.stop() is not None:
            self._complete = True
        return documents

    def _add(self, decoded: _Decoded, name: str, doc: dict[str, Any], end: int) -> None:
        """Add one decoded document that ends at byte ``end``; name its record if it fails."""
        try:
            decoded.documents.add(name, doc)
        except _MALFORMED as error:
            raise self._malformed(decoded.offset, end, name, error) from error
        decoded.offset = end

    def _add_pages(self, decoded: _Decoded, pages: list[Any], ends: list[int]) -> None:
        """Add event pages ending at bytes ``ends``: all at once if they are one-event
        pages of one descriptor, else one by one."""
        if not pages:
            return
        if len(pages) >= _MIN_BATCH and decoded.documents.add_one_row_pages(pages):
            decoded.offset = ends[-1]
            return
        for doc, end in zip(pages, ends, strict=True):
            self._add(decoded, "event_page", doc, end)

    def _add_rows(self, decoded: _Decoded, rows: EventRows, end: int) -> None:
        """Add events decoded as columns from the records up to byte ``end``; if the run
        refuses them (a uid it has already), add those records one by one."""
        if decoded.documents.add_event_rows(rows):
            decoded.offset = end
            return
        for record_end, name, doc in self._reader.iter_documents(self.path, decoded.offset):
            self._add(decoded, name, doc, record_end)
            if record_end >= end:
                break

    def _outline_documents(self) -> RunDocuments:
        """The documents other than events and datum, without decoding those."""
        if self._complete:
            return self._full.documents
        with self._lock:
            if self._full.signature is not None or self._reader.scan_outline is None:
                # Decoded once already: catching up with appended bytes is cheap.
                return self._sync_locked()
            signature = self._signature()
            outline = self._outline
            if outline is not None and (signature is None or signature == outline.signature):
                return outline.documents
            key = _outline_key(self.path) if outline is None else None
            if key is not None:
                with _OUTLINES_LOCK:
                    kept = _OUTLINES.get(key)
                if kept is not None and kept.signature == signature:
                    self._outline = kept
                    return kept.documents
            if (
                outline is None
                or outline.shared
                or (signature is not None and signature[0] < outline.offset)
            ):
                outline = self._outline = _Decoded(self.path)
            documents = outline.documents

            def add(name: str, doc: dict[str, Any], start: int, end: int) -> None:
                try:
                    documents.add(name, doc)
                except _MALFORMED as error:
                    raise self._malformed(start, end, name, error) from error

            outline.offset = self._reader.scan_outline(self.path, outline.offset, add)
            outline.signature = signature
            if documents.stop() is not None and key is not None and key[1:3] == signature:
                outline.shared = True
                with _OUTLINES_LOCK:
                    _OUTLINES.put(key, outline)
            return documents

    def _malformed(self, start: int, end: int, name: str, error: Exception) -> Exception:
        """Our error for the record at bytes ``[start, end)`` that could not be added."""
        locate = self._reader.locate
        line, where = locate(self.path, start, end) if locate else (None, f"byte offset {start}")
        if isinstance(error, DatabrokerError) and not isinstance(error, InvalidDocument):
            return type(error)(f"{self.path}, {where}: {error}")  # DuplicateUniqueID, ...
        if isinstance(error, InvalidDocument):
            text = str(error)
            inside = f" in {self.path} "
            reason = text.replace(inside, f" in {self.path}, {where}, ", 1)
            reason = reason if inside in text else f"{self.path}, {where}: {text}"
        else:
            reason = (
                f"{self.path}, {where}: the {name} document is malformed "
                f"({type(error).__name__}: {error})."
            )
        return MalformedRecord(
            f"{reason} Repair or remove that record.", path=self.path, line=line, offset=start
        )

    # -- RunStore -------------------------------------------------------------------------

    def start(self) -> Doc:
        return self._start

    def stop(self) -> Doc | None:
        if self._complete or self._reader.read_stop is None:
            return self._sync().stop()
        with self._lock:
            if self._full.signature is not None:
                return self._sync_locked().stop()
            known = self._tail_stop
            if known is not None and known[1] is not None:
                return known[1]  # a finished run: its stop does not change
            signature = self._signature()
            if known is None or signature != known[0]:
                stop = self._reader.read_stop(self.path) if signature is not None else None
                known = self._tail_stop = (signature or (0, 0), stop)
            return known[1]

    def descriptors(self) -> Sequence[Doc]:
        return self._outline_documents().descriptors()

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return self._sync().event_pages(descriptor_uid, skip, limit)

    def event_count(self, descriptor_uid: str) -> int:
        return self._sync().event_count(descriptor_uid)

    def resources(self) -> Sequence[Doc]:
        return self._outline_documents().resources()

    def resource(self, uid: str) -> Doc:
        return self._outline_documents().resource(uid)

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        return self._sync().lookup_resource_for_datum(datum_id)

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return self._sync().datum_pages(resource_uid, skip, limit)

    def datum_kwargs(self, datum_ids: Sequence[str]) -> Sequence[tuple[Doc, Doc]]:
        return self._sync().datum_kwargs(datum_ids)

    def stream_resources(self) -> Sequence[Doc]:
        return self._outline_documents().stream_resources()

    def stream_datum(self, descriptor_uid: str) -> Sequence[Doc]:
        return self._outline_documents().stream_datum(descriptor_uid)

    def is_live(self) -> bool:
        return self.stop() is None

    # -- live data: see arrivals.py ---------------------------------------------------------

    def wait_for_documents(self, timeout: float) -> None:
        from .arrivals import wait_for_file_change

        outline = self._outline
        known = self._full.signature or (outline.signature if outline is not None else None)
        wait_for_file_change(self.path, known, timeout, self.poll_interval)

    def last_update(self) -> float | None:
        # While the run is written, the file's mtime; after its stop (a file may have been
        # copied since) the documents' own times answer.
        from .arrivals import file_mtime

        return file_mtime(self.path) if self.stop() is None else None


def _one_row(page: dict[str, Any]) -> bool:
    """Whether ``page`` holds one event (larger pages are added as they come)."""
    uid = page.get("uid")
    return type(uid) is list and len(uid) == 1


#: Pages added at once: enough to make each check's fixed cost small, few enough that the
#: decoded documents waiting stay in the processor's cache (4,096 JSONL pages, about 16 MB of
#: Python objects, made a 100,000-event read 45% slower than 64). Fewer than _MIN_BATCH are
#: added one by one.
_BATCH = 64
_MIN_BATCH = 8

#: What adding a decoded document can raise: our errors, and (for a document the checks of
#: RunDocuments miss) the bare errors of code that trusted its structure.
_MALFORMED = (DatabrokerError, KeyError, TypeError, AttributeError, IndexError, ValueError)
