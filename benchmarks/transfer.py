"""Benchmarks of runs that travel: ``databroker.pack`` / ``databroker.unpack`` throughput.

``python -m benchmarks.transfer [--scale small|full] [--repeat R]`` builds, in a scratch
directory, a msgpack catalog of

* ``images``: one run of 200 uint16 frames of 256x256 in external ``.npy`` files (NPY_SEQ;
  10 frames of 64x64 at ``--scale small``);
* ``many``: 5,000 small runs of 10 scalar events each (100 at ``--scale small``),

and times ``pack`` into a directory and into a ``.zip``, and ``unpack`` of each into a new
msgpack catalog, against the floor: copying the same files (run files and frames, or the
bundle's files) with ``shutil.copyfile`` and hashing them with ``hashlib`` alone, measured
interleaved (a round of the floors and every transfer, repeated) after one untimed round. Each
result is checked (runs, files and bytes in the report; the unpacked catalog reads back). The
goal is ≤ 1.5x the floor. Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .data import SCALES, Scale, image_run, many_runs
from .report import Row, Sample, Target, format_table
from .timing import check, freeze

__all__ = ["main"]

GOAL = Target("ratio", 1.5)


def _copy_and_hash(files: Iterable[Path], destination: Path) -> int:
    """The floor: ``shutil.copyfile`` every file, then ``hashlib`` its bytes; return bytes."""
    total = 0
    for index, path in enumerate(files):
        target = destination / f"{index}-{path.name}"
        shutil.copyfile(path, target)
        with open(path, "rb") as file:
            digest = hashlib.file_digest(file, "sha256")
        check(len(digest.hexdigest()) == 64, "a sha256 has 64 hex digits")
        total += os.path.getsize(path)
    return total


def _files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def _writer(directory: Path) -> Any:
    from databroker._stores.files.writers import MsgpackWriter

    return MsgpackWriter(directory)


def _write_catalog(directory: Path, runs: Iterable[list[tuple[str, dict[str, Any]]]]) -> Any:
    import databroker

    directory.mkdir(parents=True)
    for docs in runs:
        with _writer(directory) as write:
            for name, doc in docs:
                write(name, doc)
    return databroker.open_catalog(str(directory))


class _Scratch:
    """New, unique paths under one scratch directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def path(self, name: str) -> Path:
        self.count += 1
        return self.root / f"{self.count}-{name}"

    def directory(self, name: str) -> Path:
        path = self.path(name)
        path.mkdir()
        return path


Case = tuple[Callable[[], Callable[[], Any]], Callable[[Any], None]]


def _interleaved(cases: dict[str, Case], repeat: int) -> dict[str, Sample]:
    """Run every case once untimed, then ``repeat`` rounds of every case in turn, so that
    floors and transfers see the same load of a shared machine (file creation times swing
    several-fold with other work on the disk).

    Each case is ``(prepare, verify)`` as for :func:`~benchmarks.timing.measure`: ``prepare()``
    (untimed) returns the call to time, ``verify`` checks its result.
    """
    values: dict[str, list[float]] = {name: [] for name in cases}
    for attempt in range(repeat + 1):
        for name, (prepare, verify) in cases.items():
            call = prepare()
            gc.collect()  # so one call does not pay for the previous call's garbage
            start = time.perf_counter()
            result = call()
            elapsed = time.perf_counter() - start
            verify(result)
            if attempt:
                values[name].append(elapsed)
    return {name: Sample(tuple(v)) for name, v in values.items()}


def _rows(
    label: str,
    catalog: Any,
    source_files: list[Path],
    runs: int,
    scratch: _Scratch,
    repeat: int,
) -> list[Row]:
    import databroker

    data_bytes = sum(os.path.getsize(p) for p in source_files)

    def floor_of(files: Callable[[], list[Path]]) -> Case:
        def prepare() -> Callable[[], int]:
            destination = scratch.directory("floor")
            chosen = files()
            return lambda: _copy_and_hash(chosen, destination)

        def verify(total: int) -> None:
            check(total == sum(os.path.getsize(p) for p in files()), "floor copied every byte")

        return prepare, verify

    def verify_pack(report: Any) -> None:
        check(len(report.runs) == runs, f"pack wrote {runs} runs")

    # The bundles the unpack rows read: the ones packed in the untimed first round.
    bundles: dict[str, Path] = {}

    def pack_case(kind: str, suffix: str) -> Case:
        def prepare() -> Callable[[], Any]:
            dest = scratch.path("bundle" + suffix)
            bundles.setdefault(kind, dest)
            return lambda: databroker.pack(catalog, dest, progress=False)

        return prepare, verify_pack

    def unpack_case(kind: str) -> Case:
        targets: list[Path] = []

        def prepare() -> Callable[[], Any]:
            target = scratch.path("target")
            targets.append(target)
            return lambda: databroker.unpack(bundles[kind], target, progress=False)

        def verify(report: Any) -> None:
            check(len(report.runs) == runs, f"unpack wrote {runs} runs")
            check(report.bytes == data_bytes - _document_bytes(source_files), "every frame byte")
            check(len(databroker.open_catalog(str(targets[-1]))) == runs, "runs read back")

        return prepare, verify

    cases: dict[str, Case] = {
        "pack floor": floor_of(lambda: source_files),
        "pack dir": pack_case("dir", ""),
        "pack zip": pack_case("zip", ".zip"),
        # The same floor for both: copying and hashing the files the bundle holds.
        "unpack floor": floor_of(lambda: _files_under(bundles["dir"])),
        "unpack dir": unpack_case("dir"),
        "unpack zip": unpack_case("zip"),
    }
    samples = _interleaved(cases, repeat)
    return [
        Row(
            f"{action} {label} ({kind})",
            "msgpack",
            samples[f"{action} {kind}"],
            samples[f"{action} floor"],
            GOAL,
        )
        for action in ("pack", "unpack")
        for kind in ("dir", "zip")
    ]


def _document_bytes(files: list[Path]) -> int:
    return sum(os.path.getsize(p) for p in files if p.suffix == ".msgpack")


def image_rows(scale: Scale, scratch: _Scratch, repeat: int) -> list[Row]:
    """Pack and unpack one run of frames in external files."""
    frames = scratch.directory("frames")
    run = image_run(frames, scale)
    catalog = _write_catalog(scratch.path("images"), [run.docs])
    files = [*sorted(Path(catalog._store.patterns[0]).parent.glob("*.msgpack")), *run.files]
    freeze()
    return _rows(f"{scale.frames} frames", catalog, files, 1, scratch, repeat)


def many_rows(scale: Scale, scratch: _Scratch, repeat: int) -> list[Row]:
    """Pack and unpack many small runs without external files."""
    data = many_runs(scale)
    directory = scratch.path("many")
    catalog = _write_catalog(directory, data.runs)
    files = sorted(directory.glob("*.msgpack"))
    freeze()
    return _rows(f"{scale.many_runs} runs", catalog, files, scale.many_runs, scratch, repeat)


def main(argv: list[str] | None = None) -> int:
    """Run the transfer benchmarks and print the table; exit 1 if a result check failed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfer", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--repeat", type=int, default=None, help="timed repeats")
    parser.add_argument(
        "--workloads", default="images,many", help="comma-separated, from images,many"
    )
    options = parser.parse_args(argv)
    scale = SCALES[options.scale]
    repeat = options.repeat or scale.repeat
    chosen = [w.strip() for w in options.workloads.split(",") if w.strip()]
    builders = {"images": image_rows, "many": many_rows}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="databroker-bench-transfer-") as root:
        scratch = _Scratch(Path(root))
        for name in chosen:
            print(f"{name}:", file=sys.stderr, flush=True)
            rows += builders[name](scale, scratch, repeat)
    print(f"\nscale {scale.name}, {repeat} repeats; ratio = median / floor median\n")
    print(format_table(rows))
    return 1 if any(row.error for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
