"""``databroker check-files``: missing or moved external files and the root_map that fixes them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import run_command


@pytest.fixture
def moved_demo(demo_dir: Path, tmp_path: Path) -> tuple[str, str, str]:
    """A copy of the demo catalog whose external files were moved: (runs, old root, new dir).

    The copy's runs still name the demo's external directory, which is renamed for the test
    and put back afterwards.
    """
    old = demo_dir / "external"
    new = tmp_path / "elsewhere" / "frames"
    new.parent.mkdir()
    shutil.move(str(old), str(new))
    yield str(demo_dir / "runs"), str(old), str(tmp_path / "elsewhere")
    shutil.move(str(new), str(old))


def test_all_files_present_exit_0(demo_runs: str) -> None:
    """[new] check-files exits 0 and says so when every external file exists."""
    result = run_command("check-files", demo_runs)
    assert result.returncode == 0, result.stderr
    assert "All external files of 3 run(s)" in result.stdout


def test_missing_files_exit_1(moved_demo) -> None:
    """[new] check-files lists missing files and exits 1."""
    runs, old, _ = moved_demo
    result = run_command("check-files", runs)
    assert result.returncode == 1
    assert "missing" in result.stdout and old in result.stdout


def test_search_root_suggests_root_map(moved_demo) -> None:
    """[new] --search-root finds moved files and prints the root_map entry that fixes them,
    which --root-map then confirms."""
    runs, old, search_root = moved_demo
    new = str(Path(search_root) / "frames")
    result = run_command("check-files", runs, "sample=quartz", "--search-root", search_root)
    assert result.returncode == 1
    assert "moved" in result.stdout and f"--root-map {old}={new}" in result.stdout
    report = json.loads(
        run_command("check-files", runs, "2", "--json", "--search-root", search_root).stdout
    )
    (problem,) = report["problems"]
    assert problem["root_map_fix"] == {old: new} and len(problem["found"]) == 3
    fixed = run_command("check-files", runs, "--root-map", f"{old}={new}")
    assert fixed.returncode == 0, fixed.stdout


def test_suitcase_folder_has_no_files(suitcase_dir) -> None:
    """[new] check-files on runs without external data exits 0."""
    directory, _ = suitcase_dir
    report = json.loads(run_command("check-files", directory, "--json").stdout)
    assert report == {"runs": 2, "problems": []}


def test_mongo(mongo_uri, run_here) -> None:
    """[new] check-files runs on a mongomock-backed catalog."""
    uri, _ = mongo_uri
    result = run_here("check-files", uri, "-1")
    assert result.returncode == 0, result.stderr
    assert "All external files of 1 run(s)" in result.stdout
