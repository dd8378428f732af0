"""Shared by the v1 examples: open the catalog named on the command line, or make a demo one.

Usage: ``python examples/v1/<script>.py [TARGET] [--layout LAYOUT]``

TARGET is one of

- a directory of msgpack or JSONL run files (``--layout msgpack|jsonl``; by default msgpack
  when the directory holds ``*.msgpack`` files, else JSONL);
- a MongoDB URI naming a database, ``mongodb://host:port/dbname``: one database in the
  "normalized" layout written by suitcase-mongo (default, ``--layout normalized``) or the
  "embedded" layout (``--layout embedded``);
- nothing: a temporary catalog.

When the catalog holds no runs yet, a few simulated runs are recorded into it first, so
every script also works on a new, empty catalog.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import warnings
from pathlib import Path

import numpy as np

import databroker
from databroker.v1 import Broker

LAYOUTS = ("jsonl", "msgpack", "normalized", "embedded")


def open_catalog(target: str, layout: str | None = None) -> Broker:
    """A Broker over a catalog directory or a MongoDB database (see the module docstring)."""
    if target.startswith(("mongodb://", "mongodb+srv://")):
        # Named explicitly: an empty database has no layout to detect yet. In the normalized
        # layout the runs and their assets (resources, datum) share the one database.
        backend = "mongo-embedded" if layout == "embedded" else "mongo-normalized"
        return databroker.open_catalog(target, backend=backend).v1
    path = Path(target)
    if layout is None:
        layout = "msgpack" if any(path.glob("*.msgpack")) else "jsonl"
    return databroker.open_catalog(path, backend=layout).v1


def _image_detector() -> object:
    """An area detector saving 10x10 frames (all 1, then all 2, ...) in a temporary directory."""
    from ophyd.sim import SynSignalWithRegistry

    counter = itertools.count(1)
    detector = SynSignalWithRegistry(
        func=lambda: np.full((10, 10), float(next(counter))),
        name="img",
        labels={"detectors"},
        save_path=tempfile.mkdtemp(prefix="databroker-demo-images-"),
    )
    counter = itertools.count(1)  # the constructor took a reading already
    return detector


def record_demo_runs(db: Broker) -> None:
    """Record a 5-point motor scan with a baseline and a 3-frame area-detector count."""
    from bluesky import RunEngine
    from bluesky.plans import count, scan
    from bluesky.preprocessors import SupplementalData
    from ophyd.sim import det, det1, motor

    engine = RunEngine({}, call_returns_result=False)
    engine.preprocessors.append(SupplementalData(baseline=[det1]))
    engine.subscribe(db.insert)  # the 1.x way of saving documents
    with warnings.catch_warnings():
        # db.insert is deprecated in favour of the catalog's writer; this demo shows 1.x use.
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        engine(scan([det], motor, -1, 1, 5), sample="Si", purpose="alignment")
        engine(count([_image_detector()], 3), sample="Si", purpose="imaging")


def get_broker(argv: list[str] | None = None) -> Broker:
    """The Broker of the TARGET on the command line (``argv``, default ``sys.argv[1:]``),
    with the demo runs recorded into it if it is empty."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?", help="catalog directory or mongodb:// URI")
    parser.add_argument("--layout", choices=LAYOUTS, help="storage layout of TARGET")
    args = parser.parse_args(argv)
    db = databroker.temp() if args.target is None else open_catalog(args.target, args.layout)
    if next(iter(db()), None) is None:
        record_demo_runs(db)
    return db
