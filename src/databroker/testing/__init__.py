"""The public conformance kit: storage-protocol tests any backend subclasses in a few lines.

A backend's test module::

    from databroker.testing import CatalogStoreTests, RunStoreTests

    class TestMyStore(CatalogStoreTests, RunStoreTests):
        def make_store(self, directory):
            return MyCatalogStore(directory)

        def bypass(self, store):
            return MyRawWriter(store.directory)  # writes runs without our writers

The test classes need pytest (imported when they are first used, not by ``import
databroker``); :mod:`databroker.testing.backends` (empty storage of every backend) does not.
See ``docs/testing-backends.md``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CatalogStoreTests", "RunStoreTests", "WriterTests", "mongo_clients"]

_HOMES = {
    "CatalogStoreTests": "store",
    "RunStoreTests": "store",
    "WriterTests": "writer",
    "mongo_clients": "_kit",
}


def __getattr__(name: str) -> Any:
    # The test classes import pytest; load them only when asked for.
    if name in _HOMES:
        import importlib

        module = importlib.import_module(f".{_HOMES[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
