"""The MongoDB "normalized" layout: one Mongo document per bluesky document.

Start, stop, descriptor and event documents live in the metadatastore database
(``run_start``, ``run_stop``, ``event_descriptor``, ``event``); resources, datum, stream
resources and stream datum in the asset-registry database. This is what suitcase-mongo's
``mongo_normalized.Serializer`` writes.

Imported only by the Mongo driver (pymongo is imported lazily).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from ...errors import NotSupported, RunNotFound
from ..base import CatalogStore, Doc, Query, RunStore, Serializer
from .arrivals import MongoArrivals
from .common import (
    BATCH,
    check_layout,
    distinct_count,
    has_unique_index,
    open_database,
    plain_query,
    query_errors,
    window_stages,
    without_id,
)
from .indexes import NORMALIZED_INDEXES, check_indexes, ensure_indexes
from .normalized_run import NormalizedRun
from .starts import HAS_UID, LISTING_BATCH, StartCache, StopCache, batched, listable
from .stored import location

__all__ = ["NormalizedCatalogStore"]

#: Newest first, ties by uid (the order of every listing).
NEWEST = [("time", -1), ("uid", 1)]


def _find_options() -> frozenset[str]:
    """The keyword options ``Collection.find`` accepts (those of pymongo's Cursor)."""
    from pymongo.cursor import Cursor

    names = set(inspect.signature(Cursor.__init__).parameters)
    return frozenset(names - {"self", "collection", "filter"})


def _and(clause: dict[str, Any], query: Query) -> dict[str, Any]:
    """Combine a lookup clause with the catalog's query."""
    return {"$and": [clause, plain_query(query)]} if query else clause


class NormalizedCatalogStore(CatalogStore):
    """Runs in the normalized MongoDB layout.

    Parameters
    ----------
    metadatastore_db, asset_registry_db
        pymongo/mongomock ``Database`` objects or URIs that include a database name.
    find_kwargs
        Options passed to ``run_start.find()`` when listing runs (``limit``, ``hint``, ...).
    """

    backend_name = "mongo-normalized"
    supports_writes = True
    #: Queries go to the server as they are (``Broker.search`` does not pre-compile them).
    native_queries = True
    supports_indexes = True
    supports_stats = True
    #: Runs arriving are polled by insertion order (see ``arrivals.py``).
    supports_waiting = True
    #: Seconds between two looks at the server while waiting for runs or documents.
    poll_interval = 0.2
    supports_deletes = True

    def __init__(
        self,
        metadatastore_db: Any,
        asset_registry_db: Any,
        find_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self._connections = [open_database(metadatastore_db, "metadatastore_db")]
        try:
            self._connections.append(open_database(asset_registry_db, "asset_registry_db"))
            self.metadatastore = self._connections[0].database
            self.assets = self._connections[1].database
            check_layout(self.metadatastore, "metadatastore_db", "normalized")
        except BaseException:
            self.close()
            raise
        self.find_kwargs: dict[str, Any] = dict(find_kwargs or {})
        self._starts = StartCache(
            f"Several run_start documents in {self.metadatastore.name!r} have uid {{uid}}; "
            "using the first inserted. Remove the extra ones (a unique index on uid, made by "
            "ensure_indexes(), prevents this)."
        )
        self._stops = StopCache(self.stops)
        #: Whether run_start has a unique index on uid (None: not yet asked).
        self._uid_is_unique: bool | None = None

    def with_find_kwargs(self, find_kwargs: Mapping[str, Any]) -> NormalizedCatalogStore:
        """Return a store sharing this one's connections with more ``find()`` options."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.find_kwargs = {**self.find_kwargs, **find_kwargs}
        return new

    # -- helpers -----------------------------------------------------------------------------

    def _checked_find_kwargs(self) -> dict[str, Any]:
        unknown = sorted(set(self.find_kwargs) - _find_options())
        if unknown:
            raise TypeError(
                f"Unknown find() option(s) {unknown} given to the mongo-normalized catalog "
                f"(find_kwargs or search(**kwargs)); valid ones are {sorted(_find_options())}."
            )
        return dict(self.find_kwargs)

    def _first(self, filter: dict[str, Any], query: Any, **options: Any) -> Doc | None:
        filter = {"$and": [filter, {"uid": HAS_UID}]}
        with query_errors(query, self.backend_name):
            for doc in self.metadatastore.run_start.find(filter, **options).limit(1):
                start = without_id(doc)
                self._starts.remember(start)
                return start
        return None

    def warn_duplicate(self, uid: str) -> None:
        """Warn (once per uid) that several run_start documents share ``uid``."""
        self._starts.warn_duplicate(uid)

    # -- CatalogStore -------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        # The server is asked on every access; only the caches of starts and stops go stale.
        if force:
            self._starts.clear()
            self._stops.clear()
            self._uid_is_unique = None

    def _listed(self, query: Query, **options: Any) -> Iterator[Doc]:
        """The starts of a ``run_start`` cursor as listed: each uid once, none without one."""
        cursor = self.metadatastore.run_start.find(plain_query(query), **options)
        where = location(self.metadatastore, "run_start")
        return self._starts.unique(
            listable(without_id(doc), doc.get("_id"), where) for doc in cursor
        )

    def iter_starts(self, query: Query) -> Iterator[Doc]:
        options = {"sort": NEWEST, "batch_size": BATCH, **self._checked_find_kwargs()}
        with query_errors(query, self.backend_name):
            starts = self._listed(query, **options)
            for batch in batched(starts, LISTING_BATCH):
                # Runs listed together get their stops in one query, once one is wanted.
                self._stops.listed([start["uid"] for start in batch])
                yield from batch

    def count(self, query: Query) -> int:
        # What iter_starts yields: one run per uid (copies counted once), none without a uid.
        # A unique index on uid (ensure_indexes()) rules copies out: a plain count suffices.
        find_kwargs = self._checked_find_kwargs()
        collection = self.metadatastore.run_start
        if self._uid_is_unique is None:
            self._uid_is_unique = has_unique_index(collection, "uid")
        with query_errors(query, self.backend_name):
            if self._uid_is_unique and not find_kwargs.keys() & {"skip", "limit"}:
                # The query first: a server plans either order alike; mongomock tests clauses
                # in order, and the query usually rules most starts out.
                listable = {"uid": HAS_UID}
                return collection.count_documents(
                    {"$and": [plain_query(query), listable]} if query else listable
                )
            stages = [
                {"$match": plain_query(query)},
                *window_stages(find_kwargs, NEWEST),
                {"$match": {"uid": HAS_UID}},
            ]
            return distinct_count(collection, stages, "$uid")

    def get_start(self, uid: str, query: Query) -> Doc | None:
        with query_errors(query, self.backend_name):
            found = list(
                self.metadatastore.run_start.find(_and({"uid": uid}, query)).sort("_id", 1).limit(2)
            )
        if not found:
            return None
        if len(found) > 1:
            self.warn_duplicate(uid)
        start = without_id(found[0])
        self._starts.remember(start)
        return start

    def find_uid_prefix(self, prefix: str, query: Query, limit: int = 11) -> list[str]:
        clause = {"uid": {"$regex": "^" + re.escape(prefix)}}
        with query_errors(query, self.backend_name):
            cursor = self.metadatastore.run_start.find(
                _and(clause, query), projection={"uid": True, "_id": False}, sort=NEWEST
            ).limit(limit)
            uids = [doc["uid"] for doc in cursor]
        return list(dict.fromkeys(uids))

    def find_scan_id(self, scan_id: int, query: Query) -> Doc | None:
        return self._first(_and({"scan_id": scan_id}, query), query, sort=NEWEST)

    def nth_newest(self, n: int, query: Query) -> Doc | None:
        # Counted as listed (copies once, none without uid), so cat[-N] agrees with list(cat).
        with query_errors(query, self.backend_name):
            starts = self._listed(query, sort=NEWEST, batch_size=min(n + 1, BATCH))
            return next(islice(starts, n, None), None)

    def open_run(self, uid: str) -> RunStore:
        return NormalizedRun(self, uid, self._starts.get(uid))

    def start_of(self, uid: str) -> Doc:
        """Return the start document of run ``uid`` (``RunNotFound`` if there is none)."""
        start = self._starts.get(uid) or self.get_start(uid, {})
        if start is None:
            raise RunNotFound(
                f"No run_start document with uid {uid!r} in {self.metadatastore.name!r}."
            )
        return start

    def stop_of(self, uid: str) -> Doc | None:
        """Return the stop document of run ``uid``, or None while it has none."""
        stop = self._stops.get(uid)
        if stop is None:
            cursor = self.metadatastore.run_stop.find({"run_start": uid}, sort=[("_id", 1)])
            for doc in cursor.limit(1):
                stop = self._stops.remember(uid, without_id(doc))
        return stop

    def stops(self, uids: Sequence[str]) -> dict[str, Doc | None]:
        result: dict[str, Doc | None] = dict.fromkeys(uids)
        unique = list(dict.fromkeys(uids))
        for offset in range(0, len(unique), BATCH):
            batch = unique[offset : offset + BATCH]
            cursor = self.metadatastore.run_stop.find(
                {"run_start": {"$in": batch}}, sort=[("_id", 1)]
            )
            for doc in cursor:
                if result.get(doc["run_start"]) is None:
                    result[doc["run_start"]] = without_id(doc)
        return result

    def delete_run(self, uid: str) -> None:
        """Remove the run's start, stop, descriptors, events and its own (stream) resources,
        datum and stream datum."""
        self.start_of(uid)  # RunNotFound if absent
        meta, assets = self.metadatastore, self.assets
        descriptors = [d["uid"] for d in meta.event_descriptor.find({"run_start": uid})]
        resources = [r["uid"] for r in assets.resource.find({"run_start": uid})]
        assets.datum.delete_many({"resource": {"$in": resources}})
        assets.resource.delete_many({"uid": {"$in": resources}})
        assets.stream_datum.delete_many({"descriptor": {"$in": descriptors}})
        assets.stream_resource.delete_many({"run_start": uid})
        meta.event.delete_many({"descriptor": {"$in": descriptors}})
        meta.event_descriptor.delete_many({"run_start": uid})
        meta.run_stop.delete_many({"run_start": uid})
        meta.run_start.delete_many({"uid": uid})
        self.refresh(force=True)

    # -- live data ----------------------------------------------------------------------------

    def _arrivals(self) -> MongoArrivals:
        collection = self.metadatastore.run_start
        return MongoArrivals(collection, _start_uid, {"uid": HAS_UID}, {"uid": True})

    def arrivals(self, since: str | None) -> tuple[str, list[str]]:
        return self._arrivals().arrivals(since)

    def wait_for_arrivals(self, since: str | None, timeout: float | None) -> tuple[str, list[str]]:
        return self._arrivals().wait(since, timeout, self.poll_interval)

    def serializer(self) -> Serializer:
        from .normalized_writer import NormalizedWriter

        return NormalizedWriter(self.metadatastore, self.assets)

    def stats(self) -> Mapping[str, Any]:
        try:
            return self.metadatastore.command("dbstats")
        except NotImplementedError:  # mongomock
            raise NotSupported(
                "stats() runs the 'dbstats' command, which this database (mongomock) does "
                "not implement; use a MongoDB server."
            ) from None

    def _databases(self) -> dict[str, Any]:
        return {"metadatastore": self.metadatastore, "assets": self.assets}

    def ensure_indexes(self) -> list[str]:
        """Create the indexes of the normalized layout that are missing; return all names."""
        return ensure_indexes(self._databases(), NORMALIZED_INDEXES)

    def check_indexes(self) -> list[str]:
        """Describe the indexes of the normalized layout that are missing."""
        return check_indexes(self._databases(), NORMALIZED_INDEXES)

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


def _start_uid(doc: Mapping[str, Any]) -> str | None:
    """The uid of a stored ``run_start`` document (None when it has no string uid)."""
    uid = doc.get("uid")
    return uid if isinstance(uid, str) else None
