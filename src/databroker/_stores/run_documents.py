"""An indexed, in-process collection of one run's documents.

File stores decode a run's file into a :class:`RunDocuments`; the memory store and the
generator-backed runs fill one document by document. Consecutive single events (datum) of one
descriptor (resource) are merged into pages as they arrive, so everything above sees pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..errors import BrokenReference, DuplicateUniqueID, InvalidDocument
from .base import Doc, RunStore

__all__ = ["RunDocuments"]


def _window(pages: Iterable[dict[str, Any]], ids_key: str, skip: int, limit: int | None):
    """Yield pages cut to the window ``[skip, skip + limit)`` counted in rows."""
    stop = None if limit is None else skip + limit
    position = 0
    for page in pages:
        size = len(page[ids_key])
        begin, end = position, position + size
        position = end
        if end <= skip:
            continue
        if stop is not None and begin >= stop:
            return
        low = max(skip - begin, 0)
        high = size if stop is None else min(stop - begin, size)
        yield page if (low, high) == (0, size) else _slice_page(page, low, high)


def _slice_page(page: Mapping[str, Any], low: int, high: int) -> dict[str, Any]:
    sliced: dict[str, Any] = {}
    for key, value in page.items():
        if isinstance(value, Mapping):
            sliced[key] = {k: v[low:high] for k, v in value.items()}
        elif isinstance(value, str):
            sliced[key] = value
        else:
            sliced[key] = value[low:high]
    return sliced


class _OpenPage:
    """A page being grown from consecutive single documents."""

    __slots__ = ("keys", "page")

    def __init__(self, page: dict[str, Any], keys: tuple[str, ...]) -> None:
        self.page = page
        self.keys = keys


def _growing_page(
    open_pages: dict[str, _OpenPage],
    pages: list[dict[str, Any]],
    owner: str,
    keys: tuple[str, ...],
    new_page: Callable[[], dict[str, Any]],
) -> _OpenPage:
    """Return the page that a single document of ``owner`` with ``keys`` extends.

    The last page keeps growing while it was built from singles with the same keys;
    otherwise a new page is started and appended to ``pages``.
    """
    open_page = open_pages.get(owner)
    if open_page is None or open_page.keys != keys or not pages or pages[-1] is not open_page.page:
        page = new_page()
        pages.append(page)
        open_page = open_pages[owner] = _OpenPage(page, keys)
    return open_page


class RunDocuments(RunStore):
    """All documents of one run, indexed for the :class:`RunStore` queries.

    Parameters
    ----------
    source
        Where the documents came from (a path, ``'memory'``), for error messages.
    """

    def __init__(self, source: str = "memory") -> None:
        self.source = source
        self._start: Doc | None = None
        self._stop: Doc | None = None
        self._descriptors: dict[str, Doc] = {}
        self._event_pages: dict[str, list[dict[str, Any]]] = {}
        self._open_event_page: dict[str, _OpenPage] = {}
        self._event_uids: dict[str, tuple[str, int]] = {}
        self._resources: dict[str, Doc] = {}
        self._datum_pages: dict[str, list[dict[str, Any]]] = {}
        self._open_datum_page: dict[str, _OpenPage] = {}
        self._datum_index: dict[str, tuple[str, Mapping[str, Any]]] = {}
        self._datum_pages_indexed: dict[str, int] = {}
        self._stream_resources: dict[str, Doc] = {}
        self._stream_datum: dict[str, Doc] = {}
        self.uid = ""

    # -- ingest --------------------------------------------------------------------------

    def add(self, name: str, doc: Doc) -> None:
        """Add one document (single, page or legacy bulk form) to the run."""
        handler = getattr(self, f"_add_{name}", None)
        if handler is None:
            raise InvalidDocument(f"Unknown document name {name!r} in {self.source}.")
        handler(doc)

    def extend(self, documents: Iterable[tuple[str, Doc]]) -> None:
        """Add many ``(name, doc)`` pairs in order."""
        for name, doc in documents:
            self.add(name, doc)

    def _check_same(self, kind: str, uid: str, old: Doc, new: Doc) -> bool:
        """Return True if ``new`` is a resent identical copy; raise if it differs."""
        if _equal(old, new):
            return True
        raise DuplicateUniqueID(
            f"Two different {kind} documents share uid {uid!r} in run {self.uid!r} ({self.source})."
        )

    def _add_start(self, doc: Doc) -> None:
        if self._start is not None:
            self._check_same("start", doc.get("uid", ""), self._start, doc)
            return
        self._start = doc
        self.uid = doc["uid"]

    def _add_stop(self, doc: Doc) -> None:
        if self._stop is not None:
            self._check_same("stop", doc.get("uid", ""), self._stop, doc)
            return
        self._stop = doc

    def _add_unique(self, kind: str, table: dict[str, Doc], doc: Doc) -> bool:
        """Store ``doc`` under its uid; return False for a resent identical copy."""
        uid = doc["uid"]
        if uid in table:
            self._check_same(kind, uid, table[uid], doc)
            return False
        table[uid] = doc
        return True

    def _add_descriptor(self, doc: Doc) -> None:
        if self._add_unique("descriptor", self._descriptors, doc):
            self._event_pages.setdefault(doc["uid"], [])

    def _add_resource(self, doc: Doc) -> None:
        if self._add_unique("resource", self._resources, doc):
            self._datum_pages.setdefault(doc["uid"], [])

    def _add_stream_resource(self, doc: Doc) -> None:
        self._add_unique("stream_resource", self._stream_resources, doc)

    def _add_stream_datum(self, doc: Doc) -> None:
        self._add_unique("stream_datum", self._stream_datum, doc)

    def _add_event(self, doc: Doc) -> None:
        descriptor = doc["descriptor"]
        uid = doc["uid"]
        if uid in self._event_uids:
            self._check_same("event", uid, self._event_by_uid(uid), _event_as_stored(doc))
            return
        keys = tuple(doc["data"])
        pages = self._event_pages.setdefault(descriptor, [])
        open_page = _growing_page(
            self._open_event_page,
            pages,
            descriptor,
            keys,
            lambda: {
                "descriptor": descriptor,
                "uid": [],
                "seq_num": [],
                "time": [],
                "data": {key: [] for key in keys},
                "timestamps": {key: [] for key in keys},
                "filled": {},
            },
        )
        page = open_page.page
        row = len(page["uid"])
        page["uid"].append(uid)
        page["seq_num"].append(doc["seq_num"])
        page["time"].append(doc["time"])
        for key in keys:
            page["data"][key].append(doc["data"][key])
            page["timestamps"][key].append(doc["timestamps"][key])
        filled = doc.get("filled") or {}
        for key in filled.keys() | page["filled"].keys():
            column = page["filled"].setdefault(key, [False] * row)
            column.append(filled.get(key, False))
        self._event_uids[uid] = (descriptor, len(pages) - 1)

    def _add_event_page(self, doc: Doc) -> None:
        descriptor = doc["descriptor"]
        pages = self._event_pages.setdefault(descriptor, [])
        self._open_event_page.pop(descriptor, None)
        uids = doc["uid"]
        duplicates = [uid for uid in uids if uid in self._event_uids]
        if duplicates:
            self._add_page_with_duplicates(doc)
            return
        page = dict(doc)
        page.setdefault("filled", {})
        if page["filled"] is None:
            page["filled"] = {}
        pages.append(page)
        index = len(pages) - 1
        self._event_uids.update(dict.fromkeys(uids, (descriptor, index)))

    def _add_page_with_duplicates(self, doc: Doc) -> None:
        from .._documents.classes import unpack_event_page

        for event in unpack_event_page(doc):
            self._add_event(event)

    def _add_bulk_events(self, doc: Mapping[str, Sequence[Doc]]) -> None:
        for events in doc.values():
            for event in events:
                self._add_event(event)

    def _add_datum(self, doc: Doc) -> None:
        resource = doc["resource"]
        datum_id = doc["datum_id"]
        if datum_id in self._datum_index:
            old_resource, old_kwargs = self._datum_index[datum_id]
            self._check_same(
                "datum",
                datum_id,
                {"resource": old_resource, "datum_kwargs": old_kwargs},
                {"resource": resource, "datum_kwargs": doc["datum_kwargs"]},
            )
            return
        keys = tuple(doc["datum_kwargs"])
        pages = self._datum_pages.setdefault(resource, [])
        open_page = _growing_page(
            self._open_datum_page,
            pages,
            resource,
            keys,
            lambda: {
                "resource": resource,
                "datum_id": [],
                "datum_kwargs": {key: [] for key in keys},
            },
        )
        page = open_page.page
        page["datum_id"].append(datum_id)
        for key in keys:
            page["datum_kwargs"][key].append(doc["datum_kwargs"][key])
        self._datum_index[datum_id] = (resource, doc["datum_kwargs"])

    def _add_datum_page(self, doc: Doc) -> None:
        resource = doc["resource"]
        self._open_datum_page.pop(resource, None)
        if any(datum_id in self._datum_index for datum_id in doc["datum_id"]):
            from .._documents.classes import unpack_datum_page

            for datum in unpack_datum_page(doc):
                self._add_datum(datum)
            return
        self._datum_pages.setdefault(resource, []).append(dict(doc))
        kwargs = doc["datum_kwargs"]
        for i, datum_id in enumerate(doc["datum_id"]):
            self._datum_index[datum_id] = (resource, _LazyKwargs(kwargs, i))

    def _add_bulk_datum(self, doc: Mapping[str, Any]) -> None:
        kwarg_list = doc["datum_kwarg_list"]
        for datum_id, kwargs in zip(doc["datum_ids"], kwarg_list, strict=True):
            self._add_datum(
                {"resource": doc["resource"], "datum_id": datum_id, "datum_kwargs": kwargs}
            )

    def _event_by_uid(self, uid: str) -> dict[str, Any]:
        from .._documents.classes import unpack_event_page

        descriptor, index = self._event_uids[uid]
        page = self._event_pages[descriptor][index]
        for event in unpack_event_page(page):
            if event["uid"] == uid:
                return _event_as_stored(event)
        raise AssertionError("event index out of date")  # pragma: no cover

    # -- RunStore ------------------------------------------------------------------------

    def start(self) -> Doc:
        if self._start is None:
            raise BrokenReference(f"The run in {self.source} has no start document.")
        return self._start

    def stop(self) -> Doc | None:
        return self._stop

    def descriptors(self) -> Sequence[Doc]:
        return sorted(self._descriptors.values(), key=lambda doc: doc["time"])

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return _window(self._event_pages.get(descriptor_uid, ()), "uid", skip, limit)

    def event_count(self, descriptor_uid: str) -> int:
        return sum(len(page["uid"]) for page in self._event_pages.get(descriptor_uid, ()))

    def unknown_descriptors(self) -> list[str]:
        """Return descriptor uids that events refer to but no descriptor document defines."""
        return [uid for uid in self._event_pages if uid not in self._descriptors]

    def resources(self) -> Sequence[Doc]:
        return list(self._resources.values())

    def resource(self, uid: str) -> Doc:
        try:
            return self._resources[uid]
        except KeyError:
            raise BrokenReference(
                f"Resource {uid!r} is referenced in run {self.uid!r} ({self.source}) "
                "but no such resource document is stored."
            ) from None

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        return self.resource(self._datum_entry(datum_id)[0])

    def _datum_entry(self, datum_id: str) -> tuple[str, Mapping[str, Any]]:
        try:
            return self._datum_index[datum_id]
        except KeyError:
            raise BrokenReference(
                f"Datum {datum_id!r} is referenced in run {self.uid!r} ({self.source}) "
                "but no such datum is stored."
            ) from None

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return _window(self._datum_pages.get(resource_uid, ()), "datum_id", skip, limit)

    def datum_kwargs(self, datum_ids: Sequence[str]) -> Sequence[tuple[Doc, Doc]]:
        result = []
        for datum_id in datum_ids:
            resource_uid, kwargs = self._datum_entry(datum_id)
            result.append((self.resource(resource_uid), _as_dict(kwargs)))
        return result

    def stream_resources(self) -> Sequence[Doc]:
        return list(self._stream_resources.values())

    def stream_datum(self, descriptor_uid: str) -> Sequence[Doc]:
        found = [doc for doc in self._stream_datum.values() if doc["descriptor"] == descriptor_uid]
        return sorted(found, key=lambda doc: doc["seq_nums"]["start"])

    def is_live(self) -> bool:
        return self._stop is None


class _LazyKwargs(Mapping[str, Any]):
    """The kwargs of row ``i`` of a datum page, without copying the page."""

    __slots__ = ("_columns", "_row")

    def __init__(self, columns: Mapping[str, Sequence[Any]], row: int) -> None:
        self._columns = columns
        self._row = row

    def __getitem__(self, key: str) -> Any:
        return self._columns[key][self._row]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def as_dict(self) -> dict[str, Any]:
        """Return the kwargs as a plain dict."""
        return {key: column[self._row] for key, column in self._columns.items()}


def _as_dict(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Copy datum kwargs into a plain dict (directly from the page columns when lazy)."""
    return kwargs.as_dict() if isinstance(kwargs, _LazyKwargs) else dict(kwargs)


def _event_as_stored(event: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise an event for duplicate comparison (missing ``filled`` means empty)."""
    normalised = dict(event)
    normalised["filled"] = {k: v for k, v in (event.get("filled") or {}).items() if v is not False}
    return normalised


def _equal(a: Any, b: Any) -> bool:
    """Compare two documents, treating numpy arrays and lists with equal values as equal."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) or hasattr(a, "tolist"):
        a = a.tolist() if hasattr(a, "tolist") else a
        b = b.tolist() if hasattr(b, "tolist") else b
        if isinstance(a, list | tuple) and isinstance(b, list | tuple):
            return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except ValueError:
        return False
