"""Rows evicted from Redis: read from the durable copy, or IndexNoMoreThere, never wrong rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from databroker._stores.live import LiveBuffer, RedisCatalogStore
from databroker.errors import IndexNoMoreThere

from .conftest import msgpack_directory
from .test_publisher import _run


def _publish(buffer: LiveBuffer, docs: list[tuple[str, Any]]) -> None:
    publisher = buffer.publisher()
    for name, doc in docs:
        publisher(name, doc)
    publisher.close()


def _xs(run: Any, descriptor: str, skip: int = 0, limit: int | None = None) -> list[float]:
    return [
        float(x) for page in run.event_pages(descriptor, skip, limit) for x in page["data"]["x"]
    ]


def test_evicted_rows_come_from_the_durable_copy(fake: Any, tmp_path: Path) -> None:
    """[new] With MAXLEN trimming early entries away, a reader gets every row from the
    durable copy, transparently."""
    durable = msgpack_directory(tmp_path)
    docs = _run(50)
    _publish(LiveBuffer(fake, durable=durable, maxlen=5, max_delay=0), docs)
    uid, descriptor = docs[0][1]["uid"], docs[1][1]["uid"]
    assert fake.xlen(f"databroker:run:{uid}") < len(docs)
    store = RedisCatalogStore(fake, durable=durable)
    run = store.open_run(uid)
    assert run.event_count(descriptor) == 50
    assert _xs(run, descriptor) == [float(i) for i in range(50)]
    assert _xs(run, descriptor, 10, 3) == [10.0, 11.0, 12.0]
    assert run.stop()["uid"] == docs[-1][1]["uid"]
    assert run.reads_durable_copy


def test_reader_lagging_behind_trimming_switches_to_the_durable_copy(
    fake: Any, tmp_path: Path
) -> None:
    """[new] A reader that read the first rows from Redis, then fell behind the trimming,
    reads the rest from the durable copy with no row lost or repeated."""
    durable = msgpack_directory(tmp_path)
    docs = _run(60)
    uid, descriptor = docs[0][1]["uid"], docs[1][1]["uid"]
    publisher = LiveBuffer(fake, durable=durable, maxlen=5, max_delay=0).publisher()
    for name, doc in docs[:5]:
        publisher(name, doc)
    store = RedisCatalogStore(fake, durable=durable)
    run = store.open_run(uid)
    assert _xs(run, descriptor) == [0.0, 1.0, 2.0]
    assert not run.reads_durable_copy
    for name, doc in docs[5:]:
        publisher(name, doc)
    assert _xs(run, descriptor) == [float(i) for i in range(60)]
    assert run.reads_durable_copy


def test_no_durable_copy_raises_index_no_more_there(fake: Any) -> None:
    """[new] Without a durable copy, windows reaching evicted rows raise IndexNoMoreThere (an
    IndexError) naming the run; rows still in Redis are served at their own places."""
    docs = _run(200)
    uid, descriptor = docs[0][1]["uid"], docs[1][1]["uid"]
    _publish(LiveBuffer(fake, maxlen=20, max_delay=0), docs)
    first_kept = int(fake.xrange(f"databroker:run:{uid}", count=1)[0][0].split(b"-")[1])
    first_row = first_kept - 3  # entries 1 and 2 are the start and the descriptor
    assert first_row > 0
    store = RedisCatalogStore(fake)
    run = store.open_run(uid)
    assert run.start()["uid"] == uid
    assert run.event_count(descriptor) == 200
    with pytest.raises(IndexNoMoreThere, match=uid) as caught:
        list(run.event_pages(descriptor))
    assert isinstance(caught.value, IndexError)
    with pytest.raises(IndexNoMoreThere):
        run.event_pages(descriptor, 0, 1)
    tail = _xs(run, descriptor, first_row + 1, 5)
    assert tail == [float(i) for i in range(first_row + 1, first_row + 6)]
    seq = [s for page in run.event_pages(descriptor, 190) for s in page["seq_num"]]
    assert seq == list(range(191, 201))
    assert run.stop()["uid"] == docs[-1][1]["uid"]


def test_expired_run_is_read_from_the_durable_copy(fake: Any, tmp_path: Path) -> None:
    """[new] A run whose keys expired after the stop is still listed and read whole, from the
    durable copy."""
    durable = msgpack_directory(tmp_path)
    docs = _run(4)
    uid, descriptor = docs[0][1]["uid"], docs[1][1]["uid"]
    _publish(LiveBuffer(fake, durable=durable), docs)
    fake.delete(f"databroker:run:{uid}")  # as EXPIRE does
    store = RedisCatalogStore(fake, durable=durable)
    assert [s["uid"] for s in store.iter_starts({})] == [uid]
    assert store.count({}) == 1
    run = store.open_run(uid)
    assert _xs(run, descriptor) == [0.0, 1.0, 2.0, 3.0]
    assert run.stop() is not None


def test_listing_is_the_union_with_the_durable_catalog(fake: Any, tmp_path: Path) -> None:
    """[new] Runs only in the durable catalog (older, announcements gone) are listed and
    opened alongside the live ones, each once, newest first."""
    durable = msgpack_directory(tmp_path)
    old, new = _run(1), _run(1)
    writer = durable.serializer()
    for name, doc in old:
        writer(name, doc)
    writer.close()
    _publish(LiveBuffer(fake, durable=durable), new)
    store = RedisCatalogStore(fake, durable=durable)
    uids = [s["uid"] for s in store.iter_starts({})]
    assert uids == [new[0][1]["uid"], old[0][1]["uid"]]
    assert store.count({}) == 2
    assert store.count({"scan_id": 7}) == 2
    assert store.nth_newest(1, {})["uid"] == old[0][1]["uid"]
    assert store.find_uid_prefix(old[0][1]["uid"][:8], {}) == [old[0][1]["uid"]]
    assert store.open_run(old[0][1]["uid"]).stop() is not None
    assert set(store.stops([old[0][1]["uid"], new[0][1]["uid"]])) == {
        old[0][1]["uid"],
        new[0][1]["uid"],
    }
