"""Tests of the JSONL and msgpack run-file writers."""

import json
import uuid

import event_model
import msgpack
import msgpack_numpy
import numpy as np
import pytest
import suitcase.jsonl
import suitcase.msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databroker._stores.files import jsonl_format, msgpack_format
from databroker._stores.files import writers as file_writers
from databroker._stores.files.writers import JSONLWriter, MsgpackWriter
from databroker.errors import DuplicateUniqueID, InvalidDocument

FORMATS = {
    "jsonl": (JSONLWriter, jsonl_format, ".jsonl"),
    "msgpack": (MsgpackWriter, msgpack_format, ".msgpack"),
}


def _documents(uid=None):
    """A run with a baseline-like single event, an external image, pages and numpy values."""
    run = event_model.compose_run(uid=uid, metadata={"plan_name": "scan", "arr": [1, 2]})
    yield "start", run.start_doc
    data_keys = {
        "x": {"dtype": "number", "shape": [], "source": "sim"},
        "img": {"dtype": "array", "shape": [2, 2], "source": "sim", "external": "FILESTORE:"},
    }
    primary = run.compose_descriptor(name="primary", data_keys=data_keys)
    yield "descriptor", primary.descriptor_doc
    resource = run.compose_resource(
        spec="NPY_SEQ", root="/tmp", resource_path="img.npy", resource_kwargs={"n": 2}
    )
    yield "resource", resource.resource_doc
    for i in range(1, 3):
        datum = resource.compose_datum(datum_kwargs={"index": i})
        yield "datum", datum
        event = primary.compose_event(
            data={"x": np.float64(i), "img": datum["datum_id"]},
            timestamps={"x": 1.0 * i, "img": 1.0 * i},
            filled={"img": False},
            seq_num=i,
            validate=False,
        )
        yield "event", event
    datum_page = resource.compose_datum_page(datum_kwargs={"index": [3, 4]})
    yield "datum_page", datum_page
    page = primary.compose_event_page(
        data={"x": np.array([3.0, 4.0]), "img": datum_page["datum_id"]},
        timestamps={"x": [3.0, 4.0], "img": [3.0, 4.0]},
        filled={"img": [False, False]},
        seq_num=[3, 4],
        validate=False,
    )
    yield "event_page", page
    yield "stop", run.compose_stop()


def _plain(value):
    """Numpy values as lists/scalars, so documents from either format compare equal."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    return value


def _read(module, path):
    return [(name, doc) for _, name, doc in module.iter_documents(path)]


def test_jsonl_writer_is_byte_identical_to_suitcase(tmp_path):
    """[compat] JSONLWriter writes the same bytes as suitcase-jsonl; each reads the other."""
    documents = list(_documents())
    uid = documents[0][1]["uid"]
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    with JSONLWriter(ours_dir) as writer:
        for name, doc in documents:
            writer(name, doc)
    with suitcase.jsonl.Serializer(str(theirs_dir)) as serializer:
        for name, doc in documents:
            serializer(name, doc)
    ours = (ours_dir / f"{uid}.jsonl").read_bytes()
    assert ours == (theirs_dir / f"{uid}.jsonl").read_bytes()
    assert [name for name, _ in _read(jsonl_format, ours_dir / f"{uid}.jsonl")] == [
        name for name, _ in documents
    ]
    assert _read(jsonl_format, theirs_dir / f"{uid}.jsonl") == [
        (name, _plain(doc)) for name, doc in documents
    ]


def test_msgpack_writer_matches_suitcase(tmp_path):
    """[compat] MsgpackWriter stores what suitcase-msgpack stores; each side reads the other."""
    documents = list(_documents())
    uid = documents[0][1]["uid"]
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    with MsgpackWriter(ours_dir) as writer:
        for name, doc in documents:
            writer(name, doc)
    with suitcase.msgpack.Serializer(str(theirs_dir)) as serializer:
        for name, doc in documents:
            serializer(name, doc)
    ours = _read(msgpack_format, ours_dir / f"{uid}.msgpack")
    theirs = _read(msgpack_format, theirs_dir / f"{uid}.msgpack")
    assert [name for name, _ in ours] == [
        "start",
        "descriptor",
        "resource",
        "datum_page",
        "event_page",
        "datum_page",
        "event_page",
        "datum_page",
        "event_page",
        "stop",
    ]
    assert [(name, _plain(doc)) for name, doc in ours] == [
        (name, _plain(doc)) for name, doc in theirs
    ]
    # msgpack-numpy (what suitcase and databroker 1.x read with) decodes our file.
    raw = (ours_dir / f"{uid}.msgpack").read_bytes()
    unpacker = msgpack.Unpacker(raw=False, object_hook=msgpack_numpy.decode)
    unpacker.feed(raw)
    decoded = list(unpacker)
    assert [(name, _plain(doc)) for name, doc in decoded] == [
        (name, _plain(doc)) for name, doc in theirs
    ]
    page = decoded[-2][1]
    assert isinstance(page["data"]["x"], np.ndarray)


def test_msgpack_writer_pages_of_one(tmp_path):
    """[compat] event and datum are written as pages of one; pages as received."""
    documents = list(_documents())
    by_name = {}
    for name, doc in documents:
        by_name.setdefault(name, doc)
    with MsgpackWriter(tmp_path) as writer:
        for name, doc in documents:
            writer(name, doc)
    stored = _read(msgpack_format, tmp_path / f"{documents[0][1]['uid']}.msgpack")
    first_event_page = next(doc for name, doc in stored if name == "event_page")
    event = by_name["event"]
    assert first_event_page["uid"] == [event["uid"]]
    assert first_event_page["seq_num"] == [1]
    assert first_event_page["filled"] == {"img": [False]}
    first_datum_page = next(doc for name, doc in stored if name == "datum_page")
    assert first_datum_page["datum_id"] == [by_name["datum"]["datum_id"]]
    assert first_datum_page["datum_kwargs"] == {"index": [1]}
    last_page = [doc for name, doc in stored if name == "event_page"][-1]
    np.testing.assert_array_equal(last_page["data"]["x"], [3.0, 4.0])


@pytest.mark.parametrize("fmt", FORMATS)
def test_interleaved_runs_and_shared_resource(tmp_path, fmt):
    """[compat] Interleaved runs go to their own files; a resource lacking run_start to both."""
    writer_class, module, suffix = FORMATS[fmt]
    one, two = list(_documents("run-one")), list(_documents("run-two"))
    old_resource = {"uid": "old", "spec": "X", "root": "", "resource_path": "p"}
    old_resource["resource_kwargs"] = {}
    with writer_class(tmp_path) as writer:
        writer(*one[0])
        writer(*two[0])
        writer("resource", old_resource)
        for a, b in zip(one[1:], two[1:], strict=True):
            writer(*a)
            writer(*b)
    for uid, documents in (("run-one", one), ("run-two", two)):
        stored = _read(module, tmp_path / f"{uid}{suffix}")
        assert stored[0] == ("start", _plain(documents[0][1]))
        assert ("resource", old_resource) in stored
        assert stored[-1] == ("stop", _plain(documents[-1][1]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_resource_and_stream_datum(tmp_path, fmt):
    """[new] stream_resource and stream_datum are written as received."""
    writer_class, module, suffix = FORMATS[fmt]
    run = event_model.compose_run(uid="sr-run")
    descriptor = run.compose_descriptor(
        name="primary",
        data_keys={"det": {"dtype": "array", "shape": [2], "source": "s", "external": "STREAM:"}},
    )
    stream_resource = run.compose_stream_resource(
        mimetype="application/x-hdf5", uri="file://localhost/d.h5", data_key="det", parameters={}
    )
    stream_datum = stream_resource.compose_stream_datum(
        indices={"start": 0, "stop": 2},
        seq_nums={"start": 1, "stop": 3},
        descriptor=descriptor.descriptor_doc,
    )
    documents = [
        ("start", run.start_doc),
        ("descriptor", descriptor.descriptor_doc),
        ("stream_resource", stream_resource.stream_resource_doc),
        ("stream_datum", stream_datum),
        ("stop", run.compose_stop()),
    ]
    with writer_class(tmp_path) as writer:
        for name, doc in documents:
            writer(name, doc)
    assert _read(module, tmp_path / f"sr-run{suffix}") == [
        (name, _plain(doc)) for name, doc in documents
    ]


class _WriteSpy:
    """Wrap a file and record every write() call and the size on disk after each flush."""

    def __init__(self, file, calls):
        self._file, self._calls = file, calls

    def write(self, data):
        self._calls.append(bytes(data))
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_write_and_flush_per_document(tmp_path, monkeypatch, fmt):
    """[compat] Each document is one write() of a whole record, on disk before the next."""
    writer_class, module, suffix = FORMATS[fmt]
    calls = []
    real_open = open

    def spy_open(*args):
        return _WriteSpy(real_open(*args), calls)

    monkeypatch.setattr(file_writers, "open", spy_open, raising=False)
    documents = list(_documents("crash-safe"))
    path = tmp_path / f"crash-safe{suffix}"
    writer = writer_class(tmp_path)
    for count, (name, doc) in enumerate(documents, start=1):
        writer(name, doc)
        assert len(calls) == count
        assert path.stat().st_size == sum(map(len, calls))
        assert len(_read(module, path)) == count
    # A crash in the middle of the next record leaves the earlier documents readable.
    with open(path, "ab") as file:
        file.write(calls[1][: len(calls[1]) // 2])
    with pytest.warns(Warning, match="not yet written"):
        assert len(_read(module, path)) == len(documents)


@pytest.mark.parametrize("fmt", FORMATS)
def test_existing_file_is_a_duplicate(tmp_path, fmt):
    """[compat] A run whose file exists raises DuplicateUniqueID; the file is left alone."""
    writer_class, _, suffix = FORMATS[fmt]
    (tmp_path / f"dup{suffix}").write_bytes(b"precious")
    writer = writer_class(tmp_path)
    start = {"uid": "dup", "time": 0}
    with pytest.raises(DuplicateUniqueID, match="dup"):
        writer("start", start)
    assert (tmp_path / f"dup{suffix}").read_bytes() == b"precious"
    (tmp_path / f"dup{suffix}").unlink()
    writer("start", start)
    writer.close()
    assert (tmp_path / f"dup{suffix}").stat().st_size > 0


_EVENT = {"uid": "e", "seq_num": 1, "time": 0, "data": {"x": 1}, "timestamps": {"x": 0}}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("name", "doc", "match"),
    [
        ("descriptor", {"uid": "d", "data_keys": {}}, "run_start"),
        ("event", {**_EVENT, "descriptor": "nope"}, "nope"),
        ("event", _EVENT, "descriptor"),
        ("datum", {"datum_id": "r/0", "resource": "nope", "datum_kwargs": {}}, "nope"),
        ("bulk_events", {}, "bulk_events"),
        ("weird", {}, "weird"),
    ],
)
def test_invalid_documents_are_refused(tmp_path, fmt, name, doc, match):
    """[new] Missing or unknown links and unknown names raise InvalidDocument, writing nothing."""
    writer_class, _, suffix = FORMATS[fmt]
    with writer_class(tmp_path) as writer:
        writer("start", {"uid": "r", "time": 0})
        size = (tmp_path / f"r{suffix}").stat().st_size
        with pytest.raises(InvalidDocument, match=match):
            writer(name, doc)
        assert (tmp_path / f"r{suffix}").stat().st_size == size


@pytest.mark.parametrize("fmt", FORMATS)
def test_document_after_stop(tmp_path, fmt):
    """[new] A document after its run's stop raises InvalidDocument; the file is closed."""
    writer_class, _, _ = FORMATS[fmt]
    documents = list(_documents("done"))
    writer = writer_class(tmp_path)
    for name, doc in documents:
        writer(name, doc)
    assert writer._files == {}
    with pytest.raises(InvalidDocument, match="after the stop"):
        writer("descriptor", {**documents[1][1], "uid": "late"})
    with pytest.raises(InvalidDocument):
        writer("event", documents[4][1])


@pytest.mark.parametrize("fmt", FORMATS)
def test_close_and_context_manager(tmp_path, fmt):
    """[compat] close() closes open files (idempotent); their runs take no more documents."""
    writer_class, module, suffix = FORMATS[fmt]
    with writer_class(tmp_path) as writer:
        writer("start", {"uid": "open", "time": 0})
        file = writer._files["open"]
    assert file.closed
    writer.close()
    with pytest.raises(InvalidDocument, match="open"):
        writer("stop", {"uid": "s", "run_start": "open", "time": 1, "exit_status": "success"})
    assert _read(module, tmp_path / f"open{suffix}") == [("start", {"uid": "open", "time": 0})]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unencodable_value_changes_nothing(tmp_path, fmt):
    """[compat] A value the format cannot hold raises TypeError before any state changes."""
    writer_class, _, suffix = FORMATS[fmt]
    writer = writer_class(tmp_path)
    with pytest.raises(TypeError, match="object"):
        writer("start", {"uid": "bad", "time": 0, "x": object()})
    assert not (tmp_path / f"bad{suffix}").exists()
    writer("start", {"uid": "bad", "time": 0})
    writer.close()


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(metadata=st.dictionaries(st.text(), _json_values, max_size=6))
def test_round_trip(tmp_path, fmt, metadata):
    """[compat] Any JSON-able start metadata written by a writer reads back equal."""
    writer_class, module, suffix = FORMATS[fmt]
    uid = str(uuid.uuid4())
    start = {**metadata, "uid": uid, "time": 1.5}
    stop = {"uid": uid + "-stop", "run_start": uid, "time": 2.0, "exit_status": "success"}
    with writer_class(tmp_path) as writer:
        writer("start", start)
        writer("stop", stop)
    assert _read(module, tmp_path / f"{uid}{suffix}") == [("start", start), ("stop", stop)]
    # The JSONL line is what the json module would write for the same pair.
    if fmt == "jsonl":
        lines = (tmp_path / f"{uid}{suffix}").read_bytes().splitlines()
        assert json.loads(lines[0]) == ["start", start]


@pytest.mark.parametrize("fmt", [JSONLWriter, MsgpackWriter])
@pytest.mark.parametrize("uid", ["../escape", "a/b", "a\\b", "..", "", "bad\x00uid", "new\nline"])
def test_a_start_uid_that_is_no_plain_file_name_is_refused(tmp_path, fmt, uid):
    """[fix] A start uid holding a path separator, NUL or control character (or only dots)
    is refused with InvalidDocument; no file is written anywhere, not outside the directory."""
    directory = tmp_path / "runs"
    with fmt(str(directory)) as write, pytest.raises(InvalidDocument, match="cannot name a"):
        write("start", {"uid": uid, "time": 1.0})
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []
