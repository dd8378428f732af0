"""Handlers that return where data are instead of the data (1.x import path)."""

from __future__ import annotations

from typing import Any

from ..handlers import AreaDetectorTiffHandler

__all__ = ["AreaDetectorTiffPathOnlyHandler", "RawHandler"]


class RawHandler:
    """Return ``(path, resource_kwargs, datum_kwargs)`` instead of reading anything.

    Register it for a spec to see what a handler would be given::

        db.reg.register_handler('AD_HDF5', RawHandler, overwrite=True)

    Parameters
    ----------
    path : str
        The resource path (root joined with ``resource_path``).
    **resource_kwargs
        The Resource's ``resource_kwargs``.
    """

    def __init__(self, path: str, **resource_kwargs: Any) -> None:
        self._path = path
        self._resource_kwargs = resource_kwargs

    def __call__(self, **datum_kwargs: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """Return the path, a copy of the resource kwargs and the datum kwargs."""
        return self._path, dict(self._resource_kwargs), datum_kwargs


class AreaDetectorTiffPathOnlyHandler(AreaDetectorTiffHandler):
    """Like ``AreaDetectorTiffHandler`` (spec ``AD_TIFF``) but returns the point's file paths."""

    def __call__(self, point_number: int) -> list[str]:  # type: ignore[override]
        """Return the paths of the files of one point, in frame order."""
        return self.get_file_list([{"point_number": point_number}])
