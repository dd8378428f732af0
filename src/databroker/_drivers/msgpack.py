"""The ``bluesky-msgpack-catalog`` driver: one msgpack file per run."""

from __future__ import annotations

from .._stores.files.catalog import MSGPACK
from ._files import FileCatalog

__all__ = ["BlueskyMsgpackCatalog"]


class BlueskyMsgpackCatalog(FileCatalog):
    """A catalog of runs stored as msgpack files matched by glob ``paths``."""

    name = "bluesky-msgpack-catalog"
    _file_format = staticmethod(MSGPACK)
