"""The storage protocol.

Everything above storage (runs, streams, xarray assembly, filling, v1) talks to storage only
through the two abstract classes here, so a new backend is one module implementing them.

* :class:`RunStore` answers "give me the start / stop / descriptors / event pages / resources /
  datum pages / stream resources / stream datum of this run".
* :class:`CatalogStore` answers "which runs match this query", finds runs by uid, uid prefix,
  scan_id or recency, and hands out a writer.

Documents returned by stores are plain mappings; callers never mutate them. Event pages are
columnar: ``data[key]``, ``timestamps[key]``, ``filled[key]``, ``uid``, ``seq_num`` and ``time``
are sequences (lists or numpy arrays) aligned with one another. ``filled`` is always present.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["CatalogStore", "Doc", "Query", "RunStore", "Serializer"]

Doc = Mapping[str, Any]
Query = Mapping[str, Any]
Serializer = Callable[[str, Doc], None]


class RunStore(ABC):
    """Read access to the stored documents of one run."""

    #: The run's start uid.
    uid: str

    @abstractmethod
    def start(self) -> Doc:
        """Return the start document."""

    @abstractmethod
    def stop(self) -> Doc | None:
        """Return the stop document, or None while the run has none (looked up on each call)."""

    @abstractmethod
    def descriptors(self) -> Sequence[Doc]:
        """Return every descriptor of the run, ordered by ``time`` (ties: storage order)."""

    @abstractmethod
    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        """Yield the event pages of one descriptor in storage order.

        ``skip`` and ``limit`` count events, not pages; pages are cut to fit the window.
        """

    @abstractmethod
    def event_count(self, descriptor_uid: str) -> int:
        """Return the number of events stored for one descriptor."""

    @abstractmethod
    def resources(self) -> Sequence[Doc]:
        """Return the resources of the run in storage order (including ones found via datum)."""

    @abstractmethod
    def resource(self, uid: str) -> Doc:
        """Return one resource by uid; :class:`~databroker.errors.BrokenReference` if absent."""

    @abstractmethod
    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        """Return the resource that a datum id belongs to (``BrokenReference`` if unknown)."""

    @abstractmethod
    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        """Yield the datum pages of one resource in storage order (window counts datum)."""

    @abstractmethod
    def datum_kwargs(self, datum_ids: Sequence[str]) -> Sequence[tuple[Doc, Doc]]:
        """Return ``(resource, datum_kwargs)`` for each datum id, in order.

        Raises :class:`~databroker.errors.BrokenReference` naming the first id not found.
        """

    @abstractmethod
    def stream_resources(self) -> Sequence[Doc]:
        """Return the stream resources of the run in storage order."""

    @abstractmethod
    def stream_datum(self, descriptor_uid: str) -> Sequence[Doc]:
        """Return the stream datum of one descriptor ordered by ``seq_nums.start``."""

    def is_live(self) -> bool:
        """Return True while the run has no stop document (its contents may still grow)."""
        return self.stop() is None

    #: Seconds between two looks at storage while a reader waits for new documents.
    poll_interval: float = 0.1

    def wait_for_documents(self, timeout: float) -> None:
        """Return once the run's stored documents may have changed, or after ``timeout`` s.

        The default sleeps one :attr:`poll_interval` (at most ``timeout``); stores that can
        be told about new documents (a live buffer) return as soon as one arrives. Callers
        re-read the run afterwards: returning does not promise a change.
        """
        time.sleep(max(0.0, min(timeout, self.poll_interval)))

    def last_update(self) -> float | None:
        """Return when the newest stored document of the run was written (epoch seconds).

        None when the store cannot tell cheaply; the run model then falls back to the
        newest document time it has seen.
        """
        return None


class CatalogStore(ABC):
    """A set of runs, searchable by Mongo-style queries on their start documents.

    ``query`` arguments are the catalog's accumulated query (``{}`` matches everything).
    Every method that lists runs orders them newest first by start ``time``, ties by uid.
    """

    #: A short name used in error messages (``'msgpack'``, ``'memory'``, ...).
    backend_name: str = "store"
    #: Seconds a catalog over this store may reuse its listing before asking again.
    ttl: float = 1.0

    # -- declared capabilities: callers test these, never probe with getattr -------------
    #: :meth:`serializer` returns a writer.
    supports_writes: bool = False
    #: The store evaluates queries itself (server-side); otherwise they are compiled and
    #: evaluated in process by ``databroker._query.matcher``.
    native_queries: bool = False
    #: :meth:`ensure_indexes` and :meth:`check_indexes` manage database indexes.
    supports_indexes: bool = False
    #: :meth:`stats` returns storage statistics.
    supports_stats: bool = False
    #: Readers may block until new runs or documents arrive (live data).
    supports_waiting: bool = False
    #: :meth:`delete_run` removes a run's documents from storage.
    supports_deletes: bool = False

    def refresh(self, force: bool = False) -> None:
        """Pick up runs added or removed since the last look (no-op for live databases).

        With ``force`` false an implementation may skip the work if it looked recently.
        """

    @abstractmethod
    def iter_starts(self, query: Query) -> Iterator[Doc]:
        """Yield the start documents of matching runs, newest first."""

    @abstractmethod
    def count(self, query: Query) -> int:
        """Return the number of matching runs."""

    @abstractmethod
    def get_start(self, uid: str, query: Query) -> Doc | None:
        """Return the start document of the matching run with exactly this uid, or None."""

    @abstractmethod
    def find_uid_prefix(self, prefix: str, query: Query, limit: int = 11) -> list[str]:
        """Return up to ``limit`` uids of matching runs that start with ``prefix`` (literal)."""

    @abstractmethod
    def find_scan_id(self, scan_id: int, query: Query) -> Doc | None:
        """Return the start of the newest matching run with this ``scan_id``, or None."""

    @abstractmethod
    def nth_newest(self, n: int, query: Query) -> Doc | None:
        """Return the start of the ``n``-th newest matching run (0 = newest), or None."""

    @abstractmethod
    def open_run(self, uid: str) -> RunStore:
        """Return the :class:`RunStore` of the run with this uid."""

    # -- live data (when supports_waiting) -------------------------------------------------

    def arrivals(self, since: str | None) -> tuple[str, list[str]]:
        """Return ``(token, uids)``: the runs that arrived after ``since``, in arrival order.

        ``since=None`` means "now": no uids and a token marking the present. Passing the
        returned token back gives exactly the runs that arrived in between, none twice and
        none missed, whatever their start times. Tokens are opaque strings, valid for this
        store (and the catalogs sharing it); an unknown token raises
        :class:`~databroker.errors.InvalidOption`.
        """
        raise self.not_supported("Waiting for runs", "needs a store with supports_waiting")

    def wait_for_arrivals(self, since: str | None, timeout: float | None) -> tuple[str, list[str]]:
        """Like :meth:`arrivals`, blocking until at least one run arrived or ``timeout``
        seconds passed (then ``uids`` is empty). ``timeout=None`` waits indefinitely."""
        raise self.not_supported("Waiting for runs", "needs a store with supports_waiting")

    def stops(self, uids: Sequence[str]) -> dict[str, Doc | None]:
        """Return the stop document (or None) of each run, in as few reads as possible."""
        return {uid: self.open_run(uid).stop() for uid in uids}

    def serializer(self) -> Serializer:
        """Return a callable ``(name, doc)`` that writes documents into this store."""
        from ..errors import WriteNotSupported

        raise WriteNotSupported(f"The {self.backend_name} catalog has no writer.")

    def delete_run(self, uid: str) -> None:
        """Remove every document of run ``uid`` (when :attr:`supports_deletes`).

        External files are left alone; ``RunNotFound`` if the store holds no such run.
        """
        raise self.not_supported("delete_run()", "needs a store with supports_deletes")

    def stats(self) -> Mapping[str, Any]:
        """Return storage statistics (when :attr:`supports_stats`)."""
        raise self.not_supported("stats()", "is available for MongoDB catalogs only")

    def ensure_indexes(self) -> list[str]:
        """Create the recommended indexes that are missing; return every index name."""
        raise self.not_supported("ensure_indexes()", "applies to MongoDB catalogs only")

    def check_indexes(self) -> list[str]:
        """Describe the recommended indexes that are missing (empty: none)."""
        raise self.not_supported("check_indexes()", "applies to MongoDB catalogs only")

    def with_find_kwargs(self, find_kwargs: Mapping[str, Any]) -> CatalogStore:
        """Return a store sharing this one's data whose listings pass ``find_kwargs`` on."""
        from ..errors import InvalidArgument

        raise InvalidArgument(
            f"search() of the {self.backend_name} catalog takes no keyword arguments; got "
            f"{sorted(find_kwargs)}."
        )

    def not_supported(self, what: str, why: str) -> Exception:
        """Return the :class:`~databroker.errors.NotSupported` error for ``what``."""
        from ..errors import NotSupported

        return NotSupported(f"{what} {why}, not for the {self.backend_name} catalog.")

    def close(self) -> None:
        """Release connections or file handles this store opened."""
