"""``BlueskyRun``: one run, an intake catalog whose entries are its streams."""

from __future__ import annotations

import difflib
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from intake.catalog import Catalog

from .._runs.reader import RunReader
from .._runs.transforms import parse_transforms
from .._stores.callables import store_from_callables
from ..errors import InvalidArgument, StreamNotFound
from . import display
from .entry import make_entry

__all__ = ["BlueskyRun"]

_REQUIRED_CALLABLES = (
    "get_run_start",
    "get_run_stop",
    "get_event_descriptors",
    "get_event_pages",
    "get_event_count",
    "get_resource",
    "get_resources",
    "lookup_resource_for_datum",
    "get_datum_pages",
)


def _reader_from_callables(
    get_filler: Callable[..., Any] | None, transforms: Any, **callables: Any
) -> RunReader:
    """Build the reader of a run given by the documented keyword callables."""
    missing = [name for name in _REQUIRED_CALLABLES if callables[name] is None]
    if get_filler is None or missing:
        missing += [] if get_filler else ["get_filler"]
        raise InvalidArgument(f"BlueskyRun() needs the keyword callables {missing} (or reader=).")
    return RunReader(store_from_callables(**callables), get_filler, parse_transforms(transforms))


class BlueskyRun(display.RichDisplay, Catalog):
    """One bluesky run: its metadata, its documents, and its streams as entries.

    Third-party drivers construct it from keyword callables (see the v2 API spec);
    databroker's own catalogs pass the bound methods of a storage object.
    """

    container = "bluesky-run"
    version = "0.0.1"
    partition_access = True
    name = "bluesky-run"

    def __init__(
        self,
        get_run_start: Callable[[], Any] | None = None,
        get_run_stop: Callable[[], Any] | None = None,
        get_event_descriptors: Callable[[], Any] | None = None,
        get_event_pages: Callable[..., Any] | None = None,
        get_event_count: Callable[[str], int] | None = None,
        get_resource: Callable[[str], Any] | None = None,
        get_resources: Callable[[], Any] | None = None,
        lookup_resource_for_datum: Callable[[str], Any] | None = None,
        get_datum_pages: Callable[..., Any] | None = None,
        get_filler: Callable[..., Any] | None = None,
        entry: Any = None,
        transforms: Any = None,
        get_stream_resources: Callable[[], Any] | None = None,
        get_stream_datum: Callable[[str], Any] | None = None,
        *,
        reader: RunReader | None = None,
        **kwargs: Any,
    ) -> None:
        if reader is None:
            reader = _reader_from_callables(
                get_filler,
                transforms,
                get_run_start=get_run_start,
                get_run_stop=get_run_stop,
                get_event_descriptors=get_event_descriptors,
                get_event_pages=get_event_pages,
                get_event_count=get_event_count,
                get_resource=get_resource,
                get_resources=get_resources,
                lookup_resource_for_datum=lookup_resource_for_datum,
                get_datum_pages=get_datum_pages,
                get_stream_resources=get_stream_resources,
                get_stream_datum=get_stream_datum,
            )
        #: The intake-free reader of this run (``databroker._runs.RunReader``).
        self.reader = reader
        self._view = reader.view
        self._run_entry = entry
        # None until the streams are first asked for: listing runs must not read descriptors.
        self._stream_names: list[str] | None = None
        self._stream_entries: dict[str, Any] = {}
        self._extra_metadata: dict[str, Any] = {}
        kwargs.pop("CATALOG_DIR", None)
        kwargs.setdefault("ttl", 0)
        super().__init__(**kwargs)
        self._pmode = "never"

    # -- metadata -------------------------------------------------------------------------

    @property
    def metadata(self) -> dict[str, Any]:
        """``{'start': Start, 'stop': Stop or None}`` (stop is looked up while missing)."""
        return {**self._extra_metadata, "start": self._view.start(), "stop": self._view.stop()}

    @metadata.setter
    def metadata(self, value: dict[str, Any] | None) -> None:
        self._extra_metadata = {
            k: v for k, v in (value or {}).items() if k not in ("start", "stop")
        }

    @property
    def uid(self) -> str:
        """The run's start uid."""
        return self._view.uid

    @property
    def start(self) -> Any:
        """The start document (as ``run.metadata['start']``; databroker 2 spelling)."""
        return self._view.start()

    @property
    def stop(self) -> Any:
        """The stop document, or None while the run has none."""
        return self._view.stop()

    @property
    def descriptors(self) -> list[Any]:
        """Every descriptor of the run, of all streams, ordered by time."""
        return self._view.descriptors()

    # -- live state -----------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``'running'`` until the run has a stop document, then the stop's ``exit_status``
        (``'success'``, ``'abort'``, ``'fail'``)."""
        return self.reader.state()

    def wait(self, timeout: float | None = None) -> str:
        """Block until the run ends (its stop document is written); return :attr:`state`.

        Parameters
        ----------
        timeout
            Seconds to wait at most; None waits as long as it takes.

        Raises
        ------
        databroker.errors.RunWaitTimeout
            When the run is still running after ``timeout`` seconds (a ``TimeoutError``).
        """
        return self.reader.wait(timeout)

    @property
    def last_update(self) -> float | None:
        """Epoch seconds of the newest document of the run: while it runs, how long ago its
        writer last wrote (a writer that died leaves the run ``'running'``)."""
        return self.reader.last_update()

    # -- streams --------------------------------------------------------------------------

    @property
    def _entries(self) -> dict[str, Any]:
        # Every path of intake's Catalog that reads the streams (iteration, len, ``in``,
        # serialize, walk, ...) comes through here, so the descriptors are read on first use.
        if self._stream_names is None:
            self._load()
        return self._stream_entries

    @_entries.setter
    def _entries(self, value: dict[str, Any]) -> None:
        self._stream_entries = value

    def force_reload(self) -> None:
        """Re-read the stream names now, unless they were never read (then on first use)."""
        self.updated = time.time()
        if self._stream_names is not None:
            self._load()

    def _load(self) -> None:
        if self._stream_names is not None and not self._view.is_live():
            return
        names = self._view.stream_names()
        if names == self._stream_names:
            return
        from .stream import BlueskyEventStream

        entries = {}
        for name in names:
            existing = self._stream_entries.get(name)
            entries[name] = existing or make_entry(
                name,
                f"Stream {name!r} of run {self.uid}",
                BlueskyEventStream,
                {"stream_name": name, "reader": self.reader},
                self,
            )
        self._stream_entries = entries
        self._stream_names = names

    def __getitem__(self, key: str) -> Any:
        self.reload()
        try:
            entry = self._entries[key]
        except (KeyError, TypeError):
            streams = list(self._entries)
            close = difflib.get_close_matches(str(key), streams, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise StreamNotFound(
                f"Run {self.uid!r} has no stream {key!r}; its streams are {streams}.{hint}"
            ) from None
        return entry.get()

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_") or item == "entry":
            return super().__getattr__(item)
        return self[item]  # StreamNotFound is an AttributeError too

    # -- documents ------------------------------------------------------------------------

    def documents(self, *, fill: str, strict_order: bool = True) -> Iterator[tuple[str, Any]]:
        """Yield ``(name, doc)`` for every document of the run, in the documented order.

        Parameters
        ----------
        fill
            ``'yes'`` (external data loaded as numpy arrays), ``'no'`` (datum ids left in
            place) or ``'delayed'`` (dask arrays).
        strict_order
            Merge events of all streams in time order (pages split only where needed);
            if False, pages come out whole, ordered by their first event's time.
        """
        return self.reader.documents(fill=fill, strict_order=strict_order)

    def canonical(self, *, fill: str, strict_order: bool = True) -> Iterator[tuple[str, Any]]:
        """Deprecated alias of :meth:`documents`."""
        warnings.warn(
            "BlueskyRun.canonical() is deprecated; use BlueskyRun.documents().",
            UserWarning,
            stacklevel=2,
        )
        return self.documents(fill=fill, strict_order=strict_order)

    def read_canonical(self) -> Iterator[tuple[str, Any]]:
        """Deprecated alias of ``documents(fill='yes')``."""
        warnings.warn(
            "BlueskyRun.read_canonical() is deprecated; use BlueskyRun.documents(fill='yes').",
            UserWarning,
            stacklevel=2,
        )
        return self.documents(fill="yes")

    def read(self) -> Any:
        """Not supported: a run has several streams."""
        raise NotImplementedError(
            "Read a stream of the run rather than the run itself, e.g. run.primary.read()."
        )

    def to_dask(self) -> Any:
        """Not supported: a run has several streams."""
        raise NotImplementedError(
            "Read a stream of the run rather than the run itself, e.g. run.primary.to_dask()."
        )

    def get_file_list(self, resource: Any) -> list[str]:
        """Return the paths (after root_map) of the files of a Resource or StreamResource."""
        return self.reader.file_list(resource)

    def check_external_files(self, *, print_report: bool = True) -> list[Any]:
        """Report, for every Resource and StreamResource of the run, the resolved path after
        root_map and whether its files exist.

        Parameters
        ----------
        print_report
            Print the report (default) as well as returning it.

        Returns
        -------
        list of ``databroker._fill.diagnostics.ExternalFileReport``
        """
        from .._fill.diagnostics import format_reports

        reports = self.reader.external_file_reports()
        if print_report:
            print(format_reports(reports))
        return reports

    # -- runs that travel -----------------------------------------------------------------

    def file_records(self, checksum: bool = False) -> list[Any]:
        """One ``FileRecord`` per file of every Resource and StreamResource: resolved path
        after root_map, size, existence, and (with ``checksum``) sha256."""
        from .._transfer.records import file_records

        return file_records(self.reader, checksum=checksum)

    @property
    def provenance(self) -> dict[str, Any] | None:
        """The start document's ``provenance`` (None for a run not derived from others)."""
        from .._transfer.provenance import provenance_of

        return provenance_of(self.start)

    def _catalog(self, catalog: Any) -> Any:
        if catalog is None and self._run_entry is not None:
            catalog = self._run_entry.catalog
        if catalog is None:
            raise InvalidArgument(f"Run {self.uid!r} is not from a catalog; pass catalog=.")
        return catalog

    def derived(self, catalog: Any = None) -> Any:
        """The runs (a search result) of ``catalog`` (default: this run's) derived from it."""
        from .._query.provenance import DerivedFrom

        return self._catalog(catalog).search(DerivedFrom(self.uid))

    def inputs(self, catalog: Any = None) -> list[Any]:
        """Open this run's provenance inputs from ``catalog`` (default: this run's)."""
        from .._transfer.provenance import input_uids

        found = self._catalog(catalog)
        return [found[uid] for uid in input_uids(self.start)]

    # -- intake plumbing ------------------------------------------------------------------

    def configure_new(self, **kwargs: Any) -> BlueskyRun:
        """With no arguments return this run; otherwise a new run built with ``kwargs``."""
        if not kwargs:
            return self
        if self._run_entry is not None:
            return self._run_entry.get(**kwargs)
        return super().configure_new(**kwargs)

    __call__ = get = configure_new

    def describe(self) -> dict[str, Any]:
        """Return ``args`` and ``metadata`` (start and stop) of this run."""
        description: dict[str, Any] = {}
        if self._run_entry is not None:
            description.update(self._run_entry.describe())
        description.setdefault("args", dict(self._captured_init_kwargs))
        description["metadata"] = {"start": self._view.start(), "stop": self._view.stop()}
        return description

    def persist(self, *args: Any, **kwargs: Any) -> Any:
        """Persistence is not supported for runs."""
        raise NotImplementedError("BlueskyRun does not support persist().")

    def get_persisted(self) -> Any:
        """Persistence is not supported for runs."""
        raise KeyError("BlueskyRun has no persisted version.")

    # IPython.lib.pretty takes the first _repr_pretty_ or __repr__ along the MRO: both here.
    _repr_pretty_ = display.RichDisplay._repr_pretty_

    def __repr__(self) -> str:
        return f"<{type(self).__name__} uid={self.uid!r}>"

    def _summary(self) -> display.RunSummary:
        """uid, scan_id, plan, local start/stop times, exit status, streams with their fields
        and event counts (``IPython`` shows it; no event is read)."""
        return display.summarize_run(self.reader, title=type(self).__name__)
