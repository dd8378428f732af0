"""Writers in other processes (a RunEngine through the file writers) and catalogs reading."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Writers:
    """Start writer processes (``tests.live_runs.writer``); every one is killed at teardown."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, *options: str, fmt: str = "msgpack") -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "tests.live_runs.writer", str(self.directory)]
        process = subprocess.Popen(
            [*command, "--format", fmt, *options],
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        return process

    def wait(self, timeout: float = 60) -> None:
        for process in self.processes:
            _, err = process.communicate(timeout=timeout)
            assert process.returncode == 0, err

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.communicate()  # reaps it and closes its pipes


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """An empty directory for run files."""
    directory = tmp_path / "runs"
    directory.mkdir()
    return directory


@pytest.fixture
def writers(run_dir: Path) -> Iterator[Writers]:
    """Writer processes into ``run_dir``, killed (by pid) at teardown."""
    started = Writers(run_dir)
    yield started
    started.kill()


@pytest.fixture
def msgpack_catalog(run_dir: Path) -> Any:
    """A msgpack catalog over ``run_dir``, polling every 10 ms."""
    from databroker._config.open_catalog import open_catalog

    catalog = open_catalog(str(run_dir), backend="msgpack")
    catalog._store.poll_interval = 0.01
    return catalog
