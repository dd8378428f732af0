"""What the stock client has to ask: a looked-up run answers with its streams inlined, a
page of runs does not (listing reads no descriptors)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Served

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture
def logged(tmp_path: Any) -> Iterator[tuple[Served, Any, list[str]]]:
    """A msgpack catalog served in process, with the paths of the client's requests."""
    from tiled.client import from_context
    from tiled.client.context import Context

    from databroker._tiled import build_app, tree

    served = Served("msgpack", tmp_path)
    context = Context.from_app(build_app(tree(catalog=served.catalog), api_key="secret"))
    paths: list[str] = []
    context.http_client.event_hooks["request"].append(
        lambda request: paths.append(request.url.path.split("/api/v1", 1)[-1])
    )
    client = from_context(context)
    paths.clear()  # the root's own metadata
    yield served, client, paths
    context.close()
    served.close()


def test_stream_of_a_looked_up_run_needs_no_request(logged: tuple[Served, Any, list[str]]) -> None:
    """[new] run = catalog[uid] carries its streams: run.primary asks the server nothing more,
    and primary.read() asks only for the data container and its columns."""
    served, client, paths = logged
    uid = served.scalar_uids[0]
    run = client[uid]
    assert paths == [f"/metadata/{uid}"]
    stream = run.primary
    assert paths == [f"/metadata/{uid}"]
    assert stream.metadata["stream_name"] == "primary"
    assert [d["uid"] for d in stream.descriptors] == [
        d["uid"] for d in served.catalog[uid].primary.metadata["descriptors"]
    ]
    stream.read()
    assert paths[1] == f"/metadata/{uid}/primary/data"
    assert all(path.startswith(f"/container/full/{uid}/primary/data") for path in paths[2:])


def test_newest_run_by_index_carries_its_streams(logged: tuple[Served, Any, list[str]]) -> None:
    """[new] catalog[-1] (a page of one run) carries its streams too."""
    served, client, paths = logged
    run = client[-1]
    asked = len(paths)
    assert run["primary"].metadata["stream_name"] == "primary"
    assert len(paths) == asked
    assert run.start["uid"] == served.image_uid


def test_a_page_of_runs_carries_no_streams(logged: tuple[Served, Any, list[str]]) -> None:
    """[new] A search page of several runs answers each run without its streams."""
    _, client, _ = logged
    content = client.context.http_client.get(
        client.item["links"]["search"], params={"page[limit]": 10}
    ).json()
    assert len(content["data"]) == 4
    for item in content["data"]:
        assert item["attributes"]["structure"]["contents"] is None
