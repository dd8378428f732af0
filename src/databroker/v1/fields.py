"""Which keys of a descriptor's events the v1 ``fields=`` argument selects, and what it merges in.

Shared by the document/event generators (:mod:`.events`) and the table builder (:mod:`.tables`)
so both apply one rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Selection", "select"]


@dataclass(frozen=True)
class Selection:
    """What one descriptor's events keep and gain.

    Attributes
    ----------
    keys
        Selected data keys, in the descriptor's ``data_keys`` order.
    extras
        ``{key: (value, timestamp)}`` merged into every event: matching configuration keys
        (their configuration timestamp), then start and stop keys (that document's ``time``).
    """

    keys: list[str]
    extras: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def _matcher(fields: Iterable[str]) -> Any:
    patterns = []
    for entry in fields:
        try:
            patterns.append(re.compile(entry))
        except re.error as err:
            raise ValueError(
                f"The field {entry!r} in fields= is not a valid regular expression ({err}); "
                "escape special characters with re.escape()."
            ) from err
    return lambda key: any(pattern.fullmatch(key) for pattern in patterns)


def select(
    fields: Iterable[str] | None,
    descriptor: Mapping[str, Any],
    start: Mapping[str, Any],
    stop: Mapping[str, Any] | None,
) -> Selection:
    """Apply ``fields`` to one descriptor.

    Parameters
    ----------
    fields
        None keeps every data key and merges nothing. Otherwise each entry is a regular
        expression that must match a whole key, or the name of an object in the descriptor's
        ``object_keys`` (selecting all of that object's data keys).
    descriptor, start, stop
        The documents of the run; ``stop`` may be None while the run is live.
    """
    data_keys = list(descriptor.get("data_keys", {}))
    if fields is None:
        return Selection(keys=data_keys)
    fields = [fields] if isinstance(fields, str) else list(fields)
    matches = _matcher(fields)
    object_keys = descriptor.get("object_keys") or {}
    by_object = {key for entry in fields for key in object_keys.get(entry, ())}
    keys = [key for key in data_keys if key in by_object or matches(key)]
    taken = set(keys)
    extras: dict[str, tuple[Any, Any]] = {}
    for config in (descriptor.get("configuration") or {}).values():
        timestamps = config.get("timestamps") or {}
        for key, value in (config.get("data") or {}).items():
            if key not in taken and key not in extras and matches(key):
                extras[key] = (value, timestamps.get(key))
    for doc in (start, stop or {}):
        for key, value in doc.items():
            if key not in taken and key not in extras and matches(key):
                extras[key] = (value, doc.get("time"))
    return Selection(keys=keys, extras=extras)
