"""Runs of same-shape msgpack records read with numpy give exactly what decoding each gives.

The oracle is the record-by-record reader: the same file (written by suitcase-msgpack, then
mutated by seeded changes of values, types, widths and bytes) is read both ways, and the
pages, their column types, the outline and the errors must be the same.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import event_model
import msgpack
import numpy as np
import pytest
import suitcase.msgpack

from databroker._stores.files import msgpack_format, msgpack_scan
from databroker._stores.files.msgpack_shapes import matching_records, record_shape
from databroker._stores.files.run import FileRun, RunFileReader
from databroker._stores.single_events import EventRows
from databroker.errors import DatabrokerError, TruncatedFileWarning

KEYS = {
    "x": {"source": "sim", "dtype": "number", "shape": []},
    "n": {"source": "sim", "dtype": "integer", "shape": []},
    "flag": {"source": "sim", "dtype": "boolean", "shape": []},
    "name": {"source": "sim", "dtype": "string", "shape": []},
}


def _write(directory: Path, count: int, seed: int) -> Path:
    """A run of ``count`` single events (one-event pages, as suitcase-msgpack stores them)."""
    rng = random.Random(seed)
    serializer = suitcase.msgpack.Serializer(str(directory))
    run = event_model.compose_run()
    serializer("start", run.start_doc)
    primary = run.compose_descriptor(name="primary", data_keys=KEYS)
    serializer("descriptor", primary.descriptor_doc)
    monitor = run.compose_descriptor(name="monitor", data_keys={"x": KEYS["x"]})
    serializer("descriptor", monitor.descriptor_doc)
    for i in range(count):
        data = {"x": rng.gauss(0, 1), "n": i * 3, "flag": i % 3 == 0, "name": f"s{i % 10}"}
        event = primary.compose_event(
            data=data, timestamps=dict.fromkeys(data, 1.7e9 + i), seq_num=i + 1, time=1.7e9 + i
        )
        serializer("event", event)
        if i % 50 == 49:
            serializer("event", monitor.compose_event(data={"x": 1.0}, timestamps={"x": 1.7e9 + i}))
    serializer("stop", run.compose_stop())
    serializer.close()
    (path,) = directory.glob("*.msgpack")
    return path


def _records(path: Path) -> list[list[Any]]:
    with open(path, "rb") as file:
        return list(msgpack.Unpacker(file, raw=False, strict_map_key=False))


def _mutate(records: list[list[Any]], rng: random.Random) -> str:
    """Change one or a few event records the way other writers or damage would."""
    events = [i for i, (name, _) in enumerate(records) if name == "event_page"]
    index = rng.choice(events)
    page = records[index][1]
    kind = rng.randrange(10)
    if kind == 0:
        page["time"] = [float("nan")]
    elif kind == 1:
        page["uid"] = list(records[rng.choice(events)][1]["uid"])  # a repeated uid
    elif kind == 2:
        page["data"]["n"] = [rng.choice([127, 128, 255, 256, 65535, 65536, -1, -33, 2**40])]
    elif kind == 3:
        page["data"]["x"] = [rng.choice([1, True, "text", None, [1.0, 2.0]])]
    elif kind == 4:
        page["data"]["name"] = [rng.choice(["longer name", "é", ""])]
    elif kind == 5:
        page["filled"] = {"x": [False]}
    elif kind == 6:
        page["data"].pop("flag")
    elif kind == 7:
        page["seq_num"] = [float(page["seq_num"][0])]
    elif kind == 8:
        page["data"]["x"] = {"nd": True}  # not a column at all
    else:
        for other in rng.sample(events, 5):
            records[other][1]["data"]["x"] = [np.float32(0.5)]  # numpy map value
    return f"mutation {kind} of record {index}"


def _encode(records: list[list[Any]]) -> bytes:
    return b"".join(msgpack_format.packb(name, doc) for name, doc in records)


def _read(path: Path, shapes: bool) -> Any:
    """Everything a full read and an outline give, or the error class and message."""
    start = msgpack_format.read_first_document(str(path))
    assert start is not None
    reader = RunFileReader(
        msgpack_format.iter_documents,
        locate=msgpack_format.locate,
        iter_run_records=msgpack_scan.iter_run_records if shapes else None,
    )
    run = FileRun(str(path), start[1], reader)
    try:
        return {
            d["uid"]: [_comparable(page) for page in run.event_pages(d["uid"])]
            for d in run.descriptors()
        }
    except DatabrokerError as error:
        return (type(error).__name__, str(error))


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return (str(value.dtype), value.tolist())
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    return (type(value).__name__, value)


def _outline(path: Path, scan: Any) -> list[tuple[str, Any, int, int]]:
    kept: list[tuple[str, Any, int, int]] = []
    scan(str(path), 0, lambda name, doc, start, end: kept.append((name, doc, start, end)))
    return kept


def _plain_outline(path: str, offset: int, add: Any) -> int:
    """The outline from decoding every record (the oracle)."""
    start = offset
    for end, name, doc in msgpack_format.iter_documents(path, offset):
        if name not in ("event", "event_page", "datum", "datum_page"):
            add(name, doc, start, end)
        start = end
    return start


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[list[Any]]:
    return _records(_write(tmp_path_factory.mktemp("shapes"), 400, seed=1))


def test_a_suitcase_file_reads_the_same_both_ways(written: list[list[Any]], tmp_path: Path) -> None:
    """Columns from runs of same-shape records equal the record-by-record read: values,
    dtypes, pages and the outline [new]."""
    path = tmp_path / "run.msgpack"
    path.write_bytes(_encode(written))
    runs = [doc for _, _, doc in msgpack_scan.iter_run_records(str(path))]
    assert sum(len(doc) for doc in runs if isinstance(doc, EventRows)) > 350
    assert _read(path, shapes=True) == _read(path, shapes=False)
    assert _outline(path, msgpack_scan.scan_outline) == _outline(path, _plain_outline)


@pytest.mark.parametrize("seed", range(60))
def test_a_changed_file_reads_the_same_both_ways(
    written: list[list[Any]], tmp_path: Path, seed: int
) -> None:
    """Seeded changes (NaN time, repeated uid, integers changing width, other types, longer
    strings, filled entries, missing keys, numpy values) read the same both ways: the same
    data or the same error [new]."""
    rng = random.Random(seed)
    records = copy.deepcopy(written)
    what = [_mutate(records, rng) for _ in range(rng.randint(1, 3))]
    path = tmp_path / "run.msgpack"
    path.write_bytes(_encode(records))
    assert _read(path, shapes=True) == _read(path, shapes=False), what
    assert _outline(path, msgpack_scan.scan_outline) == _outline(path, _plain_outline), what


@pytest.mark.parametrize("seed", range(40))
def test_flipped_bytes_give_the_same_data_or_the_same_error(
    written: list[list[Any]], tmp_path: Path, seed: int
) -> None:
    """A few flipped bits anywhere among the events: both readers give the same result [new]."""
    rng = random.Random(1000 + seed)
    data = bytearray(_encode(written))
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data) // 10, len(data))] ^= 1 << rng.randrange(8)
    path = tmp_path / "run.msgpack"
    path.write_bytes(bytes(data))
    assert _read(path, shapes=True) == _read(path, shapes=False)


def test_a_truncated_file_warns_and_keeps_the_events_before(
    written: list[list[Any]], tmp_path: Path
) -> None:
    """A file cut inside a run of same-shape records warns, as the record reader does [new]."""
    path = tmp_path / "run.msgpack"
    data = _encode(written)
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.warns(TruncatedFileWarning, match="partial msgpack"):
        shaped = _read(path, shapes=True)
    with pytest.warns(TruncatedFileWarning, match="partial msgpack"):
        assert shaped == _read(path, shapes=False)


def test_records_of_one_layout_are_counted_and_others_stop_the_count() -> None:
    """A layout matches records that differ only in values, and stops at the first that
    differs in structure or encoding width [new]."""
    records = [
        msgpack.packb(["event_page", {"x": [float(i)], "n": [i]}], use_bin_type=True)
        for i in range(126, 132)
    ]
    shape = record_shape(records[0])
    assert shape is not None
    buffer = b"".join(records)
    assert matching_records(buffer, 0, shape, 100) == 2  # 126 and 127 are fixints, 128 is not
    assert record_shape(msgpack.packb([b"bin"], use_bin_type=True)) is None
