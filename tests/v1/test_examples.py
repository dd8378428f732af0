"""The v1 example scripts run end to end on a temporary, JSONL, msgpack and Mongo catalog.

Directory catalogs run each script in a subprocess, as a user would; the Mongo layouts and
the temporary catalog run it in this process (``runpy``), with mongomock standing in for a
MongoDB server on localhost.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "v1"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
MONGO_LAYOUTS = {"mongo-normalized": "normalized", "mongo-embedded": "embedded"}


def _check_scan_table(output: str) -> None:
    assert re.search(r"^scan 1 \(\w{8}\), streams: \['baseline', 'primary'\]$", output, re.M)
    assert re.search(r"^\s+time\s+det\s+motor$", output, re.M)
    assert re.search(r"^\s+time\s+det1$", output, re.M)
    # Index values of both tables: five scan points, then baseline before and after.
    assert re.findall(r"^(\d+)\s+\d{4}-\d\d-\d\d ", output, re.M) == list("1234512")
    assert output.rstrip().endswith("exit status: success")


def _check_plot_arrays(output: str) -> None:
    assert output.splitlines() == [
        "x: [-1.  -0.5  0.   0.5  1. ]",
        "y: [0.607 0.882 1.    0.882 0.607]",
        "peak at x = 0.0",
    ]


def _check_search_time_window(output: str) -> None:
    lines = output.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(r"\d\d:\d\d:\d\d  scan   2  count   imaging", lines[0])
    assert re.fullmatch(r"\d\d:\d\d:\d\d  scan   1  scan    alignment", lines[1])
    assert lines[2] == "runs with an image field: [2]"


def _check_area_detector_images(output: str) -> None:
    assert output.splitlines() == [
        "3 frames of shape (10, 10), dtype float64",
        "mean of the last frame: 3.0",
        "sums per frame: [100.0, 200.0, 300.0]",
    ]


def _check_export_catalog(output: str) -> None:
    lines = output.splitlines()
    assert re.fullmatch(r"exporting 2 runs, 0\.\d{3} MB of files", lines[0])
    copied = re.fullmatch(r"copied 3 files into (.*)", lines[1])
    assert copied is not None
    assert len(list(Path(copied.group(1)).rglob("*.npy"))) == 3
    assert lines[2:] == ["runs in the new catalog: [1, 2]"]


CHECKS: dict[str, Callable[[str], None]] = {
    "area_detector_images.py": _check_area_detector_images,
    "export_catalog.py": _check_export_catalog,
    "plot_arrays.py": _check_plot_arrays,
    "scan_table.py": _check_scan_table,
    "search_time_window.py": _check_search_time_window,
}


def _run(script: str, *args: str, tmp_path: Path) -> str:
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the scripts' temporary files stay here
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def run_here(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Callable[..., str]:
    """Run an example in this process as ``__main__`` with the given arguments; its stdout."""
    monkeypatch.syspath_prepend(str(EXAMPLES))  # the scripts import _demo from their folder
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def run(script: str, *args: str) -> str:
        monkeypatch.setattr(sys, "argv", [script, *args])
        capsys.readouterr()
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
        return capsys.readouterr().out

    return run


def test_all_examples_listed() -> None:
    """[compat] examples/v1 holds the five v1 analysis scripts, each with an output check."""
    scripts = [
        "area_detector_images.py",
        "export_catalog.py",
        "plot_arrays.py",
        "scan_table.py",
        "search_time_window.py",
    ]
    assert scripts == SCRIPTS == list(CHECKS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_on_temporary_catalog(script: str, run_here: Callable[..., str]) -> None:
    """[compat] Without arguments each v1 example fills a temporary catalog and reads it."""
    CHECKS[script](run_here(script))


@pytest.mark.parametrize("layout", sorted(MONGO_LAYOUTS))
@pytest.mark.parametrize("script", SCRIPTS)
def test_example_on_mongo(script: str, layout: str, run_here: Callable[..., str]) -> None:
    """[compat] Each v1 example records demo runs into an empty Mongo database and reads them."""
    import mongomock

    uri = f"mongodb://localhost:27017/examples_{uuid.uuid4().hex[:12]}"
    with mongomock.patch(servers=(("localhost", 27017),)):
        output = run_here(script, uri, "--layout", MONGO_LAYOUTS[layout])
    CHECKS[script](output)


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["jsonl", "msgpack"])
@pytest.mark.parametrize("script", SCRIPTS)
def test_example_on_directory(script: str, layout: str, tmp_path: Path) -> None:
    """[compat] Each v1 example records demo runs into an empty catalog directory and reads
    them, run as a script."""
    directory = tmp_path / "runs"
    directory.mkdir()
    CHECKS[script](_run(script, str(directory), "--layout", layout, tmp_path=tmp_path))
    assert len(list(directory.glob(f"*.{layout}"))) == 2
    assert list(directory.iterdir()) == list(directory.glob(f"*.{layout}"))


@pytest.mark.slow
def test_example_on_catalog_dir(tmp_path: Path) -> None:
    """[compat] Example scripts read a catalog directory written by another session as is."""
    from bluesky import RunEngine
    from bluesky.plans import scan
    from ophyd.sim import det, motor

    from databroker._drivers.msgpack import BlueskyMsgpackCatalog

    directory = tmp_path / "runs"
    directory.mkdir()
    catalog = BlueskyMsgpackCatalog(str(directory / "*.msgpack"))
    engine: Any = RunEngine({}, call_returns_result=False)
    engine.subscribe(catalog._get_serializer())
    engine(scan([det], motor, 0, 2, 3))
    catalog.close()
    output = _run("plot_arrays.py", str(directory), tmp_path=tmp_path)
    assert "x: [0. 1. 2.]" in output
    assert len(list(directory.glob("*.msgpack"))) == 1  # nothing was recorded into it
