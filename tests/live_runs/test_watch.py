"""``databroker watch`` against a directory being written, and the live-data example."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ROOT, Writers


def test_watch_prints_each_row_as_it_is_written(writers: Writers, run_dir: Path) -> None:
    """[new] databroker watch DIR prints a line per event of each new run, then its end."""
    watch = subprocess.Popen(
        [
            *(sys.executable, "-m", "databroker", "watch", str(run_dir / "*.msgpack")),
            *("--fields", "det", "--max-runs", "2", "--timeout", "60"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # lets the watcher mark "now" first (it only shows runs after that)
        writers.start("--runs", "2", "--events", "4", "--delay", "0.02")
        out, err = watch.communicate(timeout=120)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.communicate()
    writers.wait()
    assert watch.returncode == 0, err
    lines = out.splitlines()
    uids = sorted(path.stem for path in run_dir.glob("*.msgpack"))
    rows = [line for line in lines if " det=" in line]
    assert len(rows) == 8
    assert sum(line.endswith("ended: success") for line in lines) == 2
    assert {line.split()[0] for line in rows} == {uid[:8] for uid in uids}
    assert [int(line.split()[1]) for line in rows] == [0, 1, 2, 3, 0, 1, 2, 3]


def test_watch_timeout_without_runs_exits_zero(run_dir: Path) -> None:
    """[new] databroker watch --timeout S with no run arriving exits 0."""
    from databroker.cli.main import main

    assert main(["watch", str(run_dir / "*.msgpack"), "--timeout", "0.1"]) == 0


def test_live_watch_example_runs() -> None:
    """[new] examples/live_watch.py runs end to end (the docs page's example)."""
    runpy.run_path(str(ROOT / "examples" / "live_watch.py"), run_name="__main__")
