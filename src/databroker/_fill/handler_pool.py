"""Open handler instances of one run: creation from (stream) resources, an LRU bound, errors.

The pool is what dask tasks hold on to, so it pickles (with plain pickle) without its open
instances, which are recreated on first use in the receiving process, and with the registered
handler classes rather than the Filler's coerced local subclasses of them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._stores.lru import LRUCache
from ..errors import (
    DatabrokerError,
    ExternalFileNotFound,
    HandlerError,
    InvalidEventType,
    UnknownHandlerSpec,
)
from .paths import ResolvedPath, resource_location, stream_resource_location

__all__ = [
    "HandlerPool",
    "is_stream_resource",
    "not_found_message",
    "picklable_registry",
    "spec_of",
    "unknown_spec_message",
]

#: Spec bound of the number of open handler instances per run.
MAX_OPEN_HANDLERS = 64


def is_stream_resource(doc: Mapping[str, Any]) -> bool:
    """Return True for a StreamResource (it names a ``data_key``), False for a Resource."""
    return "data_key" in doc


def spec_of(doc: Mapping[str, Any]) -> str:
    """Return the registry key of a Resource (``spec``) or StreamResource (``mimetype``)."""
    if is_stream_resource(doc):
        # StreamResources written by early ophyd-async carried ``spec`` instead of ``mimetype``.
        return doc.get("mimetype") or doc["spec"]
    return doc["spec"]


def unknown_spec_message(
    doc: Mapping[str, Any], run_uid: str, field: str | None, registry: Mapping[str, Any]
) -> str:
    """The message of ``UnknownHandlerSpec``: spec or mimetype, (stream) resource, run, field,
    the registered keys and how to register one."""
    key = spec_of(doc)
    kind = "mimetype" if is_stream_resource(doc) else "spec"
    document = "StreamResource" if is_stream_resource(doc) else "Resource"
    where = f" for field {field!r}" if field else ""
    skip = f" or leave the field out with exclude=[{field!r}]" if field else ""
    return (
        f"No handler is registered for {kind} {key!r} ({document} {doc['uid']!r} of run "
        f"{run_uid!r}){where}. Registered keys: {sorted(registry)}. "
        f"Register one with catalog.register_handler({key!r}, HandlerClass), pass "
        f"handler_registry=, or install a package providing it in the "
        f"'databroker.handlers' entry-point group{skip}."
    )


def not_found_message(
    err: FileNotFoundError, doc: Mapping[str, Any], location: ResolvedPath, run_uid: str
) -> str:
    """The message of ``ExternalFileNotFound``: the path, resource, run, how the path was
    resolved, and the root_map entry that would relocate it."""
    path = err.filename or location.path
    return (
        f"External file {path!r} does not exist (resource {doc['uid']!r} of run "
        f"{run_uid!r}, {location.describe()}). If the data moved, map its root "
        f"with root_map={{{location.stored!r}: '<new location>'}}."
    )


def _importable(cls: Any) -> Any:
    """Return the first class of ``cls``'s MRO that pickle can find by module and name.

    Coercions (event-model's ``force_numpy``, our ``'delayed'``) make local subclasses that
    pickle cannot name; their base is the registered handler class.
    """
    for candidate in getattr(cls, "__mro__", ()):
        found: Any = sys.modules.get(getattr(candidate, "__module__", ""))
        for part in getattr(candidate, "__qualname__", "").split("."):
            found = getattr(found, part, None)
        if found is candidate:
            return candidate
    return cls


def picklable_registry(registry: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return a registry that pickles: a lazy one as it is (its entry points unloaded), else
    ``{key: class}`` with each coerced class replaced by its importable handler class.

    The pool only calls handlers and turns their results into arrays itself, so the
    coercion is not needed in the process the pool is sent to.
    """
    lazy = getattr(registry, "picklable", None)
    if lazy is not None:
        return lazy()
    inner = getattr(registry, "_handler_registry", None)  # event-model's HandlerRegistryView
    lazy = getattr(inner, "picklable", None)
    if lazy is not None:
        return lazy()
    return {key: _importable(cls) for key, cls in registry.items()}


class _Open:
    """One open handler with the lock that serialises calls into it."""

    __slots__ = ("handler", "location", "lock")

    def __init__(self, handler: Any, location: ResolvedPath) -> None:
        self.handler = handler
        self.location = location
        self.lock = threading.Lock()


class HandlerPool:
    """Handler and stream-reader instances of one run, keyed by (stream) resource.

    Parameters
    ----------
    handler_registry
        ``{spec or mimetype: class}``; kept by reference so registrations apply to later reads.
    root_map
        ``{stored root: local root}``; kept by reference for the same reason.
    run_uid
        The run's uid, for error messages.
    max_open
        Most instances kept open; the least recently used is closed beyond that.
    """

    def __init__(
        self,
        handler_registry: Mapping[str, type],
        root_map: Mapping[str, str],
        run_uid: str,
        max_open: int = MAX_OPEN_HANDLERS,
    ) -> None:
        self.handler_registry = handler_registry
        self.root_map = root_map
        self.run_uid = run_uid
        self.max_open = max_open
        self._open: LRUCache[tuple[Any, ...], _Open] = LRUCache(max_open)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["handler_registry"] = picklable_registry(self.handler_registry)
        state["_open"] = LRUCache(self.max_open)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def handler_class(self, doc: Mapping[str, Any], field: str | None = None) -> type:
        """Return the class registered for a (stream) resource.

        Raises
        ------
        UnknownHandlerSpec
            Naming the spec or mimetype, the resource, the run, the field, the registered
            keys and how to register one.
        """
        try:
            return self.handler_registry[spec_of(doc)]
        except KeyError:
            pass
        raise UnknownHandlerSpec(
            unknown_spec_message(doc, self.run_uid, field, self.handler_registry)
        )

    def _location(self, doc: Mapping[str, Any]) -> ResolvedPath:
        if is_stream_resource(doc):
            return stream_resource_location(doc, self.root_map)
        return resource_location(doc, self.root_map)

    def _get(self, doc: Mapping[str, Any]) -> _Open:
        cls = self.handler_class(doc)
        location = self._location(doc)
        # The class and path are part of the key so that register_handler() or a root_map
        # change between reads gives a fresh instance.
        key = (doc["uid"], cls, location.path)
        with self._lock:
            entry = self._open.get(key)
            if entry is not None:
                return entry
            entry = _Open(self._instantiate(cls, doc, location), location)
            evicted = self._open.put(key, entry)
        for _, old in evicted:  # closed outside the lock: closing a file may take a while
            _close(old)
        return entry

    def __len__(self) -> int:
        """Return the number of open instances."""
        return len(self._open)

    def _instantiate(self, cls: type, doc: Mapping[str, Any], location: ResolvedPath) -> Any:
        name = "parameters" if is_stream_resource(doc) else "resource_kwargs"
        kwargs = doc.get(name) or {}
        if not isinstance(kwargs, Mapping):
            raise InvalidEventType(
                f"{name} of resource {doc.get('uid')!r} (run {self.run_uid!r}) is "
                f"{kwargs!r:.80}, not a mapping of handler arguments."
            )
        try:
            return cls(location.path, **kwargs)
        except (DatabrokerError, ImportError):
            raise
        except FileNotFoundError as err:
            raise self._not_found(err, doc, location) from err
        except Exception as err:
            raise HandlerError(
                f"{cls.__name__}({location.path!r}, **{dict(kwargs)!r}) raised "
                f"{type(err).__name__}: {err} (spec {spec_of(doc)!r}, resource "
                f"{doc['uid']!r}, run {self.run_uid!r}; {location.describe()})."
            ) from err

    def _not_found(
        self, err: FileNotFoundError, doc: Mapping[str, Any], location: ResolvedPath
    ) -> ExternalFileNotFound:
        return ExternalFileNotFound(not_found_message(err, doc, location, self.run_uid))

    def _call(self, doc: Mapping[str, Any], what: str, method: str, *args: Any, **kw: Any) -> Any:
        entry = self._get(doc)
        try:
            with entry.lock:
                func = getattr(entry.handler, method) if method else entry.handler
                return func(*args, **kw)
        except (DatabrokerError, ImportError):
            raise
        except FileNotFoundError as err:
            raise self._not_found(err, doc, entry.location) from err
        except Exception as err:
            raise HandlerError(
                f"{type(entry.handler).__name__} raised {type(err).__name__}: {err} while "
                f"reading {what} (spec {spec_of(doc)!r}, resource {doc['uid']!r}, run "
                f"{self.run_uid!r})."
            ) from err

    def read_datum(
        self,
        resource: Mapping[str, Any],
        datum_kwargs: Sequence[Mapping[str, Any]],
        datum_ids: Sequence[str],
    ) -> np.ndarray | list[np.ndarray]:
        """Load the values of several datum of one Resource.

        Returns the rows stacked (one ``read_many`` call when the handler offers it) or, when
        it does not, a list with one array per datum.
        """
        for datum_id, kwargs in zip(datum_ids, datum_kwargs, strict=True):
            if not isinstance(kwargs, Mapping):
                raise InvalidEventType(
                    f"datum_kwargs of datum {datum_id!r} (resource {resource['uid']!r}, run "
                    f"{self.run_uid!r}) is {kwargs!r:.80}, not a mapping of handler arguments."
                )
        entry = self._get(resource)
        if hasattr(entry.handler, "read_many"):
            what = f"datum {datum_ids[0]!r} and {len(datum_ids) - 1} more with read_many"
            return np.asarray(self._call(resource, what, "read_many", list(datum_kwargs)))
        return [
            np.asarray(self._call(resource, f"datum {datum_id!r}", "", **kwargs))
            for datum_id, kwargs in zip(datum_ids, datum_kwargs, strict=True)
        ]

    def read_stream(self, stream_resource: Mapping[str, Any], start: int, stop: int) -> np.ndarray:
        """Load rows ``[start, stop)`` of a StreamResource through its reader."""
        what = f"rows [{start}, {stop})"
        return np.asarray(self._call(stream_resource, what, "", start, stop))

    def file_list(
        self, doc: Mapping[str, Any], datum_kwargs: Sequence[Mapping[str, Any]] = ()
    ) -> list[str]:
        """Return the files of a Resource (given all its datum kwargs) or StreamResource."""
        entry = self._get(doc)
        if not hasattr(entry.handler, "get_file_list"):
            raise NotImplementedError(
                f"{type(entry.handler).__name__} (spec {spec_of(doc)!r}) has no get_file_list()"
                f", so the files of resource {doc['uid']!r} cannot be listed."
            )
        if is_stream_resource(doc):
            return list(self._call(doc, "the file list", "get_file_list"))
        return list(self._call(doc, "the file list", "get_file_list", list(datum_kwargs)))

    def close(self) -> None:
        """Close every open instance (those offering ``close()``) and forget them."""
        with self._lock:
            entries = list(self._open.values())
            self._open.clear()
        for entry in entries:
            _close(entry)


def _close(entry: _Open) -> None:
    close = getattr(entry.handler, "close", None)
    if close is not None:
        with entry.lock:
            close()
