"""The shared constructor of the file-backed drivers."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from .._intake.broker import Broker, catalog_signature
from .._stores.files.catalog import FileCatalogStore

__all__ = ["FileCatalog"]

Paths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


class FileCatalog(Broker):
    """A catalog of runs stored one per file; subclasses set ``_file_format``."""

    _file_format: Any

    @catalog_signature
    def __init__(self, paths: Paths, **kwargs: Any) -> None:
        self.paths = (
            [os.fspath(paths)]
            if isinstance(paths, str | os.PathLike)
            else [os.fspath(path) for path in paths]
        )
        store = FileCatalogStore(self.paths, self._file_format, ttl=kwargs.get("ttl", 1.0))
        super().__init__(store, **kwargs)
