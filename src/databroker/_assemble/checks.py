"""What the assembly refuses: malformed descriptors and pages, values contradicting their DataKey.

Every error names what is wrong and where: the field, the event's seq_num and uid, the
descriptor, and the run (with its file when the storage has one), so a user can find the bad
document. Checks run on whole columns (numpy kinds first); only a failing column is looked at
value by value to find the first bad event.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InvalidEventData, InvalidEventType, MissingEventData

__all__ = [
    "check_descriptor",
    "check_values",
    "describe_run",
    "page_column",
    "page_values",
]

Doc = Mapping[str, Any]

#: Numpy kinds whose values satisfy each JSON dtype without looking at single values.
_KINDS = {
    "number": "iufcb",
    "integer": "iufb",
    "boolean": "biuf",
    "string": "US",
    "array": "iufcbUSV",
}


def describe_run(run: Any) -> str:
    """Return ``"run 'uid'"``, with ``" (file 'path')"`` when the run's storage is a file."""
    store = getattr(run, "store", run)
    path = getattr(store, "path", None) or getattr(run, "path", None)
    text = f"run {getattr(run, 'uid', '?')!r}"
    return f"{text} (file {str(path)!r})" if path else text


def _at(page: Doc, index: int) -> str:
    """Name event ``index`` of a page by seq_num and uid, as far as the page allows."""
    parts = []
    for key in ("seq_num", "uid"):
        values = page.get(key)
        if isinstance(values, Sequence) and not isinstance(values, str) and index < len(values):
            parts.append(f"{key} {values[index]!r}")
    return ", ".join(parts) or f"event {index} of its page"


def check_descriptor(descriptor: Doc, place: str) -> None:
    """Raise when a descriptor's ``data_keys`` cannot describe fields (schema: a mapping of
    mappings, each ``shape`` a list of sizes, each ``dims`` a list of names)."""
    uid = descriptor.get("uid")
    data_keys = descriptor.get("data_keys")
    if data_keys is None:
        raise MissingEventData(
            f"Descriptor {uid!r} of {place} has no 'data_keys', so its stream has no fields. "
            f"Fix the stored descriptor (a 'descriptor' transform can add data_keys)."
        )
    if not isinstance(data_keys, Mapping):
        raise InvalidEventType(
            f"Descriptor {uid!r} of {place}: 'data_keys' is {type(data_keys).__name__} "
            f"{data_keys!r:.80}, not a mapping of field names to DataKeys."
        )
    for field, data_key in data_keys.items():
        problem = _data_key_problem(data_key)
        if problem:
            raise InvalidEventType(
                f"Descriptor {uid!r} of {place}: the DataKey of field {field!r} {problem}. "
                f"Fix the stored descriptor or read the stream with exclude=[{field!r}]."
            )


def _data_key_problem(data_key: Any) -> str | None:
    if not isinstance(data_key, Mapping):
        return f"is {type(data_key).__name__} {data_key!r:.80}, not a mapping"
    shape = data_key.get("shape")
    if shape is not None and (
        not isinstance(shape, (list, tuple))
        or not all(size is None or _is_int(size) for size in shape)
    ):
        return f"has shape {shape!r:.80}, not a list of sizes"
    dims = data_key.get("dims")
    if dims is not None and not isinstance(dims, (list, tuple)):
        return f"has dims {dims!r:.80}, not a list of names"
    if not isinstance(data_key.get("dtype", ""), str):
        return f"has dtype {data_key.get('dtype')!r:.80}, not a type name"
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def page_values(page: Doc, key: str, descriptor_uid: str, place: str) -> Sequence[Any]:
    """Return ``page[key]`` (a list with one entry per event), or raise naming the page."""
    try:
        values = page[key]
    except KeyError:
        raise MissingEventData(
            f"An event page of descriptor {descriptor_uid!r} in {place} has no {key!r} "
            f"(keys: {sorted(map(str, page))})."
        ) from None
    if isinstance(values, np.ndarray) and values.ndim >= 1:  # a page kept columnar
        return values  # type: ignore[return-value]
    if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
        raise InvalidEventType(
            f"An event page of descriptor {descriptor_uid!r} in {place} has {key!r} = "
            f"{values!r:.80}, not a list with one entry per event."
        )
    return values


def page_column(
    page: Doc, key: str, dtype: type, length: int, descriptor_uid: str, place: str
) -> np.ndarray:
    """Return a page's ``time`` or ``seq_num`` as a 1-D array of ``dtype``.

    Raises
    ------
    MissingEventData
        When the page lacks the key.
    InvalidEventData, InvalidEventType
        When the list's length differs from the page's number of events or a value cannot be
        converted (a string, None, NaN or a too large number for a seq_num), naming the event.
    """
    values = page_values(page, key, descriptor_uid, place)
    if len(values) != length:
        raise InvalidEventData(
            f"An event page of descriptor {descriptor_uid!r} in {place} has {len(values)} "
            f"{key!r} values for {length} events."
        )
    try:
        array: np.ndarray = np.asarray(values, dtype=dtype)
        if array.ndim == 1:
            return array
    except (TypeError, ValueError, OverflowError):
        pass
    for index, value in enumerate(values):
        try:
            converted: np.ndarray = np.asarray(value, dtype=dtype)
            if converted.ndim == 0 and not (dtype is np.int64 and _is_bool(value)):
                continue
            error: type[InvalidEventData] = InvalidEventType
        except TypeError:
            error = InvalidEventType
        except (ValueError, OverflowError):
            error = InvalidEventData
        kind = "a 64-bit integer" if dtype is np.int64 else "a number (epoch seconds)"
        raise error(
            f"The event at {_at(page, index)} of descriptor {descriptor_uid!r} in {place} has "
            f"{key!r} = {value!r:.80}, which is not {kind}."
        )
    raise InvalidEventData(  # pragma: no cover - every element converted, yet the list did not
        f"An event page of descriptor {descriptor_uid!r} in {place} has {key!r} values that "
        f"do not form a list of numbers."
    )


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


# -- values against their DataKey's dtype ----------------------------------------------------


def _numeric(value: Any) -> bool:
    if isinstance(value, (numbers.Number, np.number, np.bool_)):
        return True
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            return np.asarray(value).dtype.kind in "iufcb"
        except ValueError:  # ragged nested lists
            return False
    return False


def _stringy(value: Any) -> bool:
    return isinstance(value, (str, bytes, np.str_, np.bytes_))


def _arrayish(value: Any) -> bool:
    return isinstance(value, (list, tuple, np.ndarray, numbers.Number, np.number, np.bool_))


_VALUE_OK: dict[str, Callable[[Any], bool]] = {
    "number": _numeric,
    "integer": _numeric,
    "boolean": _numeric,
    "string": _stringy,
    "array": _arrayish,
}


def _column_agrees(values: np.ndarray, dtype: str) -> bool:
    """Whether a whole column's numpy kind shows every value agreeing with ``dtype``."""
    kind = values.dtype.kind
    if kind in "US" and (dtype == "string" or values.ndim == 1):
        # numpy turns numbers concatenated with strings into strings: look at the values.
        return False
    return kind in _KINDS[dtype]


def first_contradiction(parts: Sequence[Any], dtype: str) -> tuple[Any, int, Any] | None:
    """Return ``(part, index in part, value)`` of the first value contradicting ``dtype``."""
    ok = _VALUE_OK[dtype]
    for part in parts:
        for index, value in enumerate(part.values):
            if not ok(value):
                return part, index, value
    return None


def check_values(
    field: str,
    data_key: Doc,
    values: np.ndarray,
    parts: Sequence[Any],
    owner_uids: Sequence[str],
    place: str,
) -> None:
    """Raise ``InvalidEventData`` when a value of ``field`` contradicts its DataKey's dtype.

    ``values`` is the concatenation of the ``parts`` (each with its event page as
    ``source``); only when its numpy kind disagrees with the dtype are the stored values
    looked at one by one, to name the first bad event (numpy turns ``[5.0, 'oops']`` into
    strings, so the concatenation cannot say which).
    """
    dtype = data_key.get("dtype")
    if dtype not in _KINDS or not len(values) or _column_agrees(values, dtype):
        return
    found = first_contradiction(parts, dtype)
    if found is None:
        return
    part, index, value = found
    value = value.item() if isinstance(value, np.generic) else value
    raise InvalidEventData(
        f"Field {field!r} is declared dtype {dtype!r} in descriptor "
        f"{owner_uids[part.owner]!r} of {place}, but the event at "
        f"{_at(part.source or {}, index)} holds {value!r:.80} ({type(value).__name__}). Fix "
        f"the stored event or read the stream with exclude=[{field!r}]."
    )
