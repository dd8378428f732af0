"""What transfer functions accept: catalogs, search results, runs, uids, stores, locations.

Intake-free: a catalog is anything with a ``_store`` (a ``CatalogStore``), a
``read_context`` and a ``_query`` (the intake ``Broker``); a run is anything with a
``reader`` (``BlueskyRun``) or a ``RunReader`` itself.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from .._runs.context import ReadContext
from .._runs.reader import RunReader
from .._stores.base import CatalogStore, Serializer
from ..errors import DatabrokerError, InvalidArgument, RunNotFound

__all__ = ["RunSource", "Target", "describe", "iter_readers", "iter_run_sources", "open_target"]


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
class RunSource:
    """A run to pack: its uid, its own file when stored one run per file, and its reader,
    opened on first use (a run packed byte for byte from its file is never opened)."""

    uid: str
    #: The file holding the run and nothing else (file catalogs), or None.
    path: str | None
    opener: Callable[[], RunReader] = field(repr=False)
    _reader: RunReader | None = field(default=None, repr=False)

    @property
    def reader(self) -> RunReader:
        """The run's reader."""
        if self._reader is None:
            self._reader = self.opener()
        return self._reader


def _own_file(reader: RunReader) -> str | None:
    path = getattr(reader.view.store, "path", None)
    return path if isinstance(path, str) else None


def iter_run_sources(runs: Any, catalog: Any = None) -> Iterator[RunSource]:
    """Yield a :class:`RunSource` for each run ``runs`` names (as :func:`iter_readers`).

    The runs of a catalog or search result are not opened here: a file catalog knows each
    run's file from its listing.
    """
    is_catalog = hasattr(runs, "_store") and hasattr(runs, "read_context")
    if is_catalog and not isinstance(runs, RunReader):
        store: CatalogStore = runs._store
        store.refresh(force=True)
        path_of = getattr(store, "path_of", None)
        open_run = runs.read_context.open_run
        for start in list(store.iter_starts(dict(getattr(runs, "_query", {}) or {}))):
            uid = start["uid"]
            path = path_of(uid) if path_of is not None else None
            yield RunSource(uid, path, partial(open_run, store, uid))
        return
    for reader in iter_readers(runs, catalog):
        yield RunSource(reader.uid, _own_file(reader), partial(_same, reader), reader)


def _same(reader: RunReader) -> RunReader:
    return reader


@dataclass
class Target:
    """A writable catalog: its store, how to read its runs, how to write into it."""

    store: CatalogStore
    #: How the target's runs are read; made on first use (finding handlers takes time).
    context: ReadContext | None
    write: Serializer | None
    description: str
    #: The store was opened here (from a directory or URI): nobody else holds it, so it
    #: need not be refreshed after writing.
    owned: bool = False

    def has_run(self, uid: str) -> bool:
        """Whether the target holds run ``uid``."""
        return self.store.get_start(uid, {}) is not None

    def reader(self, uid: str) -> RunReader:
        """The reader of one of the target's runs."""
        if not self.has_run(uid):
            raise RunNotFound(f"No run {uid!r} in {self.description}.")
        if self.context is None:
            self.context = ReadContext()
        return self.context.open_run(self.store, uid)

    def directory(self) -> str | None:
        """The directory of a file catalog (None for databases)."""
        patterns = getattr(self.store, "patterns", None)
        return os.path.dirname(patterns[0]) or "." if patterns else None

    def run_file(self, uid: str, suffix: str) -> str | None:
        """Where a run file copied byte for byte goes, or None when it cannot.

        A file catalog writes run ``uid`` to ``<directory>/<uid><suffix>``; a file copied
        there is a run of the catalog when its format has that ``suffix`` and the
        catalog's first pattern lists that name. A uid that is no plain file name never is.
        """
        rule = self._run_file_rule
        if rule is None or rule[0] != suffix:
            return None
        if not uid or uid[0] == "." or "/" in uid or "\\" in uid or "\0" in uid:
            return None
        name = uid + suffix
        return os.path.join(rule[1], name) if rule[2](name) else None

    @cached_property
    def _run_file_rule(self) -> tuple[str, str, Callable[[str], Any]] | None:
        """``(suffix, directory, name matcher)`` of a file catalog's first pattern."""
        file_format = getattr(self.store, "format", None)
        patterns = getattr(self.store, "patterns", None)
        suffix = getattr(file_format, "suffix", None)
        if not patterns or not isinstance(suffix, str):
            return None
        directory, pattern = os.path.split(patterns[0])
        if set("*?[") & set(directory):
            return None
        return suffix, directory or ".", re.compile(fnmatch.translate(pattern)).match

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
        return Target(target, None, None, describe(target))
    if isinstance(target, str | os.PathLike):
        text = os.fspath(target)
        if "://" in text:
            from .._stores.registry import backends_for

            specs = backends_for(text)
            if not specs:
                raise InvalidArgument(f"No backend opens {text!r}.")
            found = _first_opening(text, specs)
            found.owned = True
            return found
        store = _file_store(text, file_format)
        return Target(store, None, None, describe(store), owned=True)
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
