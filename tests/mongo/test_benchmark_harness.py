"""The benchmark harness's Mongo helpers: the bulk loader stores exactly what databroker's
writers store, and the faster mongomock cursor returns what mongomock's own returns."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ``benchmarks`` package (it lives next to ``src``, not inside it)."""
    monkeypatch.syspath_prepend(str(ROOT))
    import benchmarks.data
    import benchmarks.mongo_load
    import benchmarks.mongomock_cursor

    return benchmarks


def _documents(bench: Any, tmp_path: Path) -> list[tuple[str, Any]]:
    """A small wide run, a few many-runs and an image run (resources, datum), in order."""
    data = bench.data
    scale = dataclasses.replace(data.SMALL, wide_events=25, page_size=10, many_runs=3, frames=4)
    many = itertools.chain.from_iterable(data.many_runs(scale).runs)
    image = data.image_run(tmp_path, scale)
    return [*data.wide_run(scale).docs, *many, *image.docs]


def _contents(database: Any) -> dict[str, list[str]]:
    """Every collection's documents without ``_id`` as JSON with sorted keys, sorted."""
    return {
        name: sorted(
            json.dumps({k: v for k, v in doc.items() if k != "_id"}, sort_keys=True)
            for doc in database[name].find()
        )
        for name in sorted(database.list_collection_names())
    }


def test_normalized_bulk_load_equals_writer(
    normalized: Any, make_db: Any, bench: Any, tmp_path: Path
) -> None:
    """[new] Bulk-loaded benchmark data equals what the normalized writer stores."""
    docs = _documents(bench, tmp_path)
    writer = normalized.catalog()._get_serializer()
    for name, doc in docs:
        writer(name, doc)
    mds, assets = make_db(), make_db()
    bench.mongo_load.load_normalized(mds, assets, docs)
    assert _contents(mds) == _contents(normalized.databases[0])
    assert _contents(assets) == _contents(normalized.databases[1])


@pytest.mark.parametrize("page_bytes", [None, 3000])
def test_embedded_bulk_load_equals_writer(
    embedded: Any,
    make_db: Any,
    bench: Any,
    tmp_path: Path,
    page_bytes: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """[new] Bulk-loaded benchmark data equals what the embedded writer stores, pages too."""
    from databroker._stores.mongo.embedded_writer import EmbeddedWriter

    if page_bytes is not None:  # small pages, so that rows spill into several
        monkeypatch.setattr(bench.mongo_load, "PAGE_BYTES", page_bytes)
    docs = _documents(bench, tmp_path)
    writer = EmbeddedWriter(embedded.databases[0], page_bytes=page_bytes or 5_000_000)
    for name, doc in docs:
        writer(name, doc)
    database = make_db()
    bench.mongo_load.load_embedded(database, docs)
    stored = _contents(database)
    assert stored == _contents(embedded.databases[0])
    if page_bytes is not None:
        assert len(stored["event"]) > 3


def test_bulk_loader_refuses_other_documents(make_db: Any, bench: Any) -> None:
    """[new] The bulk loader names the documents it takes when given another kind."""
    with pytest.raises(ValueError, match="'event'"):
        bench.mongo_load.load_normalized(make_db(), make_db(), [("event", {})])


def test_faster_mongomock_cursor_returns_the_same(bench: Any, monkeypatch: pytest.MonkeyPatch):
    """[new] The benchmarks' mongomock cursor gives what mongomock's gives, skip/limit too."""
    import mongomock
    from mongomock.collection import Cursor

    collection = mongomock.MongoClient().db.things
    collection.insert_many([{"n": n % 7, "i": n} for n in range(30)])
    windows = [(0, 0), (0, 5), (4, 0), (4, 10), (28, 5), (40, 0), (3, -2)]

    def results() -> list[list[int]]:
        found = []
        for skip, limit in windows:
            cursor = collection.find({"n": {"$lt": 5}}, sort=[("n", 1)], skip=skip, limit=limit)
            found.append([doc["i"] for doc in cursor])
        found.append([doc["i"] for doc in collection.find({"n": 99})])
        return found

    expected = results()
    for name in ("__next__", "next"):  # restored after the test
        monkeypatch.setattr(Cursor, name, getattr(Cursor, name))
    bench.mongomock_cursor.install()
    assert Cursor.__next__.__module__ == "benchmarks.mongomock_cursor"
    assert results() == expected
    assert expected[1] == expected[0][:5] and expected[5] == []
