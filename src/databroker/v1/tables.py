"""``get_table``: one stream of one or more runs as a ``pandas.DataFrame``.

Built from event pages, column by column, in one pass over each run's documents.
Imported only by ``Broker.get_table``, so importing pandas at module level here does not make
``import databroker`` heavy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas

from .._query.time import local_zone_name
from .fields import Selection, normalize_fields, select
from .stream_fields import StreamFieldValues, stream_keys
from .unknown_names import NameCheck

if TYPE_CHECKING:
    from .header import Header

__all__ = ["get_table"]


def _column(chunks: Sequence[Any]) -> np.ndarray:
    """Concatenate per-page value lists into one 1-D column.

    Scalars keep their numpy type (integers stay integers); arrays, strings, mixed values and
    None go into an object column holding one value per row.
    """
    # Columns kept as numpy arrays are taken as the stored lists of plain values would be.
    chunks = [_as_stored(chunk) for chunk in chunks]
    try:
        parts = [np.asarray(chunk) for chunk in chunks]
    except ValueError:  # ragged arrays inside one page
        parts = None
    if parts is not None and all(p.ndim == 1 and p.dtype.kind not in "OUS" for p in parts):
        return np.concatenate(parts) if parts else np.empty(0)
    values = [value for chunk in chunks for value in chunk]
    column = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):  # item by item: equal-shape arrays must not broadcast
        column[i] = value
    return column


#: Array types that a list of their plain values converts back to unchanged.
_PLAIN_DTYPES = frozenset(np.dtype(t) for t in ("float64", "int64", "bool", "complex128"))


def _as_stored(chunk: Any) -> Any:
    """A page column as documents() stores it: an array other than a 1-D column of plain
    numbers becomes its list of values (so cells and dtypes are as from stored lists)."""
    if isinstance(chunk, np.ndarray) and (chunk.ndim != 1 or chunk.dtype not in _PLAIN_DTYPES):
        return chunk.tolist()
    return chunk


def _block(
    descriptor: Mapping[str, Any],
    pages: list[Mapping[str, Any]],
    selection: Selection,
    selecting: bool,
    stream_values: StreamFieldValues | None,
) -> pandas.DataFrame | None:
    """The rows of one descriptor, ordered by event time; None when it has no events, or
    when ``fields`` (``selecting``) leaves them no data.

    ``stream_values`` (given when filling) supplies the ``STREAM:`` columns.
    """
    pages = [page for page in pages if len(page["uid"])]
    if not pages:
        return None
    times = np.concatenate([np.asarray(page["time"], dtype=float) for page in pages])
    order = np.argsort(times, kind="stable")
    stored_seq_nums = _column([page["seq_num"] for page in pages])
    seq_nums = stored_seq_nums[order]
    columns: dict[str, Any] = {"time": times[order]}
    filled = stream_keys(descriptor, selection.keys) if stream_values is not None else []
    for key in selection.keys:
        if stream_values is not None and key in filled:
            values = stream_values.column(key, descriptor["uid"], stored_seq_nums)
            columns[key] = _column([values])[order]
            continue
        # STREAM: keys unfilled (and keys absent from every page) have no values in events.
        if not any(key in page["data"] for page in pages):
            continue
        chunks = [page["data"].get(key, [None] * len(page["uid"])) for page in pages]
        columns[key] = _column(chunks)[order]
    rows = len(times)
    for key, (value, _) in selection.extras.items():
        if key not in columns:  # a start/stop key named 'time' must not replace event times
            columns[key] = _column([[value] * rows])
    if selecting and len(columns) == 1:
        return None  # as in get_events: events that fields= leaves without data are dropped
    return pandas.DataFrame(columns, index=pandas.Index(seq_nums, name="seq_num"))


def _stream_values(
    run: Any,
    stream_name: str,
    descriptors: list[Mapping[str, Any]],
    selections: Mapping[str, Selection],
) -> StreamFieldValues | None:
    """A reader of the selected ``STREAM:`` fields of the stream, or None if there are none."""

    def keys_of(descriptor: Mapping[str, Any]) -> list[str]:
        return selections[descriptor["uid"]].keys

    if not any(stream_keys(d, keys_of(d)) for d in descriptors):
        return None
    return StreamFieldValues(run, stream_name, keys_of)


def _header_blocks(
    header: Header, stream_name: str, fields: list[str] | None, fill: bool, check: NameCheck
) -> list[pandas.DataFrame]:
    run = header._run
    descriptors: list[Mapping[str, Any]] = []
    pages: dict[str, list[Mapping[str, Any]]] = {}
    streams: set[str] = set()
    stop = None
    # One pass; strict_order=False keeps pages whole, which is all a columnar table needs.
    # Unfilled pages as kept (numpy columns) when the run can give them: not converted to
    # lists for documents() only to be converted back here.
    reader = getattr(run, "reader", None)
    documents = (
        reader.documents(fill="no", strict_order=False, as_stored=False)
        if not fill and reader is not None
        else run.documents(fill="yes" if fill else "no", strict_order=False)
    )
    for name, doc in documents:
        if name == "descriptor":
            streams.add(doc.get("name") or "primary")
            if (doc.get("name") or "primary") == stream_name:
                descriptors.append(doc)
                pages[doc["uid"]] = []
        elif name == "event_page" and doc["descriptor"] in pages:
            pages[doc["descriptor"]].append(doc)
        elif name == "stop":
            stop = doc
    start = run.metadata["start"]
    check.add_run(start.get("uid", "?"), streams, complete=stop is not None)
    descriptors.sort(key=lambda d: d.get("time", 0.0))
    selections = {d["uid"]: select(fields, d, start, stop) for d in descriptors}
    for descriptor in descriptors:
        check.add_selection(descriptor, selections[descriptor["uid"]])
    # STREAM: fields come from the v2 assembly, which reads the stream's pages once more.
    values = _stream_values(run, stream_name, descriptors, selections) if fill else None
    selecting = fields is not None
    try:
        blocks = [
            _block(d, pages[d["uid"]], selections[d["uid"]], selecting, values) for d in descriptors
        ]
    finally:
        if values is not None:
            values.close()
    return [block for block in blocks if block is not None]


def _convert_times(
    times: pandas.Series, convert_times: bool, localize_times: bool, timezone: str | None
) -> pandas.Series:
    if not convert_times and not localize_times:
        return times
    utc = pandas.to_datetime(times, unit="s", utc=True)
    if not localize_times:
        return utc.dt.tz_localize(None)
    return utc.dt.tz_convert(timezone or local_zone_name()).dt.tz_localize(None)


def get_table(
    headers: list[Header],
    stream_name: str = "primary",
    fields: Iterable[str] | None = None,
    fill: bool = False,
    convert_times: bool = True,
    timezone: str | None = None,
    localize_times: bool = True,
) -> pandas.DataFrame:
    """Return one stream of ``headers`` as a DataFrame indexed by ``seq_num``.

    Parameters
    ----------
    headers
        The runs, in output order.
    stream_name
        The stream to tabulate.
    fields
        See :func:`databroker.v1.fields.select`; matching configuration, start and stop keys
        become constant columns after the data columns.
    fill
        Load external data (columns of numpy arrays) instead of datum ids; ``STREAM:``
        fields, which have no column otherwise, become columns read through the StreamDatum
        of each row's seq_num (NaN arrays where none covers it, as in ``read()``).
    convert_times, localize_times, timezone
        ``time`` as tz-naive wall-clock time in ``timezone`` (default: the local zone), as
        tz-naive UTC (``localize_times=False``), or as float epoch seconds (both False).

    Returns
    -------
    pandas.DataFrame
        One block per descriptor (by time) per header, concatenated; ``pandas.DataFrame()``
        when there are no rows.

    Raises
    ------
    InvalidQuery
        If a ``fields`` entry is not a valid regular expression (a ``ValueError``).

    Warns
    -----
    DatabrokerWarning
        If no header (all finished) has the stream, or a ``fields`` entry names nothing in
        the stream of any header; the message lists the streams or data keys that exist.
    """
    entries = normalize_fields(fields)
    check = NameCheck(stream_name, entries)
    blocks = [
        block for h in headers for block in _header_blocks(h, stream_name, entries, fill, check)
    ]
    check.warn()
    if not blocks:
        return pandas.DataFrame()
    table = blocks[0] if len(blocks) == 1 else pandas.concat(blocks)
    table["time"] = _convert_times(table["time"], convert_times, localize_times, timezone)
    return table
