"""Outlines of finished run files are kept per file while the file stays the same."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import event_model
import pytest

from databroker import open_catalog
from databroker._stores.files import msgpack_scan
from databroker._stores.files.writers import MsgpackWriter

KEYS = {"x": {"source": "sim", "dtype": "number", "shape": []}}


def _write(directory: Path, streams: tuple[str, ...], stop: bool = True) -> Path:
    run = event_model.compose_run()
    with MsgpackWriter(str(directory)) as write:
        write("start", run.start_doc)
        for name in streams:
            stream = run.compose_descriptor(name=name, data_keys=KEYS)
            write("descriptor", stream.descriptor_doc)
            for i in range(20):
                write("event", stream.compose_event(data={"x": 1.0 * i}, timestamps={"x": 1.0}))
        if stop:
            write("stop", run.compose_stop())
    (path,) = directory.glob(f"{run.start_doc['uid']}*.msgpack")
    return path


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths scan_outline is called for."""
    calls: list[str] = []
    original = msgpack_scan.scan_outline

    def counting(path: Any, offset: int, add: Any) -> int:
        calls.append(os.fspath(path))
        return original(path, offset, add)

    monkeypatch.setattr(msgpack_scan, "scan_outline", counting)
    return calls


def test_a_second_catalog_lists_a_finished_run_without_scanning_it(
    tmp_path: Path, scans: list[str]
) -> None:
    """The streams of a finished run file are found once per file, not once per catalog
    [new]."""
    _write(tmp_path, ("primary", "baseline"))
    assert sorted(open_catalog(str(tmp_path))[-1]) == ["baseline", "primary"]
    assert sorted(open_catalog(str(tmp_path))[-1]) == ["baseline", "primary"]
    assert len(scans) == 1


def test_a_file_replaced_by_another_is_scanned_again(tmp_path: Path, scans: list[str]) -> None:
    """A file rewritten in place (other size, mtime or inode) is scanned again [new]."""
    path = _write(tmp_path / "a", ("primary",))
    assert list(open_catalog(str(tmp_path / "a"))[-1]) == ["primary"]
    other = _write(tmp_path / "b", ("primary", "monitor"))
    os.replace(other, path)
    assert sorted(open_catalog(str(tmp_path / "a"))[-1]) == ["monitor", "primary"]
    assert len(scans) == 2


def test_a_run_still_being_written_is_never_kept(tmp_path: Path, scans: list[str]) -> None:
    """The outline of a run without a stop is scanned by each catalog (it may grow) [new]."""
    _write(tmp_path, ("primary",), stop=False)
    for _ in range(2):
        assert list(open_catalog(str(tmp_path))[-1]) == ["primary"]
    assert len(scans) == 2


def test_opening_a_catalog_scans_its_directory_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building a catalog scans its files once, not once in the store and again when intake
    loads the new catalog (a directory just written is listed anew at each scan) [new]."""
    from databroker._stores.files import catalog as file_catalog

    _write(tmp_path, ("primary",))
    scans: list[int] = []
    original = file_catalog.FileCatalogStore._scan

    def counting(self: Any) -> None:
        scans.append(1)
        original(self)

    monkeypatch.setattr(file_catalog.FileCatalogStore, "_scan", counting)
    catalog = open_catalog(str(tmp_path))
    assert len(catalog) == 1 and len(scans) == 1
    catalog.force_reload()
    assert len(scans) == 2  # asked for: scanned again
