"""The ``databroker`` command line: ``databroker demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``databroker`` command line."""
    parser = argparse.ArgumentParser(prog="databroker", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="record simulated scans into a msgpack catalog, then read them back",
    )
    demo.add_argument(
        "--directory",
        default="databroker-demo-data",
        help="where the catalog's files go (default: ./databroker-demo-data)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        run_demo(args.directory)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
