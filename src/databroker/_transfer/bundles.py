"""Opening a bundle (directory or ``.zip``): ours, or one written by databroker-pack 0.3.0.

databroker-pack's layout is read from what it writes: ``catalog.yml`` (an intake catalog
whose ``root_map`` maps each resource's rewritten root to ``external_files/<root>`` inside the
bundle, or to the original directory when files were not copied), ``documents/`` (one
msgpack or jsonl file per run, listed in ``documents_manifest.txt``) and
``external_files_manifest_<root>.txt`` (the files, one path a line). It has no checksums.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ..errors import BundleFileMissing, BundleFormatError, ChecksumMismatch
from .manifest import MANIFEST, loads_manifest, safe_relative
from .records import sha256_of

__all__ = ["OpenedBundle", "open_bundle"]


@dataclass
class OpenedBundle:
    """A bundle's files on disk (a zip is extracted to a temporary directory first)."""

    location: str
    directory: str
    manifest: dict[str, Any]
    #: ``'databroker'`` or ``'databroker-pack'``.
    kind: str
    _temporary: str | None = field(default=None, repr=False)

    def path(self, relative: str) -> str:
        """The local path of a bundle member."""
        return os.path.join(self.directory, *relative.split("/"))

    def where(self, relative: str) -> str:
        """How a member is named in messages."""
        return f"{relative} in the bundle {self.location}"

    def document_format(self, run: dict[str, Any]) -> str:
        """``'msgpack'`` or ``'jsonl'``, from the run file's suffix."""
        return "jsonl" if run["documents"].endswith(".jsonl") else "msgpack"

    def verify(self) -> None:
        """Check every listed file is present with its size and sha256 (when recorded)."""
        members = [(run["documents"], run) for run in self.manifest["runs"]]
        members += [(f["bundle_path"], f) for f in self.manifest["files"] if f.get("bundle_path")]
        for relative, record in members:
            path = self.path(relative)
            if not os.path.isfile(path):
                raise BundleFileMissing(
                    f"The manifest lists {self.where(relative)}, but it is missing. The bundle "
                    "is incomplete; pack it again."
                )
            size = os.path.getsize(path)
            if record.get("size") is not None and size != record["size"]:
                raise ChecksumMismatch(
                    f"{self.where(relative)} has {size} bytes; the manifest says "
                    f"{record['size']}. The file is damaged; pack it again."
                )
            if record.get("sha256") and sha256_of(path) != record["sha256"]:
                raise ChecksumMismatch(
                    f"{self.where(relative)} does not match its sha256 in the manifest "
                    f"({record['sha256']}). The file is damaged; pack it again."
                )

    def close(self) -> None:
        """Remove the extracted copy of a zip."""
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None


def _extract(location: str, scratch: str | None) -> str:
    """Extract a zip bundle into a new temporary directory, member names checked first."""
    temporary = tempfile.mkdtemp(prefix=".databroker-bundle-", dir=scratch)
    try:
        with zipfile.ZipFile(location) as archive:
            for info in archive.infolist():
                safe_relative(info.filename.rstrip("/"), f"The zip bundle {location}")
            for info in archive.infolist():
                try:
                    archive.extract(info, temporary)
                except (zipfile.BadZipFile, EOFError) as error:
                    raise BundleFormatError(
                        f"{info.filename} in the zip bundle {location} cannot be read "
                        f"({error}); the zip is damaged or cut short."
                    ) from None
    except zipfile.BadZipFile as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise BundleFormatError(
            f"{location} is not a complete zip file ({error}); it may have been cut short "
            "while copying. Copy it again."
        ) from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return temporary


def _lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as file:
        return [line.strip() for line in file if line.strip() and not line.startswith("#")]


def _pack_manifest(directory: str, location: str) -> dict[str, Any]:
    """Describe a databroker-pack bundle as our manifest (without checksums)."""
    import yaml

    where = f"catalog.yml in the bundle {location}"
    with open(os.path.join(directory, "catalog.yml"), encoding="utf-8") as file:
        config = yaml.safe_load(file) or {}
    sources = list((config.get("sources") or {}).values())
    if not sources:
        raise BundleFormatError(f"{where} has no catalog entry.")
    args = sources[0].get("args") or {}
    roots: dict[str, str] = {}
    for key, value in (args.get("root_map") or {}).items():
        value = str(value)
        if not os.path.isabs(value):
            value = safe_relative(value.removeprefix("./"), where)
        roots[str(key)] = value
    listing = os.path.join(directory, "documents_manifest.txt")
    documents = (
        _lines(listing)
        if os.path.isfile(listing)
        else sorted(
            os.path.relpath(p, directory).replace(os.sep, "/")
            for p in glob.glob(os.path.join(directory, "documents", "*"))
        )
    )
    runs = []
    for relative in documents:
        safe_relative(relative, where)
        uid = posix_stem(relative)
        runs.append({"uid": uid, "documents": relative})
    files = []
    for listing in sorted(glob.glob(os.path.join(directory, "external_files_manifest_*.txt"))):
        for line in _lines(listing):
            if os.path.isabs(line):  # not copied: the original location
                files.append({"run": None, "resource": None, "source": line, "bundle_path": None})
            else:
                relative = safe_relative(line.removeprefix("./"), listing)
                files.append({"run": None, "resource": None, "bundle_path": relative})
    return {"format": "databroker-pack", "runs": runs, "files": files, "roots": roots}


def posix_stem(relative: str) -> str:
    """``documents/<uid>.msgpack`` -> ``<uid>``."""
    name = relative.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]


def open_bundle(location: Any, *, scratch: str | None = None) -> OpenedBundle:
    """Open a bundle directory or zip, validating its manifest.

    Raises
    ------
    BundleFormatError
        No manifest (nor databroker-pack's ``catalog.yml``), an unknown format version, a
        damaged or cut-short zip, or an unsafe path.
    """
    location = os.fspath(location)
    temporary = None
    directory = location
    if os.path.isfile(location):
        temporary = directory = _extract(location, scratch)
    elif not os.path.isdir(location):
        raise BundleFileMissing(f"There is no bundle at {location}.")
    try:
        manifest_path = os.path.join(directory, MANIFEST)
        if os.path.isfile(manifest_path):
            with open(manifest_path, "rb") as file:
                manifest = loads_manifest(file.read(), f"{MANIFEST} of the bundle {location}")
            kind = "databroker"
        elif os.path.isfile(os.path.join(directory, "catalog.yml")):
            manifest, kind = _pack_manifest(directory, location), "databroker-pack"
        else:
            raise BundleFormatError(
                f"{location} holds neither {MANIFEST} nor catalog.yml; it is not a bundle."
            )
    except BaseException:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        raise
    return OpenedBundle(location, directory, manifest, kind, temporary)
