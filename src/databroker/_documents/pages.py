"""The page rules of the document model: packing, unpacking, slicing and regrouping pages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

__all__ = [
    "pack_datum_page",
    "pack_event_page",
    "plain_page",
    "slice_page",
    "to_datum_pages",
    "to_event_pages",
    "unpack_datum_page",
    "unpack_event_page",
    "window_pages",
]


def slice_page(page: Mapping[str, Any], low: int, high: int) -> dict[str, Any]:
    """Return rows ``[low, high)`` of an event or datum page.

    Columns (lists, tuples, numpy arrays, and the columns of nested mappings such as
    ``data``) are sliced; scalars (``descriptor``, a stored page's ``first_index``) are kept.
    """
    sliced: dict[str, Any] = {}
    for key, value in page.items():
        if isinstance(value, Mapping):
            sliced[key] = {k: v[low:high] for k, v in value.items()}
        elif _is_column(value):
            sliced[key] = value[low:high]
        else:
            sliced[key] = value
    return sliced


def plain_page(page: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return ``page`` with array columns (numpy, kept by the stores) as lists, as a stored
    document has them, so that ``json.dumps`` and ``msgpack.packb`` take it; a page without
    arrays is returned as it is."""
    if not any(_has_array(value) for value in page.values()):
        return page
    plain: dict[str, Any] = {}
    for key, value in page.items():
        if isinstance(value, Mapping):
            plain[key] = {name: _as_list(column) for name, column in value.items()}
        else:
            plain[key] = _as_list(value)
    return plain


def _as_list(value: Any) -> Any:
    tolist = None if isinstance(value, list | str | bytes) else getattr(value, "tolist", None)
    return tolist() if tolist is not None else value


def _has_array(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_has_array(column) for column in value.values())
    return not isinstance(value, list | str | bytes) and hasattr(value, "tolist")


def window_pages(
    pages: Iterable[Mapping[str, Any]], ids_key: str, skip: int, limit: int | None
) -> Iterator[Mapping[str, Any]]:
    """Yield ``pages`` cut to the rows ``[skip, skip + limit)``; ``ids_key`` counts rows.

    Pages wholly inside the window pass unchanged; an empty window yields nothing.
    """
    if limit is not None and limit <= 0:
        return
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
        yield page if (low, high) == (0, size) else slice_page(page, low, high)


def _is_column(value: Any) -> bool:
    return (
        not isinstance(value, str | bytes)
        and hasattr(value, "__len__")
        and hasattr(value, "__getitem__")
    )


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
