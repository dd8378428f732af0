"""A catalog over the Redis live buffer (fakeredis) served through Tiled and read by the
stock client, while a run is being taken and after it stops."""

from __future__ import annotations

from typing import Any

import event_model
import numpy as np
import pytest

from .conftest import T0, write_scalar_run

pytest.importorskip("fakeredis")
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture
def live() -> Any:
    """A live-buffer catalog on a fresh fakeredis server, its publisher, and the stock client
    of the catalog served in process."""
    import fakeredis
    from tiled.client import from_context
    from tiled.client.context import Context

    from databroker._drivers.redis import BlueskyRedisCatalog
    from databroker._stores.live.publisher import LiveBuffer
    from databroker._tiled import build_app, tree

    redis = fakeredis.FakeRedis()
    publish = LiveBuffer(redis, prefix="tiledtest").publisher()
    catalog = BlueskyRedisCatalog(redis, prefix="tiledtest")
    context = Context.from_app(build_app(tree(catalog=catalog), api_key="k"), api_key="k")
    yield catalog, publish, from_context(context)
    context.close()


def test_live_buffer_runs_served_to_the_stock_client(live: Any) -> None:
    """[new] Runs published to the Redis buffer are listed, searched and read through Tiled
    as the local catalog reads them, documents included."""
    from bluesky_tiled_plugins.queries import Key

    catalog, publish, client = live
    uids = [write_scalar_run(publish, n, T0 + n, "Si" if n % 2 else "Ni") for n in (1, 2, 3)]
    publish.flush()
    catalog.force_reload()
    assert list(client) == uids
    assert client[-1].start["uid"] == uids[2]
    assert list(client.search(Key("sample") == "Ni")) == [uids[1]]
    assert list(client.search(Key("stop.exit_status") == "success")) == uids
    remote = client[uids[0]].primary.read()
    local = catalog[uids[0]].primary.read()
    np.testing.assert_array_equal(remote["y"].values, local["y"].values)
    documents = [name for name, _ in client[uids[0]].documents()]
    assert documents == [name for name, _ in catalog[uids[0]].documents(fill="no")]


def test_run_being_taken_grows_then_stops(live: Any) -> None:
    """[new] A run still being taken is served with the events published so far; after more
    events and its stop, the same client reads them all and the stop."""
    catalog, publish, client = live
    bundle = event_model.compose_run(time=T0, metadata={"scan_id": 7})
    publish("start", bundle.start_doc)
    keys = {"x": {"source": "sim", "dtype": "number", "shape": []}}
    stream = bundle.compose_descriptor(name="primary", data_keys=keys, time=T0)
    publish("descriptor", stream.descriptor_doc)

    def event(i: int) -> None:
        publish(
            "event",
            stream.compose_event(
                data={"x": float(i)}, timestamps={"x": T0 + i}, seq_num=i, time=T0 + i
            ),
        )

    for i in (1, 2):
        event(i)
    publish.flush()
    catalog.force_reload()
    uid = bundle.start_doc["uid"]
    assert client[uid].metadata["stop"] is None
    assert client[uid].primary.read()["x"].values.tolist() == [1.0, 2.0]
    for i in (3, 4, 5):
        event(i)
    publish("stop", bundle.compose_stop(time=T0 + 10))
    publish.flush()
    catalog.force_reload()
    assert client[uid].metadata["stop"]["exit_status"] == "success"
    assert client[uid].primary.read()["x"].values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
