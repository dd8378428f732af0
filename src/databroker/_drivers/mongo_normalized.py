"""The ``bluesky-mongo-normalized-catalog`` driver: one Mongo document per bluesky document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._intake.broker import catalog_signature
from .._stores.mongo.normalized import NormalizedCatalogStore
from ._mongo import MongoCatalog

__all__ = ["BlueskyMongoCatalog"]


class BlueskyMongoCatalog(MongoCatalog):
    """A catalog of runs in the MongoDB "normalized" layout (as written by suitcase-mongo).

    Parameters
    ----------
    metadatastore_db
        A pymongo/mongomock ``Database`` holding ``run_start``, ``run_stop``,
        ``event_descriptor`` and ``event``, or a URI including the database name
        (``'mongodb://host:27017/metadatastore'``).
    asset_registry_db
        The same for ``resource``, ``datum``, ``stream_resource`` and ``stream_datum``;
        None (the default) when they are in ``metadatastore_db`` too.
    find_kwargs
        Options for ``run_start.find()`` when listing runs (e.g. ``{'limit': 100}``).
    **kwargs
        The reading options every catalog takes (``handler_registry``, ``root_map``,
        ``filler_class``, ``query``, ``transforms``: see :class:`databroker.v2.Broker`) and
        intake's options (``name``, ``metadata``, ``ttl``).
    """

    name = "bluesky-mongo-normalized-catalog"
    _store: NormalizedCatalogStore

    @catalog_signature
    def __init__(
        self,
        metadatastore_db: Any,
        asset_registry_db: Any = None,
        *,
        find_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        assets = metadatastore_db if asset_registry_db is None else asset_registry_db
        self._open(NormalizedCatalogStore(metadatastore_db, assets, find_kwargs), **kwargs)
