"""Search, lookup and listing on both Mongo layouts."""

from __future__ import annotations

from typing import Any

import pytest

from databroker._query.matcher import compile_query
from databroker._stores.mongo.common import rewrite_for_embedded
from databroker.errors import (
    AmbiguousUidPrefix,
    InvalidQuery,
    RunIndexError,
    RunNotFound,
    UnsupportedQuery,
)
from databroker.queries import TimeRange

from .conftest import write_run

RUNS = [
    (
        "abc-0001",
        100.0,
        {
            "scan_id": 1,
            "plan_name": "count",
            "sample": "Si",
            "temp": 10,
            "detectors": ["det", "img"],
            "info": {"operator": "ann"},
        },
    ),
    (
        "xyz-abc-2",
        200.0,
        {
            "scan_id": 2,
            "plan_name": "scan",
            "sample": "Ge",
            "temp": 20,
            "detectors": ["det"],
            "info": {"operator": "bob"},
        },
    ),
    (
        "a.c-0003",
        300.0,
        {"scan_id": 1, "plan_name": "scan", "sample": "Si", "temp": 30, "detectors": ["img"]},
    ),
]


@pytest.fixture
def cat(layout: Any) -> Any:
    """A catalog holding RUNS, written through our writer."""
    catalog = layout.catalog()
    serializer = catalog._get_serializer()
    for uid, time, metadata in RUNS:
        write_run(serializer, uid, time, **metadata)
    return catalog


def _expected(query: dict) -> list[str]:
    """The uids the in-process matcher selects, newest first."""
    from event_model import compose_run

    match = compile_query(query)
    starts = [compose_run(uid=u, time=t, metadata=m).start_doc for u, t, m in RUNS]
    return [s["uid"] for s in sorted(starts, key=lambda s: -s["time"]) if match(s)]


QUERIES = [
    {"plan_name": "scan"},
    {"temp": {"$gt": 15}},
    {"sample": {"$in": ["Ge", "Cu"]}},
    {"info.operator": "ann"},
    {"info": {"$exists": False}},
    {"detectors": "img"},
    {"detectors": {"$size": 1}},
    {"detectors": {"$elemMatch": {"$eq": "det"}}},
    {"$or": [{"sample": "Ge"}, {"temp": {"$lt": 15}}]},
    {"$and": [{"sample": "Si"}, {"plan_name": "scan"}]},
    {"$nor": [{"sample": "Si"}]},
    {"temp": {"$not": {"$gt": 15}}},
    {"plan_name": {"$regex": "^sc"}},
]


@pytest.mark.parametrize("query", QUERIES, ids=[repr(q) for q in QUERIES])
def test_search_operators(cat: Any, query: dict) -> None:
    """[fix] Operators (also inside $and/$or/$nor/$not/$elemMatch) match like the matcher."""
    assert list(cat.search(query)) == _expected(query)


def test_search_hand_checked(cat: Any) -> None:
    """[compat] A nested search combines with the parent query."""
    result = cat.search({"sample": "Si"}).search({"temp": {"$gt": 15}})
    assert list(result) == ["a.c-0003"]
    assert len(result) == 1
    assert result.name == "search results"


def test_search_query_object(cat: Any) -> None:
    """[compat] databroker.queries objects are accepted as queries."""
    assert list(cat.search(TimeRange(since=150.0, until=250.0))) == ["xyz-abc-2"]


def test_embedded_rewrite() -> None:
    """[fix] The embedded rewrite prefixes fields inside logical operators, not operators."""
    query = {
        "$text": {"$search": "Si"},
        "a": 1,
        "$or": [{"b.c": {"$not": {"$gt": 1}}}, {"$and": [{"d": {"$elemMatch": {"e": 2}}}]}],
    }
    assert rewrite_for_embedded(query) == {
        "$text": {"$search": "Si"},
        "start.a": 1,
        "$or": [
            {"start.b.c": {"$not": {"$gt": 1}}},
            {"$and": [{"start.d": {"$elemMatch": {"e": 2}}}]},
        ],
    }


def test_text_search(cat: Any, server: str) -> None:
    """[fix] $text needs the text index: UnsupportedQuery naming ensure_indexes(), then works."""
    with pytest.raises(UnsupportedQuery) as info:
        list(cat.search("Ge"))
    if server == "mongomock":  # mongomock does not implement $text at all
        return
    assert "ensure_indexes()" in str(info.value)
    cat.ensure_indexes()
    assert list(cat.search("Ge")) == ["xyz-abc-2"]


def test_malformed_query(cat: Any) -> None:
    """[compat] A malformed query raises InvalidQuery."""
    with pytest.raises(InvalidQuery):
        list(cat.search({"$and": 5}))
    with pytest.raises(InvalidQuery):
        list(cat.search({"temp": {"$bogus": 1}}))
    with pytest.raises(InvalidQuery):
        cat.search(42)


def test_uid_prefix_is_anchored(cat: Any) -> None:
    """[fix] A uid prefix matches at the start only and literally (no regex)."""
    assert cat["abc"].metadata["start"]["uid"] == "abc-0001"
    assert cat["xyz"].metadata["start"]["uid"] == "xyz-abc-2"
    assert cat["a.c"].metadata["start"]["uid"] == "a.c-0003"
    with pytest.raises(RunNotFound):
        cat["bc-"]  # in the middle of 'abc-0001' and 'xyz-abc-2'
    with pytest.raises(RunNotFound):
        cat["a.b"]
    with pytest.raises(AmbiguousUidPrefix):
        cat["a"]
    assert "abc" in cat
    assert "bc-" not in cat


def test_exact_uid_respects_query(cat: Any) -> None:
    """[fix] An exact uid is found only if it matches the catalog's query."""
    assert cat.search({"sample": "Si"})["abc-0001"].metadata["start"]["temp"] == 10
    with pytest.raises(RunNotFound):
        cat.search({"sample": "Ge"})["abc-0001"]


def test_recency_and_scan_id(cat: Any) -> None:
    """[compat] cat[-N] by start time, cat[scan_id] newest with that scan_id, len."""
    assert cat[-1].metadata["start"]["uid"] == "a.c-0003"
    assert cat[-3].metadata["start"]["uid"] == "abc-0001"
    with pytest.raises(RunIndexError, match=r"Catalog only contains 3 runs\."):
        cat[-4]
    assert cat[1].metadata["start"]["uid"] == "a.c-0003"
    assert cat["2"].metadata["start"]["uid"] == "xyz-abc-2"
    with pytest.raises(RunNotFound):
        cat[7]
    assert len(cat) == 3
    assert list(cat) == ["a.c-0003", "xyz-abc-2", "abc-0001"]


def test_new_run_visible_at_once(cat: Any, layout: Any) -> None:
    """[compat] Mongo catalogs ask the server: a run written later is the new cat[-1]."""
    assert cat[-1].metadata["start"]["uid"] == "a.c-0003"
    write_run(layout.catalog()._get_serializer(), "new-run", 400.0, scan_id=9)
    assert cat[-1].metadata["start"]["uid"] == "new-run"
    assert len(cat) == 4


def test_summary(cat: Any, find_counter: Any) -> None:
    """[new] summary() gives one row per run with start and stop fields, in two queries."""
    table = cat.summary(["start.scan_id", "start.info.operator", "stop.exit_status"])
    assert list(table.index) == ["a.c-0003", "xyz-abc-2", "abc-0001"]
    assert list(table["start.scan_id"]) == [1, 2, 1]
    assert list(table["stop.exit_status"]) == ["success"] * 3
    assert table["start.info.operator"].tolist()[1:] == ["bob", "ann"]
    assert len(find_counter.calls) <= 2
    assert list(cat.summary(limit=1).index) == ["a.c-0003"]


def test_find_kwargs(layout: Any, cat: Any) -> None:
    """[compat] find_kwargs and search(**kwargs) are run_start.find() options (normalized)."""
    if layout.kind == "embedded":
        with pytest.raises(TypeError):
            cat.search({}, limit=1)
        return
    limited = layout.catalog(find_kwargs={"limit": 2})
    assert list(limited) == ["a.c-0003", "xyz-abc-2"]
    assert list(cat.search({"sample": "Si"}, limit=1)) == ["a.c-0003"]
    assert list(cat) == ["a.c-0003", "xyz-abc-2", "abc-0001"]  # the parent is unchanged
    bad = cat.search({}, no_such_option=1)
    with pytest.raises(TypeError, match="no_such_option"):
        list(bad)
