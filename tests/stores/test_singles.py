"""Runs written one event per document (as a RunEngine writes them) in the file backends."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import event_model
import numpy as np
import pytest
import suitcase.jsonl
import suitcase.msgpack

from databroker._drivers.jsonl import BlueskyJSONLCatalog
from databroker._drivers.msgpack import BlueskyMsgpackCatalog
from databroker._stores.files import jsonl_format, msgpack_format
from databroker._stores.run_documents import RunDocuments
from databroker.errors import (
    CorruptFileError,
    DuplicateUniqueID,
    InvalidDocument,
    MalformedRecord,
)

CATALOGS = {"msgpack": BlueskyMsgpackCatalog, "jsonl": BlueskyJSONLCatalog}
SERIALIZERS = {"msgpack": suitcase.msgpack.Serializer, "jsonl": suitcase.jsonl.Serializer}
KEYS = {
    "x": {"dtype": "number", "shape": [], "source": "sim"},
    "n": {"dtype": "integer", "shape": [], "source": "sim"},
    "s": {"dtype": "string", "shape": [], "source": "sim"},
    "v": {"dtype": "array", "shape": [3], "source": "sim"},
}


def _events(stream: Any, count: int) -> list[dict[str, Any]]:
    return [
        dict(
            stream.compose_event(
                data={"x": i / 2, "n": i, "s": f"s{i}", "v": [i, i + 1, i + 2]},
                timestamps=dict.fromkeys(KEYS, 100.0 + i),
                seq_num=i,
                time=100.0 + i,
                validate=False,
            )
        )
        for i in range(1, count + 1)
    ]


def _write(
    directory: Path,
    file_format: str,
    count: int = 5,
    *,
    as_pages: bool = False,
    twice: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """Write a run with suitcase, one event per document; return its uid and the events."""
    serializer = SERIALIZERS[file_format](str(directory))
    run = event_model.compose_run()
    serializer("start", run.start_doc)
    stream = run.compose_descriptor(name="primary", data_keys=KEYS)
    serializer("descriptor", stream.descriptor_doc)
    events = _events(stream, count)
    for event in events:
        for _ in range(2 if twice else 1):
            if as_pages:
                serializer("event_page", event_model.pack_event_page(event))
            else:
                serializer("event", event)
    serializer("stop", run.compose_stop())
    serializer.close()
    return str(run.start_doc["uid"]), events


def _catalog(directory: Path, file_format: str) -> Any:
    return CATALOGS[file_format](str(directory / f"*.{file_format}"))


@pytest.fixture(params=[("msgpack", False), ("jsonl", False), ("jsonl", True)])
def written(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Any, str, list[Any]]:
    """A suitcase-written run: msgpack one-event pages, JSONL events, JSONL one-event pages."""
    file_format, as_pages = request.param
    uid, events = _write(tmp_path, file_format, as_pages=as_pages)
    return _catalog(tmp_path, file_format), uid, events


def test_single_events_read_as_columns_of_their_own_types(written: Any) -> None:
    """[new] Single events read as the columns a page would give: floats, ints, strings, arrays."""
    catalog, uid, events = written
    dataset = catalog[uid].primary.read()
    assert dataset["x"].dtype == np.float64 and list(dataset["x"]) == [
        e["data"]["x"] for e in events
    ]
    assert dataset["n"].dtype == np.int64 and list(dataset["n"]) == [1, 2, 3, 4, 5]
    assert list(dataset["s"].values) == ["s1", "s2", "s3", "s4", "s5"]
    assert dataset["v"].shape == (5, 3) and dataset["v"].values[4].tolist() == [5, 6, 7]
    assert list(dataset["time"].values) == [e["time"] for e in events]
    assert dataset["x"].equals(catalog[uid].primary.to_dask()["x"].compute())


def test_documents_give_every_single_event_once_in_pages(written: Any) -> None:
    """[new] documents() gives the events of single documents as pages, each row once."""
    catalog, uid, events = written
    pages = [doc for name, doc in catalog[uid].documents(fill="no") if name == "event_page"]
    rows = [event for page in pages for event in event_model.unpack_event_page(page)]
    assert [row["uid"] for row in rows] == [e["uid"] for e in events]
    assert [row["data"]["s"] for row in rows] == ["s1", "s2", "s3", "s4", "s5"]
    assert [float(row["data"]["x"]) for row in rows] == [e["data"]["x"] for e in events]


def test_opening_a_run_and_listing_its_streams_decode_no_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[new] catalog[-1], .metadata and the stream names never decode the run's events."""

    def refuse(self: Any, doc: Any) -> None:
        raise AssertionError("an event was decoded")

    for file_format in CATALOGS:
        directory = tmp_path / file_format
        _write(directory, file_format, count=50)
        with monkeypatch.context() as patched:
            patched.setattr(RunDocuments, "_add_event", refuse)
            patched.setattr(RunDocuments, "_add_event_page", refuse)
            run = _catalog(directory, file_format)[-1]
            assert run.metadata["stop"]["exit_status"] == "success"
            assert list(run) == ["primary"]
            assert "x" in run.primary.metadata["descriptors"][0]["data_keys"]
        assert _catalog(directory, file_format)[-1].primary.read()["x"].shape == (50,)


@pytest.mark.parametrize("file_format", sorted(CATALOGS))
def test_a_stream_declared_after_events_is_listed(tmp_path: Path, file_format: str) -> None:
    """[new] A descriptor written among the events (a new stream mid-run) is listed."""
    serializer = SERIALIZERS[file_format](str(tmp_path))
    run = event_model.compose_run()
    serializer("start", run.start_doc)
    primary = run.compose_descriptor(name="primary", data_keys=KEYS)
    serializer("descriptor", primary.descriptor_doc)
    for event in _events(primary, 3):
        serializer("event", event)
    late = run.compose_descriptor(
        name="late", data_keys={"y": {"dtype": "number", "shape": [], "source": "sim"}}
    )
    serializer("descriptor", late.descriptor_doc)
    serializer("event", late.compose_event(data={"y": 1.0}, timestamps={"y": 1.0}, seq_num=1))
    serializer("stop", run.compose_stop())
    serializer.close()
    run_ = _catalog(tmp_path, file_format)[-1]
    assert list(run_) == ["primary", "late"]
    assert list(run_.late.read()["y"]) == [1.0]


@pytest.mark.parametrize("file_format", sorted(CATALOGS))
def test_streams_of_a_growing_file_follow_it(tmp_path: Path, file_format: str) -> None:
    """[new] A run being written: a stream declared after the first look is listed next time."""
    path = tmp_path / f"run.{file_format}"
    encode = msgpack_format.packb if file_format == "msgpack" else jsonl_format.dumps_line
    run = event_model.compose_run()
    primary = run.compose_descriptor(name="primary", data_keys=KEYS)
    with open(path, "wb") as file:
        file.write(encode("start", run.start_doc))
        file.write(encode("descriptor", primary.descriptor_doc))
    catalog = _catalog(tmp_path, file_format)
    opened = catalog[-1]
    assert list(opened) == ["primary"]
    baseline = run.compose_descriptor(name="baseline", data_keys=KEYS)
    with open(path, "ab") as file:
        file.write(encode("descriptor", baseline.descriptor_doc))
        for event in _events(primary, 2):
            file.write(encode("event", event))
    opened.force_reload()
    assert list(opened) == ["primary", "baseline"]
    assert list(opened.primary.read()["n"]) == [1, 2]


@pytest.mark.parametrize("file_format", sorted(CATALOGS))
def test_events_written_twice_are_read_once(tmp_path: Path, file_format: str) -> None:
    """[fix] Every event sent twice (identical) gives each row once, single documents or pages."""
    for as_pages in (False, True):
        directory = tmp_path / str(as_pages)
        uid, _ = _write(directory, file_format, count=40, as_pages=as_pages, twice=True)
        dataset = _catalog(directory, file_format)[uid].primary.read()
        assert list(dataset["n"]) == list(range(1, 41))


def test_an_event_resent_with_other_data_raises_duplicate_unique_id(tmp_path: Path) -> None:
    """[compat] The same event uid with different data raises DuplicateUniqueID naming it."""
    uid, _ = _write(tmp_path, "jsonl", count=3)
    path = next(tmp_path.glob("*.jsonl"))
    lines = path.read_text().splitlines(keepends=True)
    changed = json.loads(lines[3])
    changed[1]["data"]["x"] = -1.0
    lines.insert(-1, json.dumps(changed) + "\n")
    path.write_text("".join(lines))
    with pytest.raises(DuplicateUniqueID, match=changed[1]["uid"]):
        _catalog(tmp_path, "jsonl")[uid].primary.read()


def test_identical_duplicates_are_compared_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """[fix] A resent event is compared with its own row, never by unpacking its whole page
    (which made a run of events each written twice quadratic)."""
    from databroker._documents import classes

    run = event_model.compose_run()
    stream = run.compose_descriptor(name="primary", data_keys=KEYS)
    documents = RunDocuments()
    documents.add("start", run.start_doc)
    documents.add("descriptor", stream.descriptor_doc)
    events = _events(stream, 200)
    documents.add("event_page", event_model.pack_event_page(*events[:100]))
    for event in events[100:]:
        documents.add("event", event)
    unpacked: list[int] = []
    original = classes.unpack_event_page

    def counted(page: Any) -> Any:
        unpacked.append(len(page["uid"]))
        return original(page)

    monkeypatch.setattr(classes, "unpack_event_page", counted)
    for event in events:
        documents.add("event", event)
    documents.add("event_page", event_model.pack_event_page(*events[50:150]))
    assert unpacked == [100]  # only the resent page itself, to compare its rows
    assert documents.event_count(stream.descriptor_doc["uid"]) == 200


def test_an_identical_event_with_nan_sent_twice_is_one_event() -> None:
    """[fix] An event holding NaN, resent identically, is a duplicate, not a conflict."""
    run = event_model.compose_run()
    stream = run.compose_descriptor(name="primary", data_keys=KEYS)
    event = _events(stream, 1)[0]
    event["data"]["x"] = float("nan")
    documents = RunDocuments()
    documents.add("event", event)
    documents.add("event", json.loads(json.dumps(event)))
    assert documents.event_count(stream.descriptor_doc["uid"]) == 1


def test_a_malformed_one_event_page_is_refused() -> None:
    """[fix] A one-uid page whose columns are not one value long raises InvalidDocument naming
    the column (issue 12: it used to be stored as it came and fail later, deep in a read)."""
    documents = RunDocuments()
    page = {
        "descriptor": "d",
        "uid": ["u"],
        "seq_num": [1],
        "time": [1.0],
        "data": {"x": [1.0, 2.0]},
        "timestamps": {"x": [1.0, 2.0]},
        "filled": {},
    }
    with pytest.raises(InvalidDocument, match=r"data\['x'\] has 2 values for 1 rows"):
        documents.add("event_page", page)
    assert list(documents.event_pages("d")) == []


def test_pages_handed_out_do_not_change_when_more_events_arrive() -> None:
    """[new] A page read while single events arrive stays as it was; new events come after."""
    run = event_model.compose_run()
    stream = run.compose_descriptor(name="primary", data_keys=KEYS)
    events = _events(stream, 4)
    documents = RunDocuments()
    documents.add("event", events[0])
    documents.add("event", events[1])
    (first,) = documents.event_pages(stream.descriptor_doc["uid"])
    documents.add("event", events[2])
    documents.add("event", events[3])
    assert len(first["uid"]) == 2
    pages = list(documents.event_pages(stream.descriptor_doc["uid"]))
    assert [len(page["uid"]) for page in pages] == [2, 2]


@pytest.mark.parametrize("file_format", sorted(CATALOGS))
def test_the_garbage_collector_is_restored_after_a_failed_decode(
    tmp_path: Path, file_format: str
) -> None:
    """[new] Decoding pauses the garbage collector and restores it, also when it fails."""
    uid, _ = _write(tmp_path, file_format, count=3)
    path = next(tmp_path.glob(f"*.{file_format}"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\xc1garbage\n" + data[len(data) // 2 :])
    catalog = _catalog(tmp_path, file_format)
    assert gc.isenabled()
    with pytest.raises(CorruptFileError):
        catalog[uid].primary.read()
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(CorruptFileError):
            _catalog(tmp_path, file_format)[uid].primary.read()
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_a_malformed_page_among_many_names_its_own_record(tmp_path: Path) -> None:
    """A damaged one-event page deep in a msgpack file of single events is reported at its
    own byte offset, with the events before it kept, even though pages are added in batches
    [new]."""
    import msgpack

    directory = tmp_path / "runs"
    _write(directory, "msgpack", 300)
    (path,) = directory.glob("*.msgpack")
    with open(path, "rb") as file:
        records = list(msgpack.Unpacker(file, raw=False, strict_map_key=False))
    pages = [i for i, (name, _) in enumerate(records) if name == "event_page"]
    bad = pages[200]
    records[bad][1]["data"] = {key: "spoiled" for key in records[bad][1]["data"]}
    encoded = [msgpack.packb(record, use_bin_type=True) for record in records]
    path.write_bytes(b"".join(encoded))
    offset = sum(map(len, encoded[:bad]))
    run = _catalog(directory, "msgpack")[-1]
    with pytest.raises(MalformedRecord, match=f"byte offset {offset}[^0-9]"):
        run.primary.read()
