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
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ..errors import BundleFileMissing, BundleFormatError, ChecksumMismatch
from .manifest import MANIFEST, loads_manifest, safe_relative
from .records import sha256_of
from .sink import copy_stream

__all__ = ["OpenedBundle", "open_bundle"]


@dataclass
class OpenedBundle:
    """A bundle's members: files of a directory, or members read straight from a zip.

    A zip of ours is never extracted as a whole: external files and run files copied byte
    for byte are streamed from it into their staging areas (hashed as they are copied), and
    only the run files to decode are copied, checksummed, into a scratch directory. A
    databroker-pack zip is extracted first.
    """

    location: str
    directory: str
    manifest: dict[str, Any]
    #: ``'databroker'`` or ``'databroker-pack'``.
    kind: str
    _temporary: str | None = field(default=None, repr=False)
    _archive: zipfile.ZipFile | None = field(default=None, repr=False)
    #: Document members copied out of a zip: relative path -> (local path, size, sha256).
    _documents: dict[str, tuple[str, int, str]] = field(default_factory=dict, repr=False)

    def path(self, relative: str) -> str:
        """The local path of a member of a directory bundle (or of a zip's copy of it)."""
        if self._archive is not None and relative in self._documents:
            return self._documents[relative][0]
        return os.path.join(self.directory, *relative.split("/"))

    def where(self, relative: str) -> str:
        """How a member is named in messages."""
        return f"{relative} in the bundle {self.location}"

    def source(self, relative: str) -> str:
        """How a member is named as the source of a copy: a path, or ``zip/member``."""
        if self._archive is not None:
            return f"{self.location}/{relative}"
        return self.path(relative)

    def open(self, relative: str) -> Any:
        """Open a member for reading (binary)."""
        if self._archive is None:
            return open(self.path(relative), "rb")
        return _ZipMember(self, relative)

    def size(self, relative: str) -> int | None:
        """A member's size in bytes, or None when it is missing."""
        if self._archive is None:
            try:
                info = os.stat(self.path(relative))
            except OSError:
                return None
            return info.st_size if stat.S_ISREG(info.st_mode) else None
        try:
            return self._archive.getinfo(relative).file_size
        except KeyError:
            return None

    def document_format(self, run: dict[str, Any]) -> str:
        """``'msgpack'`` or ``'jsonl'``, from the run file's suffix."""
        return "jsonl" if run["documents"].endswith(".jsonl") else "msgpack"

    def _document_copy(self, relative: str) -> tuple[int, str]:
        """Copy a zip's document member into the scratch directory; its size and sha256."""
        if relative not in self._documents:
            if self._temporary is None:
                self._temporary = tempfile.mkdtemp(prefix=".databroker-bundle-")
            # Flat (no directories to make): numbered, keeping the name and its suffix.
            name = f"{len(self._documents)}-{relative.rsplit('/', 1)[-1]}"
            local = os.path.join(self._temporary, name)
            with self.open(relative) as src, open(local, "wb") as dst:
                size, sha256 = copy_stream(src, dst, size_hint=self.size(relative))
            self._documents[relative] = (local, size, sha256)
        _, size, sha256 = self._documents[relative]
        return size, sha256

    def prepare_documents(self, skip: Collection[str] = ()) -> None:
        """Make the run files to decode readable by path (copied out of a zip); run files
        in ``skip`` are copied byte for byte from the bundle instead."""
        if self._archive is not None:
            for run in self.manifest["runs"]:
                relative = run["documents"]
                if relative not in skip and self.size(relative) is not None:
                    self._document_copy(relative)

    def verify(self, *, contents: bool = True, deferred: Collection[str] = ()) -> None:
        """Check every listed file is present with its size and sha256 (when recorded).

        Document files are hashed now, except those in ``deferred`` (run files copied byte
        for byte, hashed as they are copied); external files only with ``contents`` (else
        their sha256 is checked while they are copied). Either way before anything is
        committed.
        """
        members = [
            (run["documents"], run, run["documents"] not in deferred)
            for run in self.manifest["runs"]
        ]
        members += [
            (f["bundle_path"], f, contents) for f in self.manifest["files"] if f.get("bundle_path")
        ]
        documents = {run["documents"] for run in self.manifest["runs"]}
        for relative, record, hashed in members:
            self._check(relative, record, hashed, relative in documents)

    def check_document(self, run: dict[str, Any]) -> None:
        """Check one run file (size and sha256) now; one whose check was deferred."""
        self._check(run["documents"], run, True, True)

    def _check(self, relative: str, record: dict[str, Any], hashed: bool, document: bool) -> None:
        size = self.size(relative)
        if size is None:
            raise BundleFileMissing(
                f"The manifest lists {self.where(relative)}, but it is missing. The bundle "
                "is incomplete; pack it again."
            )
        if record.get("size") is not None and size != record["size"]:
            raise ChecksumMismatch(
                f"{self.where(relative)} has {size} bytes; the manifest says "
                f"{record['size']}. The file is damaged; pack it again."
            )
        expected = record.get("sha256") if hashed else None
        if expected and self._sha256(relative, document) != expected:
            raise ChecksumMismatch(
                f"{self.where(relative)} does not match its sha256 in the manifest "
                f"({expected}). The file is damaged; pack it again."
            )

    def _sha256(self, relative: str, document: bool) -> str:
        if self._archive is None:
            return sha256_of(self.path(relative))
        if document:  # copied out once: hashed now, decoded from the copy later
            return self._document_copy(relative)[1]
        with self.open(relative) as src:
            return copy_stream(src, _Discard())[1]

    def close(self) -> None:
        """Close the zip and remove the scratch copies."""
        if self._archive is not None:
            self._archive.close()
            self._archive = None
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None


class _Discard:
    """A writable file that keeps nothing (hashing without copying)."""

    def write(self, data: Any) -> int:
        return len(data)


class _ZipMember:
    """A zip member opened for reading; a damaged or cut-short member raises our error."""

    def __init__(self, bundle: OpenedBundle, relative: str) -> None:
        assert bundle._archive is not None
        self._bundle, self._relative = bundle, relative
        try:
            self._file = bundle._archive.open(relative)
        except KeyError:
            raise BundleFileMissing(
                f"The manifest lists {bundle.where(relative)}, but it is missing."
            ) from None
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            raise self._damaged(error) from None

    def _damaged(self, error: Exception) -> BundleFormatError:
        return BundleFormatError(
            f"{self._bundle.where(self._relative)} cannot be read ({error}); the zip is "
            "damaged or cut short."
        )

    def readinto(self, buffer: Any) -> int:
        try:
            return int(self._file.readinto(buffer))  # type: ignore[attr-defined]
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
            raise self._damaged(error) from None

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> _ZipMember:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


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
        archive = _open_zip(location)
        if archive is not None:
            return _zip_bundle(location, archive)
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


def _open_zip(location: str) -> zipfile.ZipFile | None:
    """Open a zip bundle of ours (member names checked); None for another kind of zip."""
    try:
        archive = zipfile.ZipFile(location)
    except (zipfile.BadZipFile, OSError) as error:
        raise BundleFormatError(
            f"{location} is not a complete zip file ({error}); it may have been cut short "
            "while copying. Copy it again."
        ) from None
    try:
        for info in archive.infolist():
            safe_relative(info.filename.rstrip("/"), f"The zip bundle {location}")
    except BaseException:
        archive.close()
        raise
    if MANIFEST in archive.NameToInfo:
        return archive
    archive.close()
    return None


def _zip_bundle(location: str, archive: zipfile.ZipFile) -> OpenedBundle:
    where = f"{MANIFEST} of the bundle {location}"
    try:
        try:
            data = archive.read(MANIFEST)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
            raise BundleFormatError(f"{where} cannot be read ({error}).") from None
        manifest = loads_manifest(data, where)
    except BaseException:
        archive.close()
        raise
    return OpenedBundle(location, location, manifest, "databroker", _archive=archive)
