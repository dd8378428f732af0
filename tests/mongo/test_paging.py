"""Reading large streams with few queries, and paging windows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from event_model import compose_run

from databroker._stores.mongo.normalized_run import PAGE_SIZE

N = 10_000


def _big_run(serializer: Any, n: int = N, external: bool = False) -> Any:
    """One run whose primary stream has ``n`` events (sent as one event page)."""
    bundle = compose_run(uid="big-run", time=1.0)
    serializer("start", bundle.start_doc)
    data_keys = {"x": {"dtype": "number", "shape": [], "source": "sim"}}
    if external:
        data_keys["img"] = {"dtype": "array", "shape": [2], "source": "sim", "external": "X:"}
    desc = bundle.compose_descriptor(name="primary", data_keys=data_keys, time=1.0)
    serializer("descriptor", desc.descriptor_doc)
    data: dict[str, Any] = {"x": list(range(n))}
    if external:
        resource = bundle.compose_resource(
            spec="NPY_SEQ", root="/r", resource_path="p", resource_kwargs={}
        )
        serializer("resource", resource.resource_doc)
        page = resource.compose_datum_page(datum_kwargs={"index": list(range(n))})
        serializer("datum_page", page)
        data["img"] = page["datum_id"]
    times = [2.0 + i for i in range(n)]
    serializer(
        "event_page",
        desc.compose_event_page(
            data=data,
            timestamps={key: times for key in data},
            time=times,
            seq_num=list(range(1, n + 1)),
            validate=False,
        ),
    )
    serializer("stop", bundle.compose_stop(time=2.0 + n))
    return desc.descriptor_doc


def test_normalized_big_stream_few_queries(normalized: Any, find_counter: Any) -> None:
    """[fix] A 10,000-event stream is read with a handful of queries, not one per event."""
    cat = normalized.catalog()
    _big_run(cat._get_serializer())
    find_counter.calls.clear()
    ds = cat["big-run"].primary.read()
    np.testing.assert_array_equal(ds["x"].values, np.arange(N))
    assert find_counter.calls.count("event") <= 3
    assert len(find_counter.calls) <= 15


def test_normalized_pages_of_at_most_2500(normalized: Any) -> None:
    """[compat] Normalized events come in pages of at most 2500, time ascending, filled False."""
    cat = normalized.catalog()
    descriptor = _big_run(cat._get_serializer(), n=6000, external=True)
    run = cat._store.open_run("big-run")
    pages = list(run.event_pages(descriptor["uid"]))
    assert [len(p["uid"]) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 1000]
    times = [t for p in pages for t in p["time"]]
    assert times == sorted(times)
    assert all(p["filled"] == {"img": [False] * len(p["uid"])} for p in pages)
    assert "_id" not in pages[0]
    assert run.event_count(descriptor["uid"]) == 6000


def test_datum_kwargs_batched(normalized: Any, find_counter: Any) -> None:
    """[fix] datum_kwargs looks up datum with one $in query per batch, not one per datum."""
    cat = normalized.catalog()
    _big_run(cat._get_serializer(), n=3000, external=True)
    run = cat._store.open_run("big-run")
    ids = [f"{d}" for page in run.datum_pages(run.resources()[0]["uid"]) for d in page["datum_id"]]
    find_counter.calls.clear()
    found = run.datum_kwargs(ids)
    assert [kwargs["index"] for _, kwargs in found] == list(range(3000))
    assert {resource["uid"] for resource, _ in found} == {run.resources()[0]["uid"]}
    assert find_counter.calls.count("datum") == 3


@pytest.mark.parametrize(
    ("skip", "limit"), [(0, None), (0, 5), (3, 4), (9, None), (7, 100), (12, 1)]
)
def test_windows(layout: Any, skip: int, limit: int | None) -> None:
    """[compat] skip/limit count events, across page boundaries, on both layouts."""
    cat = layout.catalog()
    serializer = cat._get_serializer()
    bundle = compose_run(uid="windowed", time=1.0)
    serializer("start", bundle.start_doc)
    desc = bundle.compose_descriptor(
        name="primary", data_keys={"x": {"dtype": "number", "shape": [], "source": "s"}}, time=1.0
    )
    serializer("descriptor", desc.descriptor_doc)
    for offset in (0, 4, 8):  # three pages of four (embedded keeps them in one stored page)
        values = list(range(offset, offset + 4))
        serializer(
            "event_page",
            desc.compose_event_page(
                data={"x": values},
                timestamps={"x": values},
                time=[2.0 + v for v in values],
                seq_num=[v + 1 for v in values],
                validate=False,
            ),
        )
    run = cat._store.open_run("windowed")
    rows = [
        x
        for page in run.event_pages(desc.descriptor_doc["uid"], skip, limit)
        for x in page["data"]["x"]
    ]
    end = None if limit is None else skip + limit
    assert rows == list(range(12))[skip:end]


def test_embedded_small_pages_window(embedded: Any) -> None:
    """[compat] Embedded pages are selected by first_index/last_index and cut to the window."""
    from databroker._stores.mongo.embedded_writer import EmbeddedWriter

    cat = embedded.catalog()
    writer = EmbeddedWriter(embedded.databases[0], page_bytes=1)  # every write starts a page
    bundle = compose_run(uid="paged", time=1.0)
    writer("start", bundle.start_doc)
    desc = bundle.compose_descriptor(
        name="primary", data_keys={"x": {"dtype": "number", "shape": [], "source": "s"}}, time=1.0
    )
    writer("descriptor", desc.descriptor_doc)
    for i in range(10):
        writer("event", desc.compose_event(data={"x": i}, timestamps={"x": i}, time=2.0 + i))
    stored = list(embedded.databases[0].event.find({}, sort=[("first_index", 1)]))
    assert [(p["first_index"], p["last_index"]) for p in stored] == [(i, i) for i in range(10)]
    run = cat._store.open_run("paged")
    pages = list(run.event_pages(desc.descriptor_doc["uid"], 4, 3))
    assert [p["data"]["x"] for p in pages] == [[4], [5], [6]]
    assert not {"size", "first_index", "last_index", "_id"} & set(pages[0])
    assert run.event_count(desc.descriptor_doc["uid"]) == 10  # from the pages: no stop yet
    writer("stop", bundle.compose_stop())
    header = embedded.databases[0].header.find_one({"run_id": "paged"})
    assert header["event_count"] == 10
    assert header[f"count_{desc.descriptor_doc['uid']}"] == 10
