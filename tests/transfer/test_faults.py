"""Bad bundles and failing targets: a specific error naming the file, the target unchanged."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

import databroker
from databroker import errors


def _snapshot(directory: Path) -> list[str]:
    return (
        sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))
        if directory.exists()
        else []
    )


@pytest.fixture
def bundle(source: Any, tmp_path: Path) -> Path:
    """A packed bundle directory of the three runs."""
    path = tmp_path / "bundle"
    databroker.pack(source, path)
    return path


def _manifest(bundle: Path) -> dict[str, Any]:
    return json.loads((bundle / "manifest.json").read_text())


def _first_file(bundle: Path) -> Path:
    return bundle / _manifest(bundle)["files"][0]["bundle_path"]


def _check(bundle: Any, target: Path, error: type[Exception], name: str) -> None:
    before = _snapshot(target)
    with pytest.raises(error) as info:
        databroker.unpack(bundle, target)
    assert name in str(info.value)
    assert _snapshot(target) == before


def test_corrupted_file(bundle: Path, tmp_path: Path) -> None:
    """[new] A file whose bytes changed: ChecksumMismatch naming it, nothing written."""
    path = _first_file(bundle)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    _check(bundle, tmp_path / "target", errors.ChecksumMismatch, path.name)


def test_missing_file(bundle: Path, tmp_path: Path) -> None:
    """[new] A listed file that is missing: BundleFileMissing naming it."""
    path = _first_file(bundle)
    path.unlink()
    _check(bundle, tmp_path / "target", errors.BundleFileMissing, path.name)


def test_unknown_manifest_version(bundle: Path, tmp_path: Path) -> None:
    """[new] A manifest of a newer format version: BundleFormatError naming the manifest."""
    manifest = _manifest(bundle)
    manifest["format_version"] = 99
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    _check(bundle, tmp_path / "target", errors.BundleFormatError, "manifest.json")


@pytest.mark.parametrize("bad", ["../escape.npy", "/etc/passwd", "external/../../x"])
def test_paths_leaving_the_bundle(bundle: Path, tmp_path: Path, bad: str) -> None:
    """[new] '..' or absolute paths in a manifest are refused before anything is written."""
    manifest = _manifest(bundle)
    manifest["files"][0]["bundle_path"] = bad
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    _check(bundle, tmp_path / "target", errors.BundleFormatError, bad)
    assert not (tmp_path / "escape.npy").exists()


def test_zip_cut_short(source: Any, tmp_path: Path) -> None:
    """[new] A truncated zip: BundleFormatError naming the zip."""
    path = tmp_path / "bundle.zip"
    databroker.pack(source, path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _check(path, tmp_path / "target", errors.BundleFormatError, "bundle.zip")


def test_zip_member_with_dotdot(tmp_path: Path) -> None:
    """[new] A zip whose member names leave the bundle is refused."""
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../evil.txt", b"x")
    _check(path, tmp_path / "target", errors.BundleFormatError, "../evil.txt")
    assert not (tmp_path / "evil.txt").exists()


def test_read_only_target(bundle: Path, tmp_path: Path) -> None:
    """[new] A store that cannot write: TargetNotWritable naming it, nothing written."""
    from databroker._stores.memory import MemoryCatalogStore

    class ReadOnly(MemoryCatalogStore):
        supports_writes = False

    store = ReadOnly()
    with pytest.raises(errors.TargetNotWritable, match="read-only"):
        databroker.unpack(bundle, store, external_root=tmp_path / "files")
    assert store.count({}) == 0 and not (tmp_path / "files").exists()


def test_disk_full_mid_unpack(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[new] A writer failing with ENOSPC on the 3rd file: TransferError naming it, nothing
    left behind."""
    import errno

    from databroker._transfer import unpack as unpack_module

    opened: list[str] = []

    def failing_open(path: str, mode: str) -> Any:
        opened.append(path)
        if len(opened) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return open(path, mode)

    monkeypatch.setattr(unpack_module, "OPEN_FOR_WRITING", failing_open)
    target = tmp_path / "target"
    with pytest.raises(errors.TransferError) as info:
        databroker.unpack(bundle, target)
    assert os.path.basename(opened[2]) in str(info.value)
    assert [p for p in _snapshot(target) if not os.path.isdir(target / p)] == []


def test_document_write_failure_rolls_back(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[new] A writer failing on the 2nd run: the 1st run and the copied files are removed."""
    from databroker._stores.files import writers

    calls = {"starts": 0}
    original = writers.MsgpackWriter.__call__

    def failing(self: Any, name: str, doc: Any) -> None:
        if name == "start":
            calls["starts"] += 1
            if calls["starts"] == 2:
                raise OSError(28, "No space left on device")
        original(self, name, doc)

    monkeypatch.setattr(writers.MsgpackWriter, "__call__", failing)
    target = tmp_path / "target"
    with pytest.raises(errors.TransferError):
        databroker.unpack(bundle, target)
    assert [p for p in _snapshot(target) if not os.path.isdir(target / p)] == []
