"""The backends under test: where each workload's data lives, databroker's catalog and writer
over it, and the raw (databroker-free) access the floors use.

File backends keep their runs under ``<workdir>/<backend>/<label>/``. Mongo backends use
mongomock, or the server named by ``DATABROKER_BENCH_MONGO_URI``; their databases are named
from the work directory and the label, so the memory subprocess finds the same data. Mongo
storages load workload data in bulk (:mod:`benchmarks.mongo_load`); only the ``write``
workload goes through databroker's Mongo writers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from databroker._stores.registry import backend as spec
from databroker.testing.backends import mongo_client, storage

from . import floors
from .data import Documents, Scale

__all__ = ["BACKEND_NAMES", "Backend", "Storage", "count_queries", "make_backend"]

BACKEND_NAMES = ("msgpack", "jsonl", "mongo_normalized", "mongo_embedded")
MONGO_URI_VARIABLE = "DATABROKER_BENCH_MONGO_URI"
# databroker's Mongo writers look up each page's uids with a `$in` query, which mongomock
# answers by comparing every stored uid with every queried one: the `write` workload, which
# times those writers, gets this many events on mongomock. The other workloads load their data
# in bulk (see mongo_load.py) at full size.
_MONGOMOCK_WRITE_EVENTS = 10_000

Columns = dict[str, np.ndarray]
T = TypeVar("T")
#: The collection methods that each send one query (find_one goes through find).
_QUERY_METHODS = ("find", "count_documents", "distinct", "aggregate")


@contextlib.contextmanager
def _counting(calls: list[str]) -> Iterator[None]:
    import importlib

    classes = []
    for module in ("mongomock.collection", "pymongo.collection"):
        with contextlib.suppress(ImportError):  # a server run may lack mongomock
            classes.append(importlib.import_module(module).Collection)
    depth = [0]  # pymongo's count_documents runs an aggregate: count the outer call only
    originals = []
    for cls in classes:
        for method in _QUERY_METHODS:
            original = getattr(cls, method)
            originals.append((cls, method, original))

            def counted(self: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
                if depth[0] == 0:
                    calls.append(self.name)
                depth[0] += 1
                try:
                    return _original(self, *args, **kw)
                finally:
                    depth[0] -= 1

            setattr(cls, method, counted)
    try:
        yield
    finally:
        for cls, method, original in originals:
            setattr(cls, method, original)


def count_queries(action: Callable[[], T]) -> tuple[T, int]:
    """Return ``action()`` and the number of queries (``find``, ``count_documents``,
    ``distinct``, ``aggregate``) it sent to pymongo or mongomock collections."""
    calls: list[str] = []
    with _counting(calls):
        result = action()
    return result, len(calls)


class Storage(ABC):
    """One backend's storage for one workload."""

    #: Whether reads send queries to a database (whose number the report then shows).
    sends_queries: bool = False

    @abstractmethod
    def catalog(self) -> Any:
        """Return a new databroker catalog over this storage."""

    @abstractmethod
    def writer(self) -> Callable[[str, Any], None]:
        """Return databroker's writer into this storage."""

    @abstractmethod
    def contains(self, uid: str) -> bool:
        """Return whether the run ``uid`` is stored (read without databroker)."""

    @abstractmethod
    def raw_columns(self, uid: str, descriptor_uid: str, keys: tuple[str, ...]) -> Columns:
        """Floor of ``read()``: one array per key of one descriptor's events."""

    @abstractmethod
    def raw_documents(self, uid: str) -> int:
        """Floor of ``documents()``: decode every stored document of a run; return the count."""

    @abstractmethod
    def raw_starts(self, query: dict[str, Any], limit: int = 0) -> list[dict[str, Any]]:
        """Floor of search: the start documents equal to ``query`` (at most ``limit``)."""

    @abstractmethod
    def raw_starts_and_stops(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """Floor of ``summary()``: every run's start and stop."""

    @abstractmethod
    def raw_write(self, docs: Documents) -> None:
        """Floor of writing: store the documents with the storage library alone."""

    @abstractmethod
    def discard(self) -> None:
        """Delete everything stored here."""

    def write(self, docs: Iterable[tuple[str, Any]]) -> None:
        """Store documents for the workloads to read (as databroker's writer stores them)."""
        self.write_with_databroker(docs)

    def write_with_databroker(self, docs: Iterable[tuple[str, Any]]) -> None:
        """Store documents through databroker's writer (what the ``write`` workload times)."""
        writer = self.writer()
        for name, doc in docs:
            writer(name, doc)
        close = getattr(writer, "close", None)
        if close is not None:
            close()


def _matches(start: dict[str, Any], query: dict[str, Any]) -> bool:
    return all(start.get(key) == value for key, value in query.items())


class FileStorage(Storage):
    """Runs stored one per file (``*.msgpack`` or ``*.jsonl``) in one directory."""

    def __init__(self, directory: Path, suffix: str) -> None:
        self.directory = directory
        self.suffix = suffix
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, uid: str) -> Path:
        return self.directory / f"{uid}.{self.suffix}"

    def _records(self, path: Path) -> Any:
        if self.suffix == "msgpack":
            return floors.msgpack_records(path)
        return floors.jsonl_records(path)

    def _first(self, path: Path) -> Any:
        if self.suffix == "msgpack":
            return floors.first_msgpack_record(path)
        return floors.first_jsonl_record(path)

    def _files(self) -> list[Path]:
        return sorted(self.directory.glob(f"*.{self.suffix}"))

    def catalog(self) -> Any:
        return storage(self.suffix, self.directory).catalog()

    def writer(self) -> Callable[[str, Any], None]:
        from databroker._stores.files.writers import JSONLWriter, MsgpackWriter

        return (MsgpackWriter if self.suffix == "msgpack" else JSONLWriter)(self.directory)

    def contains(self, uid: str) -> bool:
        return self._path(uid).exists()

    def raw_columns(self, uid: str, descriptor_uid: str, keys: tuple[str, ...]) -> Columns:
        return floors.columns_from_pages(self._records(self._path(uid)), descriptor_uid, keys)

    def raw_documents(self, uid: str) -> int:
        return sum(1 for _ in self._records(self._path(uid)))

    def raw_starts(self, query: dict[str, Any], limit: int = 0) -> list[dict[str, Any]]:
        files = self._files()[:limit] if limit else self._files()
        starts = (self._first(path)[1] for path in files)
        return [start for start in starts if _matches(start, query)]

    def raw_starts_and_stops(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        pairs = []
        for path in self._files():
            records = list(self._records(path))
            stop = records[-1][1] if records[-1][0] == "stop" else None
            pairs.append((records[0][1], stop))
        return pairs

    def discard(self) -> None:
        shutil.rmtree(self.directory)

    def raw_write(self, docs: Documents) -> None:
        write = floors.write_msgpack if self.suffix == "msgpack" else floors.write_jsonl
        write(self._path(docs[0][1]["uid"]), docs)


class NormalizedStorage(Storage):
    """Two Mongo databases in the normalized layout (one document per bluesky document)."""

    sends_queries = True

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.place = storage("mongo-normalized", ".", client=client, database=name)
        self.mds, self.assets = self.place.databases()

    def discard(self) -> None:
        self.client.drop_database(self.mds.name)
        self.client.drop_database(self.assets.name)

    def catalog(self) -> Any:
        return self.place.catalog()

    def writer(self) -> Callable[[str, Any], None]:
        return self.catalog()._get_serializer()

    def contains(self, uid: str) -> bool:
        return self.mds.run_start.find_one({"uid": uid}) is not None

    def raw_columns(self, uid: str, descriptor_uid: str, keys: tuple[str, ...]) -> Columns:
        return floors.normalized_columns(self.mds, descriptor_uid, keys)

    def raw_documents(self, uid: str) -> int:
        descriptors = list(self.mds.event_descriptor.find({"run_start": uid}))
        uids = [descriptor["uid"] for descriptor in descriptors]
        events = list(self.mds.event.find({"descriptor": {"$in": uids}}))
        starts = list(self.mds.run_start.find({"uid": uid}))
        stops = list(self.mds.run_stop.find({"run_start": uid}))
        return len(starts) + len(descriptors) + len(events) + len(stops)

    def raw_starts(self, query: dict[str, Any], limit: int = 0) -> list[dict[str, Any]]:
        return list(self.mds.run_start.find(query, limit=limit))

    def raw_starts_and_stops(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        stops = {stop["run_start"]: stop for stop in self.mds.run_stop.find()}
        return [(start, stops.get(start["uid"])) for start in self.mds.run_start.find()]

    def raw_write(self, docs: Documents) -> None:
        floors.insert_normalized(self.mds, docs)

    def write(self, docs: Iterable[tuple[str, Any]]) -> None:
        from .mongo_load import load_normalized

        load_normalized(self.mds, self.assets, docs)
        # As suitcase-mongo's serializers and databroker deployments leave a database: with
        # its indexes (a unique uid among them, so that len() is a plain count).
        self.catalog().ensure_indexes()


class EmbeddedStorage(Storage):
    """One Mongo database in the embedded layout (a header per run, events in pages)."""

    sends_queries = True

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.place = storage("mongo-embedded", ".", client=client, database=name)
        (self.db,) = self.place.databases()

    def discard(self) -> None:
        self.client.drop_database(self.db.name)

    def catalog(self) -> Any:
        return self.place.catalog()

    def writer(self) -> Callable[[str, Any], None]:
        return self.catalog()._get_serializer()

    def contains(self, uid: str) -> bool:
        return self.db.header.find_one({"run_id": uid}) is not None

    def raw_columns(self, uid: str, descriptor_uid: str, keys: tuple[str, ...]) -> Columns:
        return floors.embedded_columns(self.db, descriptor_uid, keys)

    def raw_documents(self, uid: str) -> int:
        header = self.db.header.find_one({"run_id": uid})
        uids = [descriptor["uid"] for descriptor in header["descriptors"]]
        pages = list(self.db.event.find({"descriptor": {"$in": uids}}))
        return 2 + len(uids) + len(pages)

    def raw_starts(self, query: dict[str, Any], limit: int = 0) -> list[dict[str, Any]]:
        header_query = {f"start.{key}": value for key, value in query.items()}
        headers = self.db.header.find(header_query, {"start": True}, limit=limit)
        return [header["start"][0] for header in headers]

    def raw_starts_and_stops(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        headers = self.db.header.find({}, {"start": True, "stop": True})
        return [(h["start"][0], (h.get("stop") or [None])[0]) for h in headers]

    def raw_write(self, docs: Documents) -> None:
        floors.insert_embedded(self.db, docs)

    def write(self, docs: Iterable[tuple[str, Any]]) -> None:
        from .mongo_load import load_embedded

        load_embedded(self.db, docs)
        self.catalog().ensure_indexes()  # as a deployment's database has them


class Backend:
    """One backend: makes a storage per workload label and says how big its data may be.

    Parameters
    ----------
    name : str
        One of :data:`BACKEND_NAMES`.
    workdir : Path
        Where file backends put their runs; also names the Mongo databases.
    """

    def __init__(self, name: str, workdir: Path) -> None:
        if name not in BACKEND_NAMES:
            raise ValueError(f"Unknown backend {name!r}; choose from {', '.join(BACKEND_NAMES)}.")
        self.name = name
        self.workdir = workdir
        self._client: Any = None
        self._made: list[str] = []
        self.mongomock = name.startswith("mongo") and not os.environ.get(MONGO_URI_VARIABLE)

    @property
    def note(self) -> str | None:
        """What differs from the nominal sizes, if anything."""
        if not self.mongomock:
            return None
        return (
            f"{self.name} runs on mongomock, where `write wide` is cut to "
            f"{_MONGOMOCK_WRITE_EVENTS:,} events (mongomock answers the writer's per-page `$in` "
            f"lookups by comparing every stored uid with every queried one); set "
            f"{MONGO_URI_VARIABLE} to measure a real server"
        )

    def sized(self, scale: Scale, *, writer: bool = False) -> Scale:
        """Return ``scale`` capped to what can be stored in reasonable time.

        Parameters
        ----------
        scale : Scale
            The nominal sizes.
        writer : bool
            The data goes through databroker's writer (the ``write`` workload), which mongomock
            cannot take at full size; otherwise it is loaded in bulk and never capped.
        """
        if not (writer and self.mongomock):
            return scale
        return dataclasses.replace(
            scale, wide_events=min(scale.wide_events, _MONGOMOCK_WRITE_EVENTS)
        )

    def _mongo_client(self) -> Any:
        if self._client is None:
            uri = os.environ.get(MONGO_URI_VARIABLE)
            if not uri:
                from .mongomock_cursor import install

                install()  # or reading 100,000 events takes minutes, floor and databroker alike
            self._client = mongo_client(uri)
        return self._client

    def storage(self, label: str) -> Storage:
        """Return the storage of workload ``label`` (created empty if new)."""
        if self.name in ("msgpack", "jsonl"):
            return FileStorage(self.workdir / self.name / label, self.name)
        digest = hashlib.sha1(str(self.workdir).encode()).hexdigest()[:8]
        name = f"dbbench_{digest}_{self.name}_{label}"
        self._made.append(name)
        if self.name == "mongo_normalized":
            return NormalizedStorage(self._mongo_client(), name)
        return EmbeddedStorage(self._mongo_client(), name)

    def close(self, drop: bool = True) -> None:
        """Drop the Mongo databases this backend made (``drop``) and close its client."""
        if self._client is None:
            return
        if drop:
            for database in self._client.list_database_names():
                if any(database.startswith(name) for name in self._made):
                    self._client.drop_database(database)
        self._client.close()
        self._client = None


def make_backend(name: str, workdir: Path) -> Backend | str:
    """Return the backend ``name``, or why it cannot run (its driver does not import)."""
    import importlib

    from databroker.errors import ConfigError

    try:
        spec(name).load_driver()
        if name.startswith("mongo") and not os.environ.get(MONGO_URI_VARIABLE):
            importlib.import_module("mongomock")
    except (ImportError, ConfigError) as error:
        return f"skipped {name}: {error}"
    return Backend(name, workdir)
