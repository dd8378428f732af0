"""Writers that store runs *without* databroker's writers, for the conformance kit.

A reader tested only on what our own writers produce can share a bug with them and still
pass; these writers store the layouts the way other software does:

* JSONL: suitcase-jsonl's ``Serializer``;
* msgpack: suitcase-msgpack's ``Serializer`` (plus ``stream_resource``/``stream_datum``
  records, which it predates, encoded with its own encoder);
* Mongo normalized: suitcase-mongo's ``mongo_normalized.Serializer`` (plus inserts of the
  stream documents it predates into ``stream_resource``/``stream_datum``);
* Mongo embedded: header and page documents built here by hand, as the layout is
  documented (suitcase-mongo's embedded serializer is threaded and cannot write a run that
  is still going);
* memory: the store's own ``upsert``.

Each writer takes one run at a time, documents in order, and has ``close()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._stores.base import CatalogStore, Doc

if TYPE_CHECKING:
    from .._stores.memory import MemoryCatalogStore

__all__ = [
    "EmbeddedBypass",
    "FileBypass",
    "MemoryBypass",
    "NormalizedBypass",
    "bypass_writer",
]


class _PerRun:
    """Make a new serializer at each start (suitcase serializers take one run each)."""

    def __init__(self) -> None:
        self._current: Any = None

    def _new(self, start: Doc) -> Any:
        raise NotImplementedError

    def __call__(self, name: str, doc: Doc) -> None:
        if name == "start":
            self.close()
            self._current = self._new(doc)
        self._current(name, doc)
        if name == "stop":
            self._current = None

    def close(self) -> None:
        """Close the serializer of a run not stopped yet (its file stays as written)."""
        current, self._current = self._current, None
        close = getattr(current, "close", None)
        if close is not None:
            close()


class FileBypass(_PerRun):
    """suitcase-jsonl or suitcase-msgpack, flushing every document, into ``directory``."""

    def __init__(self, directory: str, suffix: str) -> None:
        super().__init__()
        self.directory = directory
        self.suffix = suffix

    def _new(self, start: Doc) -> Any:
        if self.suffix == "jsonl":
            import suitcase.jsonl

            return suitcase.jsonl.Serializer(self.directory, flush=True)
        return _msgpack_serializer()(self.directory, flush=True)


def _msgpack_serializer() -> type:
    import suitcase.msgpack

    class Serializer(suitcase.msgpack.Serializer):
        """suitcase-msgpack, also writing the stream documents it predates."""

        def _record(self, name: str, doc: Doc) -> None:
            self._buffer.write(suitcase.msgpack._encode((name, doc), **self._kwargs))
            self._buffer.flush()

        def stream_resource(self, doc: Doc) -> Doc:
            self._record("stream_resource", doc)
            return doc

        def stream_datum(self, doc: Doc) -> Doc:
            self._record("stream_datum", doc)
            return doc

    return Serializer


class NormalizedBypass(_PerRun):
    """suitcase-mongo's normalized serializer over two databases."""

    def __init__(self, metadatastore: Any, assets: Any) -> None:
        super().__init__()
        self.metadatastore = metadatastore
        self.assets = assets

    def _new(self, start: Doc) -> Any:
        import event_model
        import suitcase.mongo_normalized

        assets = self.assets

        class Serializer(suitcase.mongo_normalized.Serializer):
            """suitcase-mongo, also storing the stream documents it predates."""

            def stream_resource(self, doc: Doc) -> Doc:
                assets.stream_resource.insert_one(event_model.sanitize_doc(dict(doc)))
                return doc

            def stream_datum(self, doc: Doc) -> Doc:
                assets.stream_datum.insert_one(event_model.sanitize_doc(dict(doc)))
                return doc

        return Serializer(self.metadatastore, self.assets)


class EmbeddedBypass:
    """Build the embedded layout's documents by hand and store them with ``replace_one``.

    The ``header`` of a run holds ``run_id`` and the lists ``start``, ``descriptors``,
    ``resources``, ``stream_resources`` and, once stopped, ``stop`` and the int counts; like
    suitcase-mongo, ``event_count`` and ``datum_count`` hold the start document until then.
    Rows of one descriptor (resource) go into its open page until the page holds
    ``page_rows`` rows; ``first_index`` and ``last_index`` are the rows' positions.

    Parameters
    ----------
    database
        A pymongo/mongomock ``Database``.
    page_rows
        Rows per page; a small number spreads a stream over several Mongo documents.
    """

    def __init__(self, database: Any, page_rows: int = 1000) -> None:
        self.database = database
        self.page_rows = page_rows
        self._header: dict[str, Any] = {}
        self._pages: dict[str, dict[str, Any]] = {}
        self._positions: dict[str, int] = {}

    def __call__(self, name: str, raw: Doc) -> None:
        import event_model

        doc: Any = event_model.sanitize_doc(dict(raw))
        if name == "start":
            self._header = {"run_id": doc["uid"], "start": [doc], "event_count": [doc]}
            self._header["datum_count"] = [doc]
            self._save_header()
        elif name in ("descriptor", "resource", "stream_resource"):
            field = {"descriptor": "descriptors", "resource": "resources"}.get(name, name + "s")
            self._header.setdefault(field, []).append(doc)
            self._save_header()
        elif name == "event":
            self._rows("event", "descriptor", "uid", event_model.pack_event_page(doc))
        elif name == "event_page":
            self._rows("event", "descriptor", "uid", doc)
        elif name == "datum":
            self._rows("datum", "resource", "datum_id", event_model.pack_datum_page(doc))
        elif name == "datum_page":
            self._rows("datum", "resource", "datum_id", doc)
        elif name == "stream_datum":
            self.database.stream_datum.insert_one(doc)
        elif name == "stop":
            self._stop(doc)

    def _save_header(self) -> None:
        header = self._header
        self.database.header.replace_one({"run_id": header["run_id"]}, header, upsert=True)

    def _rows(self, collection: str, owner_key: str, ids_key: str, page: Mapping[str, Any]):
        owner = page[owner_key]
        for row in range(len(page[ids_key])):
            position = self._positions.get(owner, 0)
            open_page = self._pages.get(owner)
            if open_page is None or len(open_page[ids_key]) >= self.page_rows:
                open_page = self._pages[owner] = {owner_key: owner, "first_index": position}
            for key, value in page.items():
                if isinstance(value, Mapping):
                    if not value:  # suitcase pushes column by column: no columns, no field
                        continue
                    columns = open_page.setdefault(key, {})
                    for name, column in value.items():
                        columns.setdefault(name, []).append(column[row])
                elif key != owner_key:
                    open_page.setdefault(key, []).append(value[row])
            open_page["last_index"] = position
            open_page["size"] = 100 * len(open_page[ids_key])
            self._positions[owner] = position + 1
            self.database[collection].replace_one(
                {owner_key: owner, "first_index": open_page["first_index"]},
                open_page,
                upsert=True,
            )

    def _stop(self, doc: Doc) -> None:
        header = self._header
        header["stop"] = [doc]
        descriptors = [d["uid"] for d in header.get("descriptors", [])]
        resources = [r["uid"] for r in header.get("resources", [])]
        for uid in descriptors + resources:
            header[f"count_{uid}"] = self._positions.get(uid, 0)
        header["event_count"] = sum(self._positions.get(uid, 0) for uid in descriptors)
        header["datum_count"] = sum(self._positions.get(uid, 0) for uid in resources)
        self._save_header()
        self._pages.clear()

    def close(self) -> None:
        """Nothing is buffered: every document is stored when it arrives."""


class MemoryBypass:
    """Register the run so far with the memory store's ``upsert`` after every document."""

    def __init__(self, store: MemoryCatalogStore) -> None:
        self.store = store
        self._documents: list[tuple[str, Doc]] = []

    def __call__(self, name: str, doc: Doc) -> None:
        if name == "start":
            self._documents = []
        self._documents.append((name, doc))
        documents = list(self._documents)
        stop = doc if name == "stop" else None
        self.store.upsert(documents[0][1], stop, lambda: iter(documents))

    def close(self) -> None:
        """Nothing to close."""


def bypass_writer(store: CatalogStore, **options: Any) -> Any:
    """Return the bypass writer of one of databroker's own stores.

    ``options`` go to the writer (``page_rows`` for the embedded layout).

    Raises
    ------
    InvalidArgument
        ``store`` is not one of databroker's stores: write a bypass for your backend.
    """
    import os

    from .._stores.files.catalog import FileCatalogStore
    from .._stores.memory import MemoryCatalogStore
    from ..errors import InvalidArgument

    if isinstance(store, FileCatalogStore):
        return FileBypass(os.path.dirname(store.patterns[0]), store.backend_name)
    if isinstance(store, MemoryCatalogStore):
        return MemoryBypass(store)
    if store.backend_name.startswith("mongo"):
        from .._stores.mongo.embedded import EmbeddedCatalogStore
        from .._stores.mongo.normalized import NormalizedCatalogStore

        if isinstance(store, NormalizedCatalogStore):
            return NormalizedBypass(store.metadatastore, store.assets)
        if isinstance(store, EmbeddedCatalogStore):
            return EmbeddedBypass(store.database, **options)
    raise InvalidArgument(
        f"No bypass writer for the {store.backend_name!r} store "
        f"({type(store).__name__}); override the kit's bypass() for your backend."
    )
