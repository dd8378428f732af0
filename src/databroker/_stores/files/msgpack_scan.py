"""Read a msgpack run file record by record, taking runs of same-shape event records at once.

Both readers of a :class:`~.run.FileRun` use one loop: :func:`iter_run_records` (every
document, for the full read) and :func:`scan_outline` (every document but events and datum).
When an ``event_page`` record is met, its byte layout is learnt (:mod:`.msgpack_shapes`); the
following records are then compared with it all at once, and a run of matching records is
taken as one :class:`~..single_events.EventRows` (full read) or jumped over (outline), instead
of being decoded one by one. Everything else, and any record that does not match, is decoded
by msgpack as usual, with the same errors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from typing import Any

import msgpack
import numpy as np

from ..._documents.routing import pair_problem
from ..document_checks import _TIME_LIMIT, one_row_page_is_sound
from ..single_events import EventRows
from .msgpack_format import _DECODE_ERRORS, _corrupt, _unpacker, read_blocks, warn_truncated
from .msgpack_shapes import Path, RecordShape, matching_records, record_columns, record_shape
from .source import open_run_file

__all__ = ["iter_run_records", "scan_outline"]

StrPath = str | os.PathLike[str]

#: How records that the outline skips begin: fixarray of 2, then the name as a fixstr.
_SKIPPED_NAMES = ("event", "event_page", "datum", "datum_page", "bulk_events", "bulk_datum")
_SKIPPED_HEADS = tuple(b"\x92" + msgpack.packb(name) for name in _SKIPPED_NAMES)
_EVENT_PAGE_HEAD = b"\x92" + msgpack.packb("event_page")
_HEAD = max(len(head) for head in _SKIPPED_HEADS)
#: Fewer matching records than this are decoded one by one.
_MIN_RUN = 8
#: After a layout matched too few records, this many event records go by before another try
#: (doubling each time, so that records of changing layouts cost one comparison each).
_MAX_BACKOFF = 1 << 12

_NAME: Path = (0,)
_DESCRIPTOR: Path = (1, "descriptor")
_SKIPPED = object()


class _Layouts:
    """The layout of the event records being read, and when to try learning one again."""

    __slots__ = ("backoff", "doc", "fresh", "shape", "wait")

    def __init__(self) -> None:
        self.shape: RecordShape | None = None
        self.doc: dict[str, Any] | None = None  # the decoded record the layout came from
        self.fresh = False  # learnt, and no run matched yet
        self.backoff = 1
        self.wait = 0

    def learn(self, record: bytes, doc: dict[str, Any] | None) -> None:
        """Note the layout of ``record`` (``doc`` decoded, or None for the outline)."""
        if self.wait > 0:
            self.wait -= 1
            return
        fixed = frozenset({_NAME}) if doc is None else frozenset({_NAME, _DESCRIPTOR})
        usable = doc is None or _plain_single_page(doc)
        self.shape = record_shape(record, fixed) if usable else None
        self.doc = doc
        self.fresh = True

    def missed(self) -> None:
        """The layout matched too few records: forget it (and, if it never matched a run,
        wait a while before learning another)."""
        if self.fresh:
            self.wait = self.backoff
            self.backoff = min(self.backoff * 2, _MAX_BACKOFF)
        self.shape = None

    def matched(self) -> None:
        self.backoff = 1
        self.fresh = False


def _plain_single_page(doc: dict[str, Any]) -> bool:
    """A one-event page with scalar values, no ``filled`` entries and no other fields."""
    if not one_row_page_is_sound(doc) or doc.get("filled") or not doc["data"]:
        return False
    if not set(doc) <= _PAGE_FIELDS or doc["data"].keys() != doc["timestamps"].keys():
        return False
    values = [*doc["data"].values(), *doc["timestamps"].values()]
    return all(type(value) in _SCALARS for (value,) in values)


_PAGE_FIELDS = frozenset({"descriptor", "uid", "seq_num", "time", "data", "timestamps", "filled"})
_SCALARS = frozenset({float, int, bool, str})


def _records(
    path: StrPath, offset: int, *, outline: bool
) -> Generator[tuple[int, int, str, Any], None, tuple[int, bool]]:
    """Yield ``(start, end, name, doc)`` for each record (or run of records) from ``offset``.

    ``doc`` is an :class:`EventRows` for a run of matching event records in a full read, and
    None for skipped records in the outline. Returns the offset after the last complete
    record, and whether a partial record follows it.
    """
    layouts = _Layouts()
    with open_run_file(path) as file:
        buffer, base, at = b"", offset, 0  # base: the file offset of buffer[0]
        for block in read_blocks(file, offset):
            buffer, base, at = buffer[at:] + block, base + at, 0
            feed = _Feed(buffer, at)
            while at < len(buffer):
                head = buffer[at : at + _HEAD]
                is_event_page = head.startswith(_EVENT_PAGE_HEAD)
                if is_event_page and layouts.shape is not None:
                    run = _run(buffer, at, layouts, outline)
                    if run is not None:
                        count, rows = run
                        end = at + count * layouts.shape.length
                        yield base + at, base + end, "event_page", rows
                        at = end
                        feed = _Feed(buffer, at)
                        continue
                try:
                    obj = feed.record(skip=outline and head.startswith(_SKIPPED_HEADS))
                except msgpack.OutOfData:
                    break
                except _DECODE_ERRORS as exc:
                    raise _corrupt(path, base + at, str(exc) or "not msgpack") from None
                end = feed.end()
                if obj is _SKIPPED:
                    if is_event_page and layouts.shape is None:
                        layouts.learn(buffer[at:end], None)
                    yield base + at, base + end, "", None
                else:
                    problem = pair_problem(obj)
                    if problem is not None:
                        raise _corrupt(path, base + at, problem)
                    if is_event_page and layouts.shape is None and not outline:
                        layouts.learn(buffer[at:end], obj[1])
                    yield base + at, base + end, obj[0], obj[1]
                at = end
    return base + at, at < len(buffer)


class _Feed:
    """An unpacker reading ``buffer`` from ``start`` on, given bytes only as it needs them
    (so that jumping over a run of records never copies what follows it)."""

    __slots__ = ("buffer", "fed", "start", "unpacker", "window")

    def __init__(self, buffer: bytes, start: int) -> None:
        self.buffer = buffer
        self.start = self.fed = start
        self.unpacker = _unpacker()
        self.window = _WINDOW

    def record(self, *, skip: bool) -> Any:
        """Decode (or skip) the next object; OutOfData if ``buffer`` ends inside it."""
        while True:
            try:
                if skip:
                    self.unpacker.skip()
                    return _SKIPPED
                return self.unpacker.unpack()
            except msgpack.OutOfData:
                if self.fed >= len(self.buffer):
                    raise
                upto = min(len(self.buffer), self.fed + self.window)
                self.unpacker.feed(memoryview(self.buffer)[self.fed : upto])
                self.fed, self.window = upto, self.window * 2

    def end(self) -> int:
        """Where the last object decoded ends in ``buffer``."""
        return self.start + self.unpacker.tell()


#: The first bytes given to a new unpacker (doubling while a record needs more).
_WINDOW = 1 << 16


def _run(
    buffer: bytes, at: int, layouts: _Layouts, outline: bool
) -> tuple[int, EventRows | None] | None:
    """The run of records matching the layout from ``at``, or None (then decode one)."""
    shape = layouts.shape
    assert shape is not None
    count = matching_records(buffer, at, shape, len(buffer))
    rows = None
    if count >= _MIN_RUN and not outline:
        assert layouts.doc is not None
        rows, count = _event_rows(buffer, at, count, shape, layouts.doc)
    if count < _MIN_RUN:
        layouts.missed()
        return None
    layouts.matched()
    return count, rows


def _event_rows(
    buffer: bytes, at: int, count: int, shape: RecordShape, template: dict[str, Any]
) -> tuple[EventRows | None, int]:
    """The events of ``count`` matching records as columns, and how many of them are sound.

    Events are sound until the first whose ``time`` is not finite or out of range, or whose
    uid repeats an earlier one of the run: that one is decoded as usual (which says why).
    """
    columns = record_columns(buffer, at, count, shape)
    if columns is None:
        return None, 0
    times = columns[(1, "time", 0)]
    if not isinstance(times, np.ndarray) or times.dtype.kind != "f":
        return None, 0
    bad = ~(np.abs(times) < _TIME_LIMIT)
    uids = columns[(1, "uid", 0)]
    if len(set(uids)) != len(uids):
        bad[_first_repeat(uids) :] = True
    if bad.any():
        count = int(np.argmax(bad))
        if count < _MIN_RUN:
            return None, count
        columns = {key: column[:count] for key, column in columns.items()}
    keys = tuple(template["data"])
    rows = EventRows(
        template["descriptor"],
        keys,
        (
            list(columns[(1, "uid", 0)]),
            _plain(columns[(1, "seq_num", 0)]),
            _plain(columns[(1, "time", 0)]),
        ),
        {key: columns[(1, "data", key, 0)] for key in keys},
        {key: columns[(1, "timestamps", key, 0)] for key in keys},
    )
    return rows, count


def _first_repeat(values: Any) -> int:
    seen: set[Any] = set()
    for index, value in enumerate(values):
        if value in seen:
            return index
        seen.add(value)
    return len(values)


def _plain(column: Any) -> list[Any]:
    return column.tolist() if isinstance(column, np.ndarray) else list(column)


def iter_run_records(path: StrPath, offset: int = 0) -> Iterator[tuple[int, str, Any]]:
    """Yield ``(end_offset, name, doc)`` like :func:`~.msgpack_format.iter_documents`, except
    that runs of one-event pages of the same layout come as one ``EventRows``.

    Warns
    -----
    TruncatedFileWarning
        The file ends in a partial object, taken as not yet written.
    """
    records = _records(path, offset, outline=False)
    while True:
        try:
            _, end, name, doc = next(records)
        except StopIteration as done:
            resume, truncated = done.value
            if truncated:
                warn_truncated(path, resume)
            return
        yield end, name, doc


def scan_outline(
    path: StrPath, offset: int, add: Callable[[str, dict[str, Any], int, int], None]
) -> int:
    """Decode every document of a msgpack run file but events and datum, which are skipped.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    offset : int
        Byte offset of the first record to read (0, or a value returned earlier).
    add : callable
        Called with ``(name, doc, start, end)`` for each document kept, in file order
        (``start`` and ``end``: the byte range of its record).

    Returns
    -------
    int
        The offset just after the last complete record, where a later call can resume. A
        partial final record is left for later, without a warning (the full read warns).

    Raises
    ------
    CorruptFileError
        Bytes before the end of the file are not msgpack, or a decoded record is not a
        ``[name, doc]`` pair with a known name.
    """
    records = _records(path, offset, outline=True)
    while True:
        try:
            start, end, name, doc = next(records)
        except StopIteration as done:
            return int(done.value[0])
        if doc is not None and name not in _SKIPPED_NAMES:
            add(name, doc, start, end)
