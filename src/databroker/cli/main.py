"""The ``databroker`` command: a parser with one sub-command per module of this package."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import demo

__all__ = ["main"]

_COMMANDS = {"demo": demo}


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``databroker`` command with every sub-command mounted."""
    parser = argparse.ArgumentParser(
        prog="databroker", description="Find and load bluesky runs from the command line."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module in _COMMANDS.items():
        module.add_parser(commands, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``databroker`` command line; return the exit status."""
    args = build_parser().parse_args(argv)
    return int(_COMMANDS[args.command].run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
