"""The ``bluesky-jsonl-catalog`` driver: one JSONL file per run."""

from __future__ import annotations

from .._stores.files.catalog import JSONL
from ._files import FileCatalog

__all__ = ["BlueskyJSONLCatalog"]


class BlueskyJSONLCatalog(FileCatalog):
    """A catalog of runs stored as JSONL files matched by glob ``paths``."""

    name = "bluesky-jsonl-catalog"
    _file_format = staticmethod(JSONL)
