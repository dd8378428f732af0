"""``open_catalog(location)``: one way to open any catalog.

A location is tried as, in this order, a MongoDB URI (or a pair of them), an intake YAML file
(``file.yml`` or ``file.yml:entry``), a directory, glob or file of run files (JSONL or
msgpack, told apart by their suffix), and the name of a catalog in ``databroker.catalog``.
The backends come from :mod:`databroker._stores.registry`; when nothing fits,
:class:`~databroker.errors.CatalogNotFound` lists every kind tried and why it did not fit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._stores.registry import BackendSpec, backends_for
from .._stores.registry import backend as backend_spec
from ..errors import CatalogNotFound, ConfigError, InvalidArgument

__all__ = ["open_catalog"]

_YAML_LOCATION = re.compile(r"^(?P<path>.+\.ya?ml)(?::(?P<entry>[^:/\\]+))?$", re.IGNORECASE)
_FILE_BACKENDS = ("jsonl", "msgpack")
_MONGO_BACKENDS = ("mongo-embedded", "mongo-normalized")
#: Collections that tell the two MongoDB layouts apart.
_LAYOUT_COLLECTIONS = (("header", "mongo-embedded"), ("run_start", "mongo-normalized"))


@dataclass(frozen=True)
class _Attempt:
    """One kind of location tried, and why the location is not of that kind."""

    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


_NOT_THIS_KIND = None  # what an opener returns when the location is not of its kind
Opener = Callable[[str, dict[str, Any], list[_Attempt]], Any]


def open_catalog(
    location: Any,
    *,
    backend: str | None = None,
    asset_registry_db: Any = None,
    **kwargs: Any,
) -> Any:
    """Open the catalog at ``location``, whatever kind of location it is.

    Parameters
    ----------
    location : str, os.PathLike, or a pair of MongoDB URIs
        One of:

        - a directory, glob pattern or file of run files (``.jsonl`` or ``.msgpack``; the
          format is told from the files; ``~`` and ``$VARIABLES`` are expanded);
        - a ``mongodb://host/database`` URI: the layout is told from the collections
          (``header``: embedded, ``run_start``: normalized, with the assets in the same
          database unless ``asset_registry_db`` is given);
        - a pair ``(metadatastore_uri, asset_registry_uri)``: the normalized layout;
        - an intake YAML file, ``catalog.yml`` (if it has one entry) or ``catalog.yml:entry``;
        - the name of an installed catalog (an entry of ``databroker.catalog``).
    backend : str, optional
        A backend name of the registry (``'jsonl'``, ``'msgpack'``, ``'mongo-embedded'``,
        ``'mongo-normalized'``) to use instead of guessing, e.g. to open an empty database.
    asset_registry_db : str, optional
        The assets database of a normalized MongoDB layout kept apart from the metadata.
    **kwargs
        Passed to the driver: ``root_map``, ``handler_registry``, ``transforms``, ``query``,
        ``filler_class``, intake's ``name``/``metadata``/``ttl``.

    Returns
    -------
    databroker.v2.Broker
        The catalog (an intake catalog of runs).

    Raises
    ------
    CatalogNotFound
        Nothing opens at ``location``; the message lists each kind of location tried and why
        it did not fit.
    ConfigError
        The location fits several kinds or layouts at once (the message says how to choose),
        or a required backend library is not installed.
    InvalidArgument
        ``location`` is neither a string, a path nor a pair of URIs.

    Examples
    --------
    >>> catalog = open_catalog("~/data/runs")  # doctest: +SKIP
    >>> catalog = open_catalog("mongodb://localhost:27017/metadatastore")  # doctest: +SKIP
    >>> catalog = open_catalog("catalogs.yml:raw", root_map={"/old": "/new"})  # doctest: +SKIP
    """
    if asset_registry_db is not None:
        kwargs["asset_registry_db"] = asset_registry_db
    if isinstance(location, list | tuple):
        return _open_pair(location, backend, kwargs)
    if _is_database(location):
        return _open_mongo(location, f"the database {location.name!r}", backend, kwargs)
    text = _as_text(location)
    if text is None:
        raise InvalidArgument(
            f"open_catalog() takes a path, a glob, a URI, a catalog name or a pair of MongoDB "
            f"URIs, not {type(location).__name__}: {location!r}."
        )
    if backend is not None:
        return _open_with(backend_spec(backend), text, kwargs)
    attempts: list[_Attempt] = []
    openers: tuple[Opener, ...] = (
        _try_tiled,
        _try_mongo,
        _try_redis,
        _try_yaml,
        _try_files,
        _try_installed,
    )
    for opener in openers:
        catalog = opener(text, kwargs, attempts)
        if catalog is not _NOT_THIS_KIND:
            return catalog
    tried = "\n".join(f"  {attempt};" for attempt in attempts)
    raise CatalogNotFound(
        f"No catalog found at {text!r}. Tried:\n{tried}\n"
        "Give a directory or glob of .jsonl or .msgpack run files, a mongodb://host/database "
        "URI, a redis://host:port live buffer, an intake YAML file (file.yml or "
        "file.yml:entry), or the name of an installed catalog (`databroker catalogs` lists "
        "them)."
    )


# -- locations ----------------------------------------------------------------------------


def _as_text(location: Any) -> str | None:
    if not isinstance(location, str | os.PathLike):
        return None
    text = os.fspath(location)
    return text if isinstance(text, str) else None


def _expanded(text: str) -> str:
    return os.path.expandvars(os.path.expanduser(text))


def _is_database(location: Any) -> bool:
    return hasattr(location, "list_collection_names") and hasattr(location, "client")


def _open_with(spec: BackendSpec, location: str, kwargs: dict[str, Any]) -> Any:
    """Open ``location`` with the driver of one backend (no guessing)."""
    driver = spec.load_driver()
    if spec.name == "mongo-normalized":
        assets = kwargs.pop("asset_registry_db", None) or location
        return driver(location, assets, **kwargs)
    if "asset_registry_db" in kwargs:
        raise InvalidArgument(
            f"asset_registry_db= applies to the normalized MongoDB layout only, not to the "
            f"{spec.name} backend opening {location!r}."
        )
    if spec.name in _FILE_BACKENDS:
        location = _expanded(location)
    return driver(location, **kwargs)


# -- MongoDB ------------------------------------------------------------------------------


def _open_pair(location: Any, backend: str | None, kwargs: dict[str, Any]) -> Any:
    if len(location) != 2 or "asset_registry_db" in kwargs:
        raise InvalidArgument(
            "A pair of locations is (metadatastore URI, asset registry URI) of the normalized "
            f"MongoDB layout; got {len(location)} location(s)"
            + (" and asset_registry_db=" if "asset_registry_db" in kwargs else "")
            + "."
        )
    if backend not in (None, "mongo-normalized", "mongo_normalized"):
        raise InvalidArgument(
            f"A pair of MongoDB URIs is the normalized layout; backend={backend!r} does not "
            "take two databases."
        )
    metadatastore, assets = location
    return backend_spec("mongo-normalized").load_driver()(metadatastore, assets, **kwargs)


def _try_mongo(text: str, kwargs: dict[str, Any], attempts: list[_Attempt]) -> Any:
    if not any(spec.name in _MONGO_BACKENDS for spec in backends_for(text)):
        attempts.append(_Attempt("a MongoDB URI", "does not start with mongodb://"))
        return _NOT_THIS_KIND
    return _open_mongo(text, text, None, kwargs)


def _try_tiled(text: str, kwargs: dict[str, Any], attempts: list[_Attempt]) -> Any:
    """An ``http(s)://`` URI: a Tiled server's catalog, read with the stock Tiled client."""
    if not text.startswith(("http://", "https://")):
        attempts.append(_Attempt("a Tiled server", "does not start with http:// or https://"))
        return _NOT_THIS_KIND
    try:
        from tiled.client import from_uri
    except ImportError:
        raise ConfigError(
            f"Reading {text} needs the Tiled client: pip install 'databroker[server]'."
        ) from None
    return from_uri(text, **kwargs)


def _try_redis(text: str, kwargs: dict[str, Any], attempts: list[_Attempt]) -> Any:
    """A ``redis://`` URI: the live buffer (``durable=`` names its durable catalog)."""
    if not any(spec.name == "redis" for spec in backends_for(text)):
        attempts.append(_Attempt("a Redis live buffer", "does not start with redis://"))
        return _NOT_THIS_KIND
    return _open_with(backend_spec("redis"), text, kwargs)


def _open_mongo(location: Any, shown: str, backend: str | None, kwargs: dict[str, Any]) -> Any:
    """Open one MongoDB database (a URI or a ``Database``), its layout told from its
    collections; a database with neither layout is no catalog (and no other kind either)."""
    if backend is not None:
        return _open_with(backend_spec(backend), location, kwargs)
    if "asset_registry_db" in kwargs:
        return _open_with(backend_spec("mongo-normalized"), location, kwargs)
    layout = _mongo_layout(location, shown)
    if layout is None:
        raise CatalogNotFound(
            f"No catalog found at {shown}: the database has neither a 'header' collection "
            "(embedded layout) nor a 'run_start' collection (normalized layout), so it is empty "
            "or not a databroker database. Pass backend='mongo-embedded' or "
            "backend='mongo-normalized' to open it anyway (e.g. to write into it)."
        )
    return _open_with(backend_spec(layout), location, kwargs)


def _mongo_layout(location: Any, shown: str) -> str | None:
    """Return the backend name of the layout a database holds, or None if it holds neither."""
    backend_spec("mongo-embedded").load_driver()  # says how to install pymongo if missing
    from .._stores.mongo.common import collection_names, open_database

    try:
        connection = open_database(location, shown)
    except ValueError as error:  # a URI without a database name
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(str(error)) from None
    try:
        names = collection_names(connection.database, shown)
    finally:
        connection.close()
    found = [layout for collection, layout in _LAYOUT_COLLECTIONS if collection in names]
    if len(found) > 1:
        raise ConfigError(
            f"The MongoDB database {shown} holds both a 'header' collection (embedded layout) "
            "and a 'run_start' collection (normalized layout); pass backend='mongo-embedded' "
            "or backend='mongo-normalized' to choose."
        )
    return found[0] if found else None


# -- intake YAML files --------------------------------------------------------------------


def _try_yaml(text: str, kwargs: dict[str, Any], attempts: list[_Attempt]) -> Any:
    match = _YAML_LOCATION.match(_expanded(text))
    if match is None:
        attempts.append(_Attempt("an intake YAML file", "does not end in .yml or .yaml[:entry]"))
        return _NOT_THIS_KIND
    path, entry = match["path"], match["entry"]
    if not os.path.isfile(path):
        attempts.append(_Attempt("an intake YAML file", f"there is no file {path}"))
        return _NOT_THIS_KIND
    return _open_yaml_entry(path, entry, kwargs)


def _open_yaml_entry(path: str, entry: str | None, kwargs: dict[str, Any]) -> Any:
    import intake

    try:
        catalog = intake.open_catalog(path)
        names = list(catalog)
    except Exception as error:  # intake raises many kinds; say which file is wrong
        raise ConfigError(
            f"The intake YAML file {path} cannot be read as a catalog: {error}. Fix the file."
        ) from error
    if entry is None:
        if len(names) != 1:
            listed = ", ".join(names) if names else "no entries"
            raise (CatalogNotFound if not names else ConfigError)(
                f"The intake YAML file {path} holds {listed}; name the catalog to open as "
                f"{path}:<entry>" + (f", e.g. {path}:{names[0]}." if names else ".")
            )
        entry = names[0]
    if entry not in names:
        raise CatalogNotFound(
            f"The intake YAML file {path} has no entry {entry!r}; its entries are "
            f"{', '.join(names) or '(none)'}."
        )
    try:
        source = catalog[entry]
    except ValueError as error:
        problem = unknown_driver(path, entry)
        if problem is None:
            raise
        raise ConfigError(problem) from error
    return source(**kwargs) if kwargs else source


def unknown_driver(path: str, entry: str) -> str | None:
    """Say which driver an intake YAML entry names that no installed package provides (with the
    closest installed name), or None if its driver is installed."""
    import difflib

    import intake
    import yaml

    with open(path, encoding="utf-8") as file:
        sources = (yaml.safe_load(file) or {}).get("sources") or {}
    driver = (sources.get(entry) or {}).get("driver")
    installed = sorted(set(intake.registry))
    if not isinstance(driver, str) or driver in installed or "." in driver:
        return None
    close = difflib.get_close_matches(driver, installed, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    ours = ", ".join(name for name in installed if name.startswith("bluesky-"))
    return (
        f"The entry {entry!r} of the intake YAML file {path} names the driver {driver!r}, "
        f"which no installed package provides.{hint} databroker's drivers are: {ours}."
    )


# -- run files ----------------------------------------------------------------------------


def _try_files(text: str, kwargs: dict[str, Any], attempts: list[_Attempt]) -> Any:
    kind = "run files (" + ", ".join(_FILE_BACKENDS) + ")"
    path = _expanded(text)
    specs = [spec for spec in backends_for(path) if spec.name in _FILE_BACKENDS]
    if len(specs) > 1:
        raise ConfigError(
            f"{text!r} holds run files of several formats ({', '.join(s.name for s in specs)}); "
            f"pass a glob such as {os.path.join(path, '*.msgpack')!r} or backend='msgpack' to "
            "choose."
        )
    if specs:
        return _open_with(specs[0], path, kwargs)
    attempts.append(_Attempt(kind, _why_no_run_files(path)))
    return _NOT_THIS_KIND


def _why_no_run_files(path: str) -> str:
    if set("*?[") & set(path):
        return "the glob matches no .jsonl or .msgpack file"
    if os.path.isdir(path):
        count = len(os.listdir(path))
        return f"the directory {path} holds no .jsonl or .msgpack file ({count} other entries)"
    if os.path.exists(path):
        return f"{path} is not a .jsonl or .msgpack file"
    return f"there is no file or directory {path}"


# -- installed catalogs -------------------------------------------------------------------


def _try_installed(text: str, kwargs: dict[str, Any], attempts: list[_Attempt]) -> Any:
    kind = "an installed catalog"
    if "/" in text or os.sep in text or "://" in text:
        attempts.append(_Attempt(kind, "a catalog name holds no '/'"))
        return _NOT_THIS_KIND
    from . import discovery

    catalog = discovery.catalog
    names = list(catalog)
    if text not in names:
        listed = ", ".join(sorted(names)) if names else "none is installed"
        attempts.append(_Attempt(kind, f"databroker.catalog has no entry {text!r} ({listed})"))
        return _NOT_THIS_KIND
    source = catalog[text]
    return source(**kwargs) if kwargs else source
