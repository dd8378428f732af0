"""Constructing the Mongo catalogs: databases, URIs, wrong layouts, unreachable servers."""

from __future__ import annotations

import time
from typing import Any

import mongomock
import pytest

from databroker._drivers import mongo_embedded, mongo_normalized
from databroker._stores.mongo import common as mongo_common
from databroker.errors import ConfigError, ServerUnreachable

from .conftest import write_run


def test_driver_names() -> None:
    """[fix] Each Mongo driver class has `name` equal to its entry point."""
    from importlib.metadata import entry_points

    drivers = {ep.name: ep.value for ep in entry_points(group="intake.drivers")}
    for cls in (mongo_normalized.BlueskyMongoCatalog, mongo_embedded.BlueskyMongoCatalog):
        assert drivers[cls.name] == f"{cls.__module__}:{cls.__name__}"


@pytest.mark.parametrize("driver", ["normalized", "embedded"])
def test_uri_without_database(driver: str) -> None:
    """[fix] A URI without a database name is a ValueError asking about the database."""
    uri = "mongodb://localhost:27017"
    with pytest.raises(ValueError, match=r"Did you forget to include a database\?$"):
        if driver == "normalized":
            mongo_normalized.BlueskyMongoCatalog(uri, uri + "/assets")
        else:
            mongo_embedded.BlueskyMongoCatalog(uri + "/")


def test_unreachable_server_is_quick_and_hides_password() -> None:
    """[fix] An unreachable server fails within seconds naming the host, not the password."""
    uri = "mongodb://alice:s3cret@127.0.0.1:1/metadatastore"
    began = time.monotonic()
    with pytest.raises(ServerUnreachable) as info:
        mongo_embedded.BlueskyMongoCatalog(uri)
    assert isinstance(info.value, ConnectionError)
    assert time.monotonic() - began < 10
    assert "127.0.0.1:1" in str(info.value)
    assert "s3cret" not in str(info.value)
    assert uri not in mongo_common._clients  # the failed catalog returned its client


def test_unreachable_server_from_v1_config_is_quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """[fix] A legacy 1.x config (metadatastore/assets) pointing at an unreachable server
    fails within seconds with ServerUnreachable, as from YAML or code (was 30 s)."""
    from databroker.v1 import config as v1_config

    monkeypatch.setattr(v1_config, "_clients", {})
    section = {"host": "127.0.0.1", "port": 1, "database": "mds"}
    config = {
        "metadatastore": {
            "module": "databroker.headersource.mongo",
            "class": "MDS",
            "config": section,
        },
        "assets": {
            "module": "databroker.assets.mongo",
            "class": "Registry",
            "config": {**section, "database": "assets"},
        },
    }
    began = time.monotonic()
    with pytest.raises(ServerUnreachable, match=r"127\.0\.0\.1:1"):
        v1_config.from_config(config)
    assert time.monotonic() - began < 15
    for client in v1_config._clients.values():
        client.close()


def test_clients_shared_per_uri_and_closed_by_last_user() -> None:
    """[fix] URI clients are shared process-wide; the last close() closes, close is idempotent."""
    uri = "mongodb://127.0.0.1:1/shared_test?connect=false"
    first = mongo_common.open_database(uri, "datastore_db")
    second = mongo_common.open_database(uri, "datastore_db")
    assert first.database.client is second.database.client
    first.close()
    first.close()
    assert uri in mongo_common._clients
    second.close()
    assert uri not in mongo_common._clients


def test_close_leaves_given_database_open(layout: Any) -> None:
    """[fix] close() never closes a client the caller passed in, and may be called twice."""
    cat = layout.catalog()
    cat.close()
    cat.close()
    write_run(layout.catalog()._get_serializer(), "after-close", 1.0)
    assert list(layout.catalog()) == ["after-close"]


def test_wrong_layout(make_db: Any) -> None:
    """[new] Pointing a driver at the other layout's database is a ConfigError naming it."""
    embedded_db, normalized_db, assets = make_db(), make_db(), make_db()
    write_run(mongo_embedded.BlueskyMongoCatalog(embedded_db)._get_serializer(), "e", 1.0)
    write_run(
        mongo_normalized.BlueskyMongoCatalog(normalized_db, assets)._get_serializer(), "n", 1.0
    )
    with pytest.raises(ConfigError, match="bluesky-mongo-embedded-catalog"):
        mongo_normalized.BlueskyMongoCatalog(embedded_db, assets)
    with pytest.raises(ConfigError, match="bluesky-mongo-normalized-catalog"):
        mongo_embedded.BlueskyMongoCatalog(normalized_db)


def test_not_a_database() -> None:
    """[new] Something that is neither a Database nor a URI is a ConfigError."""
    with pytest.raises(ConfigError, match="datastore_db"):
        mongo_embedded.BlueskyMongoCatalog(42)


def test_empty_database(layout: Any) -> None:
    """[compat] A database without collections is an empty catalog, not an error."""
    cat = layout.catalog()
    assert list(cat) == []
    assert len(cat) == 0
    assert cat.summary().empty


def test_stats(layout: Any, server: str) -> None:
    """[new] stats() is dbstats on a server; mongomock has no dbstats: NotImplementedError."""
    cat = layout.catalog()
    if server == "mongomock":
        with pytest.raises(NotImplementedError, match="dbstats"):
            cat.stats()
    else:
        assert "collections" in cat.stats()


def test_mongomock_database_type() -> None:
    """[compat] mongomock databases are accepted like pymongo ones."""
    db = mongomock.MongoClient()["x"]
    assert list(mongo_embedded.BlueskyMongoCatalog(db)) == []
