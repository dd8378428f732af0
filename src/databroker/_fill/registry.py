"""Handler registries: importing dotted paths and discovering handlers from entry points."""

from __future__ import annotations

import importlib
import importlib.metadata
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import HandlerImportError, HandlerPluginWarning
from .imports import import_object

__all__ = ["discover_handlers", "parse_handler_registry"]

#: Distribution that ships the built-in handlers; any other distribution is a third party.
_OWN_DISTRIBUTION = "databroker"


def parse_handler_registry(handler_registry: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a new ``{spec: handler class}`` dict, importing values given as dotted strings.

    Parameters
    ----------
    handler_registry
        Maps a Resource ``spec`` (or StreamResource ``mimetype``) to a handler class or to
        the dotted import path of one. None gives an empty registry.

    Raises
    ------
    HandlerImportError
        If a dotted path cannot be imported; the message names the key and the path.
    """
    parsed: dict[str, Any] = {}
    for key, value in (handler_registry or {}).items():
        if isinstance(value, str):
            try:
                value = import_object(value)
            except ImportError as err:
                raise HandlerImportError(
                    f"The handler for spec {key!r} is given as {value!r}, which cannot be "
                    f"imported ({err}). Fix the dotted path or install the package providing it."
                ) from err
        parsed[key] = value
    return parsed


def _entry_points(group: str) -> Iterable[importlib.metadata.EntryPoint]:
    """Return the installed entry points of ``group`` (a seam for tests)."""
    return importlib.metadata.entry_points(group=group)


def _distribution_name(entry_point: importlib.metadata.EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return dist.name if dist is not None else "<unknown distribution>"


#: Built-in stream readers keyed by mimetype. Mimetypes are not valid entry-point names, so
#: databroker registers these itself when the default group is discovered.
_BUILTIN_MIMETYPE_READERS = {
    "application/x-hdf5": "HDF5StreamReader",
    "multipart/related;type=image/tiff": "TiffSequenceStreamReader",
}


def _builtin_mimetype_readers() -> dict[str, list[tuple[bool, str, Any]]]:
    from .. import handlers

    return {
        key: [(False, _OWN_DISTRIBUTION, getattr(handlers, name))]
        for key, name in _BUILTIN_MIMETYPE_READERS.items()
    }


def discover_handlers(
    entrypoint_group_name: str = "databroker.handlers", skip_failures: bool = True
) -> dict[str, Any]:
    """Load every handler entry point of a group and return ``{key: class}``.

    A third-party entry point beats databroker's built-in for the same key silently. When
    several third parties claim one key, the distribution whose name sorts last wins and a
    :class:`~databroker.errors.HandlerPluginWarning` names all of them.

    Parameters
    ----------
    entrypoint_group_name
        The entry-point group to read.
    skip_failures
        If True (default) an entry point that fails to load is skipped with a
        ``HandlerPluginWarning`` naming it, its distribution and the error; if False the
        error is raised.
    """
    candidates: dict[str, list[tuple[bool, str, Any]]] = {}
    if entrypoint_group_name == "databroker.handlers":
        candidates.update(_builtin_mimetype_readers())
    for entry_point in _entry_points(entrypoint_group_name):
        dist_name = _distribution_name(entry_point)
        try:
            handler = entry_point.load()
        except Exception as err:
            if not skip_failures:
                raise
            warnings.warn(
                f"Skipping handler entry point {entry_point.name!r} = {entry_point.value!r} "
                f"from distribution {dist_name!r} in group {entrypoint_group_name!r}: "
                f"{type(err).__name__}: {err}",
                HandlerPluginWarning,
                stacklevel=2,
            )
            continue
        third_party = dist_name != _OWN_DISTRIBUTION
        candidates.setdefault(entry_point.name, []).append((third_party, dist_name, handler))
    return {
        key: _choose(key, options, entrypoint_group_name) for key, options in candidates.items()
    }


def _choose(key: str, options: list[tuple[bool, str, Any]], group: str) -> Any:
    """Pick the winner for one key: third parties over built-ins, then last distribution name."""
    options = sorted(options, key=lambda option: (option[0], option[1]))
    third_parties = sorted({dist for third_party, dist, _ in options if third_party})
    if len(third_parties) > 1:
        warnings.warn(
            f"Handler key {key!r} in entry-point group {group!r} is claimed by several "
            f"distributions: {', '.join(third_parties)}. Using the one from "
            f"{third_parties[-1]!r}; pass handler_registry= to choose explicitly.",
            HandlerPluginWarning,
            stacklevel=3,
        )
    return options[-1][2]
