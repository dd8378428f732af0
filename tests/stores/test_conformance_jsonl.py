"""The JSONL store passes the conformance kit (runs written by suitcase-jsonl)."""

from databroker.testing import CatalogStoreTests, RunStoreTests, WriterTests


class TestJSONLStore(CatalogStoreTests, RunStoreTests, WriterTests):
    backend = "jsonl"
