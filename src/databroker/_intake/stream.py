"""``BlueskyEventStream``: one stream of a run as an intake source producing xarray."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from intake.catalog import Catalog
from intake.source.base import DataSource, Schema

from .._runs.reader import RunReader
from .._runs.selection import selection
from ..errors import FieldNotFound
from . import display
from .entry import make_entry

__all__ = ["BlueskyConfigSource", "BlueskyEventStream"]

_AUTO_PARTITION_SIZE = 5


class BlueskyEventStream(display.RichDisplay, DataSource):
    """One stream of a run: an intake source whose ``read()`` returns an ``xarray.Dataset``.

    Parameters
    ----------
    stream_name
        The stream's name (``'primary'``, ``'baseline'``, ...).
    reader
        The run the stream belongs to (its Filler's handlers and root_map load external data).
    include, exclude
        Keep only / drop these fields (not both).
    """

    container = "xarray"
    name = "bluesky-event-stream"
    version = "0.0.1"
    partition_access = True

    def __init__(
        self,
        stream_name: str,
        reader: RunReader,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
        entry: Any = None,
        **kwargs: Any,
    ) -> None:
        include, exclude = selection(include, exclude)
        self._stream_name = stream_name
        self._reader = reader
        self._include = list(include) if include is not None else None
        self._exclude = list(exclude) if exclude is not None else None
        self._stream_entry = entry
        self._described: dict[str, Any] = {}
        kwargs.pop("CATALOG_DIR", None)
        super().__init__(metadata=metadata)
        self._extra_metadata = dict(metadata or {})

    # -- metadata -------------------------------------------------------------------------

    @property
    def metadata(self) -> dict[str, Any]:
        """``start``, ``stop``, this stream's ``descriptors``; after ``read()`` also the
        Dataset's ``dims``, ``data_vars``, ``coords`` and ``attrs``."""
        return {
            **self._extra_metadata,
            "start": self._reader.start(),
            "stop": self._reader.stop(),
            "descriptors": self._reader.stream_descriptors(self._stream_name),
            **self._described,
        }

    @metadata.setter
    def metadata(self, value: dict[str, Any] | None) -> None:
        self._extra_metadata = dict(value or {})

    def _get_schema(self) -> Schema:
        self._describe(self._build(lazy=True))
        return Schema(
            datashape=None,
            dtype=None,
            shape=None,
            npartitions=None,
            extra_metadata={},
        )

    def _describe(self, dataset: Any) -> None:
        from .._assemble import dataset_metadata

        self._described = dataset_metadata(dataset)

    # -- data -----------------------------------------------------------------------------

    def _build(self, *, lazy: bool, time_as: str = "float") -> Any:
        return self._reader.read_stream(
            self._stream_name,
            include=self._include,
            exclude=self._exclude,
            lazy=lazy,
            time_as=time_as,
        )

    def read(self, time_as: str = "float") -> Any:
        """Return the stream as a numpy-backed ``xarray.Dataset``.

        Parameters
        ----------
        time_as
            The ``time`` coordinate as ``'float'`` (epoch seconds, the default),
            ``'datetime'`` (``datetime64[ns]``, local wall-clock time, naive) or ``'utc'``
            (``datetime64[ns]``, UTC, naive).
        """
        dataset = self._build(lazy=False, time_as=time_as)
        self._describe(dataset)
        return dataset

    def to_dask(self, time_as: str = "float") -> Any:
        """Return the stream as an ``xarray.Dataset`` whose data variables are dask arrays.

        Parameters
        ----------
        time_as
            As for :meth:`read`.
        """
        dataset = self._build(lazy=True, time_as=time_as)
        self._describe(dataset)
        return dataset

    def read_chunked(self) -> Any:
        """Same as :meth:`to_dask`."""
        return self.to_dask()

    # -- rows: the stream as an array, and cursors over it as it grows -------------------------

    def _rows(self) -> Any:
        return self._reader.stream_rows(
            self._stream_name, include=self._include, exclude=self._exclude
        )

    def __len__(self) -> int:
        """The number of events (rows) written so far."""
        return len(self._rows())

    def __bool__(self) -> bool:
        # A stream is a source, true even while it has no rows yet.
        return True

    def __getitem__(self, key: Any) -> Any:
        """Rows as an ``xarray.Dataset``: ``stream[i]``, ``stream[-1]``, ``stream[a:b:c]``.

        Negative indices count from the current end. Only the pages holding those rows are
        read.

        Raises
        ------
        databroker.errors.IndexNotYetThere
            The run is running and the row is not written yet.
        databroker.errors.IndexWontBeThere
            The run has ended before that row.
        databroker.errors.IndexNoMoreThere
            The row was evicted from a live buffer that has no durable copy of it.
        """
        return self._rows()[key]

    def cursor(self, start: int = 0) -> Any:
        """Return a cursor reading the rows from ``start`` on as they are written.

        ``cursor.read(count=-1, block=True, timeout=None, last_only=False)`` returns
        ``(first_index, Dataset)`` (external fields lazy, as in :meth:`to_dask`) and raises
        ``EndOfStream`` once the run has ended and every row was read; ``cursor.position``
        is the index of the next row. See ``docs/live-data.md``.
        """
        return self._rows().cursor(start)

    @property
    def timestamps(self) -> Any:
        """A Dataset of the events' timestamps: one float64 variable per field on ``time``."""
        return self._reader.read_timestamps(
            self._stream_name, include=self._include, exclude=self._exclude
        )

    @property
    def config(self) -> Catalog:
        """A catalog of configuration datasets, keyed by object (device) name."""
        return self._config_catalog(timestamps=False)

    @property
    def config_timestamps(self) -> Catalog:
        """Like :attr:`config`, holding the configuration timestamps."""
        return self._config_catalog(timestamps=True)

    def _config_catalog(self, *, timestamps: bool) -> Catalog:
        entries = {
            name: make_entry(
                name,
                f"Configuration of {name!r} in stream {self._stream_name!r}",
                BlueskyConfigSource,
                {
                    "stream_name": self._stream_name,
                    "reader": self._reader,
                    "object_name": name,
                    "timestamps": timestamps,
                },
                None,
            )
            for name in self._reader.config_objects(self._stream_name)
        }
        return ConfigCatalog.from_dict(entries, name=f"{self._stream_name} configuration")

    def read_partition(self, partition: Any) -> Any:
        """Read one partition.

        ``partition`` is either ``{'index': i, 'fill': ..., 'partition_size': ...}`` (the
        stream's documents in partitions) or ``(variable, *block)`` (one block of
        ``to_dask()[variable]``, computed).
        """
        if isinstance(partition, dict):
            return self._document_partition(**partition)
        variable, *block = partition
        array = self.to_dask()[variable].data
        return array.blocks[tuple(block)].compute()

    def _document_partition(
        self, index: int, fill: str = "no", partition_size: int | str = "auto"
    ) -> list[tuple[str, Any]]:
        if partition_size == "auto":
            partition_size = _AUTO_PARTITION_SIZE
        if not isinstance(partition_size, int) or partition_size < 1:
            raise ValueError(
                f"partition_size must be 'auto' or a positive int, not {partition_size!r}."
            )
        return self._reader.stream_partition(
            self._stream_name, index=index, fill=fill, partition_size=partition_size
        )

    # -- intake plumbing ------------------------------------------------------------------

    def stream(self, **kwargs: Any) -> BlueskyEventStream:
        """Return a new source with ``include=`` or ``exclude=`` applied."""
        return self.configure_new(**kwargs)

    def configure_new(self, **kwargs: Any) -> BlueskyEventStream:
        """A new source of the same stream with altered arguments."""
        if self._stream_entry is not None:
            return self._stream_entry.get(**kwargs)
        init = dict(self._captured_init_kwargs)
        init.update(kwargs)
        return type(self)(*self._captured_init_args, **init)

    __call__ = get = configure_new

    def _close(self) -> None:
        self._described = {}

    # IPython.lib.pretty takes the first _repr_pretty_ or __repr__ along the MRO: both here.
    _repr_pretty_ = display.RichDisplay._repr_pretty_

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._stream_name!r} from Run {self._reader.uid[:8]}...>"

    def _summary(self) -> display.StreamSummary:
        """Event count and fields (dtype, shape) from the descriptors; no event is read."""
        return display.summarize_stream(
            self._reader,
            self._stream_name,
            title=repr(self),
            include=self._include,
            exclude=self._exclude,
        )


class ConfigCatalog(Catalog):
    """The configuration of a stream's objects (devices): one entry per object name."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and key not in self._entries:
            raise FieldNotFound(
                f"{self.name!r} has no object {key!r}; its objects are {list(self._entries)}."
            )
        return super().__getitem__(key)

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_") or item == "entry":
            return super().__getattr__(item)
        return self[item]


class BlueskyConfigSource(DataSource):
    """The configuration of one object (device) across the rows of a stream."""

    container = "xarray"
    name = "bluesky-config"
    version = "0.0.1"
    partition_access = True

    def __init__(
        self,
        stream_name: str,
        reader: RunReader,
        object_name: str,
        timestamps: bool = False,
        metadata: dict[str, Any] | None = None,
        entry: Any = None,
        **kwargs: Any,
    ) -> None:
        self._stream_name = stream_name
        self._reader = reader
        self._object_name = object_name
        self._timestamps = timestamps
        super().__init__(metadata=metadata)

    def _get_schema(self) -> Schema:
        return Schema(datashape=None, dtype=None, shape=None, npartitions=None, extra_metadata={})

    def _build(self, *, lazy: bool) -> Any:
        return self._reader.read_config(
            self._stream_name, self._object_name, timestamps=self._timestamps, lazy=lazy
        )

    def read(self) -> Any:
        """Return the object's configuration per row as a numpy-backed Dataset."""
        return self._build(lazy=False)

    def to_dask(self) -> Any:
        """Return the object's configuration per row as a dask-backed Dataset."""
        return self._build(lazy=True)

    def _close(self) -> None:
        pass
