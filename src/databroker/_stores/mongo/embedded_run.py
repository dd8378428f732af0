"""One run of the MongoDB "embedded" layout.

Run-level documents come from the run's ``header`` document (one small projected query each);
event and datum pages are read sorted by ``first_index``, and a ``skip``/``limit`` window
selects only the pages whose index range overlaps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..._documents.classes import unpack_datum_page, unpack_event_page
from ..._documents.pages import slice_page
from ...errors import BrokenReference
from ..base import Doc, RunStore
from .common import BATCH, MongoRunBase
from .stored import (
    check_datum_page,
    check_event_page,
    checked_resource,
    location,
    unique_documents,
    unique_rows,
)

if TYPE_CHECKING:
    from .embedded import EmbeddedCatalogStore

__all__ = ["EmbeddedRun"]

_PAGE_PROJECTION = {"_id": False, "size": False}


def _windowed_pages(
    collection: Any,
    field: str,
    uid: str,
    check: Callable[[dict[str, Any]], dict[str, Any]],
    skip: int,
    limit: int | None,
) -> Iterator[dict[str, Any]]:
    """Yield the pages of ``{field: uid}``, each ``check``-ed, cut to rows ``[skip, skip +
    limit)``."""
    end = None if limit is None else skip + limit
    filter: dict[str, Any] = {field: uid}
    if skip:
        filter["last_index"] = {"$gte": skip}
    if end is not None:
        filter["first_index"] = {"$lt": end}
    position = 0
    for page in collection.find(filter, _PAGE_PROJECTION, sort=[("first_index", 1)]):
        first = page.pop("first_index", position)
        page.pop("last_index", None)
        page = check(page)
        rows = len(page["uid" if field == "descriptor" else "datum_id"])
        position = first + rows
        low = max(skip - first, 0)
        high = rows if end is None else min(end - first, rows)
        if low >= high:
            continue
        yield page if (low, high) == (0, rows) else slice_page(page, low, high)


class EmbeddedRun(MongoRunBase, RunStore):
    """The documents of one run in the embedded layout; every call asks the server, except
    for a stop already fetched with the run's start.

    Parameters
    ----------
    catalog
        The catalog store (its database and start-document cache).
    uid
        The run's start uid (the header's ``run_id``).
    start
        The start document when already known (from the listing cursor), else None.
    """

    def __init__(self, catalog: EmbeddedCatalogStore, uid: str, start: Doc | None) -> None:
        super().__init__(catalog, uid, start)
        self._catalog: EmbeddedCatalogStore = catalog
        self._db = catalog.database
        self._descriptors: dict[str, Doc] = {}

    def _header_field(self, field: str) -> Any:
        header = self._db.header.find_one({"run_id": self.uid}, {field: True, "_id": False})
        return (header or {}).get(field)

    def _header_list(self, field: str) -> list[Doc]:
        """The documents of one list of the header, each uid once."""
        kind = {"descriptors": "descriptor", "resources": "resource"}.get(field, field[:-1])
        return unique_documents(self._header_field(field) or [], kind, self.uid, self._where())

    def _where(self, collection: str = "header") -> str:
        return location(self._db, collection)

    # -- run-level documents ------------------------------------------------------------

    def descriptors(self) -> list[Doc]:
        found = sorted(self._header_list("descriptors"), key=lambda doc: doc.get("time", 0.0))
        self._descriptors.update((doc["uid"], doc) for doc in found if "uid" in doc)
        return found

    def _data_keys(self, descriptor_uid: str) -> Mapping[str, Any]:
        if descriptor_uid not in self._descriptors:
            self.descriptors()
        return (self._descriptors.get(descriptor_uid) or {}).get("data_keys") or {}

    # -- events ------------------------------------------------------------------------

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        if limit is not None and limit <= 0:
            return iter(())
        where = self._where("event")
        data_keys = self._data_keys(descriptor_uid)
        what = f"event page of descriptor {descriptor_uid!r}"

        def check(page: dict[str, Any]) -> dict[str, Any]:
            return check_event_page(page, data_keys, what, self.uid, where)

        def copies(uids: list[Any]) -> Iterator[dict[str, Any]]:
            filter = {"descriptor": descriptor_uid, "uid": {"$in": uids}}
            wanted = set(uids)
            for page in self._db.event.find(filter, _PAGE_PROJECTION):
                yield from (e for e in unpack_event_page(check(page)) if e["uid"] in wanted)

        pages = _windowed_pages(self._db.event, "descriptor", descriptor_uid, check, skip, limit)
        return unique_rows(pages, "uid", copies, "event", self.uid, where)

    def event_count(self, descriptor_uid: str) -> int:
        return self._count(self._db.event, "descriptor", descriptor_uid)

    def _count(self, collection: Any, field: str, uid: str) -> int:
        """``count_<uid>`` from the header when it is an int, else from the pages."""
        stored = self._header_field(f"count_{uid}")
        if isinstance(stored, int) and not isinstance(stored, bool):
            return stored
        cursor = collection.find({field: uid}, {"last_index": True, "_id": False})
        for page in cursor.sort("last_index", -1).limit(1):
            return int(page.get("last_index", -1)) + 1
        return 0

    # -- resources and datum ----------------------------------------------------------------

    def resources(self) -> list[Doc]:
        return self._header_list("resources")

    def resource(self, uid: str) -> Doc:
        for doc in self.resources():
            if doc.get("uid") == uid:
                return checked_resource(doc, self.uid, self._where())
        raise BrokenReference(
            f"Resource {uid!r}, referenced in run {self.uid!r}, is not in the header of the run "
            f"in database {self._db.name!r}."
        )

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        resources = {doc.get("uid"): doc for doc in self.resources()}
        head, slash, _ = datum_id.rpartition("/")
        if slash and head in resources:  # datum ids are usually '<resource uid>/<n>'
            return checked_resource(resources[head], self.uid, self._where())
        page = self._db.datum.find_one({"datum_id": datum_id}, {"resource": True})
        if page is None:
            raise BrokenReference(
                f"Datum {datum_id!r}, referenced by an event of run {self.uid!r}, is not in "
                f"database {self._db.name!r}."
            )
        return self.resource(page["resource"])

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        if limit is not None and limit <= 0:
            return iter(())
        where = self._where("datum")
        what = f"datum page of resource {resource_uid!r}"

        def check(page: dict[str, Any]) -> dict[str, Any]:
            return check_datum_page(page, what, self.uid, where)

        def copies(ids: list[Any]) -> Iterator[dict[str, Any]]:
            filter = {"resource": resource_uid, "datum_id": {"$in": ids}}
            wanted = set(ids)
            for page in self._db.datum.find(filter, _PAGE_PROJECTION):
                yield from (d for d in unpack_datum_page(check(page)) if d["datum_id"] in wanted)

        pages = _windowed_pages(self._db.datum, "resource", resource_uid, check, skip, limit)
        return unique_rows(pages, "datum_id", copies, "datum", self.uid, where)

    def datum_kwargs(self, datum_ids: Sequence[str]) -> list[tuple[Doc, Doc]]:
        unique = list(dict.fromkeys(datum_ids))
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for offset in range(0, len(unique), BATCH):
            batch = unique[offset : offset + BATCH]
            wanted = set(batch)
            for page in self._db.datum.find({"datum_id": {"$in": batch}}, _PAGE_PROJECTION):
                columns = page.get("datum_kwargs") or {}
                for row, datum_id in enumerate(page["datum_id"]):
                    if datum_id in wanted and datum_id not in found:
                        kwargs = {key: column[row] for key, column in columns.items()}
                        found[datum_id] = (page["resource"], kwargs)
        resources = {doc.get("uid"): doc for doc in self.resources()}
        where = self._where()
        result: list[tuple[Doc, Doc]] = []
        for datum_id in datum_ids:
            if datum_id not in found:
                raise BrokenReference(
                    f"Datum {datum_id!r}, referenced by an event of run {self.uid!r}, is not in "
                    f"database {self._db.name!r}."
                )
            resource_uid, kwargs = found[datum_id]
            if resource_uid not in resources:
                self.resource(resource_uid)  # raises BrokenReference naming it
            result.append((checked_resource(resources[resource_uid], self.uid, where), kwargs))
        return result

    # -- stream resources ----------------------------------------------------------------------

    def stream_resources(self) -> list[Doc]:
        return self._header_list("stream_resources")

    def stream_datum(self, descriptor_uid: str) -> list[Doc]:
        cursor = self._db.stream_datum.find({"descriptor": descriptor_uid}, {"_id": False})
        cursor = cursor.sort([("seq_nums.start", 1), ("_id", 1)])
        return unique_documents(cursor, "stream_datum", self.uid, self._where("stream_datum"))
