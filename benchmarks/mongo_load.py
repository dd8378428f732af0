"""Bulk loading of benchmark data into the two MongoDB layouts, without databroker's writers.

The writers check every page for already-stored uids with a ``$in`` query. A server answers
that from its index; mongomock scans the collection and compares every stored uid with every
queried one, so writing the full-size ``wide`` run through a writer takes hours there. The
workloads only need the data in place, so these functions build exactly the documents the
writers store and insert them with a few ``insert_many`` calls (the ``write`` workload still
times the writers). ``tests/mongo/test_benchmark_loading.py`` checks that both ways store the
same documents.

Only what the benchmark data holds is handled: runs one after another, each made of a start,
descriptors, resources, event and datum pages, and a stop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bson import encode

from databroker._documents.classes import unpack_datum_page, unpack_event_page
from databroker._stores.mongo.common import sanitized
from databroker._stores.mongo.embedded_writer import PAGE_BYTES

__all__ = ["load_embedded", "load_normalized"]

Docs = Iterable[tuple[str, Mapping[str, Any]]]

_NORMALIZED = {
    "start": ("metadatastore", "run_start"),
    "descriptor": ("metadatastore", "event_descriptor"),
    "stop": ("metadatastore", "run_stop"),
    "event_page": ("metadatastore", "event"),
    "resource": ("assets", "resource"),
    "datum_page": ("assets", "datum"),
}
_UNPACK = {"event_page": unpack_event_page, "datum_page": unpack_datum_page}
# Documents inserted per insert_many call (keeps each batch's memory small).
_CHUNK = 10_000


def _kind_of(name: str, known: Mapping[str, Any]) -> None:
    if name not in known:
        raise ValueError(f"The bulk loader takes {sorted(known)}, not {name!r} documents.")


def _insert(collection: Any, docs: list[dict[str, Any]]) -> None:
    for offset in range(0, len(docs), _CHUNK):
        collection.insert_many(docs[offset : offset + _CHUNK], ordered=True)


def load_normalized(metadatastore: Any, assets: Any, docs: Docs) -> None:
    """Insert ``docs`` as the normalized writer stores them: one Mongo document each, pages
    unpacked into single events and datum."""
    databases = {"metadatastore": metadatastore, "assets": assets}
    pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for name, doc in docs:
        _kind_of(name, _NORMALIZED)
        rows = _UNPACK[name](doc) if name in _UNPACK else [doc]
        pending.setdefault(_NORMALIZED[name], []).extend(sanitized(row) for row in rows)
    for (role, collection), stored in pending.items():
        _insert(databases[role][collection], stored)


class _EmbeddedRun:
    """One run's header and its growing event and datum pages, as the embedded writer keeps
    them: rows join their owner's open page until its ``size`` reaches the page size."""

    def __init__(self, start: dict[str, Any]) -> None:
        self.header: dict[str, Any] = {"run_id": start["uid"], "start": [start]}
        self.pages: dict[str, list[dict[str, Any]]] = {"event": [], "datum": []}
        self._open: dict[str, dict[str, Any]] = {}  # owner uid -> its open page
        self._rows: dict[str, int] = {}  # owner uid -> rows so far
        self._members: dict[str, str] = {}  # descriptor/resource uid -> "descriptors"/...

    def add_member(self, field: str, doc: dict[str, Any]) -> None:
        self.header.setdefault(field, []).append(doc)
        self._members[doc["uid"]] = field

    def add_page(self, collection: str, owner_key: str, page: dict[str, Any]) -> None:
        owner = page[owner_key]
        first = self._rows.get(owner, 0)
        rows = len(page["uid" if collection == "event" else "datum_id"])
        self._rows[owner] = first + rows
        stored = self._open.get(owner)
        if stored is None or stored["size"] >= PAGE_BYTES:
            stored = self._open[owner] = {owner_key: owner, "size": 0, "first_index": first}
            self.pages[collection].append(stored)
        for key, value in page.items():
            if isinstance(value, Mapping):
                for name, column in value.items():
                    stored.setdefault(key, {}).setdefault(name, []).extend(column)
            elif key != owner_key:
                stored.setdefault(key, []).extend(value)
        stored["size"] += len(encode(page))
        stored["last_index"] = first + rows - 1

    def finish(self, stop: dict[str, Any]) -> None:
        self.header["stop"] = [stop]
        counts = {uid: self._rows.get(uid, 0) for uid in self._members}
        totals = {"descriptors": 0, "resources": 0}
        for uid, field in self._members.items():
            totals[field] += counts[uid]
        self.header["event_count"] = totals["descriptors"]
        self.header["datum_count"] = totals["resources"]
        self.header.update({f"count_{uid}": count for uid, count in counts.items()})


def load_embedded(database: Any, docs: Docs) -> None:
    """Insert ``docs`` as the embedded writer stores them: a header per run, event and datum
    rows in pages that grow to the writer's page size."""
    headers: list[dict[str, Any]] = []
    pages: dict[str, list[dict[str, Any]]] = {"event": [], "datum": []}
    run: _EmbeddedRun | None = None
    known = dict.fromkeys(("start", "descriptor", "resource", "event_page", "datum_page", "stop"))
    for name, original in docs:
        _kind_of(name, known)
        doc = sanitized(original)
        if name == "start":
            run = _EmbeddedRun(doc)
            continue
        if run is None:
            raise ValueError(f"A {name!r} document came before any start.")
        if name == "descriptor":
            run.add_member("descriptors", doc)
        elif name == "resource":
            run.add_member("resources", doc)
        elif name == "event_page":
            run.add_page("event", "descriptor", doc)
        elif name == "datum_page":
            run.add_page("datum", "resource", doc)
        else:
            run.finish(doc)
            headers.append(run.header)
            for collection, stored in run.pages.items():
                pages[collection].extend(stored)
            run = None
    _insert(database.header, headers)
    for collection, stored in pages.items():
        _insert(database[collection], stored)
