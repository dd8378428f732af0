"""The embedded Mongo store passes the conformance kit (hand-built header and page documents,
three rows per page so streams span pages), on mongomock and on $DATABROKER_TEST_MONGO_URI."""

from databroker.testing import CatalogStoreTests, RunStoreTests, WriterTests, mongo_clients


class TestEmbeddedStore(CatalogStoreTests, RunStoreTests, WriterTests):
    backend = "mongo-embedded"
    bypass_options = {"page_rows": 3}
    client = mongo_clients()
