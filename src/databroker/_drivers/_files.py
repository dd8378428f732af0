"""The shared constructor of the file-backed drivers."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from typing import Any

from .._intake.broker import Broker, catalog_signature
from .._stores.files.catalog import FileCatalogStore
from .._stores.files.patterns import RUN_FILE_SUFFIXES, expand_pattern, unmatched_note
from ..errors import InvalidArgument, PathMatchWarning

__all__ = ["FileCatalog"]

Paths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


class FileCatalog(Broker):
    """A catalog of runs stored one per file; subclasses set ``_file_format`` and ``name``.

    ``paths`` are glob patterns, directories (every run file of the format directly inside),
    or a list of them; ``~`` and environment variables are expanded. Paths matching no file
    in a directory that holds other files give a :class:`~databroker.errors.PathMatchWarning`
    saying what is there.
    """

    _file_format: Any

    @catalog_signature
    def __init__(self, paths: Paths | None = None, **kwargs: Any) -> None:
        if paths is None:  # e.g. 'path:' for 'paths:' in a YAML file: say which is meant
            self._check_arguments(kwargs)
            raise InvalidArgument(f"{type(self).__name__} needs paths= (a glob or directory).")
        suffix = RUN_FILE_SUFFIXES[self.name.split("-")[1]]
        given = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
        #: The glob patterns read: directories become ``<dir>/*<suffix>``, ``~`` and
        #: ``$VARIABLES`` expanded.
        self.paths = [expand_pattern(path, suffix) for path in given]
        store = FileCatalogStore(self.paths, self._file_format, ttl=kwargs.get("ttl", 1.0))
        super().__init__(store, **kwargs)
        note = unmatched_note(self.paths, suffix, store.backend_name)
        if note is not None:
            warnings.warn(note, PathMatchWarning, stacklevel=3)
