"""Public helpers: lazy mappings, field lookup, search paths, times, config files, docts.

The time functions live in :mod:`databroker._query.time` and the config-file helpers in
:mod:`databroker._config.files`; they are re-exported here, where users import them from.
"""

from __future__ import annotations

import html
import os
import pickle
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ._config.files import (
    CONFIG_SEARCH_PATH,
    config_search_path,
    describe_configs,
    list_configs,
    lookup_config,
)
from ._query.time import format_time, normalize_human_friendly_time

__all__ = [
    "ALL",
    "CONFIG_SEARCH_PATH",
    "DeprecatedDoct",
    "Doct",
    "LazyMap",
    "catalog_search_path",
    "config_search_path",
    "describe_configs",
    "ensure_path_exists",
    "format_time",
    "get_fields",
    "list_configs",
    "lookup_config",
    "normalize_human_friendly_time",
    "wrap_in_deprecated_doct",
    "wrap_in_doct",
]


class ALL:
    """Sentinel meaning "all streams", used as ``stream_name=ALL``; compare with ``is``."""


class LazyMap(Mapping[str, Any]):
    """A read-only mapping whose values are made on first access.

    Parameters
    ----------
    *args, **kwargs
        As for ``dict``: name → zero-argument factory.

    Notes
    -----
    The first ``lazy_map[name]`` calls the factory once (also when several threads ask at
    the same time) and keeps the result; a factory that raises is called again next time.
    ``in``, ``len`` and iteration never call factories.

    Pickling keeps loaded values, and keeps the factories of unloaded entries when they can
    be pickled; an entry whose factory cannot be pickled (a lambda, a closure) is loaded
    first and pickled as its value.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._factories: dict[str, Callable[[], Any]] = dict(*args, **kwargs)
        self._values: dict[str, Any] = {}
        self._setup_locks()

    def _setup_locks(self) -> None:
        # One lock per key, so a slow factory blocks only readers of the same key. Re-entrant,
        # so a factory that (wrongly) asks for its own key fails with RecursionError, not a hang.
        self._add_lock = threading.Lock()
        self._locks = {key: threading.RLock() for key in self._factories}

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            pass
        lock = self._locks[key]  # KeyError for unknown keys, as a Mapping should
        with lock:
            if key not in self._values:  # another thread may have loaded it meanwhile
                self._values[key] = self._factories[key]()
            return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)

    def add(self, *args: Any, **kwargs: Any) -> None:
        """Add entries (name → zero-argument factory), as ``dict.update`` would.

        Raises
        ------
        TypeError
            If a name is already present; nothing is added then.
        """
        new = dict(*args, **kwargs)
        with self._add_lock:
            clashes = sorted(str(key) for key in new if key in self._factories)
            if clashes:
                raise TypeError(
                    f"LazyMap already has the keys {clashes}; it is read-only, so existing "
                    "entries cannot be replaced. Build a new LazyMap instead."
                )
            for key, factory in new.items():
                self._locks[key] = threading.RLock()
                self._factories[key] = factory

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{key!r}: {self._values[key]!r}" if key in self._values else f"{key!r}: <lazy>"
            for key in self._factories
        )
        return f"{type(self).__name__}({{{shown}}})"

    def __getstate__(self) -> dict[str, Any]:
        factories = {}
        for key, factory in self._factories.items():
            if key in self._values:
                continue
            try:
                pickle.dumps(factory)
            except (pickle.PicklingError, TypeError, AttributeError):
                self[key]  # load it, so its value is pickled instead
                continue
            factories[key] = factory
        return {"factories": factories, "values": dict(self._values), "order": list(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        values = state["values"]
        self._factories = {
            key: state["factories"].get(key, _Loaded(values.get(key))) for key in state["order"]
        }
        self._values = values
        self._setup_locks()


class _Loaded:
    """Factory that returns a value already made (an unpickled entry has no factory left)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self) -> Any:
        return self.value


def get_fields(header: Any, name: str | type[ALL] | None = None) -> set[str]:
    """Return the data keys of a run.

    Parameters
    ----------
    header : Header
        Anything with a ``descriptors`` sequence of descriptor documents.
    name : str, optional
        Keep only descriptors of this stream (a descriptor without a ``name`` is
        ``'primary'``). None or :class:`ALL` means every stream.

    Returns
    -------
    set of str
        The union of ``data_keys`` over the selected descriptors.
    """
    fields: set[str] = set()
    for descriptor in header.descriptors:
        if name is None or name is ALL or descriptor.get("name", "primary") == name:
            fields.update(descriptor["data_keys"])
    return fields


def ensure_path_exists(path: str | os.PathLike[str], exist_ok: bool = True) -> None:
    """Create the directory ``path`` and any missing parents, as databroker 1.x did.

    Parameters
    ----------
    path : str or os.PathLike
        The directory.
    exist_ok : bool
        If False, a directory that already exists raises ``FileExistsError``.

    Raises
    ------
    OSError
        From :func:`os.makedirs` (naming the path): a file is in the way, no permission, or
        (with ``exist_ok=False``) the directory exists.
    """
    os.makedirs(path, exist_ok=exist_ok)


def catalog_search_path() -> tuple[str, str]:
    """Return the directories where intake looks for YAML catalogs.

    Returns
    -------
    tuple of str
        ``(user data dir, global data dir)`` as computed by intake's legacy API.
    """
    # Imported here: intake is heavy and `import databroker` must stay light.
    from intake.catalog.default import global_data_dir, user_data_dir

    return (str(user_data_dir()), str(global_data_dir()))


def _is_display_probe(name: str) -> bool:
    """Whether ``name`` is one IPython/Jupyter looks up on any object it displays."""
    return (name.startswith("_repr_") and name.endswith("_")) or name.startswith("_ipython_")


def _html_table(doc: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>{_html_value(value)}</td></tr>"
        for key, value in doc.items()
    )
    return f"<table>{rows}</table>"


def _html_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return _html_table(value)
    return html.escape(repr(value))


def _wrap_value(cls: type[Doct], name: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return cls(name, value)
    if type(value) in (list, tuple):  # exact types: a namedtuple's constructor differs
        return type(value)(_wrap_value(cls, name, item) for item in value)
    return value


class Doct(dict[str, Any]):
    """A dict that also allows attribute access (``doc.plan_name``) and has ``_name``.

    Nested mappings are wrapped too, so ``start.plan_args.num`` works. Dict methods win over
    keys of the same name (``doc.items`` is the method).
    """

    def __init__(self, name: str, doc: Mapping[str, Any]) -> None:
        cls = type(self)
        super().__init__((key, _wrap_value(cls, name, value)) for key, value in doc.items())
        self.__dict__["_doct_name"] = name

    @property
    def _name(self) -> str:
        return self.__dict__["_doct_name"]

    def __getattr__(self, key: str) -> Any:
        # Called only when normal lookup fails. Dunder names are probed by copy/pickle, and
        # _repr_*_/_ipython_* ones by IPython: they must never resolve to document keys.
        if key.startswith("__") or _is_display_probe(key) or key not in self:
            raise AttributeError(
                f"{type(self).__name__} {self.__dict__.get('_doct_name')!r} has no key or "
                f"attribute {key!r}."
            )
        return self[key]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {key for key in self if isinstance(key, str)})

    def _repr_html_(self) -> str:
        """An HTML table of the document's keys and values (nested mappings as tables)."""
        return _html_table(self)


class DeprecatedDoct(Doct):
    """A :class:`Doct` whose attribute access and ``_name`` warn (use ``doc['key']``)."""

    @property
    def _name(self) -> str:
        warnings.warn(
            "Document._name is deprecated; the document's name is given with the document "
            "(e.g. by documents()).",
            UserWarning,
            stacklevel=2,
        )
        return self.__dict__["_doct_name"]

    def __getattr__(self, key: str) -> Any:
        value = super().__getattr__(key)
        warnings.warn(
            f"Attribute access to document keys (doc.{key}) is deprecated; use doc[{key!r}].",
            UserWarning,
            stacklevel=2,
        )
        return value


def wrap_in_doct(name: str, doc: Mapping[str, Any]) -> Doct:
    """Return ``doc`` as a :class:`Doct` (dict with attribute access); nested dicts too.

    Parameters
    ----------
    name : str
        The document's name ('start', 'event', ...), kept as ``_name``.
    doc : Mapping
        The document; it is copied, not changed.
    """
    return Doct(name, doc)


def wrap_in_deprecated_doct(name: str, doc: Mapping[str, Any]) -> DeprecatedDoct:
    """Return ``doc`` as a :class:`DeprecatedDoct`, the default v1 ``prepare_hook``.

    Parameters
    ----------
    name : str
        The document's name ('start', 'event', ...), kept as ``_name``.
    doc : Mapping
        The document; it is copied, not changed.
    """
    return DeprecatedDoct(name, doc)
