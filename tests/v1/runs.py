"""Helpers for v1 tests: inserting documents and composing small runs at fixed times."""

from __future__ import annotations

from typing import Any

import pytest


def insert_all(db: Any, documents: list[tuple[str, dict[str, Any]]]) -> None:
    """Insert documents through ``db.insert``, expecting its deprecation warning."""
    with pytest.warns(PendingDeprecationWarning):
        for name, doc in documents:
            db.insert(name, doc)


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
