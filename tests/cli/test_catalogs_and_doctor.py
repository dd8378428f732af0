"""``databroker catalogs`` and ``databroker doctor``: what is discoverable and what is wrong."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from databroker._config.doctor import Finding, check_catalog, check_config_files

from .conftest import run_command


@pytest.fixture
def places(tmp_path: Path, demo_runs: str) -> dict[str, str]:
    """Environment of a user with an intake YAML catalog 'demo' and a broken config file."""
    configs, data = tmp_path / "configs", tmp_path / "data"
    (data / "intake").mkdir(parents=True)
    configs.mkdir()
    sources = {"demo": {"driver": "bluesky-msgpack-catalog", "args": {"paths": [demo_runs]}}}
    (data / "intake" / "mine.yml").write_text(yaml.safe_dump({"sources": sources}))
    (configs / "broken.yml").write_text("metadatastore: [\n")
    return {"DATABROKER_CONFIG_PATH": str(configs), "XDG_DATA_HOME": str(data)}


def test_catalogs_lists_name_driver_source_opens(places: dict[str, str]) -> None:
    """[new] catalogs lists each catalog with its driver, file and whether it opens (exit 1
    when one does not)."""
    result = run_command("catalogs", env=places)
    assert result.returncode == 1
    demo = next(line for line in result.stdout.splitlines() if line.startswith("demo "))
    assert "bluesky-msgpack-catalog" in demo and "mine.yml" in demo and demo.endswith("yes")
    listed = json.loads(run_command("catalogs", "--json", env=places).stdout)
    by_name = {info["name"]: info for info in listed}
    assert by_name["demo"]["opens"] is True
    assert by_name["broken"]["opens"] is False and "line" in by_name["broken"]["problem"]


def test_installed_catalog_name_is_a_location(places: dict[str, str]) -> None:
    """[new] The name of an installed catalog is a LOCATION (ls demo)."""
    rows = json.loads(run_command("ls", "demo", "--json", env=places).stdout)
    assert [row["scan_id"] for row in rows] == [3, 2, 1]


def test_doctor_reports_findings(places: dict[str, str], demo_runs: str) -> None:
    """[new] doctor shows the search path, a config parse error, handlers with their package,
    backends and the location; a problem makes it exit 1."""
    result = run_command("doctor", demo_runs, env=places)
    assert result.returncode == 1
    out = result.stdout
    assert places["DATABROKER_CONFIG_PATH"] in out
    assert "[ERROR] config 'broken'" in out and "line" in out
    assert "handler NPY_SEQ" in out and "(from databroker)" in out
    assert "backend msgpack is available" in out
    assert f"{demo_runs}: 3 run(s)" in out
    findings = json.loads(run_command("doctor", "--json", env=places).stdout)
    assert {"level", "topic", "message", "fix"} == set(findings[0])


def test_doctor_clean_environment_exits_0(tmp_path: Path, demo_runs: str) -> None:
    """[new] doctor exits 0 when nothing is wrong."""
    env = {"DATABROKER_CONFIG_PATH": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    result = run_command("doctor", demo_runs, env=env)
    assert result.returncode == 0, result.stdout
    assert "No problems found." in result.stdout


def test_doctor_mongo_index_check(mongo_uri, run_here) -> None:
    """[new] doctor LOCATION on MongoDB names the missing indexes and the fix ensure_indexes()."""
    uri, _ = mongo_uri
    result = run_here("doctor", uri)
    assert "recommended index" in result.stdout and "ensure_indexes()" in result.stdout


class _IndexedCatalog:
    """A catalog stand-in whose database has every index (mongomock cannot build them all)."""

    def __len__(self) -> int:
        return 2

    def check_indexes(self) -> list[str]:
        return []


def test_check_catalog_all_indexes_present() -> None:
    """[new] check_catalog says ok when no recommended index is missing."""
    findings = check_catalog(_IndexedCatalog(), "db")
    assert findings == [
        Finding("ok", "location", "db: 2 run(s)"),
        Finding("ok", "mongo", "db has every recommended index"),
    ]


def test_check_config_files_names_parse_errors(tmp_path: Path, monkeypatch) -> None:
    """[new] check_config_files returns an error finding naming the file and line."""
    (tmp_path / "bad.yml").write_text("a: [\n")
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", str(tmp_path))
    errors = [f for f in check_config_files() if f.level == "error"]
    assert len(errors) == 1 and "bad.yml, line 2" in errors[0].message
    assert os.fspath(tmp_path) in check_config_files()[0].message
