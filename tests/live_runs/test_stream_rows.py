"""Streams as arrays and cursors, read while a RunEngine writes them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from databroker.errors import (
    DatabrokerError,
    EndOfStream,
    IndexNotYetThere,
    IndexWontBeThere,
    TruncatedFileWarning,
)

from .conftest import Writers


def _first_run(catalog: Any, timeout: float = 30) -> Any:
    end = time.monotonic() + timeout
    while True:
        catalog.force_reload()
        if len(catalog):
            return catalog[-1]
        assert time.monotonic() < end, "no run appeared"
        time.sleep(0.01)


def _stream(run: Any, name: str = "primary", timeout: float = 30) -> Any:
    end = time.monotonic() + timeout
    while True:
        try:
            return run[name]
        except KeyError:
            assert time.monotonic() < end, "the stream never appeared"
            time.sleep(0.01)


@pytest.mark.parametrize("fmt", ["msgpack", "jsonl"])
def test_cursor_reads_every_row_while_the_run_grows(
    fmt: str, writers: Writers, run_dir: Path
) -> None:
    """[new] A cursor on a stream written by another process returns every row once, in
    order, then EndOfStream; the rows equal read()."""
    from databroker._config.open_catalog import open_catalog

    gate = run_dir.parent / "gate"
    process = writers.start("--events", "30", "--hang-after", "5", "--gate", str(gate), fmt=fmt)
    catalog = open_catalog(str(run_dir), backend=fmt)
    catalog._store.poll_interval = 0.01
    assert process.stdout is not None and process.stdout.readline().strip() == "hanging"
    run = _first_run(catalog)
    cursor = _stream(run).cursor()
    first, rows = cursor.read(timeout=30)
    assert (first, rows.sizes["time"], run.state) == (0, 5, "running")
    firsts, values = [first], rows["det"].values.tolist()
    gate.touch()
    while True:
        try:
            first, rows = cursor.read(timeout=30)
        except EndOfStream as error:
            assert isinstance(error, EOFError) and isinstance(error, DatabrokerError)
            break
        assert first == len(values)
        firsts.append(first)
        values.extend(rows["det"].values.tolist())
    writers.wait()
    assert run.state == "success"
    whole = run.primary.read()
    assert values == whole["det"].values.tolist() and len(values) == 30
    with pytest.raises(EndOfStream):
        cursor.read(block=False)


def test_index_errors_running_then_ended(writers: Writers, msgpack_catalog: Any) -> None:
    """[new] Past the end: IndexNotYetThere while running, IndexWontBeThere once ended; both
    IndexError; negative indices count from the current end."""
    process = writers.start("--events", "10", "--hang-after", "4")
    assert process.stdout is not None and process.stdout.readline().strip() == "hanging"
    run = _first_run(msgpack_catalog)
    stream = run.primary
    assert len(stream) == 4
    assert stream[-1]["time"].item() == stream[3]["time"].item()
    with pytest.raises(IndexNotYetThere) as raised:
        stream[4]
    assert isinstance(raised.value, IndexError) and run.uid in str(raised.value)
    with pytest.raises(IndexNotYetThere):
        stream[-5]
    writers.kill()

    from databroker.in_memory import BlueskyInMemoryCatalog

    ended = BlueskyInMemoryCatalog()
    _record(ended, events=3)
    stream = ended[-1].primary
    with pytest.raises(IndexWontBeThere) as raised:
        stream[3]
    assert isinstance(raised.value, IndexError)
    with pytest.raises(IndexWontBeThere):
        stream[-4]


def _record(catalog: Any, events: int, detectors: Any = None) -> None:
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import det

    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(catalog.serializer())
    engine(count(detectors or [det], num=events))


def test_indexing_and_slices_match_read() -> None:
    """[new] stream[i], stream[-1] and stream[a:b:c] are those rows of read()."""
    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog()
    _record(catalog, events=12)
    stream = catalog[-1].primary
    whole = stream.read()
    assert len(stream) == 12
    assert stream[5].identical(whole.isel(time=[5]))
    assert stream[-1].identical(whole.isel(time=[11]))
    for key in (slice(2, 9, 3), slice(None, None, -2), slice(3, 3), slice(10, 50)):
        assert stream[key].identical(whole.isel(time=key)), key


def test_cursor_last_only_count_and_external_fields_lazy(tmp_path: Path) -> None:
    """[new] cursor.read(count=) and last_only=; external fields come lazy (dask) and load
    the right frame."""
    import dask
    from ophyd.sim import SynSignalWithRegistry

    from databroker.handlers import NumpySeqHandler
    from databroker.in_memory import BlueskyInMemoryCatalog

    frames = iter(range(100))
    img = SynSignalWithRegistry(
        func=lambda: np.full((4, 5), float(next(frames))), name="img", save_path=str(tmp_path)
    )
    catalog = BlueskyInMemoryCatalog(handler_registry={"NPY_SEQ": NumpySeqHandler})
    _record(catalog, events=6, detectors=[img])
    stream = catalog[-1].primary
    whole = stream.read()["img"].values
    assert len({float(frame[0, 0]) for frame in whole}) == 6  # six different frames
    cursor = stream.cursor(start=1)
    first, rows = cursor.read(count=2)
    assert (first, rows.sizes["time"], cursor.position) == (1, 2, 3)
    assert dask.is_dask_collection(rows["img"].data)
    np.testing.assert_array_equal(rows["img"].values, whole[1:3])
    first, rows = cursor.read(last_only=True)
    assert (first, rows.sizes["time"], cursor.position) == (5, 1, 6)
    np.testing.assert_array_equal(rows["img"].values, whole[5:])
    np.testing.assert_array_equal(stream[-1]["img"].values, whole[5:])
    with pytest.raises(EndOfStream):
        cursor.read()


def test_truncated_record_waits_for_the_rest(run_dir: Path) -> None:
    """[new] A run file ending in a partial record: the cursor returns the rows before it and
    the rest once it is written (never a wrong row)."""
    import event_model

    from databroker._config.open_catalog import open_catalog
    from databroker._stores.files import msgpack_format

    bundle = event_model.compose_run()
    descriptor = bundle.compose_descriptor(
        name="primary", data_keys={"x": {"source": "s", "dtype": "number", "shape": []}}
    )
    events = [descriptor.compose_event(data={"x": i}, timestamps={"x": i}) for i in range(3)]
    path = run_dir / f"{bundle.start_doc['uid']}.msgpack"
    records = [
        msgpack_format.packb("start", bundle.start_doc),
        msgpack_format.packb("descriptor", descriptor.descriptor_doc),
        *(msgpack_format.packb("event", event) for event in events),
    ]
    head = b"".join(records[:4])
    cut = len(records[4]) // 2
    path.write_bytes(head + records[4][:cut])
    catalog = open_catalog(str(run_dir), backend="msgpack")
    run = catalog[-1]
    cursor = run.primary.cursor()
    with pytest.warns(TruncatedFileWarning):
        first, rows = cursor.read(block=False)
        assert (first, rows["x"].values.tolist()) == (0, [0, 1])
        first, rows = cursor.read(timeout=0.1)
        assert rows.sizes["time"] == 0 and cursor.position == 2
    with path.open("ab") as file:
        file.write(records[4][cut:])
        file.write(msgpack_format.packb("stop", bundle.compose_stop()))
    first, rows = cursor.read(timeout=30)
    assert (first, rows["x"].values.tolist()) == (2, [2])
    with pytest.raises(EndOfStream):
        cursor.read()
    assert run.state == "success"


@pytest.mark.parametrize("backend", ["mongo-normalized", "mongo-embedded"])
def test_mongo_cursor_while_a_run_engine_thread_writes(backend: str, tmp_path: Path) -> None:
    """[new] Mongo (mongomock, writer thread): state, IndexNotYetThere and a cursor while the
    run grows, then EndOfStream and IndexWontBeThere."""
    import threading

    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import det

    from databroker.testing.backends import mongo_client, storage

    catalog = storage(backend, tmp_path, client=mongo_client()).catalog()
    write = catalog.serializer()
    paused, go_on = threading.Event(), threading.Event()
    events = 0

    def gate(name: str, doc: dict[str, Any]) -> None:
        nonlocal events
        write(name, doc)
        if name == "event":
            events += 1
            if events == 3:
                paused.set()
                go_on.wait(30)

    def work() -> None:
        engine = RunEngine({}, call_returns_result=False, context_managers=[])
        engine.subscribe(gate)
        engine(count([det], num=8))

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    assert paused.wait(30)
    run = catalog[-1]
    stream = run.primary
    assert (run.state, len(stream)) == ("running", 3)
    with pytest.raises(IndexNotYetThere):
        stream[3]
    cursor = stream.cursor()
    assert cursor.read()[1].sizes["time"] == 3
    go_on.set()
    seen = 3
    while True:
        try:
            first, rows = cursor.read(timeout=30)
        except EndOfStream:
            break
        assert first == seen
        seen += rows.sizes["time"]
    thread.join(30)
    assert (seen, run.state) == (8, "success")
    with pytest.raises(IndexWontBeThere):
        stream[8]
