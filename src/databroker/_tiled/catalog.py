"""``CatalogAdapter``: any :class:`~databroker._stores.base.CatalogStore` as a Tiled container.

The container has spec ``CatalogOfBlueskyRuns`` (version 1), as databroker 2's server had:
its keys are run uids, oldest first (so ``catalog[-1]`` is the newest run), its children
:class:`~databroker._tiled.run.RunAdapter`. Searches are translated into our Mongo-style
queries (:mod:`databroker._tiled.queries`) and answered by the store's index; counting,
sorting and paging come from the store's listing (newest first by start time), and a page of
runs gets its stop documents in one bulk read. A query on a ``stop.`` key is evaluated on the
stop documents of the runs the search lists so far (one bulk read) and narrows the catalog to
those runs' uids. No run is opened until one of its streams is, or until it is looked up
(by key, or as a page of one run: ``catalog[-1]``, a scan_id, a partial uid), when its answer
carries its streams (:meth:`~databroker._tiled.run.RunAdapter.looked_up`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tiled.adapters.container import ContainerAdapter
from tiled.iterviews import ItemsView, KeysView, ValuesView
from tiled.structures.container import ContainerStructure
from tiled.structures.core import Spec, StructureFamily

from .._query.matcher import compile_query
from .._runs.context import ReadContext
from .._stores.base import CatalogStore, Doc
from .._stores.lru import LRUCache
from ..errors import DatabrokerError
from .queries import UntranslatableQuery, check_operators, translate, translate_stop
from .run import RunAdapter

__all__ = ["CATALOG_SPEC", "CatalogAdapter"]

CATALOG_SPEC = Spec("CatalogOfBlueskyRuns", version="1")
#: Sort keys that mean "by start time", the only order the stores list in.
_TIME_KEYS = ("_", "time", "start.time")
#: Opened runs kept per served catalog (their readers cache descriptors and handlers).
RUN_CACHE_SIZE = 64


class CatalogAdapter(ContainerAdapter[RunAdapter]):
    """A catalog store served as Tiled's ``CatalogOfBlueskyRuns`` container.

    Parameters
    ----------
    store
        The catalog's storage.
    context
        How its runs are read (handlers, root_map, transforms).
    metadata
        The container's own metadata.
    include_routers
        Extra FastAPI routers mounted by Tiled's ``build_app`` (the ``/documents`` route).
    """

    structure_family = StructureFamily.container

    def __init__(
        self,
        store: CatalogStore,
        context: ReadContext,
        *,
        metadata: Mapping[str, Any] | None = None,
        include_routers: Sequence[Any] = (),
        _clauses: tuple[dict[str, Any], ...] = (),
        _direction: int = 1,
        _runs: LRUCache[str, RunAdapter] | None = None,
    ) -> None:
        super().__init__(
            ContainerStructure(keys=[]), metadata=dict(metadata or {}), specs=[CATALOG_SPEC]
        )
        self.store = store
        self.read_context = context
        self.include_routers = list(include_routers)
        self.background_tasks: list[Any] = []
        self.must_revalidate = True
        self.metadata_stale_at = None
        self.entries_stale_at = None
        self._clauses = _clauses
        self._direction = _direction
        self._runs = _runs if _runs is not None else LRUCache(RUN_CACHE_SIZE)
        self._count: int | None = None

    # -- the query ------------------------------------------------------------------------

    @property
    def query(self) -> dict[str, Any]:
        """The Mongo-style filter of this (searched) catalog."""
        clauses = [clause for clause in self._clauses if clause]
        if not clauses:
            return {}
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def _variation(self, clauses: tuple[dict[str, Any], ...], direction: int) -> CatalogAdapter:
        return type(self)(
            self.store,
            self.read_context,
            metadata=self._metadata,
            include_routers=self.include_routers,
            _clauses=clauses,
            _direction=direction,
            _runs=self._runs,
        )

    def search(self, query: Any) -> CatalogAdapter:
        """Return the catalog narrowed by a Tiled query (``UntranslatableQuery`` if it cannot).

        The store is asked once, here, so that a query it cannot evaluate is refused now
        (HTTP 400) rather than failing while the page is built.
        """
        on_stop = translate_stop(query)
        if on_stop is not None:
            searched = self._runs_whose_stop_matches(on_stop)
        else:
            searched = self._variation((*self._clauses, translate(query)), self._direction)
        duplicates = getattr(getattr(query, "duplicates", None), "value", "all")
        if duplicates != "all":
            searched = searched._one_run_per_scan_id(duplicates == "error")
        try:
            searched._count = len(searched)
        except DatabrokerError as error:
            raise UntranslatableQuery(f"Cannot answer {query!r}: {error}") from None
        return searched

    def _runs_whose_stop_matches(self, on_stop: dict[str, Any]) -> CatalogAdapter:
        """The catalog narrowed to the runs whose stop document matches ``on_stop`` (a run
        without a stop document is matched as an empty one, as MongoDB matches a missing
        field: ``NotEq`` keeps it, ``Eq`` does not)."""
        matches = compile_query(on_stop)
        uids = [start["uid"] for start in self.store.iter_starts(self.query)]
        stops = self.store.stops(uids) if uids else {}
        kept = [uid for uid in uids if matches(stops.get(uid) or {})]
        clause = {"uid": {"$in": sorted(kept)}}
        return self._variation((*self._clauses, clause), self._direction)

    def _one_run_per_scan_id(self, refuse_duplicates: bool) -> CatalogAdapter:
        """Keep the newest run of each scan_id (``duplicates='latest'``), or refuse them."""
        newest: dict[Any, str] = {}
        for start in self.store.iter_starts(self.query):
            scan_id = start.get("scan_id")
            if scan_id in newest and refuse_duplicates:
                raise UntranslatableQuery(
                    f"Several runs have scan_id {scan_id!r} (duplicates='error')."
                )
            newest.setdefault(scan_id, start["uid"])
        clause = {"uid": {"$in": sorted(newest.values())}}
        check_operators(clause)
        return self._variation((*self._clauses, clause), self._direction)

    def sort(self, sorting: Sequence[Any]) -> CatalogAdapter:
        """Return the catalog in the order asked: by start time only (``'_'`` or ``'time'``)."""
        direction = self._direction
        for item in sorting:
            key, sign = (item.key, item.direction) if hasattr(item, "key") else item
            if key not in _TIME_KEYS:
                from fastapi import HTTPException

                raise HTTPException(
                    status_code=400,
                    detail=f"This catalog sorts by start time only ('_' or 'start.time'), not "
                    f"by {key!r}.",
                )
            direction = 1 if int(sign) > 0 else -1
        return self._variation(self._clauses, direction)

    @property
    def sorting(self) -> list[tuple[str, int]]:
        """The order of the keys: ``[('_', 1)]`` is oldest first."""
        return [("_", self._direction)]

    # -- the mapping ----------------------------------------------------------------------

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.store.count(self.query)
        return self._count

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys_slice(0, len(self), 1))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.store.get_start(key, self.query) is not None

    def __getitem__(self, key: str) -> RunAdapter:
        run = self._runs.get(key) if not self._clauses else None
        if run is not None and run.stop_doc is not None:
            return run.looked_up()
        start = self.store.get_start(key, self.query) if isinstance(key, str) else None
        if start is None:
            raise KeyError(key)
        return self._run(start, None, needs_stop=True).looked_up()

    def _run(self, start: Doc, stop: Doc | None, *, needs_stop: bool) -> RunAdapter:
        """The (cached) adapter of one run; a cached run still without a stop looks again."""
        uid = start["uid"]
        run = self._runs.get(uid)
        if run is not None and run.stop_doc is not None:
            return run
        if needs_stop:
            stop = self.store.stops([uid]).get(uid)
        if run is not None:
            run.set_stop(stop)
            return run
        run = RunAdapter(self.store, self.read_context, start, stop)
        self._runs.put(uid, run)
        return run

    def keys(self) -> KeysView:
        return KeysView(lambda: len(self), self._keys_slice)

    def values(self) -> ValuesView:
        return ValuesView(lambda: len(self), self._items_slice)

    def items(self) -> ItemsView:
        return ItemsView(lambda: len(self), self._items_slice)

    def _starts_slice(self, start: int, stop: int, direction: int) -> list[Doc]:
        """The start documents at positions ``[start, stop)`` of the catalog's order."""
        count = len(self)
        start, stop = max(start, 0), min(stop if stop is not None else count, count)
        if stop <= start:
            return []
        if self._direction * direction > 0:  # oldest first: newest-first positions, reversed
            first, last = count - stop, count - start
            starts = list(itertools.islice(self.store.iter_starts(self.query), first, last))
            starts.reverse()
            return starts
        return list(itertools.islice(self.store.iter_starts(self.query), start, stop))

    def _keys_slice(
        self, start: int, stop: int, direction: int, page_size: int | None = None, **_: Any
    ) -> list[str]:
        return [doc["uid"] for doc in self._starts_slice(start, stop, direction)]

    def _items_slice(
        self, start: int, stop: int, direction: int, page_size: int | None = None, **_: Any
    ) -> Iterator[tuple[str, RunAdapter]]:
        starts = self._starts_slice(start, stop, direction)
        missing = [doc["uid"] for doc in starts if not self._has_stop(doc["uid"])]
        stops = self.store.stops(missing) if missing else {}
        for doc in starts:
            run = self._run(doc, stops.get(doc["uid"]), needs_stop=False)
            # A page of one run is a lookup (``catalog[-1]``, by scan_id, by partial uid).
            yield doc["uid"], run.looked_up() if len(starts) == 1 else run

    def _has_stop(self, uid: str) -> bool:
        run = self._runs.peek(uid)
        return run is not None and run.stop_doc is not None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} over the {self.store.backend_name} store {self.query!r}>"
