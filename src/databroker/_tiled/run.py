"""Run and stream adapters in databroker 2's layout.

A run (spec ``BlueskyRun``, version 1) has metadata ``start``, ``stop`` and ``summary`` and
one child per stream; a stream (spec ``BlueskyEventStream``, version 1) has metadata
``descriptors`` and ``stream_name`` and the children ``data``, ``timestamps``, ``config`` and
``config_timestamps``. A run is opened (through the composition root, ``ReadContext``) only
when its streams are asked for; a stream's ``data`` arrays are dask-backed, so a block reads
only the events (and the external files) of that block. External fields are served in blocks
of as many events as fit in dask's ``array.chunk-size``, at most :data:`BLOCK_BYTES`: a whole
read is a few block reads on the server, and one block still opens only its own files. Fields
stored in the documents themselves are already columns in memory once the stream is read, so
they are served as those numpy arrays: a request reads them without a dask computation each
time (a 100,000-event stream of ten fields: 50 ms of dask per request before).
"""

from __future__ import annotations

import copy
import datetime
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from tiled.adapters.container import ContainerAdapter
from tiled.adapters.mapping import MapAdapter
from tiled.adapters.xarray import DatasetAdapter
from tiled.iterviews import ItemsView, KeysView, ValuesView
from tiled.structures.container import ContainerStructure
from tiled.structures.core import Spec, StructureFamily
from tiled.utils import OneShotCachedMap

from .._documents.datakeys import is_datum_field, is_stream_field
from .._runs.context import ReadContext
from .._runs.reader import RunReader
from .._stores.base import CatalogStore, Doc

__all__ = [
    "BLOCK_BYTES",
    "RUN_SPEC",
    "STREAM_SPEC",
    "RunAdapter",
    "plain",
    "stream_adapter",
    "summary",
]

RUN_SPEC = Spec("BlueskyRun", version="1")
STREAM_SPEC = Spec("BlueskyEventStream", version="1")

#: The largest block of an external field, in bytes: below the stock client's 100 MiB split
#: size and the server's 300 MB response limit, so a block is always one response.
BLOCK_BYTES = 64 * 2**20

# dask's configuration is process-global: one stream is built at a time under a chunk size
# set here, so that concurrent requests never restore each other's value.
_CHUNK_SIZE_LOCK = threading.Lock()


def plain(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return a document as plain, mutable dicts and lists (None stays None)."""
    if doc is None:
        return None
    to_dict = getattr(doc, "to_dict", None)
    if to_dict is not None:
        return to_dict()
    return {key: _plain(value) for key, value in doc.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def summary(start: Mapping[str, Any], stop: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``summary`` metadata of a run, from its start and stop documents alone."""
    time = start.get("time")
    stamp = (
        datetime.datetime.fromtimestamp(time, datetime.UTC).isoformat()
        if isinstance(time, int | float)
        else None
    )
    stop_time = stop.get("time") if stop else None
    duration = (
        stop_time - time
        if isinstance(time, int | float) and isinstance(stop_time, int | float)
        else None
    )
    return {
        "uid": start.get("uid"),
        "scan_id": start.get("scan_id"),
        "plan_name": start.get("plan_name"),
        "timestamp": time,
        "datetime": stamp,
        "duration": duration,
        "stream_names": sorted((stop or {}).get("num_events") or {}),
    }


class _Opened:
    """What a run keeps once opened, shared by the run and its looked-up views."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reader: RunReader | None = None
        self.streams: dict[str, MapAdapter] = {}


class RunAdapter(ContainerAdapter[MapAdapter]):
    """One run: metadata from its start and stop documents, streams opened on first use.

    A run looked up by key (:meth:`looked_up`) sends its streams (their metadata, the
    descriptors) inside its own answer, as Tiled's inlined contents: the stock client then
    reaches ``run.primary`` without asking again (it asks twice otherwise). Runs listed in
    a page of search results do not, so that listing runs reads no descriptors.
    """

    structure_family = StructureFamily.container

    def __init__(
        self,
        store: CatalogStore,
        context: ReadContext,
        start: Doc,
        stop: Doc | None,
    ) -> None:
        super().__init__(ContainerStructure(keys=[]), specs=[RUN_SPEC])
        self.store = store
        self.read_context = context
        self.start_doc = plain(start) or {}
        self.stop_doc = plain(stop)
        self.must_revalidate = True
        self.metadata_stale_at = None
        self.entries_stale_at = None
        self._opened = _Opened()
        self._inline_streams = False

    @property
    def uid(self) -> str:
        """The run's start uid."""
        return str(self.start_doc["uid"])

    @property
    def reader(self) -> RunReader:
        """The run opened for reading: kept once the run has stopped; while it is being taken,
        opened anew for each request, so that the events published since are served."""
        opened = self._opened
        with opened.lock:
            if opened.reader is not None:
                return opened.reader
            reader = self.read_context.open_run(self.store, self.uid)
            if self.stop_doc is not None:
                opened.reader = reader
            return reader

    def set_stop(self, stop: Doc | None) -> None:
        """Record the run's stop document as the store now has it (a run that has just
        stopped forgets the streams it served while it was being taken)."""
        with self._opened.lock:
            if self.stop_doc is None and stop is not None:
                self._opened.reader, self._opened.streams = None, {}
            self.stop_doc = plain(stop)

    def looked_up(self) -> RunAdapter:
        """This run as answered to a lookup by key: the same run, its streams inlined."""
        view = copy.copy(self)
        view._inline_streams = True
        return view

    def inlined_contents_enabled(self, depth: int) -> bool:
        """Whether Tiled sends the streams inside this run's answer (see :meth:`looked_up`)."""
        return self._inline_streams and depth == 0

    def metadata(self) -> dict[str, Any]:
        return {
            "start": self.start_doc,
            "stop": self.stop_doc,
            "summary": summary(self.start_doc, self.stop_doc),
        }

    def _names(self) -> list[str]:
        return list(self.reader.stream_names())

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __getitem__(self, name: str) -> MapAdapter:
        opened = self._opened
        with opened.lock:
            stream = opened.streams.get(name)
        if stream is not None:
            return stream
        if name not in self._names():
            raise KeyError(name)
        stream = stream_adapter(self.reader, name)
        if self.stop_doc is None:
            return stream  # still being taken: the next request reads the events added since
        with opened.lock:
            return opened.streams.setdefault(name, stream)

    def keys(self) -> KeysView:
        return KeysView(lambda: len(self), self._keys_slice)

    def values(self) -> ValuesView:
        return ValuesView(lambda: len(self), self._items_slice)

    def items(self) -> ItemsView:
        return ItemsView(lambda: len(self), self._items_slice)

    def _keys_slice(
        self, start: int, stop: int, direction: int, page_size: int | None = None, **_: Any
    ) -> list[str]:
        names = self._names() if direction > 0 else self._names()[::-1]
        return names[start:stop]

    def _items_slice(
        self, start: int, stop: int, direction: int, page_size: int | None = None, **_: Any
    ) -> Iterator[tuple[str, MapAdapter]]:
        for name in self._keys_slice(start, stop, direction):
            yield name, self[name]

    def documents(self, fill: bool = False) -> Iterator[tuple[str, Any]]:
        """Yield ``(name, doc)`` of every document of the run, in ``documents()`` order."""
        yield from self.reader.documents(fill="yes" if fill else "no")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.uid!r}>"


def stream_adapter(reader: RunReader, name: str) -> MapAdapter:
    """Return the ``BlueskyEventStream`` container of one stream (children built lazily)."""
    descriptors = [plain(d) for d in reader.stream_descriptors(name)]
    children = OneShotCachedMap(
        {
            "data": lambda: DatasetAdapter.from_dataset(_lazy_in_blocks(reader, name)),
            "timestamps": lambda: DatasetAdapter.from_dataset(reader.read_timestamps(name)),
            "config": lambda: _config(reader, name, timestamps=False),
            "config_timestamps": lambda: _config(reader, name, timestamps=True),
        }
    )
    return MapAdapter(
        children,
        metadata={"descriptors": descriptors, "stream_name": name},
        specs=[STREAM_SPEC],
    )


def _lazy_in_blocks(reader: RunReader, name: str) -> Any:
    """The stream as a lazy Dataset whose external fields have chunks of at most
    ``min(array.chunk-size, BLOCK_BYTES)`` bytes (at least one event), so a Tiled block is a
    few events and reads only those events' files (other fields: one chunk)."""
    import dask
    from dask.utils import parse_bytes

    # The assembly layer sizes external chunks by dask's array.chunk-size when it builds
    # the array (one piece never spans two resources).
    with _CHUNK_SIZE_LOCK:
        configured = parse_bytes(dask.config.get("array.chunk-size"))
        with dask.config.set({"array.chunk-size": min(configured, BLOCK_BYTES)}):
            dataset = reader.read_stream(name, lazy=True)
    in_documents = [
        field
        for field in dataset.data_vars
        if not _is_external(reader.stream_descriptors(name), str(field))
    ]
    # One computation of arrays dask merely wraps (no copy: they are the assembled columns).
    return dataset.assign(dataset[in_documents].compute().data_vars) if in_documents else dataset


def _is_external(descriptors: Any, field: str) -> bool:
    """True when any descriptor of the stream declares ``field`` external (datum or stream)."""
    for descriptor in descriptors:
        data_key = (descriptor.get("data_keys") or {}).get(field)
        if data_key is not None and (is_datum_field(data_key) or is_stream_field(data_key)):
            return True
    return False


def _config(reader: RunReader, name: str, *, timestamps: bool) -> MapAdapter:
    """One dataset per object with configuration in the stream."""
    objects = OneShotCachedMap(
        {
            obj: (
                lambda obj=obj: DatasetAdapter.from_dataset(
                    reader.read_config(name, obj, timestamps=timestamps)
                )
            )
            for obj in reader.config_objects(name)
        }
    )
    return MapAdapter(objects)
