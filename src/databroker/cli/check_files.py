"""``databroker check-files LOCATION [RUN | QUERY]``: external files missing or moved.

Every Resource and StreamResource of the runs chosen (all runs, one RUN, or the runs a QUERY
matches) is resolved through the catalog's root_map and its files are checked. With
``--search-root DIR`` a missing file is looked for under DIR (by name), and the root_map
entry that would make the catalog find it is printed. ``--checksum`` also lists every
file with its size and sha256. Exit status 1 if any file is missing.
"""

from __future__ import annotations

import argparse
import os
import posixpath
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._fill.paths import resolve_root
from .arguments import (
    add_location,
    close_catalog,
    find_run,
    open_location,
    parse_run,
    query_item,
    run_query,
)
from .output import print_json, progress, table

__all__ = ["Problem", "add_parser", "find_problems", "root_map_fix", "run"]


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker check-files`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="report missing or moved external files and the root_map entry that fixes them",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    add_location(parser)
    parser.add_argument(
        "selection",
        metavar="RUN|QUERY",
        nargs="*",
        default=[],
        help="one run (uid, uid prefix, scan_id, -1) or a query (JSON, key=value); "
        "default every run",
    )
    parser.add_argument(
        "--search-root",
        metavar="DIR",
        help="look for missing files under DIR and suggest the root_map entry that finds them",
    )
    parser.add_argument(
        "--checksum",
        action="store_true",
        help="also list every existing file with its size and sha256 (reads every byte)",
    )


@dataclass(frozen=True)
class Problem:
    """One Resource or StreamResource whose files are not all where the catalog looks."""

    run_uid: str
    report: Any  # databroker._fill.diagnostics.ExternalFileReport
    #: ``{missing file: where it was found}`` under ``--search-root``.
    found: Mapping[str, str]
    #: The root_map entry ``(stored, local)`` that would make every found file readable.
    fix: tuple[str, str] | None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        location = self.report.location
        return {
            "run": self.run_uid,
            "kind": self.report.kind,
            "uid": self.report.uid,
            "spec": self.report.spec,
            "stored": location.stored,
            "path": location.path,
            "files": len(self.report.files),
            "missing": list(self.report.missing),
            "found": dict(self.found),
            "problem": self.report.problem,
            "root_map_fix": {self.fix[0]: self.fix[1]} if self.fix else None,
        }


def _parts(path: str) -> list[str]:
    return [part for part in path.replace("\\", "/").split("/") if part]


def root_map_fix(report: Any, missing: str, found: str) -> tuple[str, str] | None:
    """Return the root_map entry ``(stored root, new root)`` under which ``missing`` (a file
    of ``report``, as resolved now) is read from ``found`` instead, or None if no root_map
    entry can say so (the file moved within the resource's own path)."""
    stored = report.location.stored
    if not stored:
        return None
    entry = report.location.entry
    resolved_root = resolve_root(stored, {entry[0]: entry[1]}) if entry else stored
    try:
        relative = os.path.relpath(missing, resolved_root)
    except ValueError:  # another drive (Windows)
        return None
    rel_parts = [] if relative == "." else _parts(relative)
    if rel_parts[:1] == [".."]:
        return None
    found_parts = _parts(found)
    if rel_parts and found_parts[-len(rel_parts) :] != rel_parts:
        return None
    kept = found_parts[: len(found_parts) - len(rel_parts)]
    prefix = "/" if found.startswith("/") else ""
    return stored, (prefix + posixpath.join(*kept)) if kept else prefix


def _index(search_root: str) -> dict[str, list[str]]:
    """Every file under ``search_root`` by name."""
    by_name: dict[str, list[str]] = {}
    for directory, _, files in os.walk(search_root):
        for name in files:
            by_name.setdefault(name, []).append(os.path.join(directory, name))
    return by_name


def _best(missing: str, candidates: Sequence[str]) -> str:
    """The candidate sharing the longest tail of path components with ``missing``."""
    wanted = _parts(missing)[::-1]

    def shared(candidate: str) -> int:
        count = 0
        for a, b in zip(wanted, _parts(candidate)[::-1], strict=False):
            if a != b:
                break
            count += 1
        return count

    return max(candidates, key=shared)


def find_problems(runs: Iterable[Any], search_root: str | None) -> list[Problem]:
    """Return the (stream) resources of ``runs`` whose files are not all readable."""
    problems: list[Problem] = []
    index: dict[str, list[str]] | None = None
    for bluesky_run in runs:
        for report in bluesky_run.reader.external_file_reports():
            if report.ok:
                continue
            found: dict[str, str] = {}
            fixes: Counter[tuple[str, str]] = Counter()
            if search_root is not None and report.missing:
                index = _index(search_root) if index is None else index
                for path in report.missing:
                    candidates = index.get(os.path.basename(path))
                    if candidates:
                        found[path] = _best(path, candidates)
                        fix = root_map_fix(report, path, found[path])
                        if fix is not None:
                            fixes[fix] += 1
            best_fix = fixes.most_common(1)[0][0] if fixes else None
            problems.append(Problem(bluesky_run.reader.uid, report, found, best_fix))
    return problems


def _runs(catalog: Any, selection: Sequence[str]) -> tuple[list[Any], int]:
    """The runs chosen by the positional arguments, and how many there are."""
    if len(selection) == 1 and "=" not in selection[0] and not selection[0].startswith("{"):
        return [find_run(catalog, parse_run(selection[0]))], 1
    try:
        query = run_query([query_item(item) for item in selection])
    except argparse.ArgumentTypeError as error:
        raise SystemExit(_usage_error(str(error))) from None
    chosen = catalog.search(query) if query else catalog
    return chosen.values(), len(chosen)


def _usage_error(message: str) -> int:
    import sys

    print(f"databroker check-files: error: {message}", file=sys.stderr)
    return 2


def _status(problem: Problem) -> str:
    report = problem.report
    if not report.missing:
        return "unchecked"
    if problem.found:
        return "moved"
    return "missing"


def _print(problems: Sequence[Problem], checked: int, search_root: str | None) -> None:
    if not problems:
        print(f"All external files of {checked} run(s) are where the catalog looks.")
        return
    rows = [
        [
            p.run_uid[:8],
            p.report.uid[:8],
            p.report.spec,
            _status(p),
            f"{len(p.report.missing)}/{len(p.report.files) or 1}",
            p.report.location.path,
            next(iter(p.found.values()), ""),
        ]
        for p in problems
    ]
    print(table(("run", "resource", "spec", "status", "missing", "expected", "found"), rows))
    for p in problems:
        if p.report.problem:
            print(f"{p.report.uid[:8]}: could not list its files: {p.report.problem}")
    fixes = {p.fix for p in problems if p.fix is not None}
    if fixes:
        print(
            "\nThis root_map finds the moved files (add it to the catalog's YAML args, or "
            "try it with --root-map):"
        )
        for stored, local in sorted(fixes):
            print(f"  {stored!r}: {local!r}    (--root-map {stored}={local})")
    elif search_root is None:
        print("\nGive --search-root DIR to look for the missing files under DIR.")


def run(args: argparse.Namespace) -> int:
    """Run ``databroker check-files`` with the parsed arguments."""
    catalog = open_location(args)
    try:
        runs, count = _runs(catalog, args.selection)
        runs = list(runs) if args.checksum else runs
        problems = find_problems(
            progress(runs, total=count, desc="checking runs"), args.search_root
        )
        records = _checksums(runs) if args.checksum else None
    finally:
        close_catalog(catalog)
    if args.json:
        found = {"runs": count, "problems": [p.as_dict() for p in problems]}
        print_json(found if records is None else {**found, "files": records})
    else:
        _print(problems, count, args.search_root)
        if records is not None:
            _print_checksums(records)
    return 1 if problems else 0


def _checksums(runs: Sequence[Any]) -> list[dict[str, Any]]:
    """Every file of ``runs`` with its size and (when it exists) sha256."""
    return [
        record.as_dict()
        for bluesky_run in progress(runs, total=len(runs), desc="hashing files")
        for record in bluesky_run.file_records(checksum=True)
    ]


def _print_checksums(records: Sequence[Mapping[str, Any]]) -> None:
    rows = [
        [r["run_uid"][:8], r["resource_uid"][:8], r["size"], r["sha256"] or "(missing)", r["path"]]
        for r in records
    ]
    print(f"\n{len(records)} file(s), {sum(r['size'] or 0 for r in records)} bytes:")
    if rows:
        print(table(("run", "resource", "size", "sha256", "path"), rows))
