"""File catalogs (JSONL, msgpack): bad input, live growth, suitcase interoperability, YAML."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from bluesky import RunEngine
from bluesky.plans import count, scan
from ophyd.sim import det, img, motor

from databroker._drivers.jsonl import BlueskyJSONLCatalog
from databroker._drivers.msgpack import BlueskyMsgpackCatalog
from databroker.errors import (
    CatalogPathNotFound,
    CorruptFileError,
    DuplicateRunWarning,
    SkippedFileWarning,
)

FORMATS = {"jsonl": BlueskyJSONLCatalog, "msgpack": BlueskyMsgpackCatalog}


@pytest.fixture(params=sorted(FORMATS))
def file_format(request: pytest.FixtureRequest) -> str:
    """The file format under test."""
    return request.param


def _catalog(directory: Path, file_format: str) -> Any:
    return FORMATS[file_format](str(directory / f"*.{file_format}"))


def _record(catalog: Any, plan: Any) -> str:
    engine = RunEngine({})
    engine.subscribe(catalog._get_serializer())
    (uid,) = engine(plan)
    catalog.force_reload()
    return uid


def test_corrupt_line_names_file_and_line(tmp_path: Path) -> None:
    """[fix] A corrupt JSONL line raises CorruptFileError with path and line; others read."""
    catalog = _catalog(tmp_path, "jsonl")
    bad = _record(catalog, count([det], 3))
    good = _record(catalog, count([det], 2))
    path = tmp_path / f"{bad}.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = b'["event", {not json\n'
    path.write_bytes(b"".join(lines))
    catalog = _catalog(tmp_path, "jsonl")
    assert len(catalog) == 2
    with pytest.raises(CorruptFileError, match=rf"{path}.*line 3|line 3.*{path}"):
        list(catalog[bad].documents(fill="no"))
    assert catalog[good].primary.read()["det"].shape == (2,)


def test_first_document_not_start_is_skipped(tmp_path: Path, file_format: str) -> None:
    """[fix] A file whose first document is not a start is skipped with a warning."""
    catalog = _catalog(tmp_path, file_format)
    uid = _record(catalog, count([det], 1))
    from databroker._stores.files import jsonl_format, msgpack_format

    stray = tmp_path / f"stray.{file_format}"
    encode = jsonl_format.dumps_line if file_format == "jsonl" else msgpack_format.packb
    stray.write_bytes(encode("stop", {"uid": "x", "run_start": "y", "time": 1.0}))
    with pytest.warns(SkippedFileWarning, match="stray"):
        catalog = _catalog(tmp_path, file_format)
    assert list(catalog) == [uid]


def test_duplicate_runs_warn(tmp_path: Path, file_format: str) -> None:
    """[fix] Two files with one start uid warn, naming both; the first path is used."""
    catalog = _catalog(tmp_path, file_format)
    uid = _record(catalog, count([det], 1))
    original = tmp_path / f"{uid}.{file_format}"
    copy = tmp_path / f"zz-copy.{file_format}"
    copy.write_bytes(original.read_bytes())
    with pytest.warns(DuplicateRunWarning, match="zz-copy"):
        catalog = _catalog(tmp_path, file_format)
    assert len(catalog) == 1


def test_missing_directory(tmp_path: Path, file_format: str) -> None:
    """[new] A glob whose directory does not exist raises CatalogPathNotFound naming it."""
    with pytest.raises(CatalogPathNotFound, match="nowhere"):
        _catalog(tmp_path / "nowhere", file_format)
    with pytest.raises(FileNotFoundError):
        _catalog(tmp_path / "nowhere", file_format)


def test_new_and_deleted_files_noticed(tmp_path: Path, file_format: str) -> None:
    """[fix] Rescans pick up new files and drop runs whose file vanished."""
    catalog = _catalog(tmp_path, file_format)
    reader = _catalog(tmp_path, file_format)
    first = _record(catalog, count([det], 1))
    assert reader[-1].metadata["start"]["uid"] == first
    second = _record(catalog, count([det], 1))
    assert reader[-1].metadata["start"]["uid"] == second
    os.remove(tmp_path / f"{second}.{file_format}")
    assert reader.search({})[-1].metadata["start"]["uid"] == first
    assert len(reader.search({})) == 1


def test_reading_never_modifies_files(tmp_path: Path, file_format: str) -> None:
    """[compat] Reading a catalog leaves every data file byte-for-byte unchanged."""
    catalog = _catalog(tmp_path, file_format)
    uid = _record(catalog, scan([det, img], motor, -1, 1, 3))
    path = tmp_path / f"{uid}.{file_format}"
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    run = _catalog(tmp_path, file_format)[uid]
    list(run.documents(fill="yes"))
    run.primary.read()
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_suitcase_files_read_identically(tmp_path: Path, file_format: str) -> None:
    """[compat] Files written by suitcase-jsonl / suitcase-msgpack read back identically."""
    import suitcase.jsonl
    import suitcase.msgpack

    serializer_class = {"jsonl": suitcase.jsonl, "msgpack": suitcase.msgpack}[file_format]
    ours = tmp_path / "ours"
    theirs = tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    our_catalog = _catalog(ours, file_format)
    engine = RunEngine({})
    engine.subscribe(our_catalog._get_serializer())
    serializer = serializer_class.Serializer(str(theirs))
    engine.subscribe(serializer)
    (uid,) = engine(scan([det, img], motor, -1, 1, 3))
    serializer.close()
    their_catalog = _catalog(theirs, file_format)
    our_catalog.force_reload()

    def documents(catalog: Any) -> list[Any]:
        return [(name, _plain(doc)) for name, doc in catalog[uid].documents(fill="no")]

    assert documents(our_catalog) == documents(their_catalog)
    assert our_catalog[uid].primary.read().equals(their_catalog[uid].primary.read())


def _plain(doc: Any) -> Any:
    import numpy as np

    if isinstance(doc, dict):
        return {k: _plain(v) for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [_plain(v) for v in doc]
    if isinstance(doc, np.ndarray):
        return doc.tolist()
    return doc


def test_intake_yaml_catalog(tmp_path: Path) -> None:
    """[compat] An intake YAML file opens a file catalog by driver name; relative root_map
    values resolve against the YAML file's directory."""
    import intake

    data = tmp_path / "data"
    data.mkdir()
    catalog = _catalog(data, "msgpack")
    uid = _record(catalog, count([det], 2))
    yaml_path = tmp_path / "catalog.yml"
    yaml_path.write_text(
        "sources:\n"
        "  local:\n"
        "    driver: bluesky-msgpack-catalog\n"
        "    args:\n"
        "      paths: ['{{ CATALOG_DIR }}/data/*.msgpack']\n"
        "      root_map: {/old/root: ./files}\n"
    )
    opened = intake.open_catalog(str(yaml_path))["local"]
    assert isinstance(opened, BlueskyMsgpackCatalog)
    assert opened[uid].primary.read()["det"].shape == (2,)
    resolved = opened.read_context.resolved_root_map()
    assert resolved == {"/old/root": str(tmp_path / "files")}


def test_relative_root_map_without_catalog_dir(tmp_path: Path) -> None:
    """[fix] A relative root_map value with no catalog directory raises ConfigError (a
    ValueError) naming the entry."""
    from databroker.errors import ConfigError

    with pytest.raises(ConfigError, match=r"/old.*relative/dir"):
        BlueskyMsgpackCatalog(str(tmp_path / "*.msgpack"), root_map={"/old": "relative/dir"})


def test_live_run_grows(tmp_path: Path, file_format: str) -> None:
    """[fix] While a run has no stop, each read() re-reads storage so new events appear."""
    from event_model import compose_run

    catalog = _catalog(tmp_path, file_format)
    write = catalog._get_serializer()
    bundle = compose_run()
    write("start", bundle.start_doc)
    desc = bundle.compose_descriptor(
        name="primary", data_keys={"x": {"dtype": "number", "shape": [], "source": "s"}}
    )
    write("descriptor", desc.descriptor_doc)
    write("event", desc.compose_event(data={"x": 1.0}, timestamps={"x": time.time()}))
    catalog.force_reload()
    stream = catalog[-1].primary
    assert stream.read()["x"].values.tolist() == [1.0]
    write("event", desc.compose_event(data={"x": 2.0}, timestamps={"x": time.time()}))
    assert stream.read()["x"].values.tolist() == [1.0, 2.0]
    write("stop", bundle.compose_stop())
    assert catalog[-1].metadata["stop"]["exit_status"] == "success"
