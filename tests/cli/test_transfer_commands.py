"""``databroker pack / unpack / merge / prune`` and ``check-files --checksum``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import event_model
import pytest

from .conftest import run_command


@pytest.fixture
def demo_copy(tmp_path: Path) -> str:
    """A private demo catalog (its runs directory) that a test may change."""
    directory = tmp_path / "demo"
    result = run_command("demo", "--directory", str(directory))
    assert result.returncode == 0, result.stderr
    return str(directory / "runs")


def _json(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_pack_unpack_round_trip_zip(demo_runs: str, tmp_path: Path) -> None:
    """[new] pack a query's runs into a zip, unpack it into JSONL; a 2nd unpack skips all."""
    bundle = tmp_path / "b.zip"
    packed = _json(run_command("pack", demo_runs, str(bundle), "sample=quartz", "--json"))
    assert packed["action"] == "pack" and len(packed["runs"]) == 1 and bundle.is_file()
    assert len(packed["files"]) == 3 and packed["bytes"] > 0
    target = tmp_path / "target"
    unpacked = _json(run_command("unpack", str(bundle), str(target), "--format", "jsonl", "--json"))
    assert unpacked["runs"] == packed["runs"] and len(unpacked["files"]) == 3
    assert all(f["destination"].startswith(str(target)) for f in unpacked["files"])
    assert len(list(target.glob("*.jsonl"))) == 1
    again = _json(run_command("unpack", str(bundle), str(target), "--json"))
    assert again["runs"] == [] and again["skipped"] == packed["runs"]
    checked = _json(run_command("check-files", str(target), "--checksum", "--json"))
    assert checked["problems"] == [] and len(checked["files"]) == 3
    assert all(len(f["sha256"]) == 64 for f in checked["files"])


def test_dry_runs_change_nothing(demo_runs: str, tmp_path: Path) -> None:
    """[new] pack and unpack --dry-run print what they would do and write nothing."""
    dest = tmp_path / "bundle"
    plan = run_command("pack", demo_runs, str(dest), "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.startswith("would pack 3 run(s)") and not dest.exists()
    assert run_command("pack", demo_runs, str(dest)).returncode == 0
    target = tmp_path / "target"
    plan = run_command("unpack", str(dest), str(target), "--dry-run")
    assert plan.returncode == 0 and plan.stdout.startswith("would unpack 3 run(s)")
    assert not list(target.rglob("*.*"))


def test_pack_existing_destination_is_an_error(demo_runs: str, tmp_path: Path) -> None:
    """[new] pack into an existing non-empty path: one-line error, exit 1."""
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("x")
    result = run_command("pack", demo_runs, str(tmp_path / "taken"))
    assert result.returncode == 1
    assert result.stderr.startswith("databroker: error: Cannot pack into")


def test_damaged_bundle_exit_1(demo_runs: str, tmp_path: Path) -> None:
    """[new] unpack of a bundle with a changed file: checksum error naming it, exit 1."""
    dest = tmp_path / "bundle"
    assert run_command("pack", demo_runs, str(dest)).returncode == 0
    manifest = json.loads((dest / "manifest.json").read_text())
    damaged = dest / manifest["files"][0]["bundle_path"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\x00")
    result = run_command("unpack", str(dest), str(tmp_path / "target"))
    assert result.returncode == 1 and damaged.name in result.stderr
    assert not list((tmp_path / "target").rglob("*.*"))


def test_usage_errors_exit_2(run_here) -> None:
    """[new] A missing argument or a bad --external is a usage error: exit 2."""
    assert run_here("pack", "somewhere").returncode == 2
    assert run_here("pack", "a", "b", "--external", "nope").returncode == 2
    assert run_here("unpack", "bundle").returncode == 2
    assert run_here("merge", "central").returncode == 2
    assert run_here("prune", "catalog").returncode == 2


def test_external_choices_match_the_api() -> None:
    """[new] pack --external offers exactly the modes databroker.pack accepts."""
    from databroker._transfer.pack import EXTERNAL_MODES
    from databroker.cli import pack

    assert pack.EXTERNAL_MODES == EXTERNAL_MODES


def _derived_run(directory: Path, input_uid: str) -> str:
    """Write one derived run (provenance naming ``input_uid``) as a job would."""
    from databroker._transfer.provenance import make_provenance

    run = event_model.compose_run(metadata={"provenance": make_provenance([input_uid])})
    desc = run.compose_descriptor(
        name="primary", data_keys={"mean": {"source": "job", "dtype": "number", "shape": []}}
    )
    from databroker.testing.backends import storage

    catalog = storage("msgpack", directory).catalog()
    write = catalog.serializer()
    write("start", run.start_doc)
    write("descriptor", desc.descriptor_doc)
    write("event", desc.compose_event(data={"mean": 1.0}, timestamps={"mean": 0.0}, seq_num=1))
    write("stop", run.compose_stop())
    return str(run.start_doc["uid"])


@pytest.fixture
def job_output(demo_copy: str, tmp_path: Path) -> tuple[str, str, str]:
    """A job directory holding one run derived from a demo run with files: (dir, uid, input)."""
    import databroker

    catalog = databroker.open_catalog(demo_copy)
    used = next(uid for uid, run in catalog.items() if run.file_records())
    directory = tmp_path / "job"
    directory.mkdir()
    return str(directory), _derived_run(directory, used), used


def test_merge_twice_is_one_result(demo_copy: str, job_output) -> None:
    """[new] merge writes a job's derived run once; a second merge skips it; --dry-run
    writes nothing."""
    directory, derived, _ = job_output
    plan = _json(run_command("merge", demo_copy, directory, "--dry-run", "--json"))
    assert plan["dry_run"] and plan["runs"] == [derived]
    assert not list(Path(demo_copy).glob(f"{derived}.*"))
    first = _json(run_command("merge", demo_copy, directory, "--json"))
    second = _json(run_command("merge", demo_copy, directory, "--json"))
    assert first["runs"] == [derived] and second["runs"] == [] and second["skipped"] == [derived]
    assert len(list(Path(demo_copy).glob("*.msgpack"))) == 4


def test_prune_dry_run_default_guards_and_yes(demo_copy: str, job_output) -> None:
    """[new] prune is a dry run without --yes, refuses an input of another run unless
    --force, and with --yes --unstore removes the run and its unshared files."""
    import databroker

    directory, derived, used = job_output
    assert run_command("merge", demo_copy, directory).returncode == 0
    refused = run_command("prune", demo_copy, used)
    assert refused.returncode == 1 and derived in refused.stderr
    files = [r.path for r in databroker.open_catalog(demo_copy)[used].file_records()]
    plan = run_command("prune", demo_copy, used, "--force", "--unstore")
    assert plan.returncode == 0 and plan.stdout.startswith("would prune 1 run(s) and 3 file(s)")
    assert "--yes" in plan.stdout and all(Path(p).exists() for p in files)
    done = _json(run_command("prune", demo_copy, used, "--force", "--unstore", "--yes", "--json"))
    assert done["runs"] == [used] and not done["dry_run"]
    assert not any(Path(p).exists() for p in files)
    assert used not in databroker.open_catalog(demo_copy)
    assert run_command("prune", demo_copy, derived, "--yes", "--dry-run").returncode == 2


def test_check_files_checksum_text(demo_runs: str) -> None:
    """[new] check-files --checksum lists each file with size and sha256."""
    result = run_command("check-files", demo_runs, "--checksum")
    assert result.returncode == 0, result.stderr
    assert "sha256" in result.stdout and "3 file(s)" in result.stdout


def test_unpack_into_mongo(demo_runs: str, tmp_path: Path, mongo_uri, run_here) -> None:
    """[new] unpack into a mongodb:// URI (mongomock) with --external-root; merge and
    check-files read it back."""
    uri, uids = mongo_uri
    bundle = tmp_path / "b.zip"
    assert run_command("pack", demo_runs, str(bundle)).returncode == 0
    files = tmp_path / "files"
    result = run_here("unpack", str(bundle), uri, "--external-root", str(files), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["runs"]) == 3 and len(report["files"]) == 3
    again = json.loads(
        run_here("unpack", str(bundle), uri, "--external-root", str(files), "--json").stdout
    )
    assert again["runs"] == [] and len(again["skipped"]) == 3
    checked = run_here("check-files", uri, "--checksum", "--json")
    assert checked.returncode == 0, checked.stderr
    assert all(f["path"].startswith(str(files)) for f in json.loads(checked.stdout)["files"])
    listed = run_here("ls", uri, "--json")
    assert len(json.loads(listed.stdout)) == len(uids) + 3
