"""Floors: the same bytes read or written with the storage library alone, no databroker.

A floor is what the cheapest reasonable program pays for the same answer: ``msgpack.Unpacker``
or ``json.loads`` over the run file and numpy columns built from the pages, the raw ``find()``
of a Mongo collection, ``numpy.load`` of the frame files. Ratios in the report are databroker's
median over the floor's median.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

__all__ = [
    "columns_from_pages",
    "columns_from_singles",
    "descriptor_uids",
    "embedded_columns",
    "first_jsonl_record",
    "first_msgpack_record",
    "insert_embedded",
    "insert_normalized",
    "jsonl_records",
    "load_frame",
    "load_frames",
    "msgpack_records",
    "normalized_columns",
    "write_jsonl",
    "write_msgpack",
]

Columns = dict[str, np.ndarray]
Records = Iterable[Sequence[Any]]


def msgpack_records(path: Path) -> Iterator[Any]:
    """Yield every ``[name, doc]`` record of a msgpack run file."""
    with open(path, "rb") as file:
        yield from msgpack.Unpacker(file, raw=False)


def jsonl_records(path: Path) -> Iterator[Any]:
    """Yield every ``[name, doc]`` record of a JSONL run file."""
    with open(path, "rb") as file:
        for line in file:
            yield json.loads(line)


def first_msgpack_record(path: Path) -> Any:
    """Return the first record of a msgpack run file (its start)."""
    with open(path, "rb") as file:
        return next(msgpack.Unpacker(file, raw=False))


def first_jsonl_record(path: Path) -> Any:
    """Return the first record of a JSONL run file (its start)."""
    with open(path, "rb") as file:
        return json.loads(file.readline())


def columns_from_pages(records: Records, descriptor_uid: str, keys: Sequence[str]) -> Columns:
    """Build one float64 array per key from the event pages of one descriptor."""
    collected: dict[str, list[float]] = {key: [] for key in keys}
    for name, doc in records:
        if name == "event_page" and doc["descriptor"] == descriptor_uid:
            for key in keys:
                collected[key].extend(doc["data"][key])
    return {key: np.array(values, dtype=np.float64) for key, values in collected.items()}


def columns_from_singles(path: Path, descriptor_uid: str, keys: Sequence[str]) -> Columns:
    """Decode every document of a run file and build one float64 array per key.

    Events may come one per ``event`` or ``event_page`` document (as a RunEngine writes
    them); the garbage collector is off while decoding, as the cheapest program would have it.
    """
    records = msgpack_records(path) if path.suffix == ".msgpack" else jsonl_records(path)
    collected: dict[str, list[float]] = {key: [] for key in keys}
    enabled = gc.isenabled()
    gc.disable()
    try:
        for name, doc in records:
            if doc.get("descriptor") != descriptor_uid:
                continue
            if name == "event_page":
                for key in keys:
                    collected[key].extend(doc["data"][key])
            elif name == "event":
                data = doc["data"]
                for key in keys:
                    collected[key].append(data[key])
    finally:
        if enabled:
            gc.enable()
    return {key: np.array(values, dtype=np.float64) for key, values in collected.items()}


def descriptor_uids(path: Path) -> list[str]:
    """Return the uids of the descriptors of a run file (read with the storage library)."""
    records = msgpack_records(path) if path.suffix == ".msgpack" else jsonl_records(path)
    return [doc["uid"] for name, doc in records if name == "descriptor"]


def normalized_columns(database: Any, descriptor_uid: str, keys: Sequence[str]) -> Columns:
    """Build the columns from a raw ``find()`` of the normalized layout's ``event`` collection."""
    events = list(database.event.find({"descriptor": descriptor_uid}, sort=[("time", 1)]))
    return {key: np.array([event["data"][key] for event in events]) for key in keys}


def embedded_columns(database: Any, descriptor_uid: str, keys: Sequence[str]) -> Columns:
    """Build the columns from a raw ``find()`` of the embedded layout's event pages."""
    pages = database.event.find({"descriptor": descriptor_uid}, sort=[("first_index", 1)])
    return columns_from_pages((("event_page", page) for page in pages), descriptor_uid, keys)


def load_frames(files: Sequence[Path]) -> np.ndarray:
    """Return every frame file stacked along a new first axis."""
    return np.stack([np.load(path) for path in files])


def load_frame(path: Path) -> np.ndarray:
    """Return one frame file."""
    return np.load(path)


def _write_records(path: Path, docs: Iterable[tuple[str, Any]], encode: Callable[..., Any]) -> None:
    with open(path, "xb") as file:
        for name, doc in docs:
            file.write(encode([name, doc]))


def write_msgpack(path: Path, docs: Iterable[tuple[str, Any]]) -> None:
    """Write ``[name, doc]`` records with ``msgpack.packb`` alone."""
    _write_records(path, docs, msgpack.packb)


def write_jsonl(path: Path, docs: Iterable[tuple[str, Any]]) -> None:
    """Write ``[name, doc]`` lines with ``json.dumps`` alone."""
    _write_records(path, docs, lambda record: (json.dumps(record) + "\n").encode())


def _event_rows(page: Mapping[str, Any]) -> list[dict[str, Any]]:
    keys = list(page["data"])
    return [
        {
            "descriptor": page["descriptor"],
            "uid": page["uid"][i],
            "seq_num": page["seq_num"][i],
            "time": page["time"][i],
            "data": {key: page["data"][key][i] for key in keys},
            "timestamps": {key: page["timestamps"][key][i] for key in keys},
        }
        for i in range(len(page["uid"]))
    ]


def insert_normalized(database: Any, docs: Iterable[tuple[str, Any]]) -> None:
    """Insert the run as the normalized layout stores it: one Mongo document per event."""
    collections = {"start": "run_start", "descriptor": "event_descriptor", "stop": "run_stop"}
    for name, doc in docs:
        if name == "event_page":
            database.event.insert_many(_event_rows(doc))
        else:
            database[collections[name]].insert_one(dict(doc))


def insert_embedded(database: Any, docs: Iterable[tuple[str, Any]]) -> None:
    """Insert the run as the embedded layout stores it: a header and one document per page."""
    header: dict[str, Any] = {"descriptors": []}
    position = 0
    for name, doc in docs:
        if name == "event_page":
            rows = len(doc["uid"])
            page = {**doc, "first_index": position, "last_index": position + rows - 1}
            database.event.insert_one(page)
            position += rows
        elif name == "descriptor":
            header["descriptors"].append(doc)
        else:
            header[name] = [doc]
    database.header.insert_one(header)
