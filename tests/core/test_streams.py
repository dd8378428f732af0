"""Runs and streams read through every backend: xarray values, laziness, selection, repr."""

from __future__ import annotations

from typing import Any

import dask
import numpy as np
import pytest
from bluesky.plans import count, scan
from bluesky.preprocessors import SupplementalData
from ophyd.sim import det, det1, direct_img, img, motor

from databroker.errors import UnknownFieldWarning


def _emitted_column(recorder: Any, uid: str, stream: str, key: str) -> list[Any]:
    """The values of one field as the RunEngine emitted them, in event time order."""
    descriptors = {
        doc["uid"]
        for name, doc in recorder.emitted[uid]
        if name == "descriptor" and doc.get("name") == stream
    }
    events = [
        doc
        for name, doc in recorder.emitted[uid]
        if name == "event" and doc["descriptor"] in descriptors
    ]
    return [event["data"][key] for event in sorted(events, key=lambda e: e["time"])]


def test_read_values_equal_emitted(catalog: Any, recorder: Any, RE: Any) -> None:
    """[compat] read() returns the values written, one row per event, on dim 'time'."""
    (uid,) = RE(scan([det, direct_img], motor, -1, 1, 4))
    dataset = catalog[uid].primary.read()
    assert dataset["det"].dims == ("time",)
    np.testing.assert_allclose(
        dataset["det"].values, _emitted_column(recorder, uid, "primary", "det")
    )
    np.testing.assert_allclose(dataset["motor"].values, np.linspace(-1, 1, 4))
    assert dataset["img"].shape == (4, 10, 10)
    assert dataset["time"].dtype == np.float64


def test_external_images_read_and_lazy(catalog: Any, RE: Any) -> None:
    """[compat] External NPY_SEQ images load in read(); to_dask() stays lazy."""
    (uid,) = RE(count([img], 3))
    stream = catalog[uid].primary
    eager = stream.read()
    assert eager["img"].shape == (3, 10, 10)
    lazy = stream.to_dask()
    assert dask.is_dask_collection(lazy["img"].data)
    np.testing.assert_array_equal(lazy["img"].values, eager["img"].values)


def test_to_dask_lazy_after_read(catalog: Any, RE: Any) -> None:
    """[fix] read() never changes cached state: to_dask() afterwards is still lazy."""
    (uid,) = RE(count([det, img], 2))
    stream = catalog[uid].primary
    stream.read()
    lazy = stream.to_dask()
    assert all(dask.is_dask_collection(var.data) for var in lazy.data_vars.values())


def test_include_exclude(catalog: Any, RE: Any) -> None:
    """[compat] include keeps only those fields, exclude drops them; both → ValueError."""
    (uid,) = RE(scan([det], motor, -1, 1, 2))
    stream = catalog[uid].primary
    assert set(stream(include=["det"]).read().data_vars) == {"det"}
    assert "det" not in stream(exclude=["det"]).read().data_vars
    with pytest.warns(UnknownFieldWarning, match="'nonexistent'"):
        assert set(stream(include=["det", "nonexistent"]).read().data_vars) == {"det"}
    with pytest.raises(ValueError):
        stream(include=["det"], exclude=["motor"])


def test_streams_and_lookup(catalog: Any, RE: Any) -> None:
    """[compat] Streams by item and attribute, cached; unknown names KeyError/AttributeError."""
    RE.preprocessors.append(SupplementalData(baseline=[det1]))
    (uid,) = RE(scan([det], motor, -1, 1, 2))
    run = catalog[uid]
    assert list(run) == ["baseline", "primary"]
    assert run.primary is run["primary"]
    with pytest.raises(KeyError):
        run["nope"]
    with pytest.raises(AttributeError):
        run.nope
    assert run.baseline.read()["det1"].shape == (2,)


def test_run_read_not_implemented(catalog: Any, RE: Any) -> None:
    """[compat] read() and to_dask() on a run say to read a stream instead."""
    (uid,) = RE(count([det], 1))
    run = catalog[uid]
    with pytest.raises(NotImplementedError, match="primary"):
        run.read()
    with pytest.raises(NotImplementedError, match="primary"):
        run.to_dask()


def test_reprs(catalog: Any, RE: Any) -> None:
    """[compat] repr of runs and streams name the uid."""
    (uid,) = RE(count([det], 1))
    run = catalog[uid]
    assert repr(run) == f"<BlueskyRun uid={uid!r}>"
    assert repr(run.primary) == f"<BlueskyEventStream 'primary' from Run {uid[:8]}...>"


def test_stream_metadata(catalog: Any, RE: Any) -> None:
    """[compat] stream.metadata has start, stop, descriptors; after read() also dims."""
    (uid,) = RE(count([det], 2))
    stream = catalog[uid].primary
    assert stream.metadata["start"]["uid"] == uid
    assert stream.metadata["stop"]["run_start"] == uid
    assert len(stream.metadata["descriptors"]) == 1
    stream.read()
    assert stream.metadata["dims"] == {"time": 2}


def test_config_and_timestamps(catalog: Any, RE: Any) -> None:
    """[compat]+[fix] .config is keyed by device; .timestamps are float64 on time only."""
    (uid,) = RE(count([det, direct_img], 2))
    stream = catalog[uid].primary
    assert "det" in list(stream.config)
    config = stream.config["det"].read()
    assert config["det_Imax"].shape == (2,)
    timestamps = stream.timestamps
    assert timestamps["img"].dims == ("time",)
    assert timestamps["img"].dtype == np.float64


def test_configure_new_returns_self(catalog: Any, RE: Any) -> None:
    """[compat] run() and run.get() with no arguments return the run itself."""
    (uid,) = RE(count([det], 1))
    run = catalog[uid]
    assert run() is run
    assert run.get() is run
    assert run.describe()["metadata"]["start"]["uid"] == uid


def test_read_partition(catalog: Any, RE: Any) -> None:
    """[compat] read_partition: partition 0 is start + descriptors + resources; events after."""
    (uid,) = RE(count([det, img], 3))
    stream = catalog[uid].primary
    first = stream.read_partition({"index": 0, "fill": "no", "partition_size": "auto"})
    assert [name for name, _ in first][:2] == ["start", "descriptor"]
    assert "resource" in [name for name, _ in first]
    partitions = []
    index = 1
    while True:
        part = stream.read_partition({"index": index, "fill": "yes", "partition_size": 1})
        if not part:
            break
        partitions.append(part)
        index += 1
    assert partitions[-1][-1][0] == "stop"
    filled = [doc for part in partitions for name, doc in part if name == "event_page"]
    assert all(isinstance(page["data"]["img"][0], np.ndarray) for page in filled)
    with pytest.raises(ValueError):
        stream.read_partition({"index": 1, "fill": "no", "partition_size": 0})


def test_a_descriptor_without_a_name_warns_with_our_warning() -> None:
    """[compat] A descriptor without 'name' belongs to 'primary'; the warning saying so is a
    DatabrokerWarning (still a UserWarning), which names the descriptor and the run."""
    import event_model

    from databroker.errors import DatabrokerWarning
    from databroker.in_memory import BlueskyInMemoryCatalog

    run = event_model.compose_run()
    keys = {"x": {"source": "sim", "dtype": "number", "shape": []}}
    stream = run.compose_descriptor(name="primary", data_keys=keys)
    descriptor = {k: v for k, v in stream.descriptor_doc.items() if k != "name"}
    catalog = BlueskyInMemoryCatalog()
    catalog.upsert(
        run.start_doc,
        run.compose_stop(),
        lambda: iter(
            [
                ("start", run.start_doc),
                ("descriptor", descriptor),
                ("event", stream.compose_event(data={"x": 1.0}, timestamps={"x": 1.0})),
            ]
        ),
        (),
        {},
    )
    with pytest.warns(DatabrokerWarning, match=descriptor["uid"]) as caught:
        assert list(catalog[-1]) == ["primary"]
    assert issubclass(caught[0].category, UserWarning)
