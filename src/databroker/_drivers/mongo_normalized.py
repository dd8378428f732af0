"""The ``bluesky-mongo-normalized-catalog`` driver: one Mongo document per bluesky document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import event_model

from .._stores.mongo.normalized import NormalizedCatalogStore
from ._mongo import MongoCatalog

__all__ = ["BlueskyMongoCatalog"]


class BlueskyMongoCatalog(MongoCatalog):
    """A catalog of runs in the MongoDB "normalized" layout (as written by suitcase-mongo).

    Parameters
    ----------
    metadatastore_db
        A pymongo/mongomock ``Database`` holding ``run_start``, ``run_stop``,
        ``event_descriptor`` and ``event``, or a URI including the database name.
    asset_registry_db
        The same for ``resource``, ``datum``, ``stream_resource`` and ``stream_datum``.
    find_kwargs
        Options for ``run_start.find()`` when listing runs (e.g. ``{'limit': 100}``).
    handler_registry, root_map, filler_class, query, transforms
        As for every catalog (see :class:`databroker.v2.Broker`).
    """

    name = "bluesky-mongo-normalized-catalog"
    _store: NormalizedCatalogStore

    def __init__(
        self,
        metadatastore_db: Any,
        asset_registry_db: Any,
        *,
        handler_registry: Mapping[str, Any] | None = None,
        root_map: dict[str, str] | None = None,
        filler_class: Any = event_model.Filler,
        query: Mapping[str, Any] | None = None,
        find_kwargs: Mapping[str, Any] | None = None,
        transforms: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._open(
            NormalizedCatalogStore(metadatastore_db, asset_registry_db, find_kwargs),
            handler_registry=handler_registry,
            root_map=root_map,
            filler_class=filler_class,
            transforms=transforms,
            query=query,
            **kwargs,
        )
