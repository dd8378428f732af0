"""Chunks of external rows and how their loaded values are fitted to the field's shape (rule 9).

A chunk is a run of consecutive rows served by one Resource (or one contiguous index range of
one StreamResource), or a run of rows without any reference (filled with NaN/None). Chunks
are plain picklable values; dask tasks call :func:`load_chunk` on them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from .._fill import HandlerPool, declared_dtype, declared_shape
from ..errors import ShapeMismatchError, ShapeMismatchWarning
from .columns import fill_value

__all__ = [
    "Chunk",
    "DatumChunk",
    "FillChunk",
    "InlineChunk",
    "StreamChunk",
    "choose_layout",
    "load_chunk",
]

Doc = Mapping[str, Any]


@dataclass(frozen=True)
class DatumChunk:
    """Rows whose values are datum of one Resource."""

    resource: Doc
    datum_kwargs: tuple[Doc, ...]
    datum_ids: tuple[str, ...]
    seq_nums: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.datum_ids)

    def split(self, size: int) -> list[DatumChunk]:
        """Return consecutive pieces of at most ``size`` rows."""
        return [self.rows(i, i + size) for i in range(0, len(self), size)]

    def rows(self, start: int, stop: int) -> DatumChunk:
        """Return the chunk of rows ``[start, stop)`` of this one."""
        return self.take(range(start, min(stop, len(self))))

    def take(self, rows: Sequence[int]) -> DatumChunk:
        """Return the chunk of the given rows of this one, in that order."""
        return DatumChunk(
            self.resource,
            tuple(self.datum_kwargs[i] for i in rows),
            tuple(self.datum_ids[i] for i in rows),
            tuple(self.seq_nums[i] for i in rows),
        )

    def read(self, pool: HandlerPool) -> np.ndarray | list[np.ndarray]:
        """Load the raw values through the Resource's handler."""
        return pool.read_datum(self.resource, self.datum_kwargs, self.datum_ids)

    def describe(self, i: int) -> str:
        """Name row ``i`` for messages."""
        return f"seq_num {self.seq_nums[i]}, datum id {self.datum_ids[i]!r}"


@dataclass(frozen=True)
class StreamChunk:
    """Rows ``[start, stop)`` of one StreamResource."""

    stream_resource: Doc
    start: int
    stop: int
    seq_nums: tuple[int, ...]

    def __len__(self) -> int:
        return self.stop - self.start

    def split(self, size: int) -> list[StreamChunk]:
        """Return consecutive pieces of at most ``size`` rows."""
        return [self.rows(i, i + size) for i in range(0, len(self), size)]

    def rows(self, start: int, stop: int) -> StreamChunk:
        """Return the chunk of rows ``[start, stop)`` of this one."""
        stop = min(stop, len(self))
        return StreamChunk(
            self.stream_resource,
            self.start + start,
            self.start + stop,
            self.seq_nums[start:stop],
        )

    def read(self, pool: HandlerPool) -> np.ndarray:
        """Load the rows through the StreamResource's reader."""
        return pool.read_stream(self.stream_resource, self.start, self.stop)

    def describe(self, i: int) -> str:
        """Name row ``i`` for messages."""
        return (
            f"seq_num {self.seq_nums[i]}, row {self.start + i} of StreamResource "
            f"{self.stream_resource['uid']!r}"
        )


@dataclass(frozen=True)
class InlineChunk:
    """Rows of an external field already filled in the stored events (``filled[k]`` truthy).

    A pack tool's "fill external" mode writes the arrays into the events; they are data, not
    datum ids.
    """

    values: tuple[Any, ...]
    seq_nums: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.values)

    def split(self, size: int) -> list[InlineChunk]:
        """Return consecutive pieces of at most ``size`` rows."""
        return [self.rows(i, i + size) for i in range(0, len(self), size)]

    def rows(self, start: int, stop: int) -> InlineChunk:
        """Return the chunk of rows ``[start, stop)`` of this one."""
        return InlineChunk(self.values[start:stop], self.seq_nums[start:stop])

    def read(self, pool: HandlerPool) -> list[np.ndarray]:
        """Return the stored values (no handler is involved)."""
        return [np.asarray(value) for value in self.values]

    def describe(self, i: int) -> str:
        """Name row ``i`` for messages."""
        return f"seq_num {self.seq_nums[i]} (filled in the stored event)"


@dataclass(frozen=True)
class FillChunk:
    """Rows without a reference: NaN or None."""

    length: int

    def __len__(self) -> int:
        return self.length

    def split(self, size: int) -> list[FillChunk]:
        """Fill chunks cost nothing to make; they are never split."""
        return [self]

    def rows(self, start: int, stop: int) -> FillChunk:
        """Return the chunk of rows ``[start, stop)`` of this one."""
        return FillChunk(min(stop, self.length) - start)


Chunk = DatumChunk | StreamChunk | InlineChunk | FillChunk
#: Chunks whose rows have values (through a handler or reader, or stored inline).
LoadedChunk = DatumChunk | StreamChunk | InlineChunk


def _same_up_to_unit_axes(a: Sequence[int], b: Sequence[int]) -> bool:
    return [n for n in a if n != 1] == [n for n in b if n != 1]


def choose_layout(
    field: str, data_key: Doc, observed: np.ndarray | None
) -> tuple[tuple[int, ...], np.dtype]:
    """Return the per-row shape and dtype of an external field from its first row (rule 9).

    ``observed`` is the first row, or None when it could not be read (the declared shape
    and dtype are used; unknown sizes become 0).
    """
    declared = declared_shape(data_key)
    if observed is None:
        return tuple(size or 0 for size in declared), declared_dtype(data_key)
    shape = observed.shape
    if data_key.get("shape") is None or None in declared:
        return shape, observed.dtype
    known = cast(tuple[int, ...], declared)  # no None left after the check above
    if known == shape or _same_up_to_unit_axes(shape, known):
        return known, observed.dtype
    warnings.warn(
        f"External field {field!r} declares shape {list(declared)} but its first value has "
        f"shape {list(shape)}; using the observed shape.",
        ShapeMismatchWarning,
        stacklevel=4,
    )
    return shape, observed.dtype


def _fit_row(
    field: str, row: np.ndarray, shape: tuple[int, ...], chunk: LoadedChunk, i: int
) -> Any:
    if row.shape == shape:
        return row
    if row.size == int(np.prod(shape)) and _same_up_to_unit_axes(row.shape, shape):
        return row.reshape(shape)
    raise ShapeMismatchError(
        f"External field {field!r}: the value at {chunk.describe(i)} has shape "
        f"{list(row.shape)}, but the field's shape is {list(shape)} (from its first value "
        f"and DataKey). Read the stream with exclude=[{field!r}] to skip it."
    )


def fit_rows(
    field: str,
    raw: np.ndarray | list[np.ndarray],
    chunk: LoadedChunk,
    shape: tuple[int, ...],
    dtype: np.dtype,
) -> np.ndarray:
    """Return the raw values of ``chunk`` as one ``(len(chunk), *shape)`` array of ``dtype``."""
    n = len(chunk)
    if isinstance(raw, np.ndarray) and len(raw) == n:
        if raw.shape[1:] == shape:
            return raw.astype(dtype, copy=False)
        if raw.ndim > 0 and _same_up_to_unit_axes(raw.shape[1:], shape):
            return raw.reshape(n, *shape).astype(dtype, copy=False)
    if len(raw) != n:
        raise ShapeMismatchError(
            f"External field {field!r}: loading {n} rows starting at {chunk.describe(0)} "
            f"returned {len(raw)} values."
        )
    out = np.empty((n, *shape), dtype=dtype)
    for i, row in enumerate(raw):
        out[i] = _fit_row(field, np.asarray(row), shape, chunk, i)
    return out


def load_chunk(
    pool: HandlerPool, chunk: Chunk, field: str, shape: tuple[int, ...], dtype: np.dtype
) -> np.ndarray:
    """Load one chunk as an ``(len(chunk), *shape)`` array (a dask task)."""
    if isinstance(chunk, FillChunk):
        out = np.empty((len(chunk), *shape), dtype=dtype)
        out[...] = fill_value(dtype)[1]
        return out
    return fit_rows(field, chunk.read(pool), chunk, shape, dtype)
