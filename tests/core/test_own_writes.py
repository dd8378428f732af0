"""Runs written through a catalog's own serializer are listed at once."""

from __future__ import annotations

from typing import Any

import event_model


def _write_run(serializer: Any, *, stop: bool = True) -> str:
    bundle = event_model.compose_run(metadata={"sample": "own-writes"})
    serializer("start", bundle.start_doc)
    descriptor = bundle.compose_descriptor(
        name="primary",
        data_keys={"x": {"source": "sim", "dtype": "number", "shape": []}},
    )
    serializer("descriptor", descriptor.descriptor_doc)
    serializer("event", descriptor.compose_event(data={"x": 1.0}, timestamps={"x": 0.0}))
    if stop:
        serializer("stop", bundle.compose_stop())
    return bundle.start_doc["uid"]


def test_written_run_listed_before_ttl(catalog: Any) -> None:
    """[fix] len() and iteration include a run written through serializer() at once."""
    catalog.ttl = 3600  # no reload by time: only the write itself may make the run appear
    assert len(catalog) == 0
    serializer = catalog.serializer()
    first = _write_run(serializer)
    assert len(catalog) == 1
    assert list(catalog) == [first]
    second = _write_run(serializer)
    assert len(catalog) == 2
    assert set(catalog) == {first, second}


def test_written_stop_seen_before_ttl(catalog: Any) -> None:
    """[fix] A run's stop written through serializer() shows in its metadata at once."""
    catalog.ttl = 3600
    serializer = catalog.serializer()
    uid = _write_run(serializer, stop=False)
    assert len(catalog) == 1
    assert catalog[uid].metadata["stop"] is None
    bundle_stop = {
        "uid": "stop-" + uid,
        "run_start": uid,
        "time": catalog[uid].metadata["start"]["time"] + 1,
        "exit_status": "success",
        "reason": "",
        "num_events": {"primary": 1},
    }
    serializer("stop", bundle_stop)
    assert catalog[uid].metadata["stop"]["exit_status"] == "success"


def test_search_results_see_new_runs(catalog: Any) -> None:
    """[fix] Search results made before a write list the written run at once."""
    catalog.ttl = 3600
    results = catalog.search({"sample": "own-writes"})
    results.ttl = 3600
    assert len(results) == 0
    uid = _write_run(catalog.serializer())
    assert list(results) == [uid]
