"""Catalog paths as users write them: directories, ``~``, environment variables, and a warning
when the paths match no run file while their directory holds other files."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable

__all__ = ["RUN_FILE_SUFFIXES", "expand_pattern", "unmatched_note"]

#: The suffix of each file format's run files.
RUN_FILE_SUFFIXES = {"jsonl": ".jsonl", "msgpack": ".msgpack"}

_GLOB_CHARACTERS = frozenset("*?[")


def expand_pattern(path: str | os.PathLike[str], suffix: str) -> str:
    """Return the glob pattern a catalog path means.

    ``~`` and ``$VARIABLES`` are expanded; an existing directory means every run file of this
    format directly inside it (``<directory>/*<suffix>``).
    """
    text = os.path.expandvars(os.path.expanduser(os.fspath(path)))
    if not _GLOB_CHARACTERS & set(text) and os.path.isdir(text):
        return os.path.join(text, "*" + suffix)
    return text


def unmatched_note(patterns: Iterable[str], suffix: str, format_name: str) -> str | None:
    """Say what the directories hold when no pattern matches a file there, else None.

    Only the directory part of each pattern is listed (one ``os.scandir`` each); a pattern
    whose directory is missing or empty says nothing (a new catalog is legitimately empty).
    """
    found: list[str] = []
    for pattern in patterns:
        directory, name_pattern = os.path.split(pattern)
        if _GLOB_CHARACTERS & set(directory):
            return None  # nested globs: too costly to explain here
        try:
            with os.scandir(directory or ".") as entries:
                names = [entry.name for entry in entries if not entry.name.startswith(".")]
        except OSError:
            continue
        if any(fnmatch.fnmatch(name, name_pattern) for name in names):
            return None
        found += [os.path.join(directory, name) for name in names]
    if not found:
        return None
    others = {
        other: sum(name.endswith(other_suffix) for name in found)
        for other, other_suffix in RUN_FILE_SUFFIXES.items()
        if other_suffix != suffix
    }
    hints = [
        f"{count} {other} run file(s) (open them with the {other} catalog)"
        for other, count in others.items()
        if count
    ]
    sample = ", ".join(os.path.basename(name) for name in sorted(found)[:3])
    what = "; ".join(hints) if hints else f"{len(found)} other file(s), e.g. {sample}"
    return (
        f"The {format_name} catalog paths {list(patterns)} match no file, but their "
        f"directories hold {what}. A {format_name} run file ends in {suffix!r}."
    )
