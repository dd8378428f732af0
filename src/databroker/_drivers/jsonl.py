"""The ``bluesky-jsonl-catalog`` driver: one JSONL file per run."""

from __future__ import annotations

from .._stores.files.catalog import JSONL
from .._stores.files.tail_lines import tail as tail  # 1.x import path
from ._files import FileCatalog

__all__ = ["BlueskyJSONLCatalog"]


class BlueskyJSONLCatalog(FileCatalog):
    """A catalog of runs stored one JSONL file per run (the layout suitcase-jsonl writes).

    Parameters
    ----------
    paths
        A glob pattern (``'data/*.jsonl'``) or a list of them.
    **kwargs
        The reading options every catalog takes (``handler_registry``, ``root_map``,
        ``filler_class``, ``query``, ``transforms``: see :class:`databroker.v2.Broker`) and
        intake's options (``name``, ``metadata``, ``ttl``).
    """

    name = "bluesky-jsonl-catalog"
    _file_format = staticmethod(JSONL)
