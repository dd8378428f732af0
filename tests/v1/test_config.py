"""v1 configuration: from_config, Broker.named, temp, temp_config (Mongo on mongomock)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import databroker
import databroker.v1.config as v1_config
from databroker.errors import ConfigError, ConfigNotFound, HandlerImportError
from databroker.v1 import Broker, InvalidConfig, from_config, temp, temp_config

from .runs import composed_run, insert_all

mongomock = pytest.importorskip("mongomock")


def legacy_config(**overrides: Any) -> dict[str, Any]:
    """A 1.x style config with a Mongo metadatastore and asset registry."""
    config: dict[str, Any] = {
        "description": "test beamline",
        "metadatastore": {
            "module": "databroker.headersource.mongo",
            "class": "MDS",
            "config": {"host": "localhost", "port": 27017, "database": "mds", "timezone": "UTC"},
        },
        "assets": {
            "module": "databroker.assets.mongo",
            "class": "Registry",
            "config": {"uri": "mongodb://localhost:27017/", "database": "assets"},
        },
    }
    config.update(overrides)
    return config


@pytest.fixture(autouse=True)
def fake_mongo(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Serve every MongoClient from mongomock; record the URIs asked for."""
    uris: list[str] = []
    servers: dict[str, Any] = {}

    def new_client(uri: str) -> Any:
        uris.append(uri)
        # mongomock shares data between clients of one host, like a server would.
        return servers.setdefault(uri, mongomock.MongoClient())

    monkeypatch.setattr(v1_config, "_clients", {})
    monkeypatch.setattr(v1_config, "_new_client", new_client)
    return uris


def test_from_config_builds_mongo_broker() -> None:
    """[compat] A legacy Mongo config gives a v1 Broker over the normalized Mongo driver."""
    from databroker._drivers.mongo_normalized import BlueskyMongoCatalog

    config = legacy_config()
    db = from_config(config, name="beamline")
    assert isinstance(db, Broker)
    assert isinstance(db.v2, BlueskyMongoCatalog)
    assert db.name == "beamline"
    assert db.v2.v1 is db
    assert db.get_config() == config
    assert Broker.from_config(config).get_config() == config


def test_mongo_broker_reads_and_writes() -> None:
    """[compat] The translated Broker inserts and reads runs (databases named in the config)."""
    db = from_config(legacy_config())
    docs = composed_run(event_times=(1.0, 2.0), scan_id=5)
    insert_all(db, docs)
    assert db[-1].uid == docs[0][1]["uid"]
    assert list(db[5].table()["x"]) == [0, 1]
    client = v1_config._clients["mongodb://localhost:27017/"]
    assert client["mds"]["run_start"].count_documents({}) == 1


@pytest.mark.parametrize("version", [0, 1, None])
def test_api_version_v1(version: Any) -> None:
    """[compat] api_version 0, 1 or absent gives a v1 Broker."""
    config = legacy_config()
    if version is not None:
        config["api_version"] = version
    assert isinstance(from_config(config), Broker)


def test_api_version_2_gives_v2_catalog() -> None:
    """[compat] api_version 2 gives the v2 catalog."""
    catalog = from_config(legacy_config(api_version=2))
    assert isinstance(catalog, databroker.v2.Broker)


def test_unknown_api_version() -> None:
    """[compat] Any other api_version raises ConfigError."""
    with pytest.raises(ConfigError, match="api_version"):
        from_config(legacy_config(api_version=3))


def test_uri_and_host_both_invalid() -> None:
    """[compat] uri together with host/port raises InvalidConfig (= ConfigError)."""
    config = legacy_config()
    config["assets"]["config"]["host"] = "localhost"
    assert InvalidConfig is ConfigError
    with pytest.raises(InvalidConfig, match="uri"):
        from_config(config)


def test_database_required() -> None:
    """[compat] A section without 'database' raises ConfigError."""
    config = legacy_config()
    del config["metadatastore"]["config"]["database"]
    with pytest.raises(ConfigError, match="database"):
        from_config(config)


def test_credentials_and_authsource_in_uri(fake_mongo: list[str]) -> None:
    """[compat] mongo_user/mongo_pwd go into the URI; authsource adds ?authsource=."""
    config = legacy_config()
    config["metadatastore"]["config"].update(
        {"host": "db.example.org", "port": 27018, "mongo_user": "ann", "mongo_pwd": "p@ss"}
    )
    config["metadatastore"]["config"]["authsource"] = "admin"
    from_config(config)
    assert "mongodb://ann:p%40ss@db.example.org:27018/?authsource=admin" in fake_mongo


def test_clients_shared_per_uri(fake_mongo: list[str]) -> None:
    """[compat] MongoClients are shared per URI."""
    config = legacy_config()
    config["assets"]["config"] = {"host": "localhost", "port": 27017, "database": "assets"}
    from_config(config)
    from_config(config)
    assert fake_mongo == ["mongodb://localhost:27017/"]


@pytest.mark.parametrize("metadatastore, assets", [("MDSRO", "RegistryRO"), ("MDS", "RegistryRO")])
def test_read_only_classes_accepted(metadatastore: str, assets: str) -> None:
    """[compat] The read-only 1.x classes MDSRO and RegistryRO translate like MDS and Registry."""
    from databroker._drivers.mongo_normalized import BlueskyMongoCatalog

    config = legacy_config()
    config["metadatastore"]["class"] = metadatastore
    config["assets"]["class"] = assets
    assert isinstance(from_config(config).v2, BlueskyMongoCatalog)


@pytest.mark.parametrize(
    "section, module, cls",
    [
        ("metadatastore", "databroker.headersource.sqlite", "MDS"),
        ("assets", "databroker.assets.sqlite", "Registry"),
        ("metadatastore", "databroker.headersource.mongo", "Other"),
    ],
)
def test_v0_backends_refused(section: str, module: str, cls: str) -> None:
    """[fix] A non-Mongo backend raises ConfigError naming it (1.x fell back to its v0 stack)."""
    config = legacy_config()
    config[section]["module"] = module
    config[section]["class"] = cls
    with pytest.raises(ConfigError, match="v0 backends") as info:
        from_config(config)
    assert f"{module}.{cls}" in str(info.value)


def test_handlers_added_or_alone() -> None:
    """[compat] Config handlers join discovered ones, or stand alone (auto_register=False)."""
    config = legacy_config(
        handlers={
            "AD_HDF5": {"module": "databroker.assets.handlers", "class": "AreaDetectorHDF5Handler"}
        }
    )
    from databroker.handlers import AreaDetectorHDF5Handler

    registry = from_config(config).reg.handler_reg
    assert registry["AD_HDF5"] is AreaDetectorHDF5Handler
    assert "NPY_SEQ" in registry
    alone = from_config(config, auto_register=False).reg.handler_reg
    assert dict(alone) == {"AD_HDF5": AreaDetectorHDF5Handler}


def test_handler_import_error() -> None:
    """[compat] A handler class that cannot be imported raises HandlerImportError."""
    config = legacy_config(handlers={"X": {"module": "no.such.module", "class": "Handler"}})
    with pytest.raises(HandlerImportError):
        from_config(config)


def test_root_map_and_transforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[compat] root_map is given to the catalog; transforms are dotted paths applied to docs."""
    (tmp_path / "fixes.py").write_text(
        textwrap.dedent(
            """
            def fix_start(doc):
                return {**doc, "fixed": True}
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = legacy_config(root_map={"/old": "/new"}, transforms={"start": "fixes.fix_start"})
    db = from_config(config)
    assert db.reg.root_map == {"/old": "/new"}
    insert_all(db, composed_run())
    assert db[-1].start["fixed"] is True


def test_config_timezone_used_by_search_and_table() -> None:
    """[fix] The config timezone sets the v1 search and table zone (1.x ignored it)."""
    config = legacy_config()
    config["metadatastore"]["config"]["timezone"] = "US/Eastern"
    db = from_config(config)
    # start 10:00 US/Eastern == 15:00 UTC; one event at 10:01 US/Eastern.
    insert_all(db, composed_run(start_time=1392044400.0, event_times=(1392044460.0,)))
    assert len(list(db(since="2014-02-10 10:00", until="2014-02-10 10:00"))) == 1
    assert len(list(db(since="2014-02-10 10:01"))) == 0
    import pandas

    assert db[-1].table()["time"].iloc[0] == pandas.Timestamp("2014-02-10 10:01:00")


def test_named_temp() -> None:
    """[compat] Broker.named('temp') gives temp()."""
    db = Broker.named("temp")
    assert isinstance(db, Broker)
    assert db.name == "temp"


def test_named_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[compat] Broker.named(name) loads <name>.yml from the config search path."""
    import yaml

    directory = tmp_path / "configs"
    directory.mkdir()
    (directory / "beamline.yml").write_text(yaml.safe_dump(legacy_config()))
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", str(directory))
    db = Broker.named("beamline")
    assert db.name == "beamline"
    assert db.get_config() == legacy_config()


def test_named_passes_auto_register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[compat] Broker.named(name, auto_register=False) uses the config's handlers alone."""
    import yaml

    handlers = {
        "AD_HDF5": {"module": "databroker.assets.handlers", "class": "AreaDetectorHDF5Handler"}
    }
    (tmp_path / "beamline.yml").write_text(yaml.safe_dump(legacy_config(handlers=handlers)))
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", str(tmp_path))
    assert "NPY_SEQ" in Broker.named("beamline").reg.handler_reg
    assert list(Broker.named("beamline", auto_register=False).reg.handler_reg) == ["AD_HDF5"]


def test_named_unparseable_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[new] Broker.named on a config that does not parse raises ConfigError naming file, line."""
    (tmp_path / "broken.yml").write_text("description: ok\nmetadatastore: [unclosed\nx: 1\n")
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", str(tmp_path))
    monkeypatch.setattr(v1_config, "_intake_catalog", lambda: pytest.fail("no intake fallback"))
    with pytest.raises(ConfigError, match=r"broken\.yml, line [34]"):
        Broker.named("broken")
    assert isinstance(Broker.named("temp"), Broker)  # other names still work


def test_named_intake_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """[compat] Without a config file, Broker.named wraps intake.cat[name]."""
    catalog = databroker.v2.temp()
    monkeypatch.setattr(v1_config, "_intake_catalog", lambda: {"mycat": catalog})
    db = Broker.named("mycat")
    assert db.v2 is catalog


def test_named_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[fix] Neither config nor intake catalog → ConfigNotFound listing every place searched."""
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", str(tmp_path / "nowhere"))
    monkeypatch.setattr(v1_config, "_intake_catalog", lambda: {})
    with pytest.raises(ConfigNotFound) as info:
        Broker.named("missing")
    message = str(info.value)
    assert str(tmp_path / "nowhere" / "missing.yml") in message
    assert "intake" in message


def test_temp_and_temp_config() -> None:
    """[compat] temp() wraps a new v2 temp catalog; temp_config() points to temp()."""
    first, second = temp(), temp()
    assert isinstance(first.v2, type(databroker.v2.temp()))
    assert first.v2 is not second.v2
    assert databroker.temp is temp
    with pytest.raises(NotImplementedError, match=r"temp\(\)"):
        temp_config()
