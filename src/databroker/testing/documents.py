"""The runs the conformance kit stores: built with ``event_model.compose_run`` (and a bluesky
RunEngine with ``ophyd.sim`` devices), with chosen uids and times so expectations are exact.

Every builder returns :class:`Run` objects: the ``(name, doc)`` pairs in the order they are
written, and a few facts the tests check against.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import event_model

__all__ = [
    "LOOKUP_ORDER",
    "Run",
    "bad_datum_run",
    "growing_run",
    "lookup_runs",
    "orphan_event_run",
    "plain",
    "rich_run",
    "run_engine_runs",
    "table",
]

Documents = list[tuple[str, Any]]  # event_model's TypedDicts, or plain dicts
_NUMBER = {"dtype": "number", "shape": [], "source": "sim"}


@dataclass
class Run:
    """One run's documents in write order."""

    documents: Documents
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def uid(self) -> str:
        """The start uid."""
        return str(self.documents[0][1]["uid"])

    @property
    def start(self) -> dict[str, Any]:
        """The start document."""
        return self.documents[0][1]

    @property
    def stop(self) -> dict[str, Any] | None:
        """The stop document, or None."""
        last = self.documents[-1]
        return last[1] if last[0] == "stop" else None

    def of(self, *names: str) -> list[dict[str, Any]]:
        """Return the documents with any of ``names``, in write order."""
        return [doc for name, doc in self.documents if name in names]


def plain(value: Any) -> Any:
    """Return ``value`` as JSON would store it (numpy → lists, tuples → lists)."""
    return json.loads(json.dumps(value, cls=event_model.NumpyEncoder))


def table(pages: Iterable[Mapping[str, Any]], ids_key: str = "uid") -> dict[str, Any]:
    """Concatenate columnar pages into one table of plain lists, checking their shape.

    Raises AssertionError if a page's columns differ in length from its ``ids_key`` column.
    """
    joined: dict[str, Any] = {}
    for page in pages:
        rows = len(page[ids_key])
        for key, value in page.items():
            if isinstance(value, Mapping):
                columns = joined.setdefault(key, {})
                for name, column in value.items():
                    column = plain(column)
                    assert len(column) == rows, f"page column {key}.{name} is not {rows} long"
                    columns.setdefault(name, []).extend(column)
            elif not isinstance(value, str):
                column = plain(value)
                assert len(column) == rows, f"page column {key} is not {rows} long"
                joined.setdefault(key, []).extend(column)
    return joined


def _simple(uid: str, time: float, events: int = 1, **metadata: Any) -> Run:
    bundle = event_model.compose_run(uid=uid, time=time, metadata=metadata)
    desc = bundle.compose_descriptor(name="primary", data_keys={"x": _NUMBER}, time=time)
    documents: Documents = [("start", bundle.start_doc), ("descriptor", desc.descriptor_doc)]
    for i in range(1, events + 1):
        event = desc.compose_event(
            data={"x": float(i)}, timestamps={"x": time + i}, time=time + i, seq_num=i
        )
        documents.append(("event", event))
    documents.append(("stop", bundle.compose_stop(uid=f"{uid}-stop", time=time + 10)))
    return Run(documents)


#: The uids of :func:`lookup_runs`, newest first (two runs share a start time).
LOOKUP_ORDER = ["bbbb3333-0000", "cccc4444-0000", "cccc5555-0000", "aaaa2222-0000", "aaaa1111-0000"]


def lookup_runs() -> list[Run]:
    """Five finished runs for listing, lookup and queries (written oldest first, except that
    the two runs of equal time are written in reverse uid order)."""
    return [
        _simple("aaaa1111-0000", 100.0, scan_id=1, plan_name="count", sample="Si", num=1),
        _simple("aaaa2222-0000", 200.0, scan_id=2, plan_name="scan", sample="Ge", num=5),
        _simple("cccc5555-0000", 250.0, scan_id=3, plan_name="grid", sample="Cu", num=7),
        _simple("cccc4444-0000", 250.0, scan_id=4, plan_name="grid", sample="Si", num=9),
        _simple("bbbb3333-0000", 300.0, scan_id=1, plan_name="scan", sample="Si", num=10),
    ]


def rich_run() -> Run:
    """A run with several kinds of documents, written as singles and as pages.

    * ``primary``: 7 events (``x`` = 1..7, external ``img``), written as a page of 3, one
      single event and a page of 3; ``img`` refers to datum of resource ``res-a`` written as
      a datum page of 4 and 3 single datum.
    * ``baseline`` (described earlier than ``primary``): 2 single events.
    * resource ``res-b`` with 2 datum nobody refers to.
    * ``det``: a ``STREAM:`` field served by two stream resources; the stream datum of the
      second (seq_nums 4-6) is written before that of the first (1-4).
    """
    t0 = 1000.0
    bundle = event_model.compose_run(uid="rich-run-0000", time=t0, metadata={"scan_id": 7})
    img = {"dtype": "array", "shape": [2], "source": "sim", "external": "FILESTORE:"}
    frame = {"dtype": "array", "shape": [2, 2], "source": "sim", "external": "STREAM:"}
    baseline = bundle.compose_descriptor(name="baseline", data_keys={"y": _NUMBER}, time=t0 + 0.5)
    primary = bundle.compose_descriptor(
        name="primary", data_keys={"x": _NUMBER, "img": img}, time=t0 + 1
    )
    det = bundle.compose_descriptor(name="det", data_keys={"frame": frame}, time=t0 + 2)
    res_a = bundle.compose_resource(
        spec="NPY_SEQ", root="/data", resource_path="a", resource_kwargs={}, uid="res-a"
    )
    res_b = bundle.compose_resource(
        spec="NPY_SEQ", root="/data", resource_path="b", resource_kwargs={}, uid="res-b"
    )
    documents: Documents = [
        ("start", bundle.start_doc),
        ("descriptor", baseline.descriptor_doc),
        ("descriptor", primary.descriptor_doc),
        ("descriptor", det.descriptor_doc),
        ("resource", res_a.resource_doc),
        ("resource", res_b.resource_doc),
    ]
    for i in (1, 2):
        documents.append(
            ("event", baseline.compose_event(data={"y": 10.0 * i}, timestamps={"y": t0}, time=t0))
        )
    page_a = res_a.compose_datum_page(datum_kwargs={"index": [0, 1, 2, 3]})
    documents.append(("datum_page", page_a))
    singles = [res_a.compose_datum(datum_kwargs={"index": i}) for i in (4, 5, 6)]
    documents.extend(("datum", datum) for datum in singles)
    datum_ids = list(page_a["datum_id"]) + [datum["datum_id"] for datum in singles]
    unused = [res_b.compose_datum(datum_kwargs={"index": i}) for i in (0, 1)]
    documents.extend(("datum", datum) for datum in unused)

    def page(seqs: Sequence[int]) -> Any:
        return primary.compose_event_page(
            data={"x": [float(s) for s in seqs], "img": [datum_ids[s - 1] for s in seqs]},
            timestamps={"x": [t0 + s for s in seqs], "img": [t0 + s for s in seqs]},
            time=[t0 + 10 + s for s in seqs],
            seq_num=list(seqs),
            filled={"img": [False] * len(seqs)},
            validate=False,
        )

    documents.append(("event_page", page([1, 2, 3])))
    single = primary.compose_event(
        data={"x": 4.0, "img": datum_ids[3]},
        timestamps={"x": t0 + 4, "img": t0 + 4},
        time=t0 + 14,
        seq_num=4,
        filled={"img": False},
    )
    documents.append(("event", single))
    documents.append(("event_page", page([5, 6, 7])))
    compose_stream_resource: Any = bundle.compose_stream_resource
    streams: list[Any] = [
        compose_stream_resource(
            mimetype="application/x-hdf5",
            uri=f"file://localhost/data/{name}.h5",
            data_key="frame",
            parameters={"dataset": "/entry/data"},
        )
        for name in ("s1", "s2")
    ]
    documents.extend(("stream_resource", s.stream_resource_doc) for s in streams)
    second = streams[1].compose_stream_datum(
        indices={"start": 0, "stop": 2},
        seq_nums={"start": 4, "stop": 6},
        descriptor=det.descriptor_doc,
    )
    first = streams[0].compose_stream_datum(
        indices={"start": 0, "stop": 3},
        seq_nums={"start": 1, "stop": 4},
        descriptor=det.descriptor_doc,
    )
    documents += [("stream_datum", second), ("stream_datum", first)]
    documents.append(("stop", bundle.compose_stop(time=t0 + 100)))
    facts = {
        "baseline": baseline.descriptor_doc["uid"],
        "primary": primary.descriptor_doc["uid"],
        "det": det.descriptor_doc["uid"],
        "datum_ids": datum_ids,
        "res_b_datum_ids": [datum["datum_id"] for datum in unused],
        "stream_datum": [first["uid"], second["uid"]],
        "stream_resources": [s.stream_resource_doc["uid"] for s in streams],
    }
    return Run(documents, facts)


def growing_run() -> tuple[Run, Documents]:
    """A run cut in two: its first part (start, descriptor, 2 events, no stop) and the rest
    (2 more events and the stop)."""
    run = _simple("grow-run-0000", 500.0, events=4, scan_id=5)
    head = Run(run.documents[:4], {"primary": run.documents[1][1]["uid"]})
    return head, run.documents[4:]


def orphan_event_run() -> Run:
    """A run with an event of a descriptor that was never written (besides a good one)."""
    run = _simple("orphan-run-0000", 600.0, events=1)
    orphan = dict(run.documents[2][1], uid="orphan-event", descriptor="no-such-descriptor")
    documents = [*run.documents[:3], ("event", orphan), run.documents[-1]]
    return Run(documents, {"primary": run.documents[1][1]["uid"]})


def bad_datum_run() -> Run:
    """A run whose event refers to a datum of resource ``'ghost'``, which was never written."""
    bundle = event_model.compose_run(uid="ghost-run-0000", time=700.0)
    img = {"dtype": "array", "shape": [2], "source": "sim", "external": "FILESTORE:"}
    desc = bundle.compose_descriptor(name="primary", data_keys={"img": img}, time=700.0)
    datum = {"resource": "ghost", "datum_id": "ghost/0", "datum_kwargs": {"index": 0}}
    event = desc.compose_event(
        data={"img": "ghost/0"}, timestamps={"img": 701.0}, filled={"img": False}, time=701.0
    )
    documents: Documents = [
        ("start", bundle.start_doc),
        ("descriptor", desc.descriptor_doc),
        ("datum", datum),
        ("event", event),
        ("stop", bundle.compose_stop(time=710.0)),
    ]
    return Run(documents)


def run_engine_runs(directory: str | Path) -> list[Run]:
    """Two runs recorded by a bluesky RunEngine: ``scan([det], motor, -1, 1, 5)`` and
    ``count([img], 3)`` (whose ``img`` writes NPY_SEQ files into ``directory``)."""
    from bluesky import RunEngine
    from bluesky.plans import count, scan
    from ophyd.sim import SynSignalWithRegistry, det, motor

    Path(directory).mkdir(parents=True, exist_ok=True)
    img = SynSignalWithRegistry(
        func=lambda: [[1.0, 2.0], [3.0, 4.0]], name="img", save_path=str(directory)
    )
    runs: list[Run] = []

    def record(name: str, doc: Any) -> None:
        if name == "start":
            runs.append(Run([]))
        runs[-1].documents.append((name, doc))

    engine = RunEngine({}, call_returns_result=False)
    callback: Any = record
    engine(scan([det], motor, -1, 1, 5), callback)
    engine(count([img], 3), callback)
    return runs
