"""The stock Tiled client reads a served catalog in databroker 2's layout (in process)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np
import pytest

from .conftest import FRAME_SHAPE, FRAMES, T0, Served

# Tiled's in-process client uses Starlette's TestClient over httpx, which Starlette now
# deprecates in favour of httpx2; the warning is about the test transport, not our code.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def _plain(documents: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(name, dict(doc)) for name, doc in documents]


def test_layout_specs_and_metadata(served: Served, client: Any) -> None:
    """[new] The tree has databroker 2's specs and a run's start, stop and summary."""
    assert "CatalogOfBlueskyRuns" in [spec.name for spec in client.specs]
    run = client[served.scalar_uids[0]]
    assert [spec.name for spec in run.specs] == ["BlueskyRun"]
    assert set(run.metadata) == {"start", "stop", "summary"}
    assert run.metadata["stop"]["exit_status"] == "success"
    assert run.metadata["summary"]["stream_names"] == ["primary"]
    stream = run["primary"]
    assert [spec.name for spec in stream.specs] == ["BlueskyEventStream"]
    assert set(stream) == {"data", "timestamps", "config", "config_timestamps"}
    assert stream.metadata["stream_name"] == "primary"
    assert len(stream.metadata["descriptors"]) == 1


def test_newest_run_by_negative_index(served: Served, client: Any) -> None:
    """[new] c[-1] is the newest run and c[-2] the one before, from the store's listing."""
    assert len(client) == 4
    assert client[-1].start["uid"] == served.image_uid
    assert client[-2].start["uid"] == served.scalar_uids[2]
    assert next(iter(client)) == served.scalar_uids[0]  # oldest first, as databroker 2


def test_scan_id_and_partial_uid_lookup(served: Served, client: Any) -> None:
    """[new] c[scan_id] and c['<partial uid>'] find the run."""
    assert client[2].start["uid"] == served.scalar_uids[1]
    uid = served.scalar_uids[2]
    assert client[uid[:8]].start["uid"] == uid
    assert client[uid].start["uid"] == uid
    with pytest.raises(KeyError):
        client[999]


def test_time_range_scan_id_and_metadata_searches(served: Served, client: Any) -> None:
    """[new] TimeRange, ScanID, ScanIDRange, Key and FullText searches narrow the catalog."""
    from bluesky_tiled_plugins.queries import In, Key, ScanID, ScanIDRange, TimeRange

    since = TimeRange(since=T0 + 1, until=T0 + 2 * 86_400 + 1, timezone="UTC")
    assert list(client.search(since)) == served.scalar_uids[1:]
    assert list(client.search(ScanID(3))) == [served.scalar_uids[2]]
    assert list(client.search(ScanIDRange(1, 3))) == served.scalar_uids[:2]
    assert list(client.search(Key("sample") == "Si")) == [
        served.scalar_uids[0],
        served.scalar_uids[2],
    ]
    assert list(client.search(Key("sample") == "Si").search(Key("scan_id") > 1)) == [
        served.scalar_uids[2]
    ]
    assert list(client.search(In("plan_name", ["images"]))) == [served.image_uid]


def test_stream_read_equals_local_read(served: Served, client: Any) -> None:
    """[new] run.primary.read() over Tiled equals the local read of the stream."""
    uid = served.scalar_uids[1]
    remote = client[uid].primary.read()
    local = served.catalog[uid].primary.read()
    for name in ("x", "y", "time"):
        np.testing.assert_array_equal(remote[name].values, local[name].values)


def test_documents_equal_local_documents(served: Served, client: Any) -> None:
    """[new] run.documents() over the /documents route equals the local documents()."""
    uid = served.image_uid
    remote = _plain(client[uid].documents())
    local = _plain(served.catalog[uid].documents(fill="no"))
    assert [name for name, _ in remote] == [name for name, _ in local]
    assert remote == local


def test_one_block_of_an_image_stream_reads_only_its_files(served: Served, client: Any) -> None:
    """[new] One block of several frames is read without the other frames' files."""
    import dask

    per_block = 5
    frame_bytes = int(np.prod(FRAME_SHAPE)) * np.dtype(np.uint16).itemsize
    # The stream's blocks are sized when its data is first asked for.
    with dask.config.set({"array.chunk-size": f"{per_block * frame_bytes}B"}):
        array = client[served.image_uid]["primary"]["data"]["img"]
    assert array.chunks[0] == (per_block,) * (FRAMES // per_block)
    kept = range(2 * per_block, 3 * per_block)  # block 2
    for index, path in enumerate(served.files):
        if index not in kept:
            path.unlink()  # any read of another block's frame would now fail
    block = array.read_block((2, 0, 0))
    expected = np.stack([np.full(FRAME_SHAPE, index, dtype=np.uint16) for index in kept])
    np.testing.assert_array_equal(block, expected)


def test_image_stream_blocks_hold_several_events(served: Served, client: Any) -> None:
    """[new] An image stream is served in blocks of several events, not one block per event."""
    from databroker._tiled.run import BLOCK_BYTES

    array = client[served.image_uid]["primary"]["data"]["img"]
    assert array.chunks == ((FRAMES,), (FRAME_SHAPE[0],), (FRAME_SHAPE[1],))
    assert FRAMES * int(np.prod(FRAME_SHAPE)) * 2 <= BLOCK_BYTES


def test_blocks_are_capped_below_dask_chunk_size(served: Served, client: Any) -> None:
    """[new] A large array.chunk-size still gives blocks of at most BLOCK_BYTES each."""
    import dask

    from databroker._tiled import run

    frame_bytes = int(np.prod(FRAME_SHAPE)) * np.dtype(np.uint16).itemsize
    with (
        mock.patch.object(run, "BLOCK_BYTES", 4 * frame_bytes),
        dask.config.set({"array.chunk-size": "1GiB"}),
    ):
        array = client[served.image_uid]["primary"]["data"]["img"]
    assert array.chunks[0] == (4,) * (FRAMES // 4)
    np.testing.assert_array_equal(
        array.read(), served.catalog[served.image_uid].primary.read()["img"].values
    )


def test_image_read_equals_local(served: Served, client: Any) -> None:
    """[new] A whole image stream read over Tiled equals the local read."""
    remote = client[served.image_uid].primary.read()["img"].values
    local = served.catalog[served.image_uid].primary.read()["img"].values
    np.testing.assert_array_equal(remote, local)
