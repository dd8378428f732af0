"""A catalog store holding runs in process: generator-backed runs and written documents."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import InvalidDocument, RunNotFound
from .arrival_log import ArrivalLog
from .base import Doc, RunStore, Serializer
from .document_checks import start_problem
from .indexed import InProcessCatalogStore
from .lru import LRUCache
from .run_documents import RunDocuments

__all__ = ["MemoryCatalogStore", "run_from_documents"]

_MAX_OPEN_RUNS = 1024
DocumentSource = Callable[[], Iterable[tuple[str, Doc]]]


def run_from_documents(
    documents: Iterable[tuple[str, Doc]], source: str = "memory"
) -> RunDocuments:
    """Build a :class:`RunDocuments` from ``(name, doc)`` pairs; the first must be a start."""
    run = RunDocuments(source=source)
    iterator = iter(documents)
    first = next(iterator, None)
    if first is None or first[0] != "start":
        found = "nothing" if first is None else repr(first[0])
        raise InvalidDocument(f"The first document of a run must be 'start', not {found}.")
    run.add(*first)
    run.extend(iterator)
    return run


class MemoryCatalogStore(InProcessCatalogStore):
    """Runs kept in process.

    A run is either registered with :meth:`upsert` (documents produced on demand by a
    generator function) or written document by document through :meth:`serializer`.
    """

    backend_name = "memory"
    supports_writes = True
    #: Runs written or upserted in this process wake :meth:`wait_for_arrivals` at once.
    supports_waiting = True
    supports_deletes = True

    def __init__(self) -> None:
        super().__init__()
        self._sources: dict[str, DocumentSource] = {}
        self._stops: dict[str, Doc | None] = {}
        self._written: dict[str, RunDocuments] = {}
        self._opened: LRUCache[str, RunDocuments] = LRUCache(_MAX_OPEN_RUNS)
        self._arrival_log = ArrivalLog(self.backend_name)

    def upsert(
        self,
        start: Doc,
        stop: Doc | None,
        gen_func: Callable[..., Iterable[tuple[str, Doc]]],
        gen_args: Sequence[Any] = (),
        gen_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        """Add or replace the run ``start['uid']`` whose documents ``gen_func`` produces.

        Raises
        ------
        InvalidDocument
            ``start`` has no uid (a non-empty string) or no finite number as ``time``.
        """
        problem = start_problem(start)
        if problem is not None:
            raise InvalidDocument(f"The start document given to upsert is malformed: {problem}.")
        uid = start["uid"]
        kwargs = dict(gen_kwargs or {})
        self._sources[uid] = lambda: gen_func(*gen_args, **kwargs)
        self._stops[uid] = stop
        self._written.pop(uid, None)
        self._opened.pop(uid, None)
        self._set_start(uid, start)
        self._arrival_log.note([uid])

    def open_run(self, uid: str) -> RunStore:
        if uid in self._written:
            return self._written[uid]
        run = self._opened.get(uid)
        if run is not None:
            return run
        try:
            source = self._sources[uid]
        except KeyError:
            raise RunNotFound(f"No run with uid {uid!r} in this in-memory catalog.") from None
        run = self._opened[uid] = run_from_documents(source(), source=f"memory run {uid}")
        return run

    def delete_run(self, uid: str) -> None:
        if uid not in self._starts:
            raise RunNotFound(f"No run with uid {uid!r} in this in-memory catalog.")
        for runs in (self._sources, self._stops, self._written, self._opened):
            runs.pop(uid, None)
        self._drop_start(uid)

    def stops(self, uids: Sequence[str]) -> dict[str, Doc | None]:
        result: dict[str, Doc | None] = {}
        for uid in uids:
            if uid in self._written:
                result[uid] = self._written[uid].stop()
            else:
                result[uid] = self._stops.get(uid)
        return result

    def arrivals(self, since: str | None) -> tuple[str, list[str]]:
        return self._arrival_log.since(since)

    def wait_for_arrivals(self, since: str | None, timeout: float | None) -> tuple[str, list[str]]:
        return self._arrival_log.wait(since, timeout)

    def serializer(self) -> Serializer:
        from .._documents.routing import DocumentRouter

        router = DocumentRouter()

        def write(name: str, doc: Doc) -> None:
            for uid in router.route(name, doc):
                if name == "start":
                    run = self._written[uid] = RunDocuments(source=f"memory run {uid}")
                    self._sources.pop(uid, None)
                    self._opened.pop(uid, None)
                    run.add(name, doc)
                    self._set_start(uid, doc)
                    self._arrival_log.note([uid])
                else:
                    self._written[uid].add(name, doc)

        return write
