"""An in-memory ``RunStore`` over a list of documents, and helpers to build streams from it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from databroker._assemble import StreamData
from databroker._documents.classes import pack_datum_page, pack_event_page, unpack_datum_page
from databroker._fill import ExternalLoader
from databroker._stores.base import Doc, RunStore
from databroker.errors import BrokenReference


def _window(pages: Sequence[Doc], skip: int, limit: int | None, key: str) -> Iterator[Doc]:
    """Cut columnar pages to the window [skip, skip + limit) counted in rows."""
    stop = None if limit is None else skip + limit
    offset = 0
    for page in pages:
        n = len(page[key])
        lo, hi = max(skip - offset, 0), n if stop is None else min(stop - offset, n)
        offset += n
        if hi <= lo:
            continue
        yield {
            k: (
                {kk: vv[lo:hi] for kk, vv in v.items()}
                if isinstance(v, dict)
                else v[lo:hi]
                if isinstance(v, list)
                else v
            )
            for k, v in page.items()
        }


class FakeRunStore(RunStore):
    """A ``RunStore`` answering from a list of ``(name, doc)`` pairs, pages kept as given."""

    def __init__(self, documents: Sequence[tuple[str, Doc]]) -> None:
        self._docs = list(documents)
        self.uid = self.start()["uid"]
        self.event_page_calls: list[str] = []

    def _all(self, name: str) -> list[Doc]:
        return [doc for n, doc in self._docs if n == name]

    def start(self) -> Doc:
        return self._all("start")[0]

    def stop(self) -> Doc | None:
        stops = self._all("stop")
        return stops[0] if stops else None

    def descriptors(self) -> list[Doc]:
        return sorted(self._all("descriptor"), key=lambda d: d["time"])

    def _event_pages(self, descriptor_uid: str) -> list[Doc]:
        pages = []
        for name, doc in self._docs:
            if name == "event" and doc["descriptor"] == descriptor_uid:
                pages.append(pack_event_page([doc]))
            elif name == "event_page" and doc["descriptor"] == descriptor_uid:
                pages.append({**doc, "filled": doc.get("filled") or {}})
        return pages

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        self.event_page_calls.append(descriptor_uid)
        return _window(self._event_pages(descriptor_uid), skip, limit, "uid")

    def event_count(self, descriptor_uid: str) -> int:
        return sum(len(page["uid"]) for page in self._event_pages(descriptor_uid))

    def resources(self) -> list[Doc]:
        return self._all("resource")

    def resource(self, uid: str) -> Doc:
        for doc in self.resources():
            if doc["uid"] == uid:
                return doc
        raise BrokenReference(f"no resource {uid!r}")

    def _datum_pages(self, resource_uid: str) -> list[Doc]:
        pages = []
        for name, doc in self._docs:
            if name == "datum" and doc["resource"] == resource_uid:
                pages.append(pack_datum_page([doc]))
            elif name == "datum_page" and doc["resource"] == resource_uid:
                pages.append(doc)
        return pages

    def _datum(self) -> dict[str, Doc]:
        return {
            datum["datum_id"]: datum
            for resource in self.resources()
            for page in self._datum_pages(resource["uid"])
            for datum in unpack_datum_page(page)
        }

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        try:
            return self.resource(self._datum()[datum_id]["resource"])
        except KeyError:
            raise BrokenReference(f"no datum {datum_id!r}") from None

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return _window(self._datum_pages(resource_uid), skip, limit, "datum_id")

    def datum_kwargs(self, datum_ids: Sequence[str]) -> list[tuple[Doc, Doc]]:
        datum = self._datum()
        out = []
        for datum_id in datum_ids:
            if datum_id not in datum:
                raise BrokenReference(f"no datum {datum_id!r}")
            out.append(
                (self.resource(datum[datum_id]["resource"]), datum[datum_id]["datum_kwargs"])
            )
        return out

    def stream_resources(self) -> list[Doc]:
        return self._all("stream_resource")

    def stream_datum(self, descriptor_uid: str) -> list[Doc]:
        docs = [d for d in self._all("stream_datum") if d["descriptor"] == descriptor_uid]
        return sorted(docs, key=lambda d: d["seq_nums"]["start"])


def make_stream(
    store: FakeRunStore,
    name: str = "primary",
    handler_registry: dict[str, Any] | None = None,
    root_map: dict[str, str] | None = None,
) -> StreamData:
    """Return the ``StreamData`` of stream ``name``; a loader only when a registry is given."""
    descriptors = [d for d in store.descriptors() if d.get("name", "primary") == name]
    loader = (
        None
        if handler_registry is None
        else ExternalLoader(store, handler_registry, root_map or {}, store.uid)
    )
    return StreamData(name=name, run=store, descriptors=descriptors, loader=loader)


@pytest.fixture
def run_store():
    """Factory: ``run_store(documents)`` → a :class:`FakeRunStore` over ``(name, doc)`` pairs."""
    return FakeRunStore


@pytest.fixture
def stream_of():
    """Factory: ``stream_of(store, name='primary', handler_registry=None, root_map=None)``."""
    return make_stream
