"""``databroker unpack BUNDLE TARGET``: a bundle's runs and files into a writable catalog.

BUNDLE is a bundle directory or ``.zip`` (written by ``databroker pack``, or by
databroker-pack 0.3.0). TARGET is a directory (a file catalog, created if needed) or a
``mongodb://host/database`` URI. Every file is checked against its size and sha256 before
anything is written; external files land under ``--external-root`` (default: the target
directory) and the runs' resources point there. Runs already in TARGET with the same content
are skipped, so a second unpack changes nothing; a run with the same uid and other content is
an error. ``--dry-run`` prints what would be copied and written, changing nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .pack import add_dry_run, print_report, show_progress

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker unpack`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="write a bundle's runs and files into a catalog, checksums verified first",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    parser.add_argument("bundle", metavar="BUNDLE", help="a bundle directory or .zip")
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="a directory of run files (created if needed) or a mongodb://host/db URI",
    )
    parser.add_argument(
        "--external-root",
        metavar="DIR",
        help="where external files go (default: the target directory; needed for a "
        "database target when the bundle has files)",
    )
    parser.add_argument(
        "--format",
        choices=("msgpack", "jsonl"),
        default="msgpack",
        help="the file format of a new directory target (default msgpack)",
    )
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="do not check the files' sizes and sha256 before writing (copies are still checked)",
    )
    parser.add_argument(
        "--no-skip-existing",
        dest="skip_existing",
        action="store_false",
        help="a run already in the target is an error rather than skipped",
    )
    add_dry_run(parser, "would be copied and written")


def run(args: argparse.Namespace) -> int:
    """Run ``databroker unpack`` with the parsed arguments."""
    from .._transfer.unpack import unpack

    report = unpack(
        args.bundle,
        args.target,
        external_root=args.external_root,
        skip_existing=args.skip_existing,
        verify=args.verify,
        dry_run=args.dry_run,
        progress=show_progress(),
        format=args.format,
    )
    print_report(report, args.json)
    return 0
