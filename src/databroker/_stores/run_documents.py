"""An indexed, in-process collection of one run's documents.

File stores decode a run's file into a :class:`RunDocuments`; the memory store and the
generator-backed runs fill one document by document. Consecutive single events (datum) of one
descriptor (resource), sent as single documents or as one-row pages, are merged into pages as
they arrive, so everything above sees pages. A page being grown is sealed (and never changed
again) before anything reads it, so pages handed out stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from .._documents.pages import window_pages
from ..errors import BrokenReference, DuplicateUniqueID, InvalidDocument
from .base import Doc, RunStore
from .document_checks import document_problem, one_row_page_is_sound
from .single_events import EventRows, GrowingEventPage, number_column, one_row_pages

__all__ = ["RunDocuments"]


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
        # Pages of each descriptor; the last may be a GrowingEventPage until sealed.
        self._event_pages: dict[str, list[Any]] = {}
        self._growing: dict[str, GrowingEventPage] = {}
        self._growing_location: dict[str, tuple[str, int]] = {}
        # uid -> (descriptor, page index); the row is found through _row_maps when needed.
        self._event_uids: dict[str, tuple[str, int]] = {}
        self._row_maps: dict[tuple[str, int], dict[str, int]] = {}
        self._resources: dict[str, Doc] = {}
        self._datum_pages: dict[str, list[dict[str, Any]]] = {}
        self._open_datum_page: dict[str, _OpenPage] = {}
        self._datum_index: dict[str, tuple[str, Mapping[str, Any]]] = {}
        self._datum_pages_indexed: dict[str, int] = {}
        self._stream_resources: dict[str, Doc] = {}
        self._stream_datum: dict[str, Doc] = {}
        self.uid = ""
        self._handlers: dict[str, Callable[[Doc], None]] = {
            name: getattr(self, f"_add_{name}") for name in _DOCUMENT_NAMES
        }

    # -- ingest --------------------------------------------------------------------------

    def add(self, name: str, doc: Doc) -> None:
        """Add one document (single, page or legacy bulk form) to the run.

        Raises
        ------
        InvalidDocument
            An unknown name, or a document whose structure is wrong (a link that is no
            string, ``data`` that is no mapping, page columns of different lengths, ...).
        DuplicateUniqueID
            A uid already added with different content.
        """
        if name == "event_page" and one_row_page_is_sound(doc):
            # How a RunEngine's events are stored: checked in a few C-level tests (the
            # same that document_problem starts with), added without a loop over the keys.
            self._add_one_row_page(doc)
            return
        handler = self._handlers.get(name)
        if handler is None:
            raise InvalidDocument(f"Unknown document name {name!r} in {self.source}.")
        problem = document_problem(name, doc)
        if problem is not None:
            raise InvalidDocument(
                f"{_describe(name, doc)} in {self.source} is malformed: {problem}."
            )
        handler(doc)

    def add_one_row_pages(self, pages: list[Any]) -> bool:
        """Add consecutive one-event ``event_page`` documents at once, if all are sound.

        Returns
        -------
        bool
            False, adding nothing, unless every page passes the checks that :meth:`add`
            makes of a one-event page, all belong to one descriptor, share one set of data
            keys, have no ``filled`` entries and uids not seen before: then :meth:`add` them
            one by one, which says what is wrong, if anything.
        """
        if not pages or type(pages[0]) is not dict:
            return False
        descriptor = pages[0].get("descriptor")
        growing = self._growing.get(descriptor) if type(descriptor) is str else None
        rows = one_row_pages(pages, growing.keys if growing is not None else None)
        if rows is None and growing is not None:  # other keys than the page being grown
            rows, growing = one_row_pages(pages), None
        if rows is None or not self._event_uids.keys().isdisjoint(rows.uid):
            return False
        if growing is None:
            growing = self._grow(rows.descriptor, rows.keys)
        growing.append_rows(rows)
        self._event_uids.update(dict.fromkeys(rows.uid, self._growing_location[rows.descriptor]))
        return True

    def add_event_rows(self, rows: EventRows) -> bool:
        """Add consecutive events that a file reader decoded straight into columns, as if
        their one-event pages had been added one by one.

        The reader checked each page as :meth:`add` would; here only what needs the run:
        False, adding nothing, if a uid is already known (then add the pages one by one).
        """
        if not self._event_uids.keys().isdisjoint(rows.uid):
            return False
        growing = self._growing.get(rows.descriptor)
        if growing is None or set(growing.keys) != set(rows.keys):
            growing = self._grow(rows.descriptor, rows.keys)
        growing.append_columns(rows)
        self._event_uids.update(dict.fromkeys(rows.uid, self._growing_location[rows.descriptor]))
        return True

    def seal(self) -> None:
        """Close the pages being grown from single documents: later ones start new pages."""
        if self._growing:
            for descriptor, growing in self._growing.items():
                pages = self._event_pages[descriptor]
                pages[-1] = growing.seal()
            self._growing.clear()
        self._open_datum_page.clear()

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
        uid = doc["uid"]
        if uid in self._event_uids:
            self._check_same("event", uid, self._event_by_uid(uid), _event_as_stored(doc))
            return
        descriptor = doc["descriptor"]
        growing = self._growing.get(descriptor)
        if growing is None or not growing.append_event(doc):
            growing = self._grow(descriptor, tuple(doc["data"]))
            if not growing.append_event(doc):  # timestamps lack a data key, or uid etc.
                raise KeyError(f"timestamps, uid, seq_num or time of event {uid!r}")
        self._event_uids[uid] = self._growing_location[descriptor]

    def _grow(self, descriptor: str, keys: tuple[str, ...]) -> GrowingEventPage:
        """Start a new page growing from single events (sealing the one growing before)."""
        pages = self._event_pages.setdefault(descriptor, [])
        growing = self._growing.get(descriptor)
        if growing is not None:
            pages[-1] = growing.seal()
        growing = self._growing[descriptor] = GrowingEventPage(descriptor, keys)
        pages.append(growing)
        self._growing_location[descriptor] = (descriptor, len(pages) - 1)
        return growing

    def _add_one_row_page(self, doc: Doc) -> None:
        """Add a page that ``one_row_page_is_sound`` accepted."""
        descriptor = doc["descriptor"]
        uid = doc["uid"][0]
        if uid not in self._event_uids:
            growing = self._growing.get(descriptor)
            if growing is not None and growing.append_sound_page(doc):
                self._event_uids[uid] = self._growing_location[descriptor]
                return
        self._add_event_page(doc)

    def _add_event_page(self, doc: Doc) -> None:
        descriptor = doc["descriptor"]
        uids = doc["uid"]
        if len(uids) == 1 and uids[0] not in self._event_uids:
            growing = self._growing.get(descriptor)
            if growing is not None and growing.append_page(doc):  # the common case
                self._event_uids[uids[0]] = self._growing_location[descriptor]
                return
            candidate = GrowingEventPage(descriptor, tuple(doc["data"]))
            if candidate.append_page(doc):
                self._grow(descriptor, candidate.keys)
                self._growing[descriptor] = candidate
                self._event_pages[descriptor][-1] = candidate
                self._event_uids[uids[0]] = self._growing_location[descriptor]
                return
        pages = self._event_pages.setdefault(descriptor, [])
        growing = self._growing.pop(descriptor, None)
        if growing is not None:
            pages[-1] = growing.seal()
        located = dict.fromkeys(uids, (descriptor, len(pages)))  # each uid hashed once
        if not self._event_uids.keys().isdisjoint(located):
            self._add_page_with_duplicates(doc)
            return
        page = dict(doc)
        page.setdefault("filled", {})
        if page["filled"] is None:
            page["filled"] = {}
        # Kept columnar: numbers as numpy arrays take a quarter of the memory of lists of
        # Python numbers, and the assembly concatenates them without converting again.
        for key in ("data", "timestamps"):
            page[key] = {name: number_column(column) for name, column in page[key].items()}
        page["time"] = number_column(page["time"])
        pages.append(page)
        self._event_uids.update(located)

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
        single = _single_datum(doc)
        if single is not None:
            self._add_datum(single)
            return
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
        """Return the stored event ``uid`` (one row of its page, not the page unpacked)."""
        location = self._event_uids[uid]
        page = self._event_pages[location[0]][location[1]]
        row = self._row_of(uid, location, page)
        if isinstance(page, GrowingEventPage):
            return _event_as_stored(page.event(row))
        return _event_as_stored(_page_row(page, row))

    def _row_of(self, uid: str, location: tuple[str, int], page: Any) -> int:
        """The row of ``uid`` in its page, through a uid -> row map extended as pages grow."""
        rows = self._row_maps.setdefault(location, {})
        if uid not in rows:
            uids = page.uid if isinstance(page, GrowingEventPage) else page["uid"]
            for row in range(len(rows), len(uids)):
                rows.setdefault(uids[row], row)
        return rows[uid]

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
        self.seal()
        # A copy of the page list: pages appended meanwhile are not half seen.
        return window_pages(list(self._event_pages.get(descriptor_uid, ())), "uid", skip, limit)

    def event_count(self, descriptor_uid: str) -> int:
        return sum(len(page["uid"]) for page in self._sealed_pages(descriptor_uid))

    def _sealed_pages(self, descriptor_uid: str) -> list[Any]:
        self.seal()
        return list(self._event_pages.get(descriptor_uid, ()))

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
        self.seal()
        return window_pages(list(self._datum_pages.get(resource_uid, ())), "datum_id", skip, limit)

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


_DOCUMENT_NAMES = (
    "start",
    "stop",
    "descriptor",
    "resource",
    "stream_resource",
    "stream_datum",
    "event",
    "event_page",
    "bulk_events",
    "datum",
    "datum_page",
    "bulk_datum",
)


def _page_row(page: Mapping[str, Any], row: int) -> dict[str, Any]:
    """Return row ``row`` of an event page as an event document."""
    return {
        "descriptor": page["descriptor"],
        "uid": page["uid"][row],
        "seq_num": page["seq_num"][row],
        "time": page["time"][row],
        "data": {key: values[row] for key, values in page["data"].items()},
        "timestamps": {key: values[row] for key, values in page["timestamps"].items()},
        "filled": {key: values[row] for key, values in (page.get("filled") or {}).items()},
    }


def _single_datum(page: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the datum of a one-datum page as a datum document, or None for other pages."""
    try:
        (datum_id,) = page["datum_id"]
        kwargs = {key: value for key, (value,) in page["datum_kwargs"].items()}
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return {"resource": page["resource"], "datum_id": datum_id, "datum_kwargs": kwargs}


def _describe(name: str, doc: Any) -> str:
    """``"The event 'uid'"``: the document as a message names it."""
    uid = doc.get("uid", doc.get("datum_id")) if isinstance(doc, Mapping) else None
    owner = doc.get("descriptor") if isinstance(doc, Mapping) else None
    of = f" of descriptor {owner!r}" if isinstance(owner, str) else ""
    if isinstance(uid, str):
        return f"The {name} document {uid!r}{of}"
    return f"{'An' if name[0] in 'aeiou' else 'A'} {name} document{of}"


def _event_as_stored(event: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise an event for duplicate comparison (missing ``filled`` means empty)."""
    normalised = dict(event)
    normalised["filled"] = {k: v for k, v in (event.get("filled") or {}).items() if v is not False}
    return normalised


def _equal(a: Any, b: Any) -> bool:
    """Compare two documents, treating numpy arrays and lists with equal values as equal."""
    if type(a) is dict and type(b) is dict:
        try:
            if a == b:  # plain values (a resent document, most often): one C-level comparison
                return True
        except (ValueError, TypeError):  # numpy arrays inside
            pass
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) or hasattr(a, "tolist"):
        a = a.tolist() if hasattr(a, "tolist") else a
        b = b.tolist() if hasattr(b, "tolist") else b
        if isinstance(a, list | tuple) and isinstance(b, list | tuple):
            return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b) or (a != a and b != b)  # NaN sent twice is the same NaN
    except (ValueError, TypeError):
        return False
