"""A window of a stream's rows as an ``xarray.Dataset``, reading only the pages it covers.

Rows are numbered across the stream's descriptors in their (time) order, then storage order
within each descriptor: row ``n`` of a stream whose first descriptor holds ``c`` events is
event ``n - c`` of the second descriptor. While events are stored in time order (what a
RunEngine writes), this is the row order of ``read()``.

A window asks storage for ``event_pages(descriptor, skip, limit)`` only: reading row 10 of a
stream of a million events reads one page slice, never the stream. Streams with
StreamResource fields (rows by ``seq_num``, rule 3) are read whole and the window is cut from
that (their rows are not known without the StreamDatum).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import xarray as xr

from .._fill import is_datum_field, is_stream_field
from .._stores.base import Doc, RunStore
from .dataset import build_dataset
from .fields import select_fields
from .rows import read_stream_table
from .stream_data import StreamData

__all__ = ["build_window", "has_stream_fields", "stream_length"]


def has_stream_fields(stream: StreamData) -> bool:
    """True when a descriptor of the stream has a StreamResource (``STREAM:``) field."""
    return any(
        is_stream_field(data_key)
        for descriptor in stream.descriptors
        for data_key in (descriptor.get("data_keys") or {}).values()
    )


def stream_length(stream: StreamData) -> int:
    """The number of rows of the stream as stored now (events; seq_nums with StreamDatum)."""
    if has_stream_fields(stream):
        return len(read_stream_table(stream).rows)
    return sum(stream.run.event_count(descriptor["uid"]) for descriptor in stream.descriptors)


@dataclass(frozen=True)
class _Slice:
    skip: int
    limit: int


class _WindowedRun(RunStore):
    """A run whose ``event_pages`` without a window give only the chosen window of each
    descriptor (none for the others); everything else is the run's."""

    def __init__(self, run: RunStore, windows: Mapping[str, _Slice]) -> None:
        self._run = run
        self._windows = windows
        self.uid = run.uid

    def __getattr__(self, name: str) -> Any:  # source, path, ... for messages
        return getattr(self._run, name)

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        window = self._windows.get(descriptor_uid)
        if window is None:
            return iter(())
        first = window.skip + skip
        count = window.limit - skip if limit is None else min(limit, window.limit - skip)
        if count <= 0:
            return iter(())
        return self._run.event_pages(descriptor_uid, first, count)

    def event_count(self, descriptor_uid: str) -> int:
        window = self._windows.get(descriptor_uid)
        return 0 if window is None else window.limit

    def start(self) -> Doc:
        return self._run.start()

    def stop(self) -> Doc | None:
        return self._run.stop()

    def descriptors(self) -> Sequence[Doc]:
        return self._run.descriptors()

    def resources(self) -> Sequence[Doc]:
        return self._run.resources()

    def resource(self, uid: str) -> Doc:
        return self._run.resource(uid)

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        return self._run.lookup_resource_for_datum(datum_id)

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return self._run.datum_pages(resource_uid, skip, limit)

    def datum_kwargs(self, datum_ids: Sequence[str]) -> Sequence[tuple[Doc, Doc]]:
        return self._run.datum_kwargs(datum_ids)

    def stream_resources(self) -> Sequence[Doc]:
        return self._run.stream_resources()

    def stream_datum(self, descriptor_uid: str) -> Sequence[Doc]:
        return self._run.stream_datum(descriptor_uid)


def _windows(stream: StreamData, start: int, stop: int) -> dict[str, _Slice]:
    """The ``(skip, limit)`` of each descriptor that rows ``[start, stop)`` cover."""
    windows: dict[str, _Slice] = {}
    offset = 0
    for descriptor in stream.descriptors:
        if offset >= stop:
            break
        uid = descriptor["uid"]
        count = stream.run.event_count(uid)
        low, high = max(start, offset), min(stop, offset + count)
        if high > low:
            windows[uid] = _Slice(low - offset, high - low)
        offset += count
    return windows


def _external_fields(stream: StreamData) -> set[str]:
    return {
        key
        for descriptor in stream.descriptors
        for key, data_key in (descriptor.get("data_keys") or {}).items()
        if is_datum_field(data_key) or is_stream_field(data_key)
    }


def _eager_internal(dataset: xr.Dataset, external: set[str]) -> xr.Dataset:
    """Compute the (already in memory) internal variables of a lazy Dataset."""
    internal = [name for name in dataset.data_vars if name not in external]
    if not internal:
        return dataset
    return dataset.assign({name: dataset[name].compute() for name in internal})


def build_window(
    stream: StreamData,
    start: int,
    stop: int,
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    lazy: bool = False,
    rows: Sequence[int] | None = None,
) -> xr.Dataset:
    """Return rows ``[start, stop)`` of the stream (``rows``: those positions of it only).

    Parameters
    ----------
    stream
        The stream (its descriptors as they are now).
    start, stop
        The window, in rows of the stream (``0 <= start <= stop``).
    include, exclude
        As for :func:`~databroker._assemble.build_dataset`.
    lazy
        False: numpy-backed. True: external fields are dask arrays loaded at compute time
        (as ``to_dask()``); the other fields are numpy.
    rows
        Positions within ``[start, stop)`` to keep (a stepped slice), relative to ``start``.
    """
    external = _external_fields(stream)
    selected = select_fields(stream.descriptors, include, exclude)
    # Only external fields are ever lazy: internal ones are in memory already.
    lazy = lazy and any(field in external for field in selected)
    external = _external_fields(stream)
    selected = select_fields(stream.descriptors, include, exclude)
    # Only external fields are ever lazy: internal ones are in memory already.
    lazy = lazy and any(field in external for field in selected)
    if has_stream_fields(stream):
        whole = build_dataset(stream, include=include, exclude=exclude, lazy=lazy)
        dataset = whole.isel(time=slice(start, stop))
    else:
        windowed = replace(stream, run=_WindowedRun(stream.run, _windows(stream, start, stop)))
        dataset = build_dataset(windowed, include=include, exclude=exclude, lazy=lazy)
    if rows is not None:
        dataset = dataset.isel(time=np.asarray(rows, dtype=np.intp))
    if lazy:
        dataset = _eager_internal(dataset, external)
    return dataset
