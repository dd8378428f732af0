"""Live data on a msgpack directory: latency, row cost, and get_next_run without gaps.

``python -m benchmarks.live_files [--small] [--poll 0.05]`` prints:

* end-to-end latency from an event written (by another process) to the row returned by a
  blocked ``cursor.read()``: p50/p99, against the goal p99 <= polling interval + 10 ms;
* the cost of one row (``stream[i]``) of a 10-event and of a 1,000,000-event run, memory
  store and msgpack file (after the file's first decode), and of one frame of an external
  image field (goal <= 5 ms);
* ``get_next_run`` over 1,000 runs started by two writer processes as fast as they can:
  none missed, none twice.

Every figure is checked (wrong rows fail the run instead of looking fast).
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

_DATA_KEYS = {
    "x": {"source": "bench", "dtype": "number", "shape": []},
    "written": {"source": "bench", "dtype": "number", "shape": []},
}


def _write_timed_run(directory: str, events: int, spacing: float) -> None:
    """A writer process: one run whose events carry the wall time they were written at."""
    import event_model

    from databroker._stores.files.writers import MsgpackWriter

    writer = MsgpackWriter(directory)
    bundle = event_model.compose_run()
    writer("start", bundle.start_doc)
    descriptor = bundle.compose_descriptor(name="primary", data_keys=_DATA_KEYS)
    writer("descriptor", descriptor.descriptor_doc)
    time.sleep(0.5)  # the reader opens its cursor meanwhile
    for i in range(events):
        now = time.time()
        writer(
            "event",
            descriptor.compose_event(
                data={"x": i, "written": now}, timestamps={"x": now, "written": now}
            ),
        )
        time.sleep(spacing)
    writer("stop", bundle.compose_stop())
    writer.close()


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def latency(events: int, poll: float) -> dict[str, float]:
    """p50/p99 (ms) from an event written to the row a blocked cursor.read() returns."""
    from databroker import open_catalog
    from databroker.errors import EndOfStream

    _memory_run(10)[1].primary[0]  # warm up: the first read imports xarray and dask
    directory = tempfile.mkdtemp(prefix="bench-live-")
    catalog = open_catalog(str(Path(directory) / "*.msgpack"))
    catalog._store.poll_interval = poll
    try:
        catalog.get_next_run(block=False)
    except Exception as nothing:  # NoRunAvailable: its token marks "now"
        token = getattr(nothing, "token", None)
    process = multiprocessing.get_context("spawn").Process(
        target=_write_timed_run, args=(directory, events, 0.01)
    )
    process.start()
    _, run = catalog.get_next_run(token, timeout=60)
    while "primary" not in list(run):
        time.sleep(0.005)
    cursor = run.primary.cursor()
    delays: list[float] = []
    seen = 0
    while True:
        try:
            first, rows = cursor.read(timeout=30)
        except EndOfStream:
            break
        now = time.time()
        assert first == seen, (first, seen)
        assert rows["x"].values.tolist() == list(range(first, first + rows.sizes["time"]))
        seen += rows.sizes["time"]
        delays.extend((now - float(t)) * 1000 for t in rows["written"].values)
    process.join(30)
    assert seen == events, (seen, events)
    p50, p99 = _percentile(delays, 50), _percentile(delays, 99)
    return {"p50_ms": p50, "p99_ms": p99, "goal_p99_ms": poll * 1000 + 10}


def _memory_run(events: int) -> Any:
    import event_model

    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog()
    write = catalog.serializer()
    bundle = event_model.compose_run()
    write("start", bundle.start_doc)
    descriptor = bundle.compose_descriptor(name="primary", data_keys=_DATA_KEYS)
    write("descriptor", descriptor.descriptor_doc)
    index = np.arange(events, dtype=float).tolist()
    page = {
        "descriptor": descriptor.descriptor_doc["uid"],
        "uid": [f"e{i}" for i in range(events)],
        "seq_num": list(range(1, events + 1)),
        "time": index,
        "data": {"x": index, "written": index},
        "timestamps": {"x": index, "written": index},
        "filled": {},
    }
    write("event_page", page)
    write("stop", bundle.compose_stop())
    return catalog, catalog[bundle.start_doc["uid"]]


def _row_cost(run: Any, repeat: int = 50) -> float:
    stream = run.primary
    n = len(stream)
    stream[n // 2]  # warm: the first look may decode a file
    start = time.perf_counter()
    for i in range(repeat):
        row = stream[(i * 7919) % n]
        assert row.sizes["time"] == 1
    return (time.perf_counter() - start) / repeat * 1000


def row_costs(big: int) -> dict[str, float]:
    """ms per ``stream[i]`` in runs of 10 and ``big`` events (memory store, msgpack file)."""
    from databroker import open_catalog

    result = {}
    for events in (10, big):
        _, run = _memory_run(events)
        result[f"memory {events} events"] = _row_cost(run)
        directory = tempfile.mkdtemp(prefix="bench-rows-")
        from databroker._stores.files.writers import MsgpackWriter

        writer = MsgpackWriter(directory)
        for name, doc in run.documents(fill="no"):
            writer(name, doc)
        writer.close()
        on_disk = open_catalog(str(Path(directory) / "*.msgpack"))
        file_run = on_disk[run.uid]
        start = time.perf_counter()
        file_run.primary[0]
        result[f"msgpack {events} events, first row (decodes the file)"] = (
            time.perf_counter() - start
        ) * 1000
        result[f"msgpack {events} events"] = _row_cost(file_run)
    return result


def frame_cost(frames: int = 50) -> float:
    """ms to read one frame of an external (NPY_SEQ) image field as ``stream[i]``."""
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import SynSignalWithRegistry

    from databroker.handlers import NumpySeqHandler
    from databroker.in_memory import BlueskyInMemoryCatalog

    directory = tempfile.mkdtemp(prefix="bench-img-")
    img = SynSignalWithRegistry(
        func=lambda: np.random.random((512, 512)), name="img", save_path=directory
    )
    catalog = BlueskyInMemoryCatalog(handler_registry={"NPY_SEQ": NumpySeqHandler})
    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(catalog.serializer())
    engine(count([img], num=frames))
    stream = catalog[-1].primary
    stream[0]
    start = time.perf_counter()
    for i in range(frames):
        frame = stream[i]["img"].values
        assert frame.shape == (1, 512, 512)
    return (time.perf_counter() - start) / frames * 1000


def _write_runs(directory: str, runs: int, tag: str) -> None:
    """A writer process: ``runs`` short runs, as fast as it can."""
    import event_model

    from databroker._stores.files.writers import MsgpackWriter

    writer = MsgpackWriter(directory)
    for i in range(runs):
        bundle = event_model.compose_run(metadata={"tag": tag, "index": i})
        writer("start", bundle.start_doc)
        descriptor = bundle.compose_descriptor(name="primary", data_keys=_DATA_KEYS)
        writer("descriptor", descriptor.descriptor_doc)
        writer(
            "event",
            descriptor.compose_event(
                data={"x": i, "written": 0.0}, timestamps={"x": 0.0, "written": 0.0}
            ),
        )
        writer("stop", bundle.compose_stop())
    writer.close()


def next_runs(runs: int, poll: float) -> dict[str, Any]:
    """get_next_run over ``runs`` runs from two writer processes: missed, twice, seconds."""
    from databroker import open_catalog

    directory = tempfile.mkdtemp(prefix="bench-next-")
    catalog = open_catalog(str(Path(directory) / "*.msgpack"))
    catalog._store.poll_interval = poll
    try:
        catalog.get_next_run(block=False)
    except Exception as nothing:
        token = getattr(nothing, "token", None)
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_write_runs, args=(directory, runs // 2, tag)) for tag in "ab"
    ]
    got: list[str] = []
    start = time.perf_counter()

    def consume() -> None:
        nonlocal token
        for _ in range(runs):
            token, run = catalog.get_next_run(token, timeout=120)
            got.append(run.uid)

    consumer = threading.Thread(target=consume)
    consumer.start()
    for process in writers:
        process.start()
    for process in writers:
        process.join(300)
    consumer.join(300)
    elapsed = time.perf_counter() - start
    written = {path.stem for path in Path(directory).glob("*.msgpack")}
    missed = len(written - set(got))
    twice = len(got) - len(set(got))
    assert missed == 0 and twice == 0 and len(written) == runs, (missed, twice, len(written))
    return {"runs": runs, "missed": missed, "twice": twice, "seconds": elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="fewer events and runs")
    parser.add_argument("--poll", type=float, default=0.05, help="polling interval (s)")
    args = parser.parse_args(argv)
    events, big, runs = (50, 10_000, 100) if args.small else (300, 1_000_000, 1000)

    result = latency(events, args.poll)
    verdict = "ok" if result["p99_ms"] <= result["goal_p99_ms"] else "MISSED"
    print(
        f"latency write -> cursor.read() (poll {args.poll * 1000:.0f} ms, {events} events): "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms "
        f"(goal p99 <= {result['goal_p99_ms']:.0f} ms: {verdict})"
    )
    for name, cost in row_costs(big).items():
        print(f"one row, {name}: {cost:.3f} ms")
    frame = frame_cost()
    print(
        f"one frame (512x512 float64, NPY_SEQ) as stream[i]: {frame:.2f} ms "
        f"(goal <= 5 ms: {'ok' if frame <= 5 else 'MISSED'})"
    )
    result = next_runs(runs, args.poll)
    print(
        f"get_next_run over {result['runs']} runs from 2 writer processes: "
        f"{result['missed']} missed, {result['twice']} twice, {result['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
