"""open_catalog('redis://...') opens the live buffer's catalog."""

from __future__ import annotations

from pathlib import Path

import event_model

import databroker
from databroker._drivers.redis import BlueskyRedisCatalog
from databroker._stores.live.publisher import LiveBuffer


def test_open_catalog_redis_uri(redis_url: str, prefix: str, tmp_path: Path) -> None:
    """[new] open_catalog(redis URI, durable=...) lists the runs published to the buffer."""
    durable = tmp_path / "durable"
    durable.mkdir()
    durable_catalog = databroker.open_catalog(str(durable / "*.msgpack"))
    publish = LiveBuffer(redis_url, durable=durable_catalog, prefix=prefix).publisher()
    bundle = event_model.compose_run(metadata={"sample": "live"})
    publish("start", bundle.start_doc)
    publish("stop", bundle.compose_stop())
    catalog = databroker.open_catalog(redis_url, durable=str(durable), prefix=prefix)
    assert isinstance(catalog, BlueskyRedisCatalog)
    assert catalog[-1].metadata["start"]["uid"] == bundle.start_doc["uid"]
