"""Run state, waiting for the end, and last_update, with a RunEngine writing."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from databroker.errors import DatabrokerError, RunWaitTimeout

from .conftest import Writers


def _wait_for_file(directory: Path, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not any(directory.iterdir()):
        assert time.monotonic() < end, "the writer wrote no file"
        time.sleep(0.01)


def test_state_running_then_exit_status_in_process() -> None:
    """[new] run.state is 'running' while the RunEngine writes, then the stop's exit_status."""
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import det

    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog()
    write = catalog.serializer()
    seen: list[str] = []

    def check(name: str, doc: dict[str, Any]) -> None:
        write(name, doc)
        if name == "event":
            seen.append(catalog[-1].state)

    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(check)
    engine(count([det], num=3))
    assert seen == ["running"] * 3
    run = catalog[-1]
    assert run.state == "success"
    assert run.wait(timeout=0) == "success"
    assert run.last_update == pytest.approx(run.metadata["stop"]["time"])


def test_wait_returns_when_another_process_stops_the_run(
    writers: Writers, msgpack_catalog: Any, run_dir: Path
) -> None:
    """[new] run.wait() blocks until the writer (another process) writes the stop."""
    writers.start("--events", "20", "--delay", "0.02")
    _wait_for_file(run_dir)
    token_run = None
    end = time.monotonic() + 30
    while token_run is None:
        msgpack_catalog.force_reload()
        if len(msgpack_catalog):
            token_run = msgpack_catalog[-1]
        assert time.monotonic() < end
    assert token_run.wait(timeout=60) == "success"
    assert token_run.state == "success"
    writers.wait()


def test_frozen_writer_run_stays_running_and_readers_time_out(
    writers: Writers, msgpack_catalog: Any, run_dir: Path
) -> None:
    """[new] A writer that stops writing mid-run: the run stays 'running', last_update says
    since when, wait() and cursor reads time out instead of blocking."""
    process = writers.start("--events", "10", "--hang-after", "3")
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "hanging"
    msgpack_catalog.force_reload()
    run = msgpack_catalog[-1]
    assert run.state == "running"
    last = run.last_update
    assert last is not None and last <= time.time()
    with pytest.raises(RunWaitTimeout) as raised:
        run.wait(timeout=0.2)
    assert isinstance(raised.value, TimeoutError) and isinstance(raised.value, DatabrokerError)
    assert run.uid in str(raised.value)
    cursor = run.primary.cursor()
    first, rows = cursor.read()
    assert (first, rows.sizes["time"]) == (0, 3)
    first, rows = cursor.read(timeout=0.2)
    assert (first, rows.sizes["time"], cursor.position) == (3, 0, 3)
    writers.kill()
    assert run.state == "running"
    assert run.last_update == last


def test_wait_from_a_thread_sees_the_stop_of_a_memory_run() -> None:
    """[new] wait() on a memory catalog returns once a writer thread writes the stop."""
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import det

    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog()
    write = catalog.serializer()
    started = threading.Event()
    release = threading.Event()

    def gate(name: str, doc: dict[str, Any]) -> None:
        if name == "stop":
            started.set()
            release.wait(30)
        write(name, doc)

    engine = RunEngine({}, call_returns_result=False, context_managers=[])
    engine.subscribe(gate)
    thread = threading.Thread(target=engine, args=(count([det], num=2),))
    thread.start()
    assert started.wait(30)
    run = catalog[-1]
    assert run.state == "running"
    release.set()
    assert run.wait(timeout=30) == "success"
    thread.join(30)
