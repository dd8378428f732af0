"""Timing with result checks, and the peak-memory measurement in a subprocess."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .report import Sample

__all__ = ["CheckFailed", "check", "freeze", "measure", "peak_memory", "run_python", "time_import"]

T = TypeVar("T")


class CheckFailed(AssertionError):
    """A measured call returned a wrong result."""


def check(condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def measure(
    prepare: Callable[[], Callable[[], T]], verify: Callable[[T], None], repeat: int
) -> Sample:
    """Time ``repeat`` calls, each built by ``prepare()`` (untimed) and checked by ``verify``.

    Every result is checked, so a wrong answer fails the row instead of looking fast. Call
    :func:`freeze` after building large data, or each collection here scans all of it.
    """
    values = []
    for _ in range(repeat):
        call = prepare()
        gc.collect()  # so one call does not pay for the previous call's garbage
        start = time.perf_counter()
        result = call()
        values.append(time.perf_counter() - start)
        verify(result)
    return Sample(tuple(values))


def freeze() -> None:
    """Exclude every object alive now (generated documents, mongomock data) from collections.

    Otherwise the cyclic collector's full passes, in the timed calls and in :func:`measure`,
    scan millions of set-up objects and the timings measure the set-up's size.
    """
    gc.collect()
    gc.freeze()


def run_python(
    code_or_args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    """Run a fresh interpreter with these arguments; return its output (CheckFailed if it
    fails)."""
    done = subprocess.run(
        [sys.executable, *code_or_args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise CheckFailed(f"subprocess {code_or_args} exited {done.returncode}: {done.stderr}")
    return done.stdout


_IMPORT_CODE = (
    "import sys, time\n"
    "start = time.perf_counter()\n"
    "import databroker\n"
    "print(time.perf_counter() - start, 'databroker' in sys.modules)\n"
)


def time_import(repeat: int) -> Sample:
    """Time ``import databroker`` in ``repeat`` fresh interpreters."""
    values = []
    for _ in range(repeat):
        seconds, imported = run_python(["-c", _IMPORT_CODE]).split()
        check(imported == "True", "the subprocess did not import databroker")
        values.append(float(seconds))
    return Sample(tuple(values))


def peak_memory(backend: str, scale: str, workdir: Path) -> dict[str, Any]:
    """Run :mod:`benchmarks.memory` in a subprocess and return what it reports."""
    root = Path(__file__).resolve().parent.parent
    output = run_python(["-m", "benchmarks.memory", backend, scale, str(workdir)], cwd=root)
    return dict(json.loads(output.strip().splitlines()[-1]))
