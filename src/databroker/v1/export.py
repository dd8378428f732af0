"""``export`` and ``export_size``: copying runs (and their files) into another Broker."""

from __future__ import annotations

import os
import posixpath
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .._documents.classes import unpack_datum_page, unpack_event_page
from .._fill.paths import stream_resource_location

if TYPE_CHECKING:
    from .broker import Broker
    from .header import Header

__all__ = ["export", "export_size"]


def _unpacked(run: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """A run's documents (unfilled) as plain mutable dicts, pages unpacked."""
    for name, doc in run.documents(fill="no", strict_order=True):
        if name == "event_page":
            for event in unpack_event_page(doc):
                yield "event", event
        elif name == "datum_page":
            for datum in unpack_datum_page(doc):
                yield "datum", datum
        else:
            yield name, doc.to_dict()


def _copy_stream_resource(
    source_db: Broker,
    run: Any,
    doc: dict[str, Any],
    new_root: str,
    copy_kwargs: Mapping[str, Any],
) -> list[tuple[str, str]]:
    """Copy a StreamResource's files under ``new_root`` and point the document there.

    ``copy_kwargs`` are those of ``Registry.copy_files``, which does the copying.
    """
    # StreamResources need not name their run; the run being exported is theirs.
    kwargs = {"run_start_uid": run.uid, **copy_kwargs}
    if doc.get("uri") is None:  # written before ``uri`` existed: root + resource_path
        pairs = source_db.reg.copy_files(doc, new_root, **kwargs)
        doc["root"] = new_root
        return pairs
    stored = stream_resource_location(doc, {}).stored
    # Paths are kept relative to the directory holding the uri's target, so one HDF5 file
    # and a directory of TIFF files both land under new_root with their own names.
    parent = posixpath.dirname(stored.rstrip("/")) or "/"
    pairs = source_db.reg.copy_files({**doc, "root": parent}, new_root, **kwargs)
    moved = posixpath.join(os.path.abspath(new_root), posixpath.relpath(stored, parent))
    doc["uri"] = "file://localhost" + quote(moved)
    return pairs


def export(
    source_db: Broker,
    headers: list[Header],
    db: Broker,
    new_root: str | None = None,
    copy_kwargs: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """Send each header's documents to ``db.insert``, copying files when ``new_root`` is given.

    Returns
    -------
    list of (str, str)
        ``(old_path, new_path)`` of every copied file.
    """
    pairs: list[tuple[str, str]] = []
    for header in headers:
        for name, doc in _unpacked(header._run):
            if new_root is not None and name == "resource":
                pairs.extend(source_db.reg.copy_files(doc, new_root, **(copy_kwargs or {})))
                doc["root"] = new_root
            elif new_root is not None and name == "stream_resource":
                pairs.extend(
                    _copy_stream_resource(source_db, header._run, doc, new_root, copy_kwargs or {})
                )
            with warnings.catch_warnings():
                # export *is* the supported way to copy runs; insert's deprecation is not news.
                warnings.simplefilter("ignore", PendingDeprecationWarning)
                db.insert(name, doc)
    return pairs


def export_size(headers: list[Header]) -> float:
    """Total size in GB (bytes * 1e-9) of every external file of ``headers``."""
    total = 0
    for header in headers:
        run = header._run
        for name, doc in run.documents(fill="no", strict_order=True):
            if name in ("resource", "stream_resource"):
                total += sum(os.path.getsize(path) for path in run.get_file_list(doc))
    return total * 1e-9
