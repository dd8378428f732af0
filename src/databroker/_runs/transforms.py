"""Transforms: user callables that rewrite documents as they surface."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._fill.imports import import_object

__all__ = ["TRANSFORMABLE", "parse_transforms"]

TRANSFORMABLE = ("start", "stop", "resource", "descriptor", "stream_resource")


def _identity(doc: Any) -> Any:
    return doc


def parse_transforms(transforms: Mapping[str, Any] | None) -> dict[str, Callable[[Any], Any]]:
    """Return a transform callable for each transformable document type.

    Parameters
    ----------
    transforms
        ``None`` (identity everywhere) or a mapping from ``'start'``, ``'stop'``,
        ``'resource'``, ``'descriptor'`` or ``'stream_resource'`` to a callable or a dotted
        import path of one. Missing keys are the identity.

    Raises
    ------
    NotImplementedError
        For a key that is not transformable.
    ValueError
        If ``transforms`` is neither None nor a Mapping.
    """
    if transforms is None:
        return dict.fromkeys(TRANSFORMABLE, _identity)
    if not isinstance(transforms, Mapping):
        raise ValueError(
            f"Invalid transforms argument {transforms!r}: expected None or a mapping of "
            f"document name to callable, with names among {TRANSFORMABLE}."
        )
    unsupported = set(transforms) - set(TRANSFORMABLE)
    if unsupported:
        raise NotImplementedError(
            f"Transforms for {sorted(unsupported)} are not supported; "
            f"only {list(TRANSFORMABLE)} can be transformed."
        )
    parsed: dict[str, Callable[[Any], Any]] = {}
    for name in TRANSFORMABLE:
        value = transforms.get(name, _identity)
        parsed[name] = import_object(value) if isinstance(value, str) else value
    return parsed
