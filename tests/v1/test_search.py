"""v1 search: db(...) → Results, time bounds, text search, data_key, filters and aliases."""

from __future__ import annotations

import os
from typing import Any

import pytest

from databroker.errors import UnsupportedQuery
from databroker.v1 import Results

from .runs import composed_run, insert_all

# Start times of the composed runs: 2014-02-10 10:00, 11:00, 12:00 US/Eastern.
T10, T11, T12 = 1392044400.0, 1392048000.0, 1392051600.0


@pytest.fixture
def timed(db: Any) -> dict[str, str]:
    """Three composed runs one hour apart, with scan_id 1..3 and a nested sample name."""
    uids = {}
    for scan_id, (label, t) in enumerate([("a", T10), ("b", T11), ("c", T12)], start=1):
        docs = composed_run(
            start_time=t,
            event_times=(t + 10,),
            scan_id=scan_id,
            plan_name="count" if label != "b" else "scan",
            sample={"name": "Si" if label == "a" else "Ge"},
            purpose=f"calibration run {label}",
        )
        insert_all(db, docs)
        uids[label] = docs[0][1]["uid"]
    return uids


def _labels(results: Any, uids: dict[str, str]) -> list[str]:
    by_uid = {uid: label for label, uid in uids.items()}
    return [by_uid[h.uid] for h in results]


def test_keyword_query(db: Any, timed: dict[str, str]) -> None:
    """[compat] Keyword arguments are a Mongo query on start documents; results newest first."""
    results = db(plan_name="count")
    assert isinstance(results, Results)
    assert _labels(results, timed) == ["c", "a"]


def test_operator_and_dotted_queries(db: Any, timed: dict[str, str]) -> None:
    """[compat] Mongo operators and dotted keys work: scan_id={'$gt': 1}, **{'sample.name': ..}."""
    assert _labels(db(scan_id={"$gt": 1}), timed) == ["c", "b"]
    assert _labels(db(**{"sample.name": "Si"}), timed) == ["a"]


def test_results_reiterable_and_live(db: Any, timed: dict[str, str]) -> None:
    """[compat] Results can be iterated again, and each iteration runs the search again."""
    results = db(plan_name="scan")
    assert _labels(results, timed) == ["b"]
    assert _labels(results, timed) == ["b"]
    docs = composed_run(start_time=T12 + 60, plan_name="scan")
    insert_all(db, docs)
    assert [h.uid for h in results] == [docs[0][1]["uid"], timed["b"]]


def test_since_until_inclusive(db: Any, timed: dict[str, str], monkeypatch: Any) -> None:
    """[compat] since/until bound the start time, until inclusive, in the local zone."""
    monkeypatch.setattr("databroker._query.time.local_zone_name", lambda: "UTC")
    assert _labels(db(since=T11, until=T12), timed) == ["c", "b"]
    assert _labels(db(since=T11 + 1), timed) == ["c"]
    assert _labels(db(until="2014-02-10 15:00"), timed) == ["a"]  # 15:00 UTC == T10


def test_since_until_local_zone(db: Any, timed: dict[str, str], monkeypatch: Any) -> None:
    """[compat] Naive since/until strings are read in the local zone when no config sets one."""
    monkeypatch.setattr("databroker._query.time.local_zone_name", lambda: "US/Eastern")
    assert _labels(db(since="2014-02-10 11:00"), timed) == ["c", "b"]


def test_deprecated_time_names(db: Any, timed: dict[str, str]) -> None:
    """[compat] start_time/stop_time warn and still work; mixing with since/until → TypeError."""
    with pytest.warns(UserWarning, match="start_time"):
        results = db(start_time=T11)
    assert _labels(results, timed) == ["c", "b"]
    with pytest.raises(TypeError):
        db(start_time=T11, since=T10)
    with pytest.raises(TypeError):
        db(stop_time=T11, until=T10)


def test_text_search(db: Any, timed: dict[str, str], backend: str) -> None:
    """[compat] text_search='words' adds a $text query on start documents."""
    results = db("calibration b")
    assert results.query == {"$text": {"$search": "calibration b"}}
    if backend.startswith("mongo") and not os.environ.get("DATABROKER_TEST_MONGO_URI"):
        with pytest.raises(UnsupportedQuery, match="mongomock"):
            list(results)
        return
    assert _labels(results, timed) == ["c", "b", "a"]
    assert _labels(db(text_search="Ge", plan_name="count"), timed) == ["c"]


def test_text_search_unsupported_backend(db: Any, timed: dict[str, str], monkeypatch: Any) -> None:
    """[compat] A backend without text search raises UnsupportedQuery (a NotImplementedError)."""

    def refuse(query: Any) -> Any:
        raise UnsupportedQuery("no $text here")

    monkeypatch.setattr(db.v2, "search", refuse)
    with pytest.raises(NotImplementedError):
        list(db("anything"))


def test_data_key(db: Any, recorded: dict[str, str]) -> None:
    """[compat] data_key='...' keeps only runs with a descriptor that has that data key."""
    assert [h.uid for h in db(data_key="img")] == [recorded["internal"], recorded["external"]]
    assert [h.uid for h in db(data_key="det1")] == [recorded["scan"]]
    assert [h.uid for h in db(data_key="img", sample="Ge")] == [recorded["external"]]


def test_filters(db: Any, timed: dict[str, str]) -> None:
    """[compat] add_filter applies to every search (with time handling); clear_filters empties."""
    db.add_filter(since=T11)
    assert db.filters == {"since": T11}
    assert _labels(db(), timed) == ["c", "b"]
    assert _labels(db(plan_name="count"), timed) == ["c"]
    assert db.filters == {"since": T11}  # the time handling worked on a copy
    db.clear_filters()
    assert db.filters == {}
    assert _labels(db(), timed) == ["c", "b", "a"]


def test_caller_dicts_not_modified(db: Any, timed: dict[str, str]) -> None:
    """[compat] Searching never modifies the caller's dicts."""
    condition = {"$gt": 1}
    query = {"scan_id": condition, "since": T10}
    list(db(**query))
    assert query == {"scan_id": {"$gt": 1}, "since": T10}
    assert condition == {"$gt": 1}


def test_alias(db: Any, timed: dict[str, str]) -> None:
    """[compat] alias(key, **query) makes db.key return db(**query)."""
    db.alias("scans", plan_name="scan")
    assert _labels(db.scans, timed) == ["b"]
    assert "scans" in db.aliases


def test_dynamic_alias(db: Any, timed: dict[str, str]) -> None:
    """[compat] dynamic_alias(key, func): db.key is db(**func()), func called each time."""
    calls = []

    def query() -> dict[str, Any]:
        calls.append(1)
        return {"scan_id": len(calls)}

    db.dynamic_alias("moving", query)
    assert _labels(db.moving, timed) == ["a"]
    assert _labels(db.moving, timed) == ["b"]


def test_alias_errors(db: Any) -> None:
    """[compat] Alias named like an attribute → ValueError; unknown attribute → AttributeError."""
    with pytest.raises(ValueError):
        db.alias("insert", plan_name="scan")
    with pytest.raises(ValueError):
        db.alias("filters", plan_name="scan")
    with pytest.raises(ValueError):
        db.dynamic_alias("get_table", dict)
    with pytest.raises(AttributeError):
        db.no_such_alias


def test_alias_may_be_redefined(db: Any, timed: dict[str, str]) -> None:
    """[compat] alias/dynamic_alias may replace an alias of the same name (1.x scripts re-run)."""
    db.alias("mine", plan_name="count")
    db.alias("mine", plan_name="scan")
    assert _labels(db.mine, timed) == ["b"]
    db.dynamic_alias("mine", lambda: {"plan_name": "no-such-plan"})
    assert _labels(db.mine, timed) == []
    db.alias("mine", plan_name="scan")
    assert _labels(db.mine, timed) == ["b"]


def test_results_are_lazy(db: Any, timed: dict[str, str], monkeypatch: Any) -> None:
    """[compat] Iterating Results makes Headers lazily, one at a time, as they are asked for."""
    from databroker.v1 import results as results_module

    made: list[str] = []
    original = results_module.Header

    def counting(run: Any, broker: Any) -> Any:
        made.append(run.metadata["start"]["uid"])
        return original(run, broker)

    monkeypatch.setattr(results_module, "Header", counting)
    first = next(iter(db()))
    assert first.uid == timed["c"]
    assert made == [timed["c"]]


@pytest.fixture
def mongo_finds(backend: str, monkeypatch: Any) -> list[str]:
    """The collection names of every Mongo ``find`` from now on (Mongo backends only)."""
    if not backend.startswith("mongo"):
        pytest.skip("query batching is a property of the Mongo catalogs")
    import mongomock
    import pymongo.collection

    calls: list[str] = []
    for cls in (mongomock.collection.Collection, pymongo.collection.Collection):
        original = cls.find

        def find(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            calls.append(self.name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "find", find)
    return calls


def test_results_batched_without_refetch(db: Any, mongo_finds: list[str]) -> None:
    """[fix] Reading start and stop of each search result costs no per-run queries (batched)."""
    for i in range(30):
        insert_all(db, composed_run(start_time=T10 + i, event_times=(T10 + i + 0.5,), batch=1))
    mongo_finds.clear()
    seen = [(h.start["batch"], h.stop["exit_status"]) for h in db(batch=1)]
    assert seen == [(1, "success")] * 30
    assert len(mongo_finds) <= 2, mongo_finds  # the start cursor (and one $in for stops)
    assert not {"event_descriptor", "event"} & set(mongo_finds)
