"""File records: every file a run's Resources and StreamResources refer to, with size,
existence and (on request) sha256."""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["CHUNK", "FileRecord", "file_records", "sha256_of"]

#: Bytes read at a time when hashing or copying.
CHUNK = 1 << 20


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileRecord:
    """One file of one Resource or StreamResource of a run."""

    #: The start uid of the run.
    run_uid: str
    #: ``'resource'`` or ``'stream_resource'``.
    kind: str
    #: The (stream) resource's uid.
    resource_uid: str
    #: Its ``spec`` (Resource) or ``mimetype`` (StreamResource).
    spec: str
    #: The stored location: the Resource ``root`` or the StreamResource ``uri`` path.
    stored: str
    #: The file's path after root_map.
    path: str
    #: Size in bytes (None if the file does not exist).
    size: int | None
    exists: bool
    #: Hex sha256 of the file's bytes, when asked for (and the file exists).
    sha256: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return asdict(self)


def file_records(reader: Any, *, checksum: bool = False) -> list[FileRecord]:
    """Return one :class:`FileRecord` per file of every (stream) resource of a run.

    Parameters
    ----------
    reader
        A ``RunReader`` (``BlueskyRun.reader``).
    checksum
        Also compute each existing file's sha256 (reads every byte).

    Returns
    -------
    list of FileRecord
        In document order; a resource whose handler cannot list its files gives one record
        for its resolved path.
    """
    records = []
    for report in reader.external_file_reports():
        for path in report.files or (report.location.path,):
            exists = os.path.isfile(path)
            records.append(
                FileRecord(
                    run_uid=reader.uid,
                    kind=report.kind,
                    resource_uid=report.uid,
                    spec=report.spec,
                    stored=report.location.stored,
                    path=path,
                    size=os.path.getsize(path) if exists else None,
                    exists=exists,
                    sha256=sha256_of(path) if checksum and exists else None,
                )
            )
    return records
