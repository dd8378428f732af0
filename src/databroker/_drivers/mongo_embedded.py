"""The ``bluesky-mongo-embedded-catalog`` driver: one header document per run, paged events."""

from __future__ import annotations

from typing import Any

from .._intake.broker import catalog_signature
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
    **kwargs
        The reading options every catalog takes (``handler_registry``, ``root_map``,
        ``filler_class``, ``query``, ``transforms``: see :class:`databroker.v2.Broker`;
        queries are written for start documents and rewritten to the ``header`` layout) and
        intake's options (``name``, ``metadata``, ``ttl``).
    """

    name = "bluesky-mongo-embedded-catalog"
    _store: EmbeddedCatalogStore

    @catalog_signature
    def __init__(self, datastore_db: Any, **kwargs: Any) -> None:
        self._open(EmbeddedCatalogStore(datastore_db), **kwargs)
