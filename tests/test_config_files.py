"""Config files: search path, list_configs, describe_configs, lookup_config."""

import os
import sys

import pytest

from databroker.errors import ConfigError, ConfigNotFound
from databroker.utils import (
    CONFIG_SEARCH_PATH,
    config_search_path,
    describe_configs,
    list_configs,
    lookup_config,
)


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """Two config directories, the search path pointing at them in order."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", os.pathsep.join([str(first), str(second)]))
    return first, second


def test_default_search_path(monkeypatch):
    """[compat] Without the env var: ~/.config/databroker, <prefix>/etc/databroker, /etc."""
    monkeypatch.delenv("DATABROKER_CONFIG_PATH", raising=False)
    path = config_search_path()
    if os.name == "nt":
        assert path == (os.path.join(os.environ["APPDATA"], "databroker"),)
    else:
        assert path == (
            os.path.expanduser("~/.config/databroker"),
            os.path.join(sys.prefix, "etc", "databroker"),
            "/etc/databroker",
        )
    assert isinstance(CONFIG_SEARCH_PATH, tuple)
    assert all(isinstance(part, str) for part in CONFIG_SEARCH_PATH)


def test_env_var_replaces_search_path_at_call_time(tmp_path, monkeypatch):
    """[new] DATABROKER_CONFIG_PATH (os.pathsep-separated) replaces the path when set."""
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", f"{a}{os.pathsep}{os.pathsep}{b}")
    assert config_search_path() == (a, b)


def test_list_configs(dirs):
    """[compat] Sorted, de-duplicated *.yml names; other files and _legacy_config hidden."""
    first, second = dirs
    (first / "zeta.yml").write_text("description: z\n")
    (first / "alpha.yml").write_text("description: a\n")
    (second / "beta.yml").write_text("description: b\n")
    (second / "notes.txt").write_text("not a config")
    (second / "_legacy_config.yml").write_text("description: old\n")
    assert list_configs() == ["alpha", "beta", "zeta"]


def test_list_configs_duplicate_warns(dirs):
    """[compat] A name found in several directories gives a UserWarning naming them."""
    first, second = dirs
    (first / "xpd.yml").write_text("description: one\n")
    (second / "xpd.yml").write_text("description: two\n")
    with pytest.warns(UserWarning, match="xpd") as record:
        assert list_configs() == ["xpd"]
    assert str(second) in str(record[0].message)


def test_missing_directories_are_skipped(tmp_path, monkeypatch):
    """[compat] Directories that do not exist are ignored."""
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", str(tmp_path / "nope"))
    assert list_configs() == []
    assert describe_configs() == {}


def test_explicit_paths_argument(dirs, tmp_path):
    """[compat] paths= searches the given directories instead of the search path."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "mine.yml").write_text("description: mine\n")
    assert list_configs([str(other)]) == ["mine"]
    assert lookup_config("mine", paths=[other]) == {"description": "mine"}


def test_describe_configs(dirs):
    """[compat] describe_configs() maps each name to its description (first file wins)."""
    first, second = dirs
    (first / "xpd.yml").write_text("description: 'XPD production'\napi_version: 1\n")
    (second / "csx.yml").write_text("api_version: 1\n")
    assert describe_configs() == {"csx": None, "xpd": "XPD production"}


def test_lookup_config_first_in_search_order(dirs):
    """[compat] lookup_config returns the parsed dict of the first <name>.yml in order."""
    first, second = dirs
    (first / "xpd.yml").write_text("description: first\nroot_map: {/a: /b}\n")
    (second / "xpd.yml").write_text("description: second\n")
    assert lookup_config("xpd") == {"description": "first", "root_map": {"/a": "/b"}}


def test_lookup_config_not_found_lists_paths(dirs):
    """[fix] A missing config raises ConfigNotFound (FileNotFoundError) listing paths tried."""
    first, second = dirs
    with pytest.raises(ConfigNotFound) as info:
        lookup_config("nothere")
    assert isinstance(info.value, FileNotFoundError)
    message = str(info.value)
    assert str(first / "nothere.yml") in message
    assert str(second / "nothere.yml") in message


def test_unparseable_config_names_file_and_line(dirs):
    """[new] A file that is not YAML raises ConfigError naming the file and line."""
    first, _ = dirs
    (first / "bad.yml").write_text("description: ok\nmetadatastore: [unclosed\nother: 1\n")
    with pytest.raises(ConfigError, match=r"bad\.yml, line [34]"):
        lookup_config("bad")


def test_safe_loading(dirs, tmp_path):
    """[fix] Config files are parsed with safe loading: YAML tags cannot run code."""
    first, _ = dirs
    marker = tmp_path / "pwned"
    (first / "evil.yml").write_text(
        f"description: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    with pytest.raises(ConfigError, match=r"evil\.yml"):
        lookup_config("evil")
    assert not marker.exists()


def test_config_must_be_mapping(dirs):
    """[compat] A config whose content is not a mapping raises ConfigError."""
    first, _ = dirs
    (first / "listy.yml").write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="listy"):
        lookup_config("listy")
