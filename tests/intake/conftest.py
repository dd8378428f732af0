"""Runs for the display tests: one large run written fast, and a live run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import event_model
import numpy as np
import pytest

#: A value every event of the large run holds; no display may ever show it.
SENTINEL = 987654.321
LARGE_RUN_EVENTS = 100_000


def write_large_run(directory: Path, events: int = LARGE_RUN_EVENTS, page: int = 1000) -> str:
    """Write one msgpack run of ``events`` events in pages; return its uid."""
    from databroker._stores.files.writers import MsgpackWriter

    writer = MsgpackWriter(directory)
    bundle = event_model.compose_run(metadata={"scan_id": 4242, "plan_name": "count"})
    writer("start", bundle.start_doc)
    data_keys = {
        "det": {"source": "sim", "dtype": "number", "shape": [], "dtype_numpy": "<f8"},
        "img": {"source": "sim", "dtype": "array", "shape": [3], "dtype_numpy": "<u2"},
    }
    descriptor = bundle.compose_descriptor(name="primary", data_keys=data_keys)
    writer("descriptor", descriptor.descriptor_doc)
    t0 = bundle.start_doc["time"]
    image = [0, 1, 2]
    for first in range(0, events, page):
        n = min(page, events - first)
        times = (t0 + np.arange(first, first + n) * 1e-3).tolist()
        writer(
            "event_page",
            descriptor.compose_event_page(
                data={"det": [SENTINEL] * n, "img": [image] * n},
                timestamps={"det": times, "img": times},
                seq_num=list(range(first + 1, first + n + 1)),
                time=times,
                validate=False,  # jsonschema would take seconds per 100 pages
            ),
        )
    writer("stop", bundle.compose_stop())
    return str(bundle.start_doc["uid"])


@pytest.fixture(scope="module")
def large_run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A directory holding one 100,000-event msgpack run, and the run's uid."""
    directory = tmp_path_factory.mktemp("large")
    return directory, write_large_run(directory)


@pytest.fixture
def large_catalog(large_run_dir: tuple[Path, str]) -> Any:
    """A msgpack catalog over the large run."""
    from databroker._drivers.msgpack import BlueskyMsgpackCatalog

    catalog = BlueskyMsgpackCatalog(str(large_run_dir[0] / "*.msgpack"))
    yield catalog
    catalog.close()


@pytest.fixture
def formatter() -> Any:
    """IPython's display formatter, as a notebook or terminal uses it (no shell needed)."""
    from IPython.core.formatters import DisplayFormatter

    return DisplayFormatter()
