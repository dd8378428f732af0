"""Bad run files get our errors naming the file and the record, never a bare one, and never
hide the other runs of the directory (issue 12: "Our error, naming the file" and "Files that
change under the reader")."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from event_model import compose_run

from databroker._drivers.jsonl import BlueskyJSONLCatalog
from databroker._drivers.msgpack import BlueskyMsgpackCatalog
from databroker._stores.files import source as source_module
from databroker._stores.files.jsonl_format import dumps_line
from databroker._stores.files.msgpack_format import packb
from databroker._stores.files.writers import MsgpackWriter
from databroker._stores.memory import MemoryCatalogStore
from databroker._stores.run_documents import RunDocuments
from databroker.errors import (
    CorruptFileError,
    DatabrokerError,
    InvalidDocument,
    MalformedRecord,
    RunFileNotFound,
    RunFilePermissionError,
    RunFileUnavailable,
    RunNotFound,
    SkippedFileWarning,
    UnencodableValue,
)

CATALOGS = {"jsonl": BlueskyJSONLCatalog, "msgpack": BlueskyMsgpackCatalog}
ENCODERS: dict[str, Callable[[str, Any], bytes]] = {"jsonl": dumps_line, "msgpack": packb}
KEYS = {"x": {"dtype": "number", "shape": [], "source": "sim"}}
#: Seconds a read may take before it counts as hanging.
HANG = 20


def _documents(events: int = 3) -> list[tuple[str, dict[str, Any]]]:
    """A run's documents (start, descriptor, events, resource, datum, stop), uids fresh."""
    run = compose_run()
    stream = run.compose_descriptor(name="primary", data_keys=KEYS)
    resource = run.compose_resource(spec="NPY_SEQ", root="/", resource_path="x", resource_kwargs={})
    docs: list[tuple[str, dict[str, Any]]] = [
        ("start", dict(run.start_doc)),
        ("descriptor", dict(stream.descriptor_doc)),
        ("resource", dict(resource.resource_doc)),
        ("datum", dict(resource.compose_datum(datum_kwargs={"index": 0}))),
    ]
    for i in range(1, events + 1):
        event = stream.compose_event(
            data={"x": float(i)}, timestamps={"x": float(i)}, seq_num=i, validate=False
        )
        docs.append(("event", dict(event)))
    docs.append(("stop", dict(run.compose_stop())))
    return docs


def _write(path: Path, fmt: str, docs: list[tuple[str, dict[str, Any]]]) -> Path:
    path.write_bytes(b"".join(ENCODERS[fmt](name, doc) for name, doc in docs))
    return path


def _directory_with_good_runs(tmp_path: Path, fmt: str, count: int = 2) -> list[str]:
    """Write ``count`` sound runs into ``tmp_path``; return their uids."""
    uids = []
    for _ in range(count):
        docs = _documents()
        uid = docs[0][1]["uid"]
        _write(tmp_path / f"{uid}.{fmt}", fmt, docs)
        uids.append(uid)
    return uids


def _assert_good_runs_read(catalog: Any, uids: list[str]) -> None:
    assert set(uids) <= set(catalog)
    for uid in uids:
        assert list(catalog[uid].primary.read()["x"].values) == [1.0, 2.0, 3.0]


def _in_thread(action: Callable[[], Any]) -> Any:
    """Run ``action`` in a thread; fail (not hang) if it takes longer than HANG seconds."""
    outcome: list[Any] = []

    def work() -> None:
        try:
            outcome.append(action())
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), f"the read still blocks after {HANG} s"
    (result,) = outcome
    if isinstance(result, BaseException):
        raise result
    return result


# -- 1. one bad file never hides the other runs ------------------------------------------


def _bad_starts() -> dict[str, Callable[[list[tuple[str, dict[str, Any]]]], None]]:
    def set_start(field: str, value: Any) -> Callable[[list[tuple[str, dict[str, Any]]]], None]:
        def mutate(docs: list[tuple[str, dict[str, Any]]]) -> None:
            docs[0][1][field] = value

        return mutate

    def drop_uid(docs: list[tuple[str, dict[str, Any]]]) -> None:
        del docs[0][1]["uid"]

    def descriptor_first(docs: list[tuple[str, dict[str, Any]]]) -> None:
        docs[0], docs[1] = docs[1], docs[0]

    return {
        "time 'oops'": set_start("time", "oops"),
        "time []": set_start("time", []),
        "time None": set_start("time", None),
        "time NaN": set_start("time", math.nan),
        "uid ''": set_start("uid", ""),
        "uid 5": set_start("uid", 5),
        "no uid": drop_uid,
        "descriptor first": descriptor_first,
    }


@pytest.mark.parametrize("fmt", sorted(CATALOGS))
@pytest.mark.parametrize("case", sorted(_bad_starts()))
def test_a_bad_start_skips_that_file_only(tmp_path: Path, fmt: str, case: str) -> None:
    """[fix] A file whose start has a bad time or uid (or that begins with no start) is
    skipped with a SkippedFileWarning naming it and why; the other runs list and read."""
    uids = _directory_with_good_runs(tmp_path, fmt)
    docs = _documents()
    _bad_starts()[case](docs)
    bad = _write(tmp_path / f"bad.{fmt}", fmt, docs)
    with pytest.warns(SkippedFileWarning, match=str(bad)):
        catalog = CATALOGS[fmt](str(tmp_path / f"*.{fmt}"))
        listed = list(catalog)
    assert sorted(listed) == sorted(uids)
    _assert_good_runs_read(catalog, uids)


def test_memory_store_refuses_a_bad_start() -> None:
    """[fix] The in-memory store refuses a start whose time is no number (InvalidDocument)."""
    store = MemoryCatalogStore()
    docs = _documents()
    start = dict(docs[0][1], time="oops")
    with pytest.raises(InvalidDocument, match="'time'"):
        store.upsert(start, None, lambda: iter(docs))
    write = store.serializer()
    with pytest.raises(InvalidDocument, match="'time'"):
        write("start", start)
    assert list(store.iter_starts({})) == []


# -- 2. bad documents inside a run file --------------------------------------------------


def _set(index: int, field: str, value: Any) -> Callable[[list[tuple[str, dict[str, Any]]]], None]:
    def mutate(docs: list[tuple[str, dict[str, Any]]]) -> None:
        if value is _DROP:
            del docs[index][1][field]
        else:
            docs[index][1][field] = value

    return mutate


_DROP = object()
#: (mutation, document index in _documents(), what the message names)
BAD_DOCUMENTS = {
    "event data 'oops'": (_set(5, "data", "oops"), 5, "'data'"),
    "event without timestamps": (_set(5, "timestamps", _DROP), 5, "'timestamps'"),
    "event seq_num ''": (_set(5, "seq_num", ""), 5, "'seq_num'"),
    "event time {}": (_set(5, "time", {}), 5, "'time'"),
    "event descriptor 3": (_set(5, "descriptor", 3), 5, "'descriptor'"),
    "datum_kwargs 'oops'": (_set(3, "datum_kwargs", "oops"), 3, "'datum_kwargs'"),
    "descriptor data_keys -1": (_set(1, "data_keys", -1), 1, "'data_keys'"),
    "descriptor without time": (_set(1, "time", _DROP), 1, "'time'"),
}


@pytest.mark.parametrize("fmt", sorted(CATALOGS))
@pytest.mark.parametrize("case", sorted(BAD_DOCUMENTS))
def test_a_bad_document_names_file_and_record(tmp_path: Path, fmt: str, case: str) -> None:
    """[fix] A malformed document in a run file raises MalformedRecord (an InvalidDocument and
    a CorruptFileError) naming the file and the line (JSONL) or byte offset (msgpack)."""
    uids = _directory_with_good_runs(tmp_path, fmt)
    mutate, index, field = BAD_DOCUMENTS[case]
    docs = _documents()
    mutate(docs)
    path = _write(tmp_path / f"bad.{fmt}", fmt, docs)
    offset = sum(len(ENCODERS[fmt](name, doc)) for name, doc in docs[:index])
    catalog = CATALOGS[fmt](str(tmp_path / f"*.{fmt}"))
    run = catalog[docs[0][1]["uid"]]
    with pytest.raises(MalformedRecord, match=field) as caught:
        run.primary.read()
        list(run.documents(fill="no"))
    error = caught.value
    assert isinstance(error, InvalidDocument) and isinstance(error, CorruptFileError)
    assert error.path == str(path) and str(path) in str(error)
    if fmt == "jsonl":
        assert error.line == index + 1 and f"line {index + 1}" in str(error)
    else:
        assert error.offset == offset and f"byte offset {offset}" in str(error)
    _assert_good_runs_read(catalog, uids)


@pytest.mark.parametrize(
    ("name", "doc", "field"),
    [
        ("event", {"uid": "e", "descriptor": "d", "seq_num": 1, "time": 1.0, "data": "oops",
                   "timestamps": {}}, "'data'"),
        ("event", {"uid": "e", "descriptor": "d", "seq_num": 1, "time": 1.0,
                   "data": {"x": 1}}, "'timestamps'"),
        ("datum", {"datum_id": "r/0", "resource": "r", "datum_kwargs": "oops"}, "'datum_kwargs'"),
        ("event_page", {"uid": ["a", "b"], "descriptor": "d", "seq_num": [1, 2],
                        "time": [1.0, 2.0], "data": {"x": [1.0]}, "timestamps": {"x": [1, 2]}},
         r"data\['x'\] has 1 values for 2 rows"),
        ("event_page", {"uid": ["a"], "descriptor": "d", "seq_num": [1], "time": 1.0,
                        "data": {}, "timestamps": {}}, "'time'"),
        ("datum_page", {"datum_id": ["r/0", "r/1"], "resource": "r",
                        "datum_kwargs": {"index": [0]}}, "datum_kwargs"),
        ("event_page", {"uid": ["a"], "descriptor": "d", "seq_num": [1], "time": [1.0],
                        "data": {"x": [1]}}, "'timestamps'"),
    ],
)  # fmt: skip
def test_in_memory_index_refuses_malformed_documents(name: str, doc: Any, field: str) -> None:
    """[fix] The in-process index raises InvalidDocument naming the field (never a bare
    KeyError/TypeError/AttributeError) for a malformed document, and keeps nothing of it."""
    documents = RunDocuments(source="memory run r")
    with pytest.raises(InvalidDocument, match=field) as caught:
        documents.add(name, doc)
    assert "memory run r" in str(caught.value)
    assert list(documents.event_pages("d")) == [] and list(documents.datum_pages("r")) == []


def test_msgpack_writer_refuses_integers_beyond_64_bits(tmp_path: Path) -> None:
    """[fix] The msgpack writer refuses an integer beyond 64 bits with our error (still a
    TypeError) naming the document and the key, and writes nothing."""
    docs = _documents()
    start = dict(docs[0][1], extra={"big": [1, 2**64]})
    writer = MsgpackWriter(tmp_path)
    with pytest.raises(UnencodableValue, match=r"start document .*at extra\['big'\]\[1\]") as e:
        writer("start", start)
    assert isinstance(e.value, InvalidDocument) and isinstance(e.value, TypeError)
    assert list(tmp_path.iterdir()) == []


# -- 3. the true line number, on every access --------------------------------------------


def test_corrupt_jsonl_line_keeps_its_number_on_later_reads(tmp_path: Path) -> None:
    """[fix] A corrupt JSONL line is reported as line 6 on the first access and on every later
    access through the same catalog (reads resumed at an offset used to say "line 1")."""
    docs = _documents()
    lines = [dumps_line(name, doc) for name, doc in docs]
    lines.insert(5, b'["event", {oops}]\n')  # passed over by the outline: read with the events
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"".join(lines))
    catalog = BlueskyJSONLCatalog(str(tmp_path / "*.jsonl"))
    run = catalog[docs[0][1]["uid"]]
    for _ in range(3):
        with pytest.raises(CorruptFileError, match="line 6") as caught:
            run.primary.read()
        assert caught.value.line == 6


def test_corrupt_jsonl_line_appended_later_has_its_true_number(tmp_path: Path) -> None:
    """[fix] A corrupt line appended after a first read is named by its line in the file."""
    docs = _documents()
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"".join(dumps_line(name, doc) for name, doc in docs[:-1]))
    catalog = BlueskyJSONLCatalog(str(tmp_path / "*.jsonl"))
    run = catalog[docs[0][1]["uid"]]
    assert len(run.primary.read()["x"]) == 3
    with path.open("ab") as file:
        file.write(b"{oops\n")
    with pytest.raises(CorruptFileError, match=f"line {len(docs)}"):
        list(run.documents(fill="no"))


# -- 4. files that change under the reader -----------------------------------------------


@pytest.mark.parametrize("fmt", sorted(CATALOGS))
def test_file_deleted_after_listing(tmp_path: Path, fmt: str) -> None:
    """[fix] A run file removed between listing and reading raises RunFileNotFound (a
    FileNotFoundError) naming the file, not an empty run; the other runs read."""
    uids = _directory_with_good_runs(tmp_path, fmt, count=3)
    catalog = CATALOGS[fmt](str(tmp_path / f"*.{fmt}"), ttl=3600)
    run = catalog[uids[0]]
    path = tmp_path / f"{uids[0]}.{fmt}"
    path.unlink()
    with pytest.raises(RunFileNotFound, match=str(path)) as caught:
        run.primary
    assert isinstance(caught.value, FileNotFoundError)
    _assert_good_runs_read(catalog, uids[1:])


@pytest.mark.parametrize("fmt", sorted(CATALOGS))
def test_file_replaced_by_a_directory(tmp_path: Path, fmt: str) -> None:
    """[fix] A run file replaced by a directory raises RunFileUnavailable naming it when
    read, and is passed over (silently, as glob's directories) when listed anew."""
    uids = _directory_with_good_runs(tmp_path, fmt, count=3)
    catalog = CATALOGS[fmt](str(tmp_path / f"*.{fmt}"), ttl=3600)
    path = tmp_path / f"{uids[0]}.{fmt}"
    run = catalog[uids[0]]
    path.unlink()
    path.mkdir()
    with pytest.raises(RunFileUnavailable, match="directory"):
        run.primary
    fresh = CATALOGS[fmt](str(tmp_path / f"*.{fmt}"))
    assert sorted(fresh) == sorted(uids[1:])
    _assert_good_runs_read(fresh, uids[1:])


@pytest.mark.parametrize("fmt", sorted(CATALOGS))
def test_file_replaced_by_a_fifo_never_blocks(tmp_path: Path, fmt: str) -> None:
    """[fix] A run file replaced by a FIFO raises our error at once (it used to block
    forever), for the metadata and the streams; listing anew skips it with a warning."""
    uids = _directory_with_good_runs(tmp_path, fmt, count=3)
    catalog = CATALOGS[fmt](str(tmp_path / f"*.{fmt}"), ttl=3600)
    path = tmp_path / f"{uids[0]}.{fmt}"
    path.unlink()
    os.mkfifo(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedFileWarning)  # if a lookup rescans the listing
        try:
            run = _in_thread(lambda: catalog[uids[0]])
            _in_thread(lambda: run.metadata)  # the stop may be known from the listing
        except RunFileUnavailable as error:
            assert "FIFO" in str(error)
        with pytest.raises(RunFileUnavailable, match="FIFO"):
            _in_thread(lambda: catalog[uids[0]].primary)
    with pytest.warns(SkippedFileWarning, match="FIFO"):
        fresh = _in_thread(lambda: CATALOGS[fmt](str(tmp_path / f"*.{fmt}")))
    assert sorted(fresh) == sorted(uids[1:])
    with pytest.warns(SkippedFileWarning, match="FIFO"):
        catalog.force_reload()  # the catalog that knew the file drops it on its rescan
    with pytest.raises(RunNotFound):
        _in_thread(lambda: catalog[uids[0]])
    _assert_good_runs_read(fresh, uids[1:])


@pytest.mark.parametrize("fmt", sorted(CATALOGS))
def test_symlink_loop_is_skipped(tmp_path: Path, fmt: str) -> None:
    """[fix] A symlink loop matching the pattern is skipped with a warning (opening the
    catalog used to raise OSError ELOOP); the other runs list and read."""
    uids = _directory_with_good_runs(tmp_path, fmt)
    loop = tmp_path / f"loop.{fmt}"
    os.symlink(loop.name, loop)
    os.symlink("nowhere", tmp_path / f"dangling.{fmt}")
    with pytest.warns(SkippedFileWarning, match="loop") as caught:
        catalog = CATALOGS[fmt](str(tmp_path / f"*.{fmt}"))
    assert any("dangling" in str(w.message) for w in caught)
    assert sorted(catalog) == sorted(uids)
    _assert_good_runs_read(catalog, uids)


def _refuse_opening(monkeypatch: pytest.MonkeyPatch, refused: Path) -> None:
    """Make opening ``refused`` fail as for a user without read permission."""
    real_open = os.open

    def guarded_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path) == str(refused):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(source_module.os, "open", guarded_open)


@pytest.mark.parametrize("fmt", sorted(CATALOGS))
def test_unreadable_file(tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """[fix] A run file this user may not read is skipped with a warning while listing (it
    used to make opening the whole catalog raise PermissionError), and raises
    RunFilePermissionError (a PermissionError) naming it when that run is read."""
    uids = _directory_with_good_runs(tmp_path, fmt, count=3)
    path = tmp_path / f"{uids[0]}.{fmt}"
    early = CATALOGS[fmt](str(tmp_path / f"*.{fmt}"), ttl=3600)
    run = early[uids[0]]
    _refuse_opening(monkeypatch, path)
    with pytest.raises(RunFilePermissionError, match=str(path)) as caught:
        run.primary
    assert isinstance(caught.value, PermissionError)
    with pytest.warns(SkippedFileWarning, match=f"{path}.*may not be read"):
        catalog = CATALOGS[fmt](str(tmp_path / f"*.{fmt}"))
    assert sorted(catalog) == sorted(uids[1:])
    _assert_good_runs_read(catalog, uids[1:])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        catalog.force_reload()  # still unreadable: tried again, not warned about again
    monkeypatch.undo()  # readable again: the next scan finds the run
    catalog.force_reload()
    assert sorted(catalog) == sorted(uids)


_AS_NOBODY = """
import sys, warnings
from databroker._drivers.{module} import {catalog}
from databroker.errors import SkippedFileWarning
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    catalog = {catalog}(sys.argv[1])
    listed = sorted(catalog)
assert any(issubclass(w.category, SkippedFileWarning) for w in caught), caught
print(" ".join(listed))
"""


def _nobody_can_run_python() -> bool:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run(
        [*command, sys.executable, "-c", "import databroker._drivers.jsonl, numpy, msgpack"],
        capture_output=True,
        timeout=60,
    )
    return probe.returncode == 0


@pytest.mark.parametrize("fmt", sorted(CATALOGS))
def test_unreadable_file_as_an_unprivileged_user(fmt: str) -> None:
    """[fix] Checked as a user without CAP_DAC_OVERRIDE: a chmod 000 run file is skipped with
    a warning and the other runs list."""
    if not _nobody_can_run_python():
        pytest.skip("no unprivileged user can run this Python (setpriv, or its path, missing)")
    import tempfile

    directory = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        directory.chmod(0o755)
        uids = _directory_with_good_runs(directory, fmt, count=3)
        for path in directory.iterdir():
            path.chmod(0o644)
        (directory / f"{uids[0]}.{fmt}").chmod(0)
        module = {"jsonl": "jsonl", "msgpack": "msgpack"}[fmt]
        script = _AS_NOBODY.format(module=module, catalog=CATALOGS[fmt].__name__)
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        done = subprocess.run(
            [*command, sys.executable, "-c", script, str(directory / f"*.{fmt}")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == sorted(uids[1:])
    finally:
        shutil.rmtree(directory)


def test_errors_of_changed_files_are_ours() -> None:
    """[new] The errors of files changed under the reader are DatabrokerErrors and the
    builtins 1.x clients catch."""
    assert issubclass(RunFileNotFound, FileNotFoundError)
    assert issubclass(RunFilePermissionError, PermissionError)
    assert issubclass(RunFileUnavailable, OSError)
    assert issubclass(RunFileUnavailable, DatabrokerError)


def test_numpy_columns_pass_the_checks() -> None:
    """[compat] Pages whose columns are numpy arrays (as msgpack decodes them) are accepted."""
    documents = RunDocuments()
    documents.add("descriptor", {"uid": "d", "time": 1.0, "data_keys": KEYS, "run_start": "s"})
    page = {
        "uid": ["a", "b"],
        "descriptor": "d",
        "seq_num": np.array([1, 2]),
        "time": np.array([1.0, 2.0]),
        "data": {"x": np.array([1.0, 2.0])},
        "timestamps": {"x": np.array([1.0, 2.0])},
    }
    documents.add("event_page", page)
    assert documents.event_count("d") == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        documents.add("event", {"uid": "c", "descriptor": "d", "seq_num": np.int64(3),
                                "time": np.float64(3.0), "data": {"x": 3.0},
                                "timestamps": {"x": 3.0}})  # fmt: skip
    assert documents.event_count("d") == 3
