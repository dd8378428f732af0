"""Listing a file catalog's files, and rescans that touch only what can have changed."""

from __future__ import annotations

import dataclasses
import glob
import os
from pathlib import Path
from typing import Any

import pytest
from event_model import compose_run

from databroker._stores.files import catalog as files_module
from databroker._stores.files.catalog import JSONL, MSGPACK, FileCatalogStore
from databroker._stores.files.listing import FileListing

FORMATS = {"jsonl": JSONL, "msgpack": MSGPACK}


def _settle(directory: Path) -> None:
    """Date the directory's mtime an hour back, as if nothing had happened there lately."""
    past = os.stat(directory).st_mtime - 3600
    os.utime(directory, (past, past))


def _write_run(store: FileCatalogStore, *, stop: bool = True) -> tuple[Any, Any]:
    write = store.serializer()
    bundle = compose_run()
    write("start", bundle.start_doc)
    if stop:
        write("stop", bundle.compose_stop())
    return write, bundle


def test_listing_matches_glob(tmp_path: Path) -> None:
    """[compat] The files listed are glob's regular-file matches (no dirs, no dot files)."""
    for name in ("a.msgpack", "b.msgpack", ".hidden.msgpack", "c.jsonl"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "d.msgpack").mkdir()
    pattern = str(tmp_path / "*.msgpack")
    listed = FileListing([pattern]).list()
    assert list(listed) == sorted(p for p in glob.glob(pattern) if os.path.isfile(p))
    assert listed[str(tmp_path / "a.msgpack")][0] == 1  # (size, mtime_ns)


def test_listing_nested_glob(tmp_path: Path) -> None:
    """[compat] Patterns with glob characters in directories are listed through glob."""
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "r.jsonl").write_bytes(b"")
    listing = FileListing([str(tmp_path / "*" / "*.jsonl")])
    assert len(listing.list()) == 2
    assert not listing.unchanged()  # such patterns are always listed anew


def test_unchanged_only_while_directory_is_settled(tmp_path: Path) -> None:
    """[new] The set of files is trusted unchanged only while the directory mtime is old."""
    (tmp_path / "a.jsonl").write_bytes(b"")
    listing = FileListing([str(tmp_path / "*.jsonl")])
    listing.list()
    assert not listing.unchanged()  # modified moments ago: its mtime may not show more
    _settle(tmp_path)
    listing.list()
    assert listing.unchanged()
    (tmp_path / "b.jsonl").write_bytes(b"")
    assert not listing.unchanged()
    assert len(listing.list()) == 2


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_settled_rescan_stats_only_growing_files(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[fix] A rescan of a settled directory re-reads no file and stats only stop-less ones."""
    store = FileCatalogStore(str(tmp_path / f"*.{name}"), FORMATS[name])
    for _ in range(3):
        _write_run(store)
    write, bundle = _write_run(store, stop=False)
    uid = bundle.start_doc["uid"]
    _settle(tmp_path)
    store.refresh(force=True)
    stats: list[str] = []
    reads: list[Any] = []
    real_stat, real_read = os.stat, store.format.read_first

    def counting_stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        stats.append(os.fspath(path))
        return real_stat(path, *args, **kwargs)

    def counting_read(file: Any) -> Any:
        reads.append(file.name)
        return real_read(file)

    scans: list[Any] = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: scans.append(path) or real_scandir(path))
    monkeypatch.setattr(files_module.os, "stat", counting_stat)
    counting_format = dataclasses.replace(store.format, read_first=counting_read)
    monkeypatch.setattr(store, "format", counting_format)
    store.refresh(force=True)
    assert [p for p in stats if p.endswith(name)] == [store.path_of(uid)]
    assert reads == [] and scans == []
    write("stop", bundle.compose_stop())
    store.refresh(force=True)  # the growing file changed: read again, its stop found
    assert reads == [store.path_of(uid)]
    assert store.stops([uid])[uid] is not None
    assert store.count({}) == 4
