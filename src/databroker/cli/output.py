"""What every sub-command prints with: tables, JSON, one-line errors and progress bars."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

__all__ = ["format_duration", "jsonable", "one_line", "print_json", "progress", "table"]

T = TypeVar("T")


def jsonable(value: Any) -> Any:
    """Return ``value`` made of JSON types (numpy values, tuples, datetimes converted)."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        return jsonable(tolist())
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return str(value)


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    print(json.dumps(jsonable(value), indent=2))


def cell(value: Any) -> str:
    """Return the text of one table cell (None is blank; containers as compact JSON)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(jsonable(value), separators=(",", ":"))
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, indent: str = "") -> str:
    """Return rows as an aligned text table under a header line (numbers right-aligned)."""
    raw = [list(row) for row in rows]
    texts = [[cell(value) for value in row] for row in raw]
    widths = [len(header) for header in headers]
    for row in texts:
        widths = [max(width, len(text)) for width, text in zip(widths, row, strict=True)]
    numeric = [
        bool(raw) and all(_is_number(row[i]) or row[i] is None for row in raw)
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    return "\n".join([line(list(headers)), *(line(row) for row in texts)])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_duration(seconds: float | None) -> str:
    """Return a duration as ``'4.2 s'``, ``'3 min 05 s'`` or ``'2 h 03 min'`` (None: blank)."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def one_line(message: str) -> str:
    """Return a (possibly multi-line) message as one line."""
    return " ".join(part.strip() for part in str(message).splitlines() if part.strip())


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterator[T]:
    """Yield ``items``, showing a progress bar on stderr only when stdout is a terminal."""
    if not sys.stdout.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, file=sys.stderr, leave=False)
