"""Many threads reading one file catalog see exactly the stored rows (issue 12, item 1)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import event_model
import numpy as np
import pytest
import suitcase.jsonl
import suitcase.msgpack

from databroker._drivers.jsonl import BlueskyJSONLCatalog
from databroker._drivers.msgpack import BlueskyMsgpackCatalog

EVENTS = 3000
THREADS = 8
REPEATS = 5
CATALOGS = {"msgpack": BlueskyMsgpackCatalog, "jsonl": BlueskyJSONLCatalog}
SERIALIZERS = {"msgpack": suitcase.msgpack.Serializer, "jsonl": suitcase.jsonl.Serializer}


def _write_run(directory: Path, file_format: str) -> str:
    """Write a run of single events (as a RunEngine does) with suitcase; return its uid."""
    serializer = SERIALIZERS[file_format](str(directory))
    run = event_model.compose_run()
    serializer("start", run.start_doc)
    keys = {"x": {"dtype": "number", "shape": [], "source": "sim"}}
    stream = run.compose_descriptor(name="primary", data_keys=keys)
    serializer("descriptor", stream.descriptor_doc)
    for i in range(1, EVENTS + 1):
        event = stream.compose_event(
            data={"x": float(i)}, timestamps={"x": float(i)}, seq_num=i, validate=False
        )
        serializer("event", event)
    serializer("stop", run.compose_stop())
    serializer.close()
    return str(run.start_doc["uid"])


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads as often as possible, so that races show."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def _in_threads(action: Callable[[], Any]) -> list[Any]:
    """Run ``action`` in THREADS threads released together; return results (or errors)."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def work(index: int) -> None:
        barrier.wait()
        try:
            results[index] = action()
        except Exception as error:  # reported by the assertion, with the thread's error
            results[index] = error

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _rows(dataset: Any) -> list[float]:
    return list(np.asarray(dataset["x"]))


@pytest.mark.parametrize("file_format", sorted(CATALOGS))
def test_threads_reading_one_catalog_get_exactly_the_stored_rows(
    tmp_path: Path, file_format: str, fast_switching: None
) -> None:
    """[fix] 8 threads reading one run through one catalog get every row once, every time,
    and the catalog's later reads too."""
    uid = _write_run(tmp_path, file_format)
    expected = [float(i) for i in range(1, EVENTS + 1)]
    pattern = str(tmp_path / f"*.{file_format}")
    for _ in range(REPEATS):
        catalog = CATALOGS[file_format](pattern)
        results = _in_threads(lambda: _rows(catalog[uid].primary.read()))  # noqa: B023
        assert [r if isinstance(r, Exception) else len(r) for r in results] == [EVENTS] * THREADS
        assert all(rows == expected for rows in results)
        assert _rows(catalog[uid].primary.read()) == expected


@pytest.mark.parametrize("file_format", sorted(CATALOGS))
def test_threads_listing_opening_and_reading_one_catalog_agree(
    tmp_path: Path, file_format: str, fast_switching: None
) -> None:
    """[fix] Threads that list runs, open them, list streams and read documents on one
    catalog at once all see the same runs and every event once."""
    uids = {_write_run(tmp_path, file_format) for _ in range(3)}
    pattern = str(tmp_path / f"*.{file_format}")
    for _ in range(REPEATS):
        catalog = CATALOGS[file_format](pattern)

        def survey(catalog: Any = catalog) -> tuple[set[str], list[list[str]], list[int]]:
            listed = set(catalog)
            streams = [list(catalog[uid]) for uid in sorted(uids)]
            events = [
                sum(
                    len(doc["seq_num"])
                    for name, doc in catalog[uid].documents(fill="no")
                    if name == "event_page"
                )
                for uid in sorted(uids)
            ]
            return listed, streams, events

        results = _in_threads(survey)
        expected = (uids, [["primary"]] * len(uids), [EVENTS] * len(uids))
        assert results == [expected] * THREADS
