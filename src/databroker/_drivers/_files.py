"""The shared constructor of the file-backed drivers."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import event_model

from .._intake.broker import Broker
from .._stores.files.catalog import FileCatalogStore

__all__ = ["FileCatalog"]

Paths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


class FileCatalog(Broker):
    """A catalog of runs stored one per file; subclasses set ``_file_format``."""

    _file_format: Any

    def __init__(
        self,
        paths: Paths,
        *,
        handler_registry: Mapping[str, Any] | None = None,
        root_map: dict[str, str] | None = None,
        filler_class: Any = event_model.Filler,
        query: Mapping[str, Any] | None = None,
        transforms: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.paths = (
            [os.fspath(paths)]
            if isinstance(paths, str | os.PathLike)
            else [os.fspath(path) for path in paths]
        )
        store = FileCatalogStore(self.paths, self._file_format, ttl=kwargs.get("ttl", 1.0))
        super().__init__(
            store,
            handler_registry=handler_registry,
            root_map=root_map,
            filler_class=filler_class,
            transforms=transforms,
            query=query,
            **kwargs,
        )
