"""``databroker ls LOCATION [QUERY]``: the runs of a catalog, newest first, as one table.

The table comes from the catalog's bulk summary (start documents listed at once, stops read
in bulk), never one query per run; the stream names come from the stop document's
``num_events`` (blank while a run has no stop), since descriptors would cost a query per run.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from .arguments import add_location, add_query, close_catalog, open_location, run_query
from .output import format_duration, print_json, table

__all__ = ["add_parser", "list_runs", "run"]

_FIELDS = (
    "start.scan_id",
    "start.plan_name",
    "start.time",
    "stop.time",
    "stop.exit_status",
    "stop.num_events",
)
_HEADERS = ("uid", "scan_id", "plan", "start", "duration", "exit", "streams")


def _fields(text: str) -> list[str]:
    fields = [field.strip() for field in text.split(",") if field.strip()]
    wrong = [field for field in fields if not field.startswith(("start.", "stop."))]
    if wrong or not fields:
        raise argparse.ArgumentTypeError(
            f"fields are start.<key> or stop.<key>, comma-separated; not {', '.join(wrong)!r}"
        )
    return fields


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker ls`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="list runs newest first (uid, scan_id, plan, start, duration, exit, streams)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    add_location(parser)
    add_query(parser)
    parser.add_argument("--limit", type=int, metavar="N", help="at most N runs (the newest)")
    parser.add_argument(
        "--fields",
        type=_fields,
        default=[],
        metavar="start.x,...",
        help="more columns: dotted fields of the start or stop document",
    )


def _time(stamp: Any) -> Any:
    """A summary time (a pandas Timestamp or NaT) as a local datetime, or None."""
    return None if stamp is None or stamp != stamp else stamp.to_pydatetime()


def list_runs(
    catalog: Any, query: Mapping[str, Any] | None, limit: int | None, fields: Sequence[str]
) -> list[dict[str, Any]]:
    """Return one row per run, newest first, from the catalog's bulk summary."""
    selected = catalog.search(query) if query else catalog
    extra = [field for field in fields if field not in _FIELDS]
    frame = selected.summary([*_FIELDS, *extra], limit=limit)
    columns = {name: frame[name].tolist() for name in frame.columns}
    rows = []
    for index, uid in enumerate(frame.index):
        value = {name: column[index] for name, column in columns.items()}
        start, stop = _time(value["start.time"]), _time(value["stop.time"])
        num_events = value["stop.num_events"]
        rows.append(
            {
                "uid": uid,
                "scan_id": value["start.scan_id"],
                "plan_name": value["start.plan_name"],
                "start_time": start,
                "stop_time": stop,
                "duration": (stop - start).total_seconds() if start and stop else None,
                "exit_status": value["stop.exit_status"],
                "streams": list(num_events) if isinstance(num_events, Mapping) else None,
                "fields": {field: value[field] for field in fields},
            }
        )
    return rows


def _table_row(row: Mapping[str, Any], fields: Sequence[str]) -> list[Any]:
    start = row["start_time"]
    return [
        row["uid"][:8],
        row["scan_id"],
        row["plan_name"],
        start.strftime("%Y-%m-%d %H:%M:%S") if start else "",
        format_duration(row["duration"]),
        row["exit_status"] if row["stop_time"] or row["exit_status"] else "(no stop)",
        ",".join(row["streams"]) if row["streams"] is not None else "",
        *(row["fields"][field] for field in fields),
    ]


def run(args: argparse.Namespace) -> int:
    """Run ``databroker ls`` with the parsed arguments."""
    catalog = open_location(args)
    try:
        query = run_query(args.query, args.since, args.until)
        rows = list_runs(catalog, query, args.limit, args.fields)
    finally:
        close_catalog(catalog)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No runs.")
        return 0
    print(table([*_HEADERS, *args.fields], [_table_row(row, args.fields) for row in rows]))
    return 0
