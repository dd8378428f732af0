"""The entries of a catalog of runs: lookup by uid, uid prefix, scan_id or recency."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .._stores.base import CatalogStore, Doc, Query
from .._stores.lru import LRUCache
from ..errors import AmbiguousUidPrefix, RunIndexError, RunNotFound

__all__ = ["RunEntries"]

_MAX_CACHED_ENTRIES = 1024


def _as_scan_id(key: Any) -> int | None:
    """Return ``key`` as a scan_id/recency integer, or None if it is a uid (prefix)."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str):
        try:
            return int(key)
        except ValueError:
            return None
    return None


class RunEntries(Mapping[str, Any]):
    """A lazy mapping of run uid → ``Entry`` over a :class:`CatalogStore` and a query.

    ``self[key]`` also accepts uid prefixes, scan_ids (int or digit string, N ≥ 0) and
    negative recency indices; iteration yields uids newest first.
    """

    def __init__(
        self,
        store: CatalogStore,
        query: Query,
        make_entry: Callable[[Doc], Any],
        describe: str,
    ) -> None:
        self._store = store
        self._query = query
        self._make_entry = make_entry
        self._describe = describe
        self._entries: LRUCache[str, Any] = LRUCache(_MAX_CACHED_ENTRIES)

    def resolve(self, key: Any) -> Doc:
        """Return the start document that ``key`` names, or raise the documented error."""
        number = _as_scan_id(key)
        if number is not None and number < 0:
            self._store.refresh(force=True)
            start = self._store.nth_newest(-number - 1, self._query)
            if start is None:
                count = self._store.count(self._query)
                raise RunIndexError(f"Catalog only contains {count} runs.")
            return start
        if number is not None:
            start = self._store.find_scan_id(number, self._query)
            if start is None:
                self._store.refresh(force=True)
                start = self._store.find_scan_id(number, self._query)
            if start is None:
                raise RunNotFound(f"No run with scan_id {number} in {self._describe}.")
            return start
        if not isinstance(key, str):
            raise RunNotFound(f"{key!r} is not a uid, uid prefix, scan_id or negative index.")
        start = self._lookup_uid(key)
        if start is None:
            self._store.refresh(force=True)
            start = self._lookup_uid(key)
        if start is None:
            raise RunNotFound(f"No run with uid or uid prefix {key!r} in {self._describe}.")
        return start

    def _lookup_uid(self, key: str) -> Doc | None:
        start = self._store.get_start(key, self._query)
        if start is not None:
            return start
        matches = self._store.find_uid_prefix(key, self._query, limit=11)
        if len(matches) > 1:
            shown = ", ".join(matches[:10])
            more = " (and more)" if len(matches) > 10 else ""
            raise AmbiguousUidPrefix(
                f"The uid prefix {key!r} matches several runs: {shown}{more}. "
                "Give more characters of the uid."
            )
        if matches:
            return self._store.get_start(matches[0], self._query)
        return None

    def entry_for(self, start: Doc) -> Any:
        """Return the (cached) entry of the run with this start document."""
        uid = start["uid"]
        entry = self._entries.get(uid)
        if entry is None:
            entry = self._entries[uid] = self._make_entry(start)
        return entry

    def __getitem__(self, key: Any) -> Any:
        return self.entry_for(self.resolve(key))

    def __contains__(self, key: object) -> bool:
        try:
            self.resolve(key)
        except (KeyError, ValueError, IndexError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        for start in self._store.iter_starts(self._query):
            yield start["uid"]

    def __len__(self) -> int:
        return self._store.count(self._query)

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        for start in self._store.iter_starts(self._query):
            yield start["uid"], self.entry_for(start)

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        for _, entry in self.items():
            yield entry
