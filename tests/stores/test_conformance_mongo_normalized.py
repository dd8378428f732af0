"""The normalized Mongo store passes the conformance kit (runs written by suitcase-mongo), on
mongomock and on $DATABROKER_TEST_MONGO_URI when set."""

from databroker.testing import CatalogStoreTests, RunStoreTests, WriterTests, mongo_clients


class TestNormalizedStore(CatalogStoreTests, RunStoreTests, WriterTests):
    backend = "mongo-normalized"
    client = mongo_clients()
