"""Immutable document classes (the page rules are in ``pages``, re-exported here)."""

from __future__ import annotations

import copy
import json
import pprint
from collections.abc import Mapping
from typing import Any

from ..errors import NotMutable
from .pages import (
    pack_datum_page,
    pack_event_page,
    to_datum_pages,
    to_event_pages,
    unpack_datum_page,
    unpack_event_page,
)

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
