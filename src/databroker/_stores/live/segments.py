"""A run read from a buffer that evicted some of its entries, with no durable copy.

The entries still held form segments (runs of consecutive entries); each is indexed in its own
:class:`~databroker._stores.run_documents.RunDocuments`. An event's row is its ``seq_num - 1``
(bluesky numbers each stream's events from 1), so rows of later segments keep their places:
a window of rows that all survive is served, and one reaching an evicted row raises
:class:`~databroker.errors.IndexNoMoreThere` — never another row in its place.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ...errors import BrokenReference, IndexNoMoreThere
from ..base import Doc, RunStore
from ..run_documents import RunDocuments

__all__ = ["Segment", "SegmentedRun"]


class Segment:
    """Consecutive entries of a run; ``from_start`` when they begin with its first entry."""

    def __init__(self, documents: RunDocuments, from_start: bool) -> None:
        self.documents = documents
        self.from_start = from_start
        self._offsets: dict[str, int] = {}

    def offset(self, descriptor_uid: str) -> int:
        """The row of this segment's first event of a descriptor."""
        if self.from_start:
            return 0
        offset = self._offsets.get(descriptor_uid)
        if offset is None:
            first = next(iter(self.documents.event_pages(descriptor_uid, 0, 1)), None)
            if first is None:
                return 0
            offset = self._offsets[descriptor_uid] = int(first["seq_num"][0]) - 1
        return offset


class SegmentedRun(RunStore):
    """The :class:`RunStore` over the segments of one run (see the module docstring).

    Parameters
    ----------
    uid, start
        The run (its start document comes from the announcement when it was evicted).
    segments
        The segments, oldest first (shared: the live run store appends to the last).
    where
        The buffer and key, for messages.
    """

    def __init__(self, uid: str, start: Doc, segments: list[Segment], where: str) -> None:
        self.uid = uid
        self._start = start
        self.segments = segments
        self.where = where

    def _evicted(self, what: str) -> IndexNoMoreThere:
        return IndexNoMoreThere(
            f"{what} of run {self.uid!r} were evicted from the live buffer ({self.where}) "
            "and there is no durable copy to read them from; read runs sooner, raise the "
            "buffer's maxlen, or give the buffer a durable catalog."
        )

    def start(self) -> Doc:
        return self._start

    def stop(self) -> Doc | None:
        for segment in reversed(self.segments):
            stop = segment.documents.stop()
            if stop is not None:
                return stop
        return None

    def descriptors(self) -> Sequence[Doc]:
        found: dict[str, Doc] = {}
        for segment in self.segments:
            for descriptor in segment.documents.descriptors():
                found.setdefault(descriptor["uid"], descriptor)
        return sorted(found.values(), key=lambda d: d.get("time", 0.0))

    def _spans(self, descriptor_uid: str) -> list[tuple[int, int, Segment]]:
        spans = []
        for segment in self.segments:
            count = segment.documents.event_count(descriptor_uid)
            if count:
                offset = segment.offset(descriptor_uid)
                spans.append((offset, offset + count, segment))
        return spans

    def event_count(self, descriptor_uid: str) -> int:
        return max((end for _, end, _ in self._spans(descriptor_uid)), default=0)

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        spans = self._spans(descriptor_uid)
        total = max((end for _, end, _ in spans), default=0)
        stop = total if limit is None else min(total, skip + limit)
        position = skip
        pieces = []
        for begin, end, segment in spans:
            if end <= position or begin >= stop:
                continue
            if begin > position:
                break
            pieces.append((segment, position - begin, min(end, stop) - position))
            position = min(end, stop)
        if position < stop:
            raise self._evicted(
                f"Events {position} to {stop - 1} (rows, from 0) of descriptor {descriptor_uid!r}"
            )
        return self._pages(descriptor_uid, pieces)

    @staticmethod
    def _pages(descriptor_uid: str, pieces: list[tuple[Segment, int, int]]) -> Iterator[Doc]:
        for segment, skip, limit in pieces:
            yield from segment.documents.event_pages(descriptor_uid, skip, limit)

    def resources(self) -> Sequence[Doc]:
        found: dict[str, Doc] = {}
        for segment in self.segments:
            for resource in segment.documents.resources():
                found.setdefault(resource["uid"], resource)
        return list(found.values())

    def _first(self, method: str, argument: Any, what: str) -> Any:
        for segment in self.segments:
            try:
                return getattr(segment.documents, method)(argument)
            except BrokenReference:
                continue
        raise BrokenReference(
            f"No {what} {argument!r} in run {self.uid!r}: it is unknown or was evicted from "
            f"the live buffer ({self.where}), which has no durable copy."
        )

    def resource(self, uid: str) -> Doc:
        return self._first("resource", uid, "resource")

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        return self._first("lookup_resource_for_datum", datum_id, "datum")

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        # Datum carry no row numbers: only a window inside the first segment is certain.
        head = self.segments[0]
        count = sum(len(p["datum_id"]) for p in head.documents.datum_pages(resource_uid))
        end = skip + limit if limit is not None else None
        if head.from_start and (len(self.segments) == 1 or (end is not None and end <= count)):
            return head.documents.datum_pages(resource_uid, skip, limit)
        raise self._evicted(f"Datum of resource {resource_uid!r}")

    def datum_kwargs(self, datum_ids: Sequence[str]) -> Sequence[tuple[Doc, Doc]]:
        return [self._first("datum_kwargs", [datum_id], "datum")[0] for datum_id in datum_ids]

    def stream_resources(self) -> Sequence[Doc]:
        found: dict[str, Doc] = {}
        for segment in self.segments:
            for doc in segment.documents.stream_resources():
                found.setdefault(doc["uid"], doc)
        return list(found.values())

    def stream_datum(self, descriptor_uid: str) -> Sequence[Doc]:
        found: dict[str, Doc] = {}
        for segment in self.segments:
            for doc in segment.documents.stream_datum(descriptor_uid):
                found.setdefault(doc["uid"], doc)
        return sorted(found.values(), key=lambda doc: doc["seq_nums"]["start"])
