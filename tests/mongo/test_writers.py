"""Our Mongo writers produce suitcase-mongo's layouts and refuse conflicting duplicates."""

from __future__ import annotations

from typing import Any

import pytest
from bluesky.plans import scan
from ophyd.sim import det, img, motor

from databroker._documents.classes import unpack_event_page
from databroker.errors import DuplicateUniqueID, InvalidDocument

from .conftest import Layout, write_run


def _record(RE: Any, plan: Any) -> list[tuple[str, dict]]:
    documents: list[tuple[str, dict]] = []
    token = RE.subscribe(lambda name, doc: documents.append((name, doc)))
    RE(plan)
    RE.unsubscribe(token)
    return documents


def _contents(database: Any, collection: str) -> list[dict]:
    return [
        {k: v for k, v in doc.items() if k != "_id"}
        for doc in database[collection].find({}, sort=[("_id", 1)])
    ]


def _embedded_contents(database: Any) -> dict[str, Any]:
    """Header without counts, and the rows of each descriptor's / resource's pages."""
    header = {
        k: v
        for k, v in database.header.find_one({}).items()
        if k != "_id" and not k.endswith("_count") and not k.startswith("count_")
    }
    events = [
        row
        for page in database.event.find({}, sort=[("first_index", 1)])
        for row in unpack_event_page(page)
    ]
    datum = [
        (page["resource"], page["datum_id"], page["datum_kwargs"])
        for page in database.datum.find({}, sort=[("first_index", 1)])
    ]
    return {"header": header, "events": events, "datum": datum}


def test_same_layout_as_suitcase(
    RE: Any, make_db: Any, layout: Any, mongomock_bulk_write: None
) -> None:
    """[fix] Our writer stores exactly what suitcase-mongo stores for the same documents."""
    documents = _record(RE, scan([det, img], motor, -1, 1, 4))
    ours = layout.catalog()._get_serializer()
    theirs_layout = Layout(layout.kind, make_db)
    theirs = theirs_layout.suitcase_callback()
    for name, doc in documents:
        ours(name, doc)
        theirs(name, doc)
    if layout.kind == "normalized":
        names = [
            ("run_start", 0),
            ("run_stop", 0),
            ("event_descriptor", 0),
            ("event", 0),
            ("resource", 1),
            ("datum", 1),
        ]
        for collection, index in names:
            assert _contents(layout.databases[index], collection) == _contents(
                theirs_layout.databases[index], collection
            ), collection
        assert not {"run_start_revisions"} & set(layout.databases[0].list_collection_names())
    else:
        mine = _embedded_contents(layout.databases[0])
        assert mine == _embedded_contents(theirs_layout.databases[0])
        header = layout.databases[0].header.find_one({})
        assert header["event_count"] == 4 and header["datum_count"] == 4


def test_resent_identical_documents_are_ignored(layout: Any) -> None:
    """[compat] A second writer resending a stored run's documents changes nothing."""
    documents: list[tuple[str, dict]] = []
    write_run(lambda name, doc: documents.append((name, doc)), "resent", 1.0, scan_id=3)
    for writer in (layout.catalog()._get_serializer(), layout.catalog()._get_serializer()):
        for name, doc in documents:
            writer(name, doc)
    cat = layout.catalog()
    assert len(cat) == 1
    run = cat["resent"]
    names = [name for name, _ in run.documents(fill="no")]
    assert names == ["start", "descriptor", "event_page", "stop"]
    events = [
        e
        for name, doc in run.documents(fill="no")
        if name == "event_page"
        for e in unpack_event_page(doc)
    ]
    assert [e["seq_num"] for e in events] == [1, 2]


def test_conflicting_duplicate_is_refused(layout: Any) -> None:
    """[compat] The same uid with different content raises DuplicateUniqueID."""
    write_run(layout.catalog()._get_serializer(), "dup", 1.0, scan_id=3)
    with pytest.raises(DuplicateUniqueID, match="dup"):
        write_run(layout.catalog()._get_serializer(), "dup", 1.0, scan_id=4)


def test_conflicting_event_is_refused(layout: Any) -> None:
    """[compat] An event uid resent with other data raises DuplicateUniqueID."""
    from event_model import compose_run

    writer = layout.catalog()._get_serializer()
    bundle = compose_run(uid="ev", time=1.0)
    writer("start", bundle.start_doc)
    desc = bundle.compose_descriptor(
        name="primary", data_keys={"x": {"dtype": "number", "shape": [], "source": "s"}}
    )
    writer("descriptor", desc.descriptor_doc)
    event = desc.compose_event(data={"x": 1.0}, timestamps={"x": 1.0})
    writer("event", event)
    writer("event", event)  # identical: ignored
    with pytest.raises(DuplicateUniqueID):
        writer("event", {**event, "data": {"x": 2.0}})
    run = layout.catalog()._store.open_run("ev")
    assert run.event_count(desc.descriptor_doc["uid"]) == 1


def test_invalid_documents(layout: Any) -> None:
    """[compat] Unknown names and missing links raise InvalidDocument."""
    writer = layout.catalog()._get_serializer()
    with pytest.raises(InvalidDocument):
        writer("bogus", {})
    with pytest.raises(InvalidDocument):
        writer("event", {"descriptor": "nope", "uid": "u", "data": {}, "timestamps": {}})
