"""Live data on file catalogs: runs arriving in the directories, and run files growing.

No file-system notification library is needed: the catalog's rescan is cheap (a directory
is re-listed only when its mtime moved, and only files of runs without a stop are stat-ed),
so waiting for runs polls it every :attr:`FileArrivals.poll_interval` seconds. A reader
waiting for the documents of one run polls that file's ``(size, mtime)`` at the same
interval and returns as soon as it changes.

Arrival tokens are positions in the catalog's in-process :class:`ArrivalLog`: valid for that
catalog store (and the search results sharing it), in this process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..arrival_log import ArrivalLog
from ..base import Doc

__all__ = ["DEFAULT_POLL_INTERVAL", "FileArrivals", "file_mtime", "wait_for_file_change"]

#: Seconds between two looks at the directories (runs arriving) or a run file (growing).
DEFAULT_POLL_INTERVAL = 0.05

_Signature = tuple[int, int]


def _signature(path: str) -> _Signature | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


def file_mtime(path: str) -> float | None:
    """When the file was last written (epoch seconds), or None if it is gone."""
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return None


def wait_for_file_change(
    path: str, known: _Signature | None, timeout: float, interval: float
) -> None:
    """Return once ``path``'s ``(size, mtime)`` differs from ``known``, or after ``timeout``.

    With ``known`` None (nothing read yet) this sleeps one interval: the caller reads then.
    """
    end = time.monotonic() + max(timeout, 0.0)
    interval = max(interval, 0.001)
    if known is None:
        time.sleep(min(interval, max(timeout, 0.0)))
        return
    while _signature(path) == known:
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(interval, left))


class FileArrivals:
    """Mixin of :class:`~databroker._stores.files.catalog.FileCatalogStore`: runs arriving.

    The store calls :meth:`_note_arrivals` with each new index it builds; the log keeps the
    uids in the order first seen (runs found by one scan ordered by start time, then uid).
    """

    supports_waiting = True
    #: Seconds between two rescans while waiting for runs (and between two looks at a run
    #: file while a reader waits for its documents).
    poll_interval: float = DEFAULT_POLL_INTERVAL
    backend_name: str
    _arrival_log: ArrivalLog | None = None

    if TYPE_CHECKING:

        def refresh(self, force: bool = False) -> None:
            """The store's rescan."""

    @property
    def _arrivals_log(self) -> ArrivalLog:
        if self._arrival_log is None:
            self._arrival_log = ArrivalLog(self.backend_name)
        return self._arrival_log

    def _note_arrivals(self, starts: Mapping[str, Doc]) -> None:
        """Log the runs of a new index that were not seen before."""
        ordered = sorted(
            starts.items(), key=lambda item: (float(item[1].get("time", 0.0)), item[0])
        )
        self._arrivals_log.note(uid for uid, _ in ordered)

    def _rescan(self) -> None:
        self.refresh(force=True)

    def arrivals(self, since: str | None) -> tuple[str, list[str]]:
        self._rescan()
        return self._arrivals_log.since(since)

    def wait_for_arrivals(self, since: str | None, timeout: float | None) -> tuple[str, list[str]]:
        return self._arrivals_log.wait(
            since, timeout, poll=self._rescan, interval=self.poll_interval
        )
