"""get_next_run / get_last_run: every run once, none missed, from several writers."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from databroker.errors import DatabrokerError, InvalidOption, NoRunAvailable

from .conftest import Writers


def _consume(catalog: Any, count: int, ready: threading.Event, out: list[str]) -> None:
    """Take ``count`` runs with get_next_run, passing each token to the next call."""
    store = catalog._store
    original = store.arrivals

    def arrivals(since: Any) -> Any:
        answer = original(since)
        if since is None:
            ready.set()  # "now" is marked: writers may start
        return answer

    store.arrivals = arrivals
    token = None
    for _ in range(count):
        token, run = catalog.get_next_run(token, timeout=60)
        out.append(run.uid)


def _consumer(catalog: Any, count: int) -> tuple[threading.Thread, list[str]]:
    ready = threading.Event()
    out: list[str] = []
    thread = threading.Thread(target=_consume, args=(catalog, count, ready, out), daemon=True)
    thread.start()
    assert ready.wait(30)
    return thread, out


def test_two_writer_processes_no_run_missed_or_twice(
    writers: Writers, msgpack_catalog: Any, run_dir: Path
) -> None:
    """[new] Runs started as fast as two RunEngine processes can: get_next_run with tokens
    gives each exactly once."""
    thread, got = _consumer(msgpack_catalog, 200)
    writers.start("--runs", "100", "--events", "1", "--tag", "a")
    writers.start("--runs", "100", "--events", "1", "--tag", "b")
    writers.wait(timeout=120)
    thread.join(120)
    written = {path.stem for path in run_dir.glob("*.msgpack")}
    assert len(written) == 200
    assert Counter(got).most_common(1)[0][1] == 1
    assert set(got) == written


def test_search_results_wait_for_matching_runs_only(writers: Writers, msgpack_catalog: Any):
    """[new] get_next_run of search results gives only the runs matching the query."""
    tagged = msgpack_catalog.search({"tag": "b"})
    thread, got = _consumer(tagged, 5)
    writers.start("--runs", "5", "--events", "1", "--tag", "a")
    writers.start("--runs", "5", "--events", "1", "--tag", "b")
    writers.wait(timeout=120)
    thread.join(60)
    assert len(got) == 5
    assert {msgpack_catalog[uid].metadata["start"]["tag"] for uid in got} == {"b"}


def _run_engine_thread(catalog: Any, runs: int, tag: str) -> threading.Thread:
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import det1, det2

    det = det1 if tag == "a" else det2  # a device is staged by one RunEngine at a time

    def work() -> None:
        engine = RunEngine({}, call_returns_result=False, context_managers=[])
        engine.subscribe(catalog.serializer())
        for index in range(runs):
            engine(count([det], num=1), tag=tag, index=index)

    return threading.Thread(target=work, daemon=True)


@pytest.mark.parametrize("backend", ["memory", "mongo-normalized", "mongo-embedded"])
def test_run_engine_threads_every_run_once(backend: str, tmp_path: Path) -> None:
    """[new] Two RunEngines writing in threads (mongomock is per process): get_next_run
    gives every run once, and search results only theirs."""
    from databroker.testing.backends import mongo_client, storage

    client = mongo_client() if backend.startswith("mongo") else None
    catalog = storage(backend, tmp_path, client=client).catalog()
    if hasattr(catalog._store, "poll_interval"):
        catalog._store.poll_interval = 0.01
    consumer, got = _consumer(catalog, 40)
    only_b, got_b = _consumer(catalog.search({"tag": "b"}), 20)
    engines = [_run_engine_thread(catalog, 20, tag) for tag in "ab"]
    for engine in engines:
        engine.start()
    for thread in [*engines, consumer, only_b]:
        thread.join(120)
    assert len(got) == 40 and len(set(got)) == 40
    assert set(got) == set(catalog)
    assert len(set(got_b)) == 20
    assert {catalog[uid].metadata["start"]["tag"] for uid in got_b} == {"b"}
    assert catalog.get_last_run().uid == next(iter(catalog))


def test_mongo_arrivals_late_lower_object_id_not_missed() -> None:
    """[new] A start inserted after another but with a smaller ObjectId (another writer
    process, same second) still arrives, once."""
    import datetime

    import mongomock
    from bson import ObjectId

    from databroker._stores.mongo.arrivals import MongoArrivals

    collection = mongomock.MongoClient().db.run_start
    second = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    high = ObjectId(ObjectId.from_datetime(second).binary[:4] + b"\xff" * 8)
    low = ObjectId(ObjectId.from_datetime(second).binary[:4] + b"\x01" * 8)
    arrivals = MongoArrivals(collection, lambda doc: doc.get("uid"), {}, {"uid": True})
    token, uids = arrivals.arrivals(None)
    collection.insert_one({"_id": high, "uid": "A"})
    token, uids = arrivals.arrivals(token)
    assert uids == ["A"]
    collection.insert_one({"_id": low, "uid": "B"})
    token, uids = arrivals.arrivals(token)
    assert uids == ["B"]
    assert arrivals.arrivals(token)[1] == []


def test_no_run_and_bad_tokens() -> None:
    """[new] Nothing arrived: NoRunAvailable (TimeoutError, LookupError); a token that is
    not this catalog's: InvalidOption."""
    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog, other = BlueskyInMemoryCatalog(), BlueskyInMemoryCatalog()
    with pytest.raises(NoRunAvailable) as raised:
        catalog.get_next_run(block=False)
    assert isinstance(raised.value, TimeoutError) and isinstance(raised.value, LookupError)
    assert isinstance(raised.value, DatabrokerError)
    with pytest.raises(NoRunAvailable):
        catalog.get_next_run(timeout=0.05)
    with pytest.raises(NoRunAvailable):
        catalog.get_last_run()
    with pytest.raises(InvalidOption):
        catalog.get_next_run("not a token", block=False)
    from databroker._runs.arrivals import RunArrivals

    foreign = RunArrivals(other._store, {}, "other")
    token = foreign._store.arrivals(None)[0]
    from databroker._runs.arrivals import _encode

    with pytest.raises(InvalidOption):
        catalog.get_next_run(_encode(token, []), block=False)
