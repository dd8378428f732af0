"""Shared fixtures: one catalog fixture parametrized over every backend, and recorded runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

BACKENDS = ["memory", "jsonl", "msgpack", "mongo-normalized", "mongo-embedded"]
#: A MongoDB server to run the suite against as well as mongomock (each test gets and drops
#: its own databases).
MONGO_URI = os.environ.get("DATABROKER_TEST_MONGO_URI")


def _memory(tmp_path: Path) -> Any:
    from databroker.in_memory import BlueskyInMemoryCatalog

    return BlueskyInMemoryCatalog()


def _jsonl(tmp_path: Path) -> Any:
    from databroker._drivers.jsonl import BlueskyJSONLCatalog

    return BlueskyJSONLCatalog(str(tmp_path / "*.jsonl"))


def _msgpack(tmp_path: Path) -> Any:
    from databroker._drivers.msgpack import BlueskyMsgpackCatalog

    return BlueskyMsgpackCatalog(str(tmp_path / "*.msgpack"))


def _mongo_client() -> Any:
    if MONGO_URI:
        import pymongo

        return pymongo.MongoClient(MONGO_URI, serverSelectionTimeoutMS=5000)
    import mongomock

    return mongomock.MongoClient()


def _mongo_normalized(tmp_path: Path) -> Any:
    from databroker._drivers.mongo_normalized import BlueskyMongoCatalog

    client = _mongo_client()
    prefix = f"databroker_test_{uuid.uuid4().hex[:12]}"
    catalog = BlueskyMongoCatalog(client[f"{prefix}_mds"], client[f"{prefix}_assets"])
    catalog._test_cleanup = lambda: [
        client.drop_database(f"{prefix}_{name}") for name in ("mds", "assets")
    ]
    return catalog


def _mongo_embedded(tmp_path: Path) -> Any:
    from databroker._drivers.mongo_embedded import BlueskyMongoCatalog

    client = _mongo_client()
    name = f"databroker_test_{uuid.uuid4().hex[:12]}"
    catalog = BlueskyMongoCatalog(client[name])
    catalog._test_cleanup = lambda: client.drop_database(name)
    return catalog


_FACTORIES: dict[str, Callable[[Path], Any]] = {
    "memory": _memory,
    "jsonl": _jsonl,
    "msgpack": _msgpack,
    "mongo-normalized": _mongo_normalized,
    "mongo-embedded": _mongo_embedded,
}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    return request.param


@pytest.fixture
def catalog(backend: str, tmp_path: Path) -> Iterator[Any]:
    """An empty, writable catalog of the backend under test."""
    directory = tmp_path / "catalog"
    directory.mkdir()
    cat = _FACTORIES[backend](directory)
    yield cat
    cleanup = getattr(cat, "_test_cleanup", None)
    if cleanup is not None:
        cleanup()
    cat.close()


class Recorder:
    """Record documents into a catalog through its writer, remembering what was emitted."""

    def __init__(self, catalog: Any) -> None:
        self.catalog = catalog
        self.serializer = catalog._get_serializer()
        self.emitted: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._current: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, doc: dict[str, Any]) -> None:
        import copy

        if name == "start":
            self._current = self.emitted.setdefault(doc["uid"], [])
        self._current.append((name, copy.deepcopy(doc)))
        self.serializer(name, doc)
        if name == "stop":
            self.catalog.force_reload()


@pytest.fixture
def recorder(catalog: Any) -> Recorder:
    """A :class:`Recorder` writing into the backend under test."""
    return Recorder(catalog)


@pytest.fixture
def RE(recorder: Recorder) -> Any:
    """A bluesky RunEngine whose documents go into the backend under test."""
    from bluesky import RunEngine

    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(recorder)
    return engine


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Keep every test away from the user's configuration directories."""
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", str(config))
    monkeypatch.setenv("INTAKE_CONF_DIR", str(config / "intake"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config / "xdg"))
    os.environ.setdefault("TZ", "UTC")
