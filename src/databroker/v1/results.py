"""``Results``: the re-iterable answer of a v1 search, and the query it runs."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._query.time import format_time
from .header import Header

if TYPE_CHECKING:
    from .broker import Broker

__all__ = ["Results", "build_query"]


def _with_times(query: Mapping[str, Any], timezone: str | None) -> dict[str, Any]:
    """A copy of ``query`` with ``since``/``until`` (or their old names) turned into ``time``."""
    result = copy.deepcopy(dict(query))  # the caller's dicts are never modified
    format_time(result, timezone)
    return result


def build_query(
    filters: Mapping[str, Any],
    kwargs: Mapping[str, Any],
    text_search: str | None,
    timezone: str | None,
) -> dict[str, Any]:
    """Combine the Broker's filters, the search keywords and a text search into one query.

    Parameters
    ----------
    filters
        ``db.filters``; applied first.
    kwargs
        Keyword arguments of ``db(...)`` other than ``data_key``.
    text_search
        Words for a ``$text`` search, or None.
    timezone
        IANA zone for naive ``since``/``until``; None is the local zone.
    """
    parts = [_with_times(filters, timezone), _with_times(kwargs, timezone)]
    if text_search is not None:
        parts[1]["$text"] = {"$search": text_search}
    parts = [part for part in parts if part]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}


class Results:
    """The Headers matching a search, newest first.

    Each iteration runs the search again, so runs added since show up.

    Parameters
    ----------
    db
        The Broker searched.
    query
        The Mongo-style query on start documents.
    data_key
        When given, keep only runs with a descriptor that has this data key.
    """

    def __init__(self, db: Broker, query: Mapping[str, Any], data_key: str | None = None) -> None:
        self._db = db
        self._query = dict(query)
        self._data_key = data_key

    @property
    def query(self) -> dict[str, Any]:
        """The query sent to the catalog (a copy)."""
        return copy.deepcopy(self._query)

    def __iter__(self) -> Iterator[Header]:
        catalog = self._db.v2
        if self._query:
            catalog = catalog.search(self._query)
        for run in catalog.values():
            header = Header(run, self._db)
            if self._data_key is None or any(
                self._data_key in d["data_keys"] for d in header._raw_descriptors()
            ):
                yield header

    def __repr__(self) -> str:
        return f"<Results query={self._query!r}>"
