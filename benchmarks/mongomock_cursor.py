"""A constant-time ``next()`` for mongomock's cursor, installed when the suite uses mongomock.

mongomock 4.3's ``Cursor.__next__`` slices the remaining results (``results[skip:]``) before
taking one, so iterating a cursor of n documents copies O(n²) list items: reading the
100,000 events of the full-size ``wide`` run took about 100 s, for databroker and the floor
alike, and hid every difference between them. A server's cursor costs O(1) per document; this
replacement indexes the cached results instead, with the same skip/limit semantics.
"""

from __future__ import annotations

from typing import Any

__all__ = ["install"]


def _next(self: Any) -> Any:
    if self._limit and self._emitted >= abs(self._limit):
        raise StopIteration
    results = self._compute_results()  # the cached full result list, before skip and limit
    index = self._skip + self._emitted
    if index >= len(results):
        raise StopIteration
    self._emitted += 1
    return results[index]


def install() -> None:
    """Replace ``mongomock.collection.Cursor.__next__`` (idempotent)."""
    from mongomock.collection import Cursor

    Cursor.__next__ = Cursor.next = _next  # type: ignore[method-assign]
