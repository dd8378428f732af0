"""STREAM: fields (StreamResource/StreamDatum) in v1 events and tables, on every backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import event_model
import h5py
import numpy as np
import pytest

from databroker.errors import DatabrokerWarning
from tests.assemble.test_stream_datum import EXPECTED, MIME, stream_run

from .runs import insert_all


def _record(db: Any, documents: list[tuple[str, dict[str, Any]]]) -> Any:
    """Insert a run (with a stop) and return its Header."""
    start = documents[0][1]
    stop = {"uid": "stop-" + start["uid"], "run_start": start["uid"], "time": 100.0}
    insert_all(db, [*documents, ("stop", stop)])
    return db[start["uid"]]


@pytest.fixture
def header(db: Any, tmp_path: Path) -> Any:
    """A step scan: events 1-5 carry 'x'; 'img' (STREAM:) lives in two HDF5 files."""
    files = tmp_path / "h5"
    files.mkdir()
    return _record(db, stream_run(files, events=range(1, 6)))


def test_events_filled(db: Any, header: Any) -> None:
    """[new] STREAM: fields appear in v1 events with fill=True, read through their StreamDatum."""
    events = list(db.get_events(header, fill=True))
    assert [event["seq_num"] for event in events] == [1, 2, 3, 4, 5]
    for event, expected in zip(events, EXPECTED, strict=True):
        np.testing.assert_array_equal(event["data"]["img"], expected)
        assert event["timestamps"]["img"] == event["time"]
        assert event["filled"]["img"] is True
        assert event["data"]["x"] == float(event["seq_num"])


def test_events_unfilled(db: Any, header: Any) -> None:
    """[new] STREAM: fields are absent from v1 events and tables with fill=False."""
    for event in db.get_events(header):
        assert "img" not in event["data"] and "img" not in event["filled"]
    assert list(header.table().columns) == ["time", "x"]


def test_table_filled(header: Any) -> None:
    """[new] STREAM: fields are table columns of arrays with fill=True."""
    table = header.table(fill=True)
    assert list(table.columns) == ["time", "img", "x"]
    assert table.index.tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(np.stack(table["img"].tolist()), EXPECTED)
    assert table["x"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_header_data(header: Any) -> None:
    """[new] header.data('img') (fill=True by default) yields each event's STREAM: value."""
    np.testing.assert_array_equal(np.stack(list(header.data("img"))), EXPECTED)
    assert list(header.data("img", fill=False)) == []


@pytest.mark.parametrize("fields", [["img"], ["cam"], ["i.*"]])
def test_fields_select_stream_field(db: Any, header: Any, fields: list[str]) -> None:
    """[new] fields= selects a STREAM: field by regex or object name, alone."""
    events = list(db.get_events(header, fields=fields, fill=True))
    assert [list(event["data"]) for event in events] == [["img"]] * 5
    np.testing.assert_array_equal(np.stack([e["data"]["img"] for e in events]), EXPECTED)
    table = header.table(fields=fields, fill=True)
    assert list(table.columns) == ["time", "img"]


def test_unselected_stream_field_not_read(db: Any, header: Any, tmp_path: Path) -> None:
    """[new] A STREAM: field left out by fields= is not read, so its files need not exist."""
    for path in (tmp_path / "h5").iterdir():
        path.unlink()
    events = list(db.get_events(header, fields=["x"], fill=True))
    assert [event["data"] for event in events] == [{"x": float(i)} for i in range(1, 6)]
    assert list(header.table(fields=["x"], fill=True).columns) == ["time", "x"]


def test_events_are_fresh_copies(db: Any, header: Any) -> None:
    """[new] Changing a filled STREAM: value never changes what a later read returns."""
    first = next(iter(db.get_events(header, fill=True)))
    first["data"]["img"][...] = -1.0
    again = next(iter(db.get_events(header, fill=True)))
    np.testing.assert_array_equal(again["data"]["img"], EXPECTED[0])


def test_uncovered_event(db: Any, tmp_path: Path) -> None:
    """[new] An event no StreamDatum covers has no STREAM: value in events, NaN in the table."""
    header = _record(db, stream_run(tmp_path, events=range(1, 6), covered=4))
    with pytest.warns(DatabrokerWarning, match="covered by no StreamDatum"):
        events = list(db.get_events(header, fill=True))
    assert ["img" in event["data"] for event in events] == [True] * 4 + [False]
    assert "img" not in events[-1]["filled"] and "img" not in events[-1]["timestamps"]
    with pytest.warns(DatabrokerWarning, match="covered by no StreamDatum"):
        table = header.table(fill=True)
    np.testing.assert_array_equal(np.stack(table["img"].tolist()[:4]), EXPECTED[:4])
    assert np.isnan(table["img"].iloc[4]).all()


def test_fly_scan_has_no_v1_events(db: Any, tmp_path: Path) -> None:
    """[new] StreamDatum rows without events are not v1 events (read them with xarray())."""
    header = _record(db, stream_run(tmp_path))
    assert list(db.get_events(header, fill=True)) == []
    assert header.table(fill=True).empty
    np.testing.assert_array_equal(header.xarray()["img"].values, EXPECTED)


def _two_descriptor_run(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    """'primary' with two descriptors, each with its own 'img' file; seq_nums 1-2 in both."""
    run = event_model.compose_run(time=0.0)
    keys = {
        "img": {"source": "sim", "dtype": "array", "shape": [2, 2], "external": "STREAM:"},
        "x": {"source": "sim", "dtype": "number", "shape": []},
    }
    docs: list[tuple[str, dict[str, Any]]] = [("start", run.start_doc)]
    for n, offset in enumerate((0.0, 100.0)):
        desc = run.compose_descriptor(name="primary", data_keys=keys, time=1.0 + n)
        docs.append(("descriptor", desc.descriptor_doc))
        with h5py.File(tmp_path / f"{n}.h5", "w") as f:
            f["/data"] = np.arange(offset, offset + 8).reshape(2, 2, 2)
        bundle = run.compose_stream_resource(
            mimetype=MIME,
            uri=f"file://localhost{tmp_path}/{n}.h5",
            data_key="img",
            parameters={"dataset": "/data"},
        )
        docs.append(("stream_resource", bundle.stream_resource_doc))
        datum = bundle.compose_stream_datum(
            indices={"start": 0, "stop": 2},
            seq_nums={"start": 1, "stop": 3},
            descriptor=desc.descriptor_doc,
        )
        docs.append(("stream_datum", datum))
        for seq in (1, 2):
            event = desc.compose_event(
                data={"x": offset + seq}, timestamps={"x": 10.0 * n + seq}, seq_num=seq
            )
            docs.append(("event", {**event, "time": 10.0 * n + seq}))
    return docs


def test_two_descriptors(db: Any, tmp_path: Path) -> None:
    """[new] Each event gets the StreamDatum row of its own descriptor and seq_num."""
    header = _record(db, _two_descriptor_run(tmp_path))
    events = list(db.get_events(header, fill=True))
    assert [event["data"]["x"] for event in events] == [1.0, 2.0, 101.0, 102.0]
    first_values = [float(event["data"]["img"].flat[0]) for event in events]
    assert first_values == [0.0, 4.0, 100.0, 104.0]
    table = header.table(fill=True)
    assert [float(value.flat[0]) for value in table["img"]] == first_values
