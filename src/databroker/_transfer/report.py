"""What a transfer did (or, in a dry run, would do): runs written or skipped, files copied."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["TransferReport", "content_digest", "copy_and_hash", "maybe_progress"]

T = TypeVar("T")


@dataclass
class TransferReport:
    """The outcome of ``pack``, ``unpack``, ``merge`` or ``prune``.

    With ``dry_run`` true nothing was changed, and the lists say exactly what would be.
    """

    action: str
    location: str
    dry_run: bool
    #: Runs written (packed, unpacked, merged, pruned), by uid.
    runs: list[str] = field(default_factory=list)
    #: Runs already there with identical content (idempotent re-runs), by uid.
    skipped: list[str] = field(default_factory=list)
    #: ``{'source', 'destination', 'size'}`` of every file copied (or removed by prune).
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        """Total size of the files."""
        return sum(int(f.get("size") or 0) for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "action": self.action,
            "location": self.location,
            "dry_run": self.dry_run,
            "runs": list(self.runs),
            "skipped": list(self.skipped),
            "files": [dict(f) for f in self.files],
            "bytes": self.bytes,
        }

    def __str__(self) -> str:
        verb = "would " + self.action if self.dry_run else self.action
        there = "" if self.action == "prune" else f"; {len(self.skipped)} run(s) already there"
        lines = [
            f"{verb} {len(self.runs)} run(s) and {len(self.files)} file(s) "
            f"({self.bytes} bytes) at {self.location}{there}"
        ]
        lines += [f"  run {uid}" for uid in self.runs]
        lines += [f"  file {f['source']} -> {f.get('destination')}" for f in self.files]
        return "\n".join(lines)


def maybe_progress(
    items: Iterable[T], *, show: bool, total: int | None = None, desc: str = ""
) -> Iterator[T]:
    """Yield ``items`` with a tqdm bar on stderr when ``show`` and stderr is a terminal."""
    if not (show and sys.stderr.isatty()):
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, file=sys.stderr, leave=False)


def copy_and_hash(source: str, destination: str, opener: Any = open) -> tuple[int, str]:
    """Copy ``source`` to ``destination`` in one pass, returning ``(size, sha256)``.

    ``opener(path, 'wb')`` opens the destination (tests pass a failing one to simulate a
    full disk).
    """
    from .sink import copy_stream

    os.makedirs(os.path.dirname(destination) or ".", exist_ok=True)
    with open(source, "rb") as src, opener(destination, "wb") as dst:
        size, sha256 = copy_stream(src, dst, size_hint=os.fstat(src.fileno()).st_size)
    with contextlib.suppress(OSError):  # times are a courtesy
        stat = os.stat(source)
        os.utime(destination, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return size, sha256


_LOCATION_KEYS = {"resource": ("root",), "stream_resource": ("root", "uri")}


def _plain(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    return repr(value)


def content_digest(documents: Iterable[tuple[str, Mapping[str, Any]]]) -> str:
    """Return a digest of a run's documents that ignores order, page packing and locations.

    Two copies of one run have the same digest wherever they are stored: event and datum
    pages count as their rows, and the ``root``/``uri`` of (stream) resources (rewritten
    when files move) and Mongo's ``_id`` are left out.
    """
    from .._documents.classes import unpack_datum_page, unpack_event_page

    lines: list[str] = []
    for name, doc in documents:
        if name == "event_page":
            rows: Iterable[tuple[str, Any]] = (("event", e) for e in unpack_event_page(doc))
        elif name == "datum_page":
            rows = (("datum", d) for d in unpack_datum_page(doc))
        else:
            rows = ((name, doc),)
        for row_name, row in rows:
            drop = {"_id", *_LOCATION_KEYS.get(row_name, ())}
            plain = {k: v for k, v in dict(row).items() if k not in drop}
            lines.append(row_name + json.dumps(plain, sort_keys=True, default=_plain))
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode())
    return digest.hexdigest()
