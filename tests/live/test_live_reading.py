"""A real RunEngine publishing into a real redis-server, read live by another process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from databroker._stores.files.catalog import MSGPACK, FileCatalogStore
from databroker._stores.live import LiveBuffer

pytest.importorskip("bluesky")

_READER = """
import json, sys
from databroker._stores.live import RedisCatalogStore
url, prefix = sys.argv[1:3]
store = RedisCatalogStore(url, prefix=prefix)
token, _ = store.arrivals(None)
print("ready", flush=True)
token, uids = store.wait_for_arrivals(token, 60)
run = store.open_run(uids[0])
counts = []
while True:
    primary = [d["uid"] for d in run.descriptors() if d.get("name") == "primary"]
    counts.append(run.event_count(primary[0]) if primary else 0)
    if run.stop() is not None:
        break
    run.wait_for_documents(10)
primary = [d["uid"] for d in run.descriptors() if d.get("name") == "primary"][0]
pages = list(run.event_pages(primary))
rows = {
    "seq_num": [int(s) for p in pages for s in p["seq_num"]],
    "det": [float(v) for p in pages for v in p["data"]["det"]],
}
print(json.dumps({"uid": run.uid, "counts": counts, "rows": rows,
                  "exit_status": run.stop()["exit_status"]}), flush=True)
"""


def _rows(run: Any) -> dict[str, list[Any]]:
    primary = next(d["uid"] for d in run.descriptors() if d.get("name") == "primary")
    pages = list(run.event_pages(primary))
    return {
        "seq_num": [int(s) for p in pages for s in p["seq_num"]],
        "det": [float(v) for p in pages for v in p["data"]["det"]],
    }


def test_reader_in_another_process_follows_a_run_engine(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    """[new] A reader process sees the run a RunEngine publishes, its events grow, then the
    stop; at the end its rows equal the durable msgpack copy."""
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import det

    durable_dir = tmp_path / "durable"
    durable_dir.mkdir()
    durable = FileCatalogStore(str(durable_dir / "*.msgpack"), MSGPACK)
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, redis_url, prefix],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "ready"
        publisher = LiveBuffer(redis_url, durable=durable, prefix=prefix).publisher()
        engine = RunEngine({}, call_returns_result=False)
        engine.subscribe(publisher)
        (uid,) = engine(count([det], 12, delay=0.05))
        publisher.close()
        out, err = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    assert reader.returncode == 0, err
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["uid"] == uid
    assert seen["exit_status"] == "success"
    counts = seen["counts"]
    assert counts == sorted(counts) and counts[-1] == 12
    assert any(0 < n < 12 for n in counts), counts  # seen while it was written
    durable.refresh(force=True)
    assert seen["rows"] == _rows(durable.open_run(uid))
    assert seen["rows"]["seq_num"] == list(range(1, 13))


def test_intake_catalog_over_the_buffer(redis_url: str, prefix: str, tmp_path: Path) -> None:
    """[new] BlueskyRedisCatalog (durable given as a directory) lists the run and reads it
    as the msgpack catalog of the durable copy does."""
    from bluesky import RunEngine
    from bluesky.plans import scan
    from ophyd.sim import det, motor

    from databroker._drivers.msgpack import BlueskyMsgpackCatalog
    from databroker._drivers.redis import BlueskyRedisCatalog
    from databroker._stores.registry import backend, backends_for

    durable_dir = tmp_path / "durable"
    durable_dir.mkdir()
    durable = BlueskyMsgpackCatalog(str(durable_dir))
    publisher = LiveBuffer(redis_url, durable=durable, prefix=prefix).publisher()
    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(publisher)
    (uid,) = engine(scan([det], motor, -1, 1, 5))
    publisher.close()
    catalog = BlueskyRedisCatalog(redis_url, durable=str(durable_dir), prefix=prefix)
    assert list(catalog) == [uid]
    live = catalog[uid].primary.read()
    stored = BlueskyMsgpackCatalog(str(durable_dir))[uid].primary.read()
    assert live["det"].values.tolist() == stored["det"].values.tolist()
    assert catalog[uid].metadata["stop"]["exit_status"] == "success"
    assert [spec.name for spec in backends_for(redis_url)] == ["redis"]
    assert backend("redis").load_driver() is BlueskyRedisCatalog
    catalog.close()
