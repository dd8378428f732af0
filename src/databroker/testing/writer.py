"""Conformance tests of a store's writer (``CatalogStore.serializer()``).

What our writer stores must be what the other implementation (suitcase, or the hand-built
layout of :mod:`databroker.testing.bypass`) stores for the same documents, read with the
storage library alone (plain ``json``, ``msgpack``, ``pymongo``), not with our readers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .._stores.base import CatalogStore
from ..errors import InvalidDocument
from . import documents as docs
from ._kit import KitBase

__all__ = ["WriterTests", "raw_contents"]

#: Mongo fields whose value depends on how a writer batches, not on the documents.
_BATCHING_FIELDS = frozenset({"_id", "size"})


def _sorted(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def _files(directory: str, suffix: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for path in sorted(Path(directory).glob(f"*.{suffix}")):
        if suffix == "jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            found[path.name] = [json.loads(line) for line in lines]
        else:
            import msgpack
            import msgpack_numpy

            with open(path, "rb") as file:
                unpacker = msgpack.Unpacker(file, object_hook=msgpack_numpy.decode, raw=False)
                found[path.name] = docs.plain(list(unpacker))
    return found


def _collections(databases: dict[str, Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for label, database in databases.items():
        for name in sorted(database.list_collection_names()):
            rows = [
                {k: v for k, v in doc.items() if k not in _BATCHING_FIELDS}
                for doc in database[name].find()
            ]
            if rows:
                found[f"{label}.{name}"] = _sorted(docs.plain(rows))
    return found


def raw_contents(store: CatalogStore) -> dict[str, list[Any]]:
    """Return what one of databroker's stores holds, read without databroker: file name →
    records for files, ``database.collection`` → documents (sorted, no ``_id``/``size``)."""
    from .._stores.files.catalog import FileCatalogStore

    if isinstance(store, FileCatalogStore):
        return _files(str(Path(store.patterns[0]).parent), store.backend_name)
    from .._stores.mongo.embedded import EmbeddedCatalogStore
    from .._stores.mongo.normalized import NormalizedCatalogStore

    if isinstance(store, NormalizedCatalogStore):
        return _collections({"mds": store.metadatastore, "assets": store.assets})
    if isinstance(store, EmbeddedCatalogStore):
        return _collections({"db": store.database})
    raise NotImplementedError(f"Override raw_contents() for the {store.backend_name} store.")


def _close(writer: Any) -> None:
    close: Callable[[], None] | None = getattr(writer, "close", None)
    if close is not None:  # a serializer is a plain callable; the file writers also close
        close()


class WriterTests(KitBase):
    """Our writer against the other implementation of the same layout."""

    def raw_contents(self, store: CatalogStore) -> Any:
        """Return what ``store`` holds, read with the storage library alone (override for a
        store that is not databroker's)."""
        return raw_contents(store)

    def reference_writer(self, store: CatalogStore) -> Any:
        """Return the other implementation's writer, batching as it does by default (the
        bypass without :attr:`bypass_options`)."""
        from .bypass import bypass_writer

        return bypass_writer(store)

    def _runs(self) -> list[docs.Run]:
        # Finished runs only: what a header holds before the stop (suitcase-mongo pushes the
        # start into its counts) is a writer's choice that readers must not rely on.
        return [*docs.lookup_runs()[:2], docs.rich_run()]

    def _write_ours(self, store: CatalogStore, runs: list[docs.Run]) -> None:
        writer = store.serializer()
        for run in runs:
            for name, doc in run.documents:
                writer(name, doc)
        _close(writer)
        store.refresh(force=True)

    def test_writer_stores_what_the_other_implementation_stores(
        self, store_factory: Callable[[str], CatalogStore]
    ) -> None:
        """[compat] Our writer stores the same records as suitcase (or the documented layout)."""
        ours, theirs = store_factory("ours"), store_factory("theirs")
        runs = self._runs()
        self._write_ours(ours, runs)
        for run in runs:
            writer = self.reference_writer(theirs)
            for name, doc in run.documents:
                writer(name, doc)
            writer.close()
        assert self.raw_contents(ours) == self.raw_contents(theirs)

    def test_written_runs_read_back(self, store: CatalogStore) -> None:
        """[compat] What our writer stored reads back through the protocol as written."""
        run = docs.rich_run()
        self._write_ours(store, [run])
        read = store.open_run(run.uid)
        assert docs.plain(read.start()) == docs.plain(run.start)
        assert docs.plain(read.stop()) == docs.plain(run.stop)
        assert docs.table(read.event_pages(run.facts["primary"]))["seq_num"] == list(range(1, 8))
        ids = [d["uid"] for d in read.stream_datum(run.facts["det"])]
        assert ids == run.facts["stream_datum"]

    def test_unknown_document_name(self, store: CatalogStore) -> None:
        """[fix] The writer refuses a document name outside the event model (InvalidDocument)."""
        writer = store.serializer()
        run = docs.lookup_runs()[0]
        writer("start", run.start)
        with pytest.raises(InvalidDocument, match="no-such-name"):
            writer("no-such-name", {"uid": "x", "run_start": run.uid})
        _close(writer)

    def test_document_after_stop(self, store: CatalogStore) -> None:
        """[fix] The writer refuses a document of a run after its stop (InvalidDocument)."""
        writer = store.serializer()
        run = docs.lookup_runs()[0]
        for name, doc in run.documents:
            writer(name, doc)
        descriptor = dict(run.documents[1][1], uid="late-descriptor")
        with pytest.raises(InvalidDocument):
            writer("descriptor", descriptor)
