"""``databroker prune LOCATION RUN... [--yes]``: remove runs from a writable catalog.

A dry run unless ``--yes`` is given: it prints the runs (and, with ``--unstore``, the external
files) that would be removed. ``--unstore`` also deletes the runs' external files that no other
run of the catalog refers to. A run that other runs derive from (their start's
``provenance`` names it) is refused unless those are pruned too or ``--force`` is given.
RUN is a uid, a uid prefix, a scan_id, or -1 (the newest run).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .arguments import add_location, close_catalog, find_run, open_location, parse_run
from .pack import add_dry_run, print_report

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker prune`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="remove runs (a dry run unless --yes), refusing inputs of other runs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    add_location(parser)
    parser.add_argument(
        "runs",
        metavar="RUN",
        nargs="+",
        type=parse_run,
        help="uid, uid prefix, scan_id, or -1 (newest)",
    )
    parser.add_argument("--yes", action="store_true", help="remove them (default: a dry run)")
    parser.add_argument(
        "--unstore",
        action="store_true",
        help="also delete their external files that no other run refers to",
    )
    parser.add_argument(
        "--force", action="store_true", help="remove runs that other runs derive from"
    )
    add_dry_run(parser, "would be removed (the default without --yes)")


def run(args: argparse.Namespace) -> int:
    """Run ``databroker prune`` with the parsed arguments."""
    from .._transfer.merge import prune

    if args.yes and args.dry_run:
        print("databroker prune: error: --yes and --dry-run contradict", file=sys.stderr)
        return 2
    catalog = open_location(args)
    try:
        uids = list(dict.fromkeys(find_run(catalog, key).uid for key in args.runs))
        report = prune(catalog, uids, unstore=args.unstore, dry_run=not args.yes, force=args.force)
    finally:
        close_catalog(catalog)
    print_report(report, args.json)
    if report.dry_run and not args.json:
        print("(a dry run: pass --yes to remove them)")
    return 0
