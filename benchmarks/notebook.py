"""What a scientist meets first: the first catalog and read of a session, and showing a run.

* ``first catalog + read()``: a fresh interpreter imports databroker, opens a catalog over a
  directory of RunEngine-shaped files and reads a 10-event scalar stream (target: 0.5 s);
  the floor is importing numpy, pandas, xarray and dask.array alone.
* ``display run``: IPython's display formatter (plain text and HTML) on a run of
  ``singles_events`` events just looked up in a new catalog (targets: 50 ms, 40 lines).
"""

from __future__ import annotations

import json
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
                  "ophyd": "ophyd" in sys.modules}))
"""


_IMPORT_FLOOR_CODE = """\
import json, time
start = time.perf_counter()
import numpy, pandas, xarray, dask.array
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def _import_floor(repeat: int) -> Sample:
    """What importing numpy, pandas, xarray and dask.array alone costs in a fresh interpreter
    (a read returns an xarray Dataset, and xarray imports dask.array when dask is installed)."""
    values = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", _IMPORT_FLOOR_CODE], capture_output=True, text=True, check=True
        )
        values.append(float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"]))
    return Sample(tuple(values))


def _first_read(directory: Path, events: int, repeat: int) -> Sample:
    """Time import + open + first read in ``repeat`` fresh interpreters."""
    values = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", _FIRST_READ_CODE, str(directory)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise CheckFailed(f"first read exited {done.returncode}: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        check(result["rows"] == events, f"read {result['rows']} rows of {events}")
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
    floor = _import_floor(ctx.repeat)
    for name in names:
        yield _row(
            ctx,
            "first catalog + read(), fresh interpreter (10 events)",
            name,
            lambda name=name: _first_read(tiny.paths[name].parent, tiny.events, ctx.repeat),
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
