"""Listing and iterating runs costs a few queries per batch of runs, never a few per run."""

from __future__ import annotations

from typing import Any

import numpy as np

from .conftest import write_run

RUNS = 100


def _write_runs(cat: Any, count: int = RUNS) -> list[str]:
    """Write ``count`` complete runs tagged ``purpose='iterate'``; return their uids."""
    serializer = cat._get_serializer()
    uids = [f"run-{i:04d}" for i in range(count)]
    for i, uid in enumerate(uids):
        write_run(serializer, uid, 1000.0 + i, purpose="iterate")
    return uids


def test_iterating_100_runs_few_queries(layout: Any, find_counter: Any) -> None:
    """[fix] Iterating 100 search results and reading each start and stop takes O(1) queries."""
    cat = layout.catalog()
    uids = _write_runs(cat)
    find_counter.calls.clear()
    seen = {}
    for uid, run in cat.search({"purpose": "iterate"}).items():
        seen[uid] = (run.metadata["start"]["uid"], run.metadata["stop"]["exit_status"])
    assert seen == {uid: (uid, "success") for uid in uids}
    # normalized: one run_start cursor and one run_stop $in; embedded: one header cursor
    assert len(find_counter.calls) <= 2, find_counter.calls
    assert not {"event_descriptor", "event"} & set(find_counter.calls)


def test_stream_read_after_iterating(layout: Any) -> None:
    """[compat] A run met while iterating (its stop prefetched) still reads its streams."""
    cat = layout.catalog()
    _write_runs(cat, 3)
    runs = list(cat.values())
    assert [run.metadata["stop"]["exit_status"] for run in runs] == ["success"] * 3
    np.testing.assert_array_equal(runs[0].primary.read()["x"].values, [1.0, 2.0])
    assert list(runs[-1]) == ["primary"]


def test_listing_uids_fetches_no_stops(layout: Any, find_counter: Any) -> None:
    """[new] Listing uids (list(catalog)) queries the starts only: no stops, no descriptors."""
    cat = layout.catalog()
    uids = _write_runs(cat, 20)
    find_counter.calls.clear()
    assert sorted(cat) == uids
    assert set(find_counter.calls) <= {"run_start", "header"}
    # One cursor for the listing; len() is an aggregation (counting each uid once), which
    # mongomock runs through one more find() of the collection.
    assert len(find_counter.calls) <= 2


def test_listing_uids_with_unique_index_one_query(normalized: Any, find_counter: Any) -> None:
    """[new] With ensure_indexes()' unique uid index, len() is a plain count: one cursor.

    (Normalized only: mongomock cannot build the embedded unique index on an array field.)
    """
    cat = normalized.catalog()
    uids = _write_runs(cat, 20)
    cat.ensure_indexes()
    cat = normalized.catalog()
    find_counter.calls.clear()
    assert sorted(cat) == uids
    assert len(find_counter.calls) == 1


def test_opening_a_run_reads_no_descriptors(layout: Any, find_counter: Any) -> None:
    """[fix] Making a run reads its descriptors only when its streams are first used."""
    cat = layout.catalog()
    _write_runs(cat, 1)
    find_counter.calls.clear()
    run = cat["run-0000"]
    assert run.metadata["start"]["purpose"] == "iterate"
    if layout.kind == "normalized":
        assert "event_descriptor" not in find_counter.calls
    else:  # the header read for the start carries the stop, so it is the only query
        assert find_counter.calls == ["header"]
    assert "primary" in run
    assert run.primary.read()["x"].values.tolist() == [1.0, 2.0]


def test_stop_written_after_listing_shows_later(layout: Any) -> None:
    """[compat] A run listed before its stop was written shows the stop once it exists (live)."""
    cat = layout.catalog()
    serializer = cat._get_serializer()
    write_run(serializer, "finished", 1.0)
    bundle = write_run(serializer, "running", 2.0, finished=False)
    runs = dict(cat.items())
    assert runs["finished"].metadata["stop"] is not None
    assert runs["running"].metadata["stop"] is None
    assert runs["running"].primary.read()["x"].values.tolist() == [1.0, 2.0]
    serializer("stop", bundle.compose_stop(time=3.0))
    assert runs["running"].metadata["stop"]["exit_status"] == "success"
    assert dict(cat.items())["running"].metadata["stop"]["time"] == 3.0
