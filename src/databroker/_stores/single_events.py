"""Columns grown from single events, as a RunEngine writes them (one event per document).

A :class:`GrowingEventPage` takes consecutive events of one descriptor that share their data
keys, whether they come as ``event`` documents or as one-event ``event_page`` documents, and
keeps one row of values per event, no per-event dictionaries. :meth:`GrowingEventPage.seal`
turns the rows into one columnar event page (numbers as numpy arrays) once nobody appends any
more, so everything above storage sees pages, large ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

import numpy as np

__all__ = ["GrowingEventPage", "number_column"]

# What a document that is not a well-formed single event raises while its values are read.
_NOT_SINGLE = (KeyError, TypeError, ValueError, AttributeError)


class GrowingEventPage:
    """Consecutive single events of one descriptor with the same data keys, kept as rows.

    Parameters
    ----------
    descriptor
        The descriptor uid.
    keys
        The data keys every event of the page has (and the order of each row's values).
    """

    __slots__ = (
        "_data",
        "_filled",
        "_timestamps",
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
        self._data: list[list[Any]] = []
        self._timestamps: list[list[Any]] = []
        self._filled: list[tuple[int, Mapping[str, Any]]] = []

    def __len__(self) -> int:
        return len(self.uid)

    def append_event(self, event: Mapping[str, Any]) -> bool:
        """Add an ``event`` document; return False (adding nothing) if its keys differ."""
        keys = self.keys
        try:
            data, timestamps = event["data"], event["timestamps"]
            if len(data) != len(keys):
                return False
            values = list(map(data.__getitem__, keys))
            stamps = list(map(timestamps.__getitem__, keys))
            row = (event["uid"], event["seq_num"], event["time"])
        except KeyError:
            return False
        self._append(row, values, stamps, event.get("filled") or {})
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
        if filled:
            self._filled.append((len(self.uid), filled))
        self.uid.append(uid)
        self.seq_num.append(seq_num)
        self.time.append(time)
        self._data.append(values)
        self._timestamps.append(stamps)
        return True

    def _append(
        self,
        row: tuple[Any, Any, Any],
        values: list[Any],
        stamps: list[Any],
        filled: Mapping[str, Any],
    ) -> None:
        if filled:
            self._filled.append((len(self.uid), filled))
        self.uid.append(row[0])
        self.seq_num.append(row[1])
        self.time.append(row[2])
        self._data.append(values)
        self._timestamps.append(stamps)

    def event(self, row: int) -> dict[str, Any]:
        """Return event ``row`` as an event document (for duplicate checks)."""
        filled: dict[str, Any] = {}
        for at, values in self._filled:
            if at == row:
                filled = dict(values)
        return {
            "descriptor": self.descriptor,
            "uid": self.uid[row],
            "seq_num": self.seq_num[row],
            "time": self.time[row],
            "data": dict(zip(self.keys, self._data[row], strict=True)),
            "timestamps": dict(zip(self.keys, self._timestamps[row], strict=True)),
            "filled": filled,
        }

    def seal(self) -> dict[str, Any]:
        """Return the events as one event page: number columns become numpy arrays."""
        return {
            "descriptor": self.descriptor,
            "uid": self.uid,
            "seq_num": self.seq_num,
            "time": self.time,
            "data": _columns(self.keys, self._data),
            "timestamps": _columns(self.keys, self._timestamps),
            "filled": self._filled_columns(),
        }

    def _filled_columns(self) -> dict[str, list[Any]]:
        columns: dict[str, list[Any]] = {}
        for row, values in self._filled:
            for key, value in values.items():
                columns.setdefault(key, [False] * len(self.uid))[row] = value
        return columns


def _columns(keys: tuple[str, ...], rows: list[list[Any]]) -> dict[str, Any]:
    if rows and all(type(value) is float for value in rows[0]):
        # Rows of floats (most scalar streams): one conversion for all columns. A column of
        # floats mixed with ints or bools is float64 either way; anything else is not
        # float64 as a whole and goes column by column.
        try:
            block = np.array(rows)
        except (ValueError, TypeError, OverflowError):
            block = None
        shape = (len(rows), len(keys))
        if block is not None and block.dtype == np.float64 and block.shape == shape:
            columns = np.ascontiguousarray(block.T)
            return {key: columns[i] for i, key in enumerate(keys)}
    return {key: number_column(list(map(itemgetter(i), rows))) for i, key in enumerate(keys)}


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
