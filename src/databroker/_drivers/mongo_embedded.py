"""The ``bluesky-mongo-embedded-catalog`` driver: one header document per run, paged events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import event_model

from .._stores.mongo.embedded import EmbeddedCatalogStore
from ._mongo import MongoCatalog

__all__ = ["BlueskyMongoCatalog"]


class BlueskyMongoCatalog(MongoCatalog):
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
        self._open(
            EmbeddedCatalogStore(datastore_db),
            handler_registry=handler_registry,
            root_map=root_map,
            filler_class=filler_class,
            transforms=transforms,
            query=query,
            **kwargs,
        )
