"""v1 insert, export and export_size."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from databroker.errors import InvalidDocument, WriteNotSupported
from databroker.v1 import Broker

from .runs import composed_run, insert_all


def test_insert_warns_and_reloads(db: Any) -> None:
    """[compat] insert warns PendingDeprecationWarning; after stop, db[-1] is the new run."""
    docs = composed_run()
    with pytest.warns(PendingDeprecationWarning):
        for name, doc in docs:
            db.insert(name, doc)
    assert db[-1].uid == docs[0][1]["uid"]
    assert db[-1].stop["uid"] == docs[-1][1]["uid"]


def test_insert_with_runengine(db: Any, run_plan: Any) -> None:
    """[compat] RE.subscribe(db.insert) records runs readable right after each plan."""
    from bluesky.plans import count
    from ophyd.sim import det

    (uid,) = run_plan(count([det], 2))
    assert db[-1].uid == uid
    assert len(db[-1].table()) == 2


def test_insert_uses_given_serializer(db: Any) -> None:
    """[compat] A serializer passed to Broker receives the inserted documents."""
    received = []
    other = Broker(db.v2, serializer=lambda name, doc: received.append(name))
    with pytest.warns(PendingDeprecationWarning):
        other.insert("start", {"uid": "u", "time": 0})
    assert received == ["start"]


def test_default_serializer_resolved_at_first_insert(db: Any, monkeypatch: Any) -> None:
    """[compat] Without a serializer, the catalog's writer is looked up at the first insert."""
    lookups = []
    original = db.v2._get_serializer

    def counting() -> Any:
        lookups.append(1)
        return original()

    monkeypatch.setattr(db.v2, "_get_serializer", counting)
    fresh = Broker(db.v2)
    assert fresh.serializer is None and lookups == []
    docs = composed_run()
    with pytest.warns(PendingDeprecationWarning):
        for name, doc in docs:
            fresh.insert(name, doc)
    assert lookups == [1]
    assert fresh[-1].uid == docs[0][1]["uid"]


def test_insert_bulk_events(db: Any) -> None:
    """[compat] insert('bulk_events', {descriptor_uid: [events]}) writes those events and
    leaves the caller's documents unchanged."""
    docs = composed_run(event_times=(10.0, 11.0, 12.0), values=(1.5, 2.5, 3.5))
    descriptor = docs[1][1]
    events = [doc for name, doc in docs if name == "event"]
    for event in events:
        event["data"]["x"] = np.float64(event["data"]["x"])
    del events[0]["descriptor"]  # legacy bulk events may leave the link to their key
    bulk = {descriptor["uid"]: events}
    snapshot = copy.deepcopy(bulk)
    insert_all(db, [docs[0], docs[1], ("bulk_events", bulk), docs[-1]])
    assert bulk == snapshot
    assert "descriptor" not in events[0]
    assert all(type(event["data"]["x"]) is np.float64 for event in events)
    table = db[-1].table()
    assert table["x"].tolist() == [1.5, 2.5, 3.5]
    assert table.index.tolist() == [1, 2, 3]


def test_insert_bulk_events_refuses_malformed(db: Any) -> None:
    """[fix] A bulk_events document not shaped {descriptor uid: [events]} raises InvalidDocument."""
    docs = composed_run()
    descriptor = docs[1][1]
    event = docs[2][1]
    insert_all(db, docs[:2])
    with pytest.warns(PendingDeprecationWarning), pytest.raises(InvalidDocument, match="list"):
        db.insert("bulk_events", {descriptor["uid"]: event})
    with pytest.warns(PendingDeprecationWarning), pytest.raises(InvalidDocument, match="other"):
        db.insert("bulk_events", {"other": [event]})
    insert_all(db, docs[2:])  # the run goes on: nothing was written
    assert len(db[-1].table()) == 1


def test_insert_without_writer(db: Any) -> None:
    """[compat] A catalog without writer raises WriteNotSupported (a RuntimeError)."""
    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog()
    catalog._store.supports_writes = False

    def no_writer() -> Any:
        raise WriteNotSupported("no writer")

    catalog._get_serializer = no_writer
    with pytest.warns(PendingDeprecationWarning), pytest.raises(RuntimeError):
        Broker(catalog).insert("start", {"uid": "u", "time": 0})


@pytest.fixture
def target(tmp_path: Path) -> Any:
    """An empty JSONL Broker to export into."""
    from databroker._drivers.jsonl import BlueskyJSONLCatalog

    directory = tmp_path / "target"
    directory.mkdir()
    broker = BlueskyJSONLCatalog(str(directory / "*.jsonl")).v1
    yield broker
    broker.v2.close()


def test_export_documents(db: Any, recorded: dict[str, str], target: Any) -> None:
    """[compat] export sends each header's documents to db.insert; the copies read the same."""
    headers = [db[recorded["scan"]], db[recorded["internal"]]]
    assert db.export(headers, target) == []
    assert {h.uid for h in target()} == {recorded["scan"], recorded["internal"]}
    assert target[recorded["scan"]].table().equals(db[recorded["scan"]].table())
    assert target[recorded["scan"]].table("baseline").equals(db[recorded["scan"]].table("baseline"))


def test_export_new_root_copies_files(
    db: Any, recorded: dict[str, str], target: Any, tmp_path: Path
) -> None:
    """[compat] With new_root, files are copied relative to root; resources get new root."""
    new_root = tmp_path / "moved"
    header = db[recorded["external"]]
    resource = next(doc for name, doc in header.documents() if name == "resource")
    pairs = db.export(header, target, new_root=str(new_root))
    assert len(pairs) == 3
    for old, new in pairs:
        assert os.path.relpath(new, new_root) == os.path.relpath(old, resource["root"])
        assert Path(new).read_bytes() == Path(old).read_bytes()
    copied = next(doc for name, doc in target[-1].documents() if name == "resource")
    assert copied["root"] == str(new_root)
    frames = target[-1].table(fill=True)["img"]
    assert [float(frame[0, 0]) for frame in frames] == [0.0, 1.0, 2.0]


def test_export_size(db: Any, recorded: dict[str, str]) -> None:
    """[compat] export_size is the total size in GB of the files get_file_list reports."""
    header = db[recorded["external"]]
    run = db.v2[recorded["external"]]
    resource = next(doc for name, doc in run.documents(fill="no") if name == "resource")
    total = sum(os.path.getsize(path) for path in run.get_file_list(resource))
    assert total > 0
    assert db.export_size(header) == pytest.approx(total * 1e-9)
    assert db.export_size(db[recorded["scan"]]) == 0


def test_export_copy_kwargs_reach_copy_files(
    db: Any, recorded: dict[str, str], target: Any, tmp_path: Path
) -> None:
    """[compat] export passes copy_kwargs to reg.copy_files for each Resource."""
    from databroker.in_memory import BlueskyInMemoryCatalog

    header = db[recorded["external"]]
    inserted: list[str] = []
    # A target that keeps nothing open: the export stops in the middle of the run.
    recording = Broker(BlueskyInMemoryCatalog(), serializer=lambda name, doc: inserted.append(name))
    with pytest.raises(NotImplementedError, match="verify"):
        db.export(header, recording, new_root=str(tmp_path / "a"), copy_kwargs={"verify": True})
    assert "resource" not in inserted
    renamed: list[tuple[int, int]] = []
    hook = {"file_rename_hook": lambda n, total, old, new: renamed.append((n, total))}
    pairs = db.export(header, target, new_root=str(tmp_path / "b"), copy_kwargs=hook)
    assert len(pairs) == 3
    assert renamed == [(0, 3), (1, 3), (2, 3)]
