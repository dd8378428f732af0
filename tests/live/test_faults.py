"""Faults: Redis unreachable, a writer that dies mid-run, bad tokens."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from databroker._stores.live import LiveBuffer, RedisCatalogStore
from databroker._stores.live.connection import connect
from databroker.errors import InvalidOption, LiveBufferWarning, ServerUnreachable

from .conftest import msgpack_directory
from .test_publisher import _run


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://:s3cret@127.0.0.1:{port}/2"


def test_unreachable_redis_names_the_address_not_the_password() -> None:
    """[new] A catalog over an unreachable Redis (no durable copy) raises ServerUnreachable
    (a ConnectionError) naming host, port and db, never the password."""
    url = _closed_port_url()
    with pytest.raises(ServerUnreachable) as caught:
        RedisCatalogStore(url)
    message = str(caught.value)
    assert url.replace(":s3cret@", "") in message
    assert "s3cret" not in message
    assert isinstance(caught.value, ConnectionError)


def test_clients_give_up_connecting_within_seconds() -> None:
    """[new] Clients made from a URL time out connecting after a few seconds."""
    client = connect("redis://127.0.0.1:1/0")
    assert 0 < client.connection_pool.connection_kwargs["socket_connect_timeout"] <= 5


def test_publisher_to_unreachable_redis_raises_after_the_durable_copy(tmp_path: Path) -> None:
    """[new] Publishing to an unreachable Redis raises ServerUnreachable; the claim fails
    first, so nothing half-published is left in the durable catalog."""
    durable = msgpack_directory(tmp_path)
    publisher = LiveBuffer(_closed_port_url(), durable=durable).publisher()
    with pytest.raises(ServerUnreachable, match=r"127\.0\.0\.1"):
        publisher(*_run(1)[0])


def test_unreachable_redis_falls_back_to_the_durable_catalog(fake: Any, tmp_path: Path) -> None:
    """[new] With a durable catalog, an unreachable Redis gives a LiveBufferWarning and the
    durable runs are listed and read; waiting for runs waits on the durable catalog."""
    durable = msgpack_directory(tmp_path)
    docs = _run(2)
    publisher = LiveBuffer(fake, durable=durable).publisher()
    for name, doc in docs:
        publisher(name, doc)
    with pytest.warns(LiveBufferWarning, match="durable copy"):
        store = RedisCatalogStore(_closed_port_url(), durable=durable)
    assert store.offline
    assert [s["uid"] for s in store.iter_starts({})] == [docs[0][1]["uid"]]
    assert store.open_run(docs[0][1]["uid"]).event_count(docs[1][1]["uid"]) == 2
    token, uids = store.wait_for_arrivals(None, 0.01)
    assert uids == [] and isinstance(token, str)


def test_writer_dying_mid_run(fake: Any) -> None:
    """[new] A run whose writer died stays running; last_update() is the publication time of
    its newest document, and waiting for more returns after the timeout."""
    docs = _run(3)
    publisher = LiveBuffer(fake, max_delay=0).publisher()
    for name, doc in docs[:-1]:  # no stop: the writer is gone
        publisher(name, doc)
    store = RedisCatalogStore(fake)
    run = store.open_run(docs[0][1]["uid"])
    assert run.stop() is None and run.is_live()
    newest = fake.xrevrange(f"databroker:run:{docs[0][1]['uid']}", count=1)[0][0]
    assert run.last_update() == int(newest.split(b"-")[0]) / 1000
    run.wait_for_documents(0.05)
    assert run.stop() is None
    assert run.event_count(docs[1][1]["uid"]) == 3


def test_wait_for_documents_wakes_on_a_publish(fake: Any) -> None:
    """[new] wait_for_documents returns once a document is published, holding it already."""
    import threading

    docs = _run(1)
    publisher = LiveBuffer(fake, max_delay=0).publisher()
    for name, doc in docs[:2]:
        publisher(name, doc)
    run = RedisCatalogStore(fake).open_run(docs[0][1]["uid"])
    assert run.event_count(docs[1][1]["uid"]) == 0
    threading.Timer(0.05, publisher, docs[2]).start()
    run.wait_for_documents(30)
    assert run.event_count(docs[1][1]["uid"]) == 1


def test_arrival_tokens(fake: Any) -> None:
    """[new] arrivals(None) marks now; passing the token back gives exactly the runs started
    since, each once; an unknown token is an InvalidOption."""
    store = RedisCatalogStore(fake)
    token, uids = store.arrivals(None)
    assert uids == []
    publisher = LiveBuffer(fake).publisher()
    runs = [_run(1) for _ in range(3)]
    for docs in runs:
        for name, doc in docs:
            publisher(name, doc)
    token, uids = store.arrivals(token)
    assert uids == [docs[0][1]["uid"] for docs in runs]
    assert store.arrivals(token) == (token, [])
    assert store.wait_for_arrivals(token, 0.01) == (token, [])
    with pytest.raises(InvalidOption):
        store.arrivals("not-a-token")
