"""Documents stored twice (raw inserts, as other writers leave them) read as one document;
copies that differ raise DuplicateUniqueID; len() always equals the count of iteration."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from databroker.errors import DuplicateRunWarning, DuplicateUniqueID

from .conftest import write_run


def _written(layout: Any) -> tuple[Any, Any]:
    """Two runs ('r1', 'r2') written through the catalog's writer; return (catalog, bundle)."""
    cat = layout.catalog()
    serializer = cat._get_serializer()
    bundle = write_run(serializer, "r1", 1.0)
    write_run(serializer, "r2", 2.0)
    return cat, bundle


def _raw(collection: Any, filter: dict[str, Any]) -> dict[str, Any]:
    """A stored document of ``collection`` without its _id (to insert again)."""
    doc = collection.find_one(filter)
    doc.pop("_id")
    return doc


def _store_event_again(layout: Any, change: dict[str, Any] | None = None) -> str:
    """Insert a second copy of the first event of run 'r1' (its page, for embedded)."""
    if layout.kind == "normalized":
        mds = layout.databases[0]
        descriptor = mds.event_descriptor.find_one({"run_start": "r1"})["uid"]
        event = _raw(mds.event, {"descriptor": descriptor, "seq_num": 1})
        event["data"].update(change or {})
        mds.event.insert_one(event)
        return event["uid"]
    db = layout.databases[0]
    descriptor = db.header.find_one({"run_id": "r1"})["descriptors"][0]["uid"]
    page = _raw(db.event, {"descriptor": descriptor})
    for key, value in (change or {}).items():
        page["data"][key][0] = value
    db.event.insert_one(page)
    return page["uid"][0]


def test_start_stored_twice_len_equals_listing(layout: Any) -> None:
    """[fix] A start stored twice is one run: len(cat) equals the runs listed, with a warning."""
    cat, bundle = _written(layout)
    if layout.kind == "normalized":
        layout.databases[0].run_start.insert_one(copy.deepcopy(bundle.start_doc))
    else:
        layout.databases[0].header.insert_one(_raw(layout.databases[0].header, {"run_id": "r1"}))
    with pytest.warns(DuplicateRunWarning, match="r1"):
        listed = list(cat)
    assert sorted(listed) == ["r1", "r2"]
    assert len(cat) == 2
    assert len(cat.search({"uid": "r1"})) == 1
    assert cat[-2].metadata["start"]["uid"] == "r1"  # cat[-N] counts as the listing (warned)


def test_descriptor_stored_twice_is_one_stream(layout: Any) -> None:
    """[fix] An identical descriptor stored twice is one descriptor and one stream's rows."""
    cat, _ = _written(layout)
    if layout.kind == "normalized":
        mds = layout.databases[0]
        mds.event_descriptor.insert_one(_raw(mds.event_descriptor, {"run_start": "r1"}))
    else:
        db = layout.databases[0]
        descriptor = db.header.find_one({"run_id": "r1"})["descriptors"][0]
        db.header.update_one({"run_id": "r1"}, {"$push": {"descriptors": descriptor}})
    run = cat["r1"]
    assert len(cat._store.open_run("r1").descriptors()) == 1
    assert list(run) == ["primary"]
    np.testing.assert_array_equal(run.primary.read()["x"].values, [1.0, 2.0])
    names = [name for name, _ in run.documents(fill="no")]
    assert names.count("descriptor") == 1


def test_conflicting_descriptors_raise(layout: Any) -> None:
    """[fix] Two different descriptors with one uid raise DuplicateUniqueID naming the uid."""
    cat, _ = _written(layout)
    if layout.kind == "normalized":
        mds = layout.databases[0]
        other = _raw(mds.event_descriptor, {"run_start": "r1"})
        other["name"] = "other"
        mds.event_descriptor.insert_one(other)
        where = "event_descriptor"
    else:
        db = layout.databases[0]
        other = db.header.find_one({"run_id": "r1"})["descriptors"][0]
        other["name"] = "other"
        db.header.update_one({"run_id": "r1"}, {"$push": {"descriptors": other}})
        where = "header"
    with pytest.raises(DuplicateUniqueID, match=other["uid"]) as info:
        cat._store.open_run("r1").descriptors()
    assert where in str(info.value) and "r1" in str(info.value)


def test_identical_event_stored_twice_is_one_row(layout: Any) -> None:
    """[fix] An identical event (an embedded page) stored twice gives each row once."""
    cat, _ = _written(layout)
    _store_event_again(layout)
    run = cat["r1"]
    np.testing.assert_array_equal(run.primary.read()["x"].values, [1.0, 2.0])
    events = [doc for name, doc in run.documents(fill="no") if name == "event_page"]
    assert sum(len(page["uid"]) for page in events) == 2
    descriptor = cat._store.open_run("r1").descriptors()[0]["uid"]
    assert cat._store.open_run("r1").event_count(descriptor) == 2


def test_conflicting_event_raises(layout: Any) -> None:
    """[fix] One event uid with different data raises DuplicateUniqueID naming the uid."""
    cat, _ = _written(layout)
    uid = _store_event_again(layout, {"x": 99.0})
    with pytest.raises(DuplicateUniqueID, match=uid) as info:
        cat["r1"].primary.read()
    assert "'event'" in str(info.value) and "r1" in str(info.value)


def test_datum_stored_twice_is_one_datum(layout: Any) -> None:
    """[fix] A datum (an embedded datum page) stored twice is one datum; different: raises."""
    from event_model import compose_run

    cat = layout.catalog()
    serializer = cat._get_serializer()
    bundle = compose_run(uid="d1", time=1.0)
    serializer("start", bundle.start_doc)
    resource = bundle.compose_resource(spec="X", root="/r", resource_path="p", resource_kwargs={})
    serializer("resource", resource.resource_doc)
    datum = resource.compose_datum(datum_kwargs={"index": 0})
    serializer("datum", datum)
    db = layout.databases[-1] if layout.kind == "normalized" else layout.databases[0]
    stored = _raw(db.datum, {})
    db.datum.insert_one(copy.deepcopy(stored))
    run = cat._store.open_run("d1")
    datum_id = datum["datum_id"]
    pages = list(run.datum_pages(resource.resource_doc["uid"]))
    assert [page["datum_id"] for page in pages] == [[datum_id]]
    stored["datum_kwargs"]["index"] = 5 if layout.kind == "normalized" else [5]
    db.datum.insert_one(stored)
    with pytest.raises(DuplicateUniqueID, match="datum"):
        list(run.datum_pages(resource.resource_doc["uid"]))


def test_resource_stored_twice_is_one_resource(layout: Any) -> None:
    """[fix] An identical resource stored twice is listed once among the run's resources."""
    from event_model import compose_run

    cat = layout.catalog()
    serializer = cat._get_serializer()
    bundle = compose_run(uid="res", time=1.0)
    serializer("start", bundle.start_doc)
    resource = bundle.compose_resource(spec="X", root="/r", resource_path="p", resource_kwargs={})
    serializer("resource", resource.resource_doc)
    if layout.kind == "normalized":
        layout.databases[1].resource.insert_one(copy.deepcopy(resource.resource_doc))
    else:
        layout.databases[0].header.update_one(
            {"run_id": "res"}, {"$push": {"resources": copy.deepcopy(resource.resource_doc)}}
        )
    assert len(cat._store.open_run("res").resources()) == 1
