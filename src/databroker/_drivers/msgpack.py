"""The ``bluesky-msgpack-catalog`` driver: one msgpack file per run."""

from __future__ import annotations

from .._stores.files.catalog import MSGPACK
from ._files import FileCatalog

__all__ = ["BlueskyMsgpackCatalog"]


class BlueskyMsgpackCatalog(FileCatalog):
    """A catalog of runs stored one msgpack file per run (the layout suitcase-msgpack writes).

    Parameters
    ----------
    paths
        A glob pattern (``'data/*.msgpack'``) or a list of them.
    **kwargs
        The reading options every catalog takes (``handler_registry``, ``root_map``,
        ``filler_class``, ``query``, ``transforms``: see :class:`databroker.v2.Broker`) and
        intake's options (``name``, ``metadata``, ``ttl``).
    """

    name = "bluesky-msgpack-catalog"
    _file_format = staticmethod(MSGPACK)
