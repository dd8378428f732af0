"""``databroker doctor [LOCATION]``: what databroker finds and what is wrong with it.

Checks the config search path and the files on it (parse errors shown), the catalogs they
resolve to, the handlers installed and the packages providing them (broken plugins named),
which backends are available, and, given a LOCATION, that it opens (a MongoDB server is
reachable) and has the recommended indexes. Exit status 1 if there is a warning or an error.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .._config.doctor import Finding, diagnose
from .arguments import add_location
from .output import print_json

__all__ = ["add_parser", "format_findings", "run"]

_MARKS = {"ok": "ok", "info": "--", "warning": "WARNING", "error": "ERROR"}


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker doctor`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="check configuration, catalogs, handlers, backends and (given one) a catalog",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    add_location(parser, required=False)


def format_findings(findings: Sequence[Finding]) -> str:
    """Return findings as text, grouped by topic in the order they came."""
    lines: list[str] = []
    topic = None
    for finding in findings:
        if finding.topic != topic:
            topic = finding.topic
            lines += ["", f"{topic}:"] if lines else [f"{topic}:"]
        lines.append(f"  [{_MARKS.get(finding.level, finding.level)}] {finding.message}")
        if finding.fix:
            lines.append(f"      fix: {finding.fix}")
    problems = sum(finding.is_problem for finding in findings)
    lines += ["", f"{problems} problem(s) found." if problems else "No problems found."]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``databroker doctor`` with the parsed arguments."""
    kwargs = {"asset_registry_db": args.assets} if args.assets else {}
    findings = diagnose(args.location, **kwargs)
    if args.json:
        print_json([vars(finding) for finding in findings])
    else:
        print(format_findings(findings))
    return 1 if any(finding.is_problem for finding in findings) else 0
