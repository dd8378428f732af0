"""``Broker``: the v1 accessor around any v2 catalog."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..errors import InvalidDocument
from ..utils import ALL, get_fields, wrap_in_deprecated_doct
from .events import as_headers, check_handler_registry, iter_documents, iter_events
from .header import Header
from .registry import Registry
from .results import Results, build_query

__all__ = ["Broker"]


def _bulk_events(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The events of a legacy ``bulk_events`` mapping, as new dicts linked to their descriptor.

    Raises
    ------
    InvalidDocument
        If ``doc`` is not ``{descriptor uid: [event, ...]}`` or an event names another
        descriptor than its key.
    """
    if not isinstance(doc, Mapping):
        raise InvalidDocument(
            f"A bulk_events document must be {{descriptor uid: [events]}}, not "
            f"{type(doc).__name__}."
        )
    for descriptor, events in doc.items():
        if isinstance(events, Mapping | str | bytes) or not isinstance(events, Iterable):
            raise InvalidDocument(
                f"bulk_events[{descriptor!r}] must be a list of events, not "
                f"{type(events).__name__}."
            )
        for event in events:
            if event.get("descriptor", descriptor) != descriptor:
                raise InvalidDocument(
                    f"The event {event.get('uid')!r} under bulk_events[{descriptor!r}] names "
                    f"the descriptor {event['descriptor']!r}."
                )
            # New outer dicts (and data/timestamps/filled dicts), so a serializer that
            # rewrites values in place never reaches the caller's documents.
            fresh = {
                key: dict(value) if isinstance(value, Mapping) else value
                for key, value in event.items()
            }
            fresh["descriptor"] = descriptor
            yield fresh


class Broker:
    """The v1 API: search and read runs of a catalog the way databroker 1.x scripts expect.

    Parameters
    ----------
    catalog : databroker.v2.Broker
        Any v2 catalog; the Broker adds no storage of its own.
    serializer : callable, optional
        ``(name, doc)`` used by :meth:`insert`; default: the catalog's writer, looked up at
        the first insert.
    external_fetchers : dict, optional
        ``{name: callable(start, stop)}``; results appear as ``header.ext.<name>``.

    Examples
    --------
    >>> db = databroker.temp()
    >>> df = db[-1].table(fields=['det', 'motor'])         # doctest: +SKIP
    >>> for h in db(plan_name='count', since='2024-01-01'):  # doctest: +SKIP
    ...     print(h.start['scan_id'])
    """

    def __init__(
        self,
        catalog: Any,
        *,
        serializer: Callable[[str, Any], Any] | None = None,
        external_fetchers: Mapping[str, Callable[[Any, Any], Any]] | None = None,
    ) -> None:
        self._catalog = catalog
        self.serializer = serializer
        self.external_fetchers = dict(external_fetchers or {})
        self.prepare_hook: Callable[[str, Any], Any] = wrap_in_deprecated_doct
        self.aliases: dict[str, Any] = {}
        self.filters: dict[str, Any] = {}
        self.reg = Registry(catalog)
        self._config: dict[str, Any] | None = None
        self._timezone: str | None = None  # from a config's metadatastore.config.timezone
        if getattr(catalog, "_v1", False) is None:
            catalog._v1 = self  # so that catalog.v1 is this Broker

    # -- identity -------------------------------------------------------------------------

    @property
    def v1(self) -> Broker:
        """This Broker."""
        return self

    @property
    def v2(self) -> Any:
        """The wrapped catalog."""
        return self._catalog

    @property
    def name(self) -> str | None:
        """The catalog's name."""
        return self._catalog.name

    @property
    def fs(self) -> Registry:
        """Deprecated alias of :attr:`reg`."""
        warnings.warn("fs is deprecated, use `db.reg` instead", UserWarning, stacklevel=2)
        return self.reg

    def __repr__(self) -> str:
        return f"<databroker.v1.Broker around {self._catalog!r}>"

    def _display_summary(self) -> Any:
        from .._intake.catalog_display import summarize_broker

        title = f"databroker.v1.Broker around {type(self._catalog).__name__} {self.name!r}"
        return summarize_broker(self._catalog, title=title)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython: the catalog's source, query, run count and newest runs (bounded)."""
        from .._intake import display

        printer.text(repr(self) if cycle else display.safe_text(self._display_summary))

    def _repr_html_(self) -> str:
        """Notebooks: the catalog's source, query, run count and newest runs (bounded)."""
        from .._intake import display

        return display.safe_html(self._display_summary)

    # -- lookup ---------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        """A Header by uid, uid prefix, scan_id or recency; a list for a slice or iterable."""
        if isinstance(key, slice):
            return self._slice(key)
        if isinstance(key, str):
            return Header(self._catalog[key], self)
        if isinstance(key, numbers.Integral):
            return Header(self._catalog[int(key)], self)
        if isinstance(key, Iterable):
            return [self[k] for k in key]
        raise TypeError(
            f"Look runs up by uid, uid prefix, scan_id, negative recency index, slice or a "
            f"list of those, not {type(key).__name__}: {key!r}."
        )

    def _slice(self, key: slice) -> list[Header]:
        if key.start is None or key.start >= 0:
            raise ValueError(
                f"A slice of a Broker must start at a negative (recency) index such as "
                f"db[-3:], not {key.start!r}; scan_id ranges are not supported, use a search."
            )
        if key.stop is not None and key.stop > 0:
            raise ValueError(
                f"A slice of a Broker must stop at None or an index <= 0, not {key.stop!r}."
            )
        indices = range(key.start, key.stop or 0, key.step or 1)
        return [self[i] for i in reversed(indices)]

    # -- search ---------------------------------------------------------------------------

    def __call__(self, text_search: str | None = None, **kwargs: Any) -> Results:
        """Search start documents; return a re-iterable :class:`Results` (newest first).

        Parameters
        ----------
        text_search : str, optional
            Words for a full-text search.
        **kwargs
            Mongo-style conditions on start documents; ``since``/``until`` bound the start
            time (``until`` inclusive); ``data_key='det'`` keeps runs with that data key.
        """
        data_key = kwargs.pop("data_key", None)
        query = build_query(self.filters, kwargs, text_search, self._timezone)
        return Results(self, query, data_key)

    def add_filter(self, **kwargs: Any) -> None:
        """Add conditions applied to every search (same keywords as a search)."""
        self.filters.update(kwargs)

    def clear_filters(self) -> None:
        """Remove every filter."""
        self.filters.clear()

    def alias(self, key: str, **query: Any) -> None:
        """Make ``db.<key>`` return ``db(**query)`` (replacing an alias of that name)."""
        self._check_alias(key)
        self.aliases[key] = query

    def dynamic_alias(self, key: str, func: Callable[[], Mapping[str, Any]]) -> None:
        """Make ``db.<key>`` return ``db(**func())``, calling ``func`` each time (replacing
        an alias of that name)."""
        self._check_alias(key)
        self.aliases[key] = func

    def _check_alias(self, key: str) -> None:
        # An existing alias may be redefined; a method or attribute never.
        if key in self.__dict__ or hasattr(type(self), key):
            raise ValueError(
                f"{key!r} is already an attribute of the Broker; choose another alias."
            )

    def __getattr__(self, key: str) -> Any:
        aliases = self.__dict__.get("aliases", {})
        if key not in aliases:
            raise AttributeError(f"'Broker' object has no attribute or alias {key!r}")
        query = aliases[key]
        return self(**(query() if callable(query) else query))

    # -- documents, events, tables, images -------------------------------------------------

    def get_documents(
        self,
        headers: Any,
        stream_name: Any = ALL,
        fields: Any = None,
        fill: bool = False,
        handler_registry: Any = None,
    ) -> Iterator[tuple[str, Any]]:
        """Yield ``(name, doc)`` for every document of ``headers``, events unpacked."""
        check_handler_registry(handler_registry)
        return iter_documents(headers, self.prepare_hook, stream_name, fields, fill)

    def get_events(
        self,
        headers: Any,
        stream_name: Any = "primary",
        fields: Any = None,
        fill: bool = False,
        handler_registry: Any = None,
    ) -> Iterator[Any]:
        """Yield the events of one stream (``ALL``: every stream) of ``headers``."""
        check_handler_registry(handler_registry)
        return iter_events(headers, self.prepare_hook, stream_name, fields, fill)

    def restream(self, headers: Any, fields: Any = None, fill: bool = False) -> Iterator[Any]:
        """Yield ``(name, doc)`` for every document of every stream of ``headers``."""
        return self.get_documents(headers, fields=fields, fill=fill)

    stream = restream

    def process(
        self, headers: Any, func: Callable[[str, Any], Any], fields: Any = None, fill: bool = False
    ) -> None:
        """Call ``func(name, doc)`` on every document of ``headers``."""
        for name, doc in self.get_documents(headers, fields=fields, fill=fill):
            func(name, doc)

    def get_table(
        self,
        headers: Any,
        stream_name: str = "primary",
        fields: Any = None,
        fill: bool = False,
        handler_registry: Any = None,
        convert_times: bool = True,
        timezone: str | None = None,
        localize_times: bool = True,
    ) -> Any:
        """One stream of ``headers`` as a ``pandas.DataFrame`` indexed by ``seq_num``.

        See :func:`databroker.v1.tables.get_table`; ``timezone`` defaults to the config's
        timezone, else the local zone.
        """
        check_handler_registry(handler_registry)
        from .tables import get_table  # pandas only when a table is asked for

        return get_table(
            as_headers(headers),
            stream_name=stream_name,
            fields=fields,
            fill=fill,
            convert_times=convert_times,
            timezone=timezone or self._timezone,
            localize_times=localize_times,
        )

    def get_images(
        self, headers: Any, name: str, stream_name: str = "primary", handler_registry: Any = None
    ) -> Any:
        """Deprecated: a lazy sequence of the images in field ``name`` of ``headers``."""
        warnings.warn(
            "get_images() is deprecated; use header.xarray_dask()[name] instead.",
            UserWarning,
            stacklevel=2,
        )
        check_handler_registry(handler_registry)
        from .images import Images

        return Images(as_headers(headers), name, stream_name)

    get_fields = staticmethod(get_fields)

    def stream_names_given_header(self, header: Header) -> list[str]:
        """The stream names of ``header``."""
        return header.stream_names

    def fetch_external(self, start: Any, stop: Any) -> dict[str, Any]:
        """``{name: fetcher(start, stop)}`` over :attr:`external_fetchers`."""
        return {name: fetcher(start, stop) for name, fetcher in self.external_fetchers.items()}

    def fill_event(self, *args: Any, **kwargs: Any) -> None:
        """No longer supported: pass ``fill=True`` when reading."""
        raise NotImplementedError(
            "fill_event is no longer supported; pass fill=True to get_events/get_table or read "
            "a stream with header.xarray()."
        )

    def fill_events(self, *args: Any, **kwargs: Any) -> None:
        """No longer supported: pass ``fill=True`` when reading."""
        raise NotImplementedError(
            "fill_events is no longer supported; pass fill=True to get_events/get_table or read "
            "a stream with header.xarray()."
        )

    # -- writing and copying --------------------------------------------------------------

    def insert(self, name: str, doc: Mapping[str, Any]) -> None:
        """Write one document (``RE.subscribe(db.insert)``); after ``stop`` the catalog reloads.

        The legacy name ``'bulk_events'``, with ``doc`` a mapping ``{descriptor uid: [events]}``,
        writes those events one by one (copies: the caller's documents are left unchanged).

        Raises
        ------
        WriteNotSupported
            If the catalog has no writer and no ``serializer`` was given.
        """
        warnings.warn(
            "Broker.insert is pending deprecation; subscribe the catalog's serializer to the "
            "RunEngine instead.",
            PendingDeprecationWarning,
            stacklevel=2,
        )
        if self.serializer is None:
            self.serializer = self._catalog._get_serializer()
        if name == "bulk_events":
            for event in _bulk_events(doc):
                self.serializer("event", event)
        else:
            self.serializer(name, doc)
        if name == "stop":
            self._catalog.force_reload()

    def export(
        self,
        headers: Any,
        db: Broker,
        new_root: str | None = None,
        copy_kwargs: Mapping[str, Any] | None = None,
    ) -> list[tuple[str, str]]:
        """Copy runs into another Broker (and their files under ``new_root``).

        Returns
        -------
        list of (str, str)
            ``(old_path, new_path)`` of every copied file.
        """
        from .export import export

        return export(self, as_headers(headers), db, new_root, copy_kwargs)

    def export_size(self, headers: Any) -> float:
        """Total size in GB of the external files of ``headers``."""
        from .export import export_size

        return export_size(as_headers(headers))

    # -- configuration and statistics -----------------------------------------------------

    def get_config(self) -> dict[str, Any] | None:
        """The config this Broker was made from, or None."""
        return self._config

    def stats(self) -> Any:
        """Database statistics (MongoDB catalogs only; others raise NotImplementedError)."""
        return self._catalog.stats()

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], auto_register: bool = True, name: str | None = None
    ) -> Any:
        """Build a Broker (or, for ``api_version: 2``, a v2 catalog) from a config dict."""
        from .config import from_config

        return from_config(config, auto_register=auto_register, name=name)

    @classmethod
    def named(cls, name: str, auto_register: bool = True) -> Any:
        """The Broker called ``name``: ``'temp'``, a config file, or an intake catalog."""
        from .config import named

        return named(name, auto_register=auto_register)
