"""Tests of databroker.discovery: the catalogs found through entry points, configs and YAML."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types

import pytest
from intake.catalog import Catalog

import databroker
from databroker import discovery
from databroker._config import discovery as discovery_impl
from databroker.discovery import (
    EntrypointEntry,
    EntrypointsCatalog,
    MergedCatalog,
    V0Catalog,
    V0Entry,
)
from databroker.errors import ConfigError, DatabrokerWarning

YAML_SOURCES = """\
sources:
{entries}
"""


def write_yaml_catalog(path, *names):
    entries = "".join(
        f"  {name}:\n    driver: csv\n    args: {{urlpath: '{name}.csv'}}\n" for name in names
    )
    path.write_text(YAML_SOURCES.format(entries=entries))


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Config and intake data directories under tmp_path; the lazy catalogs forgotten."""
    dirs = types.SimpleNamespace(
        configs=tmp_path / "configs", user=tmp_path / "user", site=tmp_path / "site"
    )
    for directory in vars(dirs).values():
        directory.mkdir()
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", str(dirs.configs))
    import intake.catalog.default

    monkeypatch.setattr(intake.catalog.default, "user_data_dir", lambda: str(dirs.user))
    monkeypatch.setattr(intake.catalog.default, "global_data_dir", lambda: str(dirs.site))
    monkeypatch.setattr(discovery_impl, "_built", {})
    for name in ("catalog", "yaml_catalogs"):
        monkeypatch.delitem(vars(databroker), name, raising=False)
    return dirs


@pytest.fixture
def fake_v1(monkeypatch):
    """A stand-in for databroker.v1 whose from_config records its calls."""
    calls = []

    class Opened:
        def __init__(self, config, name):
            self.v2 = Catalog(name=f"v2 of {name}", metadata={"config": config})

    def from_config(config, auto_register=True, name=None):
        calls.append((config, name))
        if config.get("explode"):
            raise KeyError("metadatastore")
        return Opened(config, name)

    module = types.ModuleType("databroker.v1")
    module.from_config = from_config
    monkeypatch.setitem(sys.modules, "databroker.v1", module)
    monkeypatch.setattr(databroker, "v1", module, raising=False)
    return calls


def make_distribution(tmp_path, monkeypatch, entry_points):
    """An installed-looking distribution 'fakecat' in tmp_path with these entry points."""
    info = tmp_path / "fakecat-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakecat\nVersion: 1.0\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[intake.catalogs]\n{lines}")
    monkeypatch.syspath_prepend(str(tmp_path))
    return [str(tmp_path)]


def test_v0_catalog_lists_config_files(places, fake_v1):
    """[compat] V0Catalog has one entry per config file on the search path; paths= overrides."""
    (places.configs / "alpha.yml").write_text("description: a\n")
    (places.configs / "beta.yml").write_text("description: b\n")
    (places.configs / "notes.txt").write_text("not a config\n")
    other = places.user  # any other directory
    (other / "gamma.yml").write_text("{}\n")
    assert list(V0Catalog()) == ["alpha", "beta"]
    assert list(V0Catalog(paths=[str(other)])) == ["gamma"]
    assert fake_v1 == []  # listing opens nothing


def test_v0_entry_runs_from_config(places, fake_v1):
    """[compat] Opening a V0Entry runs v1 from_config(lookup_config(name), name=name).v2."""
    (places.configs / "alpha.yml").write_text("description: hello\nroot_map: {a: b}\n")
    catalog = V0Catalog()
    opened = catalog["alpha"]
    assert opened.metadata["config"] == {"description": "hello", "root_map": {"a": "b"}}
    assert fake_v1 == [({"description": "hello", "root_map": {"a": "b"}}, "alpha")]
    assert isinstance(catalog._entries["alpha"], V0Entry)
    assert catalog["alpha"] is opened  # built once
    assert len(fake_v1) == 1


def test_bad_config_fails_only_when_opened(places, fake_v1):
    """[fix] A bad config raises ConfigError when its entry is opened and hides no other."""
    (places.configs / "broken.yml").write_text("metadatastore: [\n")
    (places.configs / "explodes.yml").write_text("explode: true\n")
    (places.configs / "good.yml").write_text("description: fine\n")
    catalog = V0Catalog()
    assert list(catalog) == ["broken", "explodes", "good"]
    with pytest.raises(ConfigError, match=r"broken\.yml, line"):
        catalog["broken"]
    with pytest.raises(ConfigError, match=r"'explodes'.*KeyError"):
        catalog["explodes"]
    assert catalog["good"].metadata["config"] == {"description": "fine"}


def test_unsupported_config_with_real_v1(places):
    """[fix] A v0-backend config gives ConfigError on open; the other configs stay usable."""
    v1 = pytest.importorskip("databroker.v1")
    if not hasattr(v1, "from_config"):
        pytest.skip("databroker.v1.from_config is not written yet")
    (places.configs / "old.yml").write_text(
        "metadatastore: {module: databroker.headersource.sqlite, class: MDS, config: {}}\n"
        "assets: {module: databroker.assets.sqlite, class: Registry, config: {}}\n"
    )
    (places.configs / "other.yml").write_text("description: x\n")
    catalog = V0Catalog()
    assert list(catalog) == ["old", "other"]
    with pytest.raises(ConfigError, match="sqlite"):
        catalog["old"]


def test_yaml_catalogs_merge_search_path(places):
    """[compat] yaml_catalogs holds the entries of the YAML files in catalog_search_path()."""
    write_yaml_catalog(places.user / "mine.yml", "one", "two")
    write_yaml_catalog(places.site / "site.yaml", "three")
    catalog = databroker.yaml_catalogs
    assert list(catalog) == ["one", "two", "three"]
    assert catalog is discovery.yaml_catalogs


def test_yaml_catalogs_skip_broken_files(places):
    """[fix] A broken YAML file gives a warning and hides no entry of the other files."""
    write_yaml_catalog(places.user / "a.yml", "one")
    (places.user / "b.yml").write_text("sources: [\n  oops")
    (places.user / "c.yml").write_text("not_sources: 1\n")
    write_yaml_catalog(places.site / "d.yml", "two")
    with pytest.warns(DatabrokerWarning) as record:
        catalog = discovery.yaml_catalogs
    skipped = sorted(str(warning.message).split(":")[0].rsplit("/", 1)[1] for warning in record)
    assert skipped == ["b.yml", "c.yml"]
    assert list(catalog) == ["one", "two"]


def test_yaml_catalogs_name_clash_first_wins(places):
    """[fix] Two files defining one name: the first (user directory) wins, with a warning."""
    write_yaml_catalog(places.user / "a.yml", "shared")
    write_yaml_catalog(places.site / "b.yml", "shared", "other")
    with pytest.warns(DatabrokerWarning, match="'shared'"):
        catalog = discovery.yaml_catalogs
    assert list(catalog) == ["shared", "other"]
    assert str(places.user) in catalog._entries["shared"]._catalog_dir


def test_yaml_catalogs_reload_sees_new_files(places):
    """[compat] Reloading yaml_catalogs picks up files added since."""
    catalog = discovery.yaml_catalogs
    assert list(catalog) == []
    write_yaml_catalog(places.user / "late.yml", "late")
    catalog.force_reload()
    assert list(catalog) == ["late"]


def test_force_reload_reloads_every_part_at_once(places, fake_v1):
    """[compat] catalog.force_reload() reloads every part, whatever the parts' ttl of 60 s."""
    catalog = databroker.catalog
    assert list(catalog) == []
    write_yaml_catalog(places.user / "late.yml", "late")
    (places.configs / "xpd.yml").write_text("description: x\n")
    catalog.force_reload()
    assert list(catalog) == ["xpd", "late"]


def test_yaml_file_rewritten_within_timestamp_granularity(places):
    """[fix] A YAML file rewritten with the same size and mtime is re-read on reload."""
    path = places.user / "a.yml"
    write_yaml_catalog(path, "one")
    catalog = discovery.yaml_catalogs
    assert list(catalog) == ["one"]
    before = path.stat()
    write_yaml_catalog(path, "two")  # same length, and the same timestamps below
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    catalog.force_reload()
    assert list(catalog) == ["two"]


def test_unchanged_yaml_file_keeps_its_entries(places):
    """[compat] Reloading keeps the entry objects of a YAML file that did not change."""
    write_yaml_catalog(places.user / "a.yml", "one")
    catalog = discovery.yaml_catalogs
    entry = catalog._entries["one"]
    catalog.force_reload()
    assert catalog._entries["one"] is entry


def test_reload_built_catalogs_builds_nothing(places):
    """[new] reload_built_catalogs() reloads the built catalogs and builds none."""
    discovery_impl.reload_built_catalogs()
    assert discovery_impl._built == {}
    catalog = databroker.catalog
    write_yaml_catalog(places.user / "late.yml", "late")
    discovery_impl.reload_built_catalogs()
    assert list(catalog) == ["late"]


def test_yaml_catalog_root_map_holds_absolute_paths(places):
    """[compat] catalog.root_map of a catalog opened from YAML holds the resolved absolute
    paths of relative entries (same dict object, still live)."""
    (places.user / "runs").mkdir()
    (places.user / "raw.yml").write_text(
        "sources:\n  raw:\n    driver: bluesky-jsonl-catalog\n"
        "    args: {paths: ['{{ CATALOG_DIR }}/runs/*.jsonl'],\n"
        "           root_map: {/GPFS/xf99id1: ./files, /abs: /mnt/abs}}\n"
    )
    catalog = discovery.yaml_catalogs["raw"]
    expected = {"/GPFS/xf99id1": str(places.user / "files"), "/abs": "/mnt/abs"}
    assert catalog.root_map == expected
    catalog.root_map["/new"] = "/mnt/new"  # still the live dict
    assert catalog.read_context.resolved_root_map()["/new"] == "/mnt/new"


def test_catalog_merges_in_order(places, fake_v1):
    """[compat] databroker.catalog merges entry points, config files and YAML catalogs."""
    (places.configs / "xpd.yml").write_text("description: x\n")
    write_yaml_catalog(places.user / "a.yml", "from_yaml")
    catalog = databroker.catalog
    assert isinstance(catalog, MergedCatalog)
    parts = catalog._parts
    assert [type(part) for part in parts[:2]] == [EntrypointsCatalog, V0Catalog]
    assert parts[2] is databroker.yaml_catalogs
    names = list(catalog)
    assert names.index("xpd") < names.index("from_yaml")
    assert catalog["xpd"].metadata["config"] == {"description": "x"}
    assert catalog is discovery.catalog


def test_catalogs_built_on_first_access():
    """[new] Importing databroker (and databroker.discovery) builds neither catalog."""
    code = textwrap.dedent(
        """
        import databroker, databroker.discovery as d
        assert d._built == {}, d._built
        assert 'catalog' not in vars(databroker)
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_merged_catalog_first_wins_and_survives_failed_reload():
    """[fix] MergedCatalog: earlier catalogs win; a part failing to reload hides nothing."""

    class Flaky(Catalog):
        fail = False

        def _load(self):
            if self.fail:
                raise OSError("disk gone")
            self._entries.update({"b": "flaky-b", "c": "flaky-c"})

    flaky = Flaky()
    first = Catalog.from_dict({"a": "first-a", "b": "first-b"})
    merged = MergedCatalog([first, flaky])
    assert dict(merged._entries) == {"a": "first-a", "b": "first-b", "c": "flaky-c"}
    assert list(merged) == ["a", "b", "c"]
    assert list(MergedCatalog([flaky, first])) == ["b", "c", "a"]
    flaky.fail = True
    flaky.ttl = -1  # due for reload
    with pytest.warns(DatabrokerWarning, match="disk gone"):
        merged.force_reload()
    assert sorted(merged._entries) == ["a", "b", "c"]


def test_entrypoints_catalog_loads_lazily(tmp_path, monkeypatch):
    """[compat] EntrypointsCatalog lists entry points and imports their objects on opening."""
    (tmp_path / "fakecat_ok.py").write_text(
        "from intake.catalog import Catalog\ncatalog = Catalog(name='fake', metadata={'x': 1})\n"
    )
    paths = make_distribution(tmp_path, monkeypatch, {"fake": "fakecat_ok:catalog"})
    monkeypatch.delitem(sys.modules, "fakecat_ok", raising=False)
    catalog = EntrypointsCatalog(paths=paths)
    assert list(catalog) == ["fake"]
    entry = catalog._entries["fake"]
    assert isinstance(entry, EntrypointEntry)
    assert entry.describe()["args"]["distribution"] == "fakecat"
    assert "fakecat_ok" not in sys.modules
    assert catalog["fake"].metadata == {"x": 1}


def test_broken_entry_point_fails_only_itself(tmp_path, monkeypatch):
    """[fix] An entry point that fails to import raises ConfigError on opening, hiding nothing."""
    (tmp_path / "fakecat_fine.py").write_text(
        "from intake.catalog import Catalog\ncatalog = Catalog(name='fine')\n"
    )
    (tmp_path / "fakecat_bad.py").write_text("raise RuntimeError('plugin bug')\n")
    paths = make_distribution(
        tmp_path, monkeypatch, {"bad": "fakecat_bad:catalog", "fine": "fakecat_fine:catalog"}
    )
    for module in ("fakecat_bad", "fakecat_fine"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    catalog = EntrypointsCatalog(paths=paths)
    assert sorted(catalog) == ["bad", "fine"]
    with pytest.raises(ConfigError, match=r"'bad'.*fakecat.*plugin bug"):
        catalog["bad"]
    assert isinstance(catalog["fine"], Catalog)


def test_v0_entry_opens_mongo_config_with_real_v1(places, monkeypatch):
    """[compat] A legacy Mongo config opens, through v1 from_config, as the v2 Mongo catalog."""
    mongomock = pytest.importorskip("mongomock")
    from databroker.v1 import config as v1_config

    client = mongomock.MongoClient()
    monkeypatch.setattr(v1_config, "_new_client", lambda uri: client)
    monkeypatch.setattr(v1_config, "_clients", {})
    uri = "mongodb://db.invalid:27017/"
    (places.configs / "xpd.yml").write_text(
        "metadatastore: {module: databroker.headersource.mongo, class: MDS,\n"
        f"  config: {{uri: '{uri}', database: mds}}}}\n"
        "assets: {module: databroker.assets.mongo, class: Registry,\n"
        f"  config: {{uri: '{uri}', database: assets}}}}\n"
    )
    from databroker._drivers.mongo_normalized import BlueskyMongoCatalog

    opened = V0Catalog()["xpd"]
    assert isinstance(opened, BlueskyMongoCatalog)
    assert opened.name == "xpd"
    assert list(opened) == []


def test_malformed_distribution_hides_no_entry_point(tmp_path, monkeypatch):
    """[fix] An installation whose entry points cannot be read gives a warning, others list."""
    (tmp_path / "fakecat_fine2.py").write_text(
        "from intake.catalog import Catalog\ncatalog = Catalog(name='fine')\n"
    )
    paths = make_distribution(tmp_path, monkeypatch, {"fine": "fakecat_fine2:catalog"})
    broken = tmp_path / "brokencat-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: brokencat\nVersion: 1.0\n")
    (broken / "entry_points.txt").write_bytes(b"[intake.catalogs]\nx = \xff\xfe:bad\n")
    with pytest.warns(DatabrokerWarning, match="brokencat"):
        catalog = EntrypointsCatalog(paths=paths)
    assert list(catalog) == ["fine"]
