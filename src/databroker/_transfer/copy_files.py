"""Copy the files of one Resource or StreamResource under a new root."""

from __future__ import annotations

import contextlib
import os
import shutil
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..errors import InvalidDocument

__all__ = ["RenameHook", "copy_resource_files", "owning_run_uid", "relocate", "stored_root"]

#: ``hook(n, total, old_path, new_path)``, called before each file is copied.
RenameHook = Callable[[int, int, str, str], Any]


def owning_run_uid(resource: Mapping[str, Any], run_start_uid: str | None) -> str:
    """Return the uid of the run a resource belongs to.

    Parameters
    ----------
    resource
        A Resource or StreamResource document.
    run_start_uid
        The run to use when the document has no ``run_start`` (StreamResources need not).

    Returns
    -------
    str
        ``resource['run_start']`` if set, else ``run_start_uid``.

    Raises
    ------
    InvalidDocument
        (a ``ValueError``) if neither names a run.
    """
    uid = resource.get("run_start") or run_start_uid
    if uid is None:
        raise InvalidDocument(
            f"Resource {resource.get('uid')!r} has no 'run_start'; pass run_start_uid= "
            "to name the run whose handlers list its files."
        )
    return str(uid)


def stored_root(resource: Mapping[str, Any], *, stacklevel: int = 2) -> str:
    """Return a resource's ``root``, taking ``'/'`` (with a warning) when it has none.

    Parameters
    ----------
    resource
        A Resource document (or a StreamResource given a ``root``).
    stacklevel
        Passed to :func:`warnings.warn`, so the warning points at the caller's caller.

    Returns
    -------
    str
        The stored root, before root_map.
    """
    root = resource.get("root")
    if root:
        return str(root)
    warnings.warn(
        f"Resource {resource.get('uid')!r} has no root; taking '/' as its root.",
        UserWarning,
        stacklevel=stacklevel + 1,
    )
    return "/"


def relocate(
    files: Sequence[str], local_root: str, new_root: str, *, resource_uid: Any = None
) -> list[tuple[str, str]]:
    """Pair each file with its place under ``new_root``, keeping its path below ``local_root``.

    Parameters
    ----------
    files
        Paths of the resource's files (after root_map).
    local_root
        The resource's root after root_map.
    new_root
        Destination root directory.
    resource_uid
        Named in the error message.

    Returns
    -------
    list of (str, str)
        ``(source, destination)`` of each file, in the order given.

    Raises
    ------
    RuntimeError
        If a file is not under ``local_root`` (it cannot keep a relative path).
    """
    pairs = []
    for file in files:
        relative = os.path.relpath(file, local_root)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise RuntimeError(
                f"The file {file!r} of resource {resource_uid!r} is not under its "
                f"root {local_root!r}; it cannot be copied relative to a new root."
            )
        pairs.append((file, os.path.join(new_root, relative)))
    return pairs


def copy_pairs(
    pairs: Sequence[tuple[str, str]], file_rename_hook: RenameHook | None = None
) -> None:
    """Copy each ``(source, destination)`` (metadata too), creating directories as needed.

    Parameters
    ----------
    pairs
        What to copy where.
    file_rename_hook
        ``hook(n, total, source, destination)`` called before each copy; its exceptions
        are ignored.
    """
    for n, (source, destination) in enumerate(pairs):
        if file_rename_hook is not None:
            # 1.x contract: a failing progress hook never stops a copy.
            with contextlib.suppress(Exception):
                file_rename_hook(n, len(pairs), source, destination)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(source, destination)


def copy_resource_files(
    resource: Mapping[str, Any],
    new_root: str,
    *,
    list_files: Callable[[Mapping[str, Any]], Sequence[str]],
    resolve_root: Callable[[str], str],
    file_rename_hook: RenameHook | None = None,
    stacklevel: int = 2,
) -> list[tuple[str, str]]:
    """Copy the files of a resource under ``new_root``, keeping paths relative to its root.

    Parameters
    ----------
    resource
        The Resource document (a StreamResource given a ``root``: the directory its
        files are kept relative to).
    new_root
        Destination root directory.
    list_files
        Returns the paths (after root_map) of the resource's files; for a catalog's run,
        its ``get_file_list``.
    resolve_root
        Applies the catalog's root_map to a stored root.
    file_rename_hook
        ``hook(n, total, old_path, new_path)`` called before each copy; its exceptions
        are ignored.
    stacklevel
        Where the "no root" warning points, counted from the caller.

    Returns
    -------
    list of (str, str)
        ``(source, destination)`` of each file.

    Raises
    ------
    RuntimeError
        If a file is not under the resource's root; nothing is copied then.
    """
    local_root = resolve_root(stored_root(resource, stacklevel=stacklevel + 1))
    pairs = relocate(list_files(resource), local_root, new_root, resource_uid=resource.get("uid"))
    copy_pairs(pairs, file_rename_hook)
    return pairs


@contextlib.contextmanager
def removed_on_failure() -> Iterator[list[str]]:
    """Yield a list for the paths a step adds; if the step raises, remove them again."""
    added: list[str] = []
    try:
        yield added
    except BaseException:
        for path in added:
            with contextlib.suppress(OSError):
                os.remove(path)
        raise
