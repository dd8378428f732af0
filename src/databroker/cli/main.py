"""The ``databroker`` command: a parser with one sub-command per module of this package.

Exit status: 0 success, 1 a finding (missing files, a doctor's warning) or an error, 2 a
usage error. An error prints databroker's one-line message, ``databroker: error: ...``, and
no traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from . import (
    catalogs,
    check_files,
    demo,
    doctor,
    ls,
    merge,
    pack,
    prune,
    serve,
    show,
    unpack,
    watch,
)
from .arguments import common_options
from .output import one_line

__all__ = ["build_parser", "main"]

_COMMANDS = {
    "catalogs": catalogs,
    "ls": ls,
    "show": show,
    "check-files": check_files,
    "doctor": doctor,
    "demo": demo,
    "serve": serve,
    "watch": watch,
    "pack": pack,
    "unpack": unpack,
    "merge": merge,
    "prune": prune,
}


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``databroker`` command with every sub-command mounted."""
    parser = argparse.ArgumentParser(
        prog="databroker",
        description="Find and load bluesky runs from the command line.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"databroker {__version__}")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parent = common_options()
    for name, module in _COMMANDS.items():
        module.add_parser(commands, name, parents=[parent])
        commands.choices[name].set_defaults(_command_parser=commands.choices[name])
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; a sub-command's options may come between its positionals
    (``databroker ls DIR --json sample=x``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args, rest = build_parser().parse_known_args(argv)
    if rest:
        # argparse's sub-parsers cannot intermix; parse the sub-command's part once more.
        position = argv.index(args.command)
        common = argparse.Namespace(json=args.json, debug=args.debug, command=args.command)
        args = args._command_parser.parse_intermixed_args(argv[position + 1 :], common)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``databroker`` command line; return the exit status."""
    try:
        args = parse_args(argv)
    except SystemExit as exit:  # --help, --version, usage errors (2)
        return exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 2
    try:
        return int(_COMMANDS[args.command].run(args) or 0)
    except SystemExit as exit:  # a sub-command's usage error
        return exit.code if isinstance(exit.code, int) else 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("databroker: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(f"databroker: error: {_message(error)}", file=sys.stderr)
        return 1


def _message(error: Exception) -> str:
    """Our own errors say what is wrong; others also name their type and point to --debug."""
    from ..errors import DatabrokerError

    text = one_line(str(error))
    if isinstance(error, DatabrokerError | OSError):
        return text
    return f"{type(error).__name__}: {text} (run with --debug for the traceback)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
