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
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from .data import singles_run
from .report import Row, Sample, Target
from .timing import check, freeze, measure, run_python

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


def _import_floor(modules: str, env: dict[str, str]) -> float:
    """Seconds to import ``modules`` alone in a fresh interpreter."""
    code = _IMPORT_FLOOR_CODE.format(modules=modules)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def _first_read(directory: Path, events: int, env: dict[str, str]) -> float:
    """Seconds of import + open + first read in a fresh interpreter, the result checked."""
    output = run_python(["-c", _FIRST_READ_CODE, str(directory)], env=env)
    result = json.loads(output.strip().splitlines()[-1])
    check(result["rows"] == events, f"read {result['rows']} rows of {events}")
    check(not result["dask.array"], "read() imported dask.array")
    return float(result["seconds"])


def _interleaved(cases: dict[str, Callable[[], float]], repeat: int) -> dict[str, Any]:
    """Run every case once untimed (it writes the bytecode), then ``repeat`` rounds of every
    case in turn, so that floors and reads see the same load of a shared machine.

    Returns each case's :class:`Sample`, or the exception that stopped it.
    """
    values: dict[str, list[float]] = {name: [] for name in cases}
    failed: dict[str, Exception] = {}
    for attempt in range(repeat + 1):
        for name, case in cases.items():
            if name in failed:
                continue
            try:
                value = case()
            except Exception as error:  # becomes the row's error
                failed[name] = error
                continue
            if attempt:
                values[name].append(value)
    return {name: failed.get(name) or Sample(tuple(values[name])) for name in cases}


def _sample(result: Any) -> Sample:
    if isinstance(result, Exception):
        raise result
    return result


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
    floors = {"": FLOOR_WITH_DASK, "; floor: numpy+pandas+xarray": FLOOR_XARRAY}
    cases: dict[str, Callable[[], float]] = {
        modules: partial(_import_floor, modules, env) for modules in floors.values()
    }
    for name in names:
        cases[name] = partial(_first_read, tiny.paths[name].parent, tiny.events, env)
    samples = _interleaved(cases, ctx.repeat)
    for name in names:
        for suffix, modules in floors.items():
            yield _row(
                ctx,
                f"first catalog + read(), fresh interpreter (10 events{suffix})",
                name,
                partial(_sample, samples[name]),
                _sample(samples[modules]),
                FIRST_READ_TARGET,
            )

        for first_look, suffix in ((False, ""), (True, ", first look in the process")):

            def prepare(name: str = name, first_look: bool = first_look) -> Any:
                if first_look:  # as the first catalog of a process meets the file
                    from databroker._stores.files.run import forget_outlines

                    forget_outlines()
                run = _file_catalog(large.paths[name])[-1]
                return lambda: formatter.format(run)

            yield _row(
                ctx,
                f"display run in IPython, {large.events:,} events (text+html{suffix})",
                name,
                lambda prepare=prepare: measure(prepare, _check_display(large.uid), ctx.repeat),
                None,
                DISPLAY_TARGET,
            )
