"""Runs of same-shape msgpack records, read with numpy instead of one record at a time.

A RunEngine writes one event per ``event_page`` record; in a msgpack file the records of one
stream then differ only in their values: the same keys in the same order, the same headers,
floats always as 9 bytes. :func:`record_shape` walks one record's bytes once and notes which
bytes are structure (headers, keys, fixed strings) and where each value lies;
:func:`matching_records` then checks, for all following records at once, that they are exactly
that long and that every structure byte is the same, so that each is a valid msgpack record of
the same shape; :func:`record_columns` takes each value column out of all of them with one
numpy view. Anything the shape does not describe exactly (bin or ext values, numpy maps,
containers as values, an integer whose encoding changes width) ends the run of matches, and
the records from there are decoded as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

__all__ = ["RecordShape", "matching_records", "record_columns", "record_shape"]

#: A value's place in the decoded record: keys and list indices from the top.
Path = tuple[Any, ...]

# Fixed-width numbers: header byte -> (big-endian numpy type, width).
_NUMBERS = {
    0xCA: (">f4", 4),
    0xCB: (">f8", 8),
    0xCC: (">u1", 1),
    0xCD: (">u2", 2),
    0xCE: (">u4", 4),
    0xCF: (">u8", 8),
    0xD0: (">i1", 1),
    0xD1: (">i2", 2),
    0xD2: (">i4", 4),
    0xD3: (">i8", 8),
}
# Headers with a big-endian length after them: header byte -> (what, width of the length).
_SIZED = {
    0xD9: ("str", 1),
    0xDA: ("str", 2),
    0xDB: ("str", 4),
    0xDC: ("array", 2),
    0xDD: ("array", 4),
    0xDE: ("map", 2),
    0xDF: ("map", 4),
}


@dataclass(frozen=True)
class _Value:
    """One value of the record: its place, encoding and byte range ``[offset, offset+width)``."""

    path: Path
    kind: str  # "number", "fixint", "negative", "bool", "str"
    offset: int
    width: int
    dtype: str = ""


@dataclass(frozen=True)
class RecordShape:
    """The byte layout of one encoded record.

    Attributes
    ----------
    length
        The record's length in bytes.
    template
        The record's bytes.
    values
        Where each value lies, in the order of the record.
    """

    length: int
    template: np.ndarray
    values: tuple[_Value, ...]
    # Structure bytes as little-endian 8-byte words (and the bytes after the last word),
    # with a mask that keeps only structure bits, to compare all records at once.
    _words: np.ndarray
    _word_mask: np.ndarray
    _tail: np.ndarray
    _tail_mask: np.ndarray


class _Unsupported(Exception):
    """The record holds something a shape cannot describe exactly."""


def record_shape(record: bytes, fixed: frozenset[Path] = frozenset()) -> RecordShape | None:
    """Return the layout of one complete msgpack record, or None if it cannot be described.

    Parameters
    ----------
    record
        The bytes of exactly one msgpack object.
    fixed
        Paths of values that must be the same in every matching record (a record's name):
        their bytes count as structure.
    """
    found: list[_Value] = []
    try:
        end = _walk(record, 0, (), found, is_key=False)
    except (_Unsupported, IndexError, ValueError):
        return None
    if end != len(record):
        return None
    values = [value for value in found if value.path not in fixed]
    template = np.frombuffer(record, dtype=np.uint8)
    structure = np.ones(len(record), dtype=bool)
    for value in values:
        structure[value.offset : value.offset + value.width] = False
    words = len(record) // 8
    mask = np.where(structure, 0xFF, 0).astype(np.uint8)
    word_bytes = words * 8
    return RecordShape(
        length=len(record),
        template=template,
        values=tuple(values),
        _words=(template[:word_bytes] & mask[:word_bytes]).view("<u8"),
        _word_mask=mask[:word_bytes].view("<u8"),
        _tail=template[word_bytes:] & mask[word_bytes:],
        _tail_mask=mask[word_bytes:],
    )


def _length(record: bytes, at: int, width: int) -> int:
    return int.from_bytes(record[at : at + width], "big")


def _walk(record: bytes, at: int, path: Path, values: list[_Value], *, is_key: bool) -> int:
    """Note the values of the object at ``at``; return the offset just after it."""
    head = record[at]
    if head <= 0x7F:
        values.append(_Value(path, "fixint", at, 1))
        return at + 1
    if head >= 0xE0:
        values.append(_Value(path, "negative", at, 1))
        return at + 1
    if 0xA0 <= head <= 0xBF:
        return _string(record, at + 1, head & 0x1F, path, values, is_key=is_key)
    if 0x80 <= head <= 0x8F:
        return _map(record, at + 1, head & 0x0F, path, values)
    if 0x90 <= head <= 0x9F:
        return _array(record, at + 1, head & 0x0F, path, values)
    if head == 0xC0:
        return at + 1
    if head in (0xC2, 0xC3):
        values.append(_Value(path, "bool", at, 1))
        return at + 1
    if head in _NUMBERS:
        dtype, width = _NUMBERS[head]
        values.append(_Value(path, "number", at + 1, width, dtype))
        return at + 1 + width
    if head in _SIZED:
        what, width = _SIZED[head]
        size = _length(record, at + 1, width)
        start = at + 1 + width
        if what == "str":
            return _string(record, start, size, path, values, is_key=is_key)
        if what == "map":
            return _map(record, start, size, path, values)
        return _array(record, start, size, path, values)
    raise _Unsupported(f"byte {head:#x}")  # bin, ext: decoded as usual


def _string(
    record: bytes, at: int, size: int, path: Path, values: list[_Value], *, is_key: bool
) -> int:
    if at + size > len(record):
        raise _Unsupported("a string past the end")
    if not is_key:  # keys are structure; values may change from record to record
        values.append(_Value(path, "str", at, size))
    return at + size


def _map(record: bytes, at: int, size: int, path: Path, values: list[_Value]) -> int:
    for _ in range(size):
        if not (0xA0 <= record[at] <= 0xBF or record[at] == 0xD9):
            raise _Unsupported("a key that is not a short string")  # bin keys: numpy maps
        key_end = _walk(record, at, path, values, is_key=True)
        key = msgpack.unpackb(record[at:key_end], raw=False)
        at = _walk(record, key_end, (*path, key), values, is_key=False)
    return at


def _array(record: bytes, at: int, size: int, path: Path, values: list[_Value]) -> int:
    for index in range(size):
        at = _walk(record, at, (*path, index), values, is_key=False)
    return at


#: Records compared per step: small first (a run may be short), then larger, up to what
#: keeps the step's arrays in the processor's cache.
_FIRST_STEP = 64
_MAX_STEP = 1 << 12


def matching_records(buffer: Any, offset: int, shape: RecordShape, limit: int) -> int:
    """Count the records of ``shape`` that follow each other from byte ``offset``.

    A record matches when its ``shape.length`` bytes repeat every structure byte of the
    template and each value byte range holds a value of the template's encoding there; such
    bytes decode to a record of the same keys, types and length.

    Parameters
    ----------
    buffer
        Bytes (or a buffer) holding complete records from ``offset`` on.
    offset
        Where the first record to compare begins.
    shape
        The layout to compare against.
    limit
        Compare at most this many records.
    """
    length = shape.length
    available = min(limit, (len(buffer) - offset) // length)
    scratch = _Scratch(min(available, _MAX_STEP), shape._words.size)
    count, step = 0, _FIRST_STEP
    while count < available:
        rows = min(step, available - count)
        matched = _matches(buffer, offset + count * length, rows, shape, scratch)
        count += matched
        if matched < rows:
            break
        step = min(step * 4, _MAX_STEP)
    return count


class _Scratch:
    """Arrays reused by every comparison of one count (no allocation per step)."""

    __slots__ = ("equal", "masked")

    def __init__(self, rows: int, words: int) -> None:
        self.masked = np.empty((rows, words), dtype="<u8")
        self.equal = np.empty((rows, words), dtype=bool)


def _matches(buffer: Any, offset: int, rows: int, shape: RecordShape, scratch: _Scratch) -> int:
    """How many of ``rows`` records from ``offset`` match, counted from the first."""
    length = shape.length
    table = np.frombuffer(buffer, dtype=np.uint8, count=rows * length, offset=offset)
    table = table.reshape(rows, length)
    words = shape._words.size
    if words:
        as_words = np.ndarray(
            (rows, words), dtype="<u8", buffer=table, strides=(length, 8)
        )  # unaligned loads of 8 bytes: one comparison per word of each record
        masked, equal = scratch.masked[:rows], scratch.equal[:rows]
        np.bitwise_and(as_words, shape._word_mask, out=masked)
        np.equal(masked, shape._words, out=equal)
        good = equal.all(axis=1)
    else:
        good = np.ones(rows, dtype=bool)
    if shape._tail.size:
        tail = table[:, words * 8 :]
        good &= ((tail & shape._tail_mask) == shape._tail).all(axis=1)
    for value in shape.values:
        check = _VALUE_CHECKS.get(value.kind)
        if check is not None:
            good &= check(table[:, value.offset])
    if good.all():
        return rows
    return int(np.argmin(good))


_VALUE_CHECKS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "fixint": lambda byte: byte <= 0x7F,
    "negative": lambda byte: byte >= 0xE0,
    "bool": lambda byte: (byte == 0xC2) | (byte == 0xC3),
}


def record_columns(
    buffer: Any, offset: int, rows: int, shape: RecordShape
) -> dict[Path, np.ndarray | list[Any]] | None:
    """The value columns of ``rows`` matching records from ``offset``, by their paths.

    Numbers come as int64 or float64 arrays (floats of 4 bytes widened, as msgpack decodes
    them), booleans as bool arrays, strings as lists of str. None if a string is not UTF-8
    or an unsigned integer does not fit int64: the records are then decoded as usual (which
    says what is wrong, if anything).
    """
    length = shape.length
    table = np.frombuffer(buffer, dtype=np.uint8, count=rows * length, offset=offset)
    table = table.reshape(rows, length)
    columns: dict[Path, np.ndarray | list[Any]] = {}
    for value in shape.values:
        column = _column(table, value, rows)
        if column is None:
            return None
        columns[value.path] = column
    return columns


def _column(table: np.ndarray, value: _Value, rows: int) -> np.ndarray | list[Any] | None:
    start, width = value.offset, value.width
    if value.kind == "number":
        raw = np.ascontiguousarray(table[:, start : start + width]).view(value.dtype)[:, 0]
        if raw.dtype.kind == "f":
            return raw.astype(np.float64)
        if raw.dtype == np.dtype(">u8") and rows and int(raw.max()) > np.iinfo(np.int64).max:
            return None
        return raw.astype(np.int64)
    byte = table[:, start]
    if value.kind == "fixint":
        return byte.astype(np.int64)
    if value.kind == "negative":
        return byte.astype(np.int64) - 256
    if value.kind == "bool":
        return byte == 0xC3
    return _strings(table[:, start : start + width], rows, width)


def _strings(cells: np.ndarray, rows: int, width: int) -> list[str] | None:
    """Decode ``rows`` strings of ``width`` bytes each."""
    if width == 0:
        return [""] * rows
    if rows and bool((cells == cells[0]).all()):  # the same in every record (a descriptor)
        try:
            return [bytes(cells[0]).decode("utf-8")] * rows
        except UnicodeDecodeError:
            return None
    data = np.ascontiguousarray(cells).tobytes()
    if not data.isascii():
        try:
            return [bytes(row).decode("utf-8") for row in cells]
        except UnicodeDecodeError:
            return None
    text = data.decode("ascii")
    return [text[i : i + width] for i in range(0, rows * width, width)]
