"""The bundle manifest (``manifest.json``): format version, runs, every file, how it was made.

A bundle is a directory (or a ``.zip`` of one)::

    manifest.json            this file
    catalog.yml              an intake catalog of the bundle (open it with open_catalog)
    documents/<uid>.msgpack  one file per run (or .jsonl)
    external/<resource uid>/ the files of each (stream) resource, below its own root

Resources point at the files through the bundle root :data:`BUNDLE_ROOT`
(``root: /databroker-bundle/<resource uid>``; StreamResource ``uri:
file://localhost/databroker-bundle/<uid>/<name>``), which ``catalog.yml`` maps onto
``external/`` and ``unpack`` re-roots to where the files land.

Each entry of ``runs`` has ``uid``, ``documents`` (the run file in the bundle), ``size`` and
``sha256``, and (optional, newer bundles) ``resources``: how many Resource and
StreamResource documents the run file holds. A run file with none, in the target catalog's
format, is unpacked byte for byte (copied, its sha256 checked while copying, then renamed
into place) instead of being decoded and written again; an entry without ``resources`` (an
older bundle) is decoded, unless the bundle has no ``roots`` to rewrite.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from typing import Any

from ..errors import BundleFormatError

__all__ = [
    "BUNDLE_ROOT",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "check_manifest",
    "dumps_manifest",
    "safe_relative",
]

MANIFEST = "manifest.json"
FORMAT = "databroker-bundle"
FORMAT_VERSION = 1
#: The stored root of every resource packed with ``external='copy'``.
BUNDLE_ROOT = "/databroker-bundle"


def safe_relative(path: Any, where: str) -> str:
    """Return ``path`` if it is a relative POSIX path staying inside the bundle.

    Raises
    ------
    BundleFormatError
        For an absolute path, a drive, a backslash or a ``..`` component, naming ``where``.
    """
    text = str(path)
    parts = text.split("/")
    bad = (
        not text
        or text.startswith("/")
        or "\\" in text
        or (len(text) > 1 and text[1] == ":")
        or any(part in ("..", "") for part in parts)
    )
    if bad or posixpath.normpath(text) != text:
        raise BundleFormatError(
            f"{where} names the path {text!r}, which is absolute or leaves the bundle ('..'); "
            "a bundle may only write below its target roots. The bundle is damaged or unsafe."
        )
    return text


def check_manifest(manifest: Any, where: str) -> dict[str, Any]:
    """Validate a decoded manifest: format, version, and every path it names."""
    if not isinstance(manifest, Mapping) or manifest.get("format") != FORMAT:
        raise BundleFormatError(f"{where} is not a databroker bundle manifest.")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BundleFormatError(
            f"{where} has format_version {version!r}; this databroker reads version "
            f"{FORMAT_VERSION}. Upgrade databroker to unpack it."
        )
    for run in manifest.get("runs", []):
        safe_relative(run["documents"], f"{where} (run {run.get('uid')!r})")
    for record in manifest.get("files", []):
        if record.get("bundle_path") is not None:
            safe_relative(record["bundle_path"], f"{where} (file of {record.get('resource')!r})")
    return dict(manifest)


def dumps_manifest(manifest: Mapping[str, Any]) -> bytes:
    """Return the manifest as JSON bytes: one line per top-level entry, and per run or file.

    (A readable file, encoded by the C encoder: ``indent=`` would use the slow one.)
    """
    items = []
    for key, value in sorted(manifest.items()):
        if isinstance(value, list) and value:
            rows = ",\n  ".join(json.dumps(item, sort_keys=True) for item in value)
            items.append(f"{json.dumps(key)}: [\n  {rows}\n ]")
        else:
            items.append(f"{json.dumps(key)}: {json.dumps(value, sort_keys=True)}")
    return ("{\n " + ",\n ".join(items) + "\n}\n").encode()


def loads_manifest(data: bytes, where: str) -> dict[str, Any]:
    """Decode and validate a manifest."""
    try:
        manifest = json.loads(data)
    except ValueError as error:
        raise BundleFormatError(f"{where} is not valid JSON: {error}.") from None
    return check_manifest(manifest, where)
