"""Bundles: pack from msgpack into a zip, unpack into Mongo and JSONL, byte for byte."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import databroker
from databroker._transfer.report import content_digest
from databroker.testing.backends import storage


def _digests(catalog: Any) -> dict[str, str]:
    return {uid: content_digest(run.documents(fill="no")) for uid, run in catalog.items()}


def _external_bytes(catalog: Any) -> dict[str, list[tuple[int, str]]]:
    return {
        uid: sorted((r.size, r.sha256) for r in run.file_records(checksum=True))
        for uid, run in catalog.items()
    }


def test_file_records(source: Any) -> None:
    """[new] file_records lists every file of every (stream) resource with size and sha256."""
    for run in source.values():
        records = run.file_records(checksum=True)
        assert records and all(r.exists and r.size and len(r.sha256) == 64 for r in records)
    npy = next(r for r in source.values() if r.file_records()[0].spec == "NPY_SEQ")
    assert len(npy.file_records()) == 3


@pytest.mark.parametrize("target_kind", ["mongo-normalized", "mongo-embedded", "jsonl"])
def test_zip_round_trip(source: Any, tmp_path: Path, target_kind: str) -> None:
    """[new] pack into a zip and unpack into Mongo/JSONL: same documents, same file bytes."""
    bundle = tmp_path / "bundle.zip"
    report = databroker.pack(source, bundle)
    assert len(report.runs) == 3 and bundle.is_file()
    target = storage(target_kind, tmp_path / "target").catalog()
    files = tmp_path / "files"
    databroker.unpack(bundle, target, external_root=files)
    target.force_reload()
    assert _digests(target) == _digests(source)
    assert _external_bytes(target) == _external_bytes(source)
    for record in (r for run in target.values() for r in run.file_records()):
        assert record.path.startswith(str(files))
    for uid in source:
        assert target[uid].primary.read()["img"].values.tolist() == (
            source[uid].primary.read()["img"].values.tolist()
        )


def test_dry_run_then_second_unpack_is_no_op(source: Any, tmp_path: Path) -> None:
    """[new] dry_run reports what would be written and changes nothing; a 2nd unpack skips."""
    bundle = tmp_path / "bundle"
    dry = databroker.pack(source, bundle, dry_run=True)
    assert not bundle.exists() and len(dry.runs) == 3 and len(dry.files) == 6
    databroker.pack(source, bundle)
    target = tmp_path / "target"
    plan = databroker.unpack(bundle, target, dry_run=True)
    assert sorted(plan.runs) == sorted(source) and not list(target.glob("*.msgpack"))
    assert not (target / "external").exists()
    first = databroker.unpack(bundle, target)
    assert [f["destination"] for f in first.files] == [f["destination"] for f in plan.files]
    second = databroker.unpack(bundle, target)
    assert second.runs == [] and sorted(second.skipped) == sorted(source)
    assert len(databroker.open_catalog(target)) == 3


def test_bundle_opens_as_catalog(source: Any, tmp_path: Path) -> None:
    """[new] A bundle directory's catalog.yml opens with open_catalog and reads the files."""
    databroker.pack(source, tmp_path / "bundle")
    catalog = databroker.open_catalog(str(tmp_path / "bundle" / "catalog.yml"))
    assert _digests(catalog) == _digests(source)
    assert _external_bytes(catalog) == _external_bytes(source)


def test_external_manifest_and_skip(source: Any, tmp_path: Path) -> None:
    """[new] external='manifest' lists files with sha256 but copies none; 'skip' lists none."""
    import json

    databroker.pack(source, tmp_path / "m", external="manifest")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert len(manifest["files"]) == 6 and all(f["sha256"] for f in manifest["files"])
    assert not (tmp_path / "m" / "external").exists()
    databroker.pack(source, tmp_path / "s", external="skip", format="jsonl")
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["files"] == [] and manifest["created"]["document_format"] == "jsonl"


def test_conflicting_run_is_refused(source: Any, tmp_path: Path) -> None:
    """[new] A run existing with other content: RunConflict naming the uid and both places."""
    from databroker.errors import RunConflict

    bundle = tmp_path / "bundle"
    databroker.pack(source, bundle)
    target_dir = tmp_path / "target"
    uid = next(iter(source))
    start = dict(source[uid].start)
    start["sample"] = "changed"
    from databroker._stores.files.writers import MsgpackWriter

    with MsgpackWriter(target_dir) as writer:
        writer("start", start)
    with pytest.raises(RunConflict) as info:
        databroker.unpack(bundle, target_dir)
    assert uid in str(info.value) and str(target_dir) in str(info.value)
    assert sorted(os.listdir(target_dir)) == [f"{uid}.msgpack"]
