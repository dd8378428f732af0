"""What transfer functions accept: catalogs, search results, runs, uids, stores, locations.

Intake-free: a catalog is anything with a ``_store`` (a ``CatalogStore``), a
``read_context`` and a ``_query`` (the intake ``Broker``); a run is anything with a
``reader`` (``BlueskyRun``) or a ``RunReader`` itself.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .._runs.context import ReadContext
from .._runs.reader import RunReader
from .._stores.base import CatalogStore, Serializer
from ..errors import DatabrokerError, InvalidArgument, RunNotFound

__all__ = ["Target", "describe", "iter_readers", "open_target"]


def describe(catalog: Any) -> str:
    """A short name of a catalog or store for messages."""
    store = getattr(catalog, "_store", catalog)
    patterns = getattr(store, "patterns", None)
    if patterns:
        return f"{getattr(store, 'backend_name', 'files')} catalog {patterns[0]}"
    name = getattr(catalog, "name", None) or getattr(store, "backend_name", type(store).__name__)
    return f"catalog {name!r}"


def _catalog_readers(catalog: Any) -> Iterator[RunReader]:
    store: CatalogStore = catalog._store
    store.refresh(force=True)
    query = dict(getattr(catalog, "_query", {}) or {})
    for start in list(store.iter_starts(query)):
        yield catalog.read_context.open_run(store, start["uid"])


def iter_readers(runs: Any, catalog: Any = None) -> Iterator[RunReader]:
    """Yield a ``RunReader`` for each run ``runs`` names.

    Parameters
    ----------
    runs
        A catalog or search result (newest first), a run, a ``RunReader``, a uid, or an
        iterable of runs and uids (uids need ``catalog``).
    catalog
        Where uids are looked up.
    """
    if isinstance(runs, RunReader):
        yield runs
        return
    if hasattr(runs, "_store") and hasattr(runs, "read_context"):
        yield from _catalog_readers(runs)
        return
    items: Iterable[Any] = [runs] if isinstance(runs, str) or hasattr(runs, "reader") else runs
    for item in items:
        if isinstance(item, RunReader):
            yield item
        elif hasattr(item, "reader"):
            yield item.reader
        elif isinstance(item, str):
            if catalog is None:
                raise InvalidArgument(
                    f"The run {item!r} is given by uid; pass catalog= to say where to find it."
                )
            yield catalog[item].reader
        else:
            raise InvalidArgument(
                f"Cannot copy {item!r}: give a catalog, a search result, runs or uids."
            )


@dataclass
class Target:
    """A writable catalog: its store, how to read its runs, how to write into it."""

    store: CatalogStore
    context: ReadContext
    write: Serializer | None
    description: str

    def has_run(self, uid: str) -> bool:
        """Whether the target holds run ``uid``."""
        return self.store.get_start(uid, {}) is not None

    def reader(self, uid: str) -> RunReader:
        """The reader of one of the target's runs."""
        if not self.has_run(uid):
            raise RunNotFound(f"No run {uid!r} in {self.description}.")
        return self.context.open_run(self.store, uid)

    def directory(self) -> str | None:
        """The directory of a file catalog (None for databases)."""
        patterns = getattr(self.store, "patterns", None)
        return os.path.dirname(patterns[0]) or "." if patterns else None

    def serializer(self) -> Serializer:
        """The target's writer (made once)."""
        if self.write is None:
            self.write = self.store.serializer()
        return self.write


def _file_store(directory: str, file_format: str) -> CatalogStore:
    from .._stores.files.catalog import JSONL, MSGPACK, FileCatalogStore

    if file_format not in ("msgpack", "jsonl"):
        raise InvalidArgument(f"format must be 'msgpack' or 'jsonl', not {file_format!r}.")
    os.makedirs(directory, exist_ok=True)
    existing = {
        suffix
        for suffix in ("msgpack", "jsonl")
        if glob.glob(os.path.join(directory, f"*.{suffix}"))
    }
    if len(existing) == 1:
        file_format = existing.pop()
    factory = MSGPACK if file_format == "msgpack" else JSONL
    return FileCatalogStore(os.path.join(glob.escape(directory), f"*.{file_format}"), factory)


def open_target(target: Any, *, file_format: str = "msgpack") -> Target:
    """Return the :class:`Target` of a catalog, a ``CatalogStore``, a directory or a URI.

    A directory that does not exist yet is created and becomes a ``file_format`` catalog.
    """
    if hasattr(target, "_store") and hasattr(target, "read_context"):
        return Target(target._store, target.read_context, None, describe(target))
    if isinstance(target, CatalogStore):
        return Target(target, ReadContext(), None, describe(target))
    if isinstance(target, str | os.PathLike):
        text = os.fspath(target)
        if "://" in text:
            from .._stores.registry import backends_for

            specs = backends_for(text)
            if not specs:
                raise InvalidArgument(f"No backend opens {text!r}.")
            return _first_opening(text, specs)
        store = _file_store(text, file_format)
        return Target(store, ReadContext(), None, describe(store))
    raise InvalidArgument(
        f"Cannot write into {target!r}: give a catalog, a CatalogStore, a directory or a URI."
    )


def _first_opening(location: str, specs: list[Any]) -> Target:
    """The target of the first backend that opens ``location`` (a Mongo URI fits both
    layouts; each driver refuses a database holding the other one)."""
    refusals: list[Exception] = []
    for spec in specs:
        try:
            return open_target(spec.load_driver()(location))
        except (DatabrokerError, ValueError) as error:
            refusals.append(error)
    raise refusals[0]
