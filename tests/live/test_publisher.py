"""The publisher: what lands in Redis and in the durable catalog, duplicates, expiry, batching."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import event_model
import numpy as np
import pytest

from databroker._stores.live import LiveBuffer, RedisCatalogStore
from databroker._stores.live.codec import unpack
from databroker.errors import DuplicateUniqueID

from .conftest import msgpack_directory


def _run(events: int = 3, uid: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """A run of ``events`` events of one stream (numpy values), as (name, doc) pairs."""
    run = event_model.compose_run(uid=uid, metadata={"scan_id": 7})
    keys = {"x": {"dtype": "number", "shape": [], "source": "x"}}
    keys["img"] = {"dtype": "array", "shape": [2, 2], "source": "img"}
    descriptor = run.compose_descriptor(name="primary", data_keys=keys)
    docs: list[tuple[str, dict[str, Any]]] = [("start", run.start_doc)]
    docs.append(("descriptor", descriptor.descriptor_doc))
    for i in range(events):
        data = {"x": np.float64(i), "img": np.full((2, 2), i, dtype="u2")}
        docs.append(
            ("event", descriptor.compose_event(data=data, timestamps=dict.fromkeys(data, 1.0)))
        )
    docs.append(("stop", run.compose_stop()))
    return docs


def test_every_document_is_an_entry_and_runs_are_announced(fake: Any) -> None:
    """[new] Each document is one msgpack entry of the run's stream; start and stop are
    announced on the runs stream."""
    docs = _run()
    publisher = LiveBuffer(fake).publisher()
    for name, doc in docs:
        publisher(name, doc)
    publisher.close()
    uid = docs[0][1]["uid"]
    entries = fake.xrange(f"databroker:run:{uid}")
    assert [unpack(f[b"d"], "test")[0] for _, f in entries] == [n for n, _ in docs]
    assert [int(i.split(b"-")[1]) for i, _ in entries] == list(range(1, len(docs) + 1))
    announced = fake.xrange("databroker:runs")
    assert [(f[b"kind"], f[b"uid"].decode()) for _, f in announced] == [
        (b"start", uid),
        (b"stop", uid),
    ]
    event = unpack(entries[2][1][b"d"], "test")[1]
    assert event["data"]["img"].dtype == np.dtype("u2")


def test_durable_copy_holds_each_document_before_redis(fake: Any, tmp_path: Path) -> None:
    """[new] Every document is in the durable catalog no later than in Redis."""
    durable = msgpack_directory(tmp_path)
    docs = _run(5)
    publisher = LiveBuffer(fake, durable=durable, max_delay=0).publisher()
    uid = docs[0][1]["uid"]
    for count, (name, doc) in enumerate(docs, start=1):
        publisher(name, doc)
        in_redis = fake.xlen(f"databroker:run:{uid}")
        durable.refresh(force=True)
        run = durable.open_run(uid)
        in_durable = 1 + len(run.descriptors()) + run.event_count(docs[1][1]["uid"])
        in_durable += run.stop() is not None
        assert in_durable >= in_redis == count
    publisher.close()


def test_duplicate_uid_is_refused(fake: Any) -> None:
    """[new] Publishing a second run with a start uid already published raises
    DuplicateUniqueID (a ValueError), also from another publisher."""
    docs = _run(1)
    first = LiveBuffer(fake).publisher()
    for name, doc in docs:
        first(name, doc)
    second = LiveBuffer(fake).publisher()
    with pytest.raises(DuplicateUniqueID, match=docs[0][1]["uid"]) as caught:
        second("start", docs[0][1])
    assert isinstance(caught.value, ValueError)
    assert fake.xlen(f"databroker:run:{docs[0][1]['uid']}") == len(docs)


def test_duplicate_uid_in_the_durable_catalog_is_refused(fake: Any, tmp_path: Path) -> None:
    """[new] A uid the durable catalog already holds (expired from Redis) raises
    DuplicateUniqueID and leaves no claim behind."""
    durable = msgpack_directory(tmp_path)
    docs = _run(1)
    writer = durable.serializer()
    writer("start", docs[0][1])
    writer.close()
    publisher = LiveBuffer(fake, durable=durable).publisher()
    with pytest.raises(DuplicateUniqueID):
        publisher("start", docs[0][1])
    assert not fake.exists(f"databroker:claim:{docs[0][1]['uid']}")


def test_keys_expire_after_the_stop_only_with_a_durable_copy(fake: Any, tmp_path: Path) -> None:
    """[new] After the stop the run's keys get ttl_after_stop (a day by default with a
    durable copy); without one they never expire unless asked."""
    with_copy, without = _run(1), _run(1)
    publisher = LiveBuffer(fake, durable=msgpack_directory(tmp_path)).publisher()
    for name, doc in with_copy:
        publisher(name, doc)
        if name != "stop":
            assert fake.ttl(f"databroker:run:{with_copy[0][1]['uid']}") == -1
    assert 0 < fake.ttl(f"databroker:run:{with_copy[0][1]['uid']}") <= 24 * 3600
    bare = LiveBuffer(fake).publisher()
    for name, doc in without:
        bare(name, doc)
    assert fake.ttl(f"databroker:run:{without[0][1]['uid']}") == -1
    short = LiveBuffer(fake, ttl_after_stop=5).publisher()
    for name, doc in _run(1, uid="short-lived"):
        short(name, doc)
    assert 0 < fake.ttl("databroker:run:short-lived") <= 5


def test_events_wait_for_the_batch_and_stop_flushes(fake: Any) -> None:
    """[new] Events are pipelined: sent when the batch is full, after max_delay, or with
    the next start/descriptor/stop; flush() sends them at once."""
    docs = _run(4)
    uid = docs[0][1]["uid"]
    publisher = LiveBuffer(fake, batch_size=3, max_delay=3600).publisher()
    for name, doc in docs[:4]:  # start, descriptor, two events
        publisher(name, doc)
    assert fake.xlen(f"databroker:run:{uid}") == 2
    publisher(*docs[4])  # a third event fills the batch
    assert fake.xlen(f"databroker:run:{uid}") == 5
    publisher(*docs[5])
    publisher.flush()
    assert fake.xlen(f"databroker:run:{uid}") == 6
    publisher(*docs[6])
    assert fake.xlen(f"databroker:run:{uid}") == len(docs)
    publisher.close()


def test_catalog_serializer_publishes(fake: Any) -> None:
    """[new] The store's serializer() is a publisher into its buffer."""
    store = RedisCatalogStore(fake)
    assert store.supports_writes
    writer = store.serializer()
    docs = _run(2)
    for name, doc in docs:
        writer(name, doc)
    store.refresh(force=True)
    run = store.open_run(docs[0][1]["uid"])
    assert run.event_count(docs[1][1]["uid"]) == 2
    assert run.stop()["uid"] == docs[-1][1]["uid"]
