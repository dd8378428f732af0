"""Import hygiene: ``import databroker`` stays light, public import paths exist."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

HEAVY = ["pymongo", "dask", "xarray", "pandas", "h5py", "tifffile"]


def test_import_databroker_is_light() -> None:
    """[new] import databroker imports none of pymongo, dask, xarray, pandas, h5py, tifffile."""
    code = f"import sys, databroker\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


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
