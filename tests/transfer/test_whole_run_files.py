"""Run files without resources travel byte for byte: staged, verified, linked into place."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zipfile
from pathlib import Path
from typing import Any

import event_model
import pytest

import databroker
from databroker import errors
from databroker._stores.files import writers
from databroker._transfer.report import content_digest
from databroker.testing.backends import storage


@pytest.fixture
def plain(tmp_path: Path) -> Any:
    """A msgpack catalog of three runs of scalar events (no Resource or StreamResource)."""
    catalog = storage("msgpack", tmp_path / "plain").catalog()
    write = catalog.serializer()
    for n in range(3):
        run = event_model.compose_run(metadata={"scan_id": n})
        stream = run.compose_descriptor(
            name="primary", data_keys={"x": {"source": "s", "dtype": "number", "shape": []}}
        )
        write("start", run.start_doc)
        write("descriptor", stream.descriptor_doc)
        for seq in range(1, 4):
            write(
                "event",
                stream.compose_event(data={"x": seq * 1.5}, timestamps={"x": 1.0}, seq_num=seq),
            )
        write("stop", run.compose_stop())
    catalog.force_reload()
    return catalog


@pytest.fixture
def no_writer(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the msgpack writer refuse every document; return the names it was offered."""
    offered: list[str] = []

    def refuse(self: Any, name: str, doc: Any) -> None:
        offered.append(name)
        raise AssertionError("documents were decoded and written again")

    monkeypatch.setattr(writers.MsgpackWriter, "__call__", refuse)
    return offered


def _files(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def _manifest(bundle: Path) -> dict[str, Any]:
    return json.loads((bundle / "manifest.json").read_text())


@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_run_files_are_copied_not_rewritten(
    plain: Any, tmp_path: Path, suffix: str, no_writer: list[str]
) -> None:
    """[new] unpack copies a run file with no resource byte for byte into a file catalog of
    its format (no document is decoded and written again); a second unpack is a no-op."""
    bundle = tmp_path / f"bundle{suffix}"
    databroker.pack(plain, bundle)
    target = tmp_path / "target"
    report = databroker.unpack(bundle, target)
    assert sorted(report.runs) == sorted(plain) and no_writer == []
    for uid in plain:
        source_file = Path(plain._store.path_of(uid))
        assert (target / f"{uid}.msgpack").read_bytes() == source_file.read_bytes()
    assert _files(target) == sorted(f"{uid}.msgpack" for uid in plain)
    unpacked = databroker.open_catalog(target)
    assert {uid: content_digest(r.documents(fill="no")) for uid, r in unpacked.items()} == {
        uid: content_digest(r.documents(fill="no")) for uid, r in plain.items()
    }
    again = databroker.unpack(bundle, target)
    assert again.runs == [] and sorted(again.skipped) == sorted(plain)


def test_manifest_counts_resources(plain: Any, source: Any, tmp_path: Path) -> None:
    """[new] The manifest says how many (stream) resources each run file holds."""
    databroker.pack([*plain.values(), *source.values()], tmp_path / "bundle")
    counts = {run["uid"]: run["resources"] for run in _manifest(tmp_path / "bundle")["runs"]}
    assert all(counts[uid] == 0 for uid in plain)
    assert all(counts[uid] >= 1 for uid in source)


def test_old_manifest_without_resource_counts_is_decoded(
    plain: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[compat] A manifest without per-run 'resources' (an older bundle) still unpacks, its
    run files decoded and written again."""
    bundle = tmp_path / "bundle"
    databroker.pack(plain, bundle)
    manifest = _manifest(bundle)
    for run in manifest["runs"]:
        del run["resources"]
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    written: list[str] = []
    original = writers.MsgpackWriter.__call__

    def counting(self: Any, name: str, doc: Any) -> None:
        written.append(name)
        original(self, name, doc)

    monkeypatch.setattr(writers.MsgpackWriter, "__call__", counting)
    databroker.unpack(bundle, tmp_path / "target")
    assert written.count("start") == 3
    assert sorted(databroker.open_catalog(tmp_path / "target")) == sorted(plain)


def test_corrupted_run_file_changes_nothing(
    plain: Any, tmp_path: Path, no_writer: list[str]
) -> None:
    """[new] A run file whose bytes changed (same size) is found while it is copied:
    ChecksumMismatch naming it, and the target catalog is left as it was."""
    bundle = tmp_path / "bundle"
    databroker.pack(plain, bundle)
    member = bundle / _manifest(bundle)["runs"][-1]["documents"]
    data = bytearray(member.read_bytes())
    data[-2] ^= 0xFF
    member.write_bytes(bytes(data))
    target = tmp_path / "target"
    with pytest.raises(errors.ChecksumMismatch) as info:
        databroker.unpack(bundle, target)
    assert member.name in str(info.value)
    assert _files(target) == [] and os.listdir(target) == []


def test_zip_member_cut_short(plain: Any, tmp_path: Path, no_writer: list[str]) -> None:
    """[new] A zip whose run file member is damaged: an error from our tree naming the
    member, nothing left in the target."""
    bundle = tmp_path / "bundle.zip"
    databroker.pack(plain, bundle)
    relative = _manifest_of_zip(bundle)["runs"][0]["documents"]
    with zipfile.ZipFile(bundle) as archive:
        offset = archive.getinfo(relative).header_offset
    data = bytearray(bundle.read_bytes())
    # The member's bytes follow its 30-byte local header, its name and its extra field.
    name_length, extra_length = struct.unpack("<HH", data[offset + 26 : offset + 30])
    data[offset + 30 + name_length + extra_length + 10] ^= 0xFF
    bundle.write_bytes(bytes(data))
    target = tmp_path / "target"
    with pytest.raises((errors.ChecksumMismatch, errors.BundleFormatError)) as info:
        databroker.unpack(bundle, target)
    assert relative in str(info.value)
    assert os.listdir(target) == []


def _manifest_of_zip(bundle: Path) -> dict[str, Any]:
    with zipfile.ZipFile(bundle) as archive:
        return json.loads(archive.read("manifest.json"))


def test_run_file_of_another_run_is_refused(
    plain: Any, tmp_path: Path, no_writer: list[str]
) -> None:
    """[new] A manifest entry whose run file holds another run (checksum updated to match):
    BundleFormatError naming both, nothing written."""
    bundle = tmp_path / "bundle"
    databroker.pack(plain, bundle)
    manifest = _manifest(bundle)
    first, second = manifest["runs"][:2]
    data = (bundle / second["documents"]).read_bytes()
    (bundle / first["documents"]).write_bytes(data)
    first["size"], first["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "target"
    with pytest.raises(errors.BundleFormatError) as info:
        databroker.unpack(bundle, target)
    assert first["uid"] in str(info.value) and second["uid"] in str(info.value)
    assert os.listdir(target) == []


def test_different_run_with_same_uid_conflicts(
    plain: Any, tmp_path: Path, no_writer: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """[new] A run file copied whole still meets RunConflict when the target holds another
    run with its uid; the target's file is untouched."""
    bundle = tmp_path / "bundle"
    databroker.pack(plain, bundle)
    uid = next(iter(plain))
    target = tmp_path / "target"
    target.mkdir()
    start = {**plain[uid].start, "sample": "changed"}
    mine = target / f"{uid}.msgpack"
    from databroker._stores.files.msgpack_format import packb

    mine.write_bytes(packb("start", dict(start)))
    before = mine.read_bytes()
    with pytest.raises(errors.RunConflict) as info:
        databroker.unpack(bundle, target)
    assert uid in str(info.value)
    assert os.listdir(target) == [mine.name] and mine.read_bytes() == before


def test_file_in_the_way_is_never_replaced(
    plain: Any, tmp_path: Path, no_writer: list[str]
) -> None:
    """[new] A file at a run's destination that holds no run (empty) is never replaced:
    TransferError naming it, and the runs copied before it are removed again."""
    bundle = tmp_path / "bundle"
    databroker.pack(plain, bundle)
    target = tmp_path / "target"
    target.mkdir()
    last = _manifest(bundle)["runs"][-1]["uid"]
    (target / f"{last}.msgpack").write_bytes(b"")
    with pytest.raises(errors.TransferError) as info:
        databroker.unpack(bundle, target)
    assert f"{last}.msgpack" in str(info.value)
    assert os.listdir(target) == [f"{last}.msgpack"]
    assert (target / f"{last}.msgpack").read_bytes() == b""


def test_disk_full_while_copying_run_files(
    plain: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_writer: list[str]
) -> None:
    """[new] A writer failing with ENOSPC on the 2nd run file: TransferError naming it,
    nothing left in the target."""
    import errno

    from databroker._transfer import unpack as unpack_module

    opened: list[str] = []

    def failing_open(path: str, mode: str) -> Any:
        opened.append(path)
        if len(opened) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return open(path, mode)

    monkeypatch.setattr(unpack_module, "OPEN_FOR_WRITING", failing_open)
    bundle = tmp_path / "bundle"
    databroker.pack(plain, bundle)
    target = tmp_path / "target"
    with pytest.raises(errors.TransferError) as info:
        databroker.unpack(bundle, target)
    assert "No space left" in str(info.value)
    assert os.listdir(target) == []


def test_jsonl_target_gets_decoded_runs(plain: Any, tmp_path: Path) -> None:
    """[new] A msgpack bundle unpacked into a JSONL catalog is decoded and written as JSONL
    (a run file is copied whole only into a catalog of its own format)."""
    bundle = tmp_path / "bundle"
    databroker.pack(plain, bundle)
    target = tmp_path / "target"
    databroker.unpack(bundle, target, format="jsonl")
    assert _files(target) == sorted(f"{uid}.jsonl" for uid in plain)
    assert sorted(databroker.open_catalog(target)) == sorted(plain)


def test_catalog_object_target_sees_the_runs(plain: Any, tmp_path: Path) -> None:
    """[new] Run files copied whole into a catalog object's directory are listed by that
    catalog at once (it is refreshed), and a search finds them."""
    bundle = tmp_path / "bundle.zip"
    databroker.pack(plain, bundle)
    target = storage("msgpack", tmp_path / "target").catalog()
    assert len(target) == 0
    databroker.unpack(bundle, target)
    assert sorted(target) == sorted(plain)
    assert len(target.search({"scan_id": 1})) == 1


@pytest.mark.parametrize("file_format", ["msgpack", "jsonl"])
def test_run_file_naming_a_path_is_refused(plain: Any, tmp_path: Path, file_format: str) -> None:
    """[fix] A bundled run file whose start uid is '../escape' (checksum updated to match)
    is refused with BundleFormatError, copied whole (msgpack target) or decoded (JSONL
    target), and nothing is written outside (or inside) the target."""
    from databroker._stores.files.msgpack_format import packb

    bundle = tmp_path / "bundle"
    databroker.pack(plain, bundle)
    manifest = _manifest(bundle)
    entry = manifest["runs"][0]
    start = {**plain[entry["uid"]].start, "uid": "../escape"}
    data = packb("start", dict(start)) + packb(
        "stop", {"uid": "s", "run_start": "../escape", "time": 1.0, "exit_status": "success"}
    )
    (bundle / entry["documents"]).write_bytes(data)
    entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "nest" / "target"
    with pytest.raises(errors.BundleFormatError) as info:
        databroker.unpack(bundle, target, format=file_format)
    assert entry["uid"] in str(info.value)
    assert _files(tmp_path / "nest") == []
