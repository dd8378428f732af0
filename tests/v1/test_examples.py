"""The v1 example scripts run end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "v1"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


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


def test_all_examples_listed() -> None:
    """[compat] examples/v1 holds the five v1 analysis scripts."""
    assert SCRIPTS == [
        "area_detector_images.py",
        "export_catalog.py",
        "plot_arrays.py",
        "scan_table.py",
        "search_time_window.py",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_on_demo_data(script: str, tmp_path: Path) -> None:
    """[compat] Each v1 example script runs unchanged on a temporary demo catalog."""
    assert _run(script, tmp_path=tmp_path).strip()


@pytest.mark.slow
def test_example_on_catalog_dir(tmp_path: Path) -> None:
    """[compat] Example scripts accept a catalog directory written by another session."""
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
