"""Empty storage of every backend, for tests and benchmarks: one set of factories.

:func:`storage` names where one backend's runs live (a directory for the file backends, one
or two databases on a Mongo client for the Mongo layouts); the :class:`Storage` it returns
opens an intake catalog or a bare :class:`~databroker._stores.base.CatalogStore` over that
place and drops what it made. Backends are looked up in :mod:`databroker._stores.registry`.

This module imports neither pytest nor pymongo at import time.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._stores.base import CatalogStore
from .._stores.registry import BackendSpec, backend

__all__ = ["MONGO_URI_VARIABLE", "Storage", "mongo_client", "storage"]

#: The environment variable naming a MongoDB server the test suite also runs against.
MONGO_URI_VARIABLE = "DATABROKER_TEST_MONGO_URI"
_SUFFIXES = {"jsonl": ".jsonl", "msgpack": ".msgpack"}


def mongo_client(uri: str | None = None) -> Any:
    """Return a pymongo client of ``uri`` (5 s server selection), or a new mongomock client.

    Parameters
    ----------
    uri : str, optional
        A ``mongodb://`` URI; without one the client is a fresh, empty mongomock client.
    """
    if uri:
        import pymongo

        return pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    import mongomock

    return mongomock.MongoClient()


@dataclass
class Storage:
    """Where one backend keeps its runs, and catalogs or stores over that place.

    Attributes
    ----------
    spec : BackendSpec
        The backend (from the registry).
    directory : Path
        The directory of the file backends' runs (unused by the others).
    client : Any
        The Mongo client of the Mongo layouts (None otherwise).
    database : str
        The Mongo database name; the normalized layout uses ``<database>_mds`` and
        ``<database>_assets``.
    """

    spec: BackendSpec
    directory: Path
    client: Any = None
    database: str = ""
    _dropped: bool = field(default=False, repr=False)

    @property
    def name(self) -> str:
        """The backend's name."""
        return self.spec.name

    @property
    def pattern(self) -> str:
        """The glob pattern of the file backends' runs (``<directory>/*.jsonl``)."""
        return str(self.directory / f"*{_SUFFIXES[self.name]}")

    def databases(self) -> list[Any]:
        """Return the Mongo ``Database`` objects, in the driver's argument order."""
        if self.name == "mongo-normalized":
            return [self.client[f"{self.database}_mds"], self.client[f"{self.database}_assets"]]
        if self.name == "mongo-embedded":
            return [self.client[self.database]]
        return []

    def _arguments(self) -> list[Any]:
        if self.name in _SUFFIXES:
            return [self.pattern]
        return self.databases()

    def catalog(self, **kwargs: Any) -> Any:
        """Return a new intake catalog (the backend's driver class) over this storage.

        ``memory`` has no storage of its own: each call returns a new, empty catalog.
        """
        return self.spec.load_driver()(*self._arguments(), **kwargs)

    def store(self) -> CatalogStore:
        """Return a new :class:`CatalogStore` over this storage (no intake involved)."""
        if self.name == "memory":
            from .._stores.memory import MemoryCatalogStore

            return MemoryCatalogStore()
        if self.name in _SUFFIXES:
            from .._stores.files.catalog import JSONL, MSGPACK, FileCatalogStore

            return FileCatalogStore(self.pattern, JSONL if self.name == "jsonl" else MSGPACK)
        if self.name == "mongo-normalized":
            from .._stores.mongo.normalized import NormalizedCatalogStore

            return NormalizedCatalogStore(*self.databases())
        from .._stores.mongo.embedded import EmbeddedCatalogStore

        return EmbeddedCatalogStore(*self.databases())

    def drop(self) -> None:
        """Drop the Mongo databases of this storage (files stay for the caller to remove)."""
        if self._dropped or self.client is None:
            return
        self._dropped = True
        for database in self.databases():
            self.client.drop_database(database.name)


def storage(
    name: str,
    directory: str | os.PathLike[str],
    *,
    client: Any = None,
    database: str | None = None,
) -> Storage:
    """Return empty (or existing) storage of backend ``name`` in ``directory``.

    Parameters
    ----------
    name : str
        A registry name (``'jsonl'``, ``'mongo-embedded'``, ...; ``_`` may stand for ``-``).
    directory : str or os.PathLike
        Where the file backends keep their runs (created if missing).
    client : optional
        The Mongo client of the Mongo layouts; by default :func:`mongo_client` of
        ``$DATABROKER_TEST_MONGO_URI`` (mongomock when unset).
    database : str, optional
        The Mongo database name; by default a new ``databroker_test_<random>`` name, so the
        storage starts empty.
    """
    spec = backend(name)
    path = Path(directory)
    if spec.name in _SUFFIXES:
        path.mkdir(parents=True, exist_ok=True)
    if not spec.name.startswith("mongo"):
        return Storage(spec, path)
    if client is None:
        client = mongo_client(os.environ.get(MONGO_URI_VARIABLE))
    name_ = database or f"databroker_test_{uuid.uuid4().hex[:12]}"
    return Storage(spec, path, client, name_)
