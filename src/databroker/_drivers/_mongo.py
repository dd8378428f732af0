"""What the two MongoDB drivers share: index management and closing on a failed start."""

from __future__ import annotations

from typing import Any

from .._intake.broker import Broker

__all__ = ["MongoCatalog"]


class MongoCatalog(Broker):
    """Base of the MongoDB drivers (their stores declare ``supports_indexes``)."""

    def _open(self, store: Any, **broker_kwargs: Any) -> None:
        """Initialise the catalog over ``store``, closing the store if that fails."""
        try:
            Broker.__init__(self, store, **broker_kwargs)
        except BaseException:
            store.close()
            raise

    def ensure_indexes(self) -> list[str]:
        """Create the indexes this layout needs that are missing; return every index name.

        Idempotent and never drops an index; an existing index with the same key pattern
        counts as present. A unique index blocked by duplicates gives a warning.
        """
        return self._store.ensure_indexes()

    def check_indexes(self) -> list[str]:
        """Return descriptions of the recommended indexes that are missing (empty: none)."""
        return self._store.check_indexes()
