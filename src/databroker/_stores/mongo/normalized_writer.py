"""Write documents into the MongoDB "normalized" layout, as suitcase-mongo does.

One insert per start, descriptor, resource, stream resource, stream datum and stop; event and
datum pages are unpacked into single documents and inserted with ``insert_many``. A uid already
stored with identical content is skipped, with different content it is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._documents.classes import unpack_datum_page, unpack_event_page
from ..._documents.routing import DocumentRouter
from .common import check_same, sanitized

__all__ = ["NormalizedWriter"]

# name -> (database role, collection, unique key)
_TARGETS = {
    "start": ("metadatastore", "run_start", "uid"),
    "stop": ("metadatastore", "run_stop", "uid"),
    "descriptor": ("metadatastore", "event_descriptor", "uid"),
    "event": ("metadatastore", "event", "uid"),
    "resource": ("assets", "resource", "uid"),
    "datum": ("assets", "datum", "datum_id"),
    "stream_resource": ("assets", "stream_resource", "uid"),
    "stream_datum": ("assets", "stream_datum", "uid"),
}


class NormalizedWriter:
    """A callable ``(name, doc)`` writing into a metadatastore and an asset-registry database.

    Parameters
    ----------
    metadatastore, assets
        pymongo/mongomock ``Database`` objects.
    """

    def __init__(self, metadatastore: Any, assets: Any) -> None:
        self._databases = {"metadatastore": metadatastore, "assets": assets}
        self._router = DocumentRouter()

    def __call__(self, name: str, doc: Mapping[str, Any]) -> None:
        runs = self._router.route(name, doc)
        try:
            if name == "event_page":
                self._insert("event", [sanitized(e) for e in unpack_event_page(doc)])
            elif name == "datum_page":
                self._insert("datum", [sanitized(d) for d in unpack_datum_page(doc)])
            else:
                self._insert(name, [sanitized(doc)])
        except BaseException:
            if name == "start":  # nothing was stored: let the start be sent again
                self._router.discard(runs[0])
            raise

    def _insert(self, kind: str, docs: list[dict[str, Any]]) -> None:
        from pymongo.errors import BulkWriteError, DuplicateKeyError

        role, collection_name, key = _TARGETS[kind]
        collection = self._databases[role][collection_name]
        where = f"{self._databases[role].name}.{collection_name}"
        new = self._unstored(kind, collection, docs, key, where)
        if not new:
            return
        try:
            collection.insert_many(new, ordered=True)
        except (BulkWriteError, DuplicateKeyError):
            # Another writer stored some of them in between: accept identical copies only.
            remaining = self._unstored(kind, collection, new, key, where)
            if remaining:
                collection.insert_many(remaining, ordered=True)

    @staticmethod
    def _unstored(
        kind: str, collection: Any, docs: list[dict[str, Any]], key: str, where: str
    ) -> list[dict[str, Any]]:
        """Return the documents not stored yet, checking stored ones for identical content."""
        ids = [doc[key] for doc in docs]
        stored: dict[Any, Mapping[str, Any]] = {}
        for found in collection.find({key: {"$in": ids}}):
            stored.setdefault(found[key], found)
        new: list[dict[str, Any]] = []
        for doc in docs:
            old = stored.get(doc[key])
            if old is not None:
                check_same(kind, key, old, doc, where)
                continue
            stored[doc[key]] = doc  # the same id twice in one page
            new.append(doc)
        return new
