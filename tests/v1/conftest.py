"""Fixtures for the v1 accessor: a Broker over each writable backend, and recorded runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

V1_BACKENDS = ["temp", "jsonl"]


def _temp(tmp_path: Path) -> Any:
    import databroker.v1

    return databroker.v1.temp()


def _jsonl(tmp_path: Path) -> Any:
    from databroker._drivers.jsonl import BlueskyJSONLCatalog

    directory = tmp_path / "jsonl"
    directory.mkdir()
    return BlueskyJSONLCatalog(str(directory / "*.jsonl")).v1


_FACTORIES = {"temp": _temp, "jsonl": _jsonl}


@pytest.fixture(params=V1_BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An empty v1 Broker over a writable catalog of each backend."""
    broker = _FACTORIES[request.param](tmp_path)
    yield broker
    broker.v2.close()


def insert_all(db: Any, documents: list[tuple[str, dict[str, Any]]]) -> None:
    """Insert documents through ``db.insert``, expecting its deprecation warning."""
    with pytest.warns(PendingDeprecationWarning):
        for name, doc in documents:
            db.insert(name, doc)


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

    counter = iter(range(1000))
    directory = tmp_path / "images"
    directory.mkdir()
    return SynSignalWithRegistry(
        name="img",
        func=lambda: np.full((10, 10), float(next(counter))),
        save_path=str(directory),
        labels={"detectors"},
    )


@pytest.fixture
def recorded(db: Any, run_plan: Any, image_detector: Any) -> dict[str, str]:
    """Three runs: a scan with a baseline, a count of an external image, a count of an
    internal image. Returns ``{'scan'|'external'|'internal': uid}``."""
    from bluesky.plans import count, scan
    from bluesky.preprocessors import baseline_wrapper
    from ophyd.sim import det, det1, direct_img, motor

    (scan_uid,) = run_plan(baseline_wrapper(scan([det], motor, 1, 3, 3), [det1]), sample="Si")
    (external_uid,) = run_plan(count([image_detector], 3), sample="Ge")
    (internal_uid,) = run_plan(count([direct_img], 2))
    return {"scan": scan_uid, "external": external_uid, "internal": internal_uid}


def composed_run(
    uid: str | None = None,
    start_time: float = 1392044400.0,
    event_times: tuple[float, ...] = (1392044460.0,),
    stream: str = "primary",
    data_key_dtype: str = "number",
    values: tuple[Any, ...] | None = None,
    **metadata: Any,
) -> list[tuple[str, dict[str, Any]]]:
    """The documents of a small run built with event_model.compose_run at fixed times."""
    import event_model

    bundle = event_model.compose_run(uid=uid, time=start_time, metadata=metadata)
    documents: list[tuple[str, dict[str, Any]]] = [("start", bundle.start_doc)]
    descriptor = bundle.compose_descriptor(
        name=stream,
        data_keys={"x": {"source": "sim", "dtype": data_key_dtype, "shape": []}},
        object_keys={"dev": ["x"]},
        configuration={
            "dev": {
                "data": {"dev_gain": 7},
                "timestamps": {"dev_gain": start_time},
                "data_keys": {"dev_gain": {"source": "sim", "dtype": "integer", "shape": []}},
            }
        },
        time=start_time + 1,
    )
    documents.append(("descriptor", descriptor.descriptor_doc))
    values = values if values is not None else tuple(range(len(event_times)))
    for t, value in zip(event_times, values, strict=True):
        event = descriptor.compose_event(
            data={"x": value}, timestamps={"x": t}, time=t, seq_num=None
        )
        documents.append(("event", event))
    documents.append(("stop", bundle.compose_stop(time=max(event_times) + 1)))
    return documents
