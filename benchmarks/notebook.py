"""What a scientist meets first: the first catalog and read of a session, and showing a run.

* ``first catalog + read()``: a fresh interpreter imports databroker, opens a catalog over a
  directory of RunEngine-shaped files and reads a 10-event scalar stream (target: 0.5 s,
  absolute). Two rows: one against importing numpy, pandas, xarray and dask.array alone (the
  first floor, kept for comparison with earlier reports), one against numpy, pandas and
  xarray alone (what a numpy-backed ``read()`` needs: it imports no dask.array). Every
  interpreter, floors included, may write and reuse bytecode (in a cache under the work
  directory, filled by one untimed run), as a user's installation does, even when the
  environment sets ``PYTHONDONTWRITEBYTECODE``: otherwise each run would also time compiling
  databroker's modules from source, which the floors' installed packages never pay.
* ``display run``: IPython's display formatter (plain text and HTML) on a run of
  ``singles_events`` events just looked up in a new catalog (targets: 50 ms, 40 lines).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .data import singles_run
from .report import Row, Sample, Target
from .timing import CheckFailed, check, freeze, measure

__all__ = ["notebook"]

FIRST_READ_TARGET = Target("seconds", 0.5)
DISPLAY_TARGET = Target("seconds", 0.050)
MAX_DISPLAY_LINES = 40
_FILE_BACKENDS = ("msgpack", "jsonl")

_FIRST_READ_CODE = """\
import json, sys, time
start = time.perf_counter()
import databroker
catalog = databroker.open_catalog(sys.argv[1])
dataset = catalog[-1].primary.read()
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rows": int(dataset.sizes["time"]),
                  "ophyd": "ophyd" in sys.modules, "dask.array": "dask.array" in sys.modules}))
"""


_IMPORT_FLOOR_CODE = """\
import json, time
start = time.perf_counter()
import {modules}
print(json.dumps({{"seconds": time.perf_counter() - start}}))
"""

#: The first floor (kept): before read() stopped importing dask.array, xarray imported it
#: as soon as a Variable was built.
FLOOR_WITH_DASK = "numpy, pandas, xarray, dask.array"
#: What a numpy-backed read() needs.
FLOOR_XARRAY = "numpy, pandas, xarray"


def _bytecode_env(cache: Path) -> dict[str, str]:
    """The environment of the timed interpreters: bytecode written to and read from ``cache``."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def _import_floor(modules: str, repeat: int, env: dict[str, str]) -> Sample:
    """What importing ``modules`` alone costs in a fresh interpreter (after one untimed run)."""
    code = _IMPORT_FLOOR_CODE.format(modules=modules)
    values = []
    for attempt in range(repeat + 1):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        if attempt:
            values.append(float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"]))
    return Sample(tuple(values))


def _first_read(directory: Path, events: int, repeat: int, env: dict[str, str]) -> Sample:
    """Time import + open + first read in ``repeat`` fresh interpreters (after one untimed)."""
    values = []
    for attempt in range(repeat + 1):
        done = subprocess.run(
            [sys.executable, "-c", _FIRST_READ_CODE, str(directory)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        if done.returncode != 0:
            raise CheckFailed(f"first read exited {done.returncode}: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        check(result["rows"] == events, f"read {result['rows']} rows of {events}")
        check(not result["dask.array"], "read() imported dask.array")
        if attempt:
            values.append(float(result["seconds"]))
    return Sample(tuple(values))


def _formatter() -> Any:
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance().display_formatter


def _check_display(uid: str) -> Any:
    def verify(formatted: Any) -> None:
        data, _ = formatted
        text = data["text/plain"]
        check(uid in text, "the display does not name the run")
        check(len(text.splitlines()) <= MAX_DISPLAY_LINES, f"{len(text.splitlines())} lines")
        check("text/html" in data, "no HTML form")

    return verify


def notebook(ctx: Any) -> Iterator[Row]:
    """First catalog + read in a fresh interpreter; displaying a large run in IPython."""
    from .workloads import _file_catalog, _row

    names = [backend.name for backend in ctx.backends if backend.name in _FILE_BACKENDS]
    if not names:
        return
    root = ctx.workdir / "notebook"
    tiny = singles_run({name: root / "tiny" / name for name in names}, 10, seed=5)
    large = singles_run(
        {name: root / "large" / name for name in names}, ctx.scale.singles_events, seed=6
    )
    freeze()
    formatter = _formatter()
    env = _bytecode_env(root / "bytecode")
    floors = {
        "": _import_floor(FLOOR_WITH_DASK, ctx.repeat, env),
        "; floor: numpy+pandas+xarray": _import_floor(FLOOR_XARRAY, ctx.repeat, env),
    }
    first_reads: dict[str, Sample] = {}

    def first_read(name: str) -> Sample:
        """One measurement per backend, shown against each floor."""
        if name not in first_reads:
            path = tiny.paths[name].parent
            first_reads[name] = _first_read(path, tiny.events, ctx.repeat, env)
        return first_reads[name]

    for name in names:
        for suffix, floor in floors.items():
            yield _row(
                ctx,
                f"first catalog + read(), fresh interpreter (10 events{suffix})",
                name,
                lambda name=name: first_read(name),
                floor,
                FIRST_READ_TARGET,
            )

        def prepare(name: str = name) -> Any:
            run = _file_catalog(large.paths[name])[-1]
            return lambda: formatter.format(run)

        yield _row(
            ctx,
            f"display run in IPython, {large.events:,} events (text+html)",
            name,
            lambda prepare=prepare: measure(prepare, _check_display(large.uid), ctx.repeat),
            None,
            DISPLAY_TARGET,
        )
