"""``databroker watch LOCATION``: wait for runs and print their rows as they are written.

Each run that starts after the command does gets a line when it starts and when it ends;
each row (event) of the chosen stream gets one line as soon as it is written: the run's uid
(8 characters), the row index, its local time and the chosen fields (arrays are shown by
shape and dtype, never loaded). Runs until interrupted (Ctrl-C exits 0), or ``--max-runs``
runs have ended, or nothing new arrived for ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from .arguments import add_location, close_catalog, open_location
from .output import cell, jsonable

__all__ = ["add_parser", "run", "watch"]


def _fields(text: str) -> list[str]:
    fields = [field.strip() for field in text.split(",") if field.strip()]
    if not fields:
        raise argparse.ArgumentTypeError("--fields takes field names, comma-separated")
    return fields


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker watch`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="wait for runs and print each row (event) as it is written",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    add_location(parser)
    parser.add_argument("--stream", default="primary", help="the stream to print (primary)")
    parser.add_argument(
        "--fields", type=_fields, default=None, metavar="a,b", help="only these fields"
    )
    parser.add_argument(
        "--max-runs", type=int, default=None, metavar="N", help="stop after N runs ended"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="stop when nothing new (run or row) arrived for S seconds",
    )


def _value(values: Any) -> str:
    """One field of one row: a number or text as is, an array by shape and dtype."""
    if getattr(values, "ndim", 0) == 0:
        if hasattr(values, "compute"):  # a lazy (external) scalar: one value to load
            values = values.compute()
        return cell(values.item() if hasattr(values, "item") else values)
    return f"<{values.dtype} {'x'.join(map(str, values.shape))}>"


def _rows(uid: str, first: int, dataset: Any, json_lines: bool) -> list[str]:
    lines = []
    times = dataset["time"].values
    for row in range(dataset.sizes.get("time", 0)):
        fields = {name: dataset[name].data[row] for name in dataset.data_vars}
        if json_lines:
            record = {"uid": uid, "index": first + row, "time": float(times[row])}
            record.update(
                {
                    k: jsonable(v) if getattr(v, "ndim", 0) == 0 else _value(v)
                    for k, v in fields.items()
                }
            )
            lines.append(json.dumps(record))
            continue
        stamp = time.strftime("%H:%M:%S", time.localtime(float(times[row])))
        shown = " ".join(f"{name}={_value(value)}" for name, value in fields.items())
        lines.append(f"{uid[:8]} {first + row:>5} {stamp} {shown}".rstrip())
    return lines


def _emit(lines: Sequence[str]) -> None:
    for line in lines:
        print(line)
    sys.stdout.flush()


def _follow(run: Any, args: argparse.Namespace) -> bool:
    """Print the rows of one run until it ends; False if ``--timeout`` passed first."""
    from ..errors import EndOfStream

    reader = run.reader
    rows = reader.stream_rows(args.stream, include=args.fields)
    cursor = rows.cursor()
    quiet_since = time.monotonic()
    while True:
        step = (
            None
            if args.timeout is None
            else max(0.0, args.timeout - (time.monotonic() - quiet_since))
        )
        try:
            first, dataset = cursor.read(timeout=step)
        except EndOfStream:
            return True
        if dataset.sizes.get("time", 0):
            _emit(_rows(reader.uid, first, dataset, args.json))
            quiet_since = time.monotonic()
        elif args.timeout is not None and time.monotonic() - quiet_since >= args.timeout:
            return False


def watch(catalog: Any, args: argparse.Namespace) -> int:
    """Wait for runs of ``catalog`` and print them as ``args`` say; return the exit status."""
    from ..errors import NoRunAvailable

    token = None
    ended = 0
    while args.max_runs is None or ended < args.max_runs:
        try:
            token, run = catalog.get_next_run(token, timeout=args.timeout)
        except NoRunAvailable:
            return 0
        uid = run.uid
        start = run.metadata["start"]
        if not args.json:
            _emit(
                [f"{uid[:8]} started: scan_id {start.get('scan_id')} plan {start.get('plan_name')}"]
            )
        finished = _follow(run, args)
        if not args.json:
            _emit([f"{uid[:8]} {'ended: ' + run.state if finished else 'is still ' + run.state}"])
        if not finished:
            return 0
        ended += 1
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``databroker watch`` with the parsed arguments."""
    catalog = open_location(args)
    try:
        return watch(catalog, args)
    except KeyboardInterrupt:
        return 0
    finally:
        close_catalog(catalog)
