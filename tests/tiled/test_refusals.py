"""What the served catalog refuses: unknown filters, code-running operators, files outside
its roots; and the same catalog over loopback HTTP (a `databroker serve` subprocess)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from .conftest import FRAMES, Served, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def _json(documents: Any) -> Any:
    """Documents as JSON gives them (numpy arrays become lists)."""
    from tiled.utils import safe_json_dump

    return json.loads(safe_json_dump(list(documents)))


def test_unknown_filter_is_refused_in_process(served: Served, client: Any) -> None:
    """[new] A filter name the server does not know is an HTTP 400 naming it, not 'all'."""
    http = client.context.http_client
    response = http.get("/api/v1/search/", params={"filter[nosuch][condition][key]": "x"})
    assert response.status_code == 400
    assert "filter[nosuch]" in response.json()["detail"]


def test_where_and_untranslatable_queries_are_refused(served: Served, client: Any) -> None:
    """[new] $where in a value, on a start or a stop key, is refused at translation (HTTP 400)."""
    from tiled.queries import Eq

    with pytest.raises(Exception, match=r"not allowed|400"):
        list(client.search(Eq("start.sample", {"$where": "sleep(1000)"})))
    with pytest.raises(Exception, match=r"not allowed|400"):
        list(client.search(Eq("stop.exit_status", {"$where": "sleep(1000)"})))


def test_resource_outside_the_served_roots_is_an_error(served: Served, tmp_path: Path) -> None:
    """[new] With roots given, a resource resolving elsewhere raises, the file unread."""
    from tiled.ndslice import NDBlock

    from databroker._tiled import tree
    from databroker.errors import ExternalFileNotFound

    elsewhere = tmp_path / "allowed-only"
    elsewhere.mkdir()
    served_tree = tree(catalog=served.catalog, roots=[str(elsewhere)])
    array = served_tree[served.image_uid]["primary"]["data"]["img"]
    with pytest.raises(ExternalFileNotFound, match="outside the roots"):
        array.read_block(NDBlock(0, 0, 0))
    allowed = tree(catalog=served.catalog, roots=[str(served.files[0].parent)])
    block = allowed[served.image_uid]["primary"]["data"]["img"].read_block(NDBlock(0, 0, 0))
    expected = np.stack([np.full((8, 6), index, dtype=np.uint16) for index in range(FRAMES)])
    np.testing.assert_array_equal(block, expected)


@pytest.fixture
def http_server(tmp_path: Path) -> Any:
    """`databroker serve` of a JSONL catalog in a subprocess on a free loopback port."""
    catalog = Served("jsonl", tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "databroker",
            "serve",
            str(tmp_path / "runs"),
            "--port",
            str(port),
            "--api-key",
            "secret",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        raise AssertionError(process.stderr.read().decode() if process.stderr else "no start")
    yield url, catalog
    os.kill(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    if process.stderr:
        process.stderr.close()
    catalog.close()


def test_over_http_with_open_catalog(http_server: Any) -> None:
    """[new] open_catalog('http://...', api_key=...) gives the stock client of the tree."""
    import databroker

    url, served = http_server
    remote = databroker.open_catalog(url, api_key="secret")
    assert type(remote).__name__ == "CatalogOfBlueskyRuns"
    assert remote[-1].start["uid"] == served.image_uid
    assert remote[3].start["uid"] == served.scalar_uids[2]
    uid = served.scalar_uids[0]
    np.testing.assert_array_equal(
        remote[uid[:8]].primary.read()["x"].values, served.catalog[uid].primary.read()["x"]
    )
    assert _json(remote[uid].documents()) == _json(served.catalog[uid].documents(fill="no"))
    remote.context.close()


def test_over_http_key_required_and_unknown_filter_refused(http_server: Any) -> None:
    """[new] Over HTTP, no key means 401 and an unknown filter means 400 naming it."""
    url, _ = http_server
    assert httpx.get(f"{url}/api/v1/search/").status_code == 401
    response = httpx.get(
        f"{url}/api/v1/search/",
        params={"filter[bogus][condition][key]": "x"},
        headers={"Authorization": "Apikey secret"},
    )
    assert response.status_code == 400
    assert "filter[bogus]" in response.json()["detail"]


def test_serve_in_thread_returns_a_running_server(tmp_path: Path) -> None:
    """[new] serve_in_thread(catalog) serves on loopback with a generated key until stop()."""
    import databroker

    served = Served("msgpack", tmp_path)
    with databroker.serve_in_thread(served.catalog) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.api_key
        remote = databroker.open_catalog(server.url, api_key=server.api_key)
        assert len(remote) == 4
        remote.context.close()
    served.close()
