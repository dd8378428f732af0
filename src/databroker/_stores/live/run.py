"""One run read from its Redis stream, incrementally, as it is written.

Each read first asks Redis for the entries after the last one seen (``XRANGE``, one round
trip with an ``EXISTS``), decodes them and adds them to an in-process
:class:`~databroker._stores.run_documents.RunDocuments`. :meth:`RedisRunStore.
wait_for_documents` blocks in ``XREAD`` on the run's stream, so a reader wakes as soon as a
document is published.

Evicted entries (``MAXLEN`` trimming, or the keys expired after the stop) show as a gap in
the entry numbers; the run is then read from the durable catalog instead, which the publisher
writes first and so holds at least what the buffer held. Without a durable copy, the entries
still held are served and evicted rows raise :class:`~databroker.errors.IndexNoMoreThere`
(:mod:`databroker._stores.live.segments`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ...errors import RunNotFound
from ..base import CatalogStore, Doc, RunStore
from ..run_documents import RunDocuments
from .codec import unpack
from .connection import parse_id, translated
from .segments import Segment, SegmentedRun

__all__ = ["BLOCK_CHUNK", "RedisRunStore"]

#: Entries asked for per XRANGE/XREAD call.
_CHUNK = 10_000
#: Longest single blocking call (seconds): longer waits are made of several.
BLOCK_CHUNK = 1.0


class RedisRunStore(RunStore):
    """The :class:`RunStore` of one run of a Redis live buffer.

    Parameters
    ----------
    client
        The redis-py client.
    key
        The run's stream key.
    address
        The server, for messages (no password).
    start
        The run's start document (from its announcement).
    durable
        The durable catalog store to read evicted rows from, or None.
    """

    #: Readers block in XREAD instead of polling; this only bounds a fallback sleep.
    poll_interval = 0.01

    def __init__(
        self,
        client: Any,
        key: str,
        address: str,
        start: Doc,
        durable: CatalogStore | None = None,
    ) -> None:
        self.uid = start["uid"]
        self.client = client
        self.key = key
        self.address = address
        self._announced_start = start
        self._durable_catalog = durable
        self._durable: RunStore | None = None
        self._segments = [Segment(RunDocuments(source=self._where()), True)]
        self._gapped: SegmentedRun | None = None
        self._last_id = "0-0"
        self._last_number = 0
        self._last_ms = 0
        self._segment_entries = 0  # entries added to the last segment
        self._lock = threading.RLock()

    def _where(self) -> str:
        return f"Redis {self.address}, key {self.key!r}"

    # -- reading the stream -----------------------------------------------------------------

    def _view(self) -> RunStore:
        """Catch up with the stream; return what answers reads now."""
        with self._lock:
            if self._durable is None and not self._complete():
                self._sync()
            if self._durable is not None:
                return self._durable
            return self._gapped or self._segments[0].documents

    def _complete(self) -> bool:
        return self._segments[-1].documents.stop() is not None

    def _sync(self) -> None:
        while True:
            pipe = self.client.pipeline(transaction=False)
            pipe.xrange(self.key, min=f"({self._last_id}", max="+", count=_CHUNK)
            pipe.exists(self.key)
            with translated(self.address, f"reading run {self.uid!r}"):
                entries, exists = pipe.execute()
            if not entries and not exists:
                self._on_gap(None)
                return
            self._ingest(entries)
            if len(entries) < _CHUNK or self._durable is not None:
                return

    def _ingest(self, entries: Sequence[tuple[Any, dict[Any, Any]]]) -> None:
        for raw_id, fields in entries:
            milliseconds, number = parse_id(raw_id)
            if number <= self._last_number:
                continue  # already read (by a concurrent reader of this store)
            if number != self._last_number + 1:
                self._on_gap(number)
                if self._durable is not None:
                    return
            name, doc = unpack(fields[b"d"], f"{self._where()}, entry {raw_id!r}")
            self._segments[-1].documents.add(name, doc)
            self._segment_entries += 1
            self._last_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
            self._last_number = number
            self._last_ms = milliseconds

    def _on_gap(self, number: int | None) -> None:
        """Entries before ``number`` (None: every entry left, the key expired) are gone."""
        if not self._read_durable():
            self._start_segment()

    def _read_durable(self) -> bool:
        if self._durable is not None:
            return True
        durable = self._durable_catalog
        if durable is None:
            return False
        try:
            durable.refresh(force=True)
            run = durable.open_run(self.uid)
            run.start()
        except RunNotFound:
            return False
        self._durable = run
        return True

    def _start_segment(self) -> None:
        if self._gapped is not None and not self._segment_entries:
            return  # the last segment holds nothing yet: keep adding to it
        self._segment_entries = 0
        documents = RunDocuments(source=self._where())
        documents.add("start", self._announced_start)
        if len(self._segments) == 1 and self._last_number == 0:
            self._segments[0] = Segment(documents, False)
        else:
            self._segments.append(Segment(documents, False))
        self._gapped = SegmentedRun(self.uid, self._announced_start, self._segments, self._where())

    # -- live hooks -------------------------------------------------------------------------

    def wait_for_documents(self, timeout: float) -> None:
        """Return as soon as a document is published to the run (or after ``timeout`` s)."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            view = self._view()
            if view.stop() is not None:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            block = max(1, int(min(remaining, BLOCK_CHUNK) * 1000))
            with translated(self.address, f"waiting for documents of run {self.uid!r}"):
                found = self.client.xread({self.key: self._last_id}, count=_CHUNK, block=block)
            if found:
                with self._lock:
                    if self._durable is None:
                        self._ingest(found[0][1])
                    if self._durable is not None:  # only woken: the durable copy is read
                        newest = found[0][1][-1][0]
                        self._last_id = newest.decode() if isinstance(newest, bytes) else newest
                return

    def last_update(self) -> float | None:
        """The publication time of the newest entry read (epoch seconds), or None."""
        self._view()
        if self._last_ms:
            return self._last_ms / 1000.0
        return self._durable.last_update() if self._durable is not None else None

    @property
    def reads_durable_copy(self) -> bool:
        """Whether rows evicted from Redis made this run read from the durable catalog."""
        return self._durable is not None

    # -- RunStore ---------------------------------------------------------------------------

    def start(self) -> Doc:
        return self._announced_start

    def stop(self) -> Doc | None:
        return self._view().stop()

    def descriptors(self) -> Sequence[Doc]:
        return self._view().descriptors()

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        view = self._view()
        with self._lock:
            return view.event_pages(descriptor_uid, skip, limit)

    def event_count(self, descriptor_uid: str) -> int:
        view = self._view()
        with self._lock:
            return view.event_count(descriptor_uid)

    def resources(self) -> Sequence[Doc]:
        return self._view().resources()

    def resource(self, uid: str) -> Doc:
        return self._view().resource(uid)

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        return self._view().lookup_resource_for_datum(datum_id)

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        view = self._view()
        with self._lock:
            return view.datum_pages(resource_uid, skip, limit)

    def datum_kwargs(self, datum_ids: Sequence[str]) -> Sequence[tuple[Doc, Doc]]:
        return self._view().datum_kwargs(datum_ids)

    def stream_resources(self) -> Sequence[Doc]:
        return self._view().stream_resources()

    def stream_datum(self, descriptor_uid: str) -> Sequence[Doc]:
        return self._view().stream_datum(descriptor_uid)

    def __repr__(self) -> str:
        return f"<RedisRunStore {self.uid!r} at {self._where()}>"
