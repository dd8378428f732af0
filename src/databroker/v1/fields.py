"""Which keys of a descriptor's events the v1 ``fields=`` argument selects, and what it merges in.

Shared by the document/event generators (:mod:`.events`) and the table builder (:mod:`.tables`)
so both apply one rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidQuery

__all__ = ["Selection", "normalize_fields", "select"]


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
    #: The entries of ``fields`` that name something of this descriptor or run: a data
    #: key, an object, a configuration key or a start/stop key (the others are typos here).
    used: frozenset[str] = frozenset()


def _compile(entry: Any) -> re.Pattern[str]:
    if not isinstance(entry, str):
        raise InvalidQuery(
            f"Each entry of fields= must be a string (a data key, an object name or a regular "
            f"expression), not {type(entry).__name__}: {entry!r}."
        )
    try:
        return re.compile(entry)
    except re.error as err:
        raise InvalidQuery(
            f"The entry {entry!r} of fields= is not a valid regular expression ({err}); "
            "escape special characters with re.escape()."
        ) from err


def normalize_fields(fields: Iterable[str] | str | None) -> list[str] | None:
    """Return ``fields`` as a list (a single string is one entry), checked up front.

    Raises
    ------
    InvalidQuery
        If an entry is not a string or not a valid regular expression (a ``ValueError``,
        as before), even when the runs read have no descriptor to apply it to.
    """
    if fields is None:
        return None
    entries = [fields] if isinstance(fields, str) else list(fields)
    for entry in entries:
        _compile(entry)
    return entries


def _matchers(fields: list[str]) -> dict[str, Callable[[str], Any]]:
    return {entry: _compile(entry).fullmatch for entry in fields}


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
        expression that must match a whole key; an entry that matches no data key but names
        an object in the descriptor's ``object_keys`` selects all of that object's data keys
        (v1-api.md [fix]). A name that is a data key selects that key only, even when an
        object has that name too (``fields=['motor1', 'motor1_acceleration']`` gives exactly
        those two), as the 1.x clients rely on.
    descriptor, start, stop
        The documents of the run; ``stop`` may be None while the run is live.
    """
    data_keys = list(descriptor.get("data_keys", {}))
    if fields is None:
        return Selection(keys=data_keys)
    entries = normalize_fields(fields) or []
    matchers = _matchers(entries)
    used: set[str] = set()

    def matches(key: str) -> bool:
        hits = [entry for entry, fullmatch in matchers.items() if fullmatch(key)]
        used.update(hits)
        return bool(hits)

    object_keys = descriptor.get("object_keys") or {}
    by_object: set[str] = set()
    for entry in entries:
        if entry in object_keys and not any(matchers[entry](key) for key in data_keys):
            used.add(entry)
            by_object.update(object_keys[entry])
    keys = [key for key in data_keys if matches(key) or key in by_object]
    taken = set(keys)
    extras: dict[str, tuple[Any, Any]] = {}
    for config in (descriptor.get("configuration") or {}).values():
        timestamps = config.get("timestamps") or {}
        for key, value in (config.get("data") or {}).items():
            if key not in taken and matches(key) and key not in extras:
                extras[key] = (value, timestamps.get(key))
    for doc in (start, stop or {}):
        for key, value in doc.items():
            if key not in taken and matches(key) and key not in extras:
                extras[key] = (value, doc.get("time"))
    return Selection(keys=keys, extras=extras, used=frozenset(used))
