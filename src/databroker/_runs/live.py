"""The live state of a run: running or ended, waiting for the end, and when it last changed.

One notion decides "may this run still change?": it has no stop document yet
(:meth:`RunView.is_live <databroker._runs.view.RunView.is_live>`). Everything here, and every
cache above storage that re-reads a run while it may grow, asks that one question.

Waiting never sleeps blindly: it hands the remaining time to the run's storage
(:meth:`RunStore.wait_for_documents <databroker._stores.base.RunStore.wait_for_documents>`),
which returns at its next poll or, for a live buffer, as soon as a document arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .._stores.base import Doc, RunStore
from ..errors import RunWaitTimeout
from .view import RunView

__all__ = ["RUNNING", "Deadline", "LiveState", "run_state", "wait_on"]

#: The state of a run without a stop document.
RUNNING = "running"


def run_state(stop: Doc | None) -> str:
    """Return ``'running'`` without a stop, else the stop's ``exit_status``."""
    if stop is None:
        return RUNNING
    return str(stop.get("exit_status") or "unknown")


class Deadline:
    """The time left of an optional timeout (``None``: no end), read from a monotonic clock."""

    def __init__(self, timeout: float | None) -> None:
        if timeout is not None and timeout < 0:
            timeout = 0.0
        self.timeout = timeout
        self._end = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a timeout."""
        if self._end is None:
            return None
        return max(0.0, self._end - time.monotonic())

    def expired(self) -> bool:
        """True once the timeout has passed."""
        return self._end is not None and time.monotonic() >= self._end


def wait_on(store: RunStore, deadline: Deadline) -> None:
    """Let ``store`` wait for new documents for at most what is left of ``deadline``.

    Without a timeout the store is asked for one poll interval at a time, so a caller loop
    re-checks what it waits for at least that often.
    """
    remaining = deadline.remaining()
    step = max(store.poll_interval, 0.001) if remaining is None else remaining
    store.wait_for_documents(step)


def _newest_time(docs: Any) -> float | None:
    times = [float(doc["time"]) for doc in docs if isinstance(doc.get("time"), int | float)]
    return max(times) if times else None


class LiveState:
    """The live state of one run: its state, waiting for its end, its last update.

    Parameters
    ----------
    view
        The run (its stop decides whether it may still change).
    last_event_time
        Returns the time of the newest event the reader can see cheaply (one row per
        descriptor), or None.
    """

    def __init__(self, view: RunView, last_event_time: Callable[[], float | None]) -> None:
        self.view = view
        self._last_event_time = last_event_time
        self._seen = float("-inf")

    @property
    def store(self) -> RunStore:
        """The run's storage (asked to wait, and for its last update)."""
        return self.view.store

    def is_live(self) -> bool:
        """True while the run has no stop document (its contents may still grow)."""
        return self.view.is_live()

    def state(self) -> str:
        """``'running'`` until a stop exists, then the stop's ``exit_status``."""
        return run_state(self.view.stop())

    def note(self, seen: float | None) -> None:
        """Remember a document time the reader has seen (rows read by a cursor, ...)."""
        if seen is not None and seen > self._seen:
            self._seen = seen

    def last_update(self) -> float | None:
        """Epoch seconds of the newest document: the store's answer when it has one, else
        the newest document time seen (start, descriptors, newest events, stop)."""
        stored = self.store.last_update()
        if stored is not None:
            self.note(stored)
            return stored
        view = self.view
        stop = view.stop()
        candidates = [
            _newest_time([view.start()]),
            _newest_time(view.descriptors()),
            self._last_event_time(),
            _newest_time([stop]) if stop is not None else None,
        ]
        for candidate in candidates:
            self.note(candidate)
        return None if self._seen == float("-inf") else self._seen

    def wait(self, timeout: float | None = None) -> str:
        """Block until the run ends; return its state.

        Raises
        ------
        RunWaitTimeout
            When ``timeout`` seconds pass first (a ``TimeoutError``), naming the run and
            when it last changed.
        """
        deadline = Deadline(timeout)
        while self.is_live():
            if deadline.expired():
                raise self._timeout(deadline.timeout)
            wait_on(self.store, deadline)
        return self.state()

    def _timeout(self, timeout: float | None) -> RunWaitTimeout:
        last = self.last_update()
        since = ""
        if last is not None:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last))
            since = f"; its newest document is from {stamp} ({time.time() - last:.1f} s ago)"
        return RunWaitTimeout(
            f"Run {self.view.uid!r} is still running after waiting {timeout} s for its stop "
            f"document{since}. Wait longer (timeout=None waits until it ends), or check that "
            "its writer is alive."
        )
