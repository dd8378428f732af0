"""What every conformance test class shares: making stores, writing through the bypass, and
marking a subclass's known failures."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from .._stores.base import CatalogStore
from .backends import MONGO_URI_VARIABLE, Storage, mongo_client, storage
from .bypass import bypass_writer

__all__ = ["KitBase", "mongo_clients"]


def mongo_clients() -> Any:
    """Return a ``client`` fixture over mongomock and, when ``$DATABROKER_TEST_MONGO_URI`` is
    set, that server (assign it in a Mongo backend's test class: ``client = mongo_clients()``)."""
    uri = os.environ.get(MONGO_URI_VARIABLE)
    servers = ["mongomock"] + (["server"] if uri else [])

    @pytest.fixture(params=servers)
    def client(self: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
        made = mongo_client(uri if request.param == "server" else None)
        yield made
        made.close()

    return client


class KitBase:
    """Hooks of every kit class.

    Set :attr:`backend` to one of databroker's backend names, or override :meth:`make_store`
    (and :meth:`bypass` if the kit has no bypass writer for your store).
    """

    #: A registry name (``'jsonl'``, ...) whose stores the kit makes itself, or None.
    backend: ClassVar[str | None] = None
    #: Options of :func:`databroker.testing.bypass.bypass_writer` (``page_rows``, ...).
    bypass_options: ClassVar[dict[str, Any]] = {}
    #: ``{test name: reason}``: tests this backend is known to fail (marked strict xfail).
    known_failures: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, reason in cls.__dict__.get("known_failures", {}).items():
            original = getattr(cls, name)

            @functools.wraps(original)
            def test(self: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
                return _original(self, *args, **kw)

            setattr(cls, name, pytest.mark.xfail(strict=True, reason=reason)(test))

    # -- hooks ----------------------------------------------------------------------------

    def make_store(self, directory: Path, client: Any = None) -> CatalogStore:
        """Return a new, empty store keeping its data in ``directory`` (override this).

        ``client`` is the value of the ``client`` fixture (a Mongo client with
        :func:`mongo_clients`, else None).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must set `backend` or override make_store(directory)."
        )

    def bypass(self, store: CatalogStore) -> Any:
        """Return a writer ``(name, doc)``, with ``close()``, that stores documents in
        ``store``'s storage without databroker's writers (one run at a time, in order)."""
        return bypass_writer(store, **self.bypass_options)

    # -- fixtures -------------------------------------------------------------------------

    @pytest.fixture
    def client(self) -> Any:
        """The Mongo client of Mongo backends (None for the others)."""
        return None

    @pytest.fixture
    def store_factory(self, tmp_path: Path, client: Any) -> Iterator[Callable[[str], Any]]:
        """A factory ``make(label)`` of new, empty stores (closed and dropped afterwards)."""
        made: list[tuple[CatalogStore, Storage | None]] = []

        def make(label: str) -> CatalogStore:
            directory = tmp_path / label
            place = None
            if self.backend is not None:
                place = storage(self.backend, directory, client=client)
                store = place.store()
            else:
                directory.mkdir(parents=True, exist_ok=True)
                store = self.make_store(directory, client)
            made.append((store, place))
            return store

        yield make
        for store, place in made:
            store.close()
            if place is not None:
                place.drop()

    @pytest.fixture
    def store(self, store_factory: Callable[[str], CatalogStore]) -> CatalogStore:
        """A new, empty store of the backend under test."""
        return store_factory("store")

    # -- helpers --------------------------------------------------------------------------

    def write(self, store: CatalogStore, documents: Iterable[tuple[str, Any]]) -> None:
        """Store ``documents`` through the bypass writer, then ``refresh(force=True)``."""
        writer = self.bypass(store)
        for name, doc in documents:
            writer(name, doc)
        writer.close()
        store.refresh(force=True)
