"""How catalogs, search results, runs, streams, v1 Broker and Header display in IPython."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import event_model
import pytest
from bluesky.plans import count
from IPython.lib.pretty import pretty
from ophyd.sim import det

from databroker._intake.display import MAX_LINES, REPR_FAILURE

from .conftest import LARGE_RUN_EVENTS, SENTINEL

MILLISECONDS = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}")


def _shown(formatter: Any, obj: Any) -> tuple[str, str]:
    """The text and HTML IPython shows for ``obj``."""
    data, _ = formatter.format(obj)
    return data["text/plain"], data.get("text/html", "")


def test_large_run_display_is_bounded(formatter: Any, large_catalog: Any) -> None:
    """[fix] A 100,000-event run displays as a summary of <= 40 lines, never its events."""
    run = large_catalog[-1]
    text, page = _shown(formatter, run)
    assert len(text.splitlines()) <= MAX_LINES
    assert len(page) < 5_000
    assert run.uid in text and run.uid in page
    assert "4242" in text and "'count'" in text
    assert f"{LARGE_RUN_EVENTS:,} events" in text
    assert str(SENTINEL) not in text + page
    assert "det  float64  ()" in text
    assert "img  uint16   (3,)" in text


def test_large_stream_display_is_bounded(formatter: Any, large_catalog: Any) -> None:
    """[fix] A 100,000-event stream displays its count and fields, never its data."""
    stream = large_catalog[-1].primary
    text, page = _shown(formatter, stream)
    assert text.splitlines()[0] == repr(stream)
    assert len(text.splitlines()) <= MAX_LINES
    assert f"{LARGE_RUN_EVENTS:,} events, 2 fields" in text + page
    assert str(SENTINEL) not in text + page
    assert "img" in page and "uint16" in page


def test_entry_displays_its_run(formatter: Any, large_catalog: Any) -> None:
    """[compat] An Entry's reprs delegate to the run it builds."""
    uid = large_catalog[-1].uid
    entry = large_catalog._entries[uid]
    assert _shown(formatter, entry) == _shown(formatter, entry.get())
    assert pretty(entry) == pretty(entry.get())


def test_catalog_display(formatter: Any, catalog: Any, RE: Any, backend: str) -> None:
    """[new] A catalog shows its class, source, run count and newest runs as a table."""
    uids = [RE(count([det], 2), scan_id=10 + i)[0] for i in range(7)]
    text, page = _shown(formatter, catalog)
    source = {"memory": "in memory", "jsonl": ".jsonl", "msgpack": ".msgpack"}.get(
        backend, "MongoDB database"
    )
    for shown in (text, page):
        assert type(catalog).__name__ in shown
        assert source in shown
        assert "7 runs" in shown or ">7<" in shown
    assert len(text.splitlines()) <= MAX_LINES
    table = [line for line in text.splitlines() if line.startswith("    ")]
    assert max(len(line) for line in table) <= 80
    assert [line.split()[0] for line in table[1:]] == [uid[:8] for uid in reversed(uids)][:5]
    assert "16" in text and "success" in text


def test_search_results_show_query(formatter: Any, catalog: Any, RE: Any) -> None:
    """[new] Search results show their query in repr, text and HTML."""
    RE(count([det], 1), purpose="calibration")
    RE(count([det], 1), purpose="measurement")
    results = catalog.search({"purpose": "calibration"})
    text, page = _shown(formatter, results)
    assert "query: {'purpose': 'calibration'}" in text
    assert "1 run" in text
    assert "purpose" in page and "&#x27;calibration&#x27;" in page
    assert "{'purpose': 'calibration'}" in repr(results)


def test_catalog_repr_names_source_and_count(tmp_path: Path) -> None:
    """[fix] repr(catalog) names the class, the path and the number of runs."""
    from databroker._drivers.msgpack import BlueskyMsgpackCatalog

    pattern = str(tmp_path / "*.msgpack")
    catalog = BlueskyMsgpackCatalog(pattern)
    assert (
        repr(catalog) == f"<BlueskyMsgpackCatalog 'bluesky-msgpack-catalog': 0 runs from {pattern}>"
    )


def test_catalog_describe(catalog: Any, RE: Any) -> None:
    """[fix] catalog.describe() is a dict (driver, source, query, count), not intake's NoEntry."""
    RE(count([det], 1))
    description = catalog.search({"plan_name": "count"}).describe()
    assert description["driver"].endswith(type(catalog).__name__)
    assert description["query"] == {"plan_name": "count"}
    assert description["count"] == 1
    assert description["source"]


def test_run_pretty_repr(catalog: Any, RE: Any) -> None:
    """[compat] The run's pretty repr: uid, exit_status, ms times, stream names; + counts."""
    (uid,) = RE(count([det], 3), scan_id=77)
    text = pretty(catalog[uid])
    assert text.splitlines()[0] == "BlueskyRun"
    assert f"uid={uid!r}" in text
    assert "exit_status='success'" in text
    assert len(MILLISECONDS.findall(text)) == 2
    assert "* primary: 3 events, 1 field" in text
    assert "scan_id=77" in text


def test_live_run_shows_question_mark() -> None:
    """[compat] A run without stop shows '?' for its stop time and exit status."""
    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog()
    serializer = catalog._get_serializer()
    bundle = event_model.compose_run()
    serializer("start", bundle.start_doc)
    text = pretty(catalog[-1])
    assert "exit_status='?'" in text
    assert re.search(MILLISECONDS.pattern + r" -- \?", text)


def test_times_are_local(monkeypatch: pytest.MonkeyPatch, catalog: Any, RE: Any) -> None:
    """[fix] Displays show start times as local wall-clock time (the process's TZ)."""
    (uid,) = RE(count([det], 1))
    start = catalog[uid].metadata["start"]["time"]
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # +05:30 all year, so never equal to UTC
    time.tzset()
    try:
        expected = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(start))
        assert expected in pretty(catalog[uid])
        assert expected in pretty(catalog)
        assert expected in str(catalog.summary())
    finally:
        monkeypatch.undo()
        time.tzset()


def test_many_streams_and_fields_stay_bounded(formatter: Any) -> None:
    """[fix] A run with 60 streams of 30 fields still displays in <= 40 lines."""
    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog()
    serializer = catalog._get_serializer()
    bundle = event_model.compose_run()
    serializer("start", bundle.start_doc)
    keys = {f"field{i}": {"source": "x", "dtype": "number", "shape": []} for i in range(30)}
    for n in range(60):
        serializer(
            "descriptor", bundle.compose_descriptor(name=f"s{n}", data_keys=keys).descriptor_doc
        )
    serializer("stop", bundle.compose_stop())
    text, page = _shown(formatter, catalog[-1])
    assert len(text.splitlines()) <= MAX_LINES
    assert "more: " in text
    assert len(page) < 100_000


def test_repr_rendering_failure(monkeypatch: pytest.MonkeyPatch, formatter: Any) -> None:
    """[compat] A run display that raises shows *REPR RENDERING FAILURE*."""
    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog()
    serializer = catalog._get_serializer()
    bundle = event_model.compose_run()
    serializer("start", bundle.start_doc)
    run = catalog[-1]

    def broken() -> Any:
        raise RuntimeError("storage went away")

    monkeypatch.setattr(run.reader.view, "descriptors", broken)
    assert pretty(run) == REPR_FAILURE
    text, page = _shown(formatter, run)
    assert text == REPR_FAILURE
    assert REPR_FAILURE in page


def test_summary_prints_in_80_columns(catalog: Any, RE: Any) -> None:
    """[fix] print(catalog.summary()) shows all 5 default columns within 80 columns."""
    for _ in range(3):
        RE(count([det], 1))
    table = catalog.summary()
    lines = str(table).splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0].split() == ["start", "scan_id", "plan_name", "exit_status", "stop"]
    assert list(table.columns) == [
        "start.time",
        "start.scan_id",
        "start.plan_name",
        "stop.exit_status",
        "stop.time",
    ]
    assert len(table.index[0]) == 36  # the values keep the full uid
    assert str(table["start.time"].dtype).startswith("datetime64")
    assert table["start.time"].dt.tz is not None


def test_v1_broker_and_header(formatter: Any, catalog: Any, RE: Any) -> None:
    """[new] The v1 Broker and Header display like the catalog and the run."""
    (uid,) = RE(count([det], 2), scan_id=5)
    db = catalog.v1
    text, page = _shown(formatter, db)
    assert text.startswith("databroker.v1.Broker around")
    assert "1 run" in text and uid[:8] in page
    header = db[uid]
    text, page = _shown(formatter, header)
    assert text.splitlines()[0] == "Header"
    assert f"uid={uid!r}" in text and "* primary: 2 events" in text
    assert page.startswith("<table>")
    assert "exit_status" in page and "plan_name" in page
