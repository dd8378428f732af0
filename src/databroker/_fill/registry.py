"""Handler registries: importing dotted paths and discovering handlers from entry points.

Discovery lists the ``databroker.handlers`` entry points without importing them (ophyd's
``NPY_SEQ`` imports all of ophyd); each loads when a resource with its spec is first read.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import HandlerImportError, HandlerPluginWarning
from .imports import import_object

__all__ = ["HandlerRegistry", "discover_handlers", "parse_handler_registry"]

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
    """Return the installed entry points of ``group`` (a seam for tests).

    Listing them reads the metadata of every installed distribution (about 10 ms), so the
    list is kept per process while no directory on ``sys.path`` changes: a package installed
    since (pip writes into site-packages) is found by the next catalog.
    """
    signature = _path_signature()
    with _LISTED_LOCK:
        known = _LISTED.get(group)
    if known is not None and known[0] == signature:
        return known[1]
    found = tuple(importlib.metadata.entry_points(group=group))
    with _LISTED_LOCK:
        _LISTED[group] = (signature, found)
    return found


_LISTED: dict[str, tuple[tuple[Any, ...], tuple[importlib.metadata.EntryPoint, ...]]] = {}
_LISTED_LOCK = threading.Lock()


def _path_signature() -> tuple[Any, ...]:
    """``sys.path`` with each directory's mtime: what an installation changes."""
    signature: list[tuple[str, int | None]] = []
    for entry in sys.path:
        try:
            signature.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            signature.append((entry, None))
    return tuple(signature)


def _distribution_name(entry_point: importlib.metadata.EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return dist.name if dist is not None else "<unknown distribution>"


#: Built-in stream readers keyed by mimetype. Mimetypes are not valid entry-point names, so
#: databroker registers these itself when the default group is discovered.
_BUILTIN_MIMETYPE_READERS = {
    "application/x-hdf5": "HDF5StreamReader",
    "multipart/related;type=image/tiff": "TiffSequenceStreamReader",
}


@dataclass(frozen=True)
class _Candidate:
    """One entry point claiming a key, not loaded yet (picklable: plain strings)."""

    name: str
    value: str
    group: str
    distribution: str
    #: The entry point itself when it was discovered in this process (tests fake its load).
    entry_point: Any = field(default=None, compare=False)

    @property
    def third_party(self) -> bool:
        return self.distribution != _OWN_DISTRIBUTION

    def load(self) -> Any:
        if self.entry_point is not None:
            return self.entry_point.load()
        return importlib.metadata.EntryPoint(self.name, self.value, self.group).load()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "entry_point": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _builtin_candidate(key: str, attribute: str) -> _Candidate:
    return _Candidate(key, f"databroker.handlers:{attribute}", "", _OWN_DISTRIBUTION)


class HandlerRegistry(dict[str, Any]):
    """``{spec or mimetype: handler class}`` whose discovered entries load on first use.

    Keys, ``in``, ``len`` and iteration never load anything; ``registry[key]`` and
    ``.get(key)`` load that key's entry point (warning with ``HandlerPluginWarning`` and
    falling back to the next claimant when it fails to load). Copying, comparing, ``items()``,
    ``values()`` and ``keys()`` load every entry. Assigning or deleting a key replaces or
    drops its entry points too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Per key not loaded yet, its claimants, preferred first.
        self._pending: dict[str, list[_Candidate]] = {}

    def _add_pending(self, key: str, candidates: list[_Candidate]) -> None:
        self._pending[key] = candidates

    def _load(self, key: str) -> Any:
        candidates = self._pending.pop(key)
        for candidate in candidates:
            try:
                handler = candidate.load()
            except Exception as err:
                _warn_failed(candidate, err, stacklevel=4)
                continue
            super().__setitem__(key, handler)
            return handler
        raise KeyError(key)

    def _load_all(self) -> None:
        for key in list(self._pending):
            with contextlib.suppress(KeyError):  # a key whose every claimant failed is gone
                self._load(key)

    def __missing__(self, key: str) -> Any:
        if key in self._pending:
            return self._load(key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or key in self._pending

    def __iter__(self) -> Iterator[str]:
        yield from super().__iter__()
        yield from (key for key in list(self._pending) if not dict.__contains__(self, key))

    def __len__(self) -> int:
        loaded = super().__len__()
        return loaded + sum(1 for key in self._pending if not dict.__contains__(self, key))

    def __setitem__(self, key: str, value: Any) -> None:
        self._pending.pop(key, None)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        if self._pending.pop(key, None) is not None and not super().__contains__(key):
            return
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            value = self.get(key, *default) if default else self[key]
            self._pending.pop(key, None)
            if super().__contains__(key):
                super().__delitem__(key)
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def keys(self) -> Any:
        self._load_all()
        return super().keys()

    def items(self) -> Any:
        self._load_all()
        return super().items()

    def values(self) -> Any:
        self._load_all()
        return super().values()

    def copy(self) -> HandlerRegistry:
        new = HandlerRegistry(super().items())
        new._pending = {key: list(value) for key, value in self._pending.items()}
        return new

    def __eq__(self, other: object) -> bool:
        self._load_all()
        if isinstance(other, HandlerRegistry):
            other._load_all()
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    def __repr__(self) -> str:
        loaded = [f"{key!r}: {value!r}" for key, value in super().items()]
        pending = [f"{key!r}: <entry point {c[0].value!r}>" for key, c in self._pending.items()]
        return f"HandlerRegistry({{{', '.join(loaded + pending)}}})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (dict(super().items()), self._pending))

    def picklable(self) -> HandlerRegistry:
        """This registry: it pickles with its entry points unloaded."""
        return self


def _rebuild(loaded: dict[str, Any], pending: dict[str, list[_Candidate]]) -> HandlerRegistry:
    registry = HandlerRegistry(loaded)
    registry._pending = pending
    return registry


def _warn_failed(candidate: _Candidate, err: Exception, stacklevel: int) -> None:
    warnings.warn(
        f"Skipping handler entry point {candidate.name!r} = {candidate.value!r} "
        f"from distribution {candidate.distribution!r} in group {candidate.group!r}: "
        f"{type(err).__name__}: {err}",
        HandlerPluginWarning,
        stacklevel=stacklevel,
    )


def discover_handlers(
    entrypoint_group_name: str = "databroker.handlers", skip_failures: bool = True
) -> HandlerRegistry:
    """Find every handler entry point of a group; return ``{key: class}`` loading each lazily.

    An entry point is imported the first time its key is looked up (when a resource with
    that spec is read), not here: listing the group costs no imports. A third-party entry
    point beats databroker's built-in for the same key silently. When several third parties
    claim one key, the distribution whose name sorts last wins and a
    :class:`~databroker.errors.HandlerPluginWarning` names all of them.

    Parameters
    ----------
    entrypoint_group_name
        The entry-point group to read.
    skip_failures
        If True (default) an entry point that fails to load is skipped, when it is first
        used, with a ``HandlerPluginWarning`` naming it, its distribution and the error (the
        next claimant of its key, such as the built-in, is used instead); if False every
        entry point is loaded now and an error is raised.
    """
    candidates: dict[str, list[_Candidate]] = {}
    if entrypoint_group_name == "databroker.handlers":
        for key, attribute in _BUILTIN_MIMETYPE_READERS.items():
            candidates[key] = [_builtin_candidate(key, attribute)]
    for entry_point in _entry_points(entrypoint_group_name):
        candidate = _Candidate(
            entry_point.name,
            entry_point.value,
            entrypoint_group_name,
            _distribution_name(entry_point),
            entry_point,
        )
        candidates.setdefault(entry_point.name, []).append(candidate)
    registry = HandlerRegistry()
    for key, options in candidates.items():
        registry._add_pending(key, _preferred(key, options, entrypoint_group_name))
    if not skip_failures:
        for key, options in list(registry._pending.items()):
            for candidate in options:
                candidate.load()  # raises
            registry._load(key)
    return registry


def _preferred(key: str, options: list[_Candidate], group: str) -> list[_Candidate]:
    """Order one key's claimants: third parties over built-ins, then last distribution name
    first; warn when several third parties claim the key."""
    ordered = sorted(options, key=lambda c: (c.third_party, c.distribution), reverse=True)
    third_parties = sorted({c.distribution for c in options if c.third_party})
    if len(third_parties) > 1:
        warnings.warn(
            f"Handler key {key!r} in entry-point group {group!r} is claimed by several "
            f"distributions: {', '.join(third_parties)}. Using the one from "
            f"{third_parties[-1]!r}; pass handler_registry= to choose explicitly.",
            HandlerPluginWarning,
            stacklevel=3,
        )
    return ordered
