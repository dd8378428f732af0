"""Tests of JSONL run-file decoding and encoding."""

import json
import math

import numpy as np
import pytest
import suitcase.jsonl

from databroker._stores.files import jsonl_format
from databroker._stores.files.jsonl_format import (
    dumps_line,
    iter_documents,
    read_first_document,
    read_last_document,
)
from databroker.errors import CorruptFileError, TruncatedFileWarning

START = ["start", {"uid": "u1", "time": 1.0, "scan_id": 3}]
DESCRIPTOR = ["descriptor", {"uid": "d1", "run_start": "u1", "data_keys": {}, "time": 2.0}]
EVENT = ["event", {"uid": "e1", "descriptor": "d1", "seq_num": 1, "data": {"x": 1}}]
STOP = ["stop", {"uid": "s1", "run_start": "u1", "time": 3.0, "exit_status": "success"}]


def _write(path, *lines):
    """Write ``lines`` (pairs are JSON-encoded, bytes written as they are)."""
    with open(path, "wb") as file:
        for line in lines:
            file.write(line if isinstance(line, bytes) else (json.dumps(line) + "\n").encode())
    return path


def test_first_document(tmp_path):
    """[compat] The first line is decoded into (name, doc)."""
    path = _write(tmp_path / "r.jsonl", START, DESCRIPTOR)
    assert read_first_document(path) == tuple(START)


@pytest.mark.parametrize(
    "content", [b"", b"\n", b"\n" + json.dumps(START).encode() + b"\n", b'["start", {"ui']
)
def test_first_document_of_a_file_being_created(tmp_path, content):
    """[compat] Empty file, empty first line or partial first line give None, silently."""
    path = _write(tmp_path / "r.jsonl", content)
    assert read_first_document(path) is None


@pytest.mark.parametrize("first", [b"not json\n", b'["start"]\n', b'["begin", {}]\n'])
def test_corrupt_first_line(tmp_path, first):
    """[fix] A complete first line that is not a [name, doc] pair raises CorruptFileError."""
    path = _write(tmp_path / "r.jsonl", first, STOP)
    with pytest.raises(CorruptFileError, match="line 1") as info:
        read_first_document(path)
    assert info.value.path == str(path)
    assert info.value.line == 1


def test_last_document(tmp_path):
    """[compat] The last complete line is decoded (stop lookup)."""
    path = _write(tmp_path / "r.jsonl", START, EVENT, STOP)
    assert read_last_document(path) == tuple(STOP)


def test_last_document_ignores_partial_line_and_blank_lines(tmp_path):
    """[compat] A trailing partial line is not yet written: the line before it is returned."""
    path = _write(tmp_path / "r.jsonl", START, EVENT, b"\n  \n", b'["stop", {"uid": "s1", ')
    assert read_last_document(path) == tuple(EVENT)


@pytest.mark.parametrize("content", [b"", b'["start", {"uid"', b"\n\n", b"garbage\n"])
def test_last_document_none(tmp_path, content):
    """[compat] No complete line, or an undecodable last line, gives None (no stop yet)."""
    path = _write(tmp_path / "r.jsonl", content)
    assert read_last_document(path) is None


def test_last_document_longer_than_the_backwards_block(tmp_path):
    """[compat] A last line spanning many backwards blocks is found whole."""
    big = ["event_page", {"descriptor": "d1", "data": {"x": list(range(100_000))}}]
    path = _write(tmp_path / "r.jsonl", START, EVENT, big)
    assert read_last_document(path) == tuple(big)
    assert read_last_document(_write(tmp_path / "one.jsonl", big)) == tuple(big)


def test_last_document_reads_only_the_tail(tmp_path, monkeypatch):
    """[compat] The stop is found by seeking from the end, not by reading the whole file."""
    path = _write(tmp_path / "r.jsonl", START, *[EVENT] * 20_000, STOP)
    size = path.stat().st_size
    read = []
    real_open = open

    class Spy:
        def __init__(self, file):
            self._file = file

        def read(self, n=-1):
            data = self._file.read(n)
            read.append(len(data))
            return data

        def __getattr__(self, name):
            return getattr(self._file, name)

        def __enter__(self):
            return self

        def __exit__(self, *args):
            self._file.close()

    monkeypatch.setattr(jsonl_format, "open", lambda *a: Spy(real_open(*a)), raising=False)
    assert read_last_document(path) == tuple(STOP)
    assert sum(read) < size / 10


def test_iter_documents_with_offsets(tmp_path):
    """[fix] Each document comes with the offset after its line, where reading can resume."""
    path = _write(tmp_path / "r.jsonl", START, DESCRIPTOR, EVENT, STOP)
    documents = list(iter_documents(path))
    assert [(name, doc) for _, name, doc in documents] == [
        tuple(pair) for pair in (START, DESCRIPTOR, EVENT, STOP)
    ]
    offsets = [offset for offset, _, _ in documents]
    assert offsets[-1] == path.stat().st_size
    assert path.read_bytes()[offsets[0] - 1 : offsets[0]] == b"\n"
    resumed = list(iter_documents(path, offset=offsets[1], first_line=3))
    assert resumed == documents[2:]


def test_iter_documents_appended_lines(tmp_path):
    """[fix] Resuming at the last end offset returns only lines appended since."""
    path = _write(tmp_path / "r.jsonl", START)
    (end, _, _) = list(iter_documents(path))[-1]
    with open(path, "ab") as file:
        file.write((json.dumps(EVENT) + "\n").encode())
    assert [(name, doc) for _, name, doc in iter_documents(path, end, 2)] == [tuple(EVENT)]


def test_iter_documents_across_read_blocks(tmp_path, monkeypatch):
    """[compat] Lines cut by read blocks are joined; blank lines are skipped."""
    path = _write(tmp_path / "r.jsonl", START, b"\n", DESCRIPTOR, b"  \n", EVENT, STOP)
    expected = list(iter_documents(path))
    assert len(expected) == 4
    monkeypatch.setattr(jsonl_format, "_READ_BLOCK", 7)
    assert list(iter_documents(path)) == expected


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b'["event", {"uid": \n', "not valid JSON"),
        (b'{"event": {}}\n', "2-element"),
        (b'["event", {}, 3]\n', "2-element"),
        (b'["bogus", {}]\n', "unknown document name 'bogus'"),
        (b'["event", [1, 2]]\n', "not a mapping"),
        (b'["event", {"x": "\xff"}]\n', "not valid JSON"),
    ],
)
def test_corrupt_middle_line(tmp_path, bad, reason):
    """[fix] A bad complete line raises CorruptFileError naming the path and its line number."""
    path = _write(tmp_path / "r.jsonl", START, DESCRIPTOR, b"\n", bad, STOP)
    documents = iter_documents(path)
    assert next(documents)[1:] == tuple(START)
    with pytest.raises(CorruptFileError) as info:
        list(documents)
    message = str(info.value)
    assert str(path) in message
    assert "line 4" in message
    assert reason in message
    assert (info.value.path, info.value.line) == (str(path), 4)


def test_truncated_final_line(tmp_path):
    """[fix] A final line without newline is not yet written: earlier documents and a warning."""
    path = _write(tmp_path / "r.jsonl", START, EVENT, b'["stop", {"uid": "s1", "run_')
    with pytest.warns(TruncatedFileWarning, match=r"r\.jsonl.*line 3"):
        documents = [(name, doc) for _, name, doc in iter_documents(path)]
    assert documents == [tuple(START), tuple(EVENT)]


def test_complete_record_without_newline_is_not_yet_written(tmp_path):
    """[fix] A final record missing only its newline is held back until the newline lands."""
    path = _write(tmp_path / "r.jsonl", START, json.dumps(STOP).encode())
    with pytest.warns(TruncatedFileWarning):
        assert [name for _, name, _ in iter_documents(path)] == ["start"]
    assert read_last_document(path) == tuple(START)


def test_whitespace_tail_is_not_a_partial_line(tmp_path):
    """[compat] Trailing whitespace without newline is no record: no warning."""
    path = _write(tmp_path / "r.jsonl", START, b"   ")
    assert [name for _, name, _ in iter_documents(path)] == ["start"]


def test_nan_and_infinity_tokens(tmp_path):
    """[compat] NaN and Infinity tokens, as Python's json writes them, are accepted."""
    path = _write(tmp_path / "r.jsonl", b'["event", {"data": {"x": NaN, "y": -Infinity}}]\n')
    ((_, _, doc),) = iter_documents(path)
    assert math.isnan(doc["data"]["x"])
    assert doc["data"]["y"] == -math.inf


def test_legacy_names_are_read(tmp_path):
    """[compat] bulk_events and bulk_datum lines are accepted on read."""
    bulk = ["bulk_events", {"d1": [EVENT[1]]}]
    path = _write(tmp_path / "r.jsonl", START, bulk)
    assert [name for _, name, _ in iter_documents(path)] == ["start", "bulk_events"]


def test_dumps_line_numpy_values():
    """[compat] numpy arrays and scalars become JSON lists and numbers."""
    doc = {"a": np.arange(4).reshape(2, 2), "f": np.float32(0.5), "b": np.bool_(True)}
    line = dumps_line("event", doc)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert json.loads(line) == ["event", {"a": [[0, 1], [2, 3]], "f": 0.5, "b": True}]


def test_dumps_line_matches_suitcase_jsonl(tmp_path):
    """[compat] Lines are byte-identical to what suitcase-jsonl writes for the same documents."""
    start = {"uid": "u1", "time": 1.5, "nested": {"a": [1, 2.5, None], "é": "ü"}, "n": np.nan}
    stop = {"uid": "s1", "run_start": "u1", "time": 2.0, "exit_status": "success"}
    descriptor = {"uid": "d1", "run_start": "u1", "time": 1.6, "data_keys": {}, "name": "p"}
    event = {
        "uid": "e1",
        "descriptor": "d1",
        "seq_num": 1,
        "time": 1.7,
        "data": {"img": np.ones((2, 2)), "x": np.float64(2.0)},
        "timestamps": {"img": 1.7, "x": 1.7},
        "filled": {},
    }
    documents = [("start", start), ("descriptor", descriptor), ("event", event), ("stop", stop)]
    with suitcase.jsonl.Serializer(str(tmp_path)) as serializer:
        for name, doc in documents:
            serializer(name, doc)
    expected = (tmp_path / "u1.jsonl").read_bytes()
    assert b"".join(dumps_line(name, doc) for name, doc in documents) == expected


def test_dumps_line_rejects_unencodable_values():
    """[compat] A value JSON cannot hold raises TypeError naming its type."""
    with pytest.raises(TypeError, match="object"):
        dumps_line("start", {"uid": "u", "x": object()})


@pytest.mark.parametrize(
    "line",
    [
        '["start", {"uid": "u1", "time": 1.0}]',
        '  ["start", {"uid": "u1", "time": 1.0}]',  # leading spaces
        '["start", {"uid": "u1", "time": 1.0}]  \r',  # CRLF, trailing spaces
        '["start", {"uid": "u1", "time": 1.0, "é": "ü"}]',  # UTF-8 (not ASCII)
        '["start",{"uid":"u1","time":1.0}]',  # no spaces
    ],
)
def test_lines_as_any_json_writer_writes_them_decode(tmp_path, line):
    """[compat] Lines with leading or trailing whitespace, CRLF endings or UTF-8 text decode
    as json.loads decodes them."""
    path = tmp_path / "run.jsonl"
    path.write_bytes(line.encode("utf-8") + b"\n")
    ((end, name, doc),) = list(jsonl_format.iter_documents(str(path)))
    assert (end, name, doc) == (len(line.encode("utf-8")) + 1, *json.loads(line))


def test_a_line_with_extra_data_names_its_line(tmp_path):
    """[fix] JSON followed by more text on the same line is corrupt, as json.loads says."""
    path = tmp_path / "run.jsonl"
    path.write_bytes(b'["start", {"uid": "u1", "time": 1.0}]\n["stop", {}] ["x"]\n')
    with pytest.raises(CorruptFileError, match=r"line 2.*Extra data"):
        list(jsonl_format.iter_documents(str(path)))
