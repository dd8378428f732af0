"""``Broker``: the intake catalog of runs, base class of every databroker driver."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from intake.catalog import Catalog

from .._fill.imports import import_object
from .._runs import ReadContext
from .._stores.base import CatalogStore, Doc, Serializer
from ..errors import InvalidArgument, InvalidOption, InvalidQuery
from . import catalog_display, display
from .entry import Entry, make_entry
from .run_entries import RunEntries

__all__ = ["Broker", "catalog_signature"]

Init = TypeVar("Init", bound=Callable[..., Any])

#: What intake's ``Catalog.__init__`` takes besides the entries (passed on to it).
_INTAKE_ARGUMENTS = frozenset(
    (
        "entries",
        "name",
        "description",
        "metadata",
        "ttl",
        "getenv",
        "getshell",
        "persist_mode",
        "storage_options",
        "user_parameters",
    )
)

_DEFAULT_SUMMARY_FIELDS = (
    "start.time",
    "start.scan_id",
    "start.plan_name",
    "stop.exit_status",
    "stop.time",
)


def _dotted_get(doc: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


class Broker(display.RichDisplay, Catalog):
    """A catalog of bluesky runs (the base class of every databroker driver).

    Parameters
    ----------
    store
        The storage the catalog reads (see ``databroker._stores.base.CatalogStore``).
    handler_registry
        ``{spec: handler class or dotted path}``; None discovers installed handlers.
    root_map
        ``{stored root: local root}``; relative local roots resolve against the directory of
        the intake YAML file the catalog was loaded from.
    filler_class
        The ``event_model.Filler`` subclass (or its dotted path) used to load external data.
    transforms
        ``{'start'|'stop'|'descriptor'|'resource'|'stream_resource': callable}``.
    query
        A Mongo-style query on start documents restricting the catalog.
    """

    container = "catalog"

    def __init__(
        self,
        store: CatalogStore,
        *,
        handler_registry: Mapping[str, Any] | None = None,
        root_map: dict[str, str] | None = None,
        filler_class: Any = "event_model.Filler",
        transforms: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        entry: Any = None,
        **kwargs: Any,
    ) -> None:
        self._check_arguments(kwargs)
        self._store = store
        self._query = dict(query or {})
        self.read_context = ReadContext(
            handler_registry=handler_registry,
            root_map=root_map,
            filler_class=filler_class,
            transforms=transforms,
        )
        self._catalog_entry = entry
        self._v1: Any = None
        self._run_arrivals: Any = None
        kwargs.pop("CATALOG_DIR", None)
        kwargs.setdefault("ttl", store.ttl)
        self._entries_map = RunEntries(
            store, self._query, self._make_entry, describe=f"{type(self).__name__}"
        )
        self._loaded = False  # intake's construction loads once: the store is fresh then
        super().__init__(**kwargs)
        if self.name is None:  # fall back to the class attribute (the driver's name)
            del self.name
        context = self.read_context
        context.catalog_dir = self.metadata.get("catalog_dir") or None
        resolved = context.resolved_root_map()  # fails early on a relative root without a dir
        if resolved != context.root_map:  # relative roots from a YAML file: show them resolved
            context.root_map = resolved

    def _check_arguments(self, kwargs: Mapping[str, Any]) -> None:
        """Raise ``InvalidArgument`` for a keyword neither this driver nor intake takes."""
        unknown = sorted(set(kwargs) - _INTAKE_ARGUMENTS - {"CATALOG_DIR"})
        if not unknown:
            return
        valid = [
            name
            for name, parameter in inspect.signature(type(self).__init__).parameters.items()
            if name != "self" and parameter.kind is not inspect.Parameter.VAR_KEYWORD
        ] + sorted(_INTAKE_ARGUMENTS - {"entries"})
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, valid, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        catalog_dir = (kwargs.get("metadata") or {}).get("catalog_dir")
        source = f" (an entry of an intake YAML file in {catalog_dir})" if catalog_dir else ""
        raise InvalidArgument(
            f"{type(self).__name__}{source} got unknown argument(s) {', '.join(hints)}; "
            f"it takes {', '.join(valid)}."
        )

    # -- intake plumbing ------------------------------------------------------------------

    def _make_entries_container(self) -> RunEntries:
        return self._entries_map

    def _load(self) -> None:
        # At construction the store was just built (and scanned, for files): refresh it only
        # if it is older than its ttl. Every later load (force_reload()) rescans.
        self._store.refresh(force=self._loaded)
        self._loaded = True

    @property
    def v2(self) -> Broker:
        """This catalog."""
        return self

    @property
    def v1(self) -> Any:
        """A cached :class:`databroker.v1.Broker` around this catalog."""
        if self._v1 is None:
            from ..v1 import Broker as V1Broker

            self._v1 = V1Broker(self)
        return self._v1

    # -- runs -----------------------------------------------------------------------------

    @property
    def root_map(self) -> dict[str, str]:
        """``{stored root: local root}`` applied to external files (edits apply at once)."""
        return self.read_context.root_map

    @root_map.setter
    def root_map(self, value: dict[str, str]) -> None:
        self.read_context.root_map = value

    def _make_entry(self, start: Doc) -> Entry:
        from .run import BlueskyRun

        reader = self.read_context.open_run(self._store, start["uid"])
        return make_entry(
            start["uid"],
            f"Run {start['uid']}",
            BlueskyRun,
            {"reader": reader},
            self,
        )

    def __getitem__(self, key: Any) -> Any:
        """A run by uid, uid prefix, scan_id (N >= 0) or recency (-1 is the newest).

        A slice gives a list of runs by position in time order, oldest first, so
        ``catalog[-5:]`` is the five newest runs, the newest last.
        """
        if isinstance(key, slice):
            return self._runs_by_position(key)
        return self._entries_map[key].get()

    def _runs_by_position(self, positions: slice) -> list[Any]:
        self.reload()
        count = len(self._entries_map)
        chosen = range(count)[positions]  # positions in time order, 0 the oldest
        if not chosen:
            return []
        depth = count - min(chosen)  # how many of the newest runs the slice reaches
        newest_first = [uid for uid, _ in zip(self._entries_map, range(depth), strict=False)]
        return [self._entries_map[newest_first[count - 1 - p]].get() for p in chosen]

    def __contains__(self, key: object) -> bool:
        return key in self._entries_map

    def __iter__(self) -> Iterator[str]:
        self.reload()
        return iter(self._entries_map)

    def __len__(self) -> int:
        self.reload()
        return len(self._entries_map)

    def items(self) -> Iterator[tuple[str, Any]]:
        """Yield ``(uid, BlueskyRun)`` newest first."""
        self.reload()
        for uid, entry in self._entries_map.items():
            yield uid, entry.get()

    def values(self) -> RunValues:
        """The runs: iterated newest first; indexed and sliced as the catalog is.

        ``catalog.values()[-5:]`` is the five newest runs, the newest last.
        """
        return RunValues(self)

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_") or item == "entry":
            return super().__getattr__(item)
        try:
            return self[item]
        except (KeyError, ValueError, IndexError) as error:
            raise AttributeError(item) from error

    # -- live data: waiting for runs --------------------------------------------------------

    def _arrivals(self) -> Any:
        if self._run_arrivals is None:
            from .._runs.arrivals import RunArrivals

            self._run_arrivals = RunArrivals(self._store, self._query, self._title())
        return self._run_arrivals

    def get_next_run(
        self, since: str | None = None, *, block: bool = True, timeout: float | None = None
    ) -> tuple[str, Any]:
        """Return ``(token, run)``: the next run of this catalog to arrive after ``since``.

        Parameters
        ----------
        since
            None: the first run to arrive from now on. A token from an earlier call: the run
            after the one that call returned. Passing each call's token to the next gives
            every run once, none missed, however fast runs arrive and from however many
            writers (runs of a search's results only: those matching its query).
        block
            Wait for a run to arrive; False returns one that has arrived or raises.
        timeout
            Seconds to wait at most (None: no limit).

        Raises
        ------
        databroker.errors.NoRunAvailable
            No run arrived in time (a ``TimeoutError`` and ``LookupError``); its ``token``
            continues from there (``get_next_run(block=False)`` marks "now" this way).
        databroker.errors.NotSupported
            The catalog's storage cannot tell runs arriving (``supports_waiting`` false).
        """
        token, start = self._arrivals().next(since, block=block, timeout=timeout)
        return token, self._entries_map.entry_for(start).get()

    def get_last_run(self) -> Any:
        """Return the newest run of this catalog (``NoRunAvailable`` when it has none)."""
        return self._entries_map.entry_for(self._arrivals().last()).get()

    # -- search ---------------------------------------------------------------------------

    def search(self, query: Any = None, **kwargs: Any) -> Broker:
        """Return a catalog of the runs matching ``query`` as well as this catalog's query.

        Parameters
        ----------
        query
            A Mongo-style mapping on start documents, a ``databroker.queries.Query``, or a
            string (full-text search).
        **kwargs
            Without ``query``: start fields and the values they must equal
            (``search(sample='Si', scan_id=3)``). With ``query``: options for the
            database's ``find()`` (``limit``, ``hint``, ...), on catalogs whose storage
            takes them (the normalized MongoDB layout); elsewhere they raise ``TypeError``.
        """
        if query is None:
            query, kwargs = dict(kwargs), {}
        if isinstance(query, str):
            from .._query.objects import TextQuery

            query = TextQuery(query)
        if not isinstance(query, Mapping):
            raise InvalidQuery(
                f"A query must be a mapping (dict or databroker.queries.Query) or a string, "
                f"not {type(query).__name__}: {query!r}."
            )
        store = self._store.with_find_kwargs(kwargs) if kwargs else self._store
        query = dict(query)
        if not store.native_queries:
            from .._query.matcher import compile_query

            compile_query(query)  # a malformed query fails here, not at first use
        combined = {"$and": [self._query, query]} if self._query else query
        # Building the clone reloads it (intake calls _load), which rescans the store once.
        return self._clone(combined, store, name="search results")

    def _clone(self, query: Mapping[str, Any], store: CatalogStore, **overrides: Any) -> Broker:
        cls = type(self)
        init_kwargs = {**self._captured_init_kwargs, "query": query}
        new = cls.__new__(cls, *self._captured_init_args, **init_kwargs)
        context = self.read_context
        Broker.__init__(
            new,
            store,
            handler_registry=context.handler_registry_for_copy(),
            root_map=context.root_map,
            filler_class=context.filler_class,
            transforms=context.transforms_arg,
            query=query,
            metadata=dict(self.metadata),
            ttl=self.ttl,
            **overrides,
        )
        return new

    def summary(self, fields: Any = None, *, limit: int | None = None) -> Any:
        """Return a ``pandas.DataFrame`` with one row per run (index ``uid``), newest first.

        Parameters
        ----------
        fields
            Dotted names such as ``'start.scan_id'`` or ``'stop.exit_status'``; default
            ``start.time, start.scan_id, start.plan_name, stop.exit_status, stop.time``.
        limit
            At most this many runs, newest first.

        Returns
        -------
        pandas.DataFrame
            Missing values are None (NaT for times). ``*.time`` fields are timezone-aware
            datetimes in the local timezone (the process's ``TZ``), to the microsecond.
            Printed, the table is shortened to fit an 80-column terminal (uids to 8
            characters, ``start.scan_id`` shown as ``scan_id``, times to the second); the
            values and column names themselves are unchanged.
        """
        from .run_table import run_table

        fields = _summary_fields(fields)
        self._store.refresh(force=True)
        starts: list[Doc] = []
        for start in self._store.iter_starts(self._query):
            if limit is not None and len(starts) >= limit:
                break
            starts.append(start)
        uids = [start["uid"] for start in starts]
        needs_stop = any(field.startswith("stop.") for field in fields)
        stops = self._store.stops(uids) if needs_stop else {}
        columns = {
            field: [
                _dotted_get(
                    start if field.startswith("start.") else stops.get(start["uid"]),
                    field.partition(".")[2],
                )
                for start in starts
            ]
            for field in fields
        }
        return run_table(columns, uids)

    # -- handlers and writing -------------------------------------------------------------

    def register_handler(self, spec: str, handler: Any, overwrite: bool = False) -> None:
        """Bind ``spec`` to ``handler``; a different existing binding needs ``overwrite``."""
        if isinstance(handler, str):
            handler = import_object(handler)
        existing = self.read_context.handler_registry.get(spec)
        if existing is not None and existing is not handler and not overwrite:
            import event_model

            raise event_model.DuplicateHandler(
                f"There is already a handler registered for the spec {spec!r}. "
                "Use overwrite=True to deregister the original."
            )
        self.read_context.handler_registry[spec] = handler

    def deregister_handler(self, spec: str) -> None:
        """Remove the handler bound to ``spec`` (unknown specs are ignored)."""
        self.read_context.handler_registry.pop(spec, None)

    @property
    def handler_registry(self) -> dict[str, Any]:
        """The live ``{spec: handler}`` mapping."""
        return self.read_context.handler_registry

    def serializer(self) -> Serializer:
        """Return a writer ``(name, doc)`` of documents into this catalog's storage.

        A run written through it is listed (``len()``, iteration, lookup) as soon as its start
        is written, and shows its stop as soon as that is written. Runs written by other
        processes appear when the catalog next reloads: after ``ttl`` seconds (intake option,
        default 1) or at once with :meth:`force_reload`.

        Raises
        ------
        databroker.errors.WriteNotSupported
            If the storage has no writer (``supports_writes`` is false).
        """
        return ListingWriter(self._store.serializer(), self._store)

    #: The 1.x spelling of :meth:`serializer`.
    _get_serializer = serializer

    # -- runs that travel -----------------------------------------------------------------

    def locate(self, uid: str, *others: Any) -> list[Any]:
        """Which of this catalog and ``others`` (catalogs, job directories, bundles) hold the
        run ``uid``, and where its files are there (``databroker._transfer.merge.Location``)."""
        from .._transfer.merge import locate

        return locate(uid, [self, *others])

    def merge(self, sources: Any, *, dry_run: bool = False, **options: Any) -> Any:
        """Write the runs of job catalogs or bundles that this catalog lacks (idempotent;
        a run with the same uid and other content raises ``RunConflict``).

        ``sources`` is a catalog, a directory, a bundle, or a list of them; options
        ``external_root``, ``skip_existing``, ``progress`` (see ``databroker.unpack``).
        Returns a ``TransferReport``.
        """
        from .._transfer.merge import merge

        report = merge(self, sources, dry_run=dry_run, **options)
        self.force_reload()
        return report

    def prune(
        self, uids: Any, *, unstore: bool = False, dry_run: bool = True, force: bool = False
    ) -> Any:
        """Remove runs (a dry run by default); ``unstore`` also deletes their external files
        no other run uses; runs others derive from need ``force``. Returns a
        ``TransferReport``."""
        from .._transfer.merge import prune

        return prune(self, uids, unstore=unstore, dry_run=dry_run, force=force)

    def stats(self) -> Any:
        """Storage statistics (MongoDB catalogs only)."""
        return self._store.stats()

    def close(self) -> None:
        """Release what the catalog's storage opened."""
        self._store.close()

    # -- display --------------------------------------------------------------------------

    def _title(self) -> str:
        return f"{type(self).__name__} {self.name!r}"

    def _summary(self) -> catalog_display.CatalogSummary:
        return catalog_display.summarize_catalog(self._store, self._query, title=self._title())

    # IPython.lib.pretty takes the first _repr_pretty_ or __repr__ along the MRO: both here.
    _repr_pretty_ = display.RichDisplay._repr_pretty_

    def __repr__(self) -> str:
        return catalog_display.catalog_repr(self._store, self._query, title=self._title())

    def describe(self) -> dict[str, Any]:
        """Return the catalog's ``name``, ``driver``, ``source``, ``query`` and run ``count``
        (and, for a catalog loaded from a YAML file, its entry's ``args`` and ``metadata``)."""
        described: dict[str, Any] = {}
        if self._catalog_entry is not None:
            described.update(self._catalog_entry.describe())
        driver = type(self)
        described.update(
            name=self.name,
            container=self.container,
            driver=f"{driver.__module__}.{driver.__qualname__}",
            **catalog_display.catalog_description(self._store, self._query),
        )
        return described


def _summary_fields(fields: Any) -> list[str]:
    """The ``summary()`` columns asked for: one dotted name or a list; each ``start.``/``stop.``."""
    if fields is None:
        return list(_DEFAULT_SUMMARY_FIELDS)
    chosen = [fields] if isinstance(fields, str) else list(fields)
    for field in chosen:
        if not isinstance(field, str) or field.partition(".")[0] not in ("start", "stop"):
            suggestion = f" (did you mean 'start.{field}'?)" if isinstance(field, str) else ""
            raise InvalidOption(
                f"summary() fields are dotted names beginning with 'start.' or 'stop.', such "
                f"as 'start.scan_id'; {field!r} is not one{suggestion}."
            )
    return chosen


def catalog_signature(init: Init) -> Init:
    """Show a driver's ``__init__(self, <own parameters>, **kwargs)`` with every option.

    The signature ``help()`` and ``inspect.signature`` show is the driver's own parameters,
    then the reading options of :class:`Broker` (declared there once) as keyword-only
    parameters, then ``**kwargs`` (intake's); the call itself is unchanged.
    """
    own = [
        parameter
        for parameter in inspect.signature(init).parameters.values()
        if parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    options = [
        parameter
        for parameter in inspect.signature(Broker.__init__).parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.name != "entry"
    ]
    rest = inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD, annotation="Any")
    function: Any = init
    function.__signature__ = inspect.Signature([*own, *options, rest])
    return init


class RunValues:
    """The runs of a catalog: iterated newest first, indexed and sliced as the catalog is."""

    def __init__(self, catalog: Broker) -> None:
        self._catalog = catalog

    def __iter__(self) -> Iterator[Any]:
        for _, run in self._catalog.items():
            yield run

    def __len__(self) -> int:
        return len(self._catalog)

    def __getitem__(self, key: Any) -> Any:
        return self._catalog[key]

    def __repr__(self) -> str:
        return f"<RunValues of {self._catalog!r}>"


class ListingWriter:
    """A store's writer that refreshes the store's listing after each start and stop.

    Every other attribute (``close``, context management, ...) is the wrapped writer's.
    """

    def __init__(self, write: Serializer, store: CatalogStore) -> None:
        self._write = write
        self._store = store

    def __call__(self, name: str, doc: Doc) -> None:
        self._write(name, doc)
        if name in ("start", "stop"):
            self._store.refresh(force=True)

    def __enter__(self) -> ListingWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the wrapped writer (files of runs not stopped yet)."""
        close = getattr(self._write, "close", None)
        if close is not None:
            close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._write, name)

    def __repr__(self) -> str:
        return f"ListingWriter({self._write!r})"
