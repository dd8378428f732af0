"""v1 export of runs with StreamResource/StreamDatum: files copied, ``uri`` re-rooted."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import event_model
import numpy as np
import pytest
import tifffile

from tests.assemble.test_stream_datum import EXPECTED, stream_run

from .runs import insert_all


def _stream_resources(header: Any) -> list[dict[str, Any]]:
    return [dict(doc) for name, doc in header.documents() if name == "stream_resource"]


def _record(db: Any, documents: list[tuple[str, dict[str, Any]]]) -> Any:
    start = documents[0][1]
    stop = {"uid": "stop-" + start["uid"], "run_start": start["uid"], "time": 100.0}
    insert_all(db, [*documents, ("stop", stop)])
    return db[start["uid"]]


def _jsonl_broker(directory: Path) -> Any:
    from databroker._drivers.jsonl import BlueskyJSONLCatalog

    return BlueskyJSONLCatalog(str(directory / "*.jsonl")).v1


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    """Where the source HDF5 files live; the space makes the uris percent-escaped."""
    directory = tmp_path / "h5 files"
    directory.mkdir()
    return directory


@pytest.fixture
def header(db: Any, source_dir: Path) -> Any:
    """A step scan whose 'img' (STREAM:) is in a.h5 and b.h5, with percent-escaped uris."""
    documents = stream_run(source_dir, events=range(1, 6))
    for name, doc in documents:
        if name == "stream_resource":
            doc["uri"] = "file://localhost" + quote(f"{source_dir}/{Path(doc['uri']).name}")
    return _record(db, documents)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Any]:
    """An empty JSONL Broker to export into."""
    directory = tmp_path / "target"
    directory.mkdir()
    broker = _jsonl_broker(directory)
    yield broker
    broker.v2.close()


def test_export_copies_stream_files(
    db: Any, header: Any, target: Any, source_dir: Path, tmp_path: Path
) -> None:
    """[new] export(new_root=) copies StreamResource files there and rewrites their uri."""
    new_root = tmp_path / "moved 100%"
    before = _stream_resources(header)
    originals = {path.name: path.read_bytes() for path in source_dir.iterdir()}
    pairs = db.export(header, target, new_root=str(new_root))
    assert pairs == [(str(source_dir / name), str(new_root / name)) for name in ("a.h5", "b.h5")]
    assert {p.name: p.read_bytes() for p in new_root.iterdir()} == originals
    exported = _stream_resources(target[header.uid])
    assert [doc["uri"] for doc in exported] == [
        f"file://localhost{quote(str(new_root / name))}" for name in ("a.h5", "b.h5")
    ]
    assert [{**doc, "uri": None} for doc in exported] == [{**d, "uri": None} for d in before]
    # The source run and its files are left as they were.
    assert _stream_resources(db[header.uid]) == before
    assert {p.name: p.read_bytes() for p in source_dir.iterdir()} == originals


def test_exported_run_reads_without_original_files(
    db: Any, header: Any, target: Any, source_dir: Path, tmp_path: Path
) -> None:
    """[new] The exported run reads the same STREAM: arrays from the copies alone."""
    db.export(header, target, new_root=str(tmp_path / "moved"))
    for path in source_dir.iterdir():
        path.unlink()
    reopened = _jsonl_broker(tmp_path / "target")
    np.testing.assert_array_equal(reopened[header.uid].xarray()["img"].values, EXPECTED)
    table = reopened[header.uid].table(fill=True)
    np.testing.assert_array_equal(np.stack(table["img"].tolist()), EXPECTED)
    reopened.v2.close()


def test_export_without_new_root_keeps_uri(db: Any, header: Any, target: Any) -> None:
    """[compat] Without new_root nothing is copied and StreamResources are inserted unchanged."""
    assert db.export(header, target) == []
    assert _stream_resources(target[header.uid]) == _stream_resources(header)


def test_copy_kwargs_apply_to_stream_files(
    db: Any, header: Any, target: Any, tmp_path: Path
) -> None:
    """[new] copy_kwargs reach the StreamResource copies: the rename hook sees each file."""
    seen: list[tuple[int, int, str]] = []
    db.export(
        header,
        target,
        new_root=str(tmp_path / "moved"),
        copy_kwargs={"file_rename_hook": lambda n, total, old, new: seen.append((n, total, new))},
    )
    assert seen == [
        (0, 1, str(tmp_path / "moved" / "a.h5")),
        (0, 1, str(tmp_path / "moved" / "b.h5")),
    ]


def test_copy_kwargs_verify(db: Any, header: Any, tmp_path: Path) -> None:
    """[new] copy_kwargs={'verify': True} is refused for StreamResources as for Resources."""
    from databroker.in_memory import BlueskyInMemoryCatalog
    from databroker.v1 import Broker

    inserted: list[str] = []
    # A target that keeps nothing open: the export stops in the middle of the run.
    target = Broker(BlueskyInMemoryCatalog(), serializer=lambda name, doc: inserted.append(name))
    with pytest.raises(NotImplementedError, match="verify"):
        db.export(header, target, new_root=str(tmp_path / "x"), copy_kwargs={"verify": True})
    assert "stream_resource" not in inserted


def _tiff_run(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    """'img' from a directory of TIFF files (one frame per file), one event per frame."""
    directory.mkdir()
    for j in range(3):
        tifffile.imwrite(directory / f"{j:06d}.tiff", np.full((2, 2), j, dtype="uint8"))
    run = event_model.compose_run(time=0.0)
    keys = {
        "img": {"source": "sim", "dtype": "array", "shape": [2, 2], "external": "STREAM:"},
        "x": {"source": "sim", "dtype": "number", "shape": []},
    }
    desc = run.compose_descriptor(name="primary", data_keys=keys, time=1.0)
    bundle = run.compose_stream_resource(
        mimetype="multipart/related;type=image/tiff",
        uri=f"file://localhost{directory}/",
        data_key="img",
        parameters={"template": "{:06d}.tiff"},
    )
    datum = bundle.compose_stream_datum(
        indices={"start": 0, "stop": 3},
        seq_nums={"start": 1, "stop": 4},
        descriptor=desc.descriptor_doc,
    )
    docs: list[tuple[str, dict[str, Any]]] = [
        ("start", run.start_doc),
        ("descriptor", desc.descriptor_doc),
        ("stream_resource", bundle.stream_resource_doc),
        ("stream_datum", datum),
    ]
    for seq in (1, 2, 3):
        event = desc.compose_event(data={"x": 1.0 * seq}, timestamps={"x": 0.0}, seq_num=seq)
        docs.append(("event", {**event, "time": 10.0 + seq}))
    return docs


def test_export_tiff_directory(db: Any, target: Any, tmp_path: Path) -> None:
    """[new] A directory uri (TIFF sequence) is copied as a directory under new_root."""
    header = _record(db, _tiff_run(tmp_path / "frames"))
    new_root = tmp_path / "moved"
    pairs = db.export(header, target, new_root=str(new_root))
    names = [f"{j:06d}.tiff" for j in range(3)]
    assert pairs == [(str(tmp_path / "frames" / n), str(new_root / "frames" / n)) for n in names]
    (exported,) = _stream_resources(target[header.uid])
    assert exported["uri"] == f"file://localhost{new_root / 'frames'}"
    for name in names:
        (tmp_path / "frames" / name).unlink()
    values = target[header.uid].xarray()["img"].values
    assert [int(frame[0, 0]) for frame in values] == [0, 1, 2]


def test_export_legacy_stream_resource(db: Any, target: Any, tmp_path: Path) -> None:
    """[new] A StreamResource with root/resource_path instead of uri gets root = new_root."""
    documents = stream_run(tmp_path, events=range(1, 6))
    legacy = copy.deepcopy(documents)
    for name, doc in legacy:
        if name == "stream_resource":
            file_name = Path(doc.pop("uri")).name
            doc.update(root=str(tmp_path), resource_path=file_name, path_semantics="posix")
    header = _record(db, legacy)
    new_root = tmp_path / "moved"
    pairs = db.export(header, target, new_root=str(new_root))
    assert [new for _, new in pairs] == [str(new_root / "a.h5"), str(new_root / "b.h5")]
    exported = _stream_resources(target[header.uid])
    assert [doc["root"] for doc in exported] == [str(new_root)] * 2
    assert [doc["resource_path"] for doc in exported] == ["a.h5", "b.h5"]
    np.testing.assert_array_equal(target[header.uid].xarray()["img"].values, EXPECTED)
