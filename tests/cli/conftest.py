"""Catalogs the command line is driven against: the demo catalog, a suitcase-written folder,
and a mongomock-backed database; and runners of the command in a subprocess or in process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Result:
    """What one run of the command printed, and its exit status."""

    returncode: int
    stdout: str
    stderr: str


def run_command(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``python -m databroker ARGS`` in a subprocess (stdout is a pipe, not a terminal)."""
    done = subprocess.run(
        [sys.executable, "-m", "databroker", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory written once per session by ``databroker demo`` (runs/ and external/)."""
    directory = tmp_path_factory.mktemp("demo")
    result = run_command("demo", "--directory", str(directory))
    assert result.returncode == 0, result.stderr
    return directory


@pytest.fixture(scope="session")
def demo_runs(demo_dir: Path) -> str:
    """The demo catalog's run directory."""
    return str(demo_dir / "runs")


def _record(callback_factory: Callable[[], Callable[[str, dict], None]]) -> list[str]:
    """Record a scan and a count with a RunEngine and ophyd.sim into a new callback per run."""
    from bluesky import RunEngine
    from bluesky.plans import count, scan
    from ophyd.sim import det, motor

    current: list[Any] = []

    def callback(name: str, doc: dict) -> None:
        if name == "start":
            current[:] = [callback_factory()]
        current[0](name, doc)
        if name == "stop":
            close = getattr(current[0], "close", None)
            if close is not None:
                close()

    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(callback)
    uids = list(engine(scan([det], motor, -1, 1, 3), sample="silicon"))
    uids += list(engine(count([det], num=2), sample="quartz"))
    return uids


@pytest.fixture(scope="session", params=["jsonl", "msgpack"])
def suitcase_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A folder of two runs written by suitcase-jsonl or suitcase-msgpack: (path, uids)."""
    import importlib

    serializer = importlib.import_module(f"suitcase.{request.param}").Serializer
    directory = tmp_path_factory.mktemp(f"suitcase_{request.param}")
    uids = _record(lambda: serializer(str(directory)))
    return str(directory), uids


@pytest.fixture
def mongo_uri() -> Iterator[tuple[str, list[str]]]:
    """A mongomock database (embedded layout) on localhost holding two runs: (URI, uids).

    The patch stays on during the test, so the command must run in this process.
    """
    import mongomock

    from databroker import open_catalog

    uri = f"mongodb://localhost:27017/cli_{uuid.uuid4().hex[:12]}"
    with mongomock.patch(servers=(("localhost", 27017),)):
        catalog = open_catalog(uri, backend="mongo-embedded")
        uids = _record(catalog.serializer)
        catalog.close()
        yield uri, uids


@pytest.fixture
def run_here(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``databroker.cli.main.main(ARGS)`` in this process, capturing what it prints."""
    from databroker.cli.main import main

    def runner(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return runner
