"""``databroker catalogs``: every catalog discoverable, where it comes from, whether it opens.

The catalogs are those of ``databroker.catalog``: entry points of installed packages
(``intake.catalogs``), databroker config files, and intake YAML files on
``catalog_search_path()``. Exit status 1 if one of them does not open.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .._config.doctor import list_catalogs
from .output import print_json, table

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker catalogs`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="list every discoverable catalog (name, driver, source, whether it opens)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    parser.add_argument(
        "--no-open", action="store_true", help="list only; do not try to open each catalog"
    )


def _opens(opens: bool | None, shadowed: bool) -> str:
    if shadowed:
        return "hidden (name taken)"
    return {True: "yes", False: "NO", None: "not tried"}[opens]


def run(args: argparse.Namespace) -> int:
    """Run ``databroker catalogs`` with the parsed arguments."""
    infos = list_catalogs(open_them=not args.no_open)
    if args.json:
        print_json([vars(info) for info in infos])
    elif not infos:
        print("No catalogs found (see `databroker doctor` for where they are looked for).")
    else:
        rows = [
            [info.name, info.driver, info.source, _opens(info.opens, info.shadowed)]
            for info in infos
        ]
        print(table(("name", "driver", "source", "opens"), rows))
        for info in infos:
            if info.problem:
                print(f"{info.name}: {info.problem}")
    return 1 if any(info.opens is False for info in infos) else 0
