"""How catalogs, runs and streams show themselves in terminals and notebooks.

Every function here reads only what a summary needs: start and stop documents, descriptors
and event *counts* (``RunStore.event_count``), never events, datum or cached pages, so a
display costs the same for a 10-event run and a 1,000,000-event one and stays within
:data:`MAX_LINES` lines of text. Times are shown as local wall-clock time (the process's
``TZ``), with millisecond precision.

The summaries (:class:`RunSummary`, :class:`StreamSummary`, and
:class:`~databroker._intake.catalog_display.CatalogSummary` for catalogs) render
to plain text (``.text()``) and escaped HTML (``.html()``). :class:`RichDisplay` gives a class
IPython's ``_repr_pretty_``, ``_repr_html_`` and ``_repr_mimebundle_`` from one summary, and
hides intake's ``_ipython_display_`` (which would dump the object's internals as YAML).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from .._documents.datakeys import declared_shape, is_datum_field, is_stream_field
from .._runs.reader import RunReader
from .._stores.base import Doc

__all__ = [
    "MAX_LINES",
    "REPR_FAILURE",
    "RichDisplay",
    "RunSummary",
    "StreamSummary",
    "format_duration",
    "format_time",
    "safe_html",
    "safe_text",
    "summarize_run",
    "summarize_stream",
]

#: Shown instead of a display that raised (the text the 1.x run repr used).
REPR_FAILURE = "*REPR RENDERING FAILURE*"
#: The most lines a text display has, whatever the run or catalog.
MAX_LINES = 40
#: The widest any value is shown (longer ones end in an ellipsis).
_MAX_VALUE = 60
#: How many streams / fields per stream the HTML display lists at most.
_MAX_HTML_STREAMS = 30
_MAX_HTML_FIELDS = 40


class Summary(Protocol):
    """What :class:`RichDisplay` renders."""

    def text(self) -> str: ...

    def html(self) -> str: ...


# -- values -------------------------------------------------------------------------------


def format_time(value: Any, *, milliseconds: bool = True) -> str:
    """Return epoch seconds as local ``YYYY-MM-DD HH:MM:SS[.mmm]``, or ``'?'`` if missing."""
    if not isinstance(value, int | float) or value != value:
        return "?"
    seconds = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
    if not milliseconds:
        return seconds
    return f"{seconds}.{round((value % 1) * 1000) % 1000:03d}"


def _zone(value: Any) -> str:
    if not isinstance(value, int | float) or value != value:
        return ""
    return time.strftime("%Z", time.localtime(value))


def format_duration(seconds: Any) -> str:
    """Return a duration as ``'8.877 s'``, ``'12 min 3 s'`` or ``'3 h 5 min'`` (``'?'``)."""
    if not isinstance(seconds, int | float) or seconds != seconds:
        return "?"
    if seconds < 60:
        return f"{seconds:.3f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def _short(value: Any, width: int = _MAX_VALUE) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _esc(value: Any) -> str:
    return html.escape(_short(value))


def _duration(start: Doc, stop: Doc | None) -> float | None:
    begin, end = start.get("time"), (stop or {}).get("time")
    if isinstance(begin, int | float) and isinstance(end, int | float):
        return float(end - begin)
    return None


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# -- runs and streams ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSummary:
    """One data key of a stream: name, dtype, shape, and whether its data is external."""

    name: str
    dtype: str
    shape: str
    external: bool

    @classmethod
    def of(cls, name: str, data_key: Mapping[str, Any]) -> FieldSummary:
        dtype_numpy = data_key.get("dtype_numpy")
        dtype = str(data_key.get("dtype", "?"))
        if isinstance(dtype_numpy, str) and dtype_numpy:
            try:
                import numpy

                dtype = numpy.dtype(dtype_numpy).name
            except TypeError:
                dtype = dtype_numpy
        shape = "(" + ", ".join("?" if n is None else str(n) for n in declared_shape(data_key))
        shape += ",)" if len(data_key.get("shape") or ()) == 1 else ")"
        external = is_datum_field(data_key) or is_stream_field(data_key)
        return cls(name, dtype, shape, external)

    def cells(self) -> list[str]:
        return [self.name, self.dtype, self.shape, "external" if self.external else ""]


@dataclass(frozen=True)
class StreamSummary:
    """A stream's name, row count and fields, as one run's descriptors declare them."""

    title: str
    name: str
    rows: int
    from_stream_datum: bool
    fields: list[FieldSummary]

    def headline(self) -> str:
        noun = "row" if self.from_stream_datum else "event"
        return f"{_count(self.rows, noun)}, {_count(len(self.fields), 'field')}"

    def field_lines(self, limit: int, indent: str) -> list[str]:
        rows = [f.cells() for f in self.fields[: max(limit, 0)]]
        return [indent + line for line in _text_table(rows)]

    def text(self) -> str:
        budget = MAX_LINES - 2
        shown = "" if len(self.fields) <= budget else f" (first {budget} shown)"
        lines = [self.title, f"  {self.headline()}{shown}:", *self.field_lines(budget, "    ")]
        return "\n".join(lines)

    def fields_html(self) -> str:
        rows = "".join(
            "<tr>" + "".join(f"<td>{_esc(cell)}</td>" for cell in f.cells()) + "</tr>"
            for f in self.fields[:_MAX_HTML_FIELDS]
        )
        more = len(self.fields) - _MAX_HTML_FIELDS
        if more > 0:
            rows += f"<tr><td colspan='4'>… {_count(more, 'more field')}</td></tr>"
        return f"<table>{rows}</table>"

    def html(self) -> str:
        return (
            f"<div><b>{_esc(self.title)}</b><br>{html.escape(self.headline())}"
            f"{self.fields_html()}</div>"
        )


def summarize_stream(
    reader: RunReader,
    stream_name: str,
    *,
    title: str = "",
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
) -> StreamSummary:
    """Summarize one stream from its descriptors and event counts (no events are read).

    ``include`` / ``exclude`` keep only / drop those fields, as the stream's reading does.
    """
    view = reader.view
    descriptors = view.stream_descriptors(stream_name)
    fields: dict[str, FieldSummary] = {}
    events = datum_rows = 0
    for descriptor in descriptors:
        for name, data_key in descriptor.get("data_keys", {}).items():
            fields.setdefault(name, FieldSummary.of(name, data_key))
        if any(is_stream_field(k) for k in descriptor.get("data_keys", {}).values()):
            for datum in view.stream_datum(descriptor["uid"]):
                seq_nums = datum.get("seq_nums") or {}
                datum_rows += int(seq_nums.get("stop", 0)) - int(seq_nums.get("start", 0))
    events = reader.recorded_event_count(stream_name)
    if include is not None:
        fields = {name: f for name, f in fields.items() if name in include}
    if exclude is not None:
        fields = {name: f for name, f in fields.items() if name not in exclude}
    from_datum = datum_rows > events
    title = title or f"Stream {stream_name!r} of run {reader.uid}"
    return StreamSummary(
        title, stream_name, max(events, datum_rows), from_datum, [*fields.values()]
    )


@dataclass(frozen=True)
class RunSummary:
    """What a run display shows: identity, times, exit status, and its streams."""

    title: str
    start: Doc
    stop: Doc | None
    streams: list[StreamSummary]
    #: Extra documents to list key by key in HTML (the v1 Header shows start and stop).
    documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def facts(self) -> list[tuple[str, str]]:
        stop = self.stop or {}
        start_time, stop_time = self.start.get("time"), stop.get("time")
        duration = _duration(self.start, self.stop)
        return [
            ("uid", str(self.start.get("uid"))),
            ("scan_id", _short(self.start.get("scan_id"))),
            ("plan_name", _short(self.start.get("plan_name"))),
            ("start", f"{format_time(start_time)} {_zone(start_time)}".strip()),
            ("stop", f"{format_time(stop_time)} {_zone(stop_time)}".strip()),
            ("duration", format_duration(duration) if self.stop else "running"),
            ("exit_status", _short(stop.get("exit_status", "?"))),
        ]

    def text(self) -> str:
        facts = dict(self.facts())
        stop = self.stop or {}
        running = "" if self.stop else "  (no stop document yet)"
        head = [
            self.title,
            f"  uid={self.start.get('uid')!r}",
            f"  scan_id={_short(self.start.get('scan_id'))}"
            f"  plan_name={_short(repr(self.start.get('plan_name')))}",
            f"  exit_status={stop.get('exit_status', '?')!r}{running}",
            f"  {format_time(self.start.get('time'))} -- {format_time(stop.get('time'))}"
            f" {_zone(self.start.get('time'))}  ({facts['duration']})",
            "  Streams:",
        ]
        return "\n".join(head + self._stream_lines(MAX_LINES - len(head)))

    def _stream_lines(self, budget: int) -> list[str]:
        streams = self.streams
        shown = streams if len(streams) <= budget else streams[: budget - 1]
        spare = budget - len(shown) - (len(shown) < len(streams))  # the "... more" line
        allotted = _share(spare, [len(s.fields) for s in shown])
        lines = []
        for stream, n in zip(shown, allotted, strict=True):
            more = "" if n >= len(stream.fields) else f" ({n} shown)"
            lines.append(f"    * {stream.name}: {stream.headline()}{more}")
            lines += stream.field_lines(n, "        ")
        if len(shown) < len(streams):
            rest = ", ".join(s.name for s in streams[len(shown) :])
            lines.append(_short(f"    ... and {len(streams) - len(shown)} more: {rest}", 78))
        return lines

    def html(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{_esc(v)}</td></tr>"
            for k, v in self.facts()
        )
        streams = "".join(
            f"<tr><td>{_esc(s.name)}</td><td>{html.escape(s.headline())}</td>"
            f"<td>{s.fields_html()}</td></tr>"
            for s in self.streams[:_MAX_HTML_STREAMS]
        )
        if len(self.streams) > _MAX_HTML_STREAMS:
            more = len(self.streams) - _MAX_HTML_STREAMS
            streams += f"<tr><td colspan='3'>… {_count(more, 'more stream')}</td></tr>"
        rows += (
            f"<tr><th style='text-align:left'>streams</th><td><table>{streams}</table></td></tr>"
        )
        for name, doc in self.documents.items():
            rows += f"<tr><th colspan='2' style='text-align:left'>{html.escape(name)}</th></tr>"
            rows += "".join(
                f"<tr><td>{_esc(key)}</td><td>{_esc(value)}</td></tr>"
                for key, value in islice(dict(doc).items(), MAX_LINES)
            )
        return f"<table><caption><b>{_esc(self.title)}</b></caption>{rows}</table>"


def _share(budget: int, wants: Sequence[int]) -> list[int]:
    """Deal ``budget`` lines one at a time to each stream in turn, up to what it wants."""
    got = [0] * len(wants)
    while budget > 0 and any(g < w for g, w in zip(got, wants, strict=True)):
        for i, want in enumerate(wants):
            if budget > 0 and got[i] < want:
                got[i] += 1
                budget -= 1
    return got


def summarize_run(
    reader: RunReader,
    *,
    title: str = "BlueskyRun",
    documents: Mapping[str, Mapping[str, Any]] | None = None,
) -> RunSummary:
    """Summarize a run from its start, stop, descriptors and event counts."""
    view = reader.view
    streams = [summarize_stream(reader, name) for name in view.stream_names()]
    return RunSummary(title, view.start(), view.stop(), streams, dict(documents or {}))


# -- text tables ---------------------------------------------------------------------------


def _text_table(rows: Iterable[Sequence[str]], header: Sequence[str] | None = None) -> list[str]:
    """Left-aligned columns two spaces apart; numbers right-aligned; trailing space trimmed."""
    table = [list(header)] if header else []
    table += [list(row) for row in rows]
    if not table:
        return []
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    numeric = [
        all(row[i].lstrip("-").isdigit() for row in table[1 if header else 0 :] if row[i])
        for i in range(len(widths))
    ]
    return [
        "  ".join(
            cell.rjust(w) if num else cell.ljust(w)
            for cell, w, num in zip(row, widths, numeric, strict=True)
        ).rstrip()
        for row in table
    ]


# -- IPython -------------------------------------------------------------------------------


def safe_text(summarize: Callable[[], Summary]) -> str:
    """Return ``summarize().text()``, or :data:`REPR_FAILURE` if that raises."""
    try:
        return summarize().text()
    except Exception:
        return REPR_FAILURE


def safe_html(summarize: Callable[[], Summary]) -> str:
    """Return ``summarize().html()``, or :data:`REPR_FAILURE` in a ``<pre>`` if that raises."""
    try:
        return summarize().html()
    except Exception:
        return f"<pre>{REPR_FAILURE}</pre>"


class RichDisplay:
    """Mixin: IPython reprs built from ``self._summary()``, in front of intake's display.

    IPython's display formatter calls ``_ipython_display_`` first and, if present, nothing
    else; intake's dumps the object's internals as YAML. It is set to None here so that
    IPython uses ``_repr_mimebundle_`` (text and HTML from one summary), and
    ``IPython.lib.pretty`` (lists of runs, ``%pprint``) uses ``_repr_pretty_``. pretty takes
    the first ``_repr_pretty_`` or ``__repr__`` it meets along the MRO, so a class that
    defines ``__repr__`` also binds ``_repr_pretty_ = RichDisplay._repr_pretty_``.
    """

    _ipython_display_ = None

    def _summary(self) -> Summary:
        raise NotImplementedError

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self) if cycle else safe_text(self._summary))

    def _repr_html_(self) -> str:
        return safe_html(self._summary)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        try:
            summary = self._summary()
        except Exception:
            bundle = {"text/plain": REPR_FAILURE, "text/html": f"<pre>{REPR_FAILURE}</pre>"}
        else:
            bundle = {
                "text/plain": safe_text(lambda: summary),
                "text/html": safe_html(lambda: summary),
            }
        return {
            mime: data
            for mime, data in bundle.items()
            if (not include or mime in include) and (not exclude or mime not in exclude)
        }
