"""Where external data lives: root_map resolution and the paths of (stream) resources."""

from __future__ import annotations

import ntpath
import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from ..errors import ConfigError

__all__ = [
    "ResolvedPath",
    "RootMap",
    "resolve_root",
    "resolve_root_map",
    "resource_location",
    "stream_resource_location",
]


def _matching_entry(root: str, root_map: Mapping[str, str]) -> str | None:
    """Return the root_map key that applies to ``root``: exact, else longest path prefix."""
    if root in root_map:
        return root
    best: str | None = None
    for key in root_map:
        stem = key.rstrip("/\\")
        # A prefix must end at a component boundary: '/data' covers '/data/x', not '/database'.
        is_prefix = root.startswith(stem) and root[len(stem) : len(stem) + 1] in ("/", "\\")
        if stem and is_prefix and (best is None or len(stem) > len(best.rstrip("/\\"))):
            best = key
    return best


def resolve_root(root: str, root_map: Mapping[str, str]) -> str:
    """Return ``root`` rewritten by ``root_map``.

    An exact key match wins; otherwise the longest key that is a whole-component path
    prefix of ``root`` is replaced by its value; otherwise ``root`` is returned unchanged.
    """
    key = _matching_entry(root, root_map)
    if key is None:
        return root
    if key == root:
        return root_map[key]
    rest = root[len(key.rstrip("/\\")) :]
    return root_map[key].rstrip("/\\") + rest


def resolve_root_map(root_map: Mapping[str, str] | None, catalog_dir: str | None) -> dict[str, str]:
    """Return a new root_map whose relative values are made absolute against ``catalog_dir``.

    Raises
    ------
    ConfigError
        (a ``ValueError``) if a value is relative and ``catalog_dir`` is None; names the key
        and the value.
    """
    resolved: dict[str, str] = {}
    for key, value in (root_map or {}).items():
        if not os.path.isabs(value):
            if catalog_dir is None:
                raise ConfigError(
                    f"root_map entry {key!r}: {value!r} is a relative path, but the catalog "
                    f"has no metadata['catalog_dir'] to resolve it against. Use an absolute "
                    f"path, or load the catalog from an intake YAML file."
                )
            value = os.path.abspath(os.path.join(catalog_dir, value))
        resolved[key] = value
    return resolved


class RootMap(dict[str, str]):
    """A root_map whose ``get`` applies :func:`resolve_root`'s prefix rule.

    event-model's ``Filler`` looks roots up with ``root_map.get(root, root)``; handing it
    this class gives documents filled through the Filler the same roots as ``read()``.
    """

    def get(self, key: Any, default: Any = None) -> Any:
        if isinstance(key, str) and _matching_entry(key, self) is not None:
            return resolve_root(key, self)
        return default


@dataclass(frozen=True)
class ResolvedPath:
    """A local path of external data with what it was resolved from (for error messages)."""

    #: The local path handed to the handler or reader.
    path: str
    #: The stored ``root`` (Resource) or ``uri`` path (StreamResource).
    stored: str
    #: The ``(key, value)`` root_map entry used, or None.
    entry: tuple[str, str] | None

    def describe(self) -> str:
        """Return a sentence saying how the path was obtained."""
        if self.entry is None:
            return f"stored location {self.stored!r}, not changed by root_map"
        key, value = self.entry
        return f"stored location {self.stored!r}, mapped by root_map entry {key!r}: {value!r}"


def _resolve(stored: str, root_map: Mapping[str, str]) -> tuple[str, tuple[str, str] | None]:
    key = _matching_entry(stored, root_map)
    if key is None:
        return stored, None
    return resolve_root(stored, root_map), (key, root_map[key])


def resource_location(resource: Mapping[str, Any], root_map: Mapping[str, str]) -> ResolvedPath:
    """Return the handler path of a Resource: its ``root`` after root_map joined with
    ``resource_path`` according to ``path_semantics``."""
    stored_root = resource.get("root", "") or ""
    root, entry = _resolve(stored_root, root_map)
    resource_path = resource["resource_path"]
    if not root:
        return ResolvedPath(resource_path, stored_root, entry)
    join = ntpath.join if resource.get("path_semantics") == "windows" else posixpath.join
    return ResolvedPath(join(root, resource_path), stored_root, entry)


def stream_resource_location(
    stream_resource: Mapping[str, Any], root_map: Mapping[str, str]
) -> ResolvedPath:
    """Return the reader path of a StreamResource from its ``uri`` (after root_map).

    ``file://host/path`` URIs give ``/path`` (host ignored, percent-escapes decoded); a
    bare path is used as is. StreamResources written before ``uri`` existed carry
    ``root`` and ``resource_path`` instead and are resolved like Resources.
    """
    uri = stream_resource.get("uri")
    if uri is None:
        return resource_location(stream_resource, root_map)
    parsed = urlparse(uri)
    stored = unquote(parsed.path) if parsed.scheme == "file" else uri
    path, entry = _resolve(stored, root_map)
    return ResolvedPath(path, stored, entry)
