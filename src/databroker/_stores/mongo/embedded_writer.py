"""Write documents into the MongoDB "embedded" layout, as suitcase-mongo does.

The run's ``header`` is upserted by ``run_id`` and grows with ``$push``; event and datum rows
are appended to the descriptor's (resource's) open page with one plain ``update_one``
(``$push``/``$each``, ``$inc size``, ``$min first_index``, ``$max last_index``, upsert), which
starts a new page once the open one reaches the page size. Counts are set at stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._documents.classes import (
    pack_datum_page,
    pack_event_page,
    unpack_datum_page,
    unpack_event_page,
)
from ..._documents.routing import DocumentRouter
from .common import check_same, sanitized

__all__ = ["PAGE_BYTES", "EmbeddedWriter"]

#: A page takes rows until its ``size`` (BSON bytes pushed into it) reaches this.
PAGE_BYTES = 5_000_000
_HEADER_LISTS = {
    "start": "start",
    "descriptor": "descriptors",
    "resource": "resources",
    "stream_resource": "stream_resources",
    "stop": "stop",
}


class EmbeddedWriter:
    """A callable ``(name, doc)`` writing into one embedded-layout database.

    Parameters
    ----------
    database
        A pymongo/mongomock ``Database``.
    page_bytes
        The size at which a page stops taking rows.
    """

    def __init__(self, database: Any, page_bytes: int = PAGE_BYTES) -> None:
        self._db = database
        self._page_bytes = page_bytes
        self._router = DocumentRouter()
        #: rows written so far per descriptor / resource uid (the next row's position)
        self._positions: dict[str, int] = {}
        #: the descriptor and resource uids of each open run, for the counts set at stop
        self._members: dict[str, dict[str, str]] = {}

    def __call__(self, name: str, doc: Mapping[str, Any]) -> None:
        runs = self._router.route(name, doc)
        try:
            self._write(name, sanitized(doc), runs)
        except BaseException:
            if name == "start":  # nothing was stored: let the start be sent again
                self._router.discard(runs[0])
            raise

    def _write(self, name: str, doc: dict[str, Any], runs: list[str]) -> None:
        if name in ("event", "event_page"):
            page = pack_event_page([doc]) if name == "event" else doc
            self._append_rows("event", page, "descriptor", "uid", unpack_event_page)
        elif name in ("datum", "datum_page"):
            page = pack_datum_page([doc]) if name == "datum" else doc
            self._append_rows("datum", page, "resource", "datum_id", unpack_datum_page)
        elif name == "stream_datum":
            self._insert_stream_datum(doc)
        else:
            if name == "start":
                self._members[runs[0]] = {}
            for run in runs:
                if name in ("descriptor", "resource"):
                    self._members[run][doc["uid"]] = name
                self._push_header(run, name, doc)

    # -- header ---------------------------------------------------------------------------

    def _push_header(self, run: str, name: str, doc: dict[str, Any]) -> None:
        field = _HEADER_LISTS[name]
        header = self._db.header.find_one({"run_id": run}, {field: True})
        for stored in (header or {}).get(field) or []:
            if stored.get("uid") == doc["uid"]:
                check_same(name, "uid", stored, doc, f"{self._db.name}.header")
                return
        update: dict[str, Any] = {"$push": {field: doc}}
        if name == "stop":
            update["$set"] = self._counts(run)
        self._db.header.update_one({"run_id": run}, update, upsert=True)

    def _counts(self, run: str) -> dict[str, int]:
        members = self._members.pop(run, {})
        counts = {f"count_{uid}": self._positions.get(uid, 0) for uid in members}
        for uid, kind in members.items():
            if kind == "descriptor":  # a resource may be shared with runs still open
                self._positions.pop(uid, None)
        return {
            "event_count": sum(
                counts[f"count_{u}"] for u, k in members.items() if k == "descriptor"
            ),
            "datum_count": sum(counts[f"count_{u}"] for u, k in members.items() if k == "resource"),
            **counts,
        }

    # -- pages ----------------------------------------------------------------------------

    def _append_rows(
        self, collection_name: str, page: dict[str, Any], owner: str, ids_key: str, unpack: Any
    ) -> None:
        collection = self._db[collection_name]
        ids = list(page[ids_key])
        stored_pages = list(collection.find({ids_key: {"$in": ids}}))
        if stored_pages:
            unstored = self._unstored_rows(collection_name, page, ids_key, stored_pages, unpack)
            if unstored is None:
                return
            page = unstored
        rows = len(page[ids_key])
        first = self._positions.get(page[owner], 0)
        self._positions[page[owner]] = first + rows
        from bson import encode

        push: dict[str, Any] = {}
        for key, value in page.items():
            if isinstance(value, Mapping):
                push.update({f"{key}.{k}": {"$each": list(v)} for k, v in value.items()})
            elif key != owner:
                push[key] = {"$each": list(value)}
        collection.update_one(
            {owner: page[owner], "size": {"$lt": self._page_bytes}},
            {
                "$push": push,
                "$inc": {"size": len(encode(page))},
                "$min": {"first_index": first},
                "$max": {"last_index": first + rows - 1},
            },
            upsert=True,
        )

    def _unstored_rows(
        self,
        kind: str,
        page: dict[str, Any],
        ids_key: str,
        stored_pages: list[Mapping[str, Any]],
        unpack: Any,
    ) -> dict[str, Any] | None:
        """Check resent rows against the stored ones; return a page of the new rows or None."""
        stored = {row[ids_key]: row for p in stored_pages for row in unpack(p)}
        new = []
        for row in unpack(page):
            if row[ids_key] in stored:
                check_same(kind, ids_key, stored[row[ids_key]], row, f"{self._db.name}.{kind}")
            else:
                new.append(row)
        if not new:
            return None
        return pack_event_page(new) if kind == "event" else pack_datum_page(new)

    def _insert_stream_datum(self, doc: dict[str, Any]) -> None:
        stored = self._db.stream_datum.find_one({"uid": doc["uid"]})
        if stored is not None:
            check_same("stream_datum", "uid", stored, doc, f"{self._db.name}.stream_datum")
            return
        self._db.stream_datum.insert_one(doc)
