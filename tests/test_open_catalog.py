"""``databroker.open_catalog``: one way to open a directory, glob, Mongo URI, YAML file or name."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import event_model
import mongomock
import pytest
import yaml

import databroker
from databroker._stores.registry import backend
from databroker.errors import CatalogNotFound, ConfigError


def _write_run(catalog: Any, **metadata: Any) -> str:
    """Write one small run (one event) through a catalog's writer; return its uid."""
    write = catalog.serializer()
    run = event_model.compose_run(metadata=metadata)
    write("start", run.start_doc)
    stream = run.compose_descriptor(
        name="primary", data_keys={"x": {"dtype": "number", "shape": [], "source": "sim"}}
    )
    write("descriptor", stream.descriptor_doc)
    write("event", stream.compose_event(data={"x": 1.0}, timestamps={"x": 0.0}))
    write("stop", run.compose_stop())
    getattr(write, "close", lambda: None)()
    return run.start_doc["uid"]


@pytest.fixture(params=["jsonl", "msgpack"])
def run_dir(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str, str]:
    """A directory holding one run file of a format: (directory, format, uid)."""
    directory = tmp_path / "runs"
    directory.mkdir()
    driver = backend(request.param).load_driver()
    uid = _write_run(driver(str(directory / f"*.{request.param}")), sample="Si")
    return directory, request.param, uid


def test_directory_format_guessed(run_dir) -> None:
    """[new] A directory of JSONL or msgpack runs opens with the driver of its format."""
    directory, fmt, uid = run_dir
    catalog = databroker.open_catalog(directory)
    assert catalog.name == f"bluesky-{fmt}-catalog"
    assert list(catalog) == [uid]


def test_glob_file_and_expansion(run_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    """[new] A glob, a single run file, and $VARIABLES / ~ in them open the runs."""
    directory, fmt, uid = run_dir
    monkeypatch.setenv("RUNS_DIR", str(directory))
    monkeypatch.setenv("HOME", str(directory.parent))
    assert list(databroker.open_catalog(f"$RUNS_DIR/*.{fmt}")) == [uid]
    assert list(databroker.open_catalog(f"~/runs/*.{fmt}")) == [uid]
    assert list(databroker.open_catalog(directory / f"{uid}.{fmt}")) == [uid]


def test_kwargs_go_to_the_driver(run_dir) -> None:
    """[new] Keyword arguments reach the driver (root_map)."""
    directory, _, _ = run_dir
    catalog = databroker.open_catalog(str(directory), root_map={"/old": "/new"})
    assert catalog.root_map == {"/old": "/new"}


def test_two_formats_in_one_directory(tmp_path: Path) -> None:
    """[new] A directory holding both formats is a ConfigError saying how to choose."""
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / "b.msgpack").write_bytes(b"")
    with pytest.raises(ConfigError, match="several formats"):
        databroker.open_catalog(tmp_path)


def test_yaml_file_and_entry(run_dir, tmp_path: Path) -> None:
    """[new] file.yml (one entry) and file.yml:entry open the entry's catalog; a missing entry
    or a file of several entries without one raises naming the entries."""
    directory, fmt, uid = run_dir
    source = {"driver": f"bluesky-{fmt}-catalog", "args": {"paths": [str(directory)]}}
    one, two = tmp_path / "one.yml", tmp_path / "two.yml"
    one.write_text(yaml.safe_dump({"sources": {"raw": source}}))
    two.write_text(yaml.safe_dump({"sources": {"raw": source, "copy": source}}))
    assert list(databroker.open_catalog(one)) == [uid]
    assert list(databroker.open_catalog(f"{two}:copy", root_map={"/a": "/b"})) == [uid]
    with pytest.raises(ConfigError, match="raw"):
        databroker.open_catalog(two)
    with pytest.raises(CatalogNotFound, match="no entry 'nope'"):
        databroker.open_catalog(f"{one}:nope")


def test_installed_catalog_name(run_dir, tmp_path: Path, monkeypatch) -> None:
    """[new] The name of an entry of databroker.catalog opens that catalog."""
    import intake.catalog.default

    from databroker._config import discovery

    directory, fmt, uid = run_dir
    intake_dir = tmp_path / "intake"
    intake_dir.mkdir()
    source = {"driver": f"bluesky-{fmt}-catalog", "args": {"paths": [str(directory)]}}
    (intake_dir / "mine.yml").write_text(yaml.safe_dump({"sources": {"mine": source}}))
    monkeypatch.setattr(intake.catalog.default, "user_data_dir", lambda: str(intake_dir))
    monkeypatch.setattr(discovery, "_built", {})
    assert list(databroker.open_catalog("mine")) == [uid]


def test_nothing_fits_lists_what_was_tried(tmp_path: Path) -> None:
    """[new] When nothing fits, CatalogNotFound (a LookupError) lists each kind tried and why."""
    with pytest.raises(CatalogNotFound) as raised:
        databroker.open_catalog(str(tmp_path / "nowhere"))
    message = str(raised.value)
    assert isinstance(raised.value, LookupError)
    for kind in ("a MongoDB URI", "an intake YAML file", "run files", "an installed catalog"):
        assert kind in message
    assert "there is no file or directory" in message
    with pytest.raises(CatalogNotFound, match=r"holds no \.jsonl or \.msgpack file"):
        databroker.open_catalog(tmp_path)


@pytest.fixture
def mongo_server():
    """mongomock standing in for a MongoDB server on localhost."""
    with mongomock.patch(servers=(("localhost", 27017),)):
        yield lambda: f"mongodb://localhost:27017/oc_{uuid.uuid4().hex[:12]}"


def test_mongo_layout_detected(mongo_server) -> None:
    """[new] A mongodb:// URI opens the layout its collections say (header: embedded,
    run_start: normalized with the assets in the same database)."""
    embedded, normalized = mongo_server(), mongo_server()
    uid_e = _write_run(databroker.open_catalog(embedded, backend="mongo-embedded"))
    uid_n = _write_run(databroker.open_catalog(normalized, backend="mongo-normalized"))
    opened = databroker.open_catalog(embedded)
    assert opened.name == "bluesky-mongo-embedded-catalog" and list(opened) == [uid_e]
    opened = databroker.open_catalog(normalized)
    assert opened.name == "bluesky-mongo-normalized-catalog" and list(opened) == [uid_n]


def test_mongo_normalized_two_uris(mongo_server) -> None:
    """[new] Two URIs (a pair, or asset_registry_db=) open the normalized layout."""
    mds, assets = mongo_server(), mongo_server()
    uid = _write_run(databroker.open_catalog((mds, assets)))
    assert list(databroker.open_catalog([mds, assets])) == [uid]
    assert list(databroker.open_catalog(mds, asset_registry_db=assets)) == [uid]


def test_mongo_empty_database_and_no_name(mongo_server) -> None:
    """[new] An empty database says which collections it lacks and how to open it anyway; a
    URI without a database name is a ConfigError."""
    with pytest.raises(CatalogNotFound, match="backend='mongo-embedded'"):
        databroker.open_catalog(mongo_server())
    with pytest.raises(ConfigError, match="Did you forget to include a database"):
        databroker.open_catalog("mongodb://localhost:27017/")


def test_misspelled_yaml_driver_names_file_entry_and_closest(tmp_path: Path) -> None:
    """[fix] A misspelled driver in a YAML entry is a ConfigError naming file, entry and the
    closest installed driver, not intake's generic 'No plugins loaded'."""
    from databroker.errors import ConfigError

    path = tmp_path / "typo.yml"
    path.write_text(
        "sources:\n  local:\n    driver: bluesky-msgpak-catalog\n"
        f"    args:\n      paths: '{tmp_path}/*.msgpack'\n"
    )
    with pytest.raises(ConfigError) as raised:
        databroker.open_catalog(f"{path}:local")
    message = str(raised.value)
    assert str(path) in message and "'local'" in message
    assert "Did you mean 'bluesky-msgpack-catalog'?" in message
