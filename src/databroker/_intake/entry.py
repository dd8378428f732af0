"""``Entry``: an intake catalog entry that builds its source directly and caches it."""

from __future__ import annotations

from typing import Any

from intake.catalog.local import LocalCatalogEntry

from .._stores.lru import LRUCache

__all__ = ["Entry", "make_entry"]

_MAX_CACHED_SOURCES = 10


def _cache_key(kwargs: dict[str, Any]) -> str:
    return repr(sorted(kwargs.items(), key=lambda item: item[0]))


class Entry(LocalCatalogEntry):
    """A catalog entry that passes itself to its driver as ``entry=``.

    ``get(**kwargs)`` returns one source per distinct ``kwargs`` (at most 10 kept, least
    recently used dropped first). Persistence is off.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pmode = "never"
        self._sources: LRUCache[str, Any] = LRUCache(_MAX_CACHED_SOURCES)

    @property
    def pmode(self) -> str:
        """Persistence mode: always ``'never'``."""
        return "never"

    @pmode.setter
    def pmode(self, value: str) -> None:  # intake assigns it; persistence stays off
        pass

    @property
    def catalog(self) -> Any:
        """The catalog this entry belongs to."""
        return self._catalog

    def get(self, **kwargs: Any) -> Any:
        """Return the (cached) source built with ``kwargs``."""
        key = _cache_key(kwargs)
        source = self._sources.get(key)
        if source is not None:
            return source
        driver = self._plugin[0] if isinstance(self._plugin, list) else self._plugin
        source = driver(**{**self._open_args, **kwargs, "entry": self})
        source.catalog_object = self._catalog
        source.name = self.name
        source.description = self._description
        source.cat = self._catalog
        source._entry = self
        source._passed_kwargs = list(kwargs)
        self._sources[key] = source
        return source

    def __call__(self, persist: Any = None, **kwargs: Any) -> Any:
        return self.get(**kwargs)

    def cache_clear(self) -> None:
        """Forget every cached source."""
        self._sources.clear()

    # IPython's display: the source's own (intake's ``_ipython_display_`` would show the
    # entry's arguments, a whole RunReader among them, instead of the run).
    _ipython_display_ = None

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        source = self.get()
        if hasattr(type(source), "_repr_pretty_"):
            source._repr_pretty_(printer, cycle)
        else:
            printer.text(repr(source))

    def _repr_html_(self) -> Any:
        source = self.get()
        return source._repr_html_() if hasattr(type(source), "_repr_html_") else None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        source = self.get()
        if hasattr(type(source), "_repr_mimebundle_"):
            return source._repr_mimebundle_(include=include, exclude=exclude)
        return {"text/plain": repr(source)}


def make_entry(
    name: str, description: str, driver: type, args: dict[str, Any], catalog: Any
) -> Entry:
    """Build an :class:`Entry` for one of databroker's own sources (no intake parameters)."""
    return Entry(
        name=name,
        description=description,
        driver=driver,
        direct_access="forbid",
        args=args,
        cache=None,
        parameters=[],
        metadata={},
        catalog_dir="",
        getenv=False,
        getshell=False,
        catalog=catalog,
    )
