"""Shared by the v1 examples: open the catalog named on the command line, or make a demo one.

``python examples/v1/<script>.py <catalog-dir>`` reads the msgpack or JSONL files in that
directory; without an argument a temporary catalog is filled with a few simulated runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import databroker
from databroker.v1 import Broker


def open_catalog(directory: str) -> Broker:
    """A Broker over the msgpack (or, if there are none, JSONL) files of ``directory``."""
    from databroker._drivers.jsonl import BlueskyJSONLCatalog
    from databroker._drivers.msgpack import BlueskyMsgpackCatalog

    path = Path(directory)
    if any(path.glob("*.msgpack")):
        return BlueskyMsgpackCatalog(str(path / "*.msgpack")).v1
    return BlueskyJSONLCatalog(str(path / "*.jsonl")).v1


def record_demo_runs(db: Broker) -> None:
    """Record a motor scan with a baseline and a count of an area detector into ``db``."""
    from bluesky import RunEngine
    from bluesky.plans import count, scan
    from bluesky.preprocessors import SupplementalData
    from ophyd.sim import det, det1, img, motor

    engine = RunEngine({})
    engine.preprocessors.append(SupplementalData(baseline=[det1]))
    engine.subscribe(db.insert)  # the 1.x way of saving documents
    engine(scan([det], motor, -1, 1, 5), sample="Si", purpose="alignment")
    engine(count([img], 3), sample="Si", purpose="imaging")


def get_broker() -> Broker:
    """The Broker of the catalog directory given as first argument, else a demo Broker."""
    if len(sys.argv) > 1:
        return open_catalog(sys.argv[1])
    db = databroker.temp()
    record_demo_runs(db)
    return db
