"""``unpack`` (and the writing half of ``merge``): runs into a writable catalog, verified first.

Stage, verify, commit: external files are copied into a staging directory beside their
destination and checked against their sha256, then renamed into place, then the documents are
written. A failure at any step removes what this call added, so the target is unchanged.

A run file that needs no rewriting (no resource to re-root), going into a file catalog of its
format, is not decoded: its bytes are staged in the catalog directory, checked, and linked into
place (:mod:`.runfiles`).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast
from urllib.parse import quote, unquote, urlparse

from ..errors import (
    BundleFormatError,
    InvalidArgument,
    RunConflict,
    TargetNotWritable,
    TransferError,
)
from .bundles import OpenedBundle, open_bundle
from .export import plain_documents
from .external_files import commit_files, stage_files
from .report import TransferReport, content_digest, maybe_progress
from .runfiles import RawRunFile, StagedRunFiles
from .sources import Target, open_target

__all__ = ["IncomingRun", "bundle_rerooter", "unpack", "write_runs"]

Documents = Iterable[tuple[str, Mapping[str, Any]]]
Reroot = Callable[[str, dict[str, Any]], dict[str, Any]]

#: ``opener(path, mode)`` of staged copies; tests replace it to simulate a full disk.
OPEN_FOR_WRITING: Callable[..., Any] = open


@dataclass
class IncomingRun:
    """A run to write: its documents as stored at the source, and its files."""

    uid: str
    documents: Callable[[], Documents]
    #: ``{'source', 'relative', 'size', 'sha256'}``: local file -> path under external_root.
    files: list[dict[str, Any]] = field(default_factory=list)
    #: Where the run comes from, for messages.
    origin: str = ""
    #: The run's file, when it goes into the target byte for byte (instead of documents).
    raw: RawRunFile | None = None


def _relocated(path: str, roots: Mapping[str, str], external_root: str | None) -> str | None:
    for key, value in roots.items():
        stem = key.rstrip("/")
        if path in (key, stem) or path.startswith(stem + "/"):
            rest = path[len(stem) :].lstrip("/")
            if os.path.isabs(value):
                base = value
            elif external_root is None:
                return None
            else:
                base = os.path.join(external_root, value)
            return os.path.join(base, rest) if rest else base
    return None


def bundle_rerooter(roots: Mapping[str, str], external_root: str | None) -> Reroot:
    """Return a function pointing (stream) resources at where a bundle's files land.

    ``roots`` maps a stored root (prefix) to a directory in the bundle (files land under
    ``external_root`` at the same relative path) or to an absolute directory.
    """

    def reroot(name: str, doc: dict[str, Any]) -> dict[str, Any]:
        if name not in ("resource", "stream_resource"):
            return doc
        if doc.get("uri") is not None:
            parsed = urlparse(doc["uri"])
            stored = unquote(parsed.path) if parsed.scheme == "file" else doc["uri"]
            moved = _relocated(stored, roots, external_root)
            if moved is not None:
                doc = {**doc, "uri": "file://localhost" + quote(os.path.abspath(moved))}
        elif doc.get("root"):
            moved = _relocated(str(doc["root"]), roots, external_root)
            if moved is not None:
                doc = {**doc, "root": moved}
        return doc

    return reroot


def _classify(
    incoming: list[IncomingRun], target: Target, skip_existing: bool
) -> tuple[list[IncomingRun], list[str]]:
    """Split runs into new ones and identical ones already there; conflicts raise."""
    new, skipped = [], []
    for run in incoming:
        if not target.has_run(run.uid):
            new.append(run)
            continue
        same = _same_file(run, target) or content_digest(run.documents()) == content_digest(
            plain_documents(cast(Any, target.reader(run.uid)))
        )
        if same and skip_existing:
            skipped.append(run.uid)
            continue
        raise RunConflict(
            f"The run {run.uid!r} from {run.origin} "
            + ("differs from the run with that uid" if not same else "already exists")
            + f" in {target.description}. Remove one of them (catalog.prune) or "
            + ("keep the target's copy." if not same else "pass skip_existing=True.")
        )
    return new, skipped


def _same_file(run: IncomingRun, target: Target) -> bool:
    """Whether the target holds the run in a file with the very bytes of its bundled run
    file (a second unpack then needs no decoding to know it is a no-op)."""
    path_of = getattr(target.store, "path_of", None)
    if run.raw is None or run.raw.sha256 is None or path_of is None:
        return False
    from .records import sha256_of

    try:
        stored = path_of(run.uid)
        if run.raw.size is not None and os.path.getsize(stored) != run.raw.size:
            return False
        return sha256_of(stored) == run.raw.sha256
    except (OSError, KeyError):
        return False


def _probe(directory: str, what: str) -> None:
    """Raise ``TargetNotWritable`` unless a file can be created in ``directory``."""
    try:
        os.makedirs(directory, exist_ok=True)
        handle, path = tempfile.mkstemp(prefix=".databroker-probe-", dir=directory)
        os.close(handle)
        os.remove(path)
    except OSError as error:
        raise TargetNotWritable(
            f"Cannot write into {what} {directory} ({error.strerror or error}); nothing was "
            "written. Choose a writable target."
        ) from None


def _unique_files(runs: list[IncomingRun]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for run in runs:
        for record in run.files:
            seen.setdefault(record["relative"], record)
    return list(seen.values())


def _remove(paths: Iterable[str]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.remove(path)


def _rollback(target: Target, uids: list[str], added: list[str]) -> None:
    close = getattr(target.write, "close", None)
    if close is not None:
        close()
    target.store.refresh(force=True)
    for uid in uids:
        if target.has_run(uid) and target.store.supports_deletes:
            target.store.delete_run(uid)
    _remove(added)


def write_runs(
    incoming: list[IncomingRun],
    target: Target,
    *,
    reroot: Reroot,
    external_root: str | None,
    report: TransferReport,
    skip_existing: bool = True,
    progress: bool = True,
) -> TransferReport:
    """Write the runs not in ``target`` yet, and their files, all or nothing."""
    new, report.skipped = _classify(incoming, target, skip_existing)
    files = _unique_files(new)
    if files and external_root is None:
        raise InvalidArgument(
            f"The runs bring {len(files)} external file(s); pass external_root= to say "
            f"where they go for {target.description}."
        )
    report.runs = [run.uid for run in new]
    report.files = [
        {
            "source": f["source"],
            "destination": os.path.join(external_root or "", f["relative"]),
            "size": f.get("size") if f.get("size") is not None else os.path.getsize(f["source"]),
        }
        for f in files
    ]
    if report.dry_run or not new:
        return report
    if not target.store.supports_writes:
        raise TargetNotWritable(f"{target.description} is read-only; nothing was written.")
    directory = target.directory()
    if directory is not None:
        _probe(directory, "the catalog directory")
    whole = [(run.uid, run.raw) for run in new if run.raw is not None]
    staged = None
    if whole:
        staged = StagedRunFiles.stage(whole, directory or ".", OPEN_FOR_WRITING)
    try:
        _write(new, target, reroot, files, external_root, staged, progress)
    finally:
        if staged is not None:
            staged.discard()
    if not target.owned:  # a store opened here is thrown away: nobody reads it again
        target.store.refresh(force=True)
    return report


def _write(
    new: list[IncomingRun],
    target: Target,
    reroot: Reroot,
    files: list[dict[str, Any]],
    external_root: str | None,
    staged: StagedRunFiles | None,
    progress: bool,
) -> None:
    """Commit the files, the run files copied whole, then write the other runs' documents."""
    added: list[str] = []
    if files and external_root is not None:
        _probe(external_root, "the external_root")
        stage = stage_files(files, external_root, progress, OPEN_FOR_WRITING)
        try:
            added = commit_files(files, stage, external_root)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    started: list[str] = []
    try:
        if staged is not None:
            added += staged.commit()
        decoded = [run for run in new if run.raw is None]
        write = target.serializer() if decoded else None
        for run in maybe_progress(decoded, show=progress, total=len(decoded), desc="runs"):
            assert write is not None
            started.append(run.uid)
            for name, doc in _checked_first(run, run.documents()):
                write(name, reroot(name, dict(doc)))
        close = getattr(write, "close", None)
        if close is not None:
            close()
    except BaseException as error:
        _rollback(target, started, added)
        if isinstance(error, TransferError | RunConflict | BundleFormatError):
            raise
        raise TransferError(
            f"Writing the run {started[-1] if started else '?'!r} into {target.description} "
            f"failed ({type(error).__name__}: {error}); what this call wrote was removed."
        ) from error


def _checked_first(run: IncomingRun, documents: Documents) -> Documents:
    """The run's documents, the first checked to be the start of run ``run.uid`` (a run
    file naming another uid, such as ``../x``, would be written under another name)."""
    iterator = iter(documents)
    first = next(iterator, None)
    if first is None or first[0] != "start" or first[1].get("uid") != run.uid:
        found = "nothing" if first is None else f"{first[0]} {first[1].get('uid')!r}"
        raise BundleFormatError(
            f"{run.origin} should hold the run {run.uid!r}, but begins with {found}. The "
            "bundle is damaged or inconsistent; what this call wrote was removed."
        )
    yield first
    yield from iterator


def _bundle_documents(opened: OpenedBundle, run: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    from .._stores.files import jsonl_format, msgpack_format

    module = jsonl_format if opened.document_format(dict(run)) == "jsonl" else msgpack_format
    for _, name, doc in module.iter_documents(opened.path(run["documents"])):
        yield name, doc


def _files_by_run(opened: OpenedBundle) -> dict[str | None, list[dict[str, Any]]]:
    """The bundle's files to copy, by run uid (None: files of every run)."""
    grouped: dict[str | None, list[dict[str, Any]]] = {}
    for f in opened.manifest["files"]:
        if f.get("bundle_path"):
            grouped.setdefault(f.get("run"), []).append(
                {
                    "source": opened.source(f["bundle_path"]),
                    "open": partial(opened.open, f["bundle_path"]),
                    "relative": f["bundle_path"],
                    "size": f.get("size"),
                    "sha256": f.get("sha256"),
                }
            )
    return grouped


def _incoming(opened: OpenedBundle, whole: Mapping[str, str], verify: bool) -> list[IncomingRun]:
    """The bundle's runs; those whose run file is in ``whole`` go in byte for byte (to the
    path it maps the file to)."""
    incoming = []
    files = _files_by_run(opened)
    shared = files.get(None, [])
    for run in opened.manifest["runs"]:
        relative = run["documents"]
        raw = None
        if relative in whole:
            raw = RawRunFile(
                partial(opened.open, relative),
                opened.where(relative),
                posixpath.splitext(relative)[1],
                whole[relative],
                run.get("size"),
                run["sha256"] if verify else None,
            )

        def documents(run: dict[str, Any] = run, unchecked: bool = raw is not None) -> Documents:
            if unchecked and verify:  # its check was left to the copy; it is read now
                opened.check_document(run)
            return _bundle_documents(opened, run)

        own = shared + files.get(run["uid"], [])
        incoming.append(IncomingRun(run["uid"], documents, own, opened.where(relative), raw))
    return incoming


def _whole_run_files(opened: OpenedBundle, target: Target) -> dict[str, str]:
    """The run files that go into ``target`` byte for byte (bundle path -> target path):
    our bundle's checksummed run files with no resource to re-root (or no roots to re-root
    them by), whose uid and format the target catalog takes as a file."""
    if opened.kind != "databroker":
        return {}
    rewrites = bool(opened.manifest.get("roots"))
    chosen = {}
    for run in opened.manifest["runs"]:
        relative = run["documents"]
        suffix = posixpath.splitext(relative)[1]
        if not run.get("sha256") or (rewrites and run.get("resources") != 0):
            continue
        if suffix in (".msgpack", ".jsonl"):
            destination = target.run_file(run["uid"], suffix)
            if destination is not None:
                chosen[relative] = destination
    return chosen


def default_external_root(target: Target, external_root: Any) -> str | None:
    """``external_root``, or a file catalog's directory (files land in its ``external/``)."""
    if external_root is not None:
        return os.path.abspath(os.fspath(external_root))
    directory = target.directory()
    return os.path.abspath(directory) if directory else None


def unpack(
    bundle: Any,
    target: Any,
    *,
    external_root: str | os.PathLike[str] | None = None,
    skip_existing: bool = True,
    verify: bool = True,
    dry_run: bool = False,
    progress: bool = True,
    format: str = "msgpack",
) -> TransferReport:
    """Write a bundle's runs and files into a writable catalog, verified before anything.

    Parameters
    ----------
    bundle
        A bundle directory or ``.zip`` (ours, or databroker-pack 0.3.0's).
    target
        A catalog, a ``CatalogStore``, a directory (a file catalog, created if needed) or
        a MongoDB URI.
    external_root
        Where external files go (under their bundle paths, ``external/<resource uid>/``);
        default the directory of a file catalog; needed for a database target when the
        bundle has files.
    skip_existing
        A run already in the target with identical content is skipped (a second unpack
        is a no-op); with False it is a :class:`~databroker.errors.RunConflict`.
    verify
        Check every file's size and sha256 against the manifest before writing.
    dry_run
        Report what would be copied and written, changing nothing.
    progress
        Show progress bars (on a terminal only).
    format
        The file format of a new directory target (``'msgpack'`` or ``'jsonl'``).

    Raises
    ------
    BundleFormatError, BundleFileMissing, ChecksumMismatch
        The bundle is damaged or unsafe (nothing written).
    RunConflict
        A run with the same uid but different content exists in the target.
    TargetNotWritable, TransferError
        Writing failed; what this call wrote was removed.
    """
    tgt = open_target(target, file_format=format)
    root = default_external_root(tgt, external_root)
    opened = open_bundle(bundle)
    try:
        whole = {} if dry_run else _whole_run_files(opened, tgt)
        if verify:
            # Run files to decode are hashed now; external files and run files copied whole
            # as they are staged, before anything is committed (a dry run stages nothing, so
            # it hashes everything here).
            opened.verify(contents=dry_run, deferred=whole)
        opened.prepare_documents(skip=whole)
        report = TransferReport("unpack", tgt.description, dry_run)
        return write_runs(
            _incoming(opened, whole, verify),
            tgt,
            reroot=bundle_rerooter(opened.manifest.get("roots", {}), root),
            external_root=root,
            report=report,
            skip_existing=skip_existing,
            progress=progress,
        )
    finally:
        opened.close()
