"""``pack``: runs, their documents and their external files into a verified bundle."""

from __future__ import annotations

import os
import posixpath
import socket
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from .._fill.paths import resolve_root, stream_resource_location
from ..errors import InvalidArgument, TransferError
from .copy_files import relocate, stored_root
from .inline import filled_documents
from .manifest import BUNDLE_ROOT, FORMAT, FORMAT_VERSION, MANIFEST, dumps_manifest
from .records import CHUNK, sha256_of
from .report import TransferReport, maybe_progress
from .sink import BundleSink
from .sources import RunSource, iter_run_sources

__all__ = ["EXTERNAL_MODES", "pack"]

EXTERNAL_MODES = ("copy", "manifest", "fill", "skip")
_DRIVERS = {"msgpack": "bluesky-msgpack-catalog", "jsonl": "bluesky-jsonl-catalog"}
Pairs = list[tuple[str, str]]


def _bundle_uri(resource_uid: str, relative: str) -> str:
    return "file://localhost" + quote(f"{BUNDLE_ROOT}/{resource_uid}/{relative}")


def _reroot(name: str, doc: dict[str, Any], reader: Any, root_map: Any) -> Pairs:
    """Point a (stream) resource at the bundle root; return ``(source, bundle path)``."""
    uid = doc["uid"]
    files = reader.file_list(doc)
    bundle_dir = f"external/{uid}"
    if name == "stream_resource" and doc.get("uri") is not None:
        path = stream_resource_location(doc, root_map).path
        parent = posixpath.dirname(path.rstrip("/")) or "/"
        pairs = relocate(files, parent, bundle_dir, resource_uid=uid)
        doc["uri"] = _bundle_uri(uid, posixpath.relpath(path, parent))
        return pairs
    local_root = resolve_root(stored_root(doc, stacklevel=3), root_map)
    pairs = relocate(files, local_root, bundle_dir, resource_uid=uid)
    doc["root"] = f"{BUNDLE_ROOT}/{uid}"
    return pairs


def _run_documents(
    reader: Any, external: str, files: list[dict[str, Any]], resources: list[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield one run's documents as they go into the bundle, noting its files in ``files``
    and the uids of the (stream) resources left in its documents in ``resources``."""
    if external == "fill":
        yield from filled_documents(reader)
        return
    root_map = reader.filler().root_map
    for name, doc in _page_documents(reader):
        if name in ("resource", "stream_resource"):
            resources.append(doc["uid"])
        if name in ("resource", "stream_resource") and external != "skip":
            if external == "copy":
                pairs = _reroot(name, doc, reader, root_map)
            else:
                pairs = [(path, None) for path in reader.file_list(doc)]  # type: ignore[misc]
            files.extend(
                {"run": reader.uid, "resource": doc["uid"], "source": s, "bundle_path": b}
                for s, b in pairs
            )
        yield name, doc


def _page_documents(reader: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """A run's documents, unfilled, as plain dicts; pages stay pages (one record each)."""
    for name, doc in reader.documents(fill="no", strict_order=True):
        yield name, doc.to_dict()


def _encoder(file_format: str) -> Callable[[str, Mapping[str, Any]], bytes]:
    from .._stores.files import jsonl_format, msgpack_format

    return msgpack_format.packb if file_format == "msgpack" else jsonl_format.dumps_line


def _holds_resources(reader: Any) -> bool:
    return bool(reader.view.resources() or reader.view.stream_resources())


def _may_name_resources(data: bytes, file_format: str) -> bool:
    """Whether a run file's bytes may hold a (stream) resource document.

    Every such record spells ``resource`` in its name as plain bytes (msgpack strings are
    UTF-8; JSON would have to escape ASCII letters to hide it, so a JSONL file with any
    escape is also taken as maybe holding one).
    """
    return b"resource" in data or (file_format == "jsonl" and b"\\u" in data)


def _copy_raw(
    sink: BundleSink, source: RunSource, relative: str, file_format: str
) -> tuple[int, str] | None:
    """Copy the run's own file into the bundle byte for byte, when it is stored in the
    bundle's format and has no (stream) resource to re-root; None (nothing written) if not.

    A small file is read once: its bytes show most runs hold no resource without decoding.
    """
    path = source.path
    if path is None or not path.endswith("." + file_format):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size > CHUNK:
        return None if _holds_resources(source.reader) else sink.copy(path, relative)
    with open(path, "rb") as file:
        data = file.read()
    if _may_name_resources(data, file_format) and _holds_resources(source.reader):
        return None
    return sink.write(relative, (data,))


def _catalog_yaml(file_format: str) -> str:
    return (
        "# An intake catalog of this bundle: databroker.open_catalog('<bundle>/catalog.yml')\n"
        "sources:\n"
        "  bundle:\n"
        f"    driver: {_DRIVERS[file_format]}\n"
        "    args:\n"
        f"      paths: ['{{{{ CATALOG_DIR }}}}/documents/*.{file_format}']\n"
        f"      root_map: {{'{BUNDLE_ROOT}': external}}\n"
    )


def _check_arguments(dest: str, external: str, file_format: str) -> None:
    if external not in EXTERNAL_MODES:
        raise InvalidArgument(f"external must be one of {EXTERNAL_MODES}, not {external!r}.")
    if file_format not in _DRIVERS:
        raise InvalidArgument(f"format must be 'msgpack' or 'jsonl', not {file_format!r}.")
    if os.path.exists(dest) and (not os.path.isdir(dest) or os.listdir(dest)):
        raise TransferError(f"Cannot pack into {dest}: it exists. Choose a new path.")


def pack(
    runs: Any,
    dest: str | os.PathLike[str],
    *,
    external: str = "copy",
    format: str = "msgpack",
    dry_run: bool = False,
    progress: bool = True,
    catalog: Any = None,
) -> TransferReport:
    """Write runs, their external files and a manifest into a bundle (directory or ``.zip``).

    Parameters
    ----------
    runs
        A catalog or search result, a run, or a list of runs or uids (uids need ``catalog``).
    dest
        A new directory, or a path ending in ``.zip``.
    external
        ``'copy'`` the files into the bundle (re-rooted), list them in the ``'manifest'``
        only, ``'fill'`` their data into the events (Resource and StreamResource data
        alike), or ``'skip'`` them.
    format
        ``'msgpack'`` or ``'jsonl'`` documents, one file per run.
    dry_run
        Report what would be written, writing nothing.
    progress
        Show a progress bar (on a terminal only).
    catalog
        Where uids in ``runs`` are looked up.

    Returns
    -------
    TransferReport
        The runs and files packed (``destination`` of a file is its path in the bundle).

    Raises
    ------
    TransferError
        If ``dest`` exists, or writing fails (nothing is left at ``dest`` then); with
        ``external='fill'``, a StreamDatum row whose seq_num has no event to hold it.
    """
    dest = os.fspath(dest)
    _check_arguments(dest, external, format)
    sources = list(iter_run_sources(runs, catalog))
    report = TransferReport("pack", dest, dry_run)
    sink = None if dry_run else BundleSink(dest)
    try:
        files: list[dict[str, Any]] = []
        manifest_runs: list[dict[str, Any]] = []
        encode = _encoder(format)
        for source in maybe_progress(sources, show=progress, total=len(sources), desc="runs"):
            relative = f"documents/{source.uid}.{format}"
            resources: list[str] = []
            packed: tuple[int, str] | None = None
            size: int | None
            sha256: str | None
            if sink is not None and external != "fill":
                packed = _copy_raw(sink, source, relative, format)
            if packed is not None:
                size, sha256 = packed
            elif sink is None:
                for _ in _run_documents(source.reader, external, files, resources):
                    pass  # lists the files
                size = sha256 = None
            else:
                documents = _run_documents(source.reader, external, files, resources)
                size, sha256 = sink.write(relative, (encode(n, d) for n, d in documents))
            report.runs.append(source.uid)
            manifest_runs.append(
                {
                    "uid": source.uid,
                    "documents": relative,
                    "size": size,
                    "sha256": sha256,
                    "resources": len(resources),
                }
            )
        _copy_files(files, sink, progress)
        report.files = [
            {"source": f["source"], "destination": f["bundle_path"], "size": f.get("size")}
            for f in files
        ]
        if sink is None:
            return report
        manifest = _manifest(manifest_runs, files, external, format)
        sink.put(MANIFEST, dumps_manifest(manifest))
        sink.put("catalog.yml", _catalog_yaml(format).encode())
        sink.commit()
        sink = None
        return report
    finally:
        if sink is not None:
            sink.discard()


def _copy_files(files: list[dict[str, Any]], sink: BundleSink | None, progress: bool) -> None:
    """Copy (or, for the manifest, measure) every file; one copy per bundle path."""
    done: dict[str, tuple[int, str]] = {}
    for record in maybe_progress(files, show=progress, total=len(files), desc="files"):
        source, target = record["source"], record["bundle_path"]
        if not os.path.isfile(source):
            raise TransferError(
                f"The file {source} of resource {record['resource']!r} (run {record['run']!r}) "
                "does not exist; fix the catalog's root_map or pack with external='skip'."
            )
        if sink is None:
            record["size"] = os.path.getsize(source)
            continue
        if target is None:
            record["size"], record["sha256"] = os.path.getsize(source), sha256_of(source)
        elif target in done:
            record["size"], record["sha256"] = done[target]
        else:
            done[target] = sink.copy(source, target)
            record["size"], record["sha256"] = done[target]


def _manifest(
    runs: list[dict[str, Any]], files: list[dict[str, Any]], external: str, file_format: str
) -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": {
            "by": f"databroker {version('databroker')}",
            "time": time.time(),
            "host": socket.gethostname(),
            "external": external,
            "document_format": file_format,
        },
        "roots": {BUNDLE_ROOT: "external"} if external == "copy" else {},
        "runs": runs,
        "files": files,
    }
