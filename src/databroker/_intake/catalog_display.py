"""How a catalog shows itself: source, query, run count and its newest runs.

A catalog display costs one count, one listing of :data:`NEWEST_RUNS` start documents and
one bulk lookup of their stops (``CatalogStore.stops``), whatever the number of runs; no run
is opened. See :mod:`databroker._intake.display` for the rendering conventions.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from .._stores.base import CatalogStore, Doc
from .display import _count, _duration, _esc, _short, _text_table, format_duration, format_time

__all__ = [
    "NEWEST_RUNS",
    "CatalogSummary",
    "catalog_description",
    "catalog_repr",
    "source_of",
    "summarize_broker",
    "summarize_catalog",
]

#: How many of the newest runs a catalog display lists.
NEWEST_RUNS = 5


def _middle(text: str, width: int = 200) -> str:
    """Shorten a long source in the middle: the end of a path says the most."""
    if len(text) <= width:
        return text
    half = (width - 1) // 2
    return f"{text[:half]}…{text[-half:]}"


def _loaded_class(module: str, name: str) -> type | None:
    """A store class, if its module is imported (a file catalog never imports the Mongo layer)."""
    loaded = sys.modules.get(f"databroker._stores.{module}")
    found = getattr(loaded, name, None)
    return found if isinstance(found, type) else None


def source_of(store: CatalogStore) -> str:
    """Say where a catalog's runs are: its glob patterns, database names, or ``in memory``."""
    from .._stores.files.catalog import FileCatalogStore
    from .._stores.memory import MemoryCatalogStore

    if isinstance(store, FileCatalogStore):
        return ", ".join(store.patterns)
    if isinstance(store, MemoryCatalogStore):
        return "in memory"
    found: Any = store
    embedded = _loaded_class("mongo.embedded", "EmbeddedCatalogStore")
    if embedded is not None and isinstance(store, embedded):
        return f"MongoDB database {found.database.name!r} (embedded layout)"
    normalized = _loaded_class("mongo.normalized", "NormalizedCatalogStore")
    if normalized is not None and isinstance(store, normalized):
        return (
            f"MongoDB databases {found.metadatastore.name!r} (metadata) and "
            f"{found.assets.name!r} (assets)"
        )
    return f"{store.backend_name} storage"


def _run_row(start: Doc, stop: Doc | None) -> list[str]:
    return [
        str(start.get("uid", "?"))[:8],
        _short(start.get("scan_id", ""), 8),
        _short(start.get("plan_name", ""), 14),
        format_time(start.get("time"), milliseconds=False),
        format_duration(_duration(start, stop)) if stop else "running",
        _short((stop or {}).get("exit_status", ""), 11),
    ]


_RUN_COLUMNS = ["uid", "scan_id", "plan_name", "start", "duration", "exit_status"]


@dataclass(frozen=True)
class CatalogSummary:
    """A catalog's class and name, source, query, run count and newest runs."""

    title: str
    source: str
    query: Mapping[str, Any]
    count: int
    newest: list[list[str]]

    def text(self) -> str:
        lines = [self.title, f"  source: {_middle(self.source)}"]
        if self.query:
            lines.append(f"  query: {_short(self.query, 70)}")
        shown = f", newest {len(self.newest)}:" if self.newest else ""
        lines.append(f"  {_count(self.count, 'run')}{shown}")
        if self.newest:
            lines += ["    " + line for line in _text_table(self.newest, _RUN_COLUMNS)]
        return "\n".join(lines)

    def html(self) -> str:
        source = html.escape(_middle(self.source))
        rows = f"<tr><th style='text-align:left'>source</th><td>{source}</td></tr>"
        if self.query:
            rows += (
                "<tr><th style='text-align:left'>query</th>"
                f"<td><code>{html.escape(_short(self.query, 300))}</code></td></tr>"
            )
        rows += f"<tr><th style='text-align:left'>runs</th><td>{self.count:,}</td></tr>"
        table = ""
        if self.newest:
            head = "".join(f"<th>{c}</th>" for c in _RUN_COLUMNS)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                for row in self.newest
            )
            table = f"<table><caption>newest runs</caption><tr>{head}</tr>{body}</table>"
        return (
            f"<div><table><caption><b>{_esc(self.title)}</b></caption>{rows}</table>{table}</div>"
        )


def summarize_catalog(
    store: CatalogStore, query: Mapping[str, Any], *, title: str, newest: int = NEWEST_RUNS
) -> CatalogSummary:
    """Summarize a catalog: one count, the newest starts and one bulk lookup of their stops."""
    store.refresh()
    starts = list(islice(store.iter_starts(query), newest))
    stops = store.stops([start["uid"] for start in starts]) if starts else {}
    rows = [_run_row(start, stops.get(start["uid"])) for start in starts]
    return CatalogSummary(title, source_of(store), dict(query), store.count(query), rows)


def summarize_broker(catalog: Any, *, title: str) -> CatalogSummary:
    """Summarize a databroker catalog object (a :class:`~databroker.core.Broker`)."""
    return summarize_catalog(catalog._store, catalog._query, title=title)


def catalog_repr(store: CatalogStore, query: Mapping[str, Any], *, title: str) -> str:
    """Return ``<Class 'name': N runs from SOURCE[ where QUERY]>`` (one line, no listing).

    A catalog in process says ``N runs in memory``.
    """
    try:
        count = _count(store.count(query), "run")
    except Exception:  # a repr must not fail because a server is away
        count = "? runs"
    where = f" where {_short(query, 80)}" if query else ""
    source = source_of(store)
    source = source if source.startswith("in ") else f"from {_middle(source)}"
    return f"<{title}: {count} {source}{where}>"


def catalog_description(store: CatalogStore, query: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``{'source', 'query', 'count', 'backend'}`` of a catalog."""
    return {
        "source": source_of(store),
        "query": dict(query),
        "count": store.count(query),
        "backend": store.backend_name,
    }
