"""An in-process log of the runs a store has seen arrive, with gap-free position tokens.

The stores that keep their index in process (memory, files) append each run's uid once, in
the order they first see it; a token is a position in that log, so passing it back gives
exactly the runs seen after it, none twice and none missed. Tokens name the log they belong
to: a token of another store raises :class:`~databroker.errors.InvalidOption`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable

from ..errors import InvalidOption

__all__ = ["ArrivalLog"]


class ArrivalLog:
    """The uids of runs in the order a store first saw them.

    Parameters
    ----------
    kind
        The store's backend name, the first part of each token (``'msgpack:3f...:12'``).
    """

    def __init__(self, kind: str) -> None:
        self._prefix = f"{kind}:{uuid.uuid4().hex[:12]}:"
        self._uids: list[str] = []
        self._seen: set[str] = set()
        self._changed = threading.Condition()

    def note(self, uids: Iterable[str]) -> None:
        """Append the uids not seen before, in the given order, and wake the waiters."""
        with self._changed:
            fresh = [uid for uid in uids if uid not in self._seen]
            if not fresh:
                return
            self._seen.update(fresh)
            self._uids.extend(fresh)
            self._changed.notify_all()

    def _position(self, since: str | None) -> int:
        if since is None:
            return len(self._uids)
        prefix, _, number = since.rpartition(":")
        if prefix + ":" != self._prefix or not number.isdigit():
            raise InvalidOption(
                f"The arrivals token {since!r} does not belong to this catalog (its tokens "
                f"begin {self._prefix!r}); pass a token this catalog returned, or None."
            )
        position = int(number)
        if position > len(self._uids):
            raise InvalidOption(f"The arrivals token {since!r} is ahead of this catalog.")
        return position

    def since(self, since: str | None) -> tuple[str, list[str]]:
        """Return ``(token, uids)`` of the runs seen after ``since`` (None: now, no uids)."""
        with self._changed:
            position = self._position(since)
            uids = self._uids[position:]
            return f"{self._prefix}{len(self._uids)}", uids

    def wait(
        self,
        since: str | None,
        timeout: float | None,
        *,
        poll: Callable[[], None] | None = None,
        interval: float = 0.1,
    ) -> tuple[str, list[str]]:
        """Like :meth:`since`, blocking until a run arrives or ``timeout`` seconds pass.

        ``poll`` (a store's rescan) is called before each look, at most every ``interval``
        seconds; without it only :meth:`note` from this process wakes the wait.
        """
        end = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        if since is None:
            if poll is not None:
                poll()
            since = self.since(None)[0]
        while True:
            if poll is not None:
                poll()
            token, uids = self.since(since)
            left = None if end is None else end - time.monotonic()
            if uids or (left is not None and left <= 0):
                return token, uids
            step = interval if poll is not None else None
            if step is not None and left is not None:
                step = min(step, left)
            elif step is None:
                step = left
            with self._changed:
                if self._position(since) == len(self._uids):
                    self._changed.wait(step)
