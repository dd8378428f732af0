"""``Registry`` (``db.reg``): the v1 handle on a catalog's handlers, root_map and files."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .._transfer.copy_files import RenameHook, copy_resource_files, owning_run_uid
from ..errors import NotSupported

__all__ = ["Registry"]


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

        return resolve_root(root, self._catalog.read_context.resolved_root_map())

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
            Not supported (True raises :class:`~databroker.errors.NotSupported`, a
            ``NotImplementedError``).
        file_rename_hook
            ``hook(n, total, old_path, new_path)`` called before each copy; its exceptions
            are ignored.
        run_start_uid
            The run the resource belongs to, when the resource has no ``run_start``.

        Returns
        -------
        list of (str, str)
            ``(source, destination)`` of each file.

        Raises
        ------
        InvalidDocument
            (a ``ValueError``) if neither ``resource['run_start']`` nor ``run_start_uid``
            names the run.
        RuntimeError
            If a file is not under the resource's root (after root_map).
        """
        if verify:
            raise NotSupported("copy_files(verify=True) is not supported.")
        uid = owning_run_uid(resource, run_start_uid)
        return copy_resource_files(
            resource,
            new_root,
            # The run is looked up only once the root is known, as in 1.x.
            list_files=lambda doc: self._catalog[uid].get_file_list(doc),
            resolve_root=self._resolved_root,
            file_rename_hook=file_rename_hook,
        )
