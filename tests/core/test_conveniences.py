"""databroker 2 conveniences: run.start/stop/descriptors, slices of runs, keyword search."""

from __future__ import annotations

from typing import Any

import event_model
import pytest


@pytest.fixture
def six_runs(catalog: Any) -> list[str]:
    """Six finished runs, oldest first; their uids."""
    serializer = catalog.serializer()
    uids = []
    for i in range(6):
        bundle = event_model.compose_run(
            metadata={"scan_id": i + 1, "sample": "Si" if i % 2 else "Ge"}, time=100.0 + i
        )
        serializer("start", bundle.start_doc)
        descriptor = bundle.compose_descriptor(
            name="primary", data_keys={"x": {"source": "s", "dtype": "number", "shape": []}}
        )
        serializer("descriptor", descriptor.descriptor_doc)
        serializer("stop", bundle.compose_stop(time=100.5 + i))
        uids.append(bundle.start_doc["uid"])
    return uids


def test_run_start_stop_descriptors(catalog: Any, six_runs: list[str]) -> None:
    """[new] run.start, run.stop and run.descriptors are the run's documents."""
    run = catalog[-1]
    assert run.start == run.metadata["start"]
    assert run.start["uid"] == six_runs[-1]
    assert run.stop == run.metadata["stop"]
    assert run.stop["exit_status"] == "success"
    assert [d["name"] for d in run.descriptors] == ["primary"]


@pytest.mark.parametrize(
    ("positions", "expected"),
    [
        (slice(-5, None), [1, 2, 3, 4, 5]),
        (slice(-2, None), [4, 5]),
        (slice(None, 2), [0, 1]),
        (slice(1, 4), [1, 2, 3]),
        (slice(None, None, -2), [5, 3, 1]),
        (slice(10, None), []),
    ],
)
def test_slices_are_positions_in_time_order(
    catalog: Any, six_runs: list[str], positions: slice, expected: list[int]
) -> None:
    """[new] catalog[a:b] and catalog.values()[a:b] give runs by position, oldest first."""
    want = [six_runs[i] for i in expected]
    assert [run.uid for run in catalog[positions]] == want
    assert [run.uid for run in catalog.values()[positions]] == want


def test_values_iterate_newest_first(catalog: Any, six_runs: list[str]) -> None:
    """[compat] catalog.values() still iterates newest first, and has a length."""
    values = catalog.values()
    assert [run.uid for run in values] == six_runs[::-1]
    assert len(values) == 6
    assert values[-1].uid == six_runs[-1]


def test_keyword_search(catalog: Any, six_runs: list[str]) -> None:
    """[new] search(field=value, ...) without a query matches equal start fields."""
    assert sorted(catalog.search(sample="Si")) == sorted(six_runs[1::2])
    assert list(catalog.search(sample="Si", scan_id=4)) == [six_runs[3]]
