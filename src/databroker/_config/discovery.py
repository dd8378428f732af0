"""Discovery: the catalogs installed packages, config files and intake YAML files provide.

``databroker.catalog`` merges, in this order, the catalogs registered in the ``intake.catalogs``
entry-point group, one catalog per databroker config file, and the entries of the intake YAML
files in :func:`databroker.utils.catalog_search_path`. ``databroker.catalog`` and
``databroker.yaml_catalogs`` are built on first access (module ``__getattr__``), so importing
this module reads no file and loads no plugin.

Nothing found while listing can hide another entry: a plugin, config or YAML file that fails
gives a warning (or, for a config, a ``ConfigError`` when its entry is opened) and the other
entries stay available.
"""

from __future__ import annotations

import collections
import hashlib
import importlib.metadata
import os
import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from intake.catalog import Catalog
from intake.catalog.entry import CatalogEntry

from ..errors import ConfigError, DatabrokerError, DatabrokerWarning
from .files import PathsArg, list_configs, lookup_config

__all__ = [
    "EntrypointEntry",
    "EntrypointsCatalog",
    "MergedCatalog",
    "V0Catalog",
    "V0Entry",
    "reload_built_catalogs",
]

_YAML_SUFFIXES = (".yml", ".yaml")


class _MergedEntries(collections.ChainMap):
    """A ChainMap listing its keys in the order of its maps (ChainMap lists the last first)."""

    def __iter__(self) -> Iterator[Any]:
        seen: set[Any] = set()
        for mapping in self.maps:
            for key in mapping:
                if key not in seen:
                    seen.add(key)
                    yield key


class MergedCatalog(Catalog):
    """A catalog whose entries are those of several catalogs.

    Parameters
    ----------
    catalogs : sequence of intake Catalog
        Merged in order: when two catalogs have an entry of the same name, the earlier wins.
    *args, **kwargs
        Passed to ``intake.catalog.Catalog``.

    Notes
    -----
    The merged view is lazy (like ``collections.ChainMap``), so merging large catalogs costs
    nothing until an entry is looked up. Reloading this catalog (``force_reload()``, or a
    lookup once its own ``ttl`` has passed) reloads every part unconditionally, whatever the
    part's ``ttl``, so a catalog file written a moment ago is seen; a part whose reload fails
    gives a warning and keeps its previous entries.
    """

    def __init__(self, catalogs: Sequence[Catalog], *args: Any, **kwargs: Any) -> None:
        self._parts = list(catalogs)
        # The parts loaded themselves when they were made; intake's __init__ loads this
        # catalog once more, which need not load them again.
        self._parts_fresh = True
        super().__init__(*args, **kwargs)
        self._parts_fresh = False

    def _load(self) -> None:
        if not self._parts_fresh:
            self._reload_parts()
        self._entries = _MergedEntries(*(catalog._entries for catalog in self._parts))

    def _reload_parts(self) -> None:
        for catalog in self._parts:
            try:
                catalog.force_reload()  # not reload(): that would wait for the part's ttl
            except Exception as error:  # one broken part must not hide the others
                warnings.warn(
                    f"Reloading the catalog {catalog!r} failed ({error!r}); its previous entries "
                    "are kept. Fix or remove that catalog.",
                    DatabrokerWarning,
                    stacklevel=4,
                )


class EntrypointEntry(CatalogEntry):
    """An entry for one entry point; the object it names is imported when the entry is opened.

    Parameters
    ----------
    entrypoint : importlib.metadata.EntryPoint
        Names a catalog (or a data source); if it names a class, opening the entry
        instantiates it.
    """

    def __init__(self, entrypoint: importlib.metadata.EntryPoint) -> None:
        self._entrypoint = entrypoint
        self._container = "catalog"
        self._user_parameters: list[Any] = []
        super().__init__()

    @property
    def name(self) -> str:
        """The entry point's name, which is the entry's name."""
        return self._entrypoint.name

    def _origin(self) -> str:
        dist = self._entrypoint.dist
        where = f" from the distribution {dist.name!r}" if dist is not None else ""
        entrypoint = self._entrypoint
        return f"the {entrypoint.group!r} entry point {self.name!r} = {entrypoint.value!r}{where}"

    def describe(self) -> dict[str, Any]:
        """Basic facts about the entry, without importing the object it names."""
        dist = self._entrypoint.dist
        return {
            "name": self.name,
            "container": self._container,
            "description": f"Catalog provided by {self._origin()}",
            "direct_access": "forbid",
            "user_parameters": [],
            "metadata": {},
            "args": {
                "entrypoint": self._entrypoint.value,
                "distribution": dist.name if dist is not None else None,
            },
        }

    def get(self, **kwargs: Any) -> Any:
        """Import the named object and return it (configured with ``kwargs`` if given).

        Raises
        ------
        ConfigError
            If the object cannot be imported or instantiated; the message names the entry
            point and its distribution.
        """
        try:
            obj = self._entrypoint.load()
            if isinstance(obj, type):
                return obj(**kwargs)
            return obj.configure_new(**kwargs) if kwargs else obj
        except Exception as error:
            raise ConfigError(
                f"Opening {self._origin()} failed: {error!r}. Fix or uninstall that package."
            ) from error

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _entry_points(group: str, paths: Iterable[str] | None) -> list[importlib.metadata.EntryPoint]:
    """Return the group's entry points, one per distribution (the first one found on the path)."""
    if paths is None:
        dists = importlib.metadata.distributions()
    else:
        dists = importlib.metadata.distributions(path=[str(path) for path in paths])
    seen: set[str] = set()
    found: list[importlib.metadata.EntryPoint] = []
    for dist in dists:
        try:
            name = (dist.metadata["Name"] or "").lower().replace("_", "-")
            if name in seen:  # an older copy further down the path is shadowed, as on import
                continue
            seen.add(name)
            found.extend(ep for ep in dist.entry_points if ep.group == group)
        except Exception as error:  # one malformed installation must not hide the others
            where = getattr(dist, "_path", dist)
            warnings.warn(
                f"Skipping the entry points of the installed distribution at {where}: "
                f"{error!r}. Reinstall or remove that package.",
                DatabrokerWarning,
                stacklevel=3,
            )
    return found


class EntrypointsCatalog(Catalog):
    """A catalog of the catalogs that installed packages register as entry points.

    Parameters
    ----------
    *args
        Passed to ``intake.catalog.Catalog``.
    entrypoints_group : str
        The entry-point group to read; default ``'intake.catalogs'``.
    paths : iterable of str, optional
        Directories to look for installed distributions in; default ``sys.path``.
    **kwargs
        Passed to ``intake.catalog.Catalog``.

    Warns
    -----
    DatabrokerWarning
        If two entry points share a name (the first one found is kept).
    """

    def __init__(
        self,
        *args: Any,
        entrypoints_group: str = "intake.catalogs",
        paths: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self._entrypoints_group = entrypoints_group
        self._paths = list(paths) if paths is not None else None
        super().__init__(*args, **kwargs)

    def _load(self) -> None:
        entries: dict[str, EntrypointEntry] = {}
        for entrypoint in _entry_points(self._entrypoints_group, self._paths):
            entry = EntrypointEntry(entrypoint)
            if entrypoint.name in entries:
                warnings.warn(
                    f"Two entry points are named {entrypoint.name!r}: "
                    f"{entries[entrypoint.name]._origin()} and {entry._origin()}. The first "
                    "is used; uninstall or rename the other.",
                    DatabrokerWarning,
                    stacklevel=2,
                )
                continue
            entries[entrypoint.name] = entry
        self._entries.clear()
        self._entries.update(entries)


class V0Entry(CatalogEntry):
    """An entry for one databroker config file; opening it builds the configured catalog.

    Parameters
    ----------
    name : str
        The config's name (its file name without ``.yml``).
    paths : iterable of str, optional
        Directories to look the config up in; default the config search path.
    """

    def __init__(self, name: str, paths: PathsArg = None) -> None:
        self._name = name
        self._paths = paths
        self._container = "catalog"
        self._user_parameters: list[Any] = []
        # Not `_catalog`: intake sets that attribute on entries to their parent catalog.
        self._opened: Any = None
        self._lock = threading.Lock()
        super().__init__()

    @property
    def name(self) -> str:
        """The config's name."""
        return self._name

    def describe(self) -> dict[str, Any]:
        """Basic facts about the entry, without reading the config file."""
        return {
            "name": self._name,
            "container": self._container,
            "description": f"Catalog configured by the databroker config file {self._name}.yml",
            "direct_access": "forbid",
            "user_parameters": [],
            "metadata": {},
            "args": {"name": self._name},
        }

    def get(self, **kwargs: Any) -> Any:
        """Return the v2 catalog the config describes (built once, then reused).

        ``kwargs``, if given, configure a new copy (``catalog.configure_new(**kwargs)``).

        Raises
        ------
        ConfigError
            If the config is invalid or the catalog cannot be built; the message names the
            config. ``ConfigNotFound`` if the file has been removed since it was listed.
        """
        with self._lock:  # two threads opening one entry must not build two catalogs
            if self._opened is None:
                self._opened = self._build()
        return self._opened.configure_new(**kwargs) if kwargs else self._opened

    def _build(self) -> Any:
        # Imported here: databroker.v1 pulls in the whole v1 stack.
        from ..v1 import from_config

        config = lookup_config(self._name, self._paths)
        try:
            return from_config(config, name=self._name).v2
        except DatabrokerError:
            raise  # already names the problem (ConfigError, HandlerImportError, ...)
        except Exception as error:
            raise ConfigError(
                f"The databroker config {self._name!r} could not be opened: {error!r}. Fix "
                f"{self._name}.yml (run databroker.lookup_config({self._name!r}) to see it)."
            ) from error

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name!r}>"


class V0Catalog(Catalog):
    """A catalog with one entry per databroker config file (``<name>.yml``).

    Parameters
    ----------
    *args
        Passed to ``intake.catalog.Catalog``.
    paths : iterable of str, optional
        Directories holding config files; default the config search path
        (``DATABROKER_CONFIG_PATH`` when set), read at every reload.
    **kwargs
        Passed to ``intake.catalog.Catalog``.

    Notes
    -----
    Listing reads no config file; a config that is invalid raises ``ConfigError`` only when
    its entry is opened.
    """

    def __init__(self, *args: Any, paths: PathsArg = None, **kwargs: Any) -> None:
        self._paths = paths
        super().__init__(*args, **kwargs)

    def _load(self) -> None:
        # Keep the entries of names still present, so catalogs already built are reused.
        old = dict(self._entries)
        names = list_configs(self._paths)
        self._entries.clear()
        for name in names:
            self._entries[name] = old.get(name) or V0Entry(name, self._paths)


class _YAMLFilesCatalog(Catalog):
    """The entries of every intake YAML file (``*.yml``, ``*.yaml``) in some directories.

    Files are read in directory order, then by file name; a name already taken by an earlier
    file keeps its first entry (with a warning). A file that cannot be read or parsed gives a
    warning and is skipped, so it hides no other file's entries. Reloading picks up files
    added, changed or removed.
    """

    def __init__(self, directories: Iterable[str], **kwargs: Any) -> None:
        self._directories = [str(directory) for directory in directories]
        # path -> (digest of the file's bytes, its catalog or None if broken)
        self._file_catalogs: dict[str, tuple[bytes | None, Catalog | None]] = {}
        super().__init__(**kwargs)

    def _files(self) -> list[Path]:
        files: list[Path] = []
        for directory in self._directories:
            if not os.path.isdir(directory):
                continue
            try:
                names = sorted(os.listdir(directory))
            except OSError as error:  # an unreadable directory must not hide the others
                warnings.warn(
                    f"Cannot list the intake catalog directory {directory}: {error}. Fix its "
                    "permissions or remove it.",
                    DatabrokerWarning,
                    stacklevel=3,
                )
                continue
            files.extend(
                Path(directory, name)
                for name in names
                if name.endswith(_YAML_SUFFIXES) and os.path.isfile(os.path.join(directory, name))
            )
        return files

    def _file_catalog(self, path: Path) -> Catalog | None:
        """Return the catalog of one file (None if it is broken), re-read when it changes.

        A change is told by the file's content, not its mtime: a file rewritten within the
        filesystem's timestamp granularity (often several milliseconds) must be re-read.
        An unchanged file keeps its catalog, so entries already opened are reused.
        """
        import intake

        key = str(path)
        digest = None
        try:
            digest = hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
            cached = self._file_catalogs.get(key)
            if cached is not None and cached[0] == digest:
                return cached[1]
            catalog = intake.open_catalog(key)
        except Exception as error:  # a broken file must not hide the other files
            warnings.warn(
                f"Skipping the intake catalog file {path}: {error}. Fix or remove the file.",
                DatabrokerWarning,
                stacklevel=3,
            )
            catalog = None
        # A broken file is remembered too, so it warns once, not at every reload.
        self._file_catalogs[key] = (digest, catalog)
        return catalog

    def _load(self) -> None:
        entries: dict[str, Any] = {}
        origins: dict[str, Path] = {}
        files = self._files()
        for key in set(self._file_catalogs) - {str(path) for path in files}:
            del self._file_catalogs[key]  # forget removed files
        for path in files:
            catalog = self._file_catalog(path)
            if catalog is None:
                continue
            for name, entry in catalog._entries.items():
                if name in entries:
                    warnings.warn(
                        f"The intake catalog entry {name!r} is defined in {origins[name]} and in "
                        f"{path}; the first is used. Rename one of them.",
                        DatabrokerWarning,
                        stacklevel=2,
                    )
                    continue
                entries[name] = entry
                origins[name] = path
        self._entries.clear()
        self._entries.update(entries)


def _build_yaml_catalogs() -> Catalog:
    from ..utils import catalog_search_path

    directories = catalog_search_path()
    return _YAMLFilesCatalog(
        directories,
        name="yaml_catalogs",
        description=f"Entries of the intake YAML files in {', '.join(directories)}",
    )


def _build_catalog() -> Catalog:
    return MergedCatalog(
        [EntrypointsCatalog(), V0Catalog(), _get_lazy("yaml_catalogs")],
        name="catalog",
        description="Catalogs from entry points, databroker config files and intake YAML files",
    )


_BUILDERS = {"catalog": _build_catalog, "yaml_catalogs": _build_yaml_catalogs}
_built: dict[str, Catalog] = {}
_build_lock = threading.RLock()  # re-entrant: building 'catalog' builds 'yaml_catalogs'


def _get_lazy(name: str) -> Catalog:
    with _build_lock:
        if name not in _built:
            _built[name] = _BUILDERS[name]()
        return _built[name]


def reload_built_catalogs() -> None:
    """Reload ``databroker.catalog`` and ``databroker.yaml_catalogs`` if they have been built.

    For code that has just written a catalog file (e.g. the tutorial downloaders): the next
    lookup sees it. Catalogs not built yet are left unbuilt; they read the file when built.
    """
    with _build_lock:
        # 'catalog' reloads 'yaml_catalogs', one of its parts.
        catalog = _built.get("catalog") or _built.get("yaml_catalogs")
    if catalog is not None:
        catalog.force_reload()


def __getattr__(name: str) -> Any:
    # Module attributes ``catalog`` and ``yaml_catalogs``, built on first access so that
    # importing databroker touches no file and loads no plugin.
    if name in _BUILDERS:
        return _get_lazy(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_BUILDERS))
