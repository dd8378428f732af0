"""The workloads: each writes its data into every backend, then times databroker and the floor.

Every timed call is followed by a check of its result against values computed from the
generated data, so a wrong answer fails its row (and the process) instead of looking fast.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import floors
from .backends import Backend, Storage, count_queries
from .data import (
    ImageRun,
    ManyRuns,
    Scale,
    SinglesRun,
    WideRun,
    image_run,
    many_runs,
    recorded_run,
    singles_run,
    wide_run,
)
from .notebook import notebook
from .report import Row, Sample, Target
from .timing import check, freeze, measure, peak_memory, time_import

__all__ = ["WORKLOADS", "Context", "warm_up"]

READ_TARGET = {"msgpack": 2.0, "jsonl": 2.0, "mongo_normalized": 1.5, "mongo_embedded": 1.5}
DASK_TARGET = Target("ratio", 3.0)
TABLE_TARGET = Target("ratio", 3.0)
OPEN_TARGET = Target("ratio", 2.0)
SEARCH_TARGET = Target("seconds", 0.020)
IMAGES_TARGET = Target("ratio", 1.5)
FRAME_TARGET = Target("seconds", 0.005)
MEMORY_TARGET = Target("ratio", 2.5)
IMPORT_TARGET = Target("seconds", 0.2)
OPEN_RUN_TARGET = Target("seconds", 0.020)
STREAM_NAMES_TARGET = Target("ratio", 0.1)
# Twice the documents to decode: linear means about twice the time, not 20 times.
DUPLICATES_TARGET = Target("ratio", 2.5)


@dataclass
class Context:
    """What every workload needs: sizes, repeats, backends and a scratch directory."""

    scale: Scale
    repeat: int
    backends: list[Backend]
    workdir: Path
    notes: list[str] = field(default_factory=list)
    #: Called with each row as soon as it is measured (progress output).
    report: Callable[[Row], None] = lambda row: None


# Data is built once per size and shared by the backends that use that size.
_wide = functools.lru_cache(maxsize=2)(wide_run)
_many = functools.lru_cache(maxsize=2)(many_runs)


def _row(
    ctx: Context,
    workload: str,
    backend: str,
    timed: Callable[[], Sample],
    floor: Sample | None,
    target: Target | None,
) -> Row:
    """Run ``timed`` into a row; an exception (wrong result or crash) becomes the row's error."""
    try:
        row = Row(workload, backend, timed(), floor, target)
    except Exception as error:  # any failure must show in the report, not stop the suite
        row = Row(workload, backend, None, floor, target, error=f"{type(error).__name__}: {error}")
    ctx.report(row)
    return row


def _same(value: float, expected: float, what: str) -> None:
    check(bool(np.isclose(value, expected, rtol=1e-9, atol=1e-9)), f"{what}: {value} != {expected}")


def warm_up(ctx: Context) -> None:
    """Read a ten-event run once per backend, so one-time costs (lazy imports, handler
    discovery) land on no workload's first repeat."""
    tiny = wide_run(dataclasses.replace(ctx.scale, wide_events=10, page_size=10))
    for backend in ctx.backends:
        storage = backend.storage("warm-up")
        storage.write(tiny.docs)
        catalog = storage.catalog()
        catalog[tiny.uid].primary.read()
        catalog[tiny.uid].primary.to_dask().compute()
        if _v1_available():
            catalog.v1[tiny.uid].table()


# -- wide -----------------------------------------------------------------------------------


def _check_columns(run: WideRun) -> Callable[[Any], None]:
    """Check a Dataset, DataFrame or dict of columns: length and every column's sum."""

    def verify(columns: Any) -> None:
        for key in run.keys:
            column = np.asarray(columns[key])
            check(column.shape == (run.events,), f"{key} has shape {column.shape}")
            _same(float(column.sum()), run.sums[key], f"sum of {key}")

    return verify


def _check_document_count(run: WideRun) -> Callable[[int], None]:
    def verify(events: int) -> None:
        check(events == run.events, f"documents() gave {events} events, not {run.events}")

    return verify


def _count_events(documents: Iterator[tuple[str, Any]]) -> int:
    events = 0
    for name, doc in documents:
        if name == "event":
            events += 1
        elif name == "event_page":
            events += len(doc["seq_num"])
    return events


def _v1_available() -> bool:
    try:
        import databroker.v1  # noqa: F401
    except ImportError:
        return False
    return True


def _on_catalog(
    storage: Storage, action: Callable[[Any], Any], verify: Callable[[Any], None], repeat: int
) -> Callable[[], Sample]:
    """Time ``action(catalog)`` with a new catalog per repeat, so no repeat reads a cache."""

    def prepare() -> Callable[[], Any]:
        catalog = storage.catalog()
        return lambda: action(catalog)

    return lambda: measure(prepare, verify, repeat)


def _count_is(expected: int, what: str) -> Callable[[int], None]:
    return lambda value: check(value == expected, f"{what} gave {value}, not {expected}")


# -- wide -----------------------------------------------------------------------------------


def wide(ctx: Context) -> Iterator[Row]:
    """One run of many float64 events: read, to_dask, documents, v1 table, peak memory."""
    v1 = _v1_available()
    if not v1:
        ctx.notes.append("wide v1 table() skipped: databroker.v1 does not import")
    for backend in ctx.backends:
        run = _wide(backend.sized(ctx.scale))
        storage = backend.storage("wide")
        storage.write(run.docs)
        freeze()
        yield from _wide_rows(ctx, backend.name, storage, run, v1)
        yield _memory_row(ctx, backend, run)


def _wide_rows(ctx: Context, name: str, storage: Storage, run: WideRun, v1: bool) -> Iterator[Row]:
    uid, repeat = run.uid, ctx.repeat
    verify = _check_columns(run)
    floor = measure(
        lambda: lambda: storage.raw_columns(uid, run.descriptor_uid, run.keys), verify, repeat
    )
    yield _row(
        ctx,
        "wide read()",
        name,
        _on_catalog(storage, lambda c: c[uid].primary.read(), verify, repeat),
        floor,
        Target("ratio", READ_TARGET[name]),
    )
    yield _row(
        ctx,
        "wide to_dask()+compute",
        name,
        _on_catalog(storage, lambda c: c[uid].primary.to_dask().compute(), verify, repeat),
        floor,
        DASK_TARGET,
    )
    documents_floor = measure(lambda: lambda: storage.raw_documents(uid), lambda n: None, repeat)
    yield _row(
        ctx,
        "wide documents(fill='no')",
        name,
        _on_catalog(
            storage,
            lambda c: _count_events(c[uid].documents(fill="no")),
            _count_is(run.events, "counting the events of documents()"),
            repeat,
        ),
        documents_floor,
        None,
    )
    if v1:
        yield _row(
            ctx,
            "wide v1 table()",
            name,
            _on_catalog(storage, lambda c: c.v1[uid].table(), verify, repeat),
            floor,
            TABLE_TARGET,
        )
    if storage.sends_queries:
        yield _queries_row(ctx, name, storage, run)


def _queries_row(ctx: Context, name: str, storage: Storage, run: WideRun) -> Row:
    """How many queries ``catalog[uid].primary.read()`` sends, against the floor's."""
    verify = _check_columns(run)

    def counted(action: Callable[[], Any]) -> Sample:
        result, queries = count_queries(action)
        verify(result)
        return Sample((float(queries),), "queries")

    floor = counted(lambda: storage.raw_columns(run.uid, run.descriptor_uid, run.keys))
    catalog = storage.catalog()
    return _row(
        ctx,
        "wide read() queries",
        name,
        lambda: counted(lambda: catalog[run.uid].primary.read()),
        floor,
        None,
    )


def _memory_row(ctx: Context, backend: Backend, run: WideRun) -> Row:
    """Peak memory of ``read()`` (from a subprocess) against the returned Dataset's size."""
    workload = "wide read() peak memory"
    try:
        reported = peak_memory(backend.name, ctx.scale.name, ctx.workdir)
        for key in run.keys:
            _same(reported["sums"][key], run.sums[key], f"sum of {key} in the memory subprocess")
        row = Row(
            workload,
            backend.name,
            Sample((float(reported["peak"]),), "B"),
            Sample((float(reported["nbytes"]),), "B"),
            MEMORY_TARGET,
            extra={"floor_peak": float(reported["floor_peak"])},
        )
    except Exception as error:  # a failed subprocess or check fails the row, not the suite
        row = Row(workload, backend.name, target=MEMORY_TARGET, error=f"{error}")
    ctx.report(row)
    return row


# -- many -----------------------------------------------------------------------------------


def many(ctx: Context) -> Iterator[Row]:
    """Many small runs: open + len, search, repeated search, 100 starts, summary()."""
    for backend in ctx.backends:
        data = _many(backend.sized(ctx.scale))
        storage = backend.storage("many")
        storage.write(itertools.chain.from_iterable(data.runs))
        freeze()
        yield from _many_rows(ctx, backend.name, storage, data)


def _many_rows(ctx: Context, name: str, storage: Storage, data: ManyRuns) -> Iterator[Row]:
    repeat, query = ctx.repeat, data.query
    total, matching = len(data.starts), len(data.matching(query))
    open_floor = measure(
        lambda: lambda: len(storage.raw_starts({})), _count_is(total, "raw starts"), repeat
    )
    yield _row(
        ctx,
        "many open+len",
        name,
        lambda: measure(
            lambda: lambda: len(storage.catalog()), _count_is(total, "len(catalog)"), repeat
        ),
        open_floor,
        OPEN_TARGET,
    )
    search_check = _count_is(matching, f"search {query}")
    search_floor = measure(lambda: lambda: len(storage.raw_starts(query)), search_check, repeat)
    yield _row(
        ctx,
        "many search+len (new catalog)",
        name,
        _on_catalog(storage, lambda c: len(c.search(query)), search_check, repeat),
        search_floor,
        None,
    )
    yield _row(
        ctx,
        "many search+len (repeated)",
        name,
        lambda: _repeated_search(storage, query, search_check, max(repeat, 10)),
        search_floor,
        SEARCH_TARGET,
    )
    yield from _many_read_rows(ctx, name, storage, data)


def _repeated_search(
    storage: Storage, query: dict[str, Any], verify: Callable[[int], None], repeat: int
) -> Sample:
    catalog = storage.catalog()
    verify(len(catalog.search(query)))  # the first search may fill caches; time the rest
    return measure(lambda: lambda: len(catalog.search(query)), verify, repeat)


def _many_read_rows(ctx: Context, name: str, storage: Storage, data: ManyRuns) -> Iterator[Row]:
    repeat, total = ctx.repeat, len(data.starts)
    wanted = min(100, total)
    uids = {start["uid"] for start in data.starts}

    def check_starts(starts: list[Any]) -> None:
        found = {start["uid"] for start in starts}
        check(len(found) == wanted, f"{len(found)} distinct starts, not {wanted}")
        check(found <= uids, f"unknown start uids {sorted(found - uids)[:3]}")

    yield _row(
        ctx,
        f"many {wanted} starts",
        name,
        _on_catalog(
            storage,
            lambda c: [run.metadata["start"] for run in itertools.islice(c.values(), wanted)],
            check_starts,
            repeat,
        ),
        measure(lambda: lambda: storage.raw_starts({}, limit=wanted), check_starts, repeat),
        None,
    )
    scan_ids = sum(start["scan_id"] for start in data.starts)

    def check_summary(frame: Any) -> None:
        check(len(frame) == total, f"summary() has {len(frame)} rows, not {total}")
        found = int(frame["start.scan_id"].sum())
        check(found == scan_ids, f"summary() scan_id sum {found} != {scan_ids}")
        check(bool((frame["stop.exit_status"] == "success").all()), "summary() lacks stops")

    def check_pairs(pairs: list[Any]) -> None:
        check(len(pairs) == total and all(stop for _, stop in pairs), "raw starts/stops")

    yield _row(
        ctx,
        "many summary()",
        name,
        _on_catalog(storage, lambda c: c.summary(), check_summary, repeat),
        measure(lambda: storage.raw_starts_and_stops, check_pairs, repeat),
        None,
    )


# -- images ---------------------------------------------------------------------------------


def _check_frames(run: ImageRun) -> Callable[[Any], None]:
    def verify(frames: Any) -> None:
        frames = np.asarray(frames)
        check(frames.shape == run.shape, f"frames have shape {frames.shape}, not {run.shape}")
        sums = frames.reshape(len(frames), -1).sum(axis=1, dtype=np.uint64)
        check(bool(np.array_equal(sums, run.frame_sums)), "frame sums differ from the written")

    return verify


def _check_frame(run: ImageRun, index: int) -> Callable[[Any], None]:
    def verify(frame: Any) -> None:
        frame = np.asarray(frame)
        check(frame.shape == run.shape[1:], f"frame {index} has shape {frame.shape}")
        found = int(frame.sum(dtype=np.uint64))
        check(found == int(run.frame_sums[index]), f"frame {index} sum {found} is wrong")

    return verify


def images(ctx: Context) -> Iterator[Row]:
    """Frames in NPY_SEQ files: full read, to_dask + compute, one frame."""
    run = image_run(ctx.workdir / "frames", ctx.scale)  # every backend points at these files
    repeat, uid, index = ctx.repeat, run.uid, 5
    frames, frame = _check_frames(run), _check_frame(run, index)
    stacked = lambda dataset: frames(dataset["img"])  # noqa: E731
    all_floor = measure(lambda: lambda: np.stack([np.load(p) for p in run.files]), frames, repeat)
    one_floor = measure(lambda: lambda: np.load(run.files[index]), frame, max(repeat, 10))
    yield _row(
        ctx,
        f"images one frame, xarray+dask alone (in-memory ['img'][{index}].compute())",
        "-",
        functools.partial(_in_memory_frame, run, index, frame, max(repeat, 10)),
        one_floor,
        None,
    )
    for backend in ctx.backends:
        storage = backend.storage("images")
        storage.write(run.docs)
        freeze()
        name = backend.name
        yield _row(
            ctx,
            "images read()",
            name,
            _on_catalog(storage, lambda c: c[uid].primary.read(), stacked, repeat),
            all_floor,
            IMAGES_TARGET,
        )
        yield _row(
            ctx,
            "images to_dask()+compute",
            name,
            _on_catalog(storage, lambda c: c[uid].primary.to_dask().compute(), stacked, repeat),
            all_floor,
            DASK_TARGET,
        )
        yield _row(
            ctx,
            f"images one frame (to_dask()['img'][{index}])",
            name,
            functools.partial(_one_frame, storage, uid, index, frame, max(repeat, 10)),
            one_floor,
            FRAME_TARGET,
        )


def _in_memory_frame(
    run: ImageRun, index: int, verify: Callable[[Any], None], repeat: int
) -> Sample:
    """What xarray and dask alone cost to index and compute one frame of a loaded stack: the
    part of the one-frame time that no reader can remove."""
    import dask.array as da
    import xarray as xr

    stack = np.stack([np.load(p) for p in run.files])

    def prepare() -> Callable[[], Any]:
        images = xr.DataArray(da.from_array(stack, chunks=stack.shape), dims=("time", "y", "x"))
        return lambda: images[index].compute()

    return measure(prepare, verify, repeat)


def _one_frame(
    storage: Storage, uid: str, index: int, verify: Callable[[Any], None], repeat: int
) -> Sample:
    def prepare() -> Callable[[], Any]:
        run = storage.catalog()[uid]  # the run is open; the frame's lookup and load are timed
        return lambda: run.primary.to_dask()["img"][index].compute()

    return measure(prepare, verify, repeat)


# -- singles --------------------------------------------------------------------------------

_FILE_BACKENDS = ("msgpack", "jsonl")


def _file_catalog(path: Path) -> Any:
    """A new catalog over every run file in the directory of ``path``."""
    pattern = str(path.parent / f"*{path.suffix}")
    if path.suffix == ".msgpack":
        from databroker._drivers.msgpack import BlueskyMsgpackCatalog

        return BlueskyMsgpackCatalog(pattern)
    from databroker._drivers.jsonl import BlueskyJSONLCatalog

    return BlueskyJSONLCatalog(pattern)


def _on_file(
    path: Path,
    action: Callable[[Any], Any],
    verify: Callable[[Any], None],
    repeat: int,
    *,
    first_look: bool = False,
) -> Callable[[], Sample]:
    """Time ``action(catalog)`` with a new catalog over ``path``'s directory per repeat.

    With ``first_look`` the file is met as by the first catalog of a process: the outlines
    kept per file (with which later catalogs list a finished run without a scan) are
    forgotten first, untimed.
    """

    def prepare() -> Callable[[], Any]:
        if first_look:
            from databroker._stores.files.run import forget_outlines

            forget_outlines()
        catalog = _file_catalog(path)
        return lambda: action(catalog)

    return lambda: measure(prepare, verify, repeat)


def _check_singles(run: SinglesRun) -> Callable[[Any], None]:
    def verify(columns: Any) -> None:
        check(run.sums is not None, "the expected sums are unknown")
        for key in run.keys:
            column = np.asarray(columns[key])
            check(column.shape == (run.events,), f"{key} has shape {column.shape}")
            _same(float(column.sum()), (run.sums or {})[key], f"sum of {key}")

    return verify


def _check_opened(run: SinglesRun) -> Callable[[Any], None]:
    def verify(metadata: Any) -> None:
        check(metadata["start"]["uid"] == run.uid, "catalog[-1] is another run")
        check(metadata["stop"]["num_events"]["primary"] == run.events, "wrong stop document")

    return verify


def singles(ctx: Context) -> Iterator[Row]:
    """Runs as a RunEngine writes them, one event per document: read paths, opening a run,
    listing its streams, a RunEngine-recorded run, and a JSONL run with every event twice."""
    names = [backend.name for backend in ctx.backends if backend.name in _FILE_BACKENDS]
    skipped = [backend.name for backend in ctx.backends if backend.name not in _FILE_BACKENDS]
    if skipped:
        ctx.notes.append(f"singles runs on file backends only (suitcase files); not {skipped}")
    if not names:
        return
    root = ctx.workdir / "singles"
    scale = ctx.scale

    def where(label: str) -> dict[str, Path]:
        return {name: root / label / name for name in names}

    large = singles_run(where("large"), scale.singles_events)
    tiny = singles_run(where("tiny"), 10, seed=4)
    recorded = recorded_run(where("recorded"), scale.recorded_events)
    freeze()
    for name in names:
        yield from _singles_rows(ctx, name, large, tiny)
        yield from _recorded_rows(ctx, name, recorded)
    if "jsonl" in names:
        yield _duplicates_row(ctx, root)


def _singles_rows(ctx: Context, name: str, run: SinglesRun, tiny: SinglesRun) -> Iterator[Row]:
    repeat, path, events = ctx.repeat, run.paths[name], f"{run.events:,} events"
    verify = _check_singles(run)
    floor = measure(
        lambda: lambda: floors.columns_from_singles(path, run.descriptor_uid, run.keys),
        verify,
        repeat,
    )
    yield _row(
        ctx,
        f"singles read() ({events})",
        name,
        _on_file(path, lambda c: c[-1].primary.read(), verify, repeat),
        floor,
        Target("ratio", READ_TARGET[name]),
    )
    yield _row(
        ctx,
        f"singles to_dask()+compute ({events})",
        name,
        _on_file(path, lambda c: c[-1].primary.to_dask().compute(), verify, repeat),
        floor,
        DASK_TARGET,
    )
    yield _row(
        ctx,
        f"singles documents(fill='no') ({events})",
        name,
        _on_file(
            path,
            lambda c: _count_events(c[-1].documents(fill="no")),
            _count_is(run.events, "counting the events of documents()"),
            repeat,
        ),
        floor,
        None,
    )
    if _v1_available():
        yield _row(
            ctx,
            f"singles v1 table() ({events})",
            name,
            _on_file(path, lambda c: c.v1[-1].table(), verify, repeat),
            floor,
            TABLE_TARGET,
        )
    for opened in (tiny, run):
        yield _row(
            ctx,
            f"singles catalog[-1]+.metadata ({opened.events:,} events)",
            name,
            _on_file(opened.paths[name], lambda c: c[-1].metadata, _check_opened(opened), repeat),
            None,
            OPEN_RUN_TARGET,
        )
    streams = _count_is(1, "the number of streams")
    yield _row(
        ctx,
        f"singles catalog[-1] stream names ({events})",
        name,
        _on_file(path, lambda c: len(list(c[-1])), streams, repeat),
        floor,
        STREAM_NAMES_TARGET,
    )
    yield _row(
        ctx,
        f"singles catalog[-1] stream names, first look in the process ({events})",
        name,
        _on_file(path, lambda c: len(list(c[-1])), streams, repeat, first_look=True),
        floor,
        STREAM_NAMES_TARGET,
    )
    yield _row(
        ctx,
        f"singles catalog[-1] stream names ({tiny.events} events)",
        name,
        _on_file(tiny.paths[name], lambda c: len(list(c[-1])), streams, repeat),
        None,
        OPEN_RUN_TARGET,
    )


def _recorded_rows(ctx: Context, name: str, run: SinglesRun) -> Iterator[Row]:
    """read() of the RunEngine-recorded run; its sums come from the floor's decode."""
    path = run.paths[name]
    (descriptor_uid,) = floors.descriptor_uids(path)
    columns = floors.columns_from_singles(path, descriptor_uid, run.keys)
    known = SinglesRun(
        run.uid,
        descriptor_uid,
        run.keys,
        {key: float(column.sum()) for key, column in columns.items()},
        run.events,
        run.paths,
    )
    verify = _check_singles(known)
    floor = measure(
        lambda: lambda: floors.columns_from_singles(path, descriptor_uid, run.keys),
        verify,
        ctx.repeat,
    )
    yield _row(
        ctx,
        f"singles RunEngine count() read() ({run.events:,} events)",
        name,
        _on_file(path, lambda c: c[-1].primary.read(), verify, ctx.repeat),
        floor,
        Target("ratio", READ_TARGET[name]),
    )


def _duplicates_row(ctx: Context, root: Path) -> Row:
    """A JSONL run whose every event is written twice, against the same run written once."""
    events = ctx.scale.duplicate_events
    plain = singles_run({"jsonl": root / "plain" / "jsonl"}, events, seed=5)
    doubled = singles_run({"jsonl": root / "doubled" / "jsonl"}, events, seed=5, duplicates=True)
    verify = _check_singles(plain)
    read = lambda c: c[-1].primary.read()  # noqa: E731
    return _row(
        ctx,
        f"singles read(), every event twice ({events:,} events; floor: written once)",
        "jsonl",
        _on_file(doubled.paths["jsonl"], read, verify, ctx.repeat),
        _on_file(plain.paths["jsonl"], read, verify, ctx.repeat)(),
        DUPLICATES_TARGET,
    )


# -- write and import -----------------------------------------------------------------------


def write(ctx: Context) -> Iterator[Row]:
    """Writing the ``wide`` run through databroker's writer of each backend."""
    for backend in ctx.backends:
        yield _write_row(ctx, backend, _wide(backend.sized(ctx.scale, writer=True)))


def _write_row(ctx: Context, backend: Backend, run: WideRun) -> Row:
    labels = (f"write{i}" for i in itertools.count())
    verify_columns = _check_columns(run)

    def prepare(raw: bool) -> Callable[[], Storage]:
        storage = backend.storage(next(labels))
        store = storage.raw_write if raw else storage.write_with_databroker
        return lambda: (store(run.docs), storage)[1]

    def verify(storage: Storage) -> None:
        verify_columns(storage.raw_columns(run.uid, run.descriptor_uid, run.keys))
        storage.discard()  # full-size runs would fill the disk over the repeats

    floor = measure(lambda: prepare(True), verify, ctx.repeat)
    return _row(
        ctx,
        "write wide",
        backend.name,
        lambda: measure(lambda: prepare(False), verify, ctx.repeat),
        floor,
        None,
    )


def import_time(ctx: Context) -> Iterator[Row]:
    """``import databroker`` in a fresh interpreter."""
    yield _row(
        ctx, "import databroker", "-", lambda: time_import(max(ctx.repeat, 5)), None, IMPORT_TARGET
    )


WORKLOADS: dict[str, Callable[[Context], Iterator[Row]]] = {
    "import": import_time,
    "wide": wide,
    "many": many,
    "images": images,
    "singles": singles,
    "notebook": notebook,
    "write": write,
}
