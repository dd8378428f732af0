"""``export`` and ``export_size``: copying runs (and their files) into another Broker."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from .._documents import unpack_datum_page, unpack_event_page

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
    source_db: Broker, run: Any, doc: dict[str, Any], new_root: str
) -> list[tuple[str, str]]:
    """Copy a StreamResource's files into ``new_root`` and point its ``uri`` there."""
    import shutil

    files = run.get_file_list(doc)
    uri = doc.get("uri", "")
    stored = urlparse(uri).path if uri.startswith("file:") else uri
    # Keep each file's path relative to the directory of the uri, so a directory of TIFF
    # files and a single HDF5 file both land under new_root with their own names.
    base = os.path.dirname(stored.rstrip("/")) if stored else "/"
    local_base = source_db.reg._resolved_root(base)
    pairs = []
    for file in files:
        destination = os.path.join(new_root, os.path.relpath(file, local_base))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(file, destination)
        pairs.append((file, destination))
    relative = os.path.relpath(stored, base) if stored else ""
    doc["uri"] = "file://localhost" + os.path.join(os.path.abspath(new_root), relative)
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
                pairs.extend(_copy_stream_resource(source_db, header._run, doc, new_root))
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
