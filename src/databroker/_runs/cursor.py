"""A stream as an array of rows written so far, and cursors reading it as it grows.

``len`` is the number of rows written so far; an index past the end raises
:class:`~databroker.errors.IndexNotYetThere` while the run is running and
:class:`~databroker.errors.IndexWontBeThere` once it has ended (the stop is looked at *before*
the rows are counted, so a row counted missing after the stop is really never coming). Rows
are read through windows of event pages (:func:`databroker._assemble.window.build_window`):
one row costs the same in a stream of ten events or of a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import EndOfStream, IndexNotYetThere, IndexWontBeThere, InvalidOption
from .live import Deadline, wait_on

if TYPE_CHECKING:
    from .reader import RunReader

__all__ = ["StreamCursor", "StreamRows"]


class StreamRows:
    """The rows of one stream of a run, indexed like a sequence (negative from the end).

    Parameters
    ----------
    reader
        The run.
    stream_name
        The stream; a stream with no descriptor yet has no rows (it may get some).
    include, exclude
        Keep only / drop these fields.
    """

    def __init__(
        self,
        reader: RunReader,
        stream_name: str,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
    ) -> None:
        self.reader = reader
        self.stream_name = stream_name
        self.include = include
        self.exclude = exclude

    # -- size -------------------------------------------------------------------------------

    def length(self) -> tuple[int, bool]:
        """``(rows written so far, whether the run may still write more)``.

        The stop is read first: rows counted after seeing it are all the rows there are.
        """
        live = self.reader.view.is_live()
        descriptors = self.reader.stream_descriptors(self.stream_name)
        if not descriptors:
            return 0, live
        from .._assemble import StreamData
        from .._assemble.window import stream_length

        # Counting needs no external data: no loader (and no Filler) is made for it.
        data = StreamData(self.stream_name, self.reader.view, descriptors, loader=None)
        return stream_length(data), live

    def __len__(self) -> int:
        return self.length()[0]

    # -- rows -------------------------------------------------------------------------------

    def read(
        self, start: int, stop: int, *, lazy: bool = False, rows: Sequence[int] | None = None
    ) -> Any:
        """Return rows ``[start, stop)`` (bounds already checked) as an ``xarray.Dataset``."""
        from .._assemble.window import build_window

        data = self.reader.stream_data(self.stream_name)
        dataset = build_window(
            data,
            start,
            stop,
            include=self.include,
            exclude=self.exclude,
            lazy=lazy,
            rows=rows,
        )
        if dataset.sizes.get("time", 0):
            self.reader.live.note(float(dataset["time"].values.max()))
        return dataset

    def __getitem__(self, key: Any) -> Any:
        """``rows[i]``, ``rows[-1]``, ``rows[a:b:c]``: those rows as an ``xarray.Dataset``."""
        length, live = self.length()
        if isinstance(key, slice):
            positions = range(length)[key]
            if not positions:
                return self.read(0, 0)
            low, high = min(positions), max(positions) + 1
            if positions.step == 1:
                return self.read(low, high)
            return self.read(low, high, rows=[p - low for p in positions])
        index = self._index(key, length, live)
        return self.read(index, index + 1)

    def _index(self, key: Any, length: int, live: bool) -> int:
        if isinstance(key, bool) or not hasattr(key, "__index__"):
            raise InvalidOption(
                f"Rows of stream {self.stream_name!r} of run {self.reader.uid!r} are indexed "
                f"by an int or a slice, not {key!r}."
            )
        index = key.__index__()
        position = index + length if index < 0 else index
        if 0 <= position < length:
            return position
        where = f"stream {self.stream_name!r} of run {self.reader.uid!r}"
        if live:
            raise IndexNotYetThere(
                f"Row {index} of {where} is not written yet: the run is running and has "
                f"{length} rows so far. Read it later, or wait for it with a cursor."
            )
        raise IndexWontBeThere(
            f"Row {index} of {where} will never be written: the run has ended "
            f"({self.reader.live.state()}) with {length} rows."
        )

    def cursor(self, start: int = 0) -> StreamCursor:
        """Return a :class:`StreamCursor` whose first read starts at row ``start``."""
        return StreamCursor(self, start)


class StreamCursor:
    """Reads the rows of a stream after its position, waiting for them while the run runs.

    Parameters
    ----------
    rows
        The stream.
    start
        The position of the first row to read (negative: from the current end).
    """

    def __init__(self, rows: StreamRows, start: int = 0) -> None:
        self.rows = rows
        if start < 0:
            start = max(0, len(rows) + start)
        #: The index of the next row :meth:`read` returns.
        self.position = int(start)

    def read(
        self,
        count: int = -1,
        block: bool = True,
        timeout: float | None = None,
        last_only: bool = False,
    ) -> tuple[int, Any]:
        """Return ``(first_index, Dataset)`` of the rows after the position, and move past them.

        Parameters
        ----------
        count
            At most this many rows (-1: every row written so far).
        block
            Wait until at least one row is there (or the run ends, or ``timeout``).
        timeout
            Seconds to wait at most (None: no limit). When it passes without a row, the
            Dataset has no rows and the position stays.
        last_only
            Return only the newest row written so far, skipping the others.

        Raises
        ------
        EndOfStream
            When the run has ended and every row was read (an ``EOFError``).
        """
        if count == 0 or count < -1:
            raise InvalidOption(f"count must be -1 or a positive number of rows, not {count}.")
        deadline = Deadline(timeout if block else 0.0)
        while True:
            length, live = self.rows.length()
            if length > self.position:
                return self._take(length, count, last_only)
            if not live:
                raise EndOfStream(
                    f"Stream {self.rows.stream_name!r} of run {self.rows.reader.uid!r} has "
                    f"ended ({self.rows.reader.live.state()}) and all its {length} rows were "
                    "read."
                )
            if deadline.expired():
                return self.position, self.rows.read(0, 0, lazy=True)
            wait_on(self.rows.reader.view.store, deadline)

    def _take(self, length: int, count: int, last_only: bool) -> tuple[int, Any]:
        first = length - 1 if last_only else self.position
        stop = length if count == -1 or last_only else min(length, first + count)
        dataset = self.rows.read(first, stop, lazy=True)
        self.position = stop
        return first, dataset

    def __repr__(self) -> str:
        return (
            f"<StreamCursor of stream {self.rows.stream_name!r} of run "
            f"{self.rows.reader.uid[:8]}... at row {self.position}>"
        )
