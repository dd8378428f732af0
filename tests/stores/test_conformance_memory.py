"""The in-memory store passes the conformance kit (runs registered with its own upsert)."""

from databroker.testing import CatalogStoreTests, RunStoreTests


class TestMemoryStore(CatalogStoreTests, RunStoreTests):
    backend = "memory"
