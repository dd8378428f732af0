"""The normalized layout in one database: metadatastore and asset registry together."""

from __future__ import annotations

import inspect
from typing import Any

import event_model

from databroker._drivers.mongo_normalized import BlueskyMongoCatalog


def test_one_database_holds_both(make_db: Any) -> None:
    """[new] BlueskyMongoCatalog(db) reads and writes runs with assets in the same database."""
    database = make_db()
    catalog = BlueskyMongoCatalog(database)
    serializer = catalog.serializer()
    bundle = event_model.compose_run(metadata={"sample": "one-db"})
    serializer("start", bundle.start_doc)
    resource = bundle.compose_resource(
        spec="NPY_SEQ", root="/r", resource_path="p", resource_kwargs={}
    )
    serializer("resource", resource.resource_doc)
    serializer("stop", bundle.compose_stop())
    assert list(catalog) == [bundle.start_doc["uid"]]
    assert {"run_start", "resource"} <= set(database.list_collection_names())
    run = catalog[-1]
    assert [r["uid"] for r in run.reader.view.resources()] == [resource.resource_doc["uid"]]


def test_signature_shows_reading_options() -> None:
    """[new] help() of the Mongo drivers shows their own and every reading option."""
    parameters = inspect.signature(BlueskyMongoCatalog).parameters
    assert list(parameters)[:3] == ["metadatastore_db", "asset_registry_db", "find_kwargs"]
    assert {"handler_registry", "root_map", "filler_class", "query", "transforms"} <= set(
        parameters
    )
