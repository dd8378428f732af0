"""Fixtures for the MongoDB backends: one fresh database per test, on mongomock and, when
``DATABROKER_TEST_MONGO_URI`` is set, on that server too (databases dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import mongomock
import pytest

from databroker._stores.registry import backend
from databroker.testing.backends import MONGO_URI_VARIABLE, mongo_client

SERVER_URI = os.environ.get(MONGO_URI_VARIABLE)
SERVERS = ["mongomock"] + (["server"] if SERVER_URI else [])
LAYOUTS = ["normalized", "embedded"]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> str:
    """'mongomock' or 'server' (a real MongoDB from DATABROKER_TEST_MONGO_URI)."""
    return request.param


@pytest.fixture
def make_db(server: str) -> Iterator[Callable[[], Any]]:
    """A factory of new, empty databases on the server under test."""
    client = mongo_client(SERVER_URI if server == "server" else None)
    made: list[str] = []

    def factory() -> Any:
        name = f"databroker_test_{uuid.uuid4().hex[:12]}"
        made.append(name)
        return client[name]

    yield factory
    for name in made:
        client.drop_database(name)
    client.close()


class Layout:
    """The databases of one Mongo layout, catalogs over them, and suitcase-mongo writers."""

    def __init__(self, kind: str, make_db: Callable[[], Any]) -> None:
        self.kind = kind
        self.databases = [make_db()] if kind == "embedded" else [make_db(), make_db()]

    def catalog(self, **kwargs: Any) -> Any:
        """A new catalog (driver class of this layout) over the databases."""
        return backend(f"mongo-{self.kind}").load_driver()(*self.databases, **kwargs)

    def suitcase_callback(self) -> Callable[[str, dict], None]:
        """A callback writing through suitcase-mongo (a new serializer per run)."""
        import suitcase.mongo_embedded
        import suitcase.mongo_normalized

        current: list[Any] = []

        def callback(name: str, doc: dict) -> None:
            if name == "start":
                if self.kind == "embedded":
                    current[:] = [suitcase.mongo_embedded.Serializer(self.databases[0])]
                    if isinstance(self.databases[0], mongomock.Database):
                        # mongomock cannot enforce suitcase's sparse unique indexes on the
                        # array fields of pages (it tries to hash the lists): drop them.
                        self.databases[0].event.drop_indexes()
                        self.databases[0].datum.drop_indexes()
                else:
                    current[:] = [suitcase.mongo_normalized.Serializer(*self.databases)]
            current[0](name, doc)

        return callback


@pytest.fixture(params=LAYOUTS)
def layout(request: pytest.FixtureRequest, make_db: Callable[[], Any]) -> Layout:
    """Empty databases of one Mongo layout."""
    return Layout(request.param, make_db)


@pytest.fixture
def normalized(make_db: Callable[[], Any]) -> Layout:
    """Empty databases of the normalized layout."""
    return Layout("normalized", make_db)


@pytest.fixture
def embedded(make_db: Callable[[], Any]) -> Layout:
    """Empty databases of the embedded layout."""
    return Layout("embedded", make_db)


@pytest.fixture
def mongomock_bulk_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let suitcase-mongo's embedded serializer run on mongomock.

    suitcase calls ``bulk_write([UpdateOne(...)])``; mongomock 4.3 cannot take pymongo 4.20's
    UpdateOne (it passes a ``sort`` argument mongomock does not know), so run each update
    with ``update_one``, which is what the bulk write means.
    """

    def bulk_write(self: Any, requests: list[Any], ordered: bool = True, **kwargs: Any) -> None:
        for request in requests:
            self.update_one(request._filter, request._doc, upsert=request._upsert)

    monkeypatch.setattr(mongomock.collection.Collection, "bulk_write", bulk_write)


@pytest.fixture
def RE() -> Any:
    """A bluesky RunEngine (subscribe writers per test)."""
    from bluesky import RunEngine

    return RunEngine({}, call_returns_result=False)


def write_run(
    serializer: Callable[[str, dict], None],
    uid: str,
    time: float,
    *,
    finished: bool = True,
    **metadata: Any,
):
    """Write a small run (start, descriptor, two events, and a stop when ``finished``) with
    chosen uid/time; return its compose_run bundle."""
    from event_model import compose_run

    bundle = compose_run(uid=uid, time=time, metadata=metadata)
    serializer("start", bundle.start_doc)
    desc = bundle.compose_descriptor(
        name="primary",
        data_keys={"x": {"dtype": "number", "shape": [], "source": "sim"}},
        time=time,
    )
    serializer("descriptor", desc.descriptor_doc)
    for i in (1, 2):
        event = desc.compose_event(
            data={"x": float(i)}, timestamps={"x": time + i}, time=time + i, seq_num=i
        )
        serializer("event", event)
    if finished:
        serializer("stop", bundle.compose_stop(time=time + 10))
    return bundle


class FindCounter:
    """Count ``find`` calls per collection name (mongomock and pymongo collections)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import pymongo.collection

        self.calls: list[str] = []
        for cls in (mongomock.collection.Collection, pymongo.collection.Collection):
            original = cls.find

            def find(self_: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                self.calls.append(self_.name)
                return _original(self_, *args, **kwargs)

            monkeypatch.setattr(cls, "find", find)


@pytest.fixture
def find_counter(monkeypatch: pytest.MonkeyPatch) -> FindCounter:
    """Counts ``find`` calls made from now on."""
    return FindCounter(monkeypatch)
