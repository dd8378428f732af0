"""``databroker show LOCATION RUN``: one run's metadata, streams and fields, and its files.

RUN is a uid, a uid prefix, a scan_id, or a negative number (-1 is the newest run).
"""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from .._documents.datakeys import is_datum_field, is_stream_field
from .arguments import add_location, close_catalog, find_run, open_location, parse_run
from .output import cell, print_json, table

__all__ = ["add_parser", "describe_run", "format_run", "run"]

#: Longest metadata value shown in full in the table view.
_LONGEST = 200


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker show`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="show one run: metadata, streams with their fields, external files",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    add_location(parser)
    parser.add_argument(
        "run", metavar="RUN", type=parse_run, help="uid, uid prefix, scan_id, or -1 (newest)"
    )


def _field(name: str, data_key: Mapping[str, Any]) -> dict[str, Any]:
    external = data_key.get("external")
    return {
        "name": name,
        "dtype": data_key.get("dtype"),
        "shape": list(data_key.get("shape") or []),
        "units": data_key.get("units"),
        "source": data_key.get("source"),
        "external": is_datum_field(data_key) or is_stream_field(data_key),
        "external_tag": external or None,
    }


def _stream(reader: Any, name: str) -> dict[str, Any]:
    descriptors = reader.view.stream_descriptors(name)
    fields: dict[str, dict[str, Any]] = {}
    for descriptor in descriptors:
        for key, data_key in descriptor["data_keys"].items():
            fields.setdefault(key, _field(key, data_key))
    return {
        "name": name,
        "descriptors": len(descriptors),
        "events": sum(reader.view.event_count(d["uid"]) for d in descriptors),
        "fields": list(fields.values()),
    }


def _resource(report: Any) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "uid": report.uid,
        "spec": report.spec,
        "path": report.location.path,
        "stored": report.location.stored,
        "root_map_entry": list(report.location.entry) if report.location.entry else None,
        "files": len(report.files),
        "missing": list(report.missing),
        "exists": report.ok,
        "problem": report.problem,
    }


def describe_run(bluesky_run: Any) -> dict[str, Any]:
    """Return what ``show`` prints about one run, as plain data."""
    reader = bluesky_run.reader
    start, stop = reader.start(), reader.stop()
    return {
        "uid": reader.uid,
        "start": dict(start),
        "stop": dict(stop) if stop is not None else None,
        "streams": [_stream(reader, name) for name in reader.view.stream_names()],
        "resources": [_resource(report) for report in reader.external_file_reports()],
    }


def _when(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return cell(seconds)
    local = datetime.datetime.fromtimestamp(seconds).astimezone()
    return f"{local:%Y-%m-%d %H:%M:%S %Z} ({seconds})"


def _metadata(title: str, doc: Mapping[str, Any] | None) -> list[str]:
    if doc is None:
        return [f"{title}: none (the run has no stop document yet)"]
    width = max((len(key) for key in doc), default=0)
    lines = [f"{title}:"]
    for key, value in doc.items():
        text = _when(value) if key == "time" else cell(value)
        if len(text) > _LONGEST:
            text = f"{text[: _LONGEST - 1]}… ({len(text)} characters; --json shows all)"
        lines.append(f"  {key.ljust(width)}  {text}")
    return lines


def format_run(described: Mapping[str, Any]) -> str:
    """Return the text ``show`` prints."""
    start = described["start"]
    lines = [
        f"Run {described['uid']} (scan_id {start.get('scan_id', '?')}, "
        f"plan {start.get('plan_name', '?')})",
        "",
        *_metadata("start", start),
        "",
        *_metadata("stop", described["stop"]),
    ]
    for stream in described["streams"]:
        lines += [
            "",
            f"stream {stream['name']}: {stream['events']} events, {len(stream['fields'])} fields",
        ]
        rows = [
            [
                f["name"],
                f["dtype"],
                f["shape"],
                f["units"],
                f["source"],
                f["external_tag"] if f["external"] else "no",
            ]
            for f in stream["fields"]
        ]
        headers = ("field", "dtype", "shape", "units", "source", "external")
        lines.append(table(headers, rows, indent="  "))
    resources = described["resources"]
    lines += ["", f"external files: {len(resources)} resource(s)" if resources else "no files"]
    if resources:
        rows = [
            [
                r["uid"][:8],
                r["spec"],
                r["path"],
                r["files"],
                "yes" if r["exists"] else "MISSING" if r["missing"] else "unknown",
            ]
            for r in resources
        ]
        lines.append(table(("resource", "spec", "path", "files", "exist"), rows, indent="  "))
        lines += [f"  {r['uid'][:8]}: {r['problem']}" for r in resources if r["problem"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``databroker show`` with the parsed arguments."""
    catalog = open_location(args)
    try:
        described = describe_run(find_run(catalog, args.run))
    finally:
        close_catalog(catalog)
    if args.json:
        print_json(described)
    else:
        print(format_run(described))
    return 0
