"""The arguments several sub-commands share: a catalog location, a query, a run."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

__all__ = [
    "add_location",
    "add_query",
    "close_catalog",
    "common_options",
    "find_run",
    "open_location",
    "parse_run",
    "query_item",
    "run_query",
]


def common_options() -> argparse.ArgumentParser:
    """Return the parent parser of the options every sub-command takes (``--json``,
    ``--debug``)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON for scripts"
    )
    parent.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )
    return parent


def _root_map_entry(text: str) -> tuple[str, str]:
    old, sep, new = text.partition("=")
    if not sep or not old or not new:
        raise argparse.ArgumentTypeError(f"expected OLD=NEW (a root_map entry), not {text!r}")
    return old, new


def add_location(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Add ``LOCATION`` and the options that say how to open it."""
    parser.add_argument(
        "location",
        metavar="LOCATION",
        nargs=None if required else "?",
        help="a directory or glob of .jsonl/.msgpack runs, a mongodb://host/db URI, an intake "
        "YAML file (file.yml or file.yml:entry) or an installed catalog's name",
    )
    parser.add_argument(
        "--assets",
        metavar="URI",
        help="the assets database of a normalized MongoDB layout kept apart from the metadata",
    )
    parser.add_argument(
        "--root-map",
        metavar="OLD=NEW",
        type=_root_map_entry,
        action="append",
        default=[],
        help="read files stored under OLD from NEW instead (repeatable; added to the "
        "catalog's root_map)",
    )


def open_location(args: argparse.Namespace) -> Any:
    """Open the catalog the arguments name (``open_catalog``), with ``--root-map`` added."""
    from .._config.open_catalog import open_catalog

    kwargs = {"asset_registry_db": args.assets} if args.assets else {}
    catalog = open_catalog(args.location, **kwargs)
    if args.root_map:
        catalog.root_map = {**catalog.root_map, **dict(args.root_map)}
    return catalog


def close_catalog(catalog: Any) -> None:
    """Release what the catalog opened (files, database clients), if it can say."""
    close = getattr(catalog, "close", None)
    if callable(close):
        close()


def _value(text: str) -> Any:
    """A ``key=value`` value: JSON if it parses (``3``, ``true``, ``[1, 2]``), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def query_item(text: str) -> dict[str, Any]:
    """Parse one QUERY argument: a JSON object, or ``key=value`` (argparse ``type=``)."""
    if text.lstrip().startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{text!r} is not valid JSON ({error})") from None
        if not isinstance(parsed, dict):
            raise argparse.ArgumentTypeError(f"{text!r} is not a JSON object")
        return parsed
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a JSON object nor key=value (e.g. sample=silicon)"
        )
    return {key: _value(value)}


def add_query(parser: argparse.ArgumentParser) -> None:
    """Add ``QUERY...``, ``--since`` and ``--until``."""
    parser.add_argument(
        "query",
        metavar="QUERY",
        nargs="*",
        default=[],
        type=query_item,
        help="a JSON object (a Mongo-style query on start documents) or key=value pairs; a "
        "value is JSON if it parses (scan_id=3), else text (sample=silicon)",
    )
    parser.add_argument("--since", metavar="T", help="only runs started at or after T")
    parser.add_argument("--until", metavar="T", help="only runs started before T")


def run_query(
    items: Sequence[dict[str, Any]], since: str | None = None, until: str | None = None
) -> dict[str, Any] | None:
    """Return the query the QUERY items and the time bounds make (None: every run)."""
    parts: list[dict[str, Any]] = []
    pairs: dict[str, Any] = {}
    for item in items:
        if len(item) == 1 and not next(iter(item)).startswith("$"):
            pairs.update(item)
        else:
            parts.append(item)
    if pairs:
        parts.insert(0, pairs)
    if since is not None or until is not None:
        from ..queries import TimeRange

        parts.append(dict(TimeRange(since=since, until=until)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def parse_run(text: str) -> int | str:
    """A RUN argument: an integer (scan_id, or -1 for the newest) or a uid / uid prefix."""
    try:
        return int(text)
    except ValueError:
        return text


def find_run(catalog: Any, key: int | str) -> Any:
    """Return the run ``key`` names; an integer that is no scan_id is tried as a uid prefix."""
    from ..errors import RunNotFound

    try:
        return catalog[key]
    except RunNotFound:
        if isinstance(key, int) and key >= 0:
            try:
                return catalog[str(key)]
            except RunNotFound:
                pass
        raise
