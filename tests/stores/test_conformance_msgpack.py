"""The msgpack store passes the conformance kit (runs written by suitcase-msgpack)."""

from databroker.testing import CatalogStoreTests, RunStoreTests, WriterTests


class TestMsgpackStore(CatalogStoreTests, RunStoreTests, WriterTests):
    backend = "msgpack"
