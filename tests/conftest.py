"""Shared fixtures: one catalog fixture parametrized over every backend, and recorded runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from databroker._stores.registry import names
from databroker.testing.backends import MONGO_URI_VARIABLE, mongo_client, storage

#: The live buffer needs a Redis server: its suite is tests/live/.
BACKENDS = [name for name in names() if name != "redis"]
#: A MongoDB server to run the suite against as well as mongomock (each test gets and drops
#: its own databases).
MONGO_URI = os.environ.get(MONGO_URI_VARIABLE)


def _make_catalog(backend: str, directory: Path) -> Any:
    """An empty catalog of ``backend`` in ``directory`` (Mongo: new databases, dropped by
    the catalog's ``_test_cleanup``)."""
    client = mongo_client(MONGO_URI) if backend.startswith("mongo") else None
    place = storage(backend, directory, client=client)
    catalog = place.catalog()
    if client is not None:
        catalog._test_cleanup = place.drop
    return catalog


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    return request.param


@pytest.fixture
def catalog(backend: str, tmp_path: Path) -> Iterator[Any]:
    """An empty, writable catalog of the backend under test."""
    directory = tmp_path / "catalog"
    directory.mkdir()
    cat = _make_catalog(backend, directory)
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
