"""``BlueskyInMemoryCatalog``: a catalog of runs held in process."""

from __future__ import annotations

from ._drivers.memory import BlueskyInMemoryCatalog

__all__ = ["BlueskyInMemoryCatalog"]
