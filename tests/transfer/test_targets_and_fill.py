"""Unpack into a MongoDB URI given as a string, and bundles with external data filled in."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

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


def _stream_run(source: Any) -> Any:
    return next(run for run in source.values() if run.file_records()[0].kind == "stream_resource")


def test_external_fill_puts_stream_resource_data_inline(source: Any, tmp_path: Path) -> None:
    """[fix] external='fill' also fills StreamResource/StreamDatum data into the events: no
    stream_resource or stream_datum documents, no files, the same arrays read back."""
    run = _stream_run(source)
    bundle = tmp_path / "filled"
    report = databroker.pack([run], bundle, external="fill")
    assert report.files == [] and not (bundle / "external").exists()
    target = tmp_path / "target"
    databroker.unpack(bundle, target)
    unpacked = databroker.open_catalog(target)[run.uid]
    names = {name for name, _ in unpacked.documents(fill="no")}
    assert not names & {"stream_resource", "stream_datum", "resource", "datum"}
    assert unpacked.file_records() == []
    expected = run.primary.read()
    got = unpacked.primary.read()
    assert np.array_equal(got["img"].values, expected["img"].values)
    assert np.array_equal(got["x"].values, expected["x"].values)


def test_external_fill_refuses_stream_data_without_events(tmp_path: Path) -> None:
    """[fix] A StreamDatum whose seq_nums have no event (a fly scan) cannot be filled:
    TransferError naming the run and the StreamResource, and no bundle is left."""
    from databroker import errors
    from databroker.testing.backends import storage
    from tests.assemble.test_stream_datum import stream_run

    documents = stream_run(tmp_path, events=range(1, 4))  # seq_nums 4 and 5: no event
    catalog = storage("msgpack", tmp_path / "source").catalog()
    write = catalog.serializer()
    for name, doc in documents:
        write(name, doc)
    uid = documents[0][1]["uid"]
    write("stop", {"uid": f"stop-{uid}", "run_start": uid, "time": 9.0, "exit_status": "success"})
    catalog.force_reload()
    orphan = next(d for n, d in documents if n == "stream_resource" and "b.h5" in d["uri"])
    bundle = tmp_path / "filled"
    with pytest.raises(errors.TransferError) as info:
        databroker.pack(catalog, bundle, external="fill")
    assert uid in str(info.value) and orphan["uid"] in str(info.value)
    assert not bundle.exists() and not [p for p in tmp_path.iterdir() if "pack" in p.name]
