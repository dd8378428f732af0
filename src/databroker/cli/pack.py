"""``databroker pack LOCATION DEST [RUN | QUERY]``: runs and their files into a verified bundle.

The runs chosen (all runs, one RUN, or the runs a QUERY matches) are written into DEST, a new
directory or a path ending in ``.zip``: one document file per run, their external files
(``--external copy``, re-rooted into the bundle), and ``manifest.json`` listing every file
with its size and sha256. ``--dry-run`` prints what would be written and writes nothing.
Unpack the bundle elsewhere with ``databroker unpack``, or open its ``catalog.yml``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .arguments import (
    add_location,
    close_catalog,
    find_run,
    open_location,
    parse_run,
    query_item,
    run_query,
)
from .output import print_json

__all__ = ["add_dry_run", "add_parser", "print_report", "run", "show_progress"]

EXTERNAL_MODES = ("copy", "manifest", "fill", "skip")


def add_dry_run(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--dry-run`` (shared by pack, unpack, merge and prune)."""
    parser.add_argument(
        "--dry-run", action="store_true", help=f"print what {what}, changing nothing"
    )


def show_progress() -> bool:
    """Progress bars only when a person watches (stdout and stderr are a terminal)."""
    return sys.stdout.isatty() and sys.stderr.isatty()


def print_report(report: Any, as_json: bool) -> None:
    """Print a ``TransferReport``: its ``as_dict()`` with ``--json``, else readable text."""
    if as_json:
        print_json(report.as_dict())
    else:
        print(report)


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker pack`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="write runs, their external files and a checksummed manifest into a bundle",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    add_location(parser)
    parser.add_argument("dest", metavar="DEST", help="a new directory, or a path ending in .zip")
    parser.add_argument(
        "selection",
        metavar="RUN|QUERY",
        nargs="*",
        default=[],
        help="one run (uid, uid prefix, scan_id, -1) or a query (JSON, key=value); "
        "default every run",
    )
    parser.add_argument("--since", metavar="T", help="only runs started at or after T")
    parser.add_argument("--until", metavar="T", help="only runs started before T")
    parser.add_argument(
        "--external",
        choices=EXTERNAL_MODES,
        default="copy",
        help="copy external files into the bundle (default), list them in the manifest "
        "only, fill their data into the documents, or skip them",
    )
    parser.add_argument(
        "--format",
        choices=("msgpack", "jsonl"),
        default="msgpack",
        help="the document files' format (default msgpack)",
    )
    add_dry_run(parser, "would be packed")


def _usage_error(message: str) -> SystemExit:
    print(f"databroker pack: error: {message}", file=sys.stderr)
    return SystemExit(2)


def choose_runs(
    catalog: Any, selection: Sequence[str], since: str | None, until: str | None
) -> Any:
    """The catalog, one run, or a search result, as the positional arguments say."""
    single = len(selection) == 1 and "=" not in selection[0] and not selection[0].startswith("{")
    if single and since is None and until is None:
        return [find_run(catalog, parse_run(selection[0]))]
    try:
        query = run_query([query_item(item) for item in selection], since, until)
    except argparse.ArgumentTypeError as error:
        raise _usage_error(str(error)) from None
    return catalog.search(query) if query else catalog


def run(args: argparse.Namespace) -> int:
    """Run ``databroker pack`` with the parsed arguments."""
    from .._transfer.pack import pack

    catalog = open_location(args)
    try:
        runs = choose_runs(catalog, args.selection, args.since, args.until)
        report = pack(
            runs,
            args.dest,
            external=args.external,
            format=args.format,
            dry_run=args.dry_run,
            progress=show_progress(),
            catalog=catalog,
        )
    finally:
        close_catalog(catalog)
    print_report(report, args.json)
    return 0
