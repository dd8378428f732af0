"""``ExternalRows``: an external field as a sliceable array that reads only the rows asked for.

``to_dask()`` wraps one in :func:`dask.array.from_array`, one dask chunk per piece. Because the
dask tasks are plain ``getter(rows, index)`` calls, dask's graph optimisation folds a later
selection (``x[5]``, ``x[10:20, 0]``) into the getter, so computing one frame calls
``rows[5, ...]``: only the handler call (and file) of frame 5 is made, not the whole chunk's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._fill import HandlerPool
from .external_chunks import Chunk, DatumChunk, load_chunk

__all__ = ["ExternalRows"]


class ExternalRows:
    """The rows of one external field, loaded on indexing.

    Parameters
    ----------
    field
        The field's name (for messages).
    pieces
        Consecutive chunks covering every row of the field, in row order.
    pool
        The run's handler pool.
    row_shape, dtype
        Shape and dtype of one row, as chosen by the first-row probe.
    """

    def __init__(
        self,
        field: str,
        pieces: Sequence[Chunk],
        pool: HandlerPool,
        row_shape: tuple[int, ...],
        dtype: np.dtype,
    ) -> None:
        self.field = field
        self.pieces = tuple(pieces)
        self.pool = pool
        self.row_shape = row_shape
        self.dtype = dtype
        self.offsets = np.cumsum([0, *(len(piece) for piece in self.pieces)])
        self.shape = (int(self.offsets[-1]), *row_shape)
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        key = key if isinstance(key, tuple) else (key,)
        first, rest = (key[0], key[1:]) if key else (slice(None), ())
        if first is Ellipsis:
            first, rest = slice(None), key
        scalar = isinstance(first, (int, np.integer))
        rows = np.arange(len(self))[first]
        values = self._load_rows(np.atleast_1d(rows))
        if scalar:
            return values[0][rest]
        return values[(slice(None), *rest)]

    def _load_rows(self, rows: np.ndarray) -> np.ndarray:
        """Return the given rows, loading from each piece only the span of rows it serves."""
        out = np.empty((len(rows), *self.row_shape), dtype=self.dtype)
        if not len(rows):
            return out
        # Only the pieces that hold a wanted row are touched.
        first = int(np.searchsorted(self.offsets, rows.min(), side="right")) - 1
        last = int(np.searchsorted(self.offsets, rows.max(), side="right")) - 1
        for i in range(first, last + 1):
            begin, end = int(self.offsets[i]), int(self.offsets[i + 1])
            mine = (rows >= begin) & (rows < end)
            if not mine.any():
                continue
            local = rows[mine] - begin
            piece = self.pieces[i]
            if isinstance(piece, DatumChunk):
                # Datum are independent calls (often one file each): load just those asked.
                wanted = np.unique(local)
                selection: Chunk = piece.take(wanted.tolist())
                positions = np.searchsorted(wanted, local)
            else:
                # A stream resource reads a contiguous range in one call.
                low = int(local.min())
                selection = piece.rows(low, int(local.max()) + 1)
                positions = local - low
            block = load_chunk(self.pool, selection, self.field, self.row_shape, self.dtype)
            out[mine] = block[positions]
        return out
