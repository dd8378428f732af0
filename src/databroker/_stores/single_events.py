"""Columns grown from single events, as a RunEngine writes them (one event per document).

A :class:`GrowingEventPage` takes consecutive events of one descriptor that share their data
keys, whether they come as ``event`` documents or as one-event ``event_page`` documents, and
keeps one row of values per event, no per-event dictionaries. :meth:`GrowingEventPage.seal`
turns the rows into one columnar event page (numbers as numpy arrays) once nobody appends any
more, so everything above storage sees pages, large ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np

__all__ = ["GrowingEventPage", "number_column"]

# What a document that is not a well-formed single event raises while its values are read.
_NOT_SINGLE = (KeyError, TypeError, ValueError, AttributeError)


class GrowingEventPage:
    """Consecutive single events of one descriptor with the same data keys, kept as rows.

    The values (and timestamps) of all rows are kept in one flat list, ``len(keys)`` per
    row: appending a row is one C-level ``extend``, and sealing converts the whole list with
    one ``np.array`` when the values are floats.

    Parameters
    ----------
    descriptor
        The descriptor uid.
    keys
        The data keys every event of the page has (and the order of each row's values).
    """

    __slots__ = (
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
        width = len(self.keys)
        cut = slice(row * width, (row + 1) * width)
        return {
            "descriptor": self.descriptor,
            "uid": self.uid[row],
            "seq_num": self.seq_num[row],
            "time": self.time[row],
            "data": dict(zip(self.keys, self._values[cut], strict=True)),
            "timestamps": dict(zip(self.keys, self._stamps[cut], strict=True)),
            "filled": filled,
        }

    def seal(self) -> dict[str, Any]:
        """Return the events as one event page: number columns become numpy arrays."""
        rows = len(self.uid)
        return {
            "descriptor": self.descriptor,
            "uid": self.uid,
            "seq_num": self.seq_num,
            "time": self.time,
            "data": _columns(self.keys, self._values, rows),
            "timestamps": _columns(self.keys, self._stamps, rows),
            "filled": self._filled_columns(),
        }

    def _filled_columns(self) -> dict[str, list[Any]]:
        columns: dict[str, list[Any]] = {}
        for row, values in self._filled:
            for key, value in values.items():
                columns.setdefault(key, [False] * len(self.uid))[row] = value
        return columns


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
