"""Fixtures for the v1 accessor: a Broker over each writable backend, and recorded runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest


@pytest.fixture
def db(catalog: Any) -> Any:
    """An empty v1 Broker over the shared ``catalog`` fixture (every backend)."""
    return catalog.v1


@pytest.fixture
def run_plan(db: Any) -> Callable[..., Any]:
    """Run a bluesky plan with a RunEngine subscribed to ``db.insert``; return its uids."""
    from bluesky import RunEngine

    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(db.insert)

    def run(plan: Any, **metadata: Any) -> Any:
        with pytest.warns(PendingDeprecationWarning):
            return engine(plan, **metadata)

    run.engine = engine  # type: ignore[attr-defined]
    return run


@pytest.fixture
def image_detector(tmp_path: Path) -> Any:
    """An ophyd.sim detector saving 10x10 NPY_SEQ frames (values 0, 1, 2, ...) under tmp_path."""
    from ophyd.sim import SynSignalWithRegistry

    state = {"next": 0}

    def frame() -> np.ndarray:
        value = float(state["next"])
        state["next"] += 1
        return np.full((10, 10), value)

    directory = tmp_path / "images"
    directory.mkdir()
    detector = SynSignalWithRegistry(
        name="img", func=frame, save_path=str(directory), labels={"detectors"}
    )
    state["next"] = 0  # the constructor already took one reading
    return detector


@pytest.fixture
def recorded(db: Any, run_plan: Any, image_detector: Any) -> dict[str, str]:
    """Three runs: a scan with a baseline, a count of an external image, a count of an
    internal image. Returns ``{'scan'|'external'|'internal': uid}``."""
    from bluesky.plans import count, scan
    from bluesky.preprocessors import baseline_wrapper
    from ophyd.sim import SynSignal, det, direct_img, motor

    # A private baseline detector: the shared ophyd.sim ones change with other tests' motors.
    det1 = SynSignal(name="det1", func=lambda: 5.0, labels={"detectors"})

    (scan_uid,) = run_plan(baseline_wrapper(scan([det], motor, 1, 3, 3), [det1]), sample="Si")
    (external_uid,) = run_plan(count([image_detector], 3), sample="Ge")
    (internal_uid,) = run_plan(count([direct_img], 2))
    return {"scan": scan_uid, "external": external_uid, "internal": internal_uid}
