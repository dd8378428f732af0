"""Tests of msgpack run-file decoding and encoding."""

import pickle

import msgpack
import msgpack_numpy
import numpy as np
import pytest

from databroker._stores.files import msgpack_format
from databroker._stores.files.msgpack_format import iter_documents, packb, read_first_document
from databroker.errors import CorruptFileError, TruncatedFileWarning

START = {"uid": "u1", "time": 1.0}
STOP = {"uid": "s1", "run_start": "u1", "time": 3.0, "exit_status": "success"}

NUMPY_VALUES = {
    "float_array": np.linspace(0, 1, 12).reshape(3, 4),
    "int_array": np.arange(5, dtype=">i2"),
    "bool_array": np.array([True, False]),
    "strided": np.arange(10.0)[::3],
    "structured": np.array(
        [(1, (2.0, 3.0)), (4, (5.0, 6.0))], dtype=[("a", "<i4"), ("b", "<f8", (2,))]
    ),
    "empty": np.zeros((0, 3)),
    "float32": np.float32(1.25),
    "int64": np.int64(-7),
    "bool": np.bool_(True),
    "complex": 1 + 2j,
}


def _suitcase_encode(name, doc):
    """Encode as suitcase-msgpack does (msgpack-numpy's encoder)."""
    return msgpack.packb([name, doc], default=msgpack_numpy.encode, use_bin_type=True)


def _assert_same(actual, expected):
    """Compare decoded values, numpy values by dtype, shape and contents."""
    if isinstance(expected, np.ndarray | np.generic):
        assert isinstance(actual, type(expected))
        assert actual.dtype == expected.dtype
        assert np.shape(actual) == np.shape(expected)
        assert np.array_equal(actual, expected)
    elif isinstance(expected, dict):
        assert actual.keys() == expected.keys()
        for key in expected:
            _assert_same(actual[key], expected[key])
    else:
        assert actual == expected
        assert type(actual) is type(expected)


def _write(path, *records):
    path.write_bytes(b"".join(records))
    return path


def test_reads_msgpack_numpy_encoding(tmp_path):
    """[compat] Files with msgpack-numpy values (as suitcase writes them) decode to numpy."""
    event = {"uid": "e", "descriptor": "d", "data": NUMPY_VALUES}
    path = _write(
        tmp_path / "r.msgpack", _suitcase_encode("start", START), _suitcase_encode("event", event)
    )
    (_, _, start), (_, name, decoded) = iter_documents(path)
    assert start == START
    assert name == "event"
    _assert_same(decoded["data"], NUMPY_VALUES)


def test_packb_is_msgpack_numpy_encoding():
    """[compat] packb writes numpy values byte-identically to msgpack-numpy."""
    doc = {"uid": "e", "data": NUMPY_VALUES, "blob": b"\x00\x01", "text": "é"}
    assert packb("event", doc) == _suitcase_encode("event", doc)
    decoded = msgpack.unpackb(packb("event", doc), object_hook=msgpack_numpy.decode, raw=False)
    _assert_same(decoded[1]["data"], NUMPY_VALUES)
    assert decoded[1]["blob"] == b"\x00\x01"


def test_packb_round_trip_without_msgpack_numpy(tmp_path):
    """[compat] Our encoder and decoder round-trip numpy values, bytes and str."""
    doc = {"uid": "e", "data": NUMPY_VALUES, "blob": b"\x00", "dt": np.datetime64("2020-01-02")}
    path = _write(tmp_path / "r.msgpack", packb("event", doc))
    ((end, name, decoded),) = iter_documents(path)
    assert (end, name) == (path.stat().st_size, "event")
    _assert_same(decoded, doc)


def test_object_arrays_are_written_as_plain_lists(tmp_path):
    """[new] Object arrays are written as msgpack lists, never pickled."""
    doc = {"uid": "e", "x": np.array(["a", 1], dtype=object)}
    ((_, _, decoded),) = iter_documents(_write(tmp_path / "r.msgpack", packb("event", doc)))
    assert decoded["x"] == ["a", 1]


@pytest.mark.parametrize(
    "value",
    [
        {b"nd": True, b"type": b"<f8", b"kind": "", b"shape": [2], b"data": b"\x00" * 16},
        {b"nd": True, b"type": "<f8", b"kind": b"", b"shape": [2], b"data": b"\x00" * 16},
        {b"nd": True, b"type": "<f8", b"shape": [2], b"data": b"\x00" * 16},
    ],
)
def test_type_and_kind_as_str_or_bytes(tmp_path, value):
    """[compat] numpy maps with type/kind as str or bytes (or kind missing) decode."""
    path = _write(tmp_path / "r.msgpack", msgpack.packb(["event", {"x": value}]))
    ((_, _, doc),) = iter_documents(path)
    np.testing.assert_array_equal(doc["x"], np.zeros(2))


def test_pickled_object_array_is_rejected(tmp_path, monkeypatch):
    """[new] A pickled object array (kind O) is never unpickled: CorruptFileError."""
    encoded = msgpack_numpy.encode(np.array([{"a": 1}, None], dtype=object))
    assert encoded[b"kind"] == b"O"
    path = _write(
        tmp_path / "r.msgpack",
        packb("start", START),
        msgpack.packb(["event", {"x": encoded}], use_bin_type=True),
    )
    unpickled = []
    monkeypatch.setattr(pickle, "loads", lambda *args, **kwargs: unpickled.append(args))
    offset = len(packb("start", START))
    with pytest.raises(CorruptFileError, match=f"byte offset {offset}.*pickled"):
        list(iter_documents(path))
    assert unpickled == []


def test_structured_object_dtype_is_rejected(tmp_path):
    """[new] A numpy map whose dtype holds objects raises CorruptFileError."""
    value = {b"nd": True, b"type": [["a", "|O"]], b"kind": b"V", b"shape": [1], b"data": b"0" * 8}
    path = _write(tmp_path / "r.msgpack", msgpack.packb(["event", {"x": value}]))
    with pytest.raises(CorruptFileError, match="object dtype"):
        list(iter_documents(path))


def test_offsets_and_resume(tmp_path):
    """[fix] end offsets let a later call decode only the appended objects."""
    path = _write(tmp_path / "r.msgpack", packb("start", START), packb("descriptor", {"uid": "d"}))
    documents = list(iter_documents(path))
    assert [end for end, _, _ in documents] == [len(packb("start", START)), path.stat().st_size]
    with open(path, "ab") as file:
        file.write(packb("stop", STOP))
    assert list(iter_documents(path, documents[-1][0])) == [(path.stat().st_size, "stop", STOP)]


def test_small_read_blocks(tmp_path, monkeypatch):
    """[compat] Objects split across many read blocks decode the same."""
    page = {"descriptor": "d", "data": {"x": list(range(1000))}, "arr": np.arange(300.0)}
    path = _write(tmp_path / "r.msgpack", packb("start", START), packb("event_page", page))
    expected = list(iter_documents(path))
    monkeypatch.setattr(msgpack_format, "_FIRST_BLOCK", 3)
    monkeypatch.setattr(msgpack_format, "_MAX_BLOCK", 5)
    actual = list(iter_documents(path))
    assert [(end, name) for end, name, _ in actual] == [(end, name) for end, name, _ in expected]
    _assert_same(actual[1][2], page)
    assert read_first_document(path) == ("start", START)


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        (b"\xc1", "not msgpack"),
        (msgpack.packb(7), "2-element"),
        (msgpack.packb(["bogus", {}]), "unknown document name 'bogus'"),
        (msgpack.packb(["event", "text"]), "not a mapping"),
    ],
)
def test_garbage_in_the_middle(tmp_path, garbage, reason):
    """[fix] Undecodable bytes before the end raise CorruptFileError with path and offset."""
    head = packb("start", START) + packb("descriptor", {"uid": "d"})
    path = _write(tmp_path / "r.msgpack", head, garbage, packb("stop", STOP))
    documents = iter_documents(path)
    assert next(documents)[1] == "start"
    with pytest.raises(CorruptFileError) as info:
        list(documents)
    message = str(info.value)
    assert str(path) in message
    assert f"byte offset {len(head)}" in message
    assert reason in message
    assert (info.value.path, info.value.offset) == (str(path), len(head))


def test_truncated_final_object(tmp_path):
    """[fix] A truncated final object is not yet written: earlier documents and a warning."""
    head = packb("start", START) + packb("descriptor", {"uid": "d"})
    stop = packb("stop", STOP)
    path = _write(tmp_path / "r.msgpack", head, stop[:-3])
    with pytest.warns(TruncatedFileWarning, match=rf"r\.msgpack.*byte {len(head)}"):
        names = [name for _, name, _ in iter_documents(path)]
    assert names == ["start", "descriptor"]


def test_first_document(tmp_path):
    """[compat] Only the first object is decoded for the start."""
    path = _write(tmp_path / "r.msgpack", packb("start", START), b"\xc1garbage after")
    assert read_first_document(path) == ("start", START)


@pytest.mark.parametrize("content", [b"", packb("start", START)[:-1]])
def test_first_document_not_written_yet(tmp_path, content):
    """[compat] An empty file or a partial first object gives None, without a warning."""
    assert read_first_document(_write(tmp_path / "r.msgpack", content)) is None


@pytest.mark.parametrize("content", [b"\xc1\x00\x00", b"\x93\x01\x02\x03", b'{"json": 1}'])
def test_first_document_corrupt(tmp_path, content):
    """[fix] Undecodable first bytes raise CorruptFileError at byte offset 0."""
    with pytest.raises(CorruptFileError, match="byte offset 0") as info:
        read_first_document(_write(tmp_path / "r.msgpack", content))
    assert info.value.offset == 0


@pytest.mark.slow
def test_object_larger_than_msgpack_default_buffer(tmp_path):
    """[compat] Objects beyond msgpack's 100 MiB default buffer limit decode."""
    big = np.ones(110 * 2**20 // 8)
    path = _write(tmp_path / "r.msgpack", packb("start", START), packb("event", {"x": big}))
    (_, _, _), (_, _, doc) = iter_documents(path)
    assert doc["x"].shape == big.shape
