"""Field selection as users write it: include= and exclude= names, checked against the stream."""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import InvalidArgument, InvalidOption, UnknownFieldWarning

__all__ = ["field_names", "selection", "warn_unknown_fields"]


def field_names(value: Any, argument: str) -> list[str] | None:
    """Return ``value`` as a list of field names (a single string is one name), or None."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable) or not all(isinstance(name, str) for name in value):
        raise InvalidArgument(f"{argument}= takes a field name or a list of them, not {value!r}.")
    return list(value)


def selection(include: Any, exclude: Any) -> tuple[list[str] | None, list[str] | None]:
    """Return ``(include, exclude)`` as lists of names; both given raises ``InvalidOption``."""
    if include is not None and exclude is not None:
        raise InvalidOption(
            "Pass include= or exclude=, not both: include keeps only the listed fields, "
            "exclude drops them."
        )
    return field_names(include, "include"), field_names(exclude, "exclude")


def warn_unknown_fields(
    descriptors: Sequence[Any],
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
    where: str,
) -> None:
    """Warn (``UnknownFieldWarning``) about selected names that are no field of the stream.

    The names stay ignored, as 1.x ignored them; the warning lists the fields that exist
    and the closest to each unknown name.
    """
    names = include if include is not None else exclude
    if not names:
        return
    known = list(dict.fromkeys(key for d in descriptors for key in d.get("data_keys", {})))
    unknown = [name for name in names if name not in known]
    if not unknown or not descriptors:
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    argument = "include" if include is not None else "exclude"
    warnings.warn(
        f"{argument}= names {', '.join(hints)}, which {where} does not have; they are "
        f"ignored. Its fields are {known}.",
        UnknownFieldWarning,
        stacklevel=4,
    )
