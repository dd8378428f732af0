"""Values of ``STREAM:`` fields for v1 events and tables read with ``fill=True``.

Events carry no reference for a ``STREAM:`` key; its value for an event is the row of the v2
assembly (``read()``/``to_dask()``) with the event's descriptor and ``seq_num``. The rows and
their lazy columns come from :mod:`databroker._assemble`, so v1 and v2 read the same values
through the same StreamDatum, readers and root_map.

The assembly modules (dask, xarray) are imported only when a reader is made, so the table
and event modules may import this one at any time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .._fill import is_stream_field

__all__ = ["StreamFieldValues", "stream_keys"]

Doc = Mapping[str, Any]


def stream_keys(descriptor: Doc, keys: Iterable[str]) -> list[str]:
    """Return the ``STREAM:`` keys of ``descriptor`` among ``keys``, in ``keys`` order."""
    data_keys = descriptor.get("data_keys", {})
    return [key for key in keys if key in data_keys and is_stream_field(data_keys[key])]


def _covered(chunks: Sequence[Any]) -> np.ndarray:
    """Per row, whether a StreamDatum covers it (rows without one form fill chunks)."""
    from .._assemble.external_chunks import FillChunk

    mask = [np.full(len(chunk), not isinstance(chunk, FillChunk)) for chunk in chunks]
    return np.concatenate(mask) if mask else np.zeros(0, dtype=bool)


class StreamFieldValues:
    """The ``STREAM:`` fields of one stream of a run, looked up by descriptor and seq_num.

    Parameters
    ----------
    run : databroker.core.BlueskyRun
        The run.
    stream_name
        The stream.
    keys_of
        For a descriptor of the stream, the keys the caller selected; the ``STREAM:`` keys
        among them (over all descriptors) are the fields read.

    Notes
    -----
    For rows covered by no StreamDatum, :meth:`value` gives None and :meth:`column` what v2
    gives (NaN, after its warning). Call :meth:`close` to release the open readers.
    """

    def __init__(self, run: Any, stream_name: str, keys_of: Callable[[Doc], Iterable[str]]) -> None:
        from .._assemble.external_columns import ExternalPlan, plan_external
        from .._assemble.fields import data_key_of
        from .._assemble.rows import read_stream_table

        data = run.reader.stream_data(stream_name)
        self._loader = data.loader
        descriptors = data.descriptors
        fields = dict.fromkeys(key for d in descriptors for key in stream_keys(d, keys_of(d)))
        table = read_stream_table(data)
        uids = [d["uid"] for d in descriptors]
        rows = table.rows
        self._row = {
            (uids[owner], int(seq)): i
            for i, (owner, seq) in enumerate(zip(rows.descriptor, rows.seq_num, strict=True))
        }
        self._columns: dict[str, Any] = {}
        self._covered: dict[str, np.ndarray] = {}
        for field in fields:
            plan = plan_external(field, data_key_of(descriptors, field), table, uids, self._loader)
            assert isinstance(plan, ExternalPlan)  # a loader is given, so never raw references
            self._covered[field] = _covered(plan.chunks)
            self._columns[field] = plan.load(lazy=True)
        # The one computed block per field that events are currently served from.
        self._blocks: dict[str, tuple[int, np.ndarray]] = {}

    @property
    def fields(self) -> list[str]:
        """The ``STREAM:`` fields read."""
        return list(self._columns)

    def _row_of(self, field: str, descriptor_uid: str, seq_num: int) -> int | None:
        row = self._row.get((descriptor_uid, int(seq_num)))
        if row is None or field not in self._columns or not self._covered[field][row]:
            return None
        return row

    def value(self, field: str, descriptor_uid: str, seq_num: int) -> np.ndarray | None:
        """Return a fresh copy of one event's value, or None when no StreamDatum covers it.

        Loads one dask block of the column at a time (a block never spans two
        StreamResources), so iterating events in order reads each block once.
        """
        row = self._row_of(field, descriptor_uid, seq_num)
        if row is None:
            return None
        column = self._columns[field]
        bounds = np.cumsum((0, *column.chunks[0]))
        block = int(np.searchsorted(bounds, row, side="right")) - 1
        cached = self._blocks.get(field)
        if cached is None or cached[0] != block:
            cached = (block, np.asarray(column.blocks[block].compute()))
            self._blocks[field] = cached
        return np.array(cached[1][row - bounds[block]])

    def column(self, field: str, descriptor_uid: str, seq_nums: Iterable[int]) -> list[Any]:
        """Return the values of one descriptor's events (uncovered rows as v2 fills them)."""
        rows = [self._row[(descriptor_uid, int(seq))] for seq in seq_nums]
        values = np.asarray(self._columns[field][np.asarray(rows, dtype=np.intp)].compute())
        return list(values)

    def fill_event(self, event: dict[str, Any], keys: Iterable[str]) -> None:
        """Put the values of ``keys`` into an unpacked event: ``data`` the array,
        ``timestamps`` the event's ``time`` (the documents hold none), ``filled`` True."""
        for key in keys:
            value = self.value(key, event["descriptor"], event["seq_num"])
            if value is None:
                continue
            event["data"][key] = value
            event.setdefault("timestamps", {})[key] = event["time"]
            event.setdefault("filled", {})[key] = True

    def close(self) -> None:
        """Release the open readers."""
        self._blocks.clear()
        if self._loader is not None:
            self._loader.close()
