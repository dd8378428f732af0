"""Where a bundle being packed is written: a staging directory renamed into place, or a zip.

Every member is written once, hashed as it is written (one read of each source byte, no
re-read to checksum), and the bundle appears at its destination only when complete: a
directory is staged beside it and renamed, a zip is written to ``<dest>.partial`` and renamed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from typing import Any

from .records import CHUNK

__all__ = ["BundleSink", "copy_stream"]


def copy_stream(
    source: Any,
    destination: Any,
    *,
    size_hint: int | None = None,
    head: bytearray | None = None,
) -> tuple[int, str]:
    """Copy one open file into another, returning ``(size, sha256)`` of the bytes.

    ``size_hint`` (the bytes expected) sizes the buffer, so a small file is copied with one
    read and no megabyte buffer; ``head`` receives the first block read.
    """
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(CHUNK if size_hint is None else max(1, min(CHUNK, size_hint + 1)))
    view = memoryview(buffer)
    while count := source.readinto(buffer):
        chunk = view[:count]
        if head is not None and not size:
            head += chunk
        digest.update(chunk)
        destination.write(chunk)
        size += count
    return size, digest.hexdigest()


class BundleSink:
    """The members of one bundle, written into a staging directory or a zip."""

    def __init__(self, dest: str) -> None:
        self.dest = dest
        parent = os.path.dirname(os.path.abspath(dest))
        self._zip: zipfile.ZipFile | None = None
        self._stage: str | None = None
        if dest.endswith(".zip"):
            self._partial = dest + ".partial"
            self._zip = zipfile.ZipFile(self._partial, "x", zipfile.ZIP_STORED, allowZip64=True)
        else:
            self._stage = tempfile.mkdtemp(prefix=".databroker-pack-", dir=parent)
        self._directories: set[str] = set()

    def _open(self, relative: str) -> Any:
        if self._zip is not None:
            return self._zip.open(relative, "w", force_zip64=True)
        assert self._stage is not None
        path = os.path.join(self._stage, *relative.split("/"))
        directory = os.path.dirname(path)
        if directory not in self._directories:
            os.makedirs(directory, exist_ok=True)
            self._directories.add(directory)
        return open(path, "xb")

    def copy(self, source: str, relative: str) -> tuple[int, str]:
        """Copy the file ``source`` into the member ``relative``; return its size, sha256."""
        with open(source, "rb") as src, self._open(relative) as dst:
            return copy_stream(src, dst, size_hint=os.fstat(src.fileno()).st_size)

    def write(self, relative: str, records: Iterable[bytes]) -> tuple[int, str]:
        """Write encoded records into the member ``relative``; return its size, sha256."""
        digest = hashlib.sha256()
        size = 0
        with self._open(relative) as dst:
            for record in records:
                digest.update(record)
                dst.write(record)
                size += len(record)
        return size, digest.hexdigest()

    def put(self, relative: str, data: bytes) -> None:
        """Write a small member (the manifest, catalog.yml)."""
        self.write(relative, [data])

    def commit(self) -> None:
        """Move the finished bundle to its destination."""
        if self._zip is not None:
            self._zip.close()
            os.replace(self._partial, self.dest)
            self._zip = None
            return
        assert self._stage is not None
        if os.path.isdir(self.dest):
            os.rmdir(self.dest)  # an empty directory given as the destination
        os.replace(self._stage, self.dest)
        self._stage = None

    def discard(self) -> None:
        """Remove what was written (after a failure)."""
        if self._zip is not None:
            with contextlib.suppress(Exception):
                self._zip.close()
            with contextlib.suppress(OSError):
                os.remove(self._partial)
            self._zip = None
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None
