"""``RunReader``: one run made readable, without intake.

Everything a façade needs from a run goes through here: its documents (wrapped and
transformed), its streams as xarray Datasets, external data through the handlers and root_map
of the run's Filler, and the stream's documents in partitions. The intake classes, v1, and
future façades (a command line, a Tiled adapter, bundle tools) all build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .._stores.base import Doc, RunStore
from ..errors import InvalidOption
from .live import LiveState
from .ordering import iter_run_documents
from .selection import warn_unknown_fields
from .transforms import parse_transforms
from .view import RunView, Transform

__all__ = ["FILL_MODES", "TIME_AS", "RunReader", "coercion_for_fill", "datetimes"]

#: ``fill=`` values and the event-model coercion each uses (``'no'`` fills nothing).
FILL_MODES = {"yes": "force_numpy", "delayed": "delayed", "no": None}

GetFiller = Callable[..., Any]


#: ``time_as=`` values of :meth:`RunReader.read_stream`.
TIME_AS = ("float", "datetime", "utc")


def datetimes(seconds: Any, *, local: bool) -> Any:
    """Return epoch seconds as naive ``datetime64[ns]``: local wall-clock time or UTC."""
    import pandas

    stamps = pandas.to_datetime(pandas.Series(seconds, dtype="float64"), unit="s", utc=True)
    stamps = stamps.dt.round("us")
    if local:
        from dateutil.tz import tzlocal

        stamps = stamps.dt.tz_convert(tzlocal())
    return stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def coercion_for_fill(fill: str) -> str | None:
    """Return the Filler coercion of a ``fill=`` value (``InvalidOption`` for another)."""
    if not isinstance(fill, str) or fill not in FILL_MODES:
        hint = " (fill=True is the v1 spelling: use fill='yes')" if fill is True else ""
        raise InvalidOption(f"fill must be one of 'yes', 'no', 'delayed', not {fill!r}{hint}.")
    return FILL_MODES[fill]


class RunReader:
    """A stored run with what it takes to read it: transforms and a Filler factory.

    Parameters
    ----------
    store
        The run's storage.
    get_filler
        ``get_filler(coerce=...)`` returns an ``event_model.Filler`` carrying the handler
        registry and root_map used for external data.
    transforms
        ``{'start'|'stop'|'descriptor'|'resource'|'stream_resource': callable}`` as returned by
        :func:`databroker.core.parse_transforms` (None: no transforms).
    """

    def __init__(
        self,
        store: RunStore,
        get_filler: GetFiller,
        transforms: Mapping[str, Transform] | None = None,
    ) -> None:
        self.view = RunView(store, dict(transforms) if transforms else parse_transforms(None))
        self.get_filler = get_filler
        #: Running or ended, waiting for the end, when the run last changed.
        self.live = LiveState(self.view, self._last_event_time)

    @property
    def uid(self) -> str:
        """The run's start uid."""
        return self.view.uid

    def start(self) -> Doc:
        """The (transformed) start document."""
        return self.view.start()

    def stop(self) -> Doc | None:
        """The (transformed) stop document, or None while the run has none."""
        return self.view.stop()

    def stream_names(self) -> list[str]:
        """The run's streams, ordered by their earliest descriptor."""
        return self.view.stream_names()

    def stream_descriptors(self, stream_name: str) -> list[Any]:
        """The descriptors of one stream, by time."""
        return self.view.stream_descriptors(stream_name)

    def recorded_event_count(self, stream_name: str) -> int:
        """The number of events of one stream, cheaply: the stop's ``num_events`` once the run
        has ended and names the stream (no event is read), else counted in storage."""
        stop: Mapping[str, Any] = self.view.stop() or {}
        counts = stop.get("num_events")
        if isinstance(counts, dict) and isinstance(counts.get(stream_name), int):
            return int(counts[stream_name])
        return sum(self.view.event_count(d["uid"]) for d in self.stream_descriptors(stream_name))

    # -- live state -------------------------------------------------------------------------

    def state(self) -> str:
        """``'running'`` until the run has a stop document, then its ``exit_status``."""
        return self.live.state()

    def wait(self, timeout: float | None = None) -> str:
        """Block until the run ends and return its state (``RunWaitTimeout`` on timeout)."""
        return self.live.wait(timeout)

    def last_update(self) -> float | None:
        """Epoch seconds of the newest document of the run (None if none has a time)."""
        return self.live.last_update()

    def _last_event_time(self) -> float | None:
        """The time of the newest event of each descriptor, read one row each."""
        newest = None
        for descriptor in self.view.descriptors():
            uid = descriptor["uid"]
            count = self.view.event_count(uid)
            for page in self.view.event_pages(uid, max(count - 1, 0), 1) if count else ():
                for value in page.get("time") or ():
                    value = float(value)
                    newest = value if newest is None or value > newest else newest
        return newest

    def stream_rows(
        self,
        stream_name: str,
        *,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
    ) -> Any:
        """Return the rows of one stream as an array (``len``, ``[i]``, ``[a:b]``, cursors).

        The stream need not exist yet: until its first descriptor is written it has no rows.
        """
        from .cursor import StreamRows

        return StreamRows(self, stream_name, include, exclude)

    # -- external data --------------------------------------------------------------------

    def filler(self, coerce: str = "force_numpy") -> Any:
        """Return a new ``event_model.Filler`` of this run with the given coercion."""
        return self.get_filler(coerce=coerce)

    def external_loader(self) -> Any:
        """Return an ``ExternalLoader`` using the handlers and root_map of the run's Filler."""
        from .._fill import ExternalLoader

        filler = self.filler()
        return ExternalLoader(
            run=self.view,
            handler_registry=filler.handler_registry,
            root_map=filler.root_map,
            run_uid=self.uid,
        )

    def file_list(self, resource: Doc) -> list[str]:
        """Return the paths (after root_map) of the files of a Resource or StreamResource."""
        loader = self.external_loader()
        try:
            return loader.get_file_list(resource)
        finally:
            loader.close()

    def external_file_reports(self) -> list[Any]:
        """Return one ``ExternalFileReport`` per Resource and StreamResource of the run."""
        from .._fill.diagnostics import report_external_file

        root_map = self.filler().root_map
        loader = self.external_loader()
        try:
            documents = [*self.view.resources(), *self.view.stream_resources()]
            return [report_external_file(doc, root_map, loader) for doc in documents]
        finally:
            loader.close()

    # -- streams --------------------------------------------------------------------------

    def stream_data(self, stream_name: str) -> Any:
        """Collect what the assembly layer needs to build one stream's datasets."""
        from .._assemble import StreamData

        descriptors = self.view.stream_descriptors(stream_name)
        # A stream with no external field needs no Filler (nor event-model, to import).
        external = any(
            isinstance(data_key, Mapping) and data_key.get("external")
            for descriptor in descriptors
            for data_key in (descriptor.get("data_keys") or {}).values()
        )
        return StreamData(
            name=stream_name,
            run=self.view,
            descriptors=descriptors,
            loader=self.external_loader() if external else None,
        )

    def read_stream(
        self,
        stream_name: str,
        *,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        lazy: bool = False,
        time_as: str = "float",
    ) -> Any:
        """Return one stream as an ``xarray.Dataset`` (dask-backed when ``lazy``).

        ``time_as`` gives the ``time`` coordinate as ``'float'`` (epoch seconds, as stored),
        ``'datetime'`` (``datetime64[ns]``, local wall-clock time, naive, as v1's
        ``table(localize_times=True)``) or ``'utc'`` (``datetime64[ns]``, UTC, naive); missing
        times (StreamDatum rows without an event) become NaT.
        """
        from .._assemble import build_dataset

        if time_as not in TIME_AS:
            raise InvalidOption(
                f"time_as must be one of {', '.join(map(repr, TIME_AS))}, not {time_as!r} "
                f"(reading stream {stream_name!r} of run {self.uid!r})."
            )
        data = self.stream_data(stream_name)
        warn_unknown_fields(data.descriptors, include, exclude, f"stream {stream_name!r}")
        dataset = build_dataset(data, include=include, exclude=exclude, lazy=lazy)
        if time_as == "float":
            return dataset
        import pandas as pd

        time = dataset["time"]
        values = datetimes(time.values, local=time_as == "datetime")
        # As an index (not a bare array), which spares xarray's duck-array checks: they
        # would import dask.array and sparse.
        index = pd.Index(values, name="time")
        return dataset.assign_coords(time=(time.dims, index, time.attrs))

    def read_timestamps(
        self,
        stream_name: str,
        *,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
    ) -> Any:
        """Return the events' timestamps of one stream as an ``xarray.Dataset``."""
        from .._assemble import build_timestamps

        data = self.stream_data(stream_name)
        warn_unknown_fields(data.descriptors, include, exclude, f"stream {stream_name!r}")
        return build_timestamps(data, include=include, exclude=exclude)

    def config_objects(self, stream_name: str) -> list[str]:
        """The objects (devices) with configuration in one stream, first appearance first."""
        from .._assemble import config_objects

        return list(config_objects(self.view.stream_descriptors(stream_name)))

    def read_config(
        self, stream_name: str, object_name: str, *, timestamps: bool = False, lazy: bool = False
    ) -> Any:
        """Return one object's configuration (or its timestamps) per row of a stream."""
        from .._assemble import build_config

        data = self.stream_data(stream_name)
        return build_config(data, object_name, timestamps=timestamps, lazy=lazy)

    # -- documents ------------------------------------------------------------------------

    def documents(
        self, *, fill: str, strict_order: bool = True, as_stored: bool = True
    ) -> Iterator[tuple[str, Any]]:
        """Yield ``(name, doc)`` for every document of the run, in the documented order.

        ``as_stored=False`` (unfilled only) leaves event page columns as they are kept
        (numbers as numpy arrays), for readers that build columns from them.
        """
        coerce = coercion_for_fill(fill)
        if coerce is None:
            yield from iter_run_documents(self.view, strict_order=strict_order, as_stored=as_stored)
            return
        documents = iter_run_documents(self.view, strict_order=strict_order)
        from .._documents.classes import wrap

        filler = self.filler(coerce)
        with filler:
            for name, doc in documents:
                if name in ("stream_resource", "stream_datum"):
                    yield name, doc
                    continue
                filled_name, filled = filler(name, doc)
                yield filled_name, wrap(filled_name, filled)

    def stream_partition(
        self, stream_name: str, *, index: int, fill: str, partition_size: int
    ) -> list[tuple[str, Any]]:
        """Return partition ``index`` of one stream's documents (see ``partitions``)."""
        from .partitions import stream_partition

        return stream_partition(
            self, stream_name, index=index, fill=fill, partition_size=partition_size
        )
