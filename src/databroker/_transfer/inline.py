"""A run with its external data inline, for ``pack(external='fill')``.

Resource/Datum data are filled by the run's Filler (``documents(fill='yes')``).
StreamResource/StreamDatum data are never filled by ``documents()`` (documents.md): here each
StreamDatum's rows are read through the StreamResource's reader and written into the events
of the seq_nums it covers. A StreamDatum row whose seq_num has no event (a fly scan emits
only StreamResource/StreamDatum) has no event to hold it: packing such a run with
``external='fill'`` is a :class:`~databroker.errors.TransferError` naming the run, the
StreamResource and the seq_nums, instead of a bundle pointing at the original files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._documents.classes import unpack_event_page
from ..errors import TransferError

__all__ = ["filled_documents"]

Doc = dict[str, Any]


@dataclass
class _Range:
    """One StreamDatum: rows from ``index_start`` of a StreamResource for seq_nums
    ``[seq_start, seq_stop)``; ``used`` marks the seq_nums an event took."""

    stream_resource: str
    seq_start: int
    seq_stop: int
    index_start: int
    used: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.used = np.zeros(max(self.seq_stop - self.seq_start, 0), dtype=bool)


@dataclass
class _StreamFill:
    """The StreamDatum ranges of one run, per descriptor and data key, and their reader."""

    reader: Any
    ranges: dict[tuple[str, str], list[_Range]] = field(default_factory=dict)
    #: The next seq_num of a ``{start: 0, stop: 0}`` placeholder, per descriptor and key.
    _next: dict[tuple[str, str], int] = field(default_factory=dict)
    _loader: Any = None

    @property
    def loader(self) -> Any:
        if self._loader is None:
            self._loader = self.reader.external_loader()
        return self._loader

    def add(self, datum: Mapping[str, Any]) -> None:
        resource = self.loader.stream_resource(datum["stream_resource"])
        key = (datum["descriptor"], resource["data_key"])
        indices, seq = datum["indices"], datum["seq_nums"]
        rows = indices["stop"] - indices["start"]
        start = seq["start"]
        if seq["start"] == seq["stop"] == 0 and rows > 0:  # a never-replaced placeholder
            start = self._next.get(key, 1)
        self._next[key] = start + rows
        self.ranges.setdefault(key, []).append(
            _Range(resource["uid"], start, start + rows, indices["start"])
        )

    def column(self, descriptor: str, key: str, seq_nums: np.ndarray) -> list[Any]:
        """The values of ``key`` for the events ``seq_nums`` of ``descriptor``."""
        values: list[Any] = [None] * len(seq_nums)
        missing = np.ones(len(seq_nums), dtype=bool)
        for span in self.ranges.get((descriptor, key), []):
            hit = (seq_nums >= span.seq_start) & (seq_nums < span.seq_stop) & missing
            if not hit.any():
                continue
            offsets = seq_nums[hit] - span.seq_start
            span.used[offsets] = True
            first, last = int(offsets.min()), int(offsets.max())
            rows = self.loader.pool.read_stream(
                self.loader.stream_resource(span.stream_resource),
                span.index_start + first,
                span.index_start + last + 1,
            )
            for position, offset in zip(np.flatnonzero(hit), offsets, strict=True):
                values[position] = np.asarray(rows[offset - first])
            missing &= ~hit
        if missing.any():
            raise TransferError(
                f"Cannot pack run {self.reader.uid!r} with external='fill': the events with "
                f"seq_num {seq_nums[missing][:10].tolist()} of descriptor {descriptor!r} have "
                f"no StreamDatum for {key!r}. Pack it with external='copy'."
            )
        return values

    def check_all_used(self) -> None:
        """Raise unless every StreamDatum row went into an event."""
        for (descriptor, key), spans in self.ranges.items():
            for span in spans:
                if span.used.all():
                    continue
                seq_nums = (np.flatnonzero(~span.used) + span.seq_start)[:10].tolist()
                raise TransferError(
                    f"Cannot pack run {self.reader.uid!r} with external='fill': StreamResource "
                    f"{span.stream_resource!r} holds {key!r} for seq_nums {seq_nums} of "
                    f"descriptor {descriptor!r}, which have no event to put the data in (the "
                    "run has StreamDatum without events, as fly scans write). Pack it with "
                    "external='copy' (or 'manifest') to keep the files."
                )

    def close(self) -> None:
        if self._loader is not None:
            self._loader.close()


def _descriptor(plain: Doc) -> tuple[Doc, set[str], set[str]]:
    """The descriptor with inline data keys; its Resource-backed and StreamResource keys."""
    keys = plain["data_keys"] = {k: dict(v) for k, v in plain["data_keys"].items()}
    external = {k: v["external"] for k, v in keys.items() if v.get("external")}
    for key in external:
        keys[key].pop("external")
    stream = {k for k, v in external.items() if v == "STREAM:"}
    return plain, set(external) - stream, stream


def filled_documents(reader: Any) -> Iterator[tuple[str, Doc]]:
    """Yield a run's documents with all external data inline, events one by one.

    No resource, datum, stream_resource or stream_datum documents are left; data keys lose
    ``external``; a StreamResource key's timestamp in an event is the event's time.

    Raises
    ------
    TransferError
        A StreamDatum row has no event to go into, or an event no StreamDatum row.
    """
    datum_keys: dict[str, set[str]] = {}
    stream_keys: dict[str, set[str]] = {}
    streams = _StreamFill(reader)
    try:
        for name, doc in reader.documents(fill="yes"):
            if name in ("resource", "datum", "datum_page", "stream_resource"):
                continue
            if name == "stream_datum":
                streams.add(doc)
                continue
            if name not in ("event", "event_page"):
                plain = doc.to_dict() if hasattr(doc, "to_dict") else dict(doc)
                if name == "descriptor":
                    plain, datum_keys[plain["uid"]], stream_keys[plain["uid"]] = _descriptor(plain)
                if name == "stop":
                    streams.check_all_used()
                yield name, plain
                continue
            yield from _filled_events(name, doc, datum_keys, stream_keys, streams)
        streams.check_all_used()  # a run without a stop
    finally:
        streams.close()


def _filled_events(
    name: str,
    doc: Any,
    datum_keys: Mapping[str, set[str]],
    stream_keys: Mapping[str, set[str]],
    streams: _StreamFill,
) -> Iterator[tuple[str, Doc]]:
    events: list[Doc] = list(unpack_event_page(doc)) if name == "event_page" else [doc.to_dict()]
    if not events:
        return
    descriptor = events[0]["descriptor"]
    keys = sorted(stream_keys.get(descriptor, ()))
    seq_nums = np.array([event["seq_num"] for event in events], dtype=np.int64)
    columns = {key: streams.column(descriptor, key, seq_nums) for key in keys}
    drop = datum_keys.get(descriptor, set())
    for i, event in enumerate(events):
        event = dict(event)
        event["filled"] = {k: v for k, v in dict(event.get("filled", {})).items() if k not in drop}
        if columns:
            event["data"] = {**event["data"], **{k: c[i] for k, c in columns.items()}}
            event["timestamps"] = {
                **event["timestamps"],
                **{k: event["time"] for k in columns},
            }
        yield "event", event
