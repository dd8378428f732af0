"""The shared backend suite: lookup, search and ordering, on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from event_model import compose_run

from databroker.errors import AmbiguousUidPrefix, InvalidQuery, RunIndexError, RunNotFound


def _write_run(recorder: Any, uid: str, time: float, **metadata: Any) -> str:
    """Write a minimal complete run (start, one event, stop) with a chosen uid and time."""
    bundle = compose_run(uid=uid, time=time, metadata=metadata)
    recorder("start", bundle.start_doc)
    desc = bundle.compose_descriptor(
        name="primary",
        data_keys={"x": {"dtype": "number", "shape": [], "source": "sim"}},
        time=time,
    )
    recorder("descriptor", desc.descriptor_doc)
    recorder("event", desc.compose_event(data={"x": 1.0}, timestamps={"x": time}, time=time))
    recorder("stop", bundle.compose_stop(time=time + 1))
    return uid


@pytest.fixture
def three_runs(recorder: Any) -> list[str]:
    """Three runs: scan_ids 1, 2, 1 at increasing times."""
    return [
        _write_run(recorder, "aaaa1111-0000", 100.0, scan_id=1, plan_name="count", sample="Si"),
        _write_run(recorder, "aaaa2222-0000", 200.0, scan_id=2, plan_name="scan", sample="Ge"),
        _write_run(recorder, "bbbb3333-0000", 300.0, scan_id=1, plan_name="scan", sample="Si"),
    ]


def test_iteration_newest_first(catalog: Any, three_runs: list[str]) -> None:
    """[fix] Every backend iterates runs newest first by start time."""
    assert list(catalog) == list(reversed(three_runs))
    assert len(catalog) == 3


def test_lookup_by_uid_and_prefix(catalog: Any, three_runs: list[str]) -> None:
    """[compat] cat[uid] and cat[unique prefix] return that run."""
    assert catalog[three_runs[1]].metadata["start"]["uid"] == three_runs[1]
    assert catalog["bbbb"].metadata["start"]["uid"] == three_runs[2]


def test_ambiguous_prefix(catalog: Any, three_runs: list[str]) -> None:
    """[compat] A prefix matching several runs raises AmbiguousUidPrefix (a ValueError)."""
    with pytest.raises(AmbiguousUidPrefix, match="aaaa1111-0000"):
        catalog["aaaa"]
    with pytest.raises(ValueError):
        catalog["aaaa"]


def test_prefix_is_anchored(catalog: Any, three_runs: list[str]) -> None:
    """[fix] uid prefix matching is anchored at the start of the uid."""
    with pytest.raises(RunNotFound):
        catalog["1111-0000"]


def test_scan_id_gives_most_recent(catalog: Any, three_runs: list[str]) -> None:
    """[compat] cat[N] is the most recent run with scan_id N; a digit string too."""
    assert catalog[1].metadata["start"]["uid"] == three_runs[2]
    assert catalog["2"].metadata["start"]["uid"] == three_runs[1]
    with pytest.raises(RunNotFound):
        catalog[99]
    with pytest.raises(KeyError):
        catalog[99]


def test_negative_index_by_recency(catalog: Any, three_runs: list[str]) -> None:
    """[compat] cat[-N] is the N-th most recent run; past the end RunIndexError."""
    assert catalog[-1].metadata["start"]["uid"] == three_runs[2]
    assert catalog[-3].metadata["start"]["uid"] == three_runs[0]
    with pytest.raises(RunIndexError, match="Catalog only contains 3 runs"):
        catalog[-4]
    with pytest.raises(IndexError):
        catalog[-4]


def test_newest_is_current(catalog: Any, recorder: Any, three_runs: list[str]) -> None:
    """[fix] cat[-1] reflects a run written after the catalog was opened."""
    assert catalog[-1].metadata["start"]["uid"] == three_runs[2]
    _write_run(recorder, "cccc4444-0000", 400.0, scan_id=3)
    assert catalog[-1].metadata["start"]["uid"] == "cccc4444-0000"


def test_contains_matches_getitem(catalog: Any, three_runs: list[str]) -> None:
    """[compat] `key in cat` is True exactly when cat[key] would succeed."""
    assert three_runs[0] in catalog
    assert "bbbb" in catalog
    assert 2 in catalog
    assert -3 in catalog
    assert "aaaa" not in catalog  # ambiguous
    assert "zzzz" not in catalog
    assert -4 not in catalog


def test_items_yield_runs(catalog: Any, three_runs: list[str]) -> None:
    """[compat] cat.items() yields (uid, BlueskyRun) pairs."""
    from databroker.core import BlueskyRun

    items = list(catalog.items())
    assert [uid for uid, _ in items] == list(reversed(three_runs))
    assert all(isinstance(run, BlueskyRun) for _, run in items)


def test_search_combines_queries(catalog: Any, three_runs: list[str]) -> None:
    """[compat] search() returns a catalog of the same class; nested searches combine."""
    scans = catalog.search({"plan_name": "scan"})
    assert type(scans) is type(catalog)
    assert scans.name == "search results"
    assert list(scans) == [three_runs[2], three_runs[1]]
    silicon_scans = scans.search({"sample": "Si"})
    assert list(silicon_scans) == [three_runs[2]]
    assert silicon_scans[-1].metadata["start"]["uid"] == three_runs[2]
    with pytest.raises(RunNotFound):
        silicon_scans[three_runs[1]]


def test_search_operators(catalog: Any, three_runs: list[str]) -> None:
    """[compat] Mongo-style operators work in search on every backend."""
    assert len(catalog.search({"scan_id": {"$in": [2]}})) == 1
    assert len(catalog.search({"scan_id": {"$gte": 1, "$lt": 2}})) == 2
    assert len(catalog.search({"$or": [{"sample": "Ge"}, {"plan_name": "count"}]})) == 2
    assert len(catalog.search({"sample": {"$regex": "^S"}})) == 2
    assert len(catalog.search({"missing": {"$exists": False}})) == 3


def test_search_time_range(catalog: Any, three_runs: list[str]) -> None:
    """[compat] TimeRange queries select runs by start time."""
    from databroker.queries import TimeRange

    found = catalog.search(TimeRange(since=150.0, until=250.0))
    assert list(found) == [three_runs[1]]


def test_search_rejects_non_mapping(catalog: Any) -> None:
    """[new] A query that is neither a mapping nor a string raises InvalidQuery."""
    with pytest.raises(InvalidQuery):
        catalog.search(42)


def test_search_rejects_unknown_operator(catalog: Any, three_runs: list[str]) -> None:
    """[compat] An operator the backend cannot evaluate raises UnsupportedQuery."""
    from databroker.errors import UnsupportedQuery

    with pytest.raises(UnsupportedQuery, match=r"\$where"):
        list(catalog.search({"$where": "1"}))


def test_summary(catalog: Any, three_runs: list[str]) -> None:
    """[new] summary() gives one row per run, newest first, with dotted fields."""
    table = catalog.summary(["start.scan_id", "start.sample", "stop.exit_status"])
    assert list(table.index) == list(reversed(three_runs))
    assert table.index.name == "uid"
    assert list(table["start.sample"]) == ["Si", "Ge", "Si"]
    assert list(table["stop.exit_status"]) == ["success"] * 3
