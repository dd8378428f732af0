"""Runs recorded with a RunEngine into our writers and suitcase-mongo, read back by the drivers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from bluesky.plans import count, scan
from ophyd.sim import det, direct_img, img, motor

from databroker._documents.classes import unpack_datum_page, unpack_event_page
from databroker._stores.mongo.common import sanitized

WRITERS = ["ours", "suitcase"]


def _record(RE: Any, callback: Any, plan: Any) -> list[tuple[str, dict]]:
    emitted: list[tuple[str, dict]] = []

    def both(name: str, doc: dict) -> None:
        emitted.append((name, sanitized(doc)))
        callback(name, doc)

    token = RE.subscribe(both)
    try:
        RE(plan)
    finally:
        RE.unsubscribe(token)
    return emitted


def _run_of(pair: tuple[str, dict], emitted: list[tuple[str, dict]]) -> str:
    """The start uid a recorded document belongs to (by position in the recording)."""
    index = next(i for i, p in enumerate(emitted) if p is pair)
    return next(doc["uid"] for name, doc in reversed(emitted[: index + 1]) if name == "start")


def _grouped(documents: Any) -> dict[str, Any]:
    """Single documents by kind; events and datum unpacked (page boundaries ignored)."""
    grouped: dict[str, Any] = {"events": [], "datum": []}
    for name, doc in documents:
        doc = sanitized(doc)
        if name in ("event", "event_page"):
            grouped["events"].extend([doc] if name == "event" else unpack_event_page(doc))
        elif name in ("datum", "datum_page"):
            grouped["datum"].extend([doc] if name == "datum" else unpack_datum_page(doc))
        else:
            grouped.setdefault(name, []).append(doc)
    grouped["events"].sort(key=lambda e: (e["descriptor"], e["time"]))
    return grouped


@pytest.fixture(params=WRITERS)
def writer(request: pytest.FixtureRequest, layout: Any, mongomock_bulk_write: None) -> Any:
    """A document callback writing into ``layout``: our writer or suitcase-mongo's."""
    if request.param == "ours":
        return layout.catalog()._get_serializer()
    return layout.suitcase_callback()


def test_documents_equal_emitted(RE: Any, layout: Any, writer: Any) -> None:
    """[compat] documents(fill='no') gives back what the RunEngine emitted, on both layouts."""
    emitted = _record(RE, writer, scan([det, img], motor, -1, 1, 5))
    emitted += _record(RE, writer, count([direct_img], 2))
    cat = layout.catalog()
    for position in (-1, -2):
        run = cat[position]
        own = [pair for pair in emitted if _run_of(pair, emitted) == run.metadata["start"]["uid"]]
        assert _grouped(run.documents(fill="no")) == _grouped(own)


def test_primary_read_values(RE: Any, layout: Any, writer: Any) -> None:
    """[compat] run.primary.read() holds the emitted values, external images loaded."""
    emitted = _record(RE, writer, scan([det, img], motor, -1, 1, 5))
    events = _grouped(emitted)["events"]
    ds = layout.catalog()[-1].primary.read()
    np.testing.assert_array_equal(ds["time"].values, [e["time"] for e in events])
    np.testing.assert_array_equal(ds["det"].values, [e["data"]["det"] for e in events])
    np.testing.assert_array_equal(ds["motor"].values, [e["data"]["motor"] for e in events])
    assert ds["img"].shape == (5, 10, 10)
    np.testing.assert_array_equal(ds["img"].values, np.ones((5, 10, 10)))


def test_primary_read_internal_arrays(RE: Any, layout: Any, writer: Any) -> None:
    """[compat] Array values stored inside events come back with their shape and values."""
    emitted = _record(RE, writer, count([direct_img], 3))
    events = _grouped(emitted)["events"]
    ds = layout.catalog()[-1].primary.read()
    expected = np.array([e["data"]["img"] for e in events])
    assert ds["img"].shape == expected.shape == (3, 10, 10)
    np.testing.assert_array_equal(ds["img"].values, expected)


def test_several_runs_metadata(RE: Any, layout: Any, writer: Any) -> None:
    """[compat] Several runs are listed newest first with their start and stop."""
    first = _record(RE, writer, count([det], 3))
    second = _record(RE, writer, count([det], 2))
    cat = layout.catalog()
    assert list(cat) == [second[0][1]["uid"], first[0][1]["uid"]]
    run = cat[first[0][1]["uid"]]
    assert sanitized(run.metadata["start"]) == first[0][1]
    assert sanitized(run.metadata["stop"]) == first[-1][1]
    assert run.primary.read()["det"].shape == (3,)
