"""The rows of a stream: every event page read once, and the row order of rules 3 and 4."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._fill import is_stream_field
from ..errors import DatabrokerWarning
from .stream_data import StreamData

__all__ = ["Rows", "StreamDatumRange", "StreamTable", "read_stream_table"]

Doc = Mapping[str, Any]


@dataclass(frozen=True)
class StreamDatumRange:
    """One StreamDatum: rows ``[index_start, ...)`` of a StreamResource for a seq_num range."""

    uid: str
    data_key: str
    stream_resource: str
    seq_start: int
    seq_stop: int
    index_start: int


@dataclass(frozen=True)
class Rows:
    """The stream's rows, in output order.

    ``descriptor`` indexes ``StreamData.descriptors``; ``event`` indexes the stream's events
    (concatenated in descriptor order, then page order), -1 where a row has no event.
    """

    time: np.ndarray
    seq_num: np.ndarray
    descriptor: np.ndarray
    event: np.ndarray
    #: True when rows come from events and StreamDatum ranges (rule 3 [new]).
    by_seq_num: bool

    def __len__(self) -> int:
        return len(self.time)


@dataclass(frozen=True)
class StreamTable:
    """Everything read from storage to assemble one stream."""

    #: ``(descriptor index, event page)`` in descriptor order, then storage order.
    pages: list[tuple[int, Doc]]
    #: Per descriptor, its StreamDatum (empty unless the stream has ``STREAM:`` keys).
    stream_datum: list[list[StreamDatumRange]]
    rows: Rows


def _concat(arrays: list[np.ndarray], dtype: str) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype)


def _stream_datum(
    docs: Sequence[Doc], data_keys: Mapping[str, str], descriptor_uid: str
) -> list[StreamDatumRange]:
    """Convert stored StreamDatum, repairing never-filled ``seq_nums`` placeholders.

    ``data_keys`` maps StreamResource uid to its ``data_key``.
    """
    next_seq: dict[str, int] = {}
    ranges = []
    for doc in docs:
        data_key = data_keys.get(doc["stream_resource"], "")
        indices, seq_nums = doc["indices"], doc["seq_nums"]
        length = indices["stop"] - indices["start"]
        start = seq_nums["start"]
        if seq_nums["start"] == seq_nums["stop"] == 0 and length > 0:
            start = next_seq.get(data_key, 1)
            warnings.warn(
                f"StreamDatum {doc['uid']!r} of descriptor {descriptor_uid!r} has the "
                f"placeholder seq_nums {{start: 0, stop: 0}}; reading it as seq_nums "
                f"[{start}, {start + length}), right after the previous StreamDatum of "
                f"{data_key!r}.",
                DatabrokerWarning,
                stacklevel=4,
            )
        next_seq[data_key] = start + length
        ranges.append(
            StreamDatumRange(
                uid=doc["uid"],
                data_key=data_key,
                stream_resource=doc["stream_resource"],
                seq_start=start,
                seq_stop=start + length,
                index_start=indices["start"],
            )
        )
    return ranges


def _rows_by_time(times: np.ndarray, seqs: np.ndarray, owners: np.ndarray) -> Rows:
    order = np.argsort(times, kind="stable")
    return Rows(times[order], seqs[order], owners[order], order, by_seq_num=False)


def _rows_by_seq_num(
    times: np.ndarray,
    seqs: np.ndarray,
    owners: np.ndarray,
    stream_datum: list[list[StreamDatumRange]],
) -> Rows:
    """One row per seq_num found in events or StreamDatum, by descriptor then seq_num."""
    row_seqs, row_events, row_owners = [], [], []
    for index, ranges in enumerate(stream_datum):
        events = np.flatnonzero(owners == index)
        covered = [np.arange(r.seq_start, r.seq_stop, dtype=np.int64) for r in ranges]
        seq_nums = np.unique(np.concatenate([seqs[events], *covered]))
        event = np.full(len(seq_nums), -1, dtype=np.intp)
        # seq_nums holds every event's seq_num, so searchsorted finds each event's row.
        event[np.searchsorted(seq_nums, seqs[events])] = events
        row_seqs.append(seq_nums)
        row_events.append(event)
        row_owners.append(np.full(len(seq_nums), index, dtype=np.intp))
    event = _concat(row_events, "intp")
    row_time = np.full(len(event), np.nan)
    row_time[event >= 0] = times[event[event >= 0]]
    return Rows(row_time, _concat(row_seqs, "int64"), _concat(row_owners, "intp"), event, True)


def read_stream_table(stream: StreamData) -> StreamTable:
    """Read every event page (and StreamDatum) of the stream and order its rows."""
    pages: list[tuple[int, Doc]] = []
    for index, descriptor in enumerate(stream.descriptors):
        pages.extend((index, page) for page in stream.run.event_pages(descriptor["uid"]))
    times = _concat([np.asarray(page["time"], dtype=np.float64) for _, page in pages], "float64")
    seqs = _concat([np.asarray(page["seq_num"], dtype=np.int64) for _, page in pages], "int64")
    owners = _concat([np.full(len(page["time"]), i, dtype=np.intp) for i, page in pages], "intp")
    has_stream_keys = any(
        is_stream_field(data_key)
        for descriptor in stream.descriptors
        for data_key in descriptor.get("data_keys", {}).values()
    )
    if not has_stream_keys:
        rows = _rows_by_time(times, seqs, owners)
        return StreamTable(pages, [[] for _ in stream.descriptors], rows)
    data_keys = {doc["uid"]: doc["data_key"] for doc in stream.run.stream_resources()}
    stream_datum = [
        _stream_datum(stream.run.stream_datum(d["uid"]), data_keys, d["uid"])
        for d in stream.descriptors
    ]
    return StreamTable(pages, stream_datum, _rows_by_seq_num(times, seqs, owners, stream_datum))
