"""Which fields a stream has, what their DataKeys declare, and which object owns them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import ShapeMismatchError

__all__ = ["check_declared_shapes", "data_key_of", "object_of", "select_fields"]

Doc = Mapping[str, Any]


def select_fields(
    descriptors: Sequence[Doc],
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> list[str]:
    """Return the stream's field names, filtered (rule 2).

    The fields are the data keys of all descriptors in first-appearance order; ``include``
    keeps only those names, ``exclude`` drops them, both keep the order. Unknown names are
    ignored.

    Raises
    ------
    ValueError
        If both ``include`` and ``exclude`` are given.
    """
    if include is not None and exclude is not None:
        raise ValueError(
            "Pass include= or exclude=, not both: include keeps only the listed fields, "
            "exclude drops them."
        )
    fields = list(dict.fromkeys(key for d in descriptors for key in d.get("data_keys", {})))
    if include is not None:
        wanted = set(include)
        return [field for field in fields if field in wanted]
    if exclude is not None:
        unwanted = set(exclude)
        return [field for field in fields if field not in unwanted]
    return fields


def data_key_of(descriptors: Sequence[Doc], field: str) -> Doc:
    """Return the DataKey of ``field`` from the first descriptor that declares it."""
    for descriptor in descriptors:
        data_key = descriptor.get("data_keys", {}).get(field)
        if data_key is not None:
            return data_key
    raise KeyError(field)


def object_of(descriptors: Sequence[Doc], field: str) -> str | None:
    """Return the first object whose ``object_keys`` lists ``field`` (rule 6), else None."""
    for descriptor in descriptors:
        for name, keys in (descriptor.get("object_keys") or {}).items():
            if field in keys:
                return name
    return None


def _compatible(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """Shapes agree when they have one length and equal sizes where both are known."""
    return len(a) == len(b) and all(x == y or not x or not y for x, y in zip(a, b, strict=True))


def check_declared_shapes(descriptors: Sequence[Doc], field: str) -> None:
    """Raise ``ShapeMismatchError`` when two descriptors declare contradicting shapes (rule 8).

    Null or 0 entries (unknown sizes) agree with any size.
    """
    first: tuple[str, Any] | None = None
    for descriptor in descriptors:
        data_key = descriptor.get("data_keys", {}).get(field)
        if data_key is None or data_key.get("shape") is None:
            continue
        shape = list(data_key["shape"])
        if first is None:
            first = (descriptor["uid"], shape)
        elif not _compatible(first[1], shape):
            raise ShapeMismatchError(
                f"Field {field!r} has shape {first[1]} in descriptor {first[0]!r} but "
                f"{shape} in descriptor {descriptor['uid']!r}. Read the stream with "
                f"exclude=[{field!r}] or fix the descriptors with a 'descriptor' transform."
            )
