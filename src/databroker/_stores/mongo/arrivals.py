"""Runs arriving in a MongoDB catalog, polled by insertion order (``_id``).

A run arrives when its start (normalized: ``run_start``; embedded: ``header``) is inserted.
ObjectIds grow with time but only to the second, and two writer processes stamp theirs
independently, so an id inserted later may sort before one already seen. Each look therefore
re-reads a window of :data:`WINDOW` seconds before the newest id seen and drops the uids
already delivered there; the token carries that newest id and those uids. The server is
asked every ``poll_interval`` seconds while a reader waits (no change streams needed).
"""

from __future__ import annotations

import base64
import datetime
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import InvalidOption

__all__ = ["WINDOW", "MongoArrivals"]

#: Seconds of insertion order re-read before the newest start seen (ObjectId stamps are
#: per second and per process; this also covers small clock differences between writers).
WINDOW = 2.0
_PREFIX = "mongo:"


def _encode(newest: Any, recent: list[str]) -> str:
    text = json.dumps([None if newest is None else str(newest), recent], separators=(",", ":"))
    return _PREFIX + base64.urlsafe_b64encode(text.encode()).decode()


def _decode(token: str) -> tuple[Any, list[str]]:
    from bson import ObjectId

    try:
        if not token.startswith(_PREFIX):
            raise ValueError("no prefix")
        newest, recent = json.loads(base64.urlsafe_b64decode(token[len(_PREFIX) :]))
        if not isinstance(recent, list) or not all(isinstance(uid, str) for uid in recent):
            raise ValueError("bad uids")
        return (None if newest is None else ObjectId(newest)), recent
    except Exception:
        raise InvalidOption(
            f"The arrivals token {token[:60]!r} was not made by a MongoDB catalog; pass a "
            "token a MongoDB catalog returned, or None."
        ) from None


class MongoArrivals:
    """The arrivals of one collection of start-bearing documents.

    Parameters
    ----------
    collection
        ``run_start`` or ``header``.
    uid_of
        The start uid of a stored document (None: not a run, skipped).
    listable
        A filter every listed document matches (``{'uid': {'$type': 'string'}}``, ...).
    window
        Seconds re-read before the newest id seen.
    """

    def __init__(
        self,
        collection: Any,
        uid_of: Callable[[Mapping[str, Any]], str | None],
        listable: Mapping[str, Any],
        projection: Mapping[str, Any],
        window: float = WINDOW,
    ) -> None:
        self._collection = collection
        self._uid_of = uid_of
        self._listable = dict(listable)
        self._projection = dict(projection)
        self.window = window

    def _floor(self, newest: Any) -> Any:
        """The smallest ObjectId stamped ``window`` seconds before ``newest``."""
        from bson import ObjectId

        stamp = newest.generation_time - datetime.timedelta(seconds=self.window)
        return ObjectId.from_datetime(stamp)

    def _read(self, low: Any) -> list[tuple[Any, str]]:
        filter = dict(self._listable)
        if low is not None:
            filter = {"$and": [filter, {"_id": {"$gte": low}}]}
        found = []
        for doc in self._collection.find(filter, self._projection, sort=[("_id", 1)]):
            uid = self._uid_of(doc)
            if uid is not None:
                found.append((doc["_id"], uid))
        return found

    def _token(self, newest: Any, seen: list[tuple[Any, str]]) -> str:
        if newest is None:
            return _encode(None, [])
        floor = self._floor(newest)
        recent = list(dict.fromkeys(uid for stored_id, uid in seen if stored_id >= floor))
        return _encode(newest, recent)

    def arrivals(self, since: str | None) -> tuple[str, list[str]]:
        """See :meth:`CatalogStore.arrivals <databroker._stores.base.CatalogStore.arrivals>`."""
        if since is None:
            cursor = self._collection.find(self._listable, {"_id": True}, sort=[("_id", -1)])
            newest_doc = next(iter(cursor.limit(1)), None)
            if newest_doc is None:
                return _encode(None, []), []
            newest = newest_doc["_id"]
            return self._token(newest, self._read(self._floor(newest))), []
        newest, recent = _decode(since)
        seen = self._read(None if newest is None else self._floor(newest))
        delivered = set(recent)
        uids = []
        for _, uid in seen:
            if uid not in delivered:
                delivered.add(uid)
                uids.append(uid)
        if seen:
            newest = seen[-1][0] if newest is None else max(newest, seen[-1][0])
        return self._token(newest, seen), uids

    def wait(
        self, since: str | None, timeout: float | None, interval: float
    ) -> tuple[str, list[str]]:
        """Poll :meth:`arrivals` every ``interval`` seconds until a run arrives or timeout."""
        end = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        if since is None:
            since = self.arrivals(None)[0]
        while True:
            token, uids = self.arrivals(since)
            left = None if end is None else end - time.monotonic()
            if uids or (left is not None and left <= 0):
                return token, uids
            time.sleep(interval if left is None else min(interval, left))
