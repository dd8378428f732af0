"""documents(): what a RunEngine emitted comes back, in the documented order, on every backend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from bluesky.plans import count, scan
from bluesky.preprocessors import SupplementalData
from ophyd.sim import det, det1, img, motor

from databroker._documents.classes import unpack_datum_page, unpack_event_page
from databroker.core import Document


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _by_kind(documents: Any) -> dict[str, Any]:
    """Group documents by kind with events and datum unpacked and keyed by uid/datum_id."""
    grouped: dict[str, Any] = {"events": {}, "datum": {}, "other": []}
    for name, doc in documents:
        doc = _plain(dict(doc))
        if name in ("event", "event_page"):
            events = unpack_event_page(doc) if name == "event_page" else [doc]
            for event in events:
                event["filled"] = {k: v for k, v in event.get("filled", {}).items() if v}
                grouped["events"][event["uid"]] = event
        elif name in ("datum", "datum_page"):
            datums = unpack_datum_page(doc) if name == "datum_page" else [doc]
            for datum in datums:
                grouped["datum"][datum["datum_id"]] = datum
        else:
            grouped["other"].append((name, doc))
    grouped["other"].sort(key=lambda pair: (pair[0], pair[1].get("uid", "")))
    return grouped


@pytest.fixture
def baseline_RE(RE: Any) -> Any:
    """The RunEngine with a baseline stream reading det1."""
    supplemental = SupplementalData(baseline=[det1])
    RE.preprocessors.append(supplemental)
    return RE


def test_documents_equal_emitted(catalog: Any, recorder: Any, baseline_RE: Any) -> None:
    """[compat] documents(fill='no') returns every emitted document unchanged."""
    (uid,) = baseline_RE(scan([det, img], motor, -1, 1, 3))
    run = catalog[uid]
    returned = list(run.documents(fill="no"))
    assert _by_kind(returned) == _by_kind(recorder.emitted[uid])


def test_documents_order(catalog: Any, baseline_RE: Any) -> None:
    """[compat] Order: start, descriptors, resources with datum pages, event pages, stop."""
    (uid,) = baseline_RE(scan([det, img], motor, -1, 1, 3))
    names = [name for name, _ in catalog[uid].documents(fill="no")]
    assert names[0] == "start" and names[-1] == "stop"
    first_event = names.index("event_page")
    assert set(names[1:first_event]) == {"descriptor", "resource", "datum_page"}
    assert set(names[first_event:-1]) == {"event_page"}
    assert names.index("resource") < names.index("datum_page")


def test_documents_are_document_instances(catalog: Any, RE: Any) -> None:
    """[fix] Every document from documents() is an instance of its Document subclass."""
    (uid,) = RE(count([det, img], 2))
    for fill in ("no", "yes"):
        for name, doc in catalog[uid].documents(fill=fill):
            assert isinstance(doc, Document), name


def test_events_in_time_order(catalog: Any, baseline_RE: Any) -> None:
    """[compat] With strict_order the unpacked events are in non-decreasing time."""
    (uid,) = baseline_RE(scan([det], motor, -1, 1, 5))
    times = [
        t
        for name, doc in catalog[uid].documents(fill="no")
        if name == "event_page"
        for t in doc["time"]
    ]
    assert times == sorted(times)
    assert len(times) == 5 + 2


def test_fill_yes_loads_external_arrays(catalog: Any, RE: Any) -> None:
    """[compat] fill='yes' replaces datum ids by arrays and records the datum id in filled."""
    (uid,) = RE(count([img], 2))
    pages = [doc for name, doc in catalog[uid].documents(fill="yes") if name == "event_page"]
    events = [event for page in pages for event in unpack_event_page(page)]
    assert len(events) == 2
    for event in events:
        assert isinstance(event["data"]["img"], np.ndarray)
        assert event["data"]["img"].shape == (10, 10)
        assert isinstance(event["filled"]["img"], str)


def test_fill_no_keeps_datum_ids(catalog: Any, RE: Any) -> None:
    """[compat] fill='no' leaves the datum id and filled False for external keys."""
    (uid,) = RE(count([img], 2))
    pages = [doc for name, doc in catalog[uid].documents(fill="no") if name == "event_page"]
    events = [event for page in pages for event in unpack_event_page(page)]
    assert all(isinstance(event["data"]["img"], str) for event in events)
    assert all(event["filled"]["img"] is False for event in events)


def test_invalid_fill(catalog: Any, RE: Any) -> None:
    """[compat] documents() with an unknown fill mode raises ValueError."""
    (uid,) = RE(count([det], 1))
    with pytest.raises(ValueError, match="fill"):
        list(catalog[uid].documents(fill="maybe"))


def test_run_without_stop(catalog: Any, recorder: Any) -> None:
    """[compat] A run with no stop yet: metadata stop is None, documents end without stop."""
    from event_model import compose_run

    bundle = compose_run(time=10.0)
    recorder("start", bundle.start_doc)
    desc = bundle.compose_descriptor(
        name="primary", data_keys={"x": {"dtype": "number", "shape": [], "source": "s"}}
    )
    recorder("descriptor", desc.descriptor_doc)
    recorder("event", desc.compose_event(data={"x": 1}, timestamps={"x": 1.0}))
    catalog.force_reload()
    run = catalog[-1]
    assert run.metadata["stop"] is None
    names = [name for name, _ in run.documents(fill="no")]
    assert names == ["start", "descriptor", "event_page"]
    recorder("event", desc.compose_event(data={"x": 2}, timestamps={"x": 2.0}))
    recorder("stop", bundle.compose_stop())
    assert run.metadata["stop"]["exit_status"] == "success"
    assert [name for name, _ in run.documents(fill="no")][-1] == "stop"


def test_events_without_data_and_datum_without_kwargs(catalog: Any, recorder: Any) -> None:
    """[compat] Events with empty data and datum with empty kwargs come back on every backend."""
    from event_model import compose_run

    bundle = compose_run()
    recorder("start", bundle.start_doc)
    descriptor = bundle.compose_descriptor(name="primary", data_keys={})
    recorder("descriptor", descriptor.descriptor_doc)
    resource = bundle.compose_resource(spec="X", root="/r", resource_path="p", resource_kwargs={})
    recorder("resource", resource.resource_doc)
    recorder("datum", resource.compose_datum(datum_kwargs={}))
    for _ in range(2):
        recorder("event", descriptor.compose_event(data={}, timestamps={}))
    recorder("stop", bundle.compose_stop())
    uid = bundle.start_doc["uid"]
    documents = list(catalog[uid].documents(fill="no"))
    grouped = _by_kind(documents)
    assert [e["data"] for e in grouped["events"].values()] == [{}, {}]
    assert [d["datum_kwargs"] for d in grouped["datum"].values()] == [{}]
    assert catalog[uid].primary.read().sizes["time"] == 2


def test_documents_are_json_and_msgpack_ready(catalog: Any, RE: Any) -> None:
    """[compat] Every document documents() yields goes through json.dumps and msgpack.packb
    as it is (the stores keep number columns as numpy arrays; documents have lists)."""
    import json

    import msgpack
    from bluesky.plans import count
    from ophyd.sim import det

    (uid,) = RE(count([det], num=5))
    for _name, doc in catalog[uid].documents(fill="no"):
        json.dumps(doc)
        msgpack.packb(doc)
    for _name, doc in catalog[uid].primary.read_partition({"index": 1, "fill": "no"}):
        json.dumps(doc)
