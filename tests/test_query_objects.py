"""Query objects by key (databroker 2 / Tiled spelling) on every backend."""

from __future__ import annotations

from typing import Any

import event_model
import pytest

from databroker.errors import InvalidQuery
from databroker.queries import (
    Contains,
    FullText,
    In,
    Key,
    KeyPresent,
    NotIn,
    PartialUID,
    Regex,
    ScanID,
    ScanIDRange,
    TextQuery,
)

RUNS = [
    {"scan_id": 1, "sample": "Si", "plan_name": "count", "tags": ["a", "b"]},
    {"scan_id": 2, "sample": "Ge", "plan_name": "scan", "tags": ["b"]},
    {"scan_id": 3, "sample": "si", "plan_name": "rel_scan"},
    {"scan_id": 4, "sample": "Si", "plan_name": "scan", "tags": []},
]


@pytest.fixture
def filled(catalog: Any) -> dict[int, str]:
    """The catalog under test holding RUNS; scan_id -> uid."""
    serializer = catalog.serializer()
    uids = {}
    for i, metadata in enumerate(RUNS):
        bundle = event_model.compose_run(metadata=metadata, time=1000.0 + i)
        serializer("start", bundle.start_doc)
        serializer("stop", bundle.compose_stop(time=1000.5 + i))
        uids[metadata["scan_id"]] = bundle.start_doc["uid"]
    return uids


def _scan_ids(catalog: Any, query: Any) -> list[int]:
    return sorted(run.metadata["start"]["scan_id"] for run in catalog.search(query).values())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (Key("sample") == "Si", [1, 4]),
        (Key("start.sample") == "Si", [1, 4]),
        (Key("sample") != "Si", [2, 3]),
        (Key("scan_id") < 3, [1, 2]),
        (Key("scan_id") <= 3, [1, 2, 3]),
        (Key("scan_id") > 3, [4]),
        (Key("scan_id") >= 3, [3, 4]),
        (Key("plan_name").in_(["count", "rel_scan"]), [1, 3]),
        (In("plan_name", ["scan"]), [2, 4]),
        (NotIn("plan_name", ["scan"]), [1, 3]),
        (Contains("tags", "b"), [1, 2]),
        (Regex("sample", "^si$", case_sensitive=False), [1, 3, 4]),
        (Regex("sample", "^si$"), [3]),
        (KeyPresent("tags"), [1, 2, 4]),
        (KeyPresent("tags", exists=False), [3]),
        (ScanID(2), [2]),
        (ScanID(1, 3), [1, 3]),
        (ScanIDRange(2, 4), [2, 3]),
        ((Key("sample") == "Si") & (Key("plan_name") == "scan"), [4]),
        ((Key("sample") == "Ge") | (ScanID(3)), [2, 3]),
        ({"sample": "Si"} & (Key("scan_id") > 1), [4]),
    ],
)
def test_query_objects_select_runs(catalog: Any, filled: dict[int, str], query, expected) -> None:
    """[new] Key comparisons and the named queries select the same runs on every backend."""
    assert _scan_ids(catalog, query) == expected


def test_partial_uid(catalog: Any, filled: dict[int, str]) -> None:
    """[new] PartialUID(*prefixes) selects the runs whose uid starts with any prefix."""
    query = PartialUID(filled[1][:8], filled[3][:10])
    assert _scan_ids(catalog, query) == [1, 3]


def test_queries_are_mongo_mappings() -> None:
    """[new] Query objects are plain Mongo-style mappings with a readable repr."""
    assert dict(Key("start.scan_id") >= 10) == {"scan_id": {"$gte": 10}}
    combined = (Key("a") == 1) & (Key("b") != 2)
    assert dict(combined) == {"$and": [{"a": 1}, {"b": {"$ne": 2}}]}
    assert repr(combined) == "(Eq(key=a, value=1) & NotEq(key=b, value=2))"
    assert dict(FullText("calibration")) == dict(TextQuery("calibration"))
    assert dict(ScanID(5)) == {"scan_id": 5}


@pytest.mark.parametrize(
    "build",
    [
        lambda: Key("stop.exit_status") == "success",
        lambda: Key(""),
        lambda: ScanID(),
        lambda: ScanID("7"),
        lambda: ScanIDRange(5, 2),
        lambda: PartialUID(),
        lambda: In("sample", "Si"),
        lambda: Regex("sample", "("),
        lambda: (Key("a") == 1) & 3,
    ],
)
def test_bad_query_objects_raise(build) -> None:
    """[new] Malformed query objects raise InvalidQuery (a ValueError) saying why."""
    with pytest.raises(InvalidQuery):
        build()
