"""Columns from pages: values of one field concatenated with numpy, placed into row order.

A column is assembled from *parts*: consecutive blocks of values (an event page, or one
descriptor's configuration value), each owned by a descriptor. Rows point into the
concatenation of all parts; a part that lacks the field leaves its rows to be filled.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._fill import declared_dtype, declared_shape
from ..errors import InvalidEventData, InvalidEventType, ShapeMismatchError, ShapeMismatchWarning
from .checks import page_values

if TYPE_CHECKING:
    from .rows import StreamTable

__all__ = ["Part", "event_parts", "fill_value", "gather", "gather_timestamps", "row_objects"]

Doc = Mapping[str, Any]


@dataclass(frozen=True)
class Part:
    """A block of ``length`` consecutive values owned by descriptor ``owner`` (None: absent)."""

    owner: int
    values: Sequence[Any] | np.ndarray | None
    length: int
    #: The event page the values come from (for messages naming the bad event).
    source: Doc | None = None


def event_parts(table: StreamTable, field: str, section: str = "data") -> list[Part]:
    """Return one part per event page of the table holding ``page[section][field]``.

    Raises
    ------
    MissingEventData, InvalidEventType, InvalidEventData
        When a page lacks ``section`` (``filled`` may be absent), it is not a mapping, or the
        field's list does not have one entry per event; naming descriptor and run.
    """
    parts = []
    for (owner, page), length in zip(table.pages, table.page_lengths, strict=True):
        descriptor = table.descriptor_uids[owner]
        if section == "filled":
            columns = page.get("filled") or {}
        else:
            columns = page_values_mapping(page, section, descriptor, table.place)
        values = columns.get(field)
        if values is not None:
            values = _column(values, field, section, length, page, descriptor, table.place)
        parts.append(Part(owner, values, length, page))
    return parts


def page_values_mapping(page: Doc, section: str, descriptor: str, place: str) -> Mapping[str, Any]:
    """Return ``page[section]``, raising when it is absent or not a mapping."""
    if section not in page:
        page_values(page, section, descriptor, place)  # raises MissingEventData
    columns = page[section]
    if not isinstance(columns, Mapping):
        raise InvalidEventType(
            f"An event page of descriptor {descriptor!r} in {place} has {section!r} = "
            f"{columns!r:.80}, not a mapping of field names to lists."
        )
    return columns


def _column(
    values: Any, field: str, section: str, length: int, page: Doc, descriptor: str, place: str
) -> Any:
    if isinstance(values, np.ndarray) and values.ndim >= 1 and len(values) == length:
        return values
    if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
        raise InvalidEventType(
            f"An event page of descriptor {descriptor!r} in {place} has {section}[{field!r}] "
            f"= {values!r:.80}, not a list with one entry per event."
        )
    if len(values) != length:
        raise InvalidEventData(
            f"An event page of descriptor {descriptor!r} in {place} has {len(values)} "
            f"{section}[{field!r}] values for {length} events."
        )
    return values


def fill_value(dtype: np.dtype) -> tuple[np.dtype, Any]:
    """Return the dtype able to hold a missing value next to ``dtype``'s values, and that value.

    Integers and booleans become float64 (NaN); floats and complex keep their type (NaN);
    datetimes keep theirs (NaT); strings and anything else become objects (None).
    """
    if dtype.kind in "iub":
        return np.dtype("float64"), np.nan
    if dtype.kind in "fc":
        return dtype, np.nan
    if dtype.kind in "mM":
        return dtype, np.datetime64("NaT")
    return np.dtype("O"), None


def _row_positions(
    parts: Sequence[Part], present: Sequence[bool], row_index: np.ndarray
) -> np.ndarray:
    """Map each row to a position in the concatenated present values, -1 where none."""
    total = sum(part.length for part in parts)
    positions = np.full(total, -1, dtype=np.intp)
    offset = found = 0
    for part, has in zip(parts, present, strict=True):
        if has:
            positions[offset : offset + part.length] = np.arange(found, found + part.length)
            found += part.length
        offset += part.length
    if total == 0:
        return np.full(len(row_index), -1, dtype=np.intp)
    return np.where(row_index >= 0, positions[np.maximum(row_index, 0)], -1)


def _as_objects(values: Sequence[Sequence[Any]]) -> np.ndarray:
    """Return a 1-D object array of the given values, each kept whole (not broadcast)."""
    flat = [value for block in values for value in block]
    out = np.empty(len(flat), dtype=object)
    for i, value in enumerate(flat):
        out[i] = value
    return out


def _shapes_by_owner(arrays: list[tuple[int, np.ndarray]]) -> dict[int, set[tuple[int, ...]]]:
    shapes: dict[int, set[tuple[int, ...]]] = {}
    for owner, array in arrays:
        shapes.setdefault(owner, set()).add(array.shape[1:])
    return shapes


def _concatenate(
    field: str,
    present: list[Part],
    owner_uids: Sequence[str],
    data_key: Doc,
    strict: bool,
    validate: Callable[[np.ndarray, Sequence[Part]], None] | None = None,
) -> np.ndarray:
    """Concatenate the present values; ragged rows give objects (rule 7), and so do shapes
    differing between owners unless ``strict`` (then ``ShapeMismatchError``, rule 8).

    ``validate`` sees the values before any shape warning, so a contradicting value raises
    its own error rather than a warning about the shapes it causes.
    """
    arrays: list[tuple[int, np.ndarray]] = []
    for part in present:
        try:
            arrays.append((part.owner, np.asarray(part.values)))
        except ValueError:  # numpy refuses ragged nested sequences
            arrays = []
            break
    shapes = _shapes_by_owner(arrays)
    distinct = {owner: next(iter(s)) for owner, s in shapes.items()}
    ragged = len(arrays) != len(present) or any(len(s) > 1 for s in shapes.values())
    if ragged or len(set(distinct.values())) > 1:
        objects = _as_objects([part.values for part in present])  # type: ignore[misc]
        if validate is not None:
            validate(objects, present)
        if len(set(distinct.values())) > 1 and strict:
            listed = ", ".join(f"{owner_uids[o]!r}: {list(s)}" for o, s in distinct.items())
            raise ShapeMismatchError(
                f"Field {field!r} has values of different shapes in different descriptors "
                f"({listed}). Read the stream with exclude=[{field!r}]."
            )
        warnings.warn(
            f"Rows of field {field!r} have differing shapes; it is returned as an object "
            f"variable on ('time',), one array per row.",
            ShapeMismatchWarning,
            stacklevel=5,
        )
        return objects
    if not arrays:
        shape = tuple(size or 0 for size in declared_shape(data_key))
        return np.empty((0, *shape), dtype=declared_dtype(data_key))
    try:
        values = np.concatenate([array for _, array in arrays])
    except (TypeError, ValueError):  # values of unrelated types (e.g. numbers and strings)
        values = _as_objects([part.values for part in present])  # type: ignore[misc]
    if validate is not None:
        validate(values, present)
    return values


def gather(
    field: str,
    parts: Sequence[Part],
    row_index: np.ndarray,
    owner_uids: Sequence[str],
    data_key: Doc,
    *,
    strict: bool = True,
    validate: Callable[[np.ndarray, Sequence[Part]], None] | None = None,
) -> np.ndarray:
    """Return the column of ``field`` with one entry per row.

    Parameters
    ----------
    field
        The field name (for messages).
    parts
        The blocks of values in concatenation order.
    row_index
        Per row, the position in the concatenated parts, -1 where the row has no value.
    owner_uids
        Descriptor uid of each owner index (for messages).
    data_key
        The field's DataKey, giving shape and dtype when no value exists at all.
    strict
        Whether values of different shapes under different owners raise
        ``ShapeMismatchError`` (True) or give an object column with a warning.
    validate
        Called with the concatenated present values and their parts before rows are placed
        (the DataKey dtype check of :func:`~databroker._assemble.checks.check_values`).

    The dtype is the values' numpy type when every row has a value (rule 8); otherwise
    missing rows are NaN (ints upcast to float64) or None (strings, objects).
    """
    has = [part.values is not None for part in parts]
    present = [part for part, keep in zip(parts, has, strict=True) if keep]
    values = _concatenate(field, present, owner_uids, data_key, strict, validate)
    positions = _row_positions(parts, has, row_index)
    found = positions >= 0
    if found.all():
        return values[positions]
    dtype, missing = fill_value(values.dtype)
    out = np.empty((len(positions), *values.shape[1:]), dtype=dtype)
    out[...] = missing
    out[found] = values[positions[found]]
    return out


def row_objects(parts: Sequence[Part], row_index: np.ndarray) -> np.ndarray:
    """Return each row's stored value as an object (None where a row has none), as stored:
    no type conversion, no shape check."""
    has = [part.values is not None for part in parts]
    values = _as_objects([part.values for part in parts if part.values is not None])  # type: ignore[misc]
    positions = _row_positions(parts, has, row_index)
    out = np.full(len(positions), None, dtype=object)
    found = positions >= 0
    out[found] = values[positions[found]]
    return out


def gather_timestamps(parts: Sequence[Part], row_index: np.ndarray) -> np.ndarray:
    """Return float64 timestamps per row, NaN where a row has none (rule 14)."""
    has = [part.values is not None for part in parts]
    arrays = [
        np.asarray(p.values, dtype=np.float64) for p, keep in zip(parts, has, strict=True) if keep
    ]
    values = np.concatenate(arrays) if arrays else np.empty(0)
    positions = _row_positions(parts, has, row_index)
    out = np.full(len(positions), np.nan)
    found = positions >= 0
    out[found] = values[positions[found]]
    return out
