"""The Redis live-buffer store passes the conformance kit (runs written with raw XADDs)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from databroker._stores.base import CatalogStore
from databroker._stores.live import RedisCatalogStore
from databroker.testing import CatalogStoreTests, RunStoreTests

from .conftest import RawRedisWriter


class TestRedisStore(CatalogStoreTests, RunStoreTests):
    @pytest.fixture(params=["fakeredis", "server"])
    def client(self, request: pytest.FixtureRequest) -> Iterator[Any]:
        """fakeredis, and the session's real redis-server."""
        if request.param == "fakeredis":
            yield request.getfixturevalue("fake")
            return
        import redis

        made = redis.Redis.from_url(request.getfixturevalue("local_redis"))
        yield made
        made.close()

    def make_store(self, directory: Path, client: Any = None) -> CatalogStore:
        return RedisCatalogStore(client, prefix=f"kit-{uuid.uuid4().hex[:10]}")

    def bypass(self, store: CatalogStore) -> Any:
        assert isinstance(store, RedisCatalogStore)
        return RawRedisWriter(store.client, store.keys.prefix)
