"""Collecting runs into a catalog (``merge``), removing them (``prune``), finding them
(``locate``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from ..errors import InvalidArgument, PruneRefused, RunNotFound
from .export import plain_documents
from .manifest import BUNDLE_ROOT, MANIFEST
from .pack import _reroot
from .records import FileRecord, file_records
from .report import TransferReport
from .sources import Target, describe, iter_readers, open_target
from .unpack import IncomingRun, bundle_rerooter, default_external_root, unpack, write_runs

__all__ = ["Location", "locate", "merge", "prune"]


def _is_bundle(location: Any) -> bool:
    if not isinstance(location, str | os.PathLike):
        return False
    path = os.fspath(location)
    if os.path.isfile(path):
        return path.endswith(".zip")
    return os.path.isfile(os.path.join(path, MANIFEST)) or os.path.isfile(
        os.path.join(path, "catalog.yml")
    )


def _as_catalog(source: Any) -> Any:
    if isinstance(source, str | os.PathLike):
        target = open_target(source)
        return target
    return source


def _incoming_runs(source: Any, copy_files: bool) -> list[IncomingRun]:
    if isinstance(source, Target):
        readers = [source.reader(s["uid"]) for s in source.store.iter_starts({})]
        origin = source.description
    else:
        readers = list(iter_readers(source))
        origin = describe(source)
    runs = []
    for reader in readers:
        if not copy_files:
            runs.append(IncomingRun(reader.uid, _documents_of(reader), [], origin))
            continue
        files: list[dict[str, Any]] = []
        documents = []
        root_map = reader.filler().root_map
        for name, doc in plain_documents(cast(Any, reader)):
            if name in ("resource", "stream_resource"):
                for src, relative in _reroot(name, doc, reader, root_map):
                    files.append({"source": src, "relative": relative})
            documents.append((name, doc))
        runs.append(IncomingRun(reader.uid, lambda d=documents: d, files, origin))  # type: ignore[misc]
    return runs


def _documents_of(reader: Any) -> Any:
    def documents() -> Any:
        return plain_documents(reader)

    return documents


def merge(
    central: Any,
    sources: Any,
    *,
    dry_run: bool = False,
    external_root: str | os.PathLike[str] | None = None,
    skip_existing: bool = True,
    progress: bool = True,
) -> TransferReport:
    """Write into ``central`` the runs of one or many job catalogs or bundles it lacks.

    Parameters
    ----------
    central
        The writable catalog collecting the runs.
    sources
        A catalog, a directory of run files (a job's output), a bundle (directory or
        ``.zip``), or a list of them.
    dry_run
        Report what would be written, changing nothing.
    external_root
        Copy the runs' external files under this directory (re-rooting the documents);
        None leaves catalogs' files where they are (bundles: as :func:`unpack`).
    skip_existing, progress
        As for :func:`unpack`.

    Returns
    -------
    TransferReport
        Every run written, skipped, and every file copied, over all sources.
    """
    items = (
        [sources]
        if isinstance(sources, str | os.PathLike) or hasattr(sources, "_store")
        else list(sources)
    )
    target = open_target(central)
    total = TransferReport("merge", target.description, dry_run)
    for source in items:
        if _is_bundle(source):
            report = unpack(
                source,
                central,
                external_root=external_root,
                skip_existing=skip_existing,
                dry_run=dry_run,
                progress=progress,
            )
        else:
            root = None if external_root is None else default_external_root(target, external_root)
            report = write_runs(
                _incoming_runs(_as_catalog(source), copy_files=root is not None),
                target,
                reroot=bundle_rerooter({BUNDLE_ROOT: "external"}, root),
                external_root=root,
                report=TransferReport("merge", target.description, dry_run),
                skip_existing=skip_existing,
                progress=progress,
            )
        total.runs += report.runs
        total.skipped += report.skipped
        total.files += report.files
    return total


def _derived_from(target: Target, uid: str) -> list[str]:
    from .._query.provenance import DerivedFrom

    return [s["uid"] for s in target.store.iter_starts(dict(DerivedFrom(uid)))]


def prune(
    catalog: Any,
    uids: Iterable[str] | str,
    *,
    unstore: bool = False,
    dry_run: bool = True,
    force: bool = False,
) -> TransferReport:
    """Remove runs from a writable catalog (a dry run unless ``dry_run=False``).

    Parameters
    ----------
    catalog
        The catalog (its store must support deletes).
    uids
        The runs to remove.
    unstore
        Also delete their external files that no other run of the catalog refers to.
    dry_run
        Only report (the default).
    force
        Remove runs that other runs (not removed too) derive from.

    Raises
    ------
    PruneRefused
        Another run derives from one of ``uids`` and ``force`` is false.
    NotSupported
        The catalog's store cannot delete runs.
    """
    chosen = [uids] if isinstance(uids, str) else list(uids)
    target = open_target(catalog)
    report = TransferReport("prune", target.description, dry_run)
    for uid in chosen:
        if not target.has_run(uid):
            raise RunNotFound(f"No run {uid!r} in {target.description}; nothing was pruned.")
        children = [child for child in _derived_from(target, uid) if child not in chosen]
        if children and not force:
            raise PruneRefused(
                f"The run {uid!r} of {target.description} is an input of {len(children)} "
                f"other run(s) ({', '.join(children[:5])}); prune those too or pass force=True."
            )
    removable: list[FileRecord] = []
    if unstore:
        kept = {
            record.path
            for start in target.store.iter_starts({})
            if start["uid"] not in chosen
            for record in file_records(target.reader(start["uid"]))
        }
        for uid in chosen:
            removable += [
                r for r in file_records(target.reader(uid)) if r.exists and r.path not in kept
            ]
    report.runs = chosen
    report.files = [{"source": r.path, "destination": None, "size": r.size} for r in removable]
    if dry_run:
        return report
    if not target.store.supports_deletes:
        raise target.store.not_supported("prune()", "needs a store with supports_deletes")
    for uid in chosen:
        target.store.delete_run(uid)
    for path in dict.fromkeys(r.path for r in removable):
        os.remove(path)
    refresh = getattr(catalog, "force_reload", None)
    if refresh is not None:
        refresh()
    return report


@dataclass
class Location:
    """Where a run is: the catalog holding it and its files there."""

    catalog: str
    uid: str
    files: list[FileRecord] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every file of the run exists there."""
        return all(record.exists for record in self.files)


def locate(uid: str, catalogs: Iterable[Any]) -> list[Location]:
    """Return, for each of ``catalogs`` (catalogs, directories, bundles) holding run ``uid``,
    where its files are."""
    found = []
    for catalog in catalogs:
        if _is_bundle(catalog):
            from .bundles import open_bundle

            opened = open_bundle(catalog)
            try:
                if any(run["uid"] == uid for run in opened.manifest["runs"]):
                    found.append(Location(f"bundle {opened.location}", uid))
            finally:
                opened.close()
            continue
        try:
            target = open_target(catalog)
        except InvalidArgument:
            raise
        if target.has_run(uid):
            found.append(Location(target.description, uid, file_records(target.reader(uid))))
    return found
