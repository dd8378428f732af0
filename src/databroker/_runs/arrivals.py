"""Waiting for the next run of a catalog, one run at a time, without gaps.

A store answers "which runs arrived after token T" with every one of them at once
(:meth:`CatalogStore.arrivals <databroker._stores.base.CatalogStore.arrivals>`). A caller
takes one run at a time, and only those matching its query, so the token it gets back says
both the store's token and the uids of that answer already handed out (or skipped as not
matching). Passing it back continues exactly there, whatever arrived meanwhile; once an
answer is used up, the token moves on to the store's next one. Store answers are kept for a
few calls, so working through a backlog asks the store once, not once per run.
"""

from __future__ import annotations

import base64
import json
from collections import OrderedDict
from typing import Any

from .._stores.base import CatalogStore, Doc, Query
from ..errors import InvalidOption, NoRunAvailable
from .live import Deadline

__all__ = ["RunArrivals"]

_PREFIX = "runs1:"
_KEPT_ANSWERS = 16


def _encode(store_token: str, taken: list[str]) -> str:
    text = json.dumps([store_token, taken], separators=(",", ":"))
    return _PREFIX + base64.urlsafe_b64encode(text.encode()).decode()


def _decode(token: Any) -> tuple[str, list[str]]:
    try:
        if not isinstance(token, str) or not token.startswith(_PREFIX):
            raise ValueError(token)
        store_token, taken = json.loads(base64.urlsafe_b64decode(token[len(_PREFIX) :]))
        if not isinstance(store_token, str) or not all(isinstance(uid, str) for uid in taken):
            raise ValueError(token)
        return store_token, list(taken)
    except Exception:
        raise InvalidOption(
            f"since must be None or a token returned by get_next_run(), not {token!r:.80}."
        ) from None


class RunArrivals:
    """The runs arriving in a store that match a query, handed out one at a time.

    Parameters
    ----------
    store
        A store with ``supports_waiting`` (others raise ``NotSupported`` on first use).
    query
        The catalog's query: only matching runs are handed out.
    describe
        The catalog, for messages.
    """

    def __init__(self, store: CatalogStore, query: Query, describe: str) -> None:
        self._store = store
        self._query = query
        self._describe = describe
        self._answers: OrderedDict[str, tuple[str, list[str]]] = OrderedDict()

    def _keep(self, since: str, answer: tuple[str, list[str]]) -> tuple[str, list[str]]:
        self._answers[since] = answer
        self._answers.move_to_end(since)
        while len(self._answers) > _KEPT_ANSWERS:
            self._answers.popitem(last=False)
        return answer

    def _answer(self, since: str) -> tuple[str, list[str]]:
        kept = self._answers.get(since)
        return kept if kept is not None else self._keep(since, self._store.arrivals(since))

    def _first_matching(
        self, store_token: str, taken: list[str]
    ) -> tuple[str, Doc] | tuple[str, None]:
        """The next matching run of the answer to ``store_token``, with the token after it;
        else ``(the store's next token, None)``."""
        later, uids = self._answer(store_token)
        done = set(taken)
        for position, uid in enumerate(uids):
            if uid in done:
                continue
            done.add(uid)
            taken.append(uid)
            start = self._store.get_start(uid, self._query)
            if start is None:  # another catalog's run (the query), or gone again
                continue
            if all(rest in done for rest in uids[position + 1 :]):
                return _encode(later, []), start
            return _encode(store_token, taken), start
        return later, None

    def next(self, since: str | None, *, block: bool, timeout: float | None) -> tuple[str, Doc]:
        """Return ``(token, start)`` of the next matching run after ``since`` (None: now).

        Raises
        ------
        NoRunAvailable
            When none arrives before ``timeout`` (not blocking: when none has arrived).
        """
        deadline = Deadline(timeout if block else 0.0)
        taken: list[str] = []
        if since is None:
            store_token = self._store.arrivals(None)[0]
        else:
            store_token, taken = _decode(since)
        while True:
            token, start = self._first_matching(store_token, taken)
            if start is not None:
                return token, start
            store_token, taken = token, []
            if self._keep(store_token, self._store.arrivals(store_token))[1]:
                continue
            if deadline.expired():
                none = self._none(timeout if block else None)
                none.token = _encode(store_token, [])
                raise none
            self._keep(
                store_token, self._store.wait_for_arrivals(store_token, deadline.remaining())
            )

    def _none(self, timeout: float | None) -> NoRunAvailable:
        waited = f"within {timeout} s" if timeout is not None else "(not blocking)"
        return NoRunAvailable(
            f"No new run arrived in {self._describe} {waited}. Wait longer (timeout=None "
            "waits until one does), or pass the token of the previous call as since."
        )

    def last(self) -> Doc:
        """Return the start of the newest matching run (``NoRunAvailable`` if none)."""
        self._store.refresh(force=True)
        start = self._store.nth_newest(0, self._query)
        if start is None:
            raise NoRunAvailable(f"{self._describe} holds no run.")
        return start
