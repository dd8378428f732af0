"""Warnings for v1 reads that find nothing because a stream name or a ``fields=`` entry is
misspelt.

databroker 1.x gave an empty table (or no events) for ``table('primry')`` and for
``table(fields=['dett'])``. Scripts rely on that empty result (a run without a 'baseline'
stream, one ``fields=`` list for runs of several detectors), so it stays; but when *no* run
read has the stream, or an entry names nothing in any of them, a :class:`DatabrokerWarning`
says so and lists what exists.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import DatabrokerWarning
from ..utils import ALL
from .fields import Selection

__all__ = ["NameCheck"]

_SHOWN = 30  # names listed in a message before "and N more"


def _listing(names: Iterable[str]) -> str:
    names = sorted(set(names))
    shown = ", ".join(repr(name) for name in names[:_SHOWN])
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return f"[{shown}{more}]"


class NameCheck:
    """Collects, over the runs of one v1 read, what the stream name and ``fields`` found.

    Parameters
    ----------
    stream_name
        The stream read, or :class:`~databroker.utils.ALL`.
    fields
        The normalized ``fields=`` entries, or None.
    """

    def __init__(self, stream_name: Any, fields: list[str] | None) -> None:
        self._stream_name = stream_name
        self._fields = fields
        self._runs: list[str] = []
        self._streams: set[str] = set()
        self._all_complete = True
        self._descriptors = 0
        self._data_keys: set[str] = set()
        self._used: set[str] = set()

    def add_run(self, uid: str, streams: Iterable[str], complete: bool) -> None:
        """Record one run read: its stream names, and whether its stop has been written."""
        self._runs.append(uid)
        self._streams.update(streams)
        self._all_complete = self._all_complete and complete

    def add_selection(self, descriptor: Mapping[str, Any], selection: Selection) -> None:
        """Record what ``fields`` selected in one descriptor of the stream(s) read."""
        self._descriptors += 1
        self._data_keys.update(descriptor.get("data_keys", {}))
        self._used.update(selection.used)

    def _where(self) -> str:
        runs = ", ".join(repr(uid) for uid in self._runs[:3])
        more = f" and {len(self._runs) - 3} more" if len(self._runs) > 3 else ""
        return f"run{'s' if len(self._runs) > 1 else ''} {runs}{more}"

    def warn(self) -> None:
        """Warn about a stream no run has, or ``fields`` entries that name nothing."""
        if not self._runs:
            return
        stream = self._stream_name
        if stream is not ALL and stream not in self._streams:
            # A live run may still write the stream's descriptor: no warning then.
            if self._all_complete:
                warnings.warn(
                    f"No stream {stream!r} in {self._where()}; the streams are "
                    f"{_listing(self._streams)}. The result is empty (as in databroker 1.x); "
                    "check the stream name.",
                    DatabrokerWarning,
                    stacklevel=3,
                )
            return
        if self._fields is None or not self._descriptors:
            return
        unknown = [entry for entry in self._fields if entry not in self._used]
        if unknown:
            scope = "any stream" if stream is ALL else f"stream {stream!r}"
            warnings.warn(
                f"The fields= entries {unknown} match no data key, object name, configuration "
                f"key or start/stop key of {scope} in {self._where()}; the data keys are "
                f"{_listing(self._data_keys)}. Entries are whole-key regular expressions; "
                "check the names.",
                DatabrokerWarning,
                stacklevel=3,
            )
