"""External files staged beside their destination, verified, then renamed into place.

Each file is copied flat into a staging directory under ``external_root`` (no directory tree to
make and remove per bundle path) and hashed as it is copied; a copy that does not match its
sha256 stops everything before anything is committed. Committing renames each copy to its
place below ``external_root``.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ChecksumMismatch, TransferError
from .copy_files import removed_on_failure
from .records import sha256_of
from .report import copy_and_hash, maybe_progress
from .sink import copy_stream

__all__ = ["commit_files", "stage_files"]

#: ``opener(path, mode)`` of the staged copies.
Opener = Callable[..., Any]


def _copy(record: Mapping[str, Any], staged: str, writer: Opener) -> tuple[int, str]:
    """Copy one file (a path, or a member ``record['open']()`` opens) hashing it as it goes."""
    opener = record.get("open")
    if opener is None:
        return copy_and_hash(record["source"], staged, writer)
    with opener() as src, writer(staged, "wb") as dst:
        return copy_stream(src, dst, size_hint=record.get("size"))


def _staged_name(stage: str, index: int, relative: str) -> str:
    """A staged file's path: flat in the staging directory (no directories to make)."""
    return os.path.join(stage, f"{index}-{posixpath.basename(relative)}")


def stage_files(
    files: list[dict[str, Any]], external_root: str, progress: bool, writer: Opener
) -> str:
    """Copy every file into a new staging directory under ``external_root``, checking its
    hash; return the directory. ``writer(path, 'wb')`` opens each copy.

    Raises
    ------
    TransferError, ChecksumMismatch
        Copying failed, or a copy does not match its sha256 (the directory is removed).
    """
    stage = tempfile.mkdtemp(prefix=".databroker-unpack-", dir=external_root)
    try:
        for index, record in enumerate(
            maybe_progress(files, show=progress, total=len(files), desc="files")
        ):
            staged = _staged_name(stage, index, record["relative"])
            try:
                size, sha256 = _copy(record, staged, writer)
            except OSError as error:
                raise TransferError(
                    f"Copying {record['source']} to {staged} failed ({error}); nothing was "
                    "written to the target."
                ) from error
            if record.get("sha256") and sha256 != record["sha256"]:
                raise ChecksumMismatch(
                    f"The copy of {record['source']} does not match its sha256 "
                    f"{record['sha256']}; nothing was written to the target."
                )
            record["size"], record["sha256"] = size, sha256
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return stage


def commit_files(files: list[dict[str, Any]], stage: str, external_root: str) -> list[str]:
    """Rename staged files into place; return the paths added (for rollback).

    A file already at its place with the same sha256 is kept; with other content it is a
    :class:`~databroker.errors.TransferError` (what was moved is removed again).
    """
    directories: set[str] = set()
    with removed_on_failure() as added:
        for index, record in enumerate(files):
            final = os.path.join(external_root, record["relative"])
            if os.path.exists(final):
                if sha256_of(final) == record["sha256"]:
                    continue
                raise TransferError(
                    f"{final} exists with other content than {record['source']}; move it "
                    "away or unpack to another external_root."
                )
            directory = os.path.dirname(final)
            if directory not in directories:
                os.makedirs(directory, exist_ok=True)
                directories.add(directory)
            os.replace(_staged_name(stage, index, record["relative"]), final)
            added.append(final)
    return added
