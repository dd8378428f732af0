"""Run files copied byte for byte into a file catalog: staged, verified, then linked into place.

A bundled run file with no (stream) resource to re-root, in the target catalog's format, needs
no decoding: its bytes are copied into a hidden staging directory inside the catalog directory
(which no catalog pattern lists) and hashed as they are copied; the copy is checked against
the manifest's size and sha256 and its first document against the run's uid; only when every
run file is staged are they moved into place, each with a hard link that never replaces a file
(a rename where links are not supported), so a failure leaves the catalog as it was.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import BundleFormatError, ChecksumMismatch, TransferError
from .copy_files import removed_on_failure
from .sink import copy_stream

__all__ = ["RawRunFile", "StagedRunFiles"]


@dataclass
class RawRunFile:
    """A run file to copy as it is: how to open it, what it must be."""

    #: Opens the bundle member for reading (binary, ``readinto``).
    open: Callable[[], Any] = field(repr=False)
    #: How the member is named in messages.
    source: str
    #: ``'.msgpack'`` or ``'.jsonl'``.
    suffix: str
    #: Where it goes in the target catalog.
    destination: str
    size: int | None
    #: None: not checked (``unpack(verify=False)``).
    sha256: str | None


def _first_document(head: bytes, staged: str, suffix: str) -> tuple[str, Any] | None:
    from .._stores.files import jsonl_format, msgpack_format

    module = jsonl_format if suffix == ".jsonl" else msgpack_format
    first = module.read_first_document(io.BytesIO(head))
    # A start document longer than the first block read: read it from the copy.
    return first if first is not None else module.read_first_document(staged)


@dataclass
class StagedRunFiles:
    """Run files copied into a staging directory of a file catalog, ready to move in."""

    directory: str
    #: ``(staged path, final path)`` of each run file.
    pairs: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def stage(
        cls,
        runs: list[tuple[str, RawRunFile]],
        directory: str,
        opener: Callable[..., Any],
    ) -> StagedRunFiles:
        """Copy and check each ``(uid, run file)`` into a new staging directory under
        ``directory`` (the catalog's); nothing is left behind on failure.

        Raises
        ------
        ChecksumMismatch
            A copy's size or sha256 differs from the manifest's.
        BundleFormatError
            A run file does not begin with the start document of its run.
        TransferError
            Copying failed (a full disk, ...).
        """
        staged = cls(tempfile.mkdtemp(prefix=".databroker-unpack-", dir=directory))
        try:
            for uid, raw in runs:
                path = os.path.join(staged.directory, f"{len(staged.pairs)}{raw.suffix}")
                staged._copy(uid, raw, path, opener)
                staged.pairs.append((path, raw.destination))
        except BaseException:
            staged.discard()
            raise
        return staged

    @staticmethod
    def _copy(uid: str, raw: RawRunFile, path: str, opener: Callable[..., Any]) -> None:
        head = bytearray()
        try:
            with raw.open() as src, opener(path, "wb") as dst:
                size, sha256 = copy_stream(src, dst, size_hint=raw.size, head=head)
        except OSError as error:
            raise TransferError(
                f"Copying {raw.source} to {path} failed ({error}); nothing was written to "
                "the target."
            ) from error
        if raw.sha256 is not None and (sha256 != raw.sha256 or size != (raw.size or size)):
            raise ChecksumMismatch(
                f"{raw.source} ({size} bytes) does not match its sha256 in the manifest "
                f"({raw.sha256}). The file is damaged; pack it again. Nothing was written to "
                "the target."
            )
        first = _first_document(bytes(head), path, raw.suffix)
        if first is None or first[0] != "start" or first[1].get("uid") != uid:
            found = "nothing" if first is None else f"{first[0]} {first[1].get('uid')!r}"
            raise BundleFormatError(
                f"{raw.source} should hold the run {uid!r}, but begins with "
                f"{found}. The bundle is damaged or inconsistent; nothing was written."
            )

    def commit(self) -> list[str]:
        """Move every staged file into place; return the paths added (all or none).

        Raises
        ------
        TransferError
            A file is in the way (named), or moving failed; what was moved is removed.
        """
        with removed_on_failure() as added:
            for staged, final in self.pairs:
                _move(staged, final)
                added.append(final)
        return added

    def discard(self) -> None:
        """Remove the staging directory and what it holds."""
        shutil.rmtree(self.directory, ignore_errors=True)


def _move(staged: str, final: str) -> None:
    try:
        os.link(staged, final)  # fails if something is there: never replaces a run file
        return
    except FileExistsError:
        raise TransferError(
            f"{final} exists but holds no run of the target (a file being written, or "
            "damaged); move it away and unpack again."
        ) from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise TransferError(f"Moving a run file to {final} failed ({error}).") from error
    if os.path.lexists(final):  # no hard links here: check, then rename
        raise TransferError(
            f"{final} exists but holds no run of the target; move it away and unpack again."
        )
    os.replace(staged, final)
