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
from typing import Any

import dask
import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.utils import parse_bytes

from .._fill import ExternalLoader, HandlerPool, is_stream_field
from ..errors import DatabrokerWarning
from .columns import event_parts, fill_value, gather
from .external_chunks import (
    Chunk,
    DatumChunk,
    FillChunk,
    StreamChunk,
    choose_layout,
    fit_rows,
    load_chunk,
)
from .external_rows import ExternalRows
from .rows import StreamTable

__all__ = ["ExternalPlan", "plan_external"]

Doc = Mapping[str, Any]

#: How datum ids are gathered: one string per row, whatever the field's DataKey declares.
_ID_KEY = {"dtype": "string", "shape": []}


def _segments(keys: np.ndarray, breaks: np.ndarray) -> list[tuple[int, int]]:
    """Return ``[start, stop)`` runs of rows, cut where ``keys`` change or ``breaks`` is True."""
    cut = np.flatnonzero((keys[1:] != keys[:-1]) | breaks[1:]) + 1
    edges = [0, *cut.tolist(), len(keys)]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _datum_ids(field: str, table: StreamTable, owner_uids: Sequence[str]) -> np.ndarray:
    parts = event_parts(table.pages, field)
    ids = gather(field, parts, table.rows.event, owner_uids, _ID_KEY)
    return ids.astype(object)


def _datum_chunks(ids: np.ndarray, seq_nums: np.ndarray, loader: ExternalLoader) -> list[Chunk]:
    present = np.array([datum_id is not None for datum_id in ids], dtype=bool)
    references = loader.datum_references(ids[present].tolist())
    keys = np.full(len(ids), "", dtype=object)
    keys[present] = [resource["uid"] for resource, _ in references]
    first_reference = np.cumsum(present) - 1
    chunks: list[Chunk] = []
    for start, stop in _segments(keys, np.zeros(len(ids), dtype=bool)):
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


def _first_chunk(chunks: Sequence[Chunk]) -> DatumChunk | StreamChunk | None:
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
    return (len(chunk),)


def _lazy(field: str, data_key: Doc, chunks: Sequence[Chunk], pool: HandlerPool) -> da.Array:
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
        ids = _datum_ids(field, table, owner_uids)
        if loader is None:
            return ids
        chunks = _datum_chunks(ids, rows.seq_num, loader)
    for chunk in chunks:
        if isinstance(chunk, DatumChunk):
            loader.check(chunk.resource, field)
        elif isinstance(chunk, StreamChunk):
            loader.check(chunk.stream_resource, field)
    return ExternalPlan(field, data_key, chunks, loader.pool)
