"""What an in-process index of a run refuses: documents whose structure readers rely on is wrong.

:func:`document_problem` checks the fields that indexing, ordering and the column assembly
take for granted: links and uids are strings, ``time`` and ``seq_num`` are numbers, ``data``
and ``timestamps`` are mappings (of equally long columns, in pages), ``datum_kwargs`` is a
mapping. It does not judge values against their DataKeys (the assembly does that, naming the
field and event). Checks are cheap: single events cost a few type tests, pages one pass over
their ``time`` and ``seq_num`` columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["document_problem", "one_row_page_is_sound", "start_problem"]

Doc = Mapping[str, Any]

#: Python types of the values a number column may hold (numpy scalars included).
_REAL_TYPES = frozenset(
    {int, float, np.float64, np.float32, np.int64, np.int32, np.uint64, np.uint32}
)
#: Seconds since 1970 that a datetime64[ns] holds (about 1678 to 2262), as v1 tables need.
_TIME_LIMIT = 2**63 / 1e9
_INTEGER_TYPES = frozenset({int, np.int64, np.int32, np.uint64, np.uint32, np.int16, np.uint16})


def _show(value: Any) -> str:
    text = f"{type(value).__name__} {value!r}"
    return text if len(text) <= 60 else text[:57] + "..."


def _is_real(value: Any) -> bool:
    """True for an int or float (numpy's too) that a float can hold; False for bools."""
    if type(value) is float:
        return True
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return False
    if isinstance(value, np.complexfloating):
        return False
    try:
        float(value)
    except OverflowError:  # an int beyond any float: no time or timestamp can be that
        return False
    return True


def _is_integer(value: Any) -> bool:
    return (type(value) in _INTEGER_TYPES or isinstance(value, int | np.integer)) and not (
        isinstance(value, bool | np.bool_)
    )


def _is_column(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim >= 1
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _text(doc: Doc, field: str, optional: bool = False) -> str | None:
    """The problem with ``doc[field]`` as a non-empty string, or None."""
    value = doc.get(field)
    if value is None and optional and field not in doc:
        return None
    if isinstance(value, str) and value:
        return None
    if field not in doc:
        return f"it has no {field!r}"
    return f"its {field!r} is {_show(value)}, not a non-empty string"


def _is_time(value: Any) -> bool:
    """True for a number of seconds since 1970 that a datetime64[ns] can hold (not NaN)."""
    if type(value) is float:
        return -_TIME_LIMIT < value < _TIME_LIMIT
    return _is_real(value) and -_TIME_LIMIT < float(value) < _TIME_LIMIT


def _time(doc: Doc, field: str = "time", optional: bool = False) -> str | None:
    if field not in doc:
        return None if optional else f"it has no {field!r}"
    value = doc[field]
    if _is_time(value):
        return None
    return f"its {field!r} is {_show(value)}, not a time (a finite number of seconds since 1970)"


def _mapping(doc: Doc, field: str, optional: bool = False) -> str | None:
    value = doc.get(field)
    if isinstance(value, Mapping) or (optional and value is None):
        return None
    if field not in doc:
        return f"it has no {field!r}"
    return f"its {field!r} is {_show(value)}, not a mapping"


def _first(*problems: str | None) -> str | None:
    for problem in problems:
        if problem is not None:
            return problem
    return None


def start_problem(doc: Any) -> str | None:
    """Why ``doc`` cannot be a run's start (listed and sorted by time), or None."""
    if not isinstance(doc, Mapping):
        return f"it is {_show(doc)}, not a mapping"
    return _first(_text(doc, "uid"), _time(doc))


def _event(doc: Doc) -> str | None:
    try:  # the common case, in a few type tests
        data, timestamps, filled, time = (
            doc["data"],
            doc["timestamps"],
            doc.get("filled"),
            doc["time"],
        )
        if (
            type(data) is dict
            and type(timestamps) is dict
            and (filled is None or type(filled) is dict)
            and type(doc["uid"]) is str
            and type(doc["descriptor"]) is str
            and type(doc["seq_num"]) is int
            and type(time) is float
            and -_TIME_LIMIT < time < _TIME_LIMIT
            and doc["uid"]
            and doc["descriptor"]
            and data.keys() <= timestamps.keys()
        ):
            return None
    except KeyError:
        pass
    problem = _first(
        _text(doc, "uid"),
        _text(doc, "descriptor"),
        _mapping(doc, "data"),
        _mapping(doc, "timestamps"),
        _mapping(doc, "filled", optional=True),
        _time(doc),
    )
    if problem is not None:
        return problem
    if not _is_integer(doc.get("seq_num")):
        return _absent_or(doc, "seq_num", "an integer")
    missing = doc["data"].keys() - doc["timestamps"].keys()
    if missing:
        return f"its 'timestamps' lack the data keys {sorted(missing)}"
    return None


def _absent_or(doc: Doc, field: str, expected: str) -> str:
    if field not in doc:
        return f"it has no {field!r}"
    return f"its {field!r} is {_show(doc[field])}, not {expected}"


def _column_problem(page: Doc, field: str, rows: int, values: str | None = None) -> str | None:
    """The problem with ``page[field]`` as a column of ``rows`` values, or None."""
    if field not in page:
        return f"it has no {field!r}"
    column = page[field]
    if not _is_column(column):
        return f"its {field!r} is {_show(column)}, not a list"
    if len(column) != rows:
        return f"its {field!r} has {len(column)} values for {rows} rows"
    if values == "time" and not _all_times(column):
        bad = next(value for value in column if not _is_time(value))
        return f"its {field!r} holds {_show(bad)}, not a time (a finite number of seconds)"
    if values == "integer" and not _all_integers(column):
        bad = next(value for value in column if not _is_integer(value))
        return f"its {field!r} holds {_show(bad)}, not an integer"
    if values == "text" and not (set(map(type, column)) <= {str} and all(column)):
        bad = next(value for value in column if not (isinstance(value, str) and value))
        return f"its {field!r} holds {_show(bad)}, not a non-empty string"
    return None


def _all_times(column: Any) -> bool:
    if isinstance(column, np.ndarray):
        if column.dtype.kind not in "iuf":
            return False
    else:
        types = set(map(type, column))  # one pass in C; plain floats need no closer look
        if not types <= _REAL_TYPES or (types != {float} and not all(map(_is_real, column))):
            return False
    times = np.asarray(column, dtype=float)
    return bool(np.all(np.abs(times) < _TIME_LIMIT))  # NaN compares False: refused too


def _all_integers(column: Any) -> bool:
    if isinstance(column, np.ndarray):
        return column.dtype.kind in "iu"
    return set(map(type, column)) <= _INTEGER_TYPES


def _columns_problem(page: Doc, field: str, rows: int, optional: bool = False) -> str | None:
    problem = _mapping(page, field, optional)
    if problem is not None or page.get(field) is None:
        return problem
    for key, column in page[field].items():
        if not _is_column(column):
            return f"its {field}[{key!r}] is {_show(column)}, not a list"
        if len(column) != rows:
            return f"its {field}[{key!r}] has {len(column)} values for {rows} rows"
    return None


def one_row_page_is_sound(doc: Doc) -> bool:
    """The common case of a page of one event (how msgpack files store single events), in a
    few type tests; False means "look closer", not "malformed".

    True guarantees what :meth:`GrowingEventPage.append_sound_page` relies on: ``uid``,
    ``time`` and ``seq_num`` are lists of one str, float and int; ``descriptor`` is a
    non-empty str; ``data``, ``timestamps`` and ``filled`` (if not None) are dicts whose
    values are all lists of exactly one value; every data key has a timestamp.
    """
    try:
        uid, time, seq_num = doc["uid"], doc["time"], doc["seq_num"]
        data, timestamps, filled = doc["data"], doc["timestamps"], doc.get("filled")
        if not (
            type(uid) is list
            and type(time) is list
            and type(seq_num) is list
            and len(uid) == len(time) == len(seq_num) == 1
            and type(uid[0]) is str
            and type(seq_num[0]) is int
            and type(time[0]) is float
            and -_TIME_LIMIT < time[0] < _TIME_LIMIT
            and type(doc["descriptor"]) is str
            and uid[0]
            and doc["descriptor"]
            and type(data) is dict
            and type(timestamps) is dict
            and data.keys() <= timestamps.keys()
            # One C-level pass per mapping: every column is exactly a list, of one value.
            and set(map(type, data.values())) <= _LIST_TYPE
            and set(map(type, timestamps.values())) <= _LIST_TYPE
            and set(map(len, data.values())) <= _ONE
            and set(map(len, timestamps.values())) <= _ONE
        ):
            return False
    except KeyError:
        return False
    if filled is None:
        return True
    return (
        type(filled) is dict
        and set(map(type, filled.values())) <= _LIST_TYPE
        and set(map(len, filled.values())) <= _ONE
    )


_LIST_TYPE = frozenset({list})
_ONE = frozenset({1})


def _event_page(doc: Doc) -> str | None:
    if one_row_page_is_sound(doc):
        return None
    uids: Any = doc.get("uid")
    if not _is_column(uids):
        return _absent_or(doc, "uid", "a list of uids")
    rows = len(uids)
    problem = _first(
        _text(doc, "descriptor"),
        _column_problem(doc, "uid", rows, "text"),
        _column_problem(doc, "time", rows, "time"),
        _column_problem(doc, "seq_num", rows, "integer"),
        _columns_problem(doc, "data", rows),
        _columns_problem(doc, "timestamps", rows),
        _columns_problem(doc, "filled", rows, optional=True),
    )
    if problem is None:
        missing = doc["data"].keys() - doc["timestamps"].keys()
        if missing:
            problem = f"its 'timestamps' lack the data keys {sorted(missing)}"
    return problem


def _datum(doc: Doc) -> str | None:
    return _first(_text(doc, "datum_id"), _text(doc, "resource"), _mapping(doc, "datum_kwargs"))


def _datum_page(doc: Doc) -> str | None:
    ids: Any = doc.get("datum_id")
    if not _is_column(ids):
        return _absent_or(doc, "datum_id", "a list of datum ids")
    rows = len(ids)
    return _first(
        _text(doc, "resource"),
        _column_problem(doc, "datum_id", rows, "text"),
        _columns_problem(doc, "datum_kwargs", rows),
    )


def _bulk_events(doc: Doc) -> str | None:
    for descriptor, events in doc.items():
        if not _is_column(events):
            return f"its events of {descriptor!r} are {_show(events)}, not a list"
        for event in events:
            problem = _event(event) if isinstance(event, Mapping) else "an event is no mapping"
            if problem is not None:
                return f"an event of {descriptor!r}: {problem}"
    return None


def _bulk_datum(doc: Doc) -> str | None:
    problem = _first(_text(doc, "resource"), _absent_list(doc, "datum_ids"))
    problem = problem or _absent_list(doc, "datum_kwarg_list")
    if problem is None and len(doc["datum_ids"]) != len(doc["datum_kwarg_list"]):
        problem = "its 'datum_ids' and 'datum_kwarg_list' differ in length"
    if problem is None and not all(
        isinstance(kwargs, Mapping) for kwargs in doc["datum_kwarg_list"]
    ):
        problem = "its 'datum_kwarg_list' holds a value that is not a mapping"
    return problem


def _absent_list(doc: Doc, field: str) -> str | None:
    return None if _is_column(doc.get(field)) else _absent_or(doc, field, "a list")


def _descriptor(doc: Doc) -> str | None:
    problem = _first(
        _text(doc, "uid"),
        _time(doc),
        _mapping(doc, "data_keys"),
        _text(doc, "name", optional=True),
        _mapping(doc, "configuration", optional=True),
        _mapping(doc, "object_keys", optional=True),
    )
    if problem is None:
        for key, data_key in doc["data_keys"].items():
            if not isinstance(data_key, Mapping):
                return f"its data_keys[{key!r}] is {_show(data_key)}, not a mapping"
    return problem


def _resource(doc: Doc) -> str | None:
    # What a handler is built from: its spec, and the file's root and path (root may be "").
    problem = _first(
        _text(doc, "uid"),
        _text(doc, "spec"),
        _mapping(doc, "resource_kwargs", optional=True),
        _text(doc, "resource_path"),
    )
    root = doc.get("root", "")
    if problem is None and not isinstance(root, str):
        problem = f"its 'root' is {_show(root)}, not a string"
    return problem


def _stream_datum(doc: Doc) -> str | None:
    problem = _first(_text(doc, "uid"), _text(doc, "descriptor"), _mapping(doc, "seq_nums"))
    if problem is None and not _is_integer(doc["seq_nums"].get("start")):
        problem = f"its seq_nums['start'] is {_show(doc['seq_nums'].get('start'))}, not an integer"
    return problem


def _stop(doc: Doc) -> str | None:
    return _first(_time(doc, optional=True), _text(doc, "uid", optional=True))


_CHECKS = {
    "start": start_problem,
    "stop": _stop,
    "descriptor": _descriptor,
    "resource": _resource,
    "stream_resource": lambda doc: _text(doc, "uid"),
    "stream_datum": _stream_datum,
    "event": _event,
    "event_page": _event_page,
    "bulk_events": _bulk_events,
    "datum": _datum,
    "datum_page": _datum_page,
    "bulk_datum": _bulk_datum,
}


def document_problem(name: str, doc: Any) -> str | None:
    """Return why ``doc`` is not a well-formed ``name`` document, or None when it is.

    Parameters
    ----------
    name
        A document name (``'event'``, ``'datum_page'``, ...); unknown names are not judged.
    doc
        The document.
    """
    if not isinstance(doc, Mapping):
        return f"it is {_show(doc)}, not a mapping"
    check = _CHECKS.get(name)
    return None if check is None else check(doc)
