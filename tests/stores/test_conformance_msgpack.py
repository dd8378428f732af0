"""The msgpack store passes the conformance kit (runs written by suitcase-msgpack)."""

from databroker.testing import CatalogStoreTests, RunStoreTests, WriterTests

_EMPTY_PAGE = (
    "RunDocuments' window yields an empty page for limit=0 with skip inside a page "
    "(_stores/run_documents.py _window)"
)


class TestMsgpackStore(CatalogStoreTests, RunStoreTests, WriterTests):
    backend = "msgpack"
    known_failures = {
        "test_event_pages_empty_window": _EMPTY_PAGE,
        "test_datum_pages_empty_window": _EMPTY_PAGE,
    }
