"""The v1 Header: documents, dict-like access, equality, summaries and data accessors."""

from __future__ import annotations

from typing import Any

import pytest

from databroker.utils import ALL
from databroker.v1 import Header

from .runs import composed_run, insert_all


def test_start_stop_uid_db(db: Any, recorded: dict[str, str]) -> None:
    """[compat] start/stop are the run's documents; uid is the start uid; db is the Broker."""
    header = db[recorded["scan"]]
    assert header.start["uid"] == header.uid == recorded["scan"]
    assert header.start["sample"] == "Si"
    assert header.stop["exit_status"] == "success"
    assert header.stop["run_start"] == header.uid
    assert header.db is db


def test_stop_empty_while_live_and_looked_up_again(db: Any) -> None:
    """[compat] stop is {} while the run has no stop, and is looked up again on each access."""
    docs = composed_run()
    with pytest.warns(PendingDeprecationWarning):
        for name, doc in docs[:-1]:
            db.insert(name, doc)
    db.v2.force_reload()
    header = db[-1]
    assert header.stop == {}
    with pytest.warns(PendingDeprecationWarning):
        db.insert(*docs[-1])
    assert header.stop["uid"] == docs[-1][1]["uid"]


def test_descriptors_newest_first(db: Any, recorded: dict[str, str]) -> None:
    """[compat] descriptors lists every stream's descriptors, sorted by time descending."""
    header = db[recorded["scan"]]
    descriptors = header.descriptors
    assert {d["name"] for d in descriptors} == {"primary", "baseline"}
    times = [d["time"] for d in descriptors]
    assert times == sorted(times, reverse=True)


def test_stream_names_deterministic(db: Any, recorded: dict[str, str]) -> None:
    """[fix] stream_names is a list in the deterministic stream order (1.x used set order)."""
    header = db[recorded["scan"]]
    assert isinstance(header.stream_names, list)
    # baseline's first descriptor is emitted before the primary one by baseline_wrapper.
    assert header.stream_names == ["baseline", "primary"]
    assert header.stream_names == db[recorded["scan"]].stream_names


def test_dict_like(db: Any, recorded: dict[str, str]) -> None:
    """[compat] keys() are start, descriptors, stop, ext; values/items/[]/get/iter follow."""
    header = db[recorded["scan"]]
    assert header.keys() == ["start", "descriptors", "stop", "ext"]
    assert list(header) == header.keys()
    assert header["start"] == header.start
    assert header["stop"] == header.stop
    assert header.values()[0] == header.start
    assert [k for k, _ in header.items()] == header.keys()
    assert header.get("nope", 5) == 5
    with pytest.raises(KeyError):
        header["nope"]


def test_equality(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Headers are equal when their start documents are; a non-Header is never equal."""
    assert db[recorded["scan"]] == db[1]
    assert db[recorded["scan"]] != db[recorded["external"]]
    assert db[recorded["scan"]] != dict(db[recorded["scan"]].start)
    assert db[recorded["scan"]] != 1


def test_header_from_run(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Header(run) wraps a BlueskyRun; its Broker is the catalog's v1."""
    header = Header(db.v2[recorded["scan"]])
    assert header.uid == recorded["scan"]
    assert header.db is db


def test_repr_html(db: Any, recorded: dict[str, str]) -> None:
    """[compat] _repr_html_ is an HTML table summarising start and stop."""
    text = db[recorded["scan"]]._repr_html_()
    assert text.startswith("<table>")
    assert recorded["scan"] in text
    assert "exit_status" in text


def test_fields_and_devices(db: Any, recorded: dict[str, str]) -> None:
    """[compat] fields() and devices() are sets of data keys and object names, per stream."""
    header = db[recorded["scan"]]
    assert header.fields() == {"det", "motor", "motor_setpoint", "det1"}
    assert header.fields("baseline") == {"det1"}
    assert header.fields(stream_name=ALL) == header.fields()
    assert header.devices() == {"det", "motor", "det1"}
    assert header.devices("primary") == {"det", "motor"}


def test_config_data(db: Any, recorded: dict[str, str]) -> None:
    """[compat] config_data(device): {stream: [device config per descriptor]}."""
    header = db[recorded["scan"]]
    config = header.config_data("det")
    assert list(config) == ["primary"]
    assert config["primary"][0]["det_Imax"] == 1
    assert sorted(header.config_data("det1")) == ["baseline"]
    assert header.config_data("nothing") == {}


def test_config_data_one_entry_per_descriptor_by_time(db: Any) -> None:
    """[compat] config_data lists the device configuration of each descriptor, by time."""
    import event_model

    bundle = event_model.compose_run(time=100.0)
    docs: list[tuple[str, dict[str, Any]]] = [("start", bundle.start_doc)]
    key = {"x": {"source": "sim", "dtype": "number", "shape": []}}
    for gain, t in [(2, 102.0), (1, 101.0)]:  # written newest first
        configuration = {"dev": {"data": {"gain": gain}, "timestamps": {"gain": t}}}
        descriptor = bundle.compose_descriptor(
            name="primary", data_keys=key, configuration=configuration, time=t, validate=False
        )
        docs.append(("descriptor", descriptor.descriptor_doc))
        event = descriptor.compose_event(data={"x": 1.0}, timestamps={"x": t}, time=t + 10)
        docs.append(("event", event))
    docs.append(("stop", bundle.compose_stop(time=200.0)))
    insert_all(db, docs)
    assert db[-1].config_data("dev") == {"primary": [{"gain": 1}, {"gain": 2}]}


def test_data(db: Any, recorded: dict[str, str]) -> None:
    """[compat] data(field) yields event['data'][field] of each event (filled by default)."""
    header = db[recorded["scan"]]
    assert list(header.data("motor")) == [1.0, 2.0, 3.0]
    assert list(header.data("det1", stream_name="baseline")) == [5.0, 5.0]
    frames = list(db[recorded["external"]].data("img"))
    assert [float(frame[0, 0]) for frame in frames] == [0.0, 1.0, 2.0]
    ids = list(db[recorded["external"]].data("img", fill=False))
    assert all(isinstance(i, str) for i in ids)


def test_events_and_documents_delegate(db: Any, recorded: dict[str, str]) -> None:
    """[compat] events() is db.get_events(header); documents() is db.get_documents(header)."""
    header = db[recorded["scan"]]
    assert [e["seq_num"] for e in header.events()] == [1, 2, 3]
    names = [name for name, _ in header.documents()]
    assert names[0] == "start" and names[-1] == "stop"
    assert names == [name for name, _ in db.get_documents(header)]


def test_stream_is_deprecated_alias(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Header.stream() is a deprecated alias of documents() (UserWarning)."""
    header = db[recorded["scan"]]
    with pytest.warns(UserWarning, match="deprecated"):
        names = [name for name, _ in header.stream()]
    assert names == [name for name, _ in header.documents()]


def test_table_delegates(db: Any, recorded: dict[str, str]) -> None:
    """[compat] table(...) is db.get_table(header, ...)."""
    header = db[recorded["scan"]]
    assert header.table().equals(db.get_table(header))
    assert header.table("baseline", convert_times=False, localize_times=False).equals(
        db.get_table(header, "baseline", convert_times=False, localize_times=False)
    )


def test_xarray(db: Any, recorded: dict[str, str]) -> None:
    """[compat] xarray()/xarray_dask() are run[stream].read()/to_dask()."""
    header = db[recorded["scan"]]
    dataset = header.xarray()
    assert list(dataset["motor"].values) == [1.0, 2.0, 3.0]
    lazy = header.xarray_dask("baseline")
    assert list(lazy["det1"].values) == [5.0, 5.0]
