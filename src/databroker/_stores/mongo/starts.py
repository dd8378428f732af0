"""What both MongoDB catalog stores do with run-level documents: cache starts and warn on
duplicates, and keep the stops of listed runs so iterating a catalog costs a few queries per
batch of runs instead of one per run."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ...errors import DuplicateRunWarning, SkippedFileWarning
from ..base import Doc
from ..lru import LRUCache

__all__ = ["HAS_UID", "LISTING_BATCH", "StartCache", "StopCache", "batched", "listable"]

_MAX_CACHED_STARTS = 1024
#: Runs per listing batch whose stops are fetched together (kept well below the cache size).
LISTING_BATCH = 100


class StartCache:
    """A bounded cache of recently seen start documents, and once-per-uid duplicate warnings.

    Parameters
    ----------
    duplicate_message
        Format string for the duplicate warning, with ``{uid}`` in it.
    """

    def __init__(self, duplicate_message: str) -> None:
        self._starts: LRUCache[str, Doc] = LRUCache(_MAX_CACHED_STARTS)
        self._warned: set[str] = set()
        self._duplicate_message = duplicate_message

    def get(self, uid: str) -> Doc | None:
        """Return the cached start of ``uid``, if any."""
        return self._starts.get(uid)

    def remember(self, start: Doc) -> Doc:
        """Cache ``start`` (most recent last) and return it."""
        self._starts[start["uid"]] = start
        return start

    def clear(self) -> None:
        """Forget every cached start (the server may have changed)."""
        self._starts.clear()

    def warn_duplicate(self, uid: str) -> None:
        """Warn, once per uid, that several stored starts share ``uid``."""
        if uid in self._warned:
            return
        self._warned.add(uid)
        warnings.warn(
            self._duplicate_message.format(uid=repr(uid)), DuplicateRunWarning, stacklevel=4
        )

    def unique(self, starts: Iterable[Doc | None]) -> Iterator[Doc]:
        """Yield each start once (first stored wins, later copies warn), caching each.

        None (a stored document that is not a run, see :func:`listable`) is left out.
        """
        seen: set[str] = set()
        for start in starts:
            if start is None:
                continue
            uid = start["uid"]
            if uid in seen:
                self.warn_duplicate(uid)
                continue
            seen.add(uid)
            yield self.remember(start)


#: What a stored start needs to be listed (and counted): a string uid.
HAS_UID = {"$type": "string"}


def listable(start: Doc | None, stored_id: Any, where: str) -> Doc | None:
    """Return ``start`` if it can be listed as a run; else warn naming ``where`` and the
    stored document's ``_id``, and return None (the other runs stay listed)."""
    if start is not None and isinstance(start.get("uid"), str):
        return start
    problem = "no start document" if start is None else "a start document without a string uid"
    warnings.warn(
        f"Skipping the document with _id {stored_id!r} in {where}: it holds {problem}, so it "
        "is not listed as a run. Add the missing field or remove the document.",
        SkippedFileWarning,
        stacklevel=4,
    )
    return None


def batched(items: Iterable[Doc], size: int) -> Iterator[list[Doc]]:
    """Yield lists of ``size`` consecutive items (the last one may be shorter)."""
    batch: list[Doc] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class StopCache:
    """A bounded cache of stop documents, filled a listing batch at a time.

    A listing announces each batch of run uids it yields (:meth:`listed`); the first time the
    stop of one of them is wanted, one query fetches the stops of the whole batch. Only stops
    that exist are kept: a run without one may still end, so it is asked for again later.

    Parameters
    ----------
    fetch
        ``uids -> {uid: stop or None}`` in as few queries as possible; None when stops only
        arrive through :meth:`remember`.
    """

    def __init__(self, fetch: Callable[[Sequence[str]], Mapping[str, Doc | None]] | None) -> None:
        self._fetch = fetch
        self._stops: LRUCache[str, Doc] = LRUCache(_MAX_CACHED_STARTS)
        # uid -> the batch it was listed in, until that batch's stops are fetched
        self._pending: LRUCache[str, tuple[str, ...]] = LRUCache(_MAX_CACHED_STARTS)

    def listed(self, uids: Sequence[str]) -> None:
        """Note that these runs were just listed together (their stops may be wanted soon)."""
        if self._fetch is None:
            return
        batch = tuple(uids)
        for uid in batch:
            self._pending[uid] = batch

    def remember(self, uid: str, stop: Doc) -> Doc:
        """Cache the stop of run ``uid`` (most recent last) and return it."""
        self._stops[uid] = stop
        return stop

    def get(self, uid: str) -> Doc | None:
        """Return the known stop of ``uid``, fetching its listing batch first if it has one.

        None means "not known": the caller asks the database for this run alone.
        """
        stop = self._stops.get(uid)
        batch = self._pending.get(uid)
        if stop is not None or batch is None or self._fetch is None:
            return stop
        for member in batch:
            self._pending.pop(member, None)
        wanted = [member for member in batch if member not in self._stops]
        for member, found in self._fetch(wanted).items():
            if found is not None:
                self.remember(member, found)
        return self._stops.get(uid)

    def clear(self) -> None:
        """Forget every cached stop and listing batch (the server may have changed)."""
        self._stops.clear()
        self._pending.clear()
