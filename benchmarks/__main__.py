"""Command line: run the workloads, print the table, exit 1 if any result check failed."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .backends import BACKEND_NAMES, Backend, make_backend
from .data import SCALES
from .report import Row, format_table, rows_as_json
from .workloads import WORKLOADS, Context, warm_up


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument(
        "--backends",
        default=",".join(BACKEND_NAMES),
        help=f"comma-separated, from {', '.join(BACKEND_NAMES)} (default: all)",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated, from {', '.join(WORKLOADS)} (default: all)",
    )
    parser.add_argument("--repeat", type=int, default=None, help="timed repeats per measurement")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="scratch directory (default: a temporary one)"
    )
    return parser


def _choices(text: str, allowed: Sequence[str], what: str) -> list[str]:
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in allowed]
    if unknown:
        raise SystemExit(f"Unknown {what} {unknown}; choose from {', '.join(allowed)}.")
    return chosen


def _progress(row: Row) -> None:
    ratio = "" if row.ratio is None else f" ratio {row.ratio:.2f}"
    status = row.error or row.verdict
    print(f"  {row.workload} [{row.backend}]{ratio}: {status}", file=sys.stderr, flush=True)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the suite as the command line asks; return the exit status."""
    options = _parser().parse_args(argv)
    scale = SCALES[options.scale]
    names = _choices(options.backends, BACKEND_NAMES, "backends")
    workloads = _choices(options.workloads, list(WORKLOADS), "workloads")
    with tempfile.TemporaryDirectory(prefix="databroker-bench-") as scratch:
        workdir = options.workdir or Path(scratch)
        if workdir.exists() and any(workdir.iterdir()):
            raise SystemExit(f"--workdir {workdir} is not empty; give a new or empty directory.")
        notes: list[str] = []
        backends: list[Backend] = []
        for name in names:
            made = make_backend(name, workdir)
            if isinstance(made, str):
                notes.append(made)
            else:
                backends.append(made)
                if made.note:
                    notes.append(made.note)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        ctx = Context(scale, options.repeat or scale.repeat, backends, workdir, notes, _progress)
        rows: list[Row] = []
        try:
            warm_up(ctx)
            for workload in workloads:
                print(f"{workload}:", file=sys.stderr, flush=True)
                rows.extend(WORKLOADS[workload](ctx))
        finally:
            for backend in backends:
                backend.close()
    print(f"\nscale {scale.name}, {ctx.repeat} repeats; ratio = median / floor median\n")
    print(format_table(rows))
    if ctx.notes:
        print()
    for note in ctx.notes:
        print(f"note: {note}")
    if options.json is not None:
        options.json.write_text(json.dumps({"notes": ctx.notes, "rows": rows_as_json(rows)}))
    return 1 if any(row.error for row in rows) else 0


if __name__ == "__main__":
    sys.exit(run())
