"""The rows of a stream: every event page read once, and the row order of rules 3 and 4."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._fill import is_stream_field
from ..errors import DatabrokerWarning, InvalidEventType, MissingEventData
from .checks import check_descriptor, describe_run, page_column, page_values
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
    #: The number of events of each page (its ``time`` list's length, checked).
    page_lengths: list[int]
    #: The uid of each descriptor index.
    descriptor_uids: list[str]
    #: The run (and file) for messages, as :func:`~databroker._assemble.checks.describe_run`.
    place: str


def _concat(arrays: list[np.ndarray], dtype: str) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype)


def _stream_datum(
    docs: Sequence[Doc], data_keys: Mapping[str, str], descriptor_uid: str, place: str
) -> list[StreamDatumRange]:
    """Convert stored StreamDatum, repairing never-filled ``seq_nums`` placeholders.

    ``data_keys`` maps StreamResource uid to its ``data_key``.
    """
    next_seq: dict[str, int] = {}
    ranges = []
    for doc in docs:
        try:
            data_key = data_keys.get(doc["stream_resource"], "")
            indices, seq_nums = doc["indices"], doc["seq_nums"]
            index_start, length = int(indices["start"]), int(indices["stop"] - indices["start"])
            start = int(seq_nums["start"])
            placeholder = seq_nums["start"] == seq_nums["stop"] == 0
        except KeyError as err:
            raise MissingEventData(
                f"StreamDatum {doc.get('uid')!r} of descriptor {descriptor_uid!r} in {place} "
                f"lacks {err}."
            ) from None
        except (TypeError, ValueError, OverflowError) as err:
            raise InvalidEventType(
                f"StreamDatum {doc.get('uid')!r} of descriptor {descriptor_uid!r} in {place} "
                f"has malformed indices or seq_nums ({type(err).__name__}: {err})."
            ) from None
        if placeholder and length > 0:
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
                index_start=index_start,
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


def _page_time(page: Any, uid: str, place: str) -> np.ndarray:
    """Return a page's ``time`` values (their count is the page's number of events)."""
    if not isinstance(page, Mapping):
        raise InvalidEventType(
            f"An event page of descriptor {uid!r} in {place} is {type(page).__name__}, "
            f"not a mapping."
        )
    length = len(page_values(page, "time", uid, place))
    return page_column(page, "time", np.float64, length, uid, place)


def read_stream_table(stream: StreamData) -> StreamTable:
    """Read every event page (and StreamDatum) of the stream and order its rows.

    Raises
    ------
    MissingEventData, InvalidEventType, InvalidEventData
        When a descriptor has no usable ``data_keys``, or a page's ``time`` / ``seq_num`` is
        missing, of the wrong length, or holds a value that is not a number (naming the
        event, the descriptor and the run).
    """
    place = describe_run(stream.run)
    for descriptor in stream.descriptors:
        check_descriptor(descriptor, place)
    uids = [str(descriptor.get("uid")) for descriptor in stream.descriptors]
    pages: list[tuple[int, Doc]] = []
    for index, descriptor in enumerate(stream.descriptors):
        pages.extend((index, page) for page in stream.run.event_pages(descriptor["uid"]))
    page_times = [_page_time(page, uids[owner], place) for owner, page in pages]
    lengths = [len(values) for values in page_times]
    times = _concat(page_times, "float64")
    seq_arrays = [
        page_column(page, "seq_num", np.int64, length, uids[owner], place)
        for (owner, page), length in zip(pages, lengths, strict=True)
    ]
    seqs = _concat(seq_arrays, "int64")
    owners = _concat(
        [np.full(n, i, dtype=np.intp) for (i, _), n in zip(pages, lengths, strict=True)], "intp"
    )
    has_stream_keys = any(
        is_stream_field(data_key)
        for descriptor in stream.descriptors
        for data_key in descriptor["data_keys"].values()
    )
    if not has_stream_keys:
        rows = _rows_by_time(times, seqs, owners)
        return StreamTable(pages, [[] for _ in uids], rows, lengths, uids, place)
    data_keys = {doc["uid"]: doc["data_key"] for doc in stream.run.stream_resources()}
    stream_datum = [
        _stream_datum(stream.run.stream_datum(d["uid"]), data_keys, d["uid"], place)
        for d in stream.descriptors
    ]
    rows = _rows_by_seq_num(times, seqs, owners, stream_datum)
    return StreamTable(pages, stream_datum, rows, lengths, uids, place)
