"""Results: one :class:`Row` per measurement, its target, and the table printed at the end."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Row", "Sample", "Target", "format_table", "rows_as_json"]


@dataclass(frozen=True)
class Sample:
    """Repeated values of one measurement: seconds, bytes for memory rows, or a number of
    database queries."""

    values: tuple[float, ...]
    unit: Literal["s", "B", "queries"] = "s"

    @property
    def best(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)


@dataclass(frozen=True)
class Target:
    """A goal from the issue: a ratio to the floor, or an absolute time in seconds."""

    kind: Literal["ratio", "seconds"]
    limit: float

    def describe(self) -> str:
        if self.kind == "ratio":
            return f"≤ {self.limit:g}x"
        return f"≤ {_format(self.limit, 's')}"


@dataclass
class Row:
    """One line of the report.

    Attributes
    ----------
    workload : str
        What was measured, e.g. ``"wide read()"``.
    backend : str
        The backend, or ``"-"`` when none applies.
    measured : Sample or None
        databroker's timings (None when it failed).
    floor : Sample or None
        The floor's timings, or the reference size for memory rows.
    target : Target or None
        The goal, if the issue sets one.
    error : str or None
        Why a result check (or the call itself) failed.
    """

    workload: str
    backend: str
    measured: Sample | None = None
    floor: Sample | None = None
    target: Target | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Row-specific details (memory rows: ``floor_peak``, the floor read's peak in bytes)."""

    @property
    def ratio(self) -> float | None:
        """Median over the floor's median (memory rows: peak over dataset size)."""
        if self.measured is None or self.floor is None or self.floor.median <= 0:
            return None
        return self.measured.median / self.floor.median

    @property
    def verdict(self) -> str:
        """``FAILED`` (wrong result), ``pass``, ``miss``, or ``-`` without a target."""
        if self.error is not None:
            return "FAILED"
        if self.target is None or self.measured is None:
            return "-"
        value = self.ratio if self.target.kind == "ratio" else self.measured.median
        if value is None:
            return "-"
        return "pass" if value <= self.target.limit else "miss"

    @property
    def miss_factor(self) -> float:
        """How far over the target the row is (1.0 or less when it passes)."""
        if self.target is None or self.measured is None or self.error is not None:
            return 0.0
        value = self.ratio if self.target.kind == "ratio" else self.measured.median
        return (value or 0.0) / self.target.limit


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "B":
        return f"{value / 1e6:.1f} MB"
    if unit == "queries":
        return f"{value:.0f} queries"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"


def _cells(row: Row) -> list[str]:
    unit = row.measured.unit if row.measured else "s"
    ratio = row.ratio
    return [
        row.workload,
        row.backend,
        _format(row.measured.best if row.measured else None, unit),
        _format(row.measured.median if row.measured else None, unit),
        _format(row.floor.median if row.floor else None, row.floor.unit if row.floor else unit),
        "-" if ratio is None else f"{ratio:.2f}x",
        row.target.describe() if row.target else "-",
        row.verdict,
    ]


def format_table(rows: Iterable[Row]) -> str:
    """Return the rows as a Markdown table (pasteable into docs/performance.md)."""
    rows = list(rows)
    header = ["workload", "backend", "best", "median", "floor", "ratio", "target", "result"]
    lines = [header, ["---"] * len(header)] + [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = []
    for line in lines:
        if line[0] == "---":
            line = ["-" * width for width in widths]
        text.append(
            "| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |"
        )
    floor_peaks = [row for row in rows if "floor_peak" in row.extra]
    if floor_peaks:
        text.append("")
    for row in floor_peaks:
        peak = _format(row.extra["floor_peak"], "B")
        text.append(f"{row.workload} [{row.backend}]: the floor's read peaks at {peak}")
    failures = [row for row in rows if row.error]
    for row in failures:
        text.append(f"\nFAILED {row.workload} [{row.backend}]: {row.error}")
    return "\n".join(text)


def rows_as_json(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Return the rows as plain data (for ``--json``), with ratio and verdict included."""
    return [{**asdict(row), "ratio": row.ratio, "verdict": row.verdict} for row in rows]
