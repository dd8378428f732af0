"""What both MongoDB catalog stores do with start documents: cache them, warn on duplicates."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator

from ..errors import DuplicateRunWarning
from .base import Doc

__all__ = ["StartCache"]

_MAX_CACHED_STARTS = 1024


class StartCache:
    """A bounded cache of recently seen start documents, and once-per-uid duplicate warnings.

    Parameters
    ----------
    duplicate_message
        Format string for the duplicate warning, with ``{uid}`` in it.
    """

    def __init__(self, duplicate_message: str) -> None:
        self._starts: OrderedDict[str, Doc] = OrderedDict()
        self._warned: set[str] = set()
        self._duplicate_message = duplicate_message

    def get(self, uid: str) -> Doc | None:
        """Return the cached start of ``uid``, if any."""
        return self._starts.get(uid)

    def remember(self, start: Doc) -> Doc:
        """Cache ``start`` (most recent last) and return it."""
        uid = start["uid"]
        self._starts[uid] = start
        self._starts.move_to_end(uid)
        while len(self._starts) > _MAX_CACHED_STARTS:
            self._starts.popitem(last=False)
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
        """Yield each start once (first stored wins, later copies warn), caching each."""
        seen: set[str] = set()
        for start in starts:
            if start is None:
                continue
            uid = str(start.get("uid"))
            if uid in seen:
                self.warn_duplicate(uid)
                continue
            seen.add(uid)
            yield self.remember(start)
