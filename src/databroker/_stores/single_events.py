"""Columns grown from single events, as a RunEngine writes them (one event per document).

A :class:`GrowingEventPage` takes consecutive events of one descriptor that share their data
keys, whether they come as ``event`` documents or as one-event ``event_page`` documents, and
keeps one row of values per event, no per-event dictionaries. :meth:`GrowingEventPage.seal`
turns the rows into one columnar event page (numbers as numpy arrays) once nobody appends any
more, so everything above storage sees pages, large ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import numpy as np

from .document_checks import _TIME_LIMIT

__all__ = ["EventRows", "GrowingEventPage", "OneRowPages", "number_column", "one_row_pages"]

# What a document that is not a well-formed single event raises while its values are read.
_NOT_SINGLE = (KeyError, TypeError, ValueError, AttributeError)


class GrowingEventPage:
    """Consecutive single events of one descriptor with the same data keys, kept as rows.

    The values (and timestamps) of all rows are kept in one flat list, ``len(keys)`` per
    row: appending a row is one C-level ``extend``, and sealing converts the whole list with
    one ``np.array`` when the values are floats. Rows that arrive already as columns
    (:class:`EventRows`) are kept as a block of columns; sealing joins the blocks.

    Parameters
    ----------
    descriptor
        The descriptor uid.
    keys
        The data keys every event of the page has (and the order of each row's values).
    """

    __slots__ = (
        "_blocks",
        "_filled",
        "_get",
        "_stamps",
        "_values",
        "descriptor",
        "keys",
        "seq_num",
        "time",
        "uid",
    )

    def __init__(self, descriptor: str, keys: tuple[str, ...]) -> None:
        self.descriptor = descriptor
        self.keys = keys
        self.uid: list[Any] = []
        self.seq_num: list[Any] = []
        self.time: list[Any] = []
        self._values: list[Any] = []
        self._stamps: list[Any] = []
        self._filled: list[tuple[int, Mapping[str, Any]]] = []
        self._get = _getter(keys)
        # Columns of the rows before those in _values: (first row, rows, data, timestamps).
        self._blocks: list[_Block] = []

    def __len__(self) -> int:
        return len(self.uid)

    def append_event(self, event: Mapping[str, Any]) -> bool:
        """Add an ``event`` document; return False (adding nothing) if its keys differ."""
        get = self._get
        try:
            data = event["data"]
            if len(data) != len(self.keys):
                return False
            values = get(data)
            stamps = get(event["timestamps"])
            uid, seq_num, time = event["uid"], event["seq_num"], event["time"]
        except KeyError:
            return False
        self._append_row(uid, seq_num, time, values, stamps, event.get("filled"))
        return True

    def append_sound_page(self, page: Mapping[str, Any]) -> bool:
        """Add a one-event page that :func:`~.document_checks.one_row_page_is_sound` accepted;
        return False (adding nothing) if its data keys are not this page's keys.

        That check guarantees every column is a list of one value: rows are added without a
        Python loop over the keys.
        """
        get = self._get
        try:
            data, timestamps = page["data"], page["timestamps"]
            if len(data) != len(self.keys) or len(timestamps) != len(self.keys):
                return False
            values, stamps = get(data), get(timestamps)
        except KeyError:
            return False
        filled = page.get("filled")
        if filled:
            self._filled.append((len(self.uid), {key: value for key, (value,) in filled.items()}))
        self.uid.extend(page["uid"])
        self.seq_num.extend(page["seq_num"])
        self.time.extend(page["time"])
        self._values.extend(chain.from_iterable(values))
        self._stamps.extend(chain.from_iterable(stamps))
        return True

    def append_page(self, page: Mapping[str, Any]) -> bool:
        """Add a one-event ``event_page``; return False (adding nothing) if it is not exactly
        one event with this page's keys."""
        keys = self.keys
        try:
            ((uid,), (seq_num,), (time,)) = page["uid"], page["seq_num"], page["time"]
            data, timestamps = page["data"], page["timestamps"]
            if len(data) != len(keys) or len(timestamps) != len(keys):
                return False
            values = [value for (value,) in map(data.__getitem__, keys)]
            stamps = [value for (value,) in map(timestamps.__getitem__, keys)]
            filled = page.get("filled") or {}
            if filled:
                filled = {key: value for key, (value,) in filled.items()}
        except _NOT_SINGLE:
            return False
        self._append_row(uid, seq_num, time, values, stamps, filled)
        return True

    def append_rows(self, rows: OneRowPages) -> None:
        """Add the rows of consecutive one-event pages checked by :func:`one_row_pages`
        against this page's keys."""
        self.uid.extend(rows.uid)
        self.seq_num.extend(rows.seq_num)
        self.time.extend(rows.time)
        self._values.extend(rows.values)
        self._stamps.extend(rows.stamps)

    def append_columns(self, rows: EventRows) -> None:
        """Add events that come as columns of this page's keys (see :class:`EventRows`)."""
        self._close_block()
        self._blocks.append((len(self.uid), len(rows), rows.data, rows.timestamps))
        self.uid.extend(rows.uid)
        self.seq_num.extend(rows.seq_num)
        self.time.extend(rows.time)

    def _close_block(self) -> None:
        """Turn the rows kept flat into a block of columns."""
        first = self._flat_start()
        rows = len(self.uid) - first
        if rows:
            self._blocks.append(
                (
                    first,
                    rows,
                    _typed_columns(self.keys, self._values),
                    _typed_columns(self.keys, self._stamps),
                )
            )
            self._values, self._stamps = [], []

    def _flat_start(self) -> int:
        """The first row kept in the flat lists (after every block)."""
        if not self._blocks:
            return 0
        first, rows, _, _ = self._blocks[-1]
        return first + rows

    def _append_row(
        self,
        uid: Any,
        seq_num: Any,
        time: Any,
        values: Iterable[Any],
        stamps: Iterable[Any],
        filled: Mapping[str, Any] | None,
    ) -> None:
        if filled:
            self._filled.append((len(self.uid), filled))
        self.uid.append(uid)
        self.seq_num.append(seq_num)
        self.time.append(time)
        self._values.extend(values)
        self._stamps.extend(stamps)

    def event(self, row: int) -> dict[str, Any]:
        """Return event ``row`` as an event document (for duplicate checks)."""
        filled: dict[str, Any] = {}
        for at, values in self._filled:
            if at == row:
                filled = dict(values)
        data, timestamps = self._row_values(row)
        return {
            "descriptor": self.descriptor,
            "uid": self.uid[row],
            "seq_num": self.seq_num[row],
            "time": self.time[row],
            "data": data,
            "timestamps": timestamps,
            "filled": filled,
        }

    def _row_values(self, row: int) -> tuple[dict[str, Any], dict[str, Any]]:
        for first, rows, data, timestamps in self._blocks:
            if first <= row < first + rows:
                at = row - first
                return (
                    {key: _item(column, at) for key, column in data.items()},
                    {key: _item(column, at) for key, column in timestamps.items()},
                )
        first = self._flat_start()
        width = len(self.keys)
        cut = slice((row - first) * width, (row - first + 1) * width)
        return (
            dict(zip(self.keys, self._values[cut], strict=True)),
            dict(zip(self.keys, self._stamps[cut], strict=True)),
        )

    def seal(self) -> dict[str, Any]:
        """Return the events as one event page: number columns become numpy arrays."""
        if self._blocks:
            self._close_block()
            data = _joined([block[2] for block in self._blocks], self.keys)
            timestamps = _joined([block[3] for block in self._blocks], self.keys)
        else:
            rows = len(self.uid)
            data = _columns(self.keys, self._values, rows)
            timestamps = _columns(self.keys, self._stamps, rows)
        return {
            "descriptor": self.descriptor,
            "uid": self.uid,
            "seq_num": self.seq_num,
            "time": self.time,
            "data": data,
            "timestamps": timestamps,
            "filled": self._filled_columns(),
        }

    def _filled_columns(self) -> dict[str, list[Any]]:
        columns: dict[str, list[Any]] = {}
        for row, values in self._filled:
            for key, value in values.items():
                columns.setdefault(key, [False] * len(self.uid))[row] = value
        return columns


_Block = tuple[int, int, dict[str, Any], dict[str, Any]]


class EventRows:
    """Consecutive events of one descriptor given as columns (one per data key).

    Number columns are numpy arrays (float64, int64 or bool), other columns lists; ``uid``,
    ``seq_num`` and ``time`` are lists, as a sealed page holds them.
    """

    __slots__ = ("data", "descriptor", "keys", "seq_num", "time", "timestamps", "uid")

    def __init__(
        self,
        descriptor: str,
        keys: tuple[str, ...],
        ids: tuple[list[str], list[int], list[float]],
        data: dict[str, Any],
        timestamps: dict[str, Any],
    ) -> None:
        self.descriptor = descriptor
        self.keys = keys
        self.uid, self.seq_num, self.time = ids
        self.data = data
        self.timestamps = timestamps

    def __len__(self) -> int:
        return len(self.uid)


def _item(column: Any, row: int) -> Any:
    value = column[row]
    return value.item() if isinstance(value, np.generic) else value


def _typed_columns(keys: tuple[str, ...], flat: list[Any]) -> dict[str, Any]:
    """Columns of ``flat`` (rows one after the other): an array where every value has the
    same Python type (float, int or bool), else the values as they came."""
    width = len(keys)
    columns = {}
    for i, key in enumerate(keys):
        values = flat[i::width]
        kinds = set(map(type, values))
        column: Any = values
        if kinds == _INT:  # int64 if every value fits
            try:
                column = np.array(values, dtype=object).astype(np.int64)
            except OverflowError:
                column = values
        elif len(kinds) == 1 and kinds <= _PURE:
            column = np.array(values)
        columns[key] = column
    return columns


_PURE = frozenset({float, int, bool})


def _joined(blocks: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    """One column per key from blocks of columns, as if the rows had come one by one: arrays
    are joined as numpy promotes them, which is what converting all values at once gives;
    any other part makes the column built from every value again."""
    joined = {}
    for key in keys:
        parts = [block[key] for block in blocks]
        if all(isinstance(part, np.ndarray) and part.dtype.kind in "biuf" for part in parts):
            joined[key] = np.concatenate(parts)
        else:
            values = [
                v
                for part in parts
                for v in (part.tolist() if isinstance(part, np.ndarray) else part)
            ]
            joined[key] = number_column(values)
    return joined


class OneRowPages:
    """The rows of consecutive one-event pages, flat: ``len(keys)`` values per row."""

    __slots__ = ("descriptor", "keys", "seq_num", "stamps", "time", "uid", "values")

    def __init__(self, descriptor: str, keys: tuple[str, ...], columns: list[list[Any]]) -> None:
        self.descriptor = descriptor
        self.keys = keys
        self.uid, self.seq_num, self.time, self.values, self.stamps = columns


def one_row_pages(pages: list[Any], keys: tuple[str, ...] | None = None) -> OneRowPages | None:
    """Check consecutive one-event pages all at once and return their rows, or None.

    None means "add them one by one" (which says what is wrong, if anything): a page that
    ``one_row_page_is_sound`` would refuse, pages of more than one descriptor, data or
    timestamp keys other than ``keys`` (default: the first page's data keys), a page with
    ``filled`` entries, a uid given twice. Every test is one C-level pass over all pages, so
    a RunEngine's events cost a few hundred nanoseconds each instead of a few microseconds.

    Parameters
    ----------
    pages
        The decoded ``event_page`` documents, in file order.
    keys
        The data keys every page must have exactly (in the order of the returned values).
    """
    try:
        if set(map(type, pages)) != _DICT:
            return None
        fields = list(map(_PAGE_FIELDS, pages))
    except (KeyError, TypeError):
        return None
    uid, time, seq_num, descriptors, data, timestamps = (
        list(column) for column in zip(*fields, strict=True)
    )
    descriptor = descriptors[0]
    if type(descriptor) is not str or not descriptor or set(descriptors) != {descriptor}:
        return None
    if any(map(dict.get, pages, repeat("filled"))):
        return None
    uids, seq_nums, times = _flat_cells(uid), _flat_cells(seq_num), _flat_cells(time)
    if uids is None or seq_nums is None or times is None:
        return None
    if (
        set(map(type, uids)) != _STR
        or not all(uids)
        or len(set(uids)) != len(uids)
        or set(map(type, seq_nums)) != _INT
        or set(map(type, times)) != _FLOAT
        or not bool(np.all(np.abs(np.array(times)) < _TIME_LIMIT))
    ):
        return None
    if keys is None:
        keys = tuple(data[0]) if type(data[0]) is dict else ()
    values = _flat_rows(data, keys)
    stamps = _flat_rows(timestamps, keys)
    if values is None or stamps is None:
        return None
    return OneRowPages(descriptor, keys, [uids, seq_nums, times, values, stamps])


_PAGE_FIELDS = itemgetter("uid", "time", "seq_num", "descriptor", "data", "timestamps")
_DICT = {dict}
_LIST = {list}
_STR = {str}
_INT = {int}


def _flat_cells(cells: list[Any]) -> list[Any] | None:
    """The values of ``cells`` if every cell is a list of exactly one value, else None."""
    if set(map(type, cells)) != _LIST:
        return None
    try:
        return [value for (value,) in cells]
    except ValueError:  # a list of another length
        return None


def _flat_rows(mappings: list[Any], keys: tuple[str, ...]) -> list[Any] | None:
    """The values at ``keys`` of mappings that have exactly those keys (each a list of one
    value), row after row; None if any has other keys or values."""
    if set(map(type, mappings)) != _DICT or set(map(len, mappings)) != {len(keys)}:
        return None
    if not keys:
        return []
    try:
        rows = list(map(_getter(keys), mappings))
    except KeyError:
        return None
    if set(map(type, chain.from_iterable(rows))) != _LIST:
        return None
    try:
        return [value for row in rows for (value,) in row]
    except ValueError:
        return None


def _getter(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """``mapping -> tuple of its values at keys`` (KeyError for a missing key), in C."""
    if len(keys) >= 2:
        return itemgetter(*keys)
    if len(keys) == 1:
        (key,) = keys
        return lambda mapping: (mapping[key],)
    return lambda mapping: ()


def _columns(keys: tuple[str, ...], flat: list[Any], rows: int) -> dict[str, Any]:
    """Columns from ``flat``, the values of ``rows`` rows one after the other."""
    width = len(keys)
    if rows and width and set(map(type, flat[:width])) == _FLOAT:
        # Rows of floats (most scalar streams): one conversion for all columns. A column of
        # floats mixed with ints or bools is float64 either way; anything else is not
        # float64 as a whole and goes column by column.
        try:
            block = np.array(flat)
        except (ValueError, TypeError, OverflowError):
            block = None
        if block is not None and block.dtype == np.float64 and block.shape == (rows * width,):
            columns = np.ascontiguousarray(block.reshape(rows, width).T)
            return {key: columns[i] for i, key in enumerate(keys)}
    return {key: number_column(flat[i::width]) for i, key in enumerate(keys)}


_FLOAT = {float}


def number_column(values: Any) -> Any:
    """Numbers (of any shape) as one numpy array, as the column assembly would build them;
    anything else (strings, datum ids, ragged or mixed values) as it came."""
    if not isinstance(values, list):
        return values
    try:
        array = np.asarray(values)
    except (ValueError, TypeError, OverflowError):
        return values
    if array.dtype.kind in "biufc":
        return array
    return values
