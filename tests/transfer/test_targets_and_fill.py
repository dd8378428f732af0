"""Unpack into a MongoDB URI given as a string, and bundles with external data filled in."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np

import databroker
from databroker._transfer.report import content_digest


def _resource_runs(source: Any) -> list[Any]:
    return [run for run in source.values() if run.file_records()[0].kind == "resource"]


def test_unpack_into_mongo_uri_string(source: Any, tmp_path: Path) -> None:
    """[fix] unpack(bundle, 'mongodb://...') into a database of the embedded layout (not
    the first backend tried) writes the runs and re-roots their files under external_root;
    a second unpack skips them."""
    import event_model
    import mongomock

    bundle = tmp_path / "bundle.zip"
    databroker.pack(source, bundle)
    uri = f"mongodb://localhost:27017/unpack_{uuid.uuid4().hex[:12]}"
    files = tmp_path / "files"
    with mongomock.patch(servers=(("localhost", 27017),)):
        existing = databroker.open_catalog(uri, backend="mongo-embedded")
        other = event_model.compose_run()
        write = existing.serializer()
        write("start", other.start_doc)
        write("stop", other.compose_stop())
        report = databroker.unpack(bundle, uri, external_root=files)
        assert sorted(report.runs) == sorted(source)
        target = databroker.open_catalog(uri)
        for uid, run in source.items():
            assert content_digest(target[uid].documents(fill="no")) == content_digest(
                run.documents(fill="no")
            )
            records = target[uid].file_records(checksum=True)
            assert records and all(r.path.startswith(str(files)) for r in records)
        again = databroker.unpack(bundle, uri, external_root=files)
        assert again.runs == [] and sorted(again.skipped) == sorted(source)
        assert len(databroker.open_catalog(uri)) == 4


def test_external_fill_puts_the_data_inline(source: Any, tmp_path: Path) -> None:
    """[new] external='fill' writes Resource-backed data into the documents: no resource
    or datum documents, no files, the same arrays read back after unpack."""
    runs = _resource_runs(source)
    bundle = tmp_path / "filled"
    report = databroker.pack(runs, bundle, external="fill")
    assert report.files == [] and not (bundle / "external").exists()
    target = tmp_path / "target"
    databroker.unpack(bundle, target)
    unpacked = databroker.open_catalog(target)
    for run in runs:
        names = {name for name, _ in unpacked[run.uid].documents(fill="no")}
        assert not names & {"resource", "datum", "datum_page"}
        assert unpacked[run.uid].file_records() == []
        field = next(
            key
            for key, data_key in run.primary.metadata["descriptors"][0]["data_keys"].items()
            if data_key.get("external")
        )
        expected = run.primary.read()[field].values
        assert np.array_equal(unpacked[run.uid].primary.read()[field].values, expected)
