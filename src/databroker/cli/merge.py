"""``databroker merge LOCATION SOURCE...``: collect job catalogs or bundles into a catalog.

Each SOURCE is a job's output directory (run files written by ``databroker.job``), another
catalog's directory, or a bundle (directory or ``.zip``). The runs LOCATION lacks are written
into it; runs it already holds with the same content are skipped (merging twice changes
nothing), and a run with the same uid but other content is an error naming both places. With
``--external-root DIR`` the runs' external files are copied under DIR and the runs point
there; otherwise a catalog's files stay where they are (a bundle's go where ``unpack`` puts
them). ``--dry-run`` prints what would be written, changing nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .arguments import add_location, close_catalog, open_location
from .pack import add_dry_run, print_report, show_progress

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker merge`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="write the runs of job catalogs or bundles that a catalog lacks (idempotent)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    add_location(parser)
    parser.add_argument(
        "sources",
        metavar="SOURCE",
        nargs="+",
        help="a job's output directory, a catalog directory, or a bundle (directory or .zip)",
    )
    parser.add_argument(
        "--external-root",
        metavar="DIR",
        help="copy the runs' external files under DIR (default: catalogs' files stay put)",
    )
    parser.add_argument(
        "--no-skip-existing",
        dest="skip_existing",
        action="store_false",
        help="a run already in LOCATION is an error rather than skipped",
    )
    add_dry_run(parser, "would be written")


def run(args: argparse.Namespace) -> int:
    """Run ``databroker merge`` with the parsed arguments."""
    from .._transfer.merge import merge

    catalog = open_location(args)
    try:
        report = merge(
            catalog,
            args.sources,
            dry_run=args.dry_run,
            external_root=args.external_root,
            skip_existing=args.skip_existing,
            progress=show_progress(),
        )
    finally:
        close_catalog(catalog)
    print_report(report, args.json)
    return 0
