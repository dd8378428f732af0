"""The v1 document and event generators: ``get_documents``, ``get_events`` and friends.

Pages from ``BlueskyRun.documents()`` are unpacked here because v1 callers expect single
``event`` and ``datum`` documents; every document handed out is a fresh mutable copy passed
through the Broker's ``prepare_hook``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._documents.classes import unpack_datum_page, unpack_event_page
from ..utils import ALL
from .fields import Selection, normalize_fields, select
from .unknown_names import NameCheck

if TYPE_CHECKING:
    from .header import Header

__all__ = ["as_headers", "check_handler_registry", "iter_documents", "iter_events"]

Hook = Callable[[str, Any], Any]


def as_headers(headers: Header | Iterable[Header]) -> list[Header]:
    """Return ``headers`` as a list: one Header or an iterable of them."""
    from .header import Header

    if isinstance(headers, Header):
        return [headers]
    return list(headers)


def check_handler_registry(handler_registry: Any) -> None:
    """Refuse the 1.x per-call ``handler_registry`` argument."""
    if handler_registry is not None:
        raise NotImplementedError(
            "The handler_registry argument is no longer supported. Register handlers on the "
            "Broker instead: db.reg.register_handler(spec, handler_class)."
        )


def _fresh(doc: Mapping[str, Any]) -> dict[str, Any]:
    to_dict = getattr(doc, "to_dict", None)
    return to_dict() if to_dict is not None else copy.deepcopy(dict(doc))


def _stream_of(descriptor: Mapping[str, Any]) -> str:
    return descriptor.get("name") or "primary"


def _apply_selection(event: dict[str, Any], selection: Selection) -> dict[str, Any] | None:
    """Restrict an unpacked event to the selected keys and merge the extras; None if empty."""
    data = event["data"]
    keys = [key for key in selection.keys if key in data]
    event["data"] = {key: data[key] for key in keys}
    timestamps = event.get("timestamps", {})
    event["timestamps"] = {key: timestamps[key] for key in keys if key in timestamps}
    filled = event.get("filled", {})
    event["filled"] = {key: filled[key] for key in keys if key in filled}
    for key, (value, timestamp) in selection.extras.items():
        # Each event gets its own copy, so changing one event never changes another.
        event["data"][key] = copy.deepcopy(value)
        event["timestamps"][key] = timestamp
    return event if event["data"] else None


class _StreamFiller:
    """Fills the ``STREAM:`` keys of one run's events (a no-op unless ``enabled``).

    One reader per stream, made when its first event needs one; closed on exit.
    """

    def __init__(
        self, run: Any, keys_of: Callable[[Mapping[str, Any]], list[str]], enabled: bool
    ) -> None:
        self._run = run
        self._keys_of = keys_of
        self._enabled = enabled
        self._keys: dict[str, list[str]] = {}
        self._readers: dict[str, Any] = {}

    def __enter__(self) -> _StreamFiller:
        return self

    def __exit__(self, *exc: object) -> None:
        for reader in self._readers.values():
            reader.close()

    def fill(self, descriptor: Mapping[str, Any], event: dict[str, Any]) -> None:
        """Add the selected ``STREAM:`` values to one unpacked event of ``descriptor``."""
        if not self._enabled:
            return
        from .stream_fields import StreamFieldValues, stream_keys

        uid = descriptor["uid"]
        if uid not in self._keys:
            self._keys[uid] = stream_keys(descriptor, self._keys_of(descriptor))
        if not self._keys[uid]:
            return
        stream = _stream_of(descriptor)
        if stream not in self._readers:
            self._readers[stream] = StreamFieldValues(self._run, stream, self._keys_of)
        self._readers[stream].fill_event(event, self._keys[uid])


def _run_documents(
    header: Header, stream_name: Any, fields: list[str] | None, fill: bool, check: NameCheck
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield one run's documents, unpacked and selected but not yet copied or hooked;
    tell ``check`` what the run has once it is read to the end."""
    run = header._run
    wanted = (lambda name: True) if stream_name is ALL else (lambda name: name == stream_name)
    descriptors: dict[str, Mapping[str, Any]] = {}
    selections: dict[str, Selection] = {}
    current_stream = None  # stream resources follow the descriptors of their stream
    start = run.metadata["start"]
    saw_stop = False
    streams: set[str] = set()

    def selection_of(descriptor: Mapping[str, Any]) -> Selection:
        uid = descriptor["uid"]
        if uid not in selections:
            selections[uid] = select(fields, descriptor, start, run.metadata["stop"])
        return selections[uid]

    # STREAM: keys have no value in the events; with fill they are read as v2 reads them.
    with _StreamFiller(run, lambda d: selection_of(d).keys, fill) as stream_filler:
        for name, doc in run.documents(fill="yes" if fill else "no", strict_order=True):
            if name == "descriptor":
                descriptors[doc["uid"]] = doc
                current_stream = _stream_of(doc)
                streams.add(current_stream)
                if wanted(current_stream):
                    if fields is not None:
                        check.add_selection(doc, selection_of(doc))
                    yield name, doc
            elif name == "event_page":
                descriptor = descriptors[doc["descriptor"]]
                if not wanted(_stream_of(descriptor)):
                    continue
                for event in unpack_event_page(doc):
                    stream_filler.fill(descriptor, event)
                    if fields is None:
                        yield "event", event
                        continue
                    selected = _apply_selection(event, selection_of(descriptor))
                    if selected is not None:
                        yield "event", selected
            elif name == "datum_page":
                for datum in unpack_datum_page(doc):
                    yield "datum", datum
            elif name == "stream_resource":
                if wanted(current_stream):
                    yield name, doc
            elif name == "stream_datum":
                owner = descriptors.get(doc["descriptor"], {"name": current_stream})
                if wanted(_stream_of(owner)):
                    yield name, doc
            else:
                saw_stop = saw_stop or name == "stop"
                yield name, doc
    check.add_run(start.get("uid", "?"), streams, complete=saw_stop)
    if not saw_stop:
        yield "stop", {}


def iter_documents(
    headers: Header | Iterable[Header],
    hook: Hook,
    stream_name: Any = ALL,
    fields: Iterable[str] | None = None,
    fill: bool = False,
) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, hook(name, fresh copy))`` for every document of every header, in order.

    Parameters
    ----------
    headers
        One Header or an iterable of them.
    hook
        The Broker's ``prepare_hook``.
    stream_name
        ``ALL`` or one stream; descriptors, events, stream resources and stream datum of
        other streams are left out (resources and datum are kept).
    fields
        See :func:`databroker.v1.fields.select`.
    fill
        Load external data (``documents(fill='yes')``). ``STREAM:`` fields, absent from
        events otherwise, are then added to each event: ``data`` the value read through
        the StreamDatum of its seq_num, ``timestamps`` the event's ``time`` (the documents
        hold no timestamp for them), ``filled`` True; left out where no StreamDatum covers
        the event. Rows that only StreamDatum cover (no event) are not events: read them
        with ``Header.xarray()``.

    Raises
    ------
    InvalidQuery
        At once, if a ``fields`` entry is not a valid regular expression (a ``ValueError``).

    Warns
    -----
    DatabrokerWarning
        Once the documents are read to the end, if no header (all finished) has the stream,
        or a ``fields`` entry names nothing in any header; the message lists what exists.
    """
    entries = normalize_fields(fields)
    return _iter_documents(as_headers(headers), hook, stream_name, entries, fill)


def _iter_documents(
    headers: list[Header], hook: Hook, stream_name: Any, fields: list[str] | None, fill: bool
) -> Iterator[tuple[str, Any]]:
    check = NameCheck(stream_name, fields)
    for header in headers:
        for name, doc in _run_documents(header, stream_name, fields, fill, check):
            # Unpacked events and datum are already new dicts; other documents are copied.
            fresh = doc if name in ("event", "datum") else _fresh(doc)
            yield name, hook(name, fresh)
    check.warn()


def iter_events(
    headers: Header | Iterable[Header],
    hook: Hook,
    stream_name: Any = "primary",
    fields: Iterable[str] | None = None,
    fill: bool = False,
) -> Iterator[Any]:
    """Yield only the events of :func:`iter_documents` (a bad ``fields`` raises at once)."""
    documents = iter_documents(headers, hook, stream_name, fields, fill)
    return (doc for name, doc in documents if name == "event")
