"""Smoke test of the benchmark suite (``python -m benchmarks --scale small``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {
    "import databroker",
    "wide read()",
    "wide to_dask()+compute",
    "wide documents(fill='no')",
    "wide read() peak memory",
    "many open+len",
    "many search+len (repeated)",
    "many summary()",
    "images read()",
    "images one frame (to_dask()['img'][5])",
    "write wide",
    "first catalog + read(), fresh interpreter (10 events)",
}


def test_small_scale_runs_and_every_result_check_passes(tmp_path: Path) -> None:
    """[new] The small benchmark run exits 0 with every workload measured and checked."""
    output = tmp_path / "rows.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "small", "--json", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(output.read_text())["rows"]
    failed = [(row["workload"], row["backend"], row["error"]) for row in rows]
    assert [row for row in failed if row[2] is not None] == []
    assert {row["workload"] for row in rows} >= EXPECTED
    assert {"msgpack", "jsonl"} <= {row["backend"] for row in rows}
    for row in rows:
        assert row["verdict"] in {"pass", "miss", "-"}, row
        assert row["measured"]["values"], row
    assert "| workload" in done.stdout  # the table is printed


def test_wrong_backend_name_is_refused() -> None:
    """[new] An unknown backend name stops the run with a message listing the choices."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "small", "--backends", "sqlite"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "sqlite" in done.stderr and "msgpack" in done.stderr


def test_a_wrong_result_fails_its_row(monkeypatch: Any) -> None:
    """[new] A measured call whose result check fails marks its row FAILED, not fast."""
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.report import Row
    from benchmarks.timing import CheckFailed, check, measure

    with pytest.raises(CheckFailed, match="41 != 42"):
        measure(lambda: lambda: 41, lambda value: check(value == 42, f"{value} != 42"), 3)
    assert Row("w", "b", error="CheckFailed: 41 != 42").verdict == "FAILED"
