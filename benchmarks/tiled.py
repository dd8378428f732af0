"""Reading through the Tiled façade against reading locally (``python -m benchmarks.tiled``).

Workloads: a scalar stream (100,000 events, 10 fields; ``--scale small``: 1,000) and an image
stream (200 frames of 256x256 uint16; small: 10 of 64x64) read remotely over loopback HTTP with
the stock client and locally: the goal rows serve from a ``databroker serve`` process (a remote
server has a process, and a GIL, of its own), the ``in-thread`` rows from ``serve_in_thread``
in the reading process; a two-field search over 5,000 runs (small: 100); the peak RSS of the
server and client over 1,000 repeated metadata and one-frame requests.
Goals: remote ≤ 3x local, search ≤ 50 ms, memory growth bounded (≤ 50 MB).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .data import SCALES, Scale, image_run, many_runs, wide_run


def _best(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


@contextlib.contextmanager
def _server_process(location: str, api_key: str = "bench") -> Iterator[str]:
    """``databroker serve LOCATION`` on a free loopback port; yields its URL, stops it by pid."""
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "databroker", "serve", location, "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--api-key", api_key], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"databroker serve {location} did not start")
        yield url
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _ratio_row(label: str, remote_s: float, local_s: float, goal: bool) -> tuple[str, ...]:
    ratio = remote_s / local_s
    return (
        label,
        f"{remote_s * 1e3:.0f} ms vs {local_s * 1e3:.0f} ms ({ratio:.1f}x)",
        "≤ 3x" if goal else "-",
        ("pass" if ratio <= 3 else "miss") if goal else "-",
    )


def _catalog(directory: Path, runs: list[list[tuple[str, dict[str, Any]]]]) -> Any:
    import databroker
    from databroker.testing.backends import storage

    place = storage("msgpack", directory)
    catalog = place.catalog()
    write = catalog._get_serializer()
    for docs in runs:
        for name, doc in docs:
            write(name, doc)
    catalog.force_reload()
    return databroker.open_catalog(place.pattern)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(scale: Scale) -> list[tuple[str, str, str, str]]:
    """Measure every workload; return ``(workload, measured, goal, verdict)`` rows."""
    import databroker

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        wide, images = wide_run(scale), image_run(root / "frames", scale)
        catalog = _catalog(root / "runs", [wide.docs, images.docs])
        streams = (("scalar", wide.uid), ("images", images.uid))
        local = {
            uid: _best(lambda uid=uid: catalog[uid].primary.read(), scale.repeat)
            for _, uid in streams
        }
        with _server_process(str(root / "runs")) as url:
            remote = databroker.open_catalog(url, api_key="bench")
            for label, uid in streams:
                remote_s = _best(lambda uid=uid: remote[uid].primary.read(), scale.repeat)
                rows.append(
                    _ratio_row(
                        f"{label} stream read(), remote vs local", remote_s, local[uid], goal=True
                    )
                )
            remote.context.close()
        with databroker.serve_in_thread(catalog) as server:
            remote = databroker.open_catalog(server.url, api_key=server.api_key)
            for label, uid in streams:
                remote_s = _best(lambda uid=uid: remote[uid].primary.read(), scale.repeat)
                rows.append(
                    _ratio_row(
                        f"{label} stream read(), in-thread server vs local",
                        remote_s,
                        local[uid],
                        goal=False,
                    )
                )
            frames = remote[images.uid]["primary"]["data"]["img"]
            before = _rss_mb()
            for i in range(1000):
                remote[wide.uid].metadata  # noqa: B018
                frames[i % scale.frames]  # one frame (blocks hold many frames)
            growth = _rss_mb() - before
            rows.append(
                (
                    "server+client peak RSS growth, 1,000 requests",
                    f"{growth:.0f} MB",
                    "≤ 50 MB",
                    "pass" if growth <= 50 else "miss",
                )
            )
            remote.context.close()
        many = many_runs(scale)
        searched = _catalog(root / "many", many.runs)
        with databroker.serve_in_thread(searched) as server:
            from tiled.queries import Key

            remote = databroker.open_catalog(server.url, api_key=server.api_key)
            query = many.query

            def search() -> int:
                result = remote
                for key, value in query.items():
                    result = result.search(Key(key) == value)
                return len(result)

            assert search() == len(many.matching(query))
            seconds = _best(search, max(scale.repeat, 5))
            rows.append(
                (
                    f"search over {scale.many_runs:,} runs (2 fields) + len",
                    f"{seconds * 1e3:.1f} ms",
                    "≤ 50 ms",
                    "pass" if seconds <= 0.05 else "miss",
                )
            )
            remote.context.close()
        np.testing.assert_array_equal(
            catalog[images.uid].primary.read()["img"].values.sum(axis=(1, 2), dtype=np.uint64),
            images.frame_sums,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the table of measurements."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tiled", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    args = parser.parse_args(argv)
    rows = run(SCALES[args.scale])
    print("| workload | measured | goal | verdict |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
