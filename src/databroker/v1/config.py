"""v1 configuration: ``from_config``, ``Broker.named``, ``temp`` and ``temp_config``.

A legacy config pairs a Mongo ``metadatastore`` with a Mongo ``assets`` registry; it is
translated to the normalized Mongo driver. Every other v0 backend is refused with a clear
:class:`~databroker.errors.ConfigError`. pymongo is imported only when a config is used.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

from .._config.files import lookup_config
from ..errors import ConfigError, ConfigNotFound
from .broker import Broker

__all__ = ["from_config", "named", "temp", "temp_config"]

# The 1.x (module, class) pairs that name a Mongo metadatastore / asset registry.
_MONGO_BACKENDS = {
    "metadatastore": ("databroker.headersource.mongo", {"MDS", "MDSRO"}),
    "assets": ("databroker.assets.mongo", {"Registry", "RegistryRO"}),
}

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _new_client(uri: str) -> Any:
    """Make a MongoClient that gives up on an unreachable server after a few seconds, as the
    catalogs made from YAML or code do (tests replace this with mongomock's)."""
    from .._stores.mongo.common import new_client

    return new_client(uri)


def _client(uri: str) -> Any:
    """One shared MongoClient per URI."""
    with _clients_lock:
        if uri not in _clients:
            _clients[uri] = _new_client(uri)
        return _clients[uri]


def _mongo_uri(section: str, settings: Mapping[str, Any]) -> str:
    """The connection URI of one section's ``config``, from ``uri`` or ``host``/``port``."""
    has_host = "host" in settings or "port" in settings
    if "uri" in settings:
        if has_host:
            raise ConfigError(
                f"The {section!r} config gives both 'uri' and 'host'/'port'; give only one."
            )
        return str(settings["uri"])
    host = settings.get("host", "localhost")
    port = settings.get("port", 27017)
    credentials = ""
    if settings.get("mongo_user") is not None:
        user = quote_plus(str(settings["mongo_user"]))
        password = quote_plus(str(settings.get("mongo_pwd", "")))
        credentials = f"{user}:{password}@"
    uri = f"mongodb://{credentials}{host}:{port}/"
    if settings.get("authsource"):
        uri += f"?authsource={quote_plus(str(settings['authsource']))}"
    return uri


def _check_backend(section: str, spec: Mapping[str, Any]) -> None:
    module, classes = _MONGO_BACKENDS[section]
    given = f"{spec.get('module')}.{spec.get('class')}"
    if spec.get("module") != module or spec.get("class") not in classes:
        raise ConfigError(
            f"The {section!r} backend {given!r} is not supported: v0 backends (sqlite, hdf5, "
            f"file-based stores, ...) were removed. Only {module} ({'/'.join(sorted(classes))}) "
            "is translated; convert the data with the suitcase serializers and point an intake "
            "catalog at it instead."
        )


def _database(config: Mapping[str, Any], section: str) -> tuple[Any, Mapping[str, Any]]:
    spec = config.get(section)
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"The config has no {section!r} section (a mapping with 'module', 'class' and "
            "'config'); add it, or use api_version 2 with an intake catalog."
        )
    _check_backend(section, spec)
    settings = spec.get("config") or {}
    if "database" not in settings:
        raise ConfigError(f"The {section!r} config has no 'database' name; add one.")
    return _client(_mongo_uri(section, settings))[settings["database"]], settings


def _handler_registry(config: Mapping[str, Any], auto_register: bool) -> dict[str, Any]:
    from .._fill import discover_handlers, parse_handler_registry

    specs = config.get("handlers") or {}
    dotted = {}
    for key, spec in specs.items():
        if not isinstance(spec, Mapping) or "module" not in spec or "class" not in spec:
            raise ConfigError(
                f"The handler {key!r} in the config must be a mapping with 'module' and "
                f"'class', not {spec!r}."
            )
        dotted[key] = f"{spec['module']}.{spec['class']}"
    registry = discover_handlers() if auto_register else {}
    registry.update(parse_handler_registry(dotted))  # HandlerImportError names key and path
    return registry


def _mongo_catalog_class() -> Any:
    # Imported here: the Mongo driver pulls in pymongo.
    from .._drivers.mongo_normalized import BlueskyMongoCatalog

    return BlueskyMongoCatalog


def from_config(
    config: Mapping[str, Any], auto_register: bool = True, name: str | None = None
) -> Any:
    """Build a Broker from a v1 config dict (see the v1 spec for its keys).

    Parameters
    ----------
    config
        The parsed config file.
    auto_register
        Add the config's handlers to the discovered ones (True) or use them alone (False).
    name
        The catalog's name.

    Returns
    -------
    databroker.v1.Broker, or the v2 catalog when ``api_version`` is 2.

    Raises
    ------
    ConfigError
        For an unknown ``api_version``, a non-Mongo (v0) backend or a malformed section.
    HandlerImportError
        If a handler class cannot be imported.
    """
    api_version = config.get("api_version", 1)
    if api_version not in (0, 1, 2):
        raise ConfigError(f"Unknown api_version {api_version!r} in the config; use 1 or 2.")
    metadatastore_db, metadatastore_settings = _database(config, "metadatastore")
    asset_registry_db, _ = _database(config, "assets")
    catalog = _mongo_catalog_class()(
        metadatastore_db,
        asset_registry_db,
        handler_registry=_handler_registry(config, auto_register),
        root_map=dict(config.get("root_map") or {}),
        transforms=config.get("transforms"),
        name=name,
    )
    if api_version == 2:
        return catalog
    db = Broker(catalog)
    db._config = copy.deepcopy(dict(config))
    db._timezone = metadatastore_settings.get("timezone")
    return db


def _intake_catalog() -> Any:
    """intake's global catalog (a function, so tests can replace it)."""
    import intake

    return intake.cat


def named(name: str, auto_register: bool = True) -> Any:
    """The Broker called ``name``.

    ``'temp'`` gives :func:`temp`; otherwise the config file ``<name>.yml`` on the config
    search path; otherwise the intake catalog ``intake.cat[name]``.

    Raises
    ------
    ConfigNotFound
        If neither exists; the message lists every place searched.
    """
    if name == "temp":
        return temp()
    try:
        config = lookup_config(name)
    except ConfigNotFound as not_found:
        cat = _intake_catalog()
        if name in cat:
            return Broker(cat[name])
        from ..utils import catalog_search_path

        raise ConfigNotFound(
            f"{not_found}\nNo intake catalog named {name!r} was found either; intake looked "
            f"in {', '.join(catalog_search_path())} and the 'intake.catalogs' entry points."
        ) from None
    return from_config(config, auto_register=auto_register, name=name)


def temp() -> Broker:
    """A Broker around a new, empty catalog in a temporary directory."""
    from .._drivers.temp import temp as v2_temp

    return Broker(v2_temp())


def temp_config() -> Any:
    """Not supported: use :func:`temp`."""
    raise NotImplementedError(
        "temp_config() is no longer supported: it described a v0 Mongo setup. Use "
        "databroker.temp() for a temporary Broker."
    )
