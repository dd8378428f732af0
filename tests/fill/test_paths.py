"""root_map resolution."""

from __future__ import annotations

import pytest

from databroker._fill import RootMap, resolve_root, resolve_root_map


def test_exact_match_first():
    """[compat] an exact root_map key wins."""
    assert resolve_root("/a/b", {"/a/b": "/x", "/a": "/y"}) == "/x"


def test_longest_whole_component_prefix():
    """[new] without an exact match the longest whole-component prefix applies."""
    root_map = {"/data": "/mnt/d", "/data/raw": "/fast/raw", "/da": "/no"}
    assert resolve_root("/data/raw/2024/x", root_map) == "/fast/raw/2024/x"
    assert resolve_root("/data/other", root_map) == "/mnt/d/other"
    assert resolve_root("/database/x", root_map) == "/database/x"
    assert resolve_root("/elsewhere", root_map) == "/elsewhere"
    assert resolve_root("/data/x", {"/data/": "/m/"}) == "/m/x"


def test_root_map_class_for_filler():
    """[new] RootMap.get applies the prefix rule, as event-model's Filler calls it."""
    root_map = RootMap({"/data": "/mnt"})
    assert root_map.get("/data/x", "/data/x") == "/mnt/x"
    assert root_map.get("/other", "/other") == "/other"


def test_relative_values_resolve_against_catalog_dir(tmp_path):
    """[compat] relative root_map values are made absolute against catalog_dir."""
    resolved = resolve_root_map({"/a": "sub/dir", "/b": "/abs"}, str(tmp_path))
    assert resolved == {"/a": str(tmp_path / "sub" / "dir"), "/b": "/abs"}


def test_relative_without_catalog_dir_names_key_and_value():
    """[fix] relative value without catalog_dir → ValueError naming key and value."""
    with pytest.raises(ValueError, match=r"'/a'.*'sub/dir'"):
        resolve_root_map({"/a": "sub/dir"}, None)
