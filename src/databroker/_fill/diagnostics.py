"""Where a run's external files are, after root_map, and whether they exist."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .paths import ResolvedPath, resource_location, stream_resource_location

__all__ = ["ExternalFileReport", "format_reports", "report_external_file"]


@dataclass(frozen=True)
class ExternalFileReport:
    """The resolved location of one Resource's or StreamResource's files."""

    #: ``'resource'`` or ``'stream_resource'``.
    kind: str
    uid: str
    #: The Resource ``spec`` or StreamResource ``mimetype``.
    spec: str
    location: ResolvedPath
    #: The files the handler reports (empty if it could not say).
    files: tuple[str, ...]
    #: Those of ``files`` (or the resolved path itself) that do not exist.
    missing: tuple[str, ...]
    #: Why the file list could not be obtained, if it could not.
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when every file exists."""
        return not self.missing and self.problem is None


def report_external_file(
    doc: Mapping[str, Any], root_map: Mapping[str, str], loader: Any
) -> ExternalFileReport:
    """Resolve one (stream) resource and check its files, using ``loader.get_file_list``."""
    is_stream = "mimetype" in doc
    location = (stream_resource_location if is_stream else resource_location)(doc, root_map)
    problem = None
    try:
        files: Sequence[str] = loader.get_file_list(doc)
    except Exception as error:  # a diagnostic reports every failure instead of raising
        files = ()
        problem = f"{type(error).__name__}: {error}"
    checked = list(files) or [location.path]
    return ExternalFileReport(
        kind="stream_resource" if is_stream else "resource",
        uid=doc["uid"],
        spec=doc["mimetype"] if is_stream else doc["spec"],
        location=location,
        files=tuple(files),
        missing=tuple(path for path in checked if not os.path.exists(path)),
        problem=problem,
    )


def format_reports(reports: Sequence[ExternalFileReport]) -> str:
    """Render reports as text, one block per (stream) resource."""
    if not reports:
        return "This run has no external files."
    lines = []
    for report in reports:
        status = "ok" if report.ok else "MISSING" if report.missing else "UNKNOWN"
        lines.append(f"{report.kind} {report.uid} ({report.spec}): {status}")
        lines.append(f"    resolved path: {report.location.path}")
        lines.append(f"    from {report.location.describe()}")
        lines.append(f"    {len(report.files)} file(s), {len(report.missing)} missing")
        lines.extend(f"    missing: {path}" for path in report.missing[:5])
        if len(report.missing) > 5:
            lines.append(f"    ... and {len(report.missing) - 5} more missing")
        if report.problem:
            lines.append(f"    could not list files: {report.problem}")
    return "\n".join(lines)
