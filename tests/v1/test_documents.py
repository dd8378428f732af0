"""v1 document generators: get_documents, get_events, restream/stream, process, fields=."""

from __future__ import annotations

from typing import Any

import pytest

from databroker.errors import DatabrokerWarning, InvalidQuery
from databroker.utils import ALL

from .runs import composed_run, insert_all


def _names(pairs: Any) -> list[str]:
    return [name for name, _ in pairs]


def test_get_documents_unpacks_pages(db: Any, recorded: dict[str, str]) -> None:
    """[compat] get_documents yields start, descriptors, resources, datum, events, stop unpacked."""
    names = _names(db.get_documents(db[recorded["external"]]))
    assert names[0] == "start" and names[-1] == "stop"
    assert names.count("event") == 3
    assert names.count("datum") == 3
    assert "event_page" not in names and "datum_page" not in names
    assert names.index("resource") < names.index("datum") < names.index("event")


def test_get_documents_matches_run_documents(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Events equal the unpacked pages of run.documents(fill='no'), in that order."""
    from databroker._documents.classes import unpack_event_page

    run = db.v2[recorded["scan"]]
    expected = [
        event
        for name, page in run.documents(fill="no")
        if name == "event_page"
        for event in unpack_event_page(page)
    ]
    db.prepare_hook = lambda name, doc: doc
    events = [doc for name, doc in db.get_documents(db[recorded["scan"]]) if name == "event"]
    assert [e["uid"] for e in events] == [e["uid"] for e in expected]
    assert events[0]["data"] == dict(expected[0]["data"])


def test_get_documents_fill(db: Any, recorded: dict[str, str]) -> None:
    """[compat] fill=True gives numpy arrays for external fields; fill=False datum ids."""
    header = db[recorded["external"]]
    unfilled = [d for n, d in db.get_documents(header) if n == "event"]
    filled = [d for n, d in db.get_documents(header, fill=True) if n == "event"]
    assert all(isinstance(e["data"]["img"], str) for e in unfilled)
    assert [float(e["data"]["img"][0, 0]) for e in filled] == [0.0, 1.0, 2.0]


def test_get_documents_one_stream(db: Any, recorded: dict[str, str]) -> None:
    """[compat] A specific stream_name drops descriptors and events of other streams."""
    header = db[recorded["scan"]]
    docs = list(db.get_documents(header, stream_name="baseline"))
    descriptors = [d for n, d in docs if n == "descriptor"]
    events = [d for n, d in docs if n == "event"]
    assert [d["name"] for d in descriptors] == ["baseline"]
    assert len(events) == 2
    assert {e["descriptor"] for e in events} == {descriptors[0]["uid"]}
    assert _names(docs)[0] == "start" and _names(docs)[-1] == "stop"


def test_get_documents_keeps_resources_for_one_stream(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Resources and datum are kept when a stream is selected."""
    with pytest.warns(DatabrokerWarning, match="No stream 'nothing'"):
        names = _names(db.get_documents(db[recorded["external"]], stream_name="nothing"))
    assert "resource" in names and "datum" in names
    assert "event" not in names and "descriptor" not in names


def test_missing_stop_yielded_empty(db: Any) -> None:
    """[compat] A run without stop yields ('stop', {}) last."""
    docs = composed_run()
    insert_all(db, docs[:-1])
    db.v2.force_reload()
    pairs = list(db.get_documents(db[-1]))
    insert_all(db, docs[-1:])  # finish the run so the writer closes its file
    assert pairs[-1] == ("stop", {})


def test_every_document_through_prepare_hook(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Every document of get_documents goes through prepare_hook."""
    seen = []
    db.prepare_hook = lambda name, doc: seen.append(name) or ("hooked", name)
    pairs = list(db.get_documents(db[recorded["external"]]))
    assert [doc for _, doc in pairs] == [("hooked", name) for name in seen]
    assert seen == _names(pairs)


def test_headers_iterable_in_order(db: Any, recorded: dict[str, str]) -> None:
    """[compat] headers may be an iterable of Headers; results follow header order."""
    headers = [db[recorded["internal"]], db[recorded["scan"]]]
    starts = [d["uid"] for n, d in db.get_documents(headers) if n == "start"]
    assert starts == [recorded["internal"], recorded["scan"]]


def test_fields_are_whole_key_regexes(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Each fields entry is a regular expression that must match a whole data key."""
    header = db[recorded["scan"]]
    events = list(db.get_events(header, fields=["mot.*_s.*"]))
    assert set(events[0]["data"]) == {"motor_setpoint"}
    events = list(db.get_events(header, fields=["mot.*"]))  # also the config key motor_velocity
    assert {"motor", "motor_setpoint", "motor_velocity"} <= set(events[0]["data"])
    events = list(db.get_events(header, fields=["motor"]))
    assert set(events[0]["data"]) == {"motor"}  # a data key: that key only, see below
    with pytest.warns(DatabrokerWarning, match=r"\['de'\]"):
        events = list(db.get_events(header, fields=["de"]))
    assert events == []  # 'de' matches no whole key: every event is left without data


def test_fields_keep_timestamps_and_filled(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Events keep only selected keys in data, timestamps and filled."""
    event = next(iter(db.get_events(db[recorded["scan"]], fields=["det"])))
    assert set(event["data"]) == set(event["timestamps"]) == {"det"}
    external = next(iter(db.get_events(db[recorded["external"]], fields=["img"])))
    assert set(external["filled"]) == {"img"}


def test_field_object_name_selects_its_keys(db: Any) -> None:
    """[fix] A fields entry equal to an object name selects all that object's data keys."""
    docs = composed_run(event_times=(1.0, 2.0))
    insert_all(db, docs)
    events = list(db.get_events(db[-1], fields=["dev"]))  # 'dev' is an object, not a key
    assert [e["data"]["x"] for e in events] == [0, 1]


def test_field_that_is_a_key_and_an_object(db: Any, RE: Any) -> None:
    """[fix] A name that is a data key selects that key only, though an object has the name."""
    from bluesky.plans import scan
    from ophyd.sim import det, motor1

    RE(scan([det], motor1, -1, 1, 2))
    header = db[-1]
    events = list(db.get_events(header, fields=["motor1", "motor1_setpoint"]))
    assert set(events[0]["data"]) == {"motor1", "motor1_setpoint"}
    table = header.table(fields=["motor1", "motor1_setpoint"])
    assert set(table.columns) == {"time", "motor1", "motor1_setpoint"}


def test_fields_merge_configuration_start_stop(db: Any) -> None:
    """[compat] With fields, matching configuration/start/stop keys are merged into events."""
    docs = composed_run(event_times=(1392044460.0, 1392044470.0), operator="alice")
    insert_all(db, docs)
    start, stop = docs[0][1], docs[-1][1]
    events = list(db.get_events(db[-1], fields=["x", "dev_gain", "operator", "exit_status"]))
    assert [e["data"]["x"] for e in events] == [0, 1]
    event = events[0]
    assert event["data"]["dev_gain"] == 7
    assert event["timestamps"]["dev_gain"] == start["time"]  # the configuration timestamp
    assert event["data"]["operator"] == "alice"
    assert event["timestamps"]["operator"] == start["time"]
    assert event["data"]["exit_status"] == "success"
    assert event["timestamps"]["exit_status"] == stop["time"]


def test_descriptors_pass_unchanged(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Descriptors pass unchanged when fields are given."""
    header = db[recorded["scan"]]
    full = [d for n, d in db.get_documents(header) if n == "descriptor"]
    selected = [d for n, d in db.get_documents(header, fields=["det"]) if n == "descriptor"]
    assert selected == full


def test_get_events_default_primary(db: Any, recorded: dict[str, str]) -> None:
    """[compat] get_events yields only events, of 'primary' by default; ALL for every stream."""
    header = db[recorded["scan"]]
    assert len(list(db.get_events(header))) == 3
    assert len(list(db.get_events(header, stream_name="baseline"))) == 2
    assert len(list(db.get_events(header, stream_name=ALL))) == 5


def test_restream_and_stream(db: Any, recorded: dict[str, str]) -> None:
    """[compat] restream(headers) and its alias stream(...) yield every document of every stream."""
    header = db[recorded["scan"]]
    names = _names(db.restream(header))
    assert names.count("event") == 5
    assert names == _names(db.stream(header))


def test_process(db: Any, recorded: dict[str, str]) -> None:
    """[compat] process(headers, func) calls func(name, doc) on every document."""
    seen: list[str] = []
    db.process(db[recorded["scan"]], lambda name, doc: seen.append(name))
    assert seen == _names(db.get_documents(db[recorded["scan"]]))


def test_events_are_independent_copies(db: Any) -> None:
    """[compat] Merged values are copied per event: changing one event leaves the next alone."""
    docs = composed_run(event_times=(1.0, 2.0), tags=["a"])
    insert_all(db, docs)
    db.prepare_hook = lambda name, doc: doc
    first, second = db.get_events(db[-1], fields=["x", "tags"])
    first["data"]["tags"].append("b")
    assert second["data"]["tags"] == ["a"]


@pytest.mark.parametrize("bad", ["(", "[a-"])
def test_bad_field_regex(db: Any, recorded: dict[str, str], bad: str) -> None:
    """[fix] A fields entry that is not a valid regular expression raises InvalidQuery (a
    ValueError) naming it, at the call, also for runs without descriptors."""
    header = db[recorded["scan"]]
    for read in (db.get_events, db.get_documents, header.events, header.documents):
        with pytest.raises(InvalidQuery, match="regular expression") as info:
            read(header, fields=[bad]) if read in (db.get_events, db.get_documents) else read(
                fields=[bad]
            )
        assert isinstance(info.value, ValueError)
        assert repr(bad) in str(info.value)
    docs = composed_run()
    insert_all(db, [docs[0], docs[-1]])  # a run with no descriptor
    with pytest.raises(InvalidQuery, match="regular expression"):
        db.get_events(db[-1], fields=[bad])
    with pytest.raises(InvalidQuery, match="must be a string"):
        db.get_events(header, fields=[1])


def test_unknown_field_warns_naming_keys(db: Any, recorded: dict[str, str]) -> None:
    """[fix] A fields entry naming nothing in any run warns, listing the data keys; 1.x's
    empty result stays."""
    header = db[recorded["scan"]]
    with pytest.warns(DatabrokerWarning, match=r"\['dett'\].*'det', 'motor'") as record:
        events = list(db.get_events(header, fields=["dett", "motor"]))
    assert len(record) == 1
    assert [set(event["data"]) for event in events] == [{"motor"}] * 3
    with pytest.warns(DatabrokerWarning, match=r"\['dett'\]"):
        assert list(header.data("dett")) == []


def test_fields_entry_known_in_another_run_does_not_warn(db: Any, recorded: dict[str, str]) -> None:
    """[compat] One fields list over runs of different detectors: no warning."""
    headers = [db[recorded["scan"]], db[recorded["internal"]]]
    events = list(db.get_events(headers, fields=["det", "img"]))
    assert [list(event["data"]) for event in events] == [["det"]] * 3 + [["img"]] * 2
    assert list(db.get_events(headers, stream_name=ALL, fields=["det1"]))  # baseline only


def test_unknown_stream_warns_naming_streams(db: Any, recorded: dict[str, str]) -> None:
    """[fix] A stream no (finished) run has warns, listing the streams; the result stays empty."""
    header = db[recorded["scan"]]
    with pytest.warns(DatabrokerWarning, match=r"'primry'.*\['baseline', 'primary'\]"):
        assert list(header.events("primry")) == []
    headers = [db[recorded["scan"]], db[recorded["internal"]]]
    assert len(list(db.get_events(headers, stream_name="baseline"))) == 2  # no warning


def test_live_run_missing_stream_does_not_warn(db: Any) -> None:
    """[compat] A run without stop may still write the stream: no warning, no events."""
    docs = composed_run()
    insert_all(db, docs[:1])
    assert list(db[-1].events()) == []
    insert_all(db, docs[1:])


def stream_resource_run() -> list[tuple[str, dict[str, Any]]]:
    """A run whose 'primary' stream has a StreamResource-backed field and a 'baseline' stream."""
    import event_model

    bundle = event_model.compose_run(time=100.0)
    docs: list[tuple[str, dict[str, Any]]] = [("start", bundle.start_doc)]
    key = {"source": "sim", "dtype": "array", "shape": [2, 2], "external": "STREAM:"}
    primary = bundle.compose_descriptor(
        name="primary",
        data_keys={"img": key, "x": {"source": "sim", "dtype": "number", "shape": []}},
        time=101.0,
    )
    baseline = bundle.compose_descriptor(
        name="baseline",
        data_keys={"y": {"source": "sim", "dtype": "number", "shape": []}},
        time=102.0,
    )
    docs += [("descriptor", primary.descriptor_doc), ("descriptor", baseline.descriptor_doc)]
    resource = bundle.compose_stream_resource(
        mimetype="application/x-hdf5",
        uri="file://localhost/nowhere/x.h5",
        data_key="img",
        parameters={"dataset": "/data"},
    )
    docs.append(("stream_resource", resource.stream_resource_doc))
    datum = resource.compose_stream_datum(
        indices={"start": 0, "stop": 1},
        seq_nums={"start": 1, "stop": 2},
        descriptor=primary.descriptor_doc,
    )
    docs.append(("stream_datum", datum))
    docs.append(
        ("event", primary.compose_event(data={"x": 1.0}, timestamps={"x": 110.0}, time=110.0))
    )
    docs.append(
        ("event", baseline.compose_event(data={"y": 2.0}, timestamps={"y": 111.0}, time=111.0))
    )
    docs.append(("stop", bundle.compose_stop(time=120.0)))
    return docs


def test_stream_resources_follow_their_stream(db: Any) -> None:
    """[new] With a stream_name, stream_resource/stream_datum of other streams are left out."""
    insert_all(db, stream_resource_run())
    header = db[-1]
    primary = _names(db.get_documents(header, stream_name="primary"))
    baseline = _names(db.get_documents(header, stream_name="baseline"))
    assert "stream_resource" in primary and "stream_datum" in primary
    assert "stream_resource" not in baseline and "stream_datum" not in baseline
    assert baseline.count("event") == primary.count("event") == 1
    table = header.table()
    assert list(table.columns) == ["time", "x"]  # STREAM: fields need fill=True
