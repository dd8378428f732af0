"""Columns of external fields: Resource/Datum and StreamResource/StreamDatum (rules 9, 10, 12, 13).

Rows are first grouped into chunks that never span two (stream) resources; every resource's
handler is checked before anything is loaded, so an unknown spec fails at build time. Eagerly
the chunks are loaded whole; lazily each becomes dask tasks of at most ``array.chunk-size``.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .._fill import ExternalLoader, HandlerPool, is_stream_field
from ..errors import BrokenReference, DatabrokerWarning, InvalidEventData
from .checks import check_values
from .columns import event_parts, fill_value, gather, row_objects
from .external_chunks import (
    Chunk,
    DatumChunk,
    FillChunk,
    InlineChunk,
    StreamChunk,
    choose_layout,
    fit_rows,
    load_chunk,
)
from .external_rows import ExternalRows
from .rows import StreamTable

if TYPE_CHECKING:
    import dask.array as da

__all__ = ["ExternalPlan", "plan_external"]

Doc = Mapping[str, Any]

#: The segment key of rows whose values are stored inline (no resource uid looks like it).
_INLINE = "\x00inline"


def _segments(keys: np.ndarray, breaks: np.ndarray) -> list[tuple[int, int]]:
    """Return ``[start, stop)`` runs of rows, cut where ``keys`` change or ``breaks`` is True."""
    cut = np.flatnonzero((keys[1:] != keys[:-1]) | breaks[1:]) + 1
    edges = [0, *cut.tolist(), len(keys)]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


@dataclass(frozen=True)
class _DatumRows:
    """Per row of a Resource/Datum field: its stored value and whether that value is data."""

    values: np.ndarray
    #: True where the stored event says the value is already filled (``filled[k]`` truthy).
    inline: np.ndarray


def _datum_rows(field: str, table: StreamTable) -> _DatumRows:
    rows = table.rows
    values = row_objects(event_parts(table, field), rows.event)
    flags = row_objects(event_parts(table, field, "filled"), rows.event)
    inline = np.fromiter((_is_filled(flag) for flag in flags), dtype=bool, count=len(flags))
    return _DatumRows(values, inline)


def _is_filled(flag: Any) -> bool:
    """``filled[k]`` is False (or absent) until filled, then the datum id or True."""
    return isinstance(flag, (str, bool, np.bool_)) and bool(flag)


def _check_datum_ids(field: str, values: np.ndarray, table: StreamTable) -> None:
    """Raise when an unfilled row holds something that cannot be a datum id."""
    for row, value in enumerate(values):
        if value is not None and not isinstance(value, str):
            rows = table.rows
            raise InvalidEventData(
                f"External field {field!r}: the event at seq_num {int(rows.seq_num[row])} of "
                f"descriptor {table.descriptor_uids[int(rows.descriptor[row])]!r} in "
                f"{table.place} holds {value!r:.80} ({type(value).__name__}) where a datum id "
                f"(a string) is expected. If the event holds the data itself, its "
                f"filled[{field!r}] must be the datum id or True."
            )


def _datum_chunks(
    field: str, datum: _DatumRows, table: StreamTable, loader: ExternalLoader
) -> list[Chunk]:
    ids = datum.values.copy()
    ids[datum.inline] = None
    _check_datum_ids(field, ids, table)
    present = np.array([datum_id is not None for datum_id in ids], dtype=bool)
    try:
        references = loader.datum_references(ids[present].tolist())
    except BrokenReference as err:
        raise BrokenReference(f"External field {field!r}: {err}") from err
    keys = np.full(len(ids), "", dtype=object)
    keys[present] = [resource["uid"] for resource, _ in references]
    keys[datum.inline] = _INLINE
    first_reference = np.cumsum(present) - 1
    seq_nums = table.rows.seq_num
    chunks: list[Chunk] = []
    for start, stop in _segments(keys, np.zeros(len(ids), dtype=bool)):
        if keys[start] == _INLINE:
            chunks.append(
                InlineChunk(
                    tuple(datum.values[start:stop].tolist()),
                    tuple(seq_nums[start:stop].tolist()),
                )
            )
            continue
        if not present[start]:
            chunks.append(FillChunk(stop - start))
            continue
        first = int(first_reference[start])
        refs = references[first : first + stop - start]
        chunks.append(
            DatumChunk(
                resource=refs[0][0],
                datum_kwargs=tuple(kwargs for _, kwargs in refs),
                datum_ids=tuple(ids[start:stop].tolist()),
                seq_nums=tuple(seq_nums[start:stop].tolist()),
            )
        )
    return chunks


def _stream_rows(field: str, table: StreamTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: StreamResource uid, index in it (-1: not covered) and StreamDatum uid."""
    rows = table.rows
    resource = np.full(len(rows), "", dtype=object)
    datum = np.full(len(rows), None, dtype=object)
    index = np.full(len(rows), -1, dtype=np.int64)
    for owner, ranges in enumerate(table.stream_datum):
        mine = rows.descriptor == owner
        for r in ranges:
            if r.data_key != field:
                continue
            hit = mine & (rows.seq_num >= r.seq_start) & (rows.seq_num < r.seq_stop)
            resource[hit] = r.stream_resource
            datum[hit] = r.uid
            index[hit] = r.index_start + rows.seq_num[hit] - r.seq_start
    uncovered = (index < 0) & (rows.event >= 0)
    if uncovered.any():
        warnings.warn(
            f"Field {field!r}: {int(uncovered.sum())} event rows (seq_nums "
            f"{rows.seq_num[uncovered][:10].tolist()}...) are covered by no StreamDatum; "
            f"they are NaN.",
            DatabrokerWarning,
            stacklevel=5,
        )
    return resource, index, datum


def _stream_chunks(
    resource: np.ndarray, index: np.ndarray, seq_nums: np.ndarray, loader: ExternalLoader
) -> list[Chunk]:
    # A new chunk starts where the resource changes or the indices stop being consecutive.
    jumps = np.ones(len(index), dtype=bool)
    jumps[1:] = index[1:] != index[:-1] + 1
    chunks: list[Chunk] = []
    for start, stop in _segments(resource, jumps & (index >= 0)):
        if index[start] < 0:
            chunks.append(FillChunk(stop - start))
            continue
        chunks.append(
            StreamChunk(
                stream_resource=loader.stream_resource(resource[start]),
                start=int(index[start]),
                stop=int(index[start]) + stop - start,
                seq_nums=tuple(seq_nums[start:stop].tolist()),
            )
        )
    return chunks


def _first_chunk(chunks: Sequence[Chunk]) -> DatumChunk | StreamChunk | InlineChunk | None:
    return next((c for c in chunks if not isinstance(c, FillChunk)), None)


def _final_dtype(dtype: np.dtype, chunks: Sequence[Chunk]) -> np.dtype:
    """Widen ``dtype`` to hold NaN/None when some rows have no reference."""
    if any(isinstance(c, FillChunk) for c in chunks):
        return fill_value(dtype)[0]
    return dtype


def _eager(field: str, data_key: Doc, chunks: Sequence[Chunk], pool: HandlerPool) -> np.ndarray:
    raws = [None if isinstance(c, FillChunk) else c.read(pool) for c in chunks]
    first = next((raw for raw in raws if raw is not None), None)
    observed = None if first is None else np.asarray(first[0])
    shape, dtype = choose_layout(field, data_key, observed)
    dtype = _final_dtype(dtype, chunks)
    parts = [
        load_chunk(pool, chunk, field, shape, dtype)
        if isinstance(chunk, FillChunk) or raw is None
        else fit_rows(field, raw, chunk, shape, dtype)
        for chunk, raw in zip(chunks, raws, strict=True)
    ]
    return np.concatenate(parts) if parts else np.empty((0, *shape), dtype=dtype)


def _probe(chunks: Sequence[Chunk], pool: HandlerPool) -> np.ndarray | None:
    """Load the first referenced row, or None if that fails (the error recurs at compute)."""
    first = _first_chunk(chunks)
    if first is None:
        return None
    try:
        return np.asarray(first.rows(0, 1).read(pool)[0])
    except Exception:
        return None


def _chunk_identity(chunk: Chunk) -> tuple[Any, ...]:
    """What determines a chunk's values (for the dask name), cheap to hash."""
    if isinstance(chunk, DatumChunk):
        return (chunk.resource["uid"], chunk.datum_ids)
    if isinstance(chunk, StreamChunk):
        return (chunk.stream_resource["uid"], chunk.start, chunk.stop)
    if isinstance(chunk, InlineChunk):
        return ("inline", chunk.seq_nums)
    return (len(chunk),)


def _lazy(field: str, data_key: Doc, chunks: Sequence[Chunk], pool: HandlerPool) -> da.Array:
    # Imported here: read() loads eagerly and must not import dask.array (scipy, numba).
    import dask
    import dask.array as da
    from dask.base import tokenize
    from dask.utils import parse_bytes

    shape, dtype = choose_layout(field, data_key, _probe(chunks, pool))
    dtype = _final_dtype(dtype, chunks)
    row_bytes = max(int(np.prod(shape)) * dtype.itemsize, 1)
    rows_per_chunk = max(parse_bytes(dask.config.get("array.chunk-size")) // row_bytes, 1)
    pieces = [piece for chunk in chunks for piece in chunk.split(rows_per_chunk)]
    rows = ExternalRows(field, pieces, pool, shape, dtype)
    identity = [_chunk_identity(piece) for piece in pieces]
    name = f"load-{field}-{tokenize(pool.run_uid, field, identity, shape, str(dtype))}"
    # One dask chunk per piece; plain getter tasks let dask fold later selections into them.
    return da.from_array(
        rows,
        chunks=(tuple(len(piece) for piece in pieces) or (0,), *((n,) for n in shape)),
        name=name,
        lock=False,
        meta=np.empty((0,) * rows.ndim, dtype=dtype),
    )


@dataclass(frozen=True)
class ExternalPlan:
    """The chunks of one external field, every handler already checked; :meth:`load` reads."""

    field: str
    data_key: Doc
    chunks: Sequence[Chunk]
    pool: HandlerPool

    def load(self, *, lazy: bool) -> Any:
        """Return the values, one per row: dask-backed when ``lazy``, else numpy."""
        if lazy:
            return _lazy(self.field, self.data_key, self.chunks, self.pool)
        return _eager(self.field, self.data_key, self.chunks, self.pool)


def _inline_column(
    field: str, data_key: Doc, table: StreamTable, owner_uids: Sequence[str]
) -> np.ndarray:
    """The column of a field whose every event holds its value inline, checked and gathered
    as an internal field."""
    validate = partial(check_values, field, data_key, owner_uids=owner_uids, place=table.place)
    parts = event_parts(table, field)
    return gather(field, parts, table.rows.event, owner_uids, data_key, validate=validate)


def plan_external(
    field: str,
    data_key: Doc,
    table: StreamTable,
    owner_uids: Sequence[str],
    loader: ExternalLoader | None,
) -> ExternalPlan | np.ndarray:
    """Group an external field's rows into chunks, checking each (stream) resource's handler.

    With no loader, return the column of each row's reference instead: its datum id, or for
    a ``STREAM:`` field the uid of the StreamDatum covering it (None where there is none).

    Raises
    ------
    UnknownHandlerSpec
        When a (stream) resource of the field has no registered handler (rule 12).
    """
    rows = table.rows
    if is_stream_field(data_key):
        resource, index, datum = _stream_rows(field, table)
        if loader is None:
            return datum
        chunks = _stream_chunks(resource, index, rows.seq_num, loader)
    else:
        rows_of = _datum_rows(field, table)
        has_event = rows.event >= 0
        if rows_of.inline[has_event].all() and has_event.any():
            # Every event was filled when stored (a pack tool's "fill external"): plain data.
            return _inline_column(field, data_key, table, owner_uids)
        if loader is None:
            return rows_of.values
        chunks = _datum_chunks(field, rows_of, table, loader)
    for chunk in chunks:
        if isinstance(chunk, DatumChunk):
            loader.check(chunk.resource, field)
        elif isinstance(chunk, StreamChunk):
            loader.check(chunk.stream_resource, field)
    return ExternalPlan(field, data_key, chunks, loader.pool)
