"""The backend registry: every storage backend databroker ships, by name.

One small, frozen :class:`BackendSpec` per backend says which intake driver class opens it,
which modules it needs, and whether it can open a location (a directory or glob of run files,
a ``mongodb://`` URI). The tests, the benchmarks, and later the command line and
``open_catalog()`` look backends up here instead of each keeping its own table.

Importing this module imports neither intake nor any backend library; :meth:`BackendSpec.
available` asks :func:`importlib.util.find_spec` without importing, and only
:meth:`BackendSpec.load_driver` imports the driver.
"""

from __future__ import annotations

import glob
import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import ConfigError

__all__ = ["BACKENDS", "BackendSpec", "backend", "backends_for", "names"]

_MONGO_SCHEMES = ("mongodb://", "mongodb+srv://")
_REDIS_SCHEMES = ("redis://", "rediss://")
_GLOB_CHARACTERS = frozenset("*?[")


def _as_text(location: Any) -> str | None:
    """Return ``location`` as a string path or URI, or None for anything else."""
    if not isinstance(location, str | os.PathLike):
        return None
    path = os.fspath(location)
    return path if isinstance(path, str) else None


def _holds_files(suffix: str) -> Callable[[Any], bool]:
    """Return the predicate "``location`` is a directory or glob holding ``*<suffix>`` files".

    A glob pattern ending in the suffix counts even before any file matches it (a catalog
    that is about to be written); a single file counts if it has the suffix.
    """

    def can_open(location: Any) -> bool:
        path = _as_text(location)
        if path is None or "://" in path:
            return False
        if _GLOB_CHARACTERS & set(path):
            return path.endswith(suffix) or any(name.endswith(suffix) for name in glob.iglob(path))
        if os.path.isdir(path):
            with os.scandir(path) as entries:
                return any(entry.name.endswith(suffix) for entry in entries)
        return path.endswith(suffix) and os.path.isfile(path)

    return can_open


def _is_mongo_uri(location: Any) -> bool:
    path = _as_text(location)
    return path is not None and path.startswith(_MONGO_SCHEMES)


def _is_redis_uri(location: Any) -> bool:
    path = _as_text(location)
    return path is not None and path.startswith(_REDIS_SCHEMES)


def _nothing(location: Any) -> bool:
    return False


@dataclass(frozen=True)
class BackendSpec:
    """What databroker knows about one storage backend, without importing it.

    Attributes
    ----------
    name : str
        The backend's name (``'jsonl'``, ``'mongo-normalized'``, ...), also the
        ``backend_name`` of its catalog store.
    driver : str
        The intake driver class as ``'module:Class'``.
    driver_name : str
        The driver's ``name`` attribute: its ``intake.drivers`` entry point, except for the
        in-memory catalog, which has no entry point (``has_entry_point`` False).
    requires : tuple of str
        Top-level modules that must be importable for the backend to work.
    extra : str or None
        The ``pip install databroker[<extra>]`` extra that installs them.
    summary : str
        One line for listings and error messages.
    has_entry_point : bool
        Whether intake knows the driver by ``driver_name``.
    """

    name: str
    driver: str
    driver_name: str
    requires: tuple[str, ...] = ()
    extra: str | None = None
    summary: str = ""
    has_entry_point: bool = True
    _can_open: Callable[[Any], bool] = field(default=_nothing, repr=False, compare=False)

    def can_open(self, location: Any) -> bool:
        """Return whether this backend can open ``location`` (cheap: no connection made).

        Parameters
        ----------
        location : str or os.PathLike
            A directory, a glob pattern, a file, or a URI.
        """
        return self._can_open(location)

    def missing(self) -> list[str]:
        """Return the required modules that are not installed (checked without importing)."""
        return [module for module in self.requires if importlib.util.find_spec(module) is None]

    def available(self) -> bool:
        """Return whether every required module is installed."""
        return not self.missing()

    def load_driver(self) -> type:
        """Import and return the intake driver class.

        Raises
        ------
        ConfigError
            A required module is not installed (the message says how to install it).
        """
        missing = self.missing()
        if missing:
            how = f"pip install 'databroker[{self.extra}]'" if self.extra else "install them"
            raise ConfigError(
                f"The {self.name} backend needs {', '.join(missing)}, which is not installed; "
                f"{how}."
            )
        module, _, attribute = self.driver.partition(":")
        driver: type = getattr(importlib.import_module(module), attribute)
        return driver


_SPECS = (
    BackendSpec(
        "memory",
        "databroker.in_memory:BlueskyInMemoryCatalog",
        "bluesky-run-catalog",
        summary="runs held in this process",
        has_entry_point=False,
    ),
    BackendSpec(
        "jsonl",
        "databroker._drivers.jsonl:BlueskyJSONLCatalog",
        "bluesky-jsonl-catalog",
        summary="one JSONL file per run",
        _can_open=_holds_files(".jsonl"),
    ),
    BackendSpec(
        "msgpack",
        "databroker._drivers.msgpack:BlueskyMsgpackCatalog",
        "bluesky-msgpack-catalog",
        requires=("msgpack",),
        summary="one msgpack file per run",
        _can_open=_holds_files(".msgpack"),
    ),
    BackendSpec(
        "mongo-normalized",
        "databroker._drivers.mongo_normalized:BlueskyMongoCatalog",
        "bluesky-mongo-normalized-catalog",
        requires=("pymongo",),
        extra="mongo",
        summary="MongoDB, one Mongo document per bluesky document",
        _can_open=_is_mongo_uri,
    ),
    BackendSpec(
        "mongo-embedded",
        "databroker._drivers.mongo_embedded:BlueskyMongoCatalog",
        "bluesky-mongo-embedded-catalog",
        requires=("pymongo",),
        extra="mongo",
        summary="MongoDB, one header per run and events in pages",
        _can_open=_is_mongo_uri,
    ),
    BackendSpec(
        "redis",
        "databroker._drivers.redis:BlueskyRedisCatalog",
        "bluesky-redis-catalog",
        requires=("redis",),
        extra="live",
        summary="a Redis live buffer of runs being taken, over a durable catalog",
        _can_open=_is_redis_uri,
    ),
)

#: Every backend by name, in the order listings show them.
BACKENDS: Mapping[str, BackendSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})


def names() -> list[str]:
    """Return the names of every backend."""
    return list(BACKENDS)


def backend(name: str) -> BackendSpec:
    """Return the backend called ``name`` (``_`` may stand for ``-``: ``'mongo_embedded'``).

    Raises
    ------
    ConfigError
        No backend has that name (the message lists the known ones).
    """
    spec = BACKENDS.get(name.replace("_", "-")) if isinstance(name, str) else None
    if spec is None:
        raise ConfigError(f"Unknown backend {name!r}; the backends are {', '.join(BACKENDS)}.")
    return spec


def backends_for(location: Any) -> list[BackendSpec]:
    """Return the backends that can open ``location``, in registry order (maybe several:
    both Mongo layouts open a ``mongodb://`` URI)."""
    return [spec for spec in _SPECS if spec.can_open(location)]
