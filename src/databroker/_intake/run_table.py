"""``RunTable``: the ``pandas.DataFrame`` that ``Broker.summary()`` returns.

Its values are what the catalog holds, except that ``*.time`` fields are timezone-aware local
datetimes; printing it (``print(catalog.summary())``) formats for a terminal: uids shortened
to 8 characters, column names shortened (``start.scan_id`` -> ``scan_id``, ``start.time`` ->
``start``), times to the second, and a later time on the same day as the row's previous one
to the time of day, so the default columns fit 80 columns. HTML (notebooks) is pandas' own.

pandas is imported on first use only; the class is built then and published here as
``RunTable`` (so pickling finds it).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["is_time_field", "run_table"]


def is_time_field(name: str) -> bool:
    """Return True for dotted fields holding epoch seconds (``start.time``, ``stop.time``)."""
    return name.rpartition(".")[2] == "time"


def run_table(columns: Mapping[str, Sequence[Any]], uids: Sequence[str]) -> Any:
    """Return a ``RunTable`` with one column per field (time fields as local datetimes)."""
    import pandas
    from dateutil.tz import tzlocal

    data: dict[str, Any] = {}
    for name, values in columns.items():
        if is_time_field(name):
            seconds = pandas.to_numeric(pandas.Series(list(values), dtype=object), errors="coerce")
            stamps = pandas.to_datetime(seconds, unit="s", utc=True).dt.round("us")
            data[name] = stamps.dt.tz_convert(tzlocal()).array
        else:
            data[name] = list(values)
    index = pandas.Index(list(uids), name="uid", dtype=object)
    return _run_table_class()(data, index=index, columns=list(columns))


def _aliases(names: Sequence[str]) -> list[str]:
    """Short column names: the document name for times, else the last dotted part."""
    short = [
        name.partition(".")[0] if is_time_field(name) else name.rpartition(".")[2] for name in names
    ]
    return [s if short.count(s) == 1 else name for s, name in zip(short, names, strict=True)]


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    return text if len(text) <= 14 else text[:13] + "…"


def table_text(frame: Any) -> str:
    """Format a ``RunTable`` for a terminal (see the module docstring)."""
    import pandas

    view = pandas.DataFrame(index=pandas.Index([str(uid)[:8] for uid in frame.index], name="uid"))
    previous: list[Any] = [None] * len(frame)
    for name, alias in zip(frame.columns, _aliases(list(frame.columns)), strict=True):
        column = frame[name]
        if not isinstance(column.dtype, pandas.DatetimeTZDtype):
            view[alias] = [_cell(value) for value in column]
            continue
        cells = []
        for row, stamp in enumerate(column):
            if stamp is pandas.NaT:
                cells.append("?")
                continue
            same_day = previous[row] is not None and previous[row].date() == stamp.date()
            cells.append(stamp.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S"))
            previous[row] = stamp
        view[alias] = cells
    return view.to_string(
        max_rows=pandas.get_option("display.max_rows"),
        min_rows=pandas.get_option("display.min_rows"),
        show_dimensions="truncate",
    )


@functools.cache
def _run_table_class() -> type:
    import pandas

    class RunTable(pandas.DataFrame):
        """One row per run (index ``uid``); printing shortens it to fit a terminal."""

        @property
        def _constructor(self) -> type:
            return RunTable

        def __repr__(self) -> str:
            try:
                return table_text(self)
            except Exception:  # a frame reshaped by the user: print it as pandas does
                return pandas.DataFrame.__repr__(self)

        __str__ = __repr__

    RunTable.__module__ = __name__
    RunTable.__qualname__ = "RunTable"
    return RunTable


def __getattr__(name: str) -> Any:
    if name == "RunTable":
        return _run_table_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
