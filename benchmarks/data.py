"""Deterministic benchmark data built with event-model's composers.

Every uid, time and value comes from one seeded generator, so two runs of the suite (and the
memory subprocess, which rebuilds the ``wide`` run) see the same documents. Each builder also
returns what a correct read must give back (column sums, counts, frame sums), computed here from
the generated values rather than from anything databroker returns.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import event_model
import numpy as np

__all__ = [
    "FULL",
    "SCALES",
    "SMALL",
    "Documents",
    "ImageRun",
    "ManyRuns",
    "Scale",
    "SinglesRun",
    "WideRun",
    "image_run",
    "many_runs",
    "recorded_run",
    "singles_run",
    "wide_run",
]

Documents = list[tuple[str, dict[str, Any]]]

_EPOCH = 1_700_000_000.0
WIDE_KEYS = tuple(f"x{i}" for i in range(10))
PLANS = ("count", "scan", "grid_scan", "rel_scan")
SAMPLES = ("Si", "LaB6", "Ni", "CeO2", "Au")


@dataclass(frozen=True)
class Scale:
    """The sizes of every workload.

    Attributes
    ----------
    name : str
        ``'small'`` or ``'full'``.
    wide_events, page_size : int
        Events in the ``wide`` run and events per event page.
    many_runs, many_events : int
        Runs in the ``many`` catalog and events per run.
    frames : int
        Frames in the ``images`` run.
    frame_shape : tuple of int
        The shape of one frame.
    repeat : int
        Default number of timed repeats.
    singles_events : int
        Events in the ``singles`` run (written one event per document, as a RunEngine does).
    recorded_events : int
        Events of the RunEngine-recorded run of the ``singles`` workload.
    duplicate_events : int
        Events of the ``singles`` JSONL run whose every event is written twice.
    """

    name: str
    wide_events: int
    page_size: int
    many_runs: int
    many_events: int
    frames: int
    frame_shape: tuple[int, int]
    repeat: int
    singles_events: int = 100_000
    recorded_events: int = 20_000
    duplicate_events: int = 3_000


FULL = Scale("full", 100_000, 1_000, 5_000, 10, 200, (256, 256), repeat=5)
# Roughly 1/50 to 1/100 of full; `images` keeps 10 frames so that frame 5 exists.
SMALL = Scale(
    "small",
    1_000,
    100,
    100,
    10,
    10,
    (64, 64),
    repeat=3,
    singles_events=1_000,
    recorded_events=200,
    duplicate_events=300,
)
SCALES = {scale.name: scale for scale in (SMALL, FULL)}


class _Ids:
    """Uids and times drawn from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self.values = np.random.default_rng(seed)

    def uid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def uids(self, count: int) -> list[str]:
        return [self.uid() for _ in range(count)]


def _scalar_keys(keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: {"source": "benchmark", "dtype": "number", "shape": []} for key in keys}


@dataclass
class WideRun:
    """One run with many events of ten float64 fields, written as event pages.

    Attributes
    ----------
    uid, descriptor_uid : str
        The start and ``primary`` descriptor uids.
    docs : Documents
        The documents in emission order (events as ``event_page``).
    keys : tuple of str
        The data keys.
    sums : dict
        The sum of each column.
    events : int
        The number of events.
    """

    uid: str
    descriptor_uid: str
    docs: Documents
    keys: tuple[str, ...]
    sums: dict[str, float]
    events: int


def wide_run(scale: Scale, seed: int = 1) -> WideRun:
    """Return the ``wide`` run: ``scale.wide_events`` events of ten float64 fields."""
    ids = _Ids(seed)
    bundle = event_model.compose_run(uid=ids.uid(), time=_EPOCH, metadata={"plan_name": "wide"})
    stream = bundle.compose_descriptor(
        name="primary", data_keys=_scalar_keys(WIDE_KEYS), uid=ids.uid(), time=_EPOCH
    )
    docs: Documents = [
        ("start", dict(bundle.start_doc)),
        ("descriptor", dict(stream.descriptor_doc)),
    ]
    sums = dict.fromkeys(WIDE_KEYS, 0.0)
    for first in range(0, scale.wide_events, scale.page_size):
        rows = min(scale.page_size, scale.wide_events - first)
        values = ids.values.standard_normal((len(WIDE_KEYS), rows))
        times = (_EPOCH + 0.01 * np.arange(first + 1, first + rows + 1)).tolist()
        # Plain Python floats, as a RunEngine emits them, so every format stores native numbers.
        data = {key: values[i].tolist() for i, key in enumerate(WIDE_KEYS)}
        for key in WIDE_KEYS:
            sums[key] += float(np.sum(data[key]))
        page = stream.compose_event_page(
            data=data,
            timestamps=dict.fromkeys(WIDE_KEYS, times),
            seq_num=list(range(first + 1, first + rows + 1)),
            uid=ids.uids(rows),
            time=times,
            validate=False,  # jsonschema on 100 large pages would dominate set-up time
        )
        docs.append(("event_page", dict(page)))
    stop_time = _EPOCH + 0.01 * (scale.wide_events + 1)
    docs.append(("stop", dict(bundle.compose_stop(uid=ids.uid(), time=stop_time))))
    return WideRun(
        bundle.start_doc["uid"],
        stream.descriptor_doc["uid"],
        docs,
        WIDE_KEYS,
        sums,
        scale.wide_events,
    )


@dataclass
class ManyRuns:
    """Many small runs with searchable start fields.

    Attributes
    ----------
    runs : list of Documents
        The documents of each run.
    starts : list of dict
        The start documents, in emission order.
    query : dict
        The two-field search the workload times.
    """

    runs: list[Documents]
    starts: list[dict[str, Any]] = field(default_factory=list)
    query: dict[str, Any] = field(default_factory=dict)

    def matching(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the starts equal to ``query`` on every field (the expected search result)."""
        return [s for s in self.starts if all(s.get(k) == v for k, v in query.items())]


def many_runs(scale: Scale, seed: int = 2) -> ManyRuns:
    """Return ``scale.many_runs`` runs of ``scale.many_events`` events each."""
    ids = _Ids(seed)
    choose = random.Random(seed + 1)
    runs: list[Documents] = []
    for index in range(scale.many_runs):
        time = _EPOCH + 60.0 * index
        metadata = {
            "plan_name": choose.choice(PLANS),
            "sample": choose.choice(SAMPLES),
            "scan_id": index + 1,
            "temperature": round(choose.uniform(4.0, 300.0), 2),
        }
        bundle = event_model.compose_run(uid=ids.uid(), time=time, metadata=metadata)
        stream = bundle.compose_descriptor(
            name="primary", data_keys=_scalar_keys(("det",)), uid=ids.uid(), time=time
        )
        times = [time + 0.1 * (i + 1) for i in range(scale.many_events)]
        page = stream.compose_event_page(
            data={"det": ids.values.standard_normal(scale.many_events).tolist()},
            timestamps={"det": times},
            seq_num=list(range(1, scale.many_events + 1)),
            uid=ids.uids(scale.many_events),
            time=times,
        )
        stop = bundle.compose_stop(uid=ids.uid(), time=time + 30.0)
        runs.append(
            [
                ("start", dict(bundle.start_doc)),
                ("descriptor", dict(stream.descriptor_doc)),
                ("event_page", dict(page)),
                ("stop", dict(stop)),
            ]
        )
    starts = [run[0][1] for run in runs]
    return ManyRuns(runs, starts, {"plan_name": "scan", "sample": "Ni"})


@dataclass
class ImageRun:
    """One run of uint16 frames stored in external ``.npy`` files (spec ``NPY_SEQ``).

    Attributes
    ----------
    uid : str
        The start uid.
    docs : Documents
        The documents in emission order.
    files : list of Path
        The frame files, in frame order.
    frame_sums : numpy.ndarray
        The sum of each frame (uint64).
    shape : tuple of int
        ``(frames, rows, columns)``.
    """

    uid: str
    docs: Documents
    files: list[Path]
    frame_sums: np.ndarray
    shape: tuple[int, int, int]


def _write_frames(directory: Path, scale: Scale, ids: _Ids) -> tuple[list[Path], np.ndarray]:
    directory.mkdir(parents=True, exist_ok=True)
    files, sums = [], []
    for index in range(scale.frames):
        frame = ids.values.integers(0, 4096, scale.frame_shape, dtype=np.uint16)
        path = directory / f"img_{index}.npy"
        np.save(path, frame)
        files.append(path)
        sums.append(int(frame.sum(dtype=np.uint64)))
    return files, np.array(sums, dtype=np.uint64)


def image_run(directory: Path, scale: Scale, seed: int = 3) -> ImageRun:
    """Write the frames under ``directory`` and return the ``images`` run that points at them."""
    ids = _Ids(seed)
    files, sums = _write_frames(directory, scale, ids)
    bundle = event_model.compose_run(uid=ids.uid(), time=_EPOCH, metadata={"plan_name": "images"})
    resource = bundle.compose_resource(
        spec="NPY_SEQ", root=str(directory), resource_path="img", resource_kwargs={}
    )
    datum_page = resource.compose_datum_page(datum_kwargs={"index": list(range(scale.frames))})
    data_keys = {
        "img": {
            "source": "benchmark",
            "dtype": "array",
            "dtype_numpy": np.dtype(np.uint16).str,
            "shape": list(scale.frame_shape),
            "external": "FILESTORE:",
        }
    }
    stream = bundle.compose_descriptor(
        name="primary", data_keys=data_keys, uid=ids.uid(), time=_EPOCH
    )
    times = [_EPOCH + 0.1 * (i + 1) for i in range(scale.frames)]
    page = stream.compose_event_page(
        data={"img": list(datum_page["datum_id"])},
        timestamps={"img": times},
        seq_num=list(range(1, scale.frames + 1)),
        filled={"img": [False] * scale.frames},
        uid=ids.uids(scale.frames),
        time=times,
    )
    docs: Documents = [
        ("start", dict(bundle.start_doc)),
        ("resource", dict(resource.resource_doc)),
        ("datum_page", dict(datum_page)),
        ("descriptor", dict(stream.descriptor_doc)),
        ("event_page", dict(page)),
        ("stop", dict(bundle.compose_stop(uid=ids.uid(), time=_EPOCH + 100.0))),
    ]
    return ImageRun(bundle.start_doc["uid"], docs, files, sums, (scale.frames, *scale.frame_shape))


# -- singles --------------------------------------------------------------------------------


@dataclass
class SinglesRun:
    """One run stored as a RunEngine stores it: one event per document.

    Attributes
    ----------
    uid, descriptor_uid : str
        The start and ``primary`` descriptor uids.
    keys : tuple of str
        The data keys.
    sums : dict
        The sum of each column (None until known: the recorded run's come from its file).
    events : int
        The number of events.
    paths : dict
        ``{'msgpack': path, 'jsonl': path}``: the files the suitcase serializers wrote.
    """

    uid: str
    descriptor_uid: str
    keys: tuple[str, ...]
    sums: dict[str, float] | None
    events: int
    paths: dict[str, Path]


def _suitcase_serializers(directories: dict[str, Path]) -> dict[str, Any]:
    import suitcase.jsonl
    import suitcase.msgpack

    makers = {"msgpack": suitcase.msgpack.Serializer, "jsonl": suitcase.jsonl.Serializer}
    for directory in directories.values():
        directory.mkdir(parents=True, exist_ok=True)
    return {name: makers[name](str(directory)) for name, directory in directories.items()}


def _written(serializers: dict[str, Any], uid: str) -> dict[str, Path]:
    paths = {}
    for name, serializer in serializers.items():
        serializer.close()
        (path,) = serializer.artifacts["all"]
        paths[name] = Path(path)
    return paths


def singles_run(
    directories: dict[str, Path], events: int, seed: int = 3, *, duplicates: bool = False
) -> SinglesRun:
    """Write ``events`` events of ten float fields with suitcase-msgpack and suitcase-jsonl.

    Events are composed with event-model one at a time. suitcase-msgpack gets each as an
    ``event`` and stores it as a one-event ``event_page`` (its router packs every event);
    suitcase-jsonl gets that one-event page. With ``duplicates`` every event is sent twice
    in a row (as a writer that resends after a timeout does) and both get ``event``.

    Parameters
    ----------
    directories : dict
        ``{'msgpack': directory, 'jsonl': directory}`` (either may be left out).
    events : int
        The number of events.
    """
    ids = _Ids(seed)
    serializers = _suitcase_serializers(directories)
    bundle = event_model.compose_run(uid=ids.uid(), time=_EPOCH, metadata={"plan_name": "count"})
    stream = bundle.compose_descriptor(
        name="primary", data_keys=_scalar_keys(WIDE_KEYS), uid=ids.uid(), time=_EPOCH
    )

    def emit(name: str, doc: dict[str, Any]) -> None:
        for serializer in serializers.values():
            serializer(name, doc)

    emit("start", dict(bundle.start_doc))
    emit("descriptor", dict(stream.descriptor_doc))
    values = ids.values.standard_normal((events, len(WIDE_KEYS)))
    for row in range(events):
        time = _EPOCH + 0.01 * (row + 1)
        event = dict(
            stream.compose_event(
                data=dict(zip(WIDE_KEYS, values[row].tolist(), strict=True)),
                timestamps=dict.fromkeys(WIDE_KEYS, time),
                seq_num=row + 1,
                uid=ids.uid(),
                time=time,
                validate=False,
            )
        )
        for _ in range(2 if duplicates else 1):
            for name, serializer in serializers.items():
                if name == "jsonl" and not duplicates:
                    serializer("event_page", event_model.pack_event_page(event))
                else:
                    serializer("event", event)
    stop = bundle.compose_stop(uid=ids.uid(), time=_EPOCH + 0.01 * (events + 1))
    emit("stop", dict(stop))
    sums = {key: float(values[:, i].sum()) for i, key in enumerate(WIDE_KEYS)}
    return SinglesRun(
        bundle.start_doc["uid"],
        stream.descriptor_doc["uid"],
        WIDE_KEYS,
        sums,
        events,
        _written(serializers, bundle.start_doc["uid"]),
    )


def recorded_run(directories: dict[str, Path], events: int) -> SinglesRun:
    """Record ``count([det1, det2, motor], num=events)`` with a bluesky RunEngine.

    Both suitcase serializers are subscribed: suitcase-msgpack stores one-event pages,
    suitcase-jsonl the ``event`` documents as they come. The column sums are left for the
    caller to take from the file (the simulated detectors are not seeded here).
    """
    import bluesky.plans as bp
    from bluesky import RunEngine
    from ophyd.sim import det1, det2, motor

    serializers = _suitcase_serializers(directories)
    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(lambda name, doc: [s(name, doc) for s in serializers.values()])
    (uid,) = engine(bp.count([det1, det2, motor], num=events))
    descriptor_uid = ""
    paths = _written(serializers, uid)
    return SinglesRun(uid, descriptor_uid, ("det1", "det2", "motor"), None, events, paths)
