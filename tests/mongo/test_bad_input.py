"""Incomplete or inconsistent stored data is readable as far as it goes."""

from __future__ import annotations

from typing import Any

import pytest
from event_model import compose_run

from databroker.errors import (
    BrokenReference,
    DuplicateRunWarning,
    InvalidDocument,
    SkippedFileWarning,
)


def _partial_run(writer: Any) -> dict[str, Any]:
    """A run with an external field, a descriptor without events, and no stop."""
    bundle = compose_run(uid="partial", time=1.0)
    writer("start", bundle.start_doc)
    keys = {
        "x": {"dtype": "number", "shape": [], "source": "s"},
        "img": {"dtype": "array", "shape": [2], "source": "s", "external": "FILESTORE:"},
    }
    primary = bundle.compose_descriptor(name="primary", data_keys=keys, time=2.0)
    writer("descriptor", primary.descriptor_doc)
    empty = bundle.compose_descriptor(
        name="baseline", data_keys={"y": {"dtype": "number", "shape": [], "source": "s"}}, time=3.0
    )
    writer("descriptor", empty.descriptor_doc)
    resource = bundle.compose_resource(
        spec="NPY_SEQ", root="/nowhere", resource_path="p", resource_kwargs={}
    )
    writer("resource", resource.resource_doc)
    datum = resource.compose_datum(datum_kwargs={"index": 0})
    writer("datum", datum)
    writer(
        "event",
        primary.compose_event(
            data={"x": 1.0, "img": datum["datum_id"]},
            timestamps={"x": 4.0, "img": 4.0},
            filled={"img": False},
            time=4.0,
        ),
    )
    return {"resource": resource.resource_doc["uid"], "datum": datum["datum_id"]}


def _drop_resource(layout: Any, uid: str) -> None:
    if layout.kind == "normalized":
        layout.databases[1].resource.delete_many({"uid": uid})
    else:
        layout.databases[0].header.update_one(
            {"run_id": "partial"}, {"$pull": {"resources": {"uid": uid}}}
        )


def test_run_without_stop(layout: Any) -> None:
    """[compat] A run without stop has stop None and is readable; an empty stream has 0 rows."""
    cat = layout.catalog()
    _partial_run(cat._get_serializer())
    run = cat["partial"]
    assert run.metadata["stop"] is None
    assert list(run) == ["primary", "baseline"]
    assert run.baseline.read()["y"].shape == (0,)
    assert cat.summary().loc["partial", "stop.exit_status"] is None


def test_missing_resource_breaks_only_the_read_needing_it(layout: Any) -> None:
    """[fix] A datum whose resource is missing: metadata and documents readable, then
    BrokenReference naming the resource from the read that needs it."""
    cat = layout.catalog()
    refs = _partial_run(cat._get_serializer())
    _drop_resource(layout, refs["resource"])
    run = cat["partial"]
    names = [name for name, _ in run.documents(fill="no")]
    assert names[:3] == ["start", "descriptor", "descriptor"]
    assert "event_page" in names
    store = cat._store.open_run("partial")
    with pytest.raises(BrokenReference, match=refs["resource"]):
        store.datum_kwargs([refs["datum"]])
    with pytest.raises(BrokenReference, match=refs["resource"]):
        store.lookup_resource_for_datum(refs["datum"])
    with pytest.raises(BrokenReference, match="no-such-datum"):
        store.datum_kwargs(["no-such-datum"])


def test_duplicate_run_start_documents(normalized: Any) -> None:
    """[fix] Several run_start documents with one uid: the first inserted, with a warning."""
    normalized.databases[0].run_start.insert_many(
        [{"uid": "twice", "time": 1.0, "n": 1}, {"uid": "twice", "time": 1.0, "n": 2}]
    )
    cat = normalized.catalog()
    with pytest.warns(DuplicateRunWarning, match="twice"):
        assert list(cat) == ["twice"]
    cat = normalized.catalog()
    with pytest.warns(DuplicateRunWarning, match="twice"):
        assert cat["twice"].metadata["start"]["n"] == 1


def test_old_resource_without_uid(normalized: Any) -> None:
    """[compat] A resource lacking uid is found by its _id and given uid = str(_id)."""
    assets = normalized.databases[1]
    oid = assets.resource.insert_one(
        {"spec": "NPY_SEQ", "root": "/", "resource_path": "p", "resource_kwargs": {}}
    ).inserted_id
    assets.datum.insert_one(
        {"datum_id": "old-datum", "resource": str(oid), "datum_kwargs": {"index": 3}}
    )
    normalized.databases[0].run_start.insert_one({"uid": "old", "time": 1.0})
    store = normalized.catalog()._store.open_run("old")
    resource, kwargs = store.datum_kwargs(["old-datum"])[0]
    assert resource["uid"] == str(oid)
    assert kwargs == {"index": 3}
    assert store.lookup_resource_for_datum("old-datum")["uid"] == str(oid)
    pages = list(store.datum_pages(str(oid)))
    assert pages == [
        {"resource": str(oid), "datum_id": ["old-datum"], "datum_kwargs": {"index": [3]}}
    ]


def _embedded_page(embedded: Any) -> tuple[Any, str]:
    """A small embedded run 'r1' (two events in one page); return (catalog, descriptor uid)."""
    from .conftest import write_run

    cat = embedded.catalog()
    bundle = write_run(cat._get_serializer(), "r1", 1.0)
    descriptor = embedded.databases[0].header.find_one({"run_id": "r1"})["descriptors"][0]
    assert bundle.start_doc["uid"] == "r1"
    return cat, descriptor["uid"]


def test_embedded_page_without_data_raises(embedded: Any) -> None:
    """[fix] An embedded event page without 'data' raises InvalidDocument naming the
    descriptor and run (it read as NaN rows)."""
    cat, descriptor = _embedded_page(embedded)
    embedded.databases[0].event.update_one({"descriptor": descriptor}, {"$unset": {"data": ""}})
    with pytest.raises(InvalidDocument, match=descriptor) as info:
        cat["r1"].primary.read()
    assert "'r1'" in str(info.value) and "'data'" in str(info.value)


def test_embedded_page_with_short_time_raises(embedded: Any) -> None:
    """[fix] An embedded page whose 'time' is shorter than its uids raises InvalidDocument."""
    cat, descriptor = _embedded_page(embedded)
    embedded.databases[0].event.update_one({"descriptor": descriptor}, {"$set": {"time": [1.0]}})
    with pytest.raises(InvalidDocument, match="'time' is a list of 1, expected a list of 2"):
        cat["r1"].primary.read()


def test_embedded_page_with_short_column_raises(embedded: Any) -> None:
    """[fix] An embedded page whose data column is short raises InvalidDocument naming it."""
    cat, descriptor = _embedded_page(embedded)
    embedded.databases[0].event.update_one({"descriptor": descriptor}, {"$pop": {"data.x": 1}})
    with pytest.raises(InvalidDocument, match=r"data\['x'\]"):
        list(cat["r1"].documents(fill="no"))


@pytest.mark.parametrize("field", ["data", "time", "seq_num"])
def test_normalized_event_missing_field_raises(normalized: Any, field: str) -> None:
    """[fix] A stored event without data/time/seq_num raises InvalidDocument naming the event
    and collection (not a bare KeyError)."""
    mds = normalized.databases[0]
    mds.run_start.insert_one({"uid": "r1", "time": 1.0})
    mds.event_descriptor.insert_one(
        {
            "uid": "d1",
            "run_start": "r1",
            "name": "primary",
            "time": 1.0,
            "data_keys": {"x": {"dtype": "number", "shape": [], "source": "s"}},
        }
    )
    event = {"uid": "e1", "descriptor": "d1", "seq_num": 1, "time": 2.0}
    event.update(data={"x": 1.0}, timestamps={"x": 2.0})
    del event[field]
    mds.event.insert_one(event)
    with pytest.raises(InvalidDocument, match=f"'e1'.*'event'.*{field}"):
        normalized.catalog()["r1"].primary.read()


def test_start_without_uid_is_skipped_with_warning(layout: Any) -> None:
    """[fix] A start without uid is left out of listing, len() and summary() with a warning
    naming the collection and its _id; the other runs stay listed."""
    from .conftest import write_run

    cat = layout.catalog()
    write_run(cat._get_serializer(), "good", 1.0)
    if layout.kind == "normalized":
        bad_id = layout.databases[0].run_start.insert_one({"time": 5.0}).inserted_id
        where = "run_start"
    else:
        db = layout.databases[0]
        bad_id = db.header.insert_one({"run_id": "x", "start": [{"time": 5.0}]}).inserted_id
        where = "header"
    with pytest.warns(SkippedFileWarning, match=f"{bad_id}.*{where}|{where}.*{bad_id}"):
        assert list(cat) == ["good"]
    assert len(cat) == 1
    with pytest.warns(SkippedFileWarning):
        assert list(cat.summary().index) == ["good"]
    with pytest.warns(SkippedFileWarning):
        assert cat[-1].metadata["start"]["uid"] == "good"


def test_embedded_header_without_start_not_counted(embedded: Any) -> None:
    """[fix] An embedded header without start is neither listed nor counted, with a warning."""
    from .conftest import write_run

    cat = embedded.catalog()
    write_run(cat._get_serializer(), "good", 1.0)
    bad_id = embedded.databases[0].header.insert_one({"run_id": "nostart"}).inserted_id
    with pytest.warns(SkippedFileWarning, match=str(bad_id)):
        assert list(cat) == ["good"]
    assert len(cat) == 1


def test_resource_without_spec_raises(layout: Any) -> None:
    """[fix] Reading external data of a resource without 'spec' raises InvalidDocument naming
    the resource and run (not a bare KeyError 'spec')."""
    cat = layout.catalog()
    refs = _partial_run(cat._get_serializer())
    if layout.kind == "normalized":
        layout.databases[1].resource.update_one({}, {"$unset": {"spec": ""}})
    else:
        layout.databases[0].header.update_one(
            {"run_id": "partial"}, {"$unset": {"resources.0.spec": ""}}
        )
    with pytest.raises(InvalidDocument, match=refs["resource"]) as info:
        cat["partial"].primary.read()
    assert "'partial'" in str(info.value) and "spec" in str(info.value)
