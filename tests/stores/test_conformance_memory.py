"""The in-memory store passes the conformance kit (runs registered with its own upsert)."""

from databroker.testing import CatalogStoreTests, RunStoreTests

_EMPTY_PAGE = (
    "RunDocuments' window yields an empty page for limit=0 with skip inside a page "
    "(_stores/run_documents.py _window)"
)


class TestMemoryStore(CatalogStoreTests, RunStoreTests):
    backend = "memory"
    known_failures = {
        "test_event_pages_empty_window": _EMPTY_PAGE,
        "test_datum_pages_empty_window": _EMPTY_PAGE,
    }
