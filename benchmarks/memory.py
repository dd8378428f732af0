"""Subprocess entry: peak memory of ``primary.read()`` of the ``wide`` run.

``python -m benchmarks.memory BACKEND SCALE WORKDIR`` prints one JSON line: ``peak`` (bytes
allocated at the high-water mark of the call, by tracemalloc, which numpy reports its buffers
to), ``nbytes`` (the returned Dataset's size), ``floor_peak`` (the same for the floor's
read of the same bytes) and ``sums`` (per column, for the parent's check).
A fresh interpreter keeps earlier workloads' caches and garbage out of the number.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tracemalloc
from pathlib import Path

from .backends import Backend
from .data import SCALES, wide_run


def main(argv: list[str]) -> None:
    """Measure and print; the data is written first if this backend's storage lacks it."""
    name, scale_name, workdir = argv
    backend = Backend(name, Path(workdir))
    run = wide_run(backend.sized(SCALES[scale_name]))
    storage = backend.storage("wide")
    if not storage.contains(run.uid):  # mongomock lives in the parent process only
        storage.write(run.docs)
    # Read a ten-event copy first, so that lazy imports and one-time set-up stay out of the
    # peak, which is then what the read of this run costs.
    warm = wide_run(dataclasses.replace(SCALES["small"], wide_events=10, page_size=10))
    warm_storage = backend.storage("memory-warm-up")
    if not warm_storage.contains(warm.uid):
        warm_storage.write(warm.docs)
    warm_storage.catalog()[warm.uid].primary.read()

    stream = storage.catalog()[run.uid].primary
    tracemalloc.start()
    dataset = stream.read()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    nbytes = int(dataset.nbytes)
    sums = {key: float(dataset[key].sum()) for key in run.keys}
    del dataset
    # The floor's own peak tells databroker's overhead from the storage library's.
    tracemalloc.start()
    storage.raw_columns(run.uid, run.descriptor_uid, run.keys)
    floor_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    reported = {"peak": peak, "nbytes": nbytes, "floor_peak": floor_peak, "sums": sums}
    print(json.dumps(reported))
    backend.close(drop=False)


if __name__ == "__main__":
    main(sys.argv[1:])
