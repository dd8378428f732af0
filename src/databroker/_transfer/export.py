"""Copy a run's documents into a serializer, moving its external files to a new root."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import quote

from .._documents.classes import unpack_datum_page, unpack_event_page
from .._fill.paths import stream_resource_location
from ..errors import InvalidArgument

__all__ = [
    "CopyFiles",
    "SourceRun",
    "copy_run",
    "external_size",
    "plain_documents",
    "reroot_stream_resource",
]

Pairs = list[tuple[str, str]]


class CopyFiles(Protocol):
    """Copies a resource's files under a new root and returns ``(old, new)`` paths."""

    def __call__(
        self, resource: Mapping[str, Any], new_root: str, *, run_start_uid: str | None = None
    ) -> Pairs:
        """Copy the files of ``resource`` (of run ``run_start_uid``) under ``new_root``."""


class SourceRun(Protocol):
    """What copying needs of a run: its uid, its documents and its files."""

    @property
    def uid(self) -> str:
        """The run's start uid."""

    def documents(self, *, fill: str, strict_order: bool = True) -> Iterator[tuple[str, Any]]:
        """Yield ``(name, doc)`` for every document of the run."""

    def get_file_list(self, resource: Any) -> list[str]:
        """Return the paths (after root_map) of the files of a (Stream)Resource."""


def plain_documents(run: SourceRun) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield a run's documents, unfilled, as plain mutable dicts with pages unpacked.

    Parameters
    ----------
    run
        The run to read.

    Yields
    ------
    (str, dict)
        ``(name, doc)`` in the run's document order; event and datum pages come out as
        single ``event`` and ``datum`` documents.
    """
    for name, doc in run.documents(fill="no", strict_order=True):
        if name == "event_page":
            for event in unpack_event_page(doc):
                yield "event", event
        elif name == "datum_page":
            for datum in unpack_datum_page(doc):
                yield "datum", datum
        else:
            yield name, doc.to_dict()


def reroot_stream_resource(
    doc: dict[str, Any], run_uid: str, new_root: str, copy_files: CopyFiles
) -> Pairs:
    """Copy a StreamResource's files under ``new_root`` and point the document there.

    Parameters
    ----------
    doc
        The StreamResource, changed in place: ``uri`` (or, for documents written before
        ``uri`` existed, ``root``) names the new place.
    run_uid
        The run being copied (StreamResources need not name their run).
    new_root
        Destination root directory.
    copy_files
        Does the copying.

    Returns
    -------
    list of (str, str)
        ``(old_path, new_path)`` of every copied file.
    """
    if doc.get("uri") is None:  # written before ``uri`` existed: root + resource_path
        pairs = copy_files(doc, new_root, run_start_uid=run_uid)
        doc["root"] = new_root
        return pairs
    stored = stream_resource_location(doc, {}).stored
    # Paths are kept relative to the directory holding the uri's target, so one HDF5 file
    # and a directory of TIFF files both land under new_root with their own names.
    parent = posixpath.dirname(stored.rstrip("/")) or "/"
    pairs = copy_files({**doc, "root": parent}, new_root, run_start_uid=run_uid)
    moved = posixpath.join(os.path.abspath(new_root), posixpath.relpath(stored, parent))
    doc["uri"] = "file://localhost" + quote(moved)
    return pairs


def copy_run(
    run: SourceRun,
    serializer: Callable[[str, dict[str, Any]], Any],
    *,
    new_root: str | None = None,
    copy_files: CopyFiles | None = None,
) -> Pairs:
    """Send a run's documents to ``serializer``, copying external files when ``new_root`` is set.

    Each Resource's files are copied (and its ``root`` rewritten) before the Resource is
    written, so a failed copy leaves no document pointing at a missing file.

    Parameters
    ----------
    run
        The run to copy.
    serializer
        ``serializer(name, doc)`` for each document, pages unpacked (see
        :func:`plain_documents`).
    new_root
        Where external files go; None leaves them (and the documents' paths) alone.
    copy_files
        Copies one resource's files; required with ``new_root``. A Resource is passed
        as stored (its own ``run_start`` names the run); a StreamResource with
        ``run_start_uid`` set to the run's uid.

    Returns
    -------
    list of (str, str)
        ``(old_path, new_path)`` of every copied file.

    Raises
    ------
    InvalidArgument
        (a ``TypeError``) if ``new_root`` is given without ``copy_files``.
    """
    if new_root is not None and copy_files is None:
        raise InvalidArgument("copy_run(new_root=...) needs copy_files= to copy the files.")
    pairs: Pairs = []
    for name, doc in plain_documents(run):
        if new_root is not None and copy_files is not None:
            if name == "resource":
                pairs.extend(copy_files(doc, new_root))
                doc["root"] = new_root
            elif name == "stream_resource":
                pairs.extend(reroot_stream_resource(doc, run.uid, new_root, copy_files))
        serializer(name, doc)
    return pairs


def external_size(runs: Iterable[SourceRun]) -> int:
    """Return the total size in bytes of every external file of ``runs``.

    Parameters
    ----------
    runs
        Runs whose Resources and StreamResources are measured through ``get_file_list``.

    Returns
    -------
    int
        Bytes.
    """
    total = 0
    for run in runs:
        for name, doc in run.documents(fill="no", strict_order=True):
            if name in ("resource", "stream_resource"):
                total += sum(os.path.getsize(path) for path in run.get_file_list(doc))
    return total
