"""One run of the MongoDB "normalized" layout, read with few queries.

Events and datum are stored one Mongo document each; they are read with one cursor per call
(batched, sorted) and grouped into columnar pages of at most :data:`PAGE_SIZE` rows, so a
stream of N events costs one ``find`` plus ``N / PAGE_SIZE`` batches, never a query per event.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import BrokenReference
from ..base import Doc, RunStore
from .common import BATCH, MongoRunBase, without_id

if TYPE_CHECKING:
    from .normalized import NormalizedCatalogStore

__all__ = ["PAGE_SIZE", "NormalizedRun"]

#: The most events (or datum) put into one page.
PAGE_SIZE = 2500
_NO_ID = {"_id": False}


def external_keys(descriptor: Doc) -> list[str]:
    """The data keys whose event values are datum ids (``external`` other than ``STREAM:``)."""
    return [
        key
        for key, data_key in descriptor.get("data_keys", {}).items()
        if data_key.get("external") and not str(data_key["external"]).startswith("STREAM:")
    ]


def _event_pages(
    events: Iterable[Mapping[str, Any]], descriptor_uid: str, external: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """Group single events (sorted) into pages of one key set and at most PAGE_SIZE rows."""
    page: dict[str, Any] | None = None
    keys: tuple[str, ...] = ()
    for event in events:
        data = event["data"]
        if page is None or tuple(data) != keys or len(page["uid"]) >= PAGE_SIZE:
            if page is not None:
                yield _finish_event_page(page, external)
            keys = tuple(data)
            page = {
                "descriptor": descriptor_uid,
                "uid": [],
                "seq_num": [],
                "time": [],
                "data": {key: [] for key in keys},
                "timestamps": {key: [] for key in keys},
            }
        page["uid"].append(event["uid"])
        page["seq_num"].append(event["seq_num"])
        page["time"].append(event["time"])
        timestamps = event.get("timestamps", {})
        for key in keys:
            page["data"][key].append(data[key])
            page["timestamps"][key].append(timestamps.get(key))
    if page is not None:
        yield _finish_event_page(page, external)


def _finish_event_page(page: dict[str, Any], external: Sequence[str]) -> dict[str, Any]:
    rows = len(page["uid"])
    page["filled"] = {key: [False] * rows for key in external if key in page["data"]}
    return page


def _datum_pages(datums: Iterable[Mapping[str, Any]], resource_uid: str) -> Iterator[dict]:
    """Group single datum into pages of one kwarg-name set and at most PAGE_SIZE rows."""
    page: dict[str, Any] | None = None
    keys: tuple[str, ...] = ()
    for datum in datums:
        kwargs = datum.get("datum_kwargs") or {}
        if page is None or tuple(kwargs) != keys or len(page["datum_id"]) >= PAGE_SIZE:
            if page is not None:
                yield page
            keys = tuple(kwargs)
            page = {"resource": resource_uid, "datum_id": [], "datum_kwargs": {k: [] for k in keys}}
        page["datum_id"].append(datum["datum_id"])
        for key in keys:
            page["datum_kwargs"][key].append(kwargs[key])
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
        found = list(cursor)
        self._descriptors.update((doc["uid"], doc) for doc in found)
        return found

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
        external = external_keys(descriptor) if descriptor is not None else []
        # No projection: the pages take only the fields they need, and excluding _id and
        # filled costs the server (and mongomock far more) about what it saves in transfer.
        cursor = self._mds.event.find(
            {"descriptor": descriptor_uid},
            sort=[("time", 1)],
            skip=skip,
            limit=limit or 0,
            batch_size=PAGE_SIZE,
        )
        return _event_pages(cursor, descriptor_uid, external)

    def event_count(self, descriptor_uid: str) -> int:
        return self._mds.event.count_documents({"descriptor": descriptor_uid})

    # -- resources and datum ----------------------------------------------------------------

    @staticmethod
    def _as_resource(doc: Mapping[str, Any]) -> dict[str, Any]:
        resource = without_id(doc)
        if "uid" not in resource:  # old resources are known by their ObjectId
            resource["uid"] = str(doc["_id"])
        return resource

    def resources(self) -> list[Doc]:
        found: list[Doc] = [
            self._as_resource(doc)
            for doc in self._assets.resource.find({"run_start": self.uid}, sort=[("_id", 1)])
        ]
        if not found:  # old resources carry no run_start: follow the events' datum ids
            found = self._resources_via_events()
        self._resources.update((doc["uid"], doc) for doc in found)
        return found

    def _resources_via_events(self) -> list[Doc]:
        datum_ids: dict[str, None] = {}
        for descriptor in self.descriptors():
            for key in external_keys(descriptor):
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
        return doc

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        head, slash, _ = datum_id.rpartition("/")
        if slash:  # datum ids are usually '<resource uid>/<n>': try that without a query
            doc = self._find_resource(head)
            if doc is not None:
                return doc
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
        cursor = self._assets.datum.find(
            _resource_filter(resource_uid),
            _NO_ID,
            sort=[("_id", 1)],
            skip=skip,
            limit=limit or 0,
            batch_size=PAGE_SIZE,
        )
        return _datum_pages(cursor, resource_uid)

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
        return list(cursor.sort("_id", 1))

    def stream_datum(self, descriptor_uid: str) -> list[Doc]:
        cursor = self._assets.stream_datum.find({"descriptor": descriptor_uid}, _NO_ID)
        return list(cursor.sort([("seq_nums.start", 1), ("_id", 1)]))
