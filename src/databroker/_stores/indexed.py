"""A catalog store that keeps every start document in process and searches them there.

File and memory stores derive from :class:`InProcessCatalogStore`; they only say how runs are
found (:meth:`_refresh`) and opened (:meth:`open_run`).

Threads may share one store: the caches of ordered and matching starts are filled against a
version number, so a result computed from an index replaced meanwhile is never kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from .base import CatalogStore, Doc, Query

__all__ = ["InProcessCatalogStore"]

_Matcher = Callable[[Doc], bool]


def _newest_first(start: Doc) -> tuple[float, str]:
    # Stores check starts as they take them; a time that is no number still never breaks
    # the ordering of every other run (it sorts as the oldest).
    try:
        time = float(start.get("time", 0.0))
    except (TypeError, ValueError, OverflowError):
        time = 0.0
    return (-time if time == time else 0.0, str(start.get("uid", "")))


class InProcessCatalogStore(CatalogStore):
    """Search and lookup over an in-process ``{uid: start}`` index."""

    def __init__(self) -> None:
        self._starts: dict[str, Doc] = {}
        self._ordered: list[Doc] | None = None
        self._matchers: dict[str, _Matcher] = {}
        self._matches: dict[str, list[Doc]] = {}
        self._version = 0
        self._cache_lock = threading.Lock()

    # -- index maintenance ----------------------------------------------------------------

    def _set_start(self, uid: str, start: Doc) -> None:
        self._starts[uid] = start
        self._invalidate()

    def _drop_start(self, uid: str) -> None:
        if self._starts.pop(uid, None) is not None:
            self._invalidate()

    def _replace_starts(self, starts: dict[str, Doc]) -> None:
        """Swap in a whole new ``{uid: start}`` index at once."""
        with self._cache_lock:
            self._starts = starts
            self._version += 1
            self._ordered = None
            self._matches = {}

    def _invalidate(self) -> None:
        with self._cache_lock:
            self._version += 1
            self._ordered = None
            self._matches = {}

    def _all_ordered(self) -> list[Doc]:
        ordered = self._ordered
        if ordered is None:
            version = self._version
            ordered = sorted(list(self._starts.values()), key=_newest_first)
            with self._cache_lock:
                if version == self._version:
                    self._ordered = ordered
        return ordered

    def _matcher(self, query: Query) -> _Matcher:
        key = repr(query)
        matcher = self._matchers.get(key)
        if matcher is None:
            from .._query.matcher import compile_query

            matcher = self._matchers[key] = compile_query(query)
        return matcher

    def _matching(self, query: Query) -> list[Doc]:
        """Return matching starts newest first, cached until the index changes."""
        key = repr(query)
        found = self._matches.get(key)
        if found is None:
            version = self._version
            if not query:
                found = self._all_ordered()
            else:
                matcher = self._matcher(query)
                found = [start for start in self._all_ordered() if matcher(start)]
            with self._cache_lock:
                if version == self._version:
                    self._matches[key] = found
        return found

    # -- CatalogStore --------------------------------------------------------------------

    def iter_starts(self, query: Query) -> Iterator[Doc]:
        return iter(self._matching(query))

    def count(self, query: Query) -> int:
        return len(self._matching(query))

    def get_start(self, uid: str, query: Query) -> Doc | None:
        start = self._starts.get(uid)
        if start is None or (query and not self._matcher(query)(start)):
            return None
        return start

    def find_uid_prefix(self, prefix: str, query: Query, limit: int = 11) -> list[str]:
        found: list[str] = []
        for start in self._matching(query):
            uid = start["uid"]
            if uid.startswith(prefix):
                found.append(uid)
                if len(found) >= limit:
                    break
        return found

    def find_scan_id(self, scan_id: int, query: Query) -> Doc | None:
        for start in self._matching(query):
            value: Any = start.get("scan_id")
            if value == scan_id and not isinstance(value, bool):
                return start
        return None

    def nth_newest(self, n: int, query: Query) -> Doc | None:
        matching = self._matching(query)
        return matching[n] if 0 <= n < len(matching) else None
