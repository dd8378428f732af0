"""One run of the MongoDB "normalized" layout, read with few queries.

Events and datum are stored one Mongo document each; they are read with one cursor per call
(batched, sorted) and grouped into columnar pages of at most :data:`PAGE_SIZE` rows, so a
stream of N events costs one ``find`` plus ``N / PAGE_SIZE`` batches, never a query per event.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..._documents.datakeys import datum_keys
from ...errors import BrokenReference, InvalidDocument
from ..base import Doc, RunStore
from .common import BATCH, MongoRunBase, distinct_count, without_id
from .stored import checked_resource, location, unique_documents, unique_rows

if TYPE_CHECKING:
    from .normalized import NormalizedCatalogStore

__all__ = ["PAGE_SIZE", "NormalizedRun"]

#: The most events (or datum) put into one page.
PAGE_SIZE = 2500
_NO_ID = {"_id": False}
_METADATASTORE = frozenset({"run_start", "run_stop", "event_descriptor", "event"})


def _event_pages(
    events: Iterable[Mapping[str, Any]], descriptor_uid: str, external: Sequence[str], where: str
) -> Iterator[dict[str, Any]]:
    """Group single events (sorted) into pages of one key set and at most PAGE_SIZE rows."""
    page: dict[str, Any] | None = None
    keys: tuple[str, ...] = ()
    for event in events:
        try:
            data = event["data"]
            if page is None or tuple(data) != keys or len(page["uid"]) >= PAGE_SIZE:
                if page is not None:
                    yield _finish_event_page(page, external)
                keys = tuple(data)
                page = _empty_event_page(descriptor_uid, keys)
            uid, seq_num, time = event["uid"], event["seq_num"], event["time"]
            timestamps = event.get("timestamps") or {}
            for key in keys:
                page["data"][key].append(data[key])
                page["timestamps"][key].append(timestamps.get(key))
        except (KeyError, TypeError, AttributeError):
            raise _malformed(event, "event", ("uid", "data", "time", "seq_num"), where) from None
        page["uid"].append(uid)
        page["seq_num"].append(seq_num)
        page["time"].append(time)
    if page is not None:
        yield _finish_event_page(page, external)


def _empty_event_page(descriptor_uid: str, keys: Sequence[str]) -> dict[str, Any]:
    return {
        "descriptor": descriptor_uid,
        "uid": [],
        "seq_num": [],
        "time": [],
        "data": {key: [] for key in keys},
        "timestamps": {key: [] for key in keys},
    }


def _malformed(doc: Mapping[str, Any], kind: str, fields: Sequence[str], where: str) -> Exception:
    """InvalidDocument naming a stored single event/datum that lacks a field it needs."""
    missing = [field for field in fields if field not in doc]
    problem = f"it has no {', '.join(map(repr, missing))}" if missing else "a field has a bad type"
    if kind == "event" and not isinstance(doc.get("data", {}), Mapping):
        problem = f"its 'data' is {type(doc['data']).__name__}, not a mapping"
    name = doc.get("uid" if kind == "event" else "datum_id")
    return InvalidDocument(
        f"The {kind} {name!r} (_id {doc.get('_id')!r}) in {where} is malformed: {problem}. "
        "Rewrite or remove it."
    )


def _finish_event_page(page: dict[str, Any], external: Sequence[str]) -> dict[str, Any]:
    rows = len(page["uid"])
    page["filled"] = {key: [False] * rows for key in external if key in page["data"]}
    return page


def _datum_pages(
    datums: Iterable[Mapping[str, Any]], resource_uid: str, where: str
) -> Iterator[dict]:
    """Group single datum into pages of one kwarg-name set and at most PAGE_SIZE rows."""
    page: dict[str, Any] | None = None
    keys: tuple[str, ...] = ()
    for datum in datums:
        try:
            kwargs = datum.get("datum_kwargs") or {}
            if page is None or tuple(kwargs) != keys or len(page["datum_id"]) >= PAGE_SIZE:
                if page is not None:
                    yield page
                keys = tuple(kwargs)
                page = {
                    "resource": resource_uid,
                    "datum_id": [],
                    "datum_kwargs": {k: [] for k in keys},
                }
            datum_id = datum["datum_id"]
            for key in keys:
                page["datum_kwargs"][key].append(kwargs[key])
        except (KeyError, TypeError, AttributeError):
            raise _malformed(datum, "datum", ("datum_id",), where) from None
        page["datum_id"].append(datum_id)
    if page is not None:
        yield page


def _resource_filter(uid: str) -> dict[str, Any]:
    """Match datum of a resource, also when old data refers to it by its ObjectId."""
    from bson import ObjectId

    if ObjectId.is_valid(uid):
        return {"resource": {"$in": [uid, ObjectId(uid)]}}
    return {"resource": uid}


class NormalizedRun(MongoRunBase, RunStore):
    """The documents of one run in the normalized layout; every call asks the server, except
    for a stop already fetched with the run's listing batch.

    Parameters
    ----------
    catalog
        The catalog store (its databases and start-document cache).
    uid
        The run's start uid.
    start
        The start document when already known (from the listing cursor), else None.
    """

    def __init__(self, catalog: NormalizedCatalogStore, uid: str, start: Doc | None) -> None:
        super().__init__(catalog, uid, start)
        self._catalog: NormalizedCatalogStore = catalog
        self._mds = catalog.metadatastore
        self._assets = catalog.assets
        self._descriptors: dict[str, Doc] = {}
        self._resources: dict[str, Doc] = {}

    # -- run-level documents ------------------------------------------------------------

    def descriptors(self) -> list[Doc]:
        cursor = self._mds.event_descriptor.find(
            {"run_start": self.uid}, _NO_ID, sort=[("time", 1), ("_id", 1)]
        )
        found = unique_documents(cursor, "descriptor", self.uid, self._where("event_descriptor"))
        self._descriptors.update((doc["uid"], doc) for doc in found)
        return found

    def _where(self, collection: str) -> str:
        database = self._mds if collection in _METADATASTORE else self._assets
        return location(database, collection)

    def _descriptor(self, uid: str) -> Doc | None:
        if uid not in self._descriptors:
            doc = self._mds.event_descriptor.find_one({"uid": uid}, _NO_ID)
            if doc is None:
                return None
            self._descriptors[uid] = doc
        return self._descriptors[uid]

    # -- events ------------------------------------------------------------------------

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        if limit is not None and limit <= 0:
            return iter(())
        descriptor = self._descriptor(descriptor_uid)
        external = datum_keys(descriptor) if descriptor is not None else []
        # No projection: the pages take only the fields they need, and excluding _id and
        # filled costs the server (and mongomock far more) about what it saves in transfer.
        cursor = self._mds.event.find(
            {"descriptor": descriptor_uid},
            sort=[("time", 1)],
            skip=skip,
            limit=limit or 0,
            batch_size=PAGE_SIZE,
        )
        where = self._where("event")
        pages = _event_pages(cursor, descriptor_uid, external, where)

        def copies(uids: list[Any]) -> Iterable[Mapping[str, Any]]:
            return self._mds.event.find({"descriptor": descriptor_uid, "uid": {"$in": uids}})

        return unique_rows(pages, "uid", copies, "event", self.uid, where)

    def event_count(self, descriptor_uid: str) -> int:
        # Distinct uids: an event stored twice is read (and counted) once.
        return distinct_count(self._mds.event, [{"$match": {"descriptor": descriptor_uid}}], "$uid")

    # -- resources and datum ----------------------------------------------------------------

    @staticmethod
    def _as_resource(doc: Mapping[str, Any]) -> dict[str, Any]:
        resource = without_id(doc)
        if "uid" not in resource:  # old resources are known by their ObjectId
            resource["uid"] = str(doc["_id"])
        return resource

    def resources(self) -> list[Doc]:
        cursor = self._assets.resource.find({"run_start": self.uid}, sort=[("_id", 1)])
        resources = (self._as_resource(doc) for doc in cursor)
        found = unique_documents(resources, "resource", self.uid, self._where("resource"))
        if not found:  # old resources carry no run_start: follow the events' datum ids
            found = self._resources_via_events()
        self._resources.update((doc["uid"], doc) for doc in found)
        return found

    def _resources_via_events(self) -> list[Doc]:
        datum_ids: dict[str, None] = {}
        for descriptor in self.descriptors():
            for key in datum_keys(descriptor):
                values = self._mds.event.distinct(f"data.{key}", {"descriptor": descriptor["uid"]})
                datum_ids.update(dict.fromkeys(v for v in values if isinstance(v, str)))
        resource_uids: dict[str, None] = {}
        ids = list(datum_ids)
        for offset in range(0, len(ids), BATCH):
            batch = ids[offset : offset + BATCH]
            for uid in self._assets.datum.distinct("resource", {"datum_id": {"$in": batch}}):
                resource_uids[str(uid)] = None
        found: list[Doc] = []
        for uid in resource_uids:
            doc = self._find_resource(uid)
            if doc is not None:
                found.append(doc)
        return found

    def _find_resource(self, uid: str) -> Doc | None:
        if uid in self._resources:
            return self._resources[uid]
        for doc in self._assets.resource.find({"uid": uid}).sort("_id", 1).limit(1):
            self._resources[uid] = self._as_resource(doc)
            return self._resources[uid]
        from bson import ObjectId

        if ObjectId.is_valid(uid):
            doc = self._assets.resource.find_one({"_id": ObjectId(uid)})
            if doc is not None:
                self._resources[uid] = self._as_resource(doc)
                return self._resources[uid]
        return None

    def resource(self, uid: str) -> Doc:
        doc = self._find_resource(uid)
        if doc is None:
            raise BrokenReference(
                f"Resource {uid!r}, referenced in run {self.uid!r}, is not in the "
                f"asset-registry database {self._assets.name!r}."
            )
        return checked_resource(doc, self.uid, self._where("resource"))

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        head, slash, _ = datum_id.rpartition("/")
        if slash:  # datum ids are usually '<resource uid>/<n>': try that without a query
            doc = self._find_resource(head)
            if doc is not None:
                return checked_resource(doc, self.uid, self._where("resource"))
        datum = self._assets.datum.find_one({"datum_id": datum_id}, {"resource": True})
        if datum is None:
            raise BrokenReference(
                f"Datum {datum_id!r}, referenced by an event of run {self.uid!r}, is not in the "
                f"asset-registry database {self._assets.name!r}."
            )
        return self.resource(str(datum["resource"]))

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        if limit is not None and limit <= 0:
            return iter(())
        filter = _resource_filter(resource_uid)
        cursor = self._assets.datum.find(
            filter, _NO_ID, sort=[("_id", 1)], skip=skip, limit=limit or 0, batch_size=PAGE_SIZE
        )
        where = self._where("datum")

        def copies(ids: list[Any]) -> Iterable[Mapping[str, Any]]:
            return self._assets.datum.find({**filter, "datum_id": {"$in": ids}})

        pages = _datum_pages(cursor, resource_uid, where)
        return unique_rows(pages, "datum_id", copies, "datum", self.uid, where)

    def datum_kwargs(self, datum_ids: Sequence[str]) -> list[tuple[Doc, Doc]]:
        unique = list(dict.fromkeys(datum_ids))
        found: dict[str, Mapping[str, Any]] = {}
        for offset in range(0, len(unique), BATCH):
            batch = unique[offset : offset + BATCH]
            for doc in self._assets.datum.find({"datum_id": {"$in": batch}}, _NO_ID):
                found.setdefault(doc["datum_id"], doc)
        result: list[tuple[Doc, Doc]] = []
        for datum_id in datum_ids:
            doc = found.get(datum_id)
            if doc is None:
                raise BrokenReference(
                    f"Datum {datum_id!r}, referenced by an event of run {self.uid!r}, is not in "
                    f"the asset-registry database {self._assets.name!r}."
                )
            result.append((self.resource(str(doc["resource"])), doc.get("datum_kwargs") or {}))
        return result

    # -- stream resources ----------------------------------------------------------------------

    def stream_resources(self) -> list[Doc]:
        cursor = self._assets.stream_resource.find({"run_start": self.uid}, _NO_ID)
        where = self._where("stream_resource")
        return unique_documents(cursor.sort("_id", 1), "stream_resource", self.uid, where)

    def stream_datum(self, descriptor_uid: str) -> list[Doc]:
        cursor = self._assets.stream_datum.find({"descriptor": descriptor_uid}, _NO_ID)
        cursor = cursor.sort([("seq_nums.start", 1), ("_id", 1)])
        return unique_documents(cursor, "stream_datum", self.uid, self._where("stream_datum"))
