"""The MongoDB "embedded" layout: one ``header`` document per run, events and datum in pages.

``header`` holds ``run_id`` and arrays ``start``, ``stop``, ``descriptors``, ``resources``
(and ``stream_resources``); ``event`` and ``datum`` hold pages that grow until a size limit.
This is what suitcase-mongo's ``mongo_embedded.Serializer`` writes. Queries on start
documents are rewritten to ``start.<field>`` paths.

Imported only by the Mongo driver (pymongo is imported lazily).
"""

from __future__ import annotations

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
    query_errors,
    rewrite_for_embedded,
)
from .embedded_run import EmbeddedRun
from .indexes import EMBEDDED_INDEXES, check_indexes, ensure_indexes
from .starts import HAS_UID, StartCache, StopCache, listable
from .stored import location

__all__ = ["EmbeddedCatalogStore"]

#: Newest first, ties by uid (the order of every listing).
NEWEST = [("start.time", -1), ("start.uid", 1)]
# The stop is small and lives in the same header: fetching it with the start spares opening
# a listed run another query.
_START_AND_STOP = {"start": True, "stop": True, "_id": False}
#: Listing keeps ``_id`` so a header that is not a run can be named in the warning.
_LISTED = {"start": True, "stop": True}
#: A header that can be listed (and counted) as a run: its start has a string uid.
_LISTABLE = {"start.0.uid": HAS_UID}


def _and(clause: dict[str, Any], query: Query) -> dict[str, Any]:
    """Combine a lookup clause on header fields with the catalog's (rewritten) query."""
    return {"$and": [clause, rewrite_for_embedded(query)]} if query else clause


class EmbeddedCatalogStore(CatalogStore):
    """Runs in the embedded MongoDB layout.

    Parameters
    ----------
    datastore_db
        A pymongo/mongomock ``Database`` or a URI that includes the database name.
    """

    backend_name = "mongo-embedded"
    supports_writes = True
    #: Queries go to the server (rewritten), so ``Broker.search`` does not pre-compile them.
    native_queries = True
    supports_indexes = True
    supports_stats = True
    #: Runs arriving are polled by insertion order (see ``arrivals.py``).
    supports_waiting = True
    #: Seconds between two looks at the server while waiting for runs or documents.
    poll_interval = 0.2
    supports_deletes = True

    def __init__(self, datastore_db: Any) -> None:
        self._connection = open_database(datastore_db, "datastore_db")
        try:
            self.database = self._connection.database
            check_layout(self.database, "datastore_db", "embedded")
        except BaseException:
            self.close()
            raise
        self._starts = StartCache(
            f"Several header documents in {self.database.name!r} hold the start uid {{uid}}; "
            "using the first inserted. Remove the extra ones."
        )
        self._stops = StopCache(None)
        #: Whether header has a unique index on start.uid (None: not yet asked).
        self._uid_is_unique: bool | None = None

    # -- helpers ------------------------------------------------------------------------------

    def _start_of_header(self, header: Mapping[str, Any]) -> Doc | None:
        starts = header.get("start") or []
        if not starts or not isinstance(starts[0], Mapping):
            return None
        stops = header.get("stop") or []
        uid = starts[0].get("uid")
        if not isinstance(uid, str):
            return None
        if stops and self._stops.get(uid) is None:  # of duplicate headers, the first counts
            self._stops.remember(uid, stops[0])
        return self._starts.remember(starts[0])

    def _first(self, filter: dict[str, Any], query: Any) -> Doc | None:
        filter = {"$and": [filter, _LISTABLE]}
        with query_errors(query, self.backend_name):
            cursor = self.database.header.find(filter, _START_AND_STOP, sort=NEWEST)
            for header in cursor.limit(1):
                return self._start_of_header(header)
        return None

    def _listed(self, query: Query, **options: Any) -> Iterator[Doc]:
        """The starts of a ``header`` cursor as listed: each uid once, none without one."""
        cursor = self.database.header.find(rewrite_for_embedded(query), _LISTED, **options)
        where = location(self.database, "header")
        return self._starts.unique(
            listable(self._start_of_header(header), header.get("_id"), where) for header in cursor
        )

    # -- CatalogStore ------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        # The server is asked on every access; only the caches of starts and stops go stale.
        if force:
            self._starts.clear()
            self._stops.clear()
            self._uid_is_unique = None

    def iter_starts(self, query: Query) -> Iterator[Doc]:
        with query_errors(query, self.backend_name):
            yield from self._listed(query, sort=NEWEST, batch_size=BATCH)

    def count(self, query: Query) -> int:
        # What iter_starts yields: one run per start uid, none for a header without a start.
        # A unique index on start.uid (ensure_indexes()) rules copies out: a plain count.
        match = {"$and": [rewrite_for_embedded(query), _LISTABLE]}
        collection = self.database.header
        if self._uid_is_unique is None:
            self._uid_is_unique = has_unique_index(collection, "start.uid")
        with query_errors(query, self.backend_name):
            if self._uid_is_unique:
                return collection.count_documents(match)
            first_uid = {"$arrayElemAt": ["$start.uid", 0]}
            return distinct_count(collection, [{"$match": match}], first_uid)

    def get_start(self, uid: str, query: Query) -> Doc | None:
        with query_errors(query, self.backend_name):
            cursor = self.database.header.find(_and({"start.uid": uid}, query), _START_AND_STOP)
            found = list(cursor.sort("_id", 1).limit(2))
        if len(found) > 1:
            self._starts.warn_duplicate(uid)
        return self._start_of_header(found[0]) if found else None

    def find_uid_prefix(self, prefix: str, query: Query, limit: int = 11) -> list[str]:
        clause = {"start.uid": {"$regex": "^" + re.escape(prefix)}}
        with query_errors(query, self.backend_name):
            cursor = self.database.header.find(
                _and(clause, query), {"start.uid": True, "_id": False}, sort=NEWEST
            ).limit(limit)
            uids = [header["start"][0]["uid"] for header in cursor if header.get("start")]
        return list(dict.fromkeys(uids))

    def find_scan_id(self, scan_id: int, query: Query) -> Doc | None:
        return self._first(_and({"start.scan_id": scan_id}, query), query)

    def nth_newest(self, n: int, query: Query) -> Doc | None:
        # Counted as listed (copies once, none without a start), so cat[-N] agrees with list().
        with query_errors(query, self.backend_name):
            starts = self._listed(query, sort=NEWEST, batch_size=min(n + 1, BATCH))
            return next(islice(starts, n, None), None)

    def open_run(self, uid: str) -> RunStore:
        return EmbeddedRun(self, uid, self._starts.get(uid))

    def start_of(self, uid: str) -> Doc:
        """Return the start document of run ``uid`` (``RunNotFound`` if there is none)."""
        start = self._starts.get(uid) or self.get_start(uid, {})
        if start is None:
            raise RunNotFound(f"No header with start uid {uid!r} in {self.database.name!r}.")
        return start

    def stop_of(self, uid: str) -> Doc | None:
        """Return the stop document of run ``uid``, or None while it has none."""
        stop = self._stops.get(uid)
        if stop is None:
            header = self.database.header.find_one({"run_id": uid}, {"stop": True, "_id": False})
            stops = (header or {}).get("stop") or []
            if stops:
                stop = self._stops.remember(uid, stops[0])
        return stop

    def stops(self, uids: Sequence[str]) -> dict[str, Doc | None]:
        result: dict[str, Doc | None] = dict.fromkeys(uids)
        unique = list(dict.fromkeys(uids))
        for offset in range(0, len(unique), BATCH):
            batch = unique[offset : offset + BATCH]
            cursor = self.database.header.find(
                {"run_id": {"$in": batch}}, {"run_id": True, "stop": True, "_id": False}
            )
            for header in cursor:
                stops = header.get("stop") or []
                if stops and result.get(header["run_id"]) is None:
                    result[header["run_id"]] = stops[0]
        return result

    def delete_run(self, uid: str) -> None:
        """Remove the run's header and the event, datum and stream datum pages it owns."""
        self.start_of(uid)  # RunNotFound if absent
        header = self.database.header.find_one({"run_id": uid}) or {}
        descriptors = [d["uid"] for d in header.get("descriptors") or []]
        resources = [r["uid"] for r in header.get("resources") or []]
        self.database.event.delete_many({"descriptor": {"$in": descriptors}})
        self.database.datum.delete_many({"resource": {"$in": resources}})
        self.database.stream_datum.delete_many({"descriptor": {"$in": descriptors}})
        self.database.header.delete_many({"run_id": uid})
        self.refresh(force=True)

    # -- live data ----------------------------------------------------------------------------

    def _arrivals(self) -> MongoArrivals:
        return MongoArrivals(self.database.header, _header_uid, _LISTABLE, {"start.uid": True})

    def arrivals(self, since: str | None) -> tuple[str, list[str]]:
        return self._arrivals().arrivals(since)

    def wait_for_arrivals(self, since: str | None, timeout: float | None) -> tuple[str, list[str]]:
        return self._arrivals().wait(since, timeout, self.poll_interval)

    def serializer(self) -> Serializer:
        from .embedded_writer import EmbeddedWriter

        return EmbeddedWriter(self.database)

    def stats(self) -> Mapping[str, Any]:
        try:
            return self.database.command("dbstats")
        except NotImplementedError:  # mongomock
            raise NotSupported(
                "stats() runs the 'dbstats' command, which this database (mongomock) does "
                "not implement; use a MongoDB server."
            ) from None

    def ensure_indexes(self) -> list[str]:
        """Create the indexes of the embedded layout that are missing; return all names."""
        return ensure_indexes({"database": self.database}, EMBEDDED_INDEXES)

    def check_indexes(self) -> list[str]:
        """Describe the indexes of the embedded layout that are missing."""
        return check_indexes({"database": self.database}, EMBEDDED_INDEXES)

    def close(self) -> None:
        self._connection.close()


def _header_uid(header: Mapping[str, Any]) -> str | None:
    """The start uid of a stored ``header`` (None when it holds no start with one)."""
    starts = header.get("start") or []
    uid = starts[0].get("uid") if starts and isinstance(starts[0], Mapping) else None
    return uid if isinstance(uid, str) else None
