"""``databroker demo``: record simulated scans with bluesky, then find and read them back."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run", "run_demo"]


def _record(catalog_dir: Path, external_dir: Path) -> list[str]:
    """Record a few scans with a RunEngine and ophyd.sim devices into the catalog's files."""
    from bluesky import RunEngine
    from bluesky.plans import count, scan
    from ophyd.sim import SynSignalWithRegistry, det, det1, direct_img, motor

    from .._stores.files.writers import MsgpackWriter

    # An image detector whose frames go to external .npy files (NPY_SEQ resources).
    camera = SynSignalWithRegistry(
        name="camera",
        func=lambda: __import__("numpy").ones((16, 16)),
        save_path=str(external_dir),
    )
    writer = MsgpackWriter(catalog_dir)
    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(writer)
    plans = [
        (scan([det, direct_img], motor, -1, 1, 5), {"sample": "silicon"}),
        (count([det1, camera], num=3), {"sample": "quartz"}),
        (scan([det], motor, 0, 2, 3), {"sample": "silicon", "purpose": "alignment"}),
    ]
    uids = [uid for plan, metadata in plans for uid in engine(plan, **metadata)]  # type: ignore[union-attr]
    writer.close()
    return uids


def run_demo(directory: str | os.PathLike[str]) -> None:
    """Record three scans into ``directory`` (a msgpack catalog), then search and read them."""
    from .._drivers.msgpack import BlueskyMsgpackCatalog

    root = Path(directory).resolve()
    catalog_dir = root / "runs"
    external_dir = root / "external"
    catalog_dir.mkdir(parents=True, exist_ok=True)
    external_dir.mkdir(parents=True, exist_ok=True)
    print(f"Recording 3 simulated scans into the msgpack catalog {catalog_dir}")
    uids = _record(catalog_dir, external_dir)
    print(f"Recorded runs: {', '.join(uid[:8] for uid in uids)}")

    catalog = BlueskyMsgpackCatalog(str(catalog_dir / "*.msgpack"))
    print(f"\nReopened the catalog: {len(catalog)} runs")
    print(catalog.summary(["start.scan_id", "start.plan_name", "start.sample"]).to_string())

    silicon = catalog.search({"sample": "silicon", "plan_name": "scan"})
    print(f"\nsearch(sample='silicon', plan_name='scan'): {len(silicon)} runs")
    run = silicon[-1]
    print(f"Newest of them: {run!r}, streams {list(run)}")
    dataset = run.primary.read()
    print("\nIts primary stream as a table:")
    print(dataset[["motor", "det"]].to_dataframe().to_string())
    print("\n... and as an xarray Dataset:")
    print(dataset)

    camera_run = catalog.search({"sample": "quartz"})[-1]
    images = camera_run.primary.to_dask()["camera"]
    print(f"\nThe camera's frames (external NPY_SEQ files), lazily: {images.shape} {images.dtype}")
    print(f"Mean of frame 0, loaded on demand: {float(images[0].mean().compute())}")


def add_parser(
    commands: argparse._SubParsersAction, name: str, parents: Sequence[Any] = ()
) -> None:
    """Mount ``databroker demo`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="record simulated scans into a msgpack catalog, then read them back",
        parents=list(parents),
    )
    parser.add_argument(
        "--directory",
        default="databroker-demo-data",
        help="where the catalog's files go (default: ./databroker-demo-data)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``databroker demo`` with the parsed arguments."""
    run_demo(args.directory)
    return 0
