"""Import hygiene: ``import databroker`` stays light, public import paths exist."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import event_model
import pytest

HEAVY = ["pymongo", "dask", "xarray", "pandas", "h5py", "tifffile"]


def test_import_databroker_is_light() -> None:
    """[new] import databroker imports none of pymongo, dask, xarray, pandas, h5py, tifffile."""
    code = f"import sys, databroker\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


#: What a numpy-backed read() has no use for: dask.array imports scipy (dask.array.fft) and,
#: when installed, sparse (which imports numba); xarray's duck-array checks import sparse too.
#: event-model (with jsonschema) is only needed to fill external data.
READ_HEAVY = ["dask.array", "sparse", "numba", "scipy", "event_model", "jsonschema"]

_FIRST_READ = f"""\
import json, sys, databroker
catalog = databroker.open_catalog(sys.argv[1])
run = catalog[-1]
run.metadata, repr(catalog), repr(run), run._repr_html_(), repr(run.primary)
dataset = run.primary.read()
before = [m for m in {READ_HEAVY!r} if m in sys.modules]
lazy = run.primary.to_dask()
print(json.dumps({{
    "x": dataset["x"].values.tolist(),
    "before": before,
    "lazy": type(lazy["x"].data).__module__,
    "lazy_x": lazy["x"].values.tolist(),
}}))
"""


def _write_msgpack_run(directory: Path) -> None:
    """Write a three-event scalar run with the msgpack driver's own serializer."""
    from databroker._drivers.msgpack import BlueskyMsgpackCatalog

    write = BlueskyMsgpackCatalog(str(directory / "*.msgpack")).serializer()
    run = event_model.compose_run()
    write("start", run.start_doc)
    stream = run.compose_descriptor(
        name="primary", data_keys={"x": {"dtype": "number", "shape": [], "source": "sim"}}
    )
    write("descriptor", stream.descriptor_doc)
    for i in range(1, 4):
        write("event", stream.compose_event(data={"x": float(i)}, timestamps={"x": 0.0}))
    write("stop", run.compose_stop())
    getattr(write, "close", lambda: None)()


def test_first_read_does_not_import_dask_array(tmp_path: Path) -> None:
    """[new] Opening, showing and read() of a scalar stream import no dask.array and no
    event-model; to_dask() does import dask.array."""
    _write_msgpack_run(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", _FIRST_READ, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["x"] == [1.0, 2.0, 3.0]
    assert report["before"] == []
    assert report["lazy"].startswith("dask.array")
    assert report["lazy_x"] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (
            "databroker.core",
            [
                "Document",
                "Start",
                "Stop",
                "Descriptor",
                "Resource",
                "Datum",
                "DatumPage",
                "Event",
                "EventPage",
                "NotMutable",
                "Entry",
                "BlueskyRun",
                "BlueskyEventStream",
                "BlueskyRunFromGenerator",
                "SingleRunCache",
                "discover_handlers",
                "parse_handler_registry",
                "parse_transforms",
                "to_event_pages",
                "to_datum_pages",
                "StreamResource",
                "StreamDatum",
            ],
        ),
        ("databroker.v2", ["Broker", "temp"]),
        ("databroker.in_memory", ["BlueskyInMemoryCatalog"]),
        ("databroker._drivers.jsonl", ["BlueskyJSONLCatalog"]),
        ("databroker._drivers.msgpack", ["BlueskyMsgpackCatalog"]),
        ("databroker.queries", ["Query", "TimeRange", "TextQuery"]),
    ],
)
def test_public_import_paths(module: str, names: list[str]) -> None:
    """[compat] The public names of the v2 modules import from their documented paths."""
    imported = importlib.import_module(module)
    missing = [name for name in names if not hasattr(imported, name)]
    assert missing == []


def test_driver_entry_points() -> None:
    """[compat] The intake.drivers group has the documented names (and the Redis buffer's)."""
    from importlib.metadata import entry_points

    names = {
        ep.name for ep in entry_points(group="intake.drivers") if ep.value.startswith("databroker")
    }
    assert names == {
        "bluesky-jsonl-catalog",
        "bluesky-msgpack-catalog",
        "bluesky-mongo-normalized-catalog",
        "bluesky-mongo-embedded-catalog",
        "bluesky-redis-catalog",
        "bluesky-run",
        "bluesky-event-stream",
    }


def test_driver_class_names() -> None:
    """[compat] Each file driver class has its entry-point name as class attribute `name`."""
    from databroker._drivers.jsonl import BlueskyJSONLCatalog
    from databroker._drivers.msgpack import BlueskyMsgpackCatalog

    assert BlueskyJSONLCatalog.name == "bluesky-jsonl-catalog"
    assert BlueskyMsgpackCatalog.name == "bluesky-msgpack-catalog"
