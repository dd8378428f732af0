"""``Registry`` (``db.reg``): the v1 handle on a catalog's handlers, root_map and files."""

from __future__ import annotations

import contextlib
import os
import shutil
import warnings
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["Registry"]

RenameHook = Callable[[int, int, str, str], Any]


class Registry:
    """Handlers, root_map and file copying of one catalog.

    Parameters
    ----------
    catalog : databroker.v2.Broker
        The catalog whose handler registry and root_map are used (live, not copied).
    """

    def __init__(self, catalog: Any) -> None:
        self._catalog = catalog

    @property
    def handler_reg(self) -> Mapping[str, Any]:
        """A read-only view of the catalog's ``{spec: handler}`` registry."""
        return MappingProxyType(self._catalog.handler_registry)

    @property
    def root_map(self) -> dict[str, str]:
        """The catalog's live root_map."""
        return self._catalog.root_map

    def register_handler(self, key: str, handler: Any, overwrite: bool = False) -> None:
        """Bind a Resource spec to a handler class (``overwrite`` to replace another)."""
        self._catalog.register_handler(key, handler, overwrite=overwrite)

    def deregister_handler(self, key: str) -> None:
        """Remove the handler of a spec (unknown specs are ignored)."""
        self._catalog.deregister_handler(key)

    def _resolved_root(self, root: str) -> str:
        from .._fill import resolve_root

        return resolve_root(root, self._catalog._resolved_root_map())

    def copy_files(
        self,
        resource: Mapping[str, Any],
        new_root: str,
        verify: bool = False,
        file_rename_hook: RenameHook | None = None,
        run_start_uid: str | None = None,
    ) -> list[tuple[str, str]]:
        """Copy the files of a Resource under ``new_root``, keeping paths relative to its root.

        Parameters
        ----------
        resource
            The Resource document.
        new_root
            Destination root directory.
        verify
            Not supported (True raises NotImplementedError).
        file_rename_hook
            ``hook(n, total, old_path, new_path)`` called before each copy; its exceptions
            are ignored.
        run_start_uid
            The run the resource belongs to, when the resource has no ``run_start``.

        Returns
        -------
        list of (str, str)
            ``(source, destination)`` of each file.
        """
        if verify:
            raise NotImplementedError("copy_files(verify=True) is not supported.")
        run_start_uid = resource.get("run_start") or run_start_uid
        if run_start_uid is None:
            raise ValueError(
                f"Resource {resource.get('uid')!r} has no 'run_start'; pass run_start_uid= "
                "to name the run whose handlers list its files."
            )
        root = resource.get("root")
        if not root:
            warnings.warn(
                f"Resource {resource.get('uid')!r} has no root; taking '/' as its root.",
                UserWarning,
                stacklevel=2,
            )
            root = "/"
        local_root = self._resolved_root(root)
        files = self._catalog[run_start_uid].get_file_list(resource)
        pairs = []
        for file in files:
            relative = os.path.relpath(file, local_root)
            if relative == os.pardir or relative.startswith(os.pardir + os.sep):
                raise RuntimeError(
                    f"The file {file!r} of resource {resource.get('uid')!r} is not under its "
                    f"root {local_root!r}; it cannot be copied relative to a new root."
                )
            pairs.append((file, os.path.join(new_root, relative)))
        for n, (source, destination) in enumerate(pairs):
            if file_rename_hook is not None:
                # 1.x contract: a failing progress hook never stops a copy.
                with contextlib.suppress(Exception):
                    file_rename_hook(n, len(pairs), source, destination)
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            shutil.copy2(source, destination)
        return pairs
