"""Immutable document classes and the page packing/unpacking rules of the document model."""

from __future__ import annotations

import copy
import json
import pprint
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..errors import NotMutable

__all__ = [
    "DOCUMENT_CLASSES",
    "Datum",
    "DatumPage",
    "Descriptor",
    "Document",
    "Event",
    "EventPage",
    "Resource",
    "Start",
    "Stop",
    "StreamDatum",
    "StreamResource",
    "pack_datum_page",
    "pack_event_page",
    "to_datum_pages",
    "to_event_pages",
    "unpack_datum_page",
    "unpack_event_page",
    "wrap",
]

_MUTATION_MESSAGE = (
    "Documents are not mutable. Call the method to_dict() to make a fully independent, "
    "mutable deep copy."
)


def _plain(value: Any) -> Any:
    """Deep-copy ``value`` into plain dicts and lists."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return copy.deepcopy(value)


class Document(dict):
    """A read-only ``dict`` holding one bluesky document.

    Every mutating method raises :class:`~databroker.errors.NotMutable`; ``to_dict()``
    returns an independent, mutable deep copy.
    """

    __slots__ = ()

    def __dask_tokenize__(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define a dask token.")

    def to_dict(self) -> dict[str, Any]:
        """Return a mutable deep copy made of plain dicts and lists."""
        return _plain(self)

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise NotMutable(_MUTATION_MESSAGE)

    __setitem__ = __delitem__ = _refuse
    pop = popitem = clear = setdefault = update = _refuse
    __ior__ = _refuse

    def __copy__(self) -> Document:
        return type(self)(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Document:
        return type(self)(copy.deepcopy(dict(self), memo))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        if cycle:
            printer.text(f"{type(self).__name__}(...)")
            return
        printer.text(f"{type(self).__name__}({pprint.pformat(dict(self))})")


class _UidDocument(Document):
    __slots__ = ()
    _token_name = ""

    def __dask_tokenize__(self) -> Any:
        return (self._token_name, self["uid"])


class Start(_UidDocument):
    """A run start document."""

    __slots__ = ()
    _token_name = "start"


class Stop(_UidDocument):
    """A run stop document."""

    __slots__ = ()
    _token_name = "stop"


class Descriptor(_UidDocument):
    """An event descriptor document."""

    __slots__ = ()
    _token_name = "descriptor"


class Resource(_UidDocument):
    """A resource document (an external file set)."""

    __slots__ = ()
    _token_name = "resource"


class Event(_UidDocument):
    """A single event document."""

    __slots__ = ()
    _token_name = "event"


class StreamResource(_UidDocument):
    """A stream resource document (external data in bulk, by mimetype)."""

    __slots__ = ()
    _token_name = "stream_resource"


class StreamDatum(_UidDocument):
    """A stream datum document (a block of rows of a stream resource)."""

    __slots__ = ()
    _token_name = "stream_datum"


class Datum(Document):
    """A datum document (one reference into a resource)."""

    __slots__ = ()

    def __dask_tokenize__(self) -> Any:
        return ("datum", self["datum_id"])


class EventPage(Document):
    """An event page: the events of one descriptor in columnar form."""

    __slots__ = ()

    def __dask_tokenize__(self) -> Any:
        return ("event_page", tuple(self["uid"]))


class DatumPage(Document):
    """A datum page: the datum of one resource in columnar form."""

    __slots__ = ()

    def __dask_tokenize__(self) -> Any:
        return ("datum_page", self["resource"], tuple(self["datum_id"]))


DOCUMENT_CLASSES: dict[str, type[Document]] = {
    "start": Start,
    "stop": Stop,
    "descriptor": Descriptor,
    "resource": Resource,
    "datum": Datum,
    "datum_page": DatumPage,
    "event": Event,
    "event_page": EventPage,
    "stream_resource": StreamResource,
    "stream_datum": StreamDatum,
}


def wrap(name: str, doc: Mapping[str, Any]) -> Document:
    """Return ``doc`` as an instance of the :class:`Document` subclass for ``name``."""
    cls = DOCUMENT_CLASSES[name]
    if type(doc) is cls:
        return doc
    return cls(doc)


def _json_default(obj: Any) -> Any:
    tolist = getattr(obj, "tolist", None)
    if tolist is not None:
        return tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def to_json(doc: Mapping[str, Any]) -> str:
    """Serialize a document (numpy values included) to a JSON string."""
    return json.dumps(doc, default=_json_default)


def pack_event_page(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Pack events of one descriptor, sharing one set of data keys, into an event page."""
    events = list(events)
    if not events:
        raise ValueError("An event page needs at least one event.")
    keys = list(events[0]["data"])
    filled_keys: dict[str, None] = {}
    for event in events:
        filled_keys.update(dict.fromkeys(event.get("filled", ())))
    return {
        "descriptor": events[0]["descriptor"],
        "uid": [event["uid"] for event in events],
        "seq_num": [event["seq_num"] for event in events],
        "time": [event["time"] for event in events],
        "data": {key: [event["data"][key] for event in events] for key in keys},
        "timestamps": {key: [event["timestamps"][key] for event in events] for key in keys},
        "filled": {
            key: [event.get("filled", {}).get(key, False) for event in events]
            for key in filled_keys
        },
    }


def unpack_event_page(page: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield the events of an event page, in list order."""
    data = page["data"]
    timestamps = page["timestamps"]
    filled = page.get("filled") or {}
    descriptor = page["descriptor"]
    for i, uid in enumerate(page["uid"]):
        yield {
            "descriptor": descriptor,
            "uid": uid,
            "seq_num": page["seq_num"][i],
            "time": page["time"][i],
            "data": {key: values[i] for key, values in data.items()},
            "timestamps": {key: values[i] for key, values in timestamps.items()},
            "filled": {key: values[i] for key, values in filled.items()},
        }


def pack_datum_page(datum: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Pack datum of one resource, sharing one set of kwarg names, into a datum page."""
    datum = list(datum)
    if not datum:
        raise ValueError("A datum page needs at least one datum.")
    keys = list(datum[0]["datum_kwargs"])
    return {
        "resource": datum[0]["resource"],
        "datum_id": [d["datum_id"] for d in datum],
        "datum_kwargs": {key: [d["datum_kwargs"][key] for d in datum] for key in keys},
    }


def unpack_datum_page(page: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield the datum of a datum page, in list order."""
    kwargs = page["datum_kwargs"]
    resource = page["resource"]
    for i, datum_id in enumerate(page["datum_id"]):
        yield {
            "resource": resource,
            "datum_id": datum_id,
            "datum_kwargs": {key: values[i] for key, values in kwargs.items()},
        }


def _group_consecutive(items: Iterable[Mapping[str, Any]], key: Any) -> Iterator[list[Any]]:
    group: list[Any] = []
    group_key = None
    for item in items:
        item_key = key(item)
        if group and item_key != group_key:
            yield group
            group = []
        group_key = item_key
        group.append(item)
    if group:
        yield group


def to_event_pages(get_events: Any, page_size: int) -> Any:
    """Decorate a function returning events so that it returns event pages instead.

    Consecutive events of one descriptor with the same data keys go into one page of at
    most ``page_size`` events.
    """

    def get_event_pages(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        events = get_events(*args, **kwargs)
        grouped = _group_consecutive(
            events, lambda event: (event["descriptor"], tuple(event["data"]))
        )
        for group in grouped:
            for offset in range(0, len(group), page_size):
                yield pack_event_page(group[offset : offset + page_size])

    return get_event_pages


def to_datum_pages(get_datums: Any, page_size: int) -> Any:
    """Decorate a function returning datum so that it returns datum pages instead."""

    def get_datum_pages(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        datums = get_datums(*args, **kwargs)
        grouped = _group_consecutive(
            datums, lambda datum: (datum["resource"], tuple(datum["datum_kwargs"]))
        )
        for group in grouped:
            for offset in range(0, len(group), page_size):
                yield pack_datum_page(group[offset : offset + page_size])

    return get_datum_pages
