"""The ``bluesky-mongo-embedded-catalog`` driver: one header document per run, paged events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import event_model

from .._stores.mongo_embedded import EmbeddedCatalogStore
from ..v2 import Broker

__all__ = ["BlueskyMongoCatalog"]


class BlueskyMongoCatalog(Broker):
    """A catalog of runs in the MongoDB "embedded" layout (as written by suitcase-mongo).

    Parameters
    ----------
    datastore_db
        A pymongo/mongomock ``Database`` holding ``header``, ``event``, ``datum`` (and
        ``stream_datum``), or a URI including the database name.
    handler_registry, root_map, filler_class, query, transforms
        As for every catalog (see :class:`databroker.v2.Broker`). Queries are written for
        start documents and rewritten to the ``header`` layout.
    """

    name = "bluesky-mongo-embedded-catalog"
    _store: EmbeddedCatalogStore

    def __init__(
        self,
        datastore_db: Any,
        *,
        handler_registry: Mapping[str, Any] | None = None,
        root_map: dict[str, str] | None = None,
        filler_class: Any = event_model.Filler,
        query: Mapping[str, Any] | None = None,
        transforms: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        store = EmbeddedCatalogStore(datastore_db)
        try:
            super().__init__(
                store,
                handler_registry=handler_registry,
                root_map=root_map,
                filler_class=filler_class,
                transforms=transforms,
                query=query,
                **kwargs,
            )
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
