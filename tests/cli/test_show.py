"""``databroker show LOCATION RUN``: metadata, streams with fields, resources and files."""

from __future__ import annotations

import json

from .conftest import run_command


def test_show_by_scan_id_lists_fields_and_files(demo_runs: str) -> None:
    """[new] show by scan_id prints start/stop, each stream's fields and the resolved files."""
    result = run_command("show", demo_runs, "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(scan_id 2, plan count)" in out
    assert "start:" in out and "stop:" in out and "exit_status  success" in out
    assert "stream primary: 3 events" in out
    camera = next(line for line in out.splitlines() if line.strip().startswith("camera"))
    assert camera.split()[1:] == ["array", "[16,16]", "SIM:camera", "FILESTORE"]
    assert "NPY_SEQ" in out and "yes" in out.splitlines()[-1]


def test_show_json_newest_and_prefix(demo_runs: str) -> None:
    """[new] show -1 --json parses; a uid prefix finds the same run."""
    newest = json.loads(run_command("show", demo_runs, "-1", "--json").stdout)
    assert newest["start"]["scan_id"] == 3
    (stream,) = newest["streams"]
    assert stream["events"] == 3 and {f["name"] for f in stream["fields"]} >= {"det", "motor"}
    assert not any(f["external"] for f in stream["fields"])
    by_prefix = json.loads(run_command("show", demo_runs, newest["uid"][:8], "--json").stdout)
    assert by_prefix["uid"] == newest["uid"]
    camera = json.loads(run_command("show", demo_runs, "2", "--json").stdout)
    (resource,) = camera["resources"]
    assert resource["exists"] and resource["files"] == 3 and resource["spec"] == "NPY_SEQ"


def test_show_unknown_run_is_an_error(demo_runs: str) -> None:
    """[new] show of a run that is not there prints a one-line error and exits 1."""
    result = run_command("show", demo_runs, "99")
    assert result.returncode == 1
    assert result.stderr.startswith("databroker: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_show_suitcase_folder(suitcase_dir) -> None:
    """[new] show reads a run of a suitcase-written folder."""
    directory, uids = suitcase_dir
    shown = json.loads(run_command("show", directory, uids[0], "--json").stdout)
    assert shown["start"]["sample"] == "silicon" and shown["stop"]["exit_status"] == "success"
    assert shown["streams"][0]["events"] == 3 and shown["resources"] == []


def test_show_mongo(mongo_uri, run_here) -> None:
    """[new] show reads a run of a mongomock-backed catalog."""
    uri, uids = mongo_uri
    result = run_here("show", uri, "-1")
    assert result.returncode == 0, result.stderr
    assert uids[1] in result.stdout and "stream primary: 2 events" in result.stdout
