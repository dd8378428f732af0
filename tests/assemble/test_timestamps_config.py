"""Timestamps (rule 14) and configuration datasets (rule 15)."""

from __future__ import annotations

import dask
import event_model
import numpy as np

from databroker._assemble import build_config, build_timestamps, config_objects


def _key(dtype="number", shape=(), **extra):
    return {"source": "sim", "dtype": dtype, "shape": list(shape), **extra}


def _config(value, ts, shape=()):
    return {
        "data": {"det_gain": value},
        "timestamps": {"det_gain": ts},
        "data_keys": {"det_gain": _key("array" if shape else "number", shape)},
    }


def _run_with_config():
    """Two descriptors of 'primary' with different configuration of 'det'; 'mot' only in one."""
    run = event_model.compose_run(time=0.0)
    keys = {"det": _key(), "img": _key("array", (2, 2))}
    a = run.compose_descriptor(
        name="primary",
        data_keys=keys,
        time=1.0,
        object_keys={"det": ["det", "img"]},
        configuration={
            "det": _config(5.0, 100.0),
            "mot": {
                "data": {"mot_speed": [1, 2]},
                "timestamps": {"mot_speed": 101.0},
                "data_keys": {"mot_speed": _key("array", (2,))},
            },
        },
    )
    b = run.compose_descriptor(
        name="primary",
        data_keys=keys,
        time=2.0,
        object_keys={"det": ["det", "img"], "extra": []},
        configuration={"det": _config(7.0, 200.0)},
    )
    image = np.ones((2, 2)).tolist()
    docs = [
        ("start", run.start_doc),
        ("descriptor", a.descriptor_doc),
        ("descriptor", b.descriptor_doc),
    ]
    for bundle, times in ((a, [10.0, 12.0]), (b, [11.0])):
        page = bundle.compose_event_page(
            data={"det": [1.0] * len(times), "img": [image] * len(times)},
            timestamps={"det": [t - 0.5 for t in times], "img": [t - 0.25 for t in times]},
            time=times,
        )
        docs.append(("event_page", page))
    return docs


def test_timestamps_with_array_field(run_store, stream_of):
    """[fix] rule 14: float64 timestamps on ('time',) only, also for array fields."""
    ts = build_timestamps(stream_of(run_store(_run_with_config())))
    assert ts["time"].values.tolist() == [10.0, 11.0, 12.0]
    assert ts["img"].dims == ("time",) and ts["img"].dtype == np.float64
    assert ts["img"].values.tolist() == [9.75, 10.75, 11.75]
    assert ts["det"].values.tolist() == [9.5, 10.5, 11.5]


def test_config_objects_first_appearance():
    """[compat] .config keys: union of object_keys in first-appearance order."""
    descriptors = [{"object_keys": {"b": [], "a": []}}, {"object_keys": {"c": [], "a": []}}]
    assert config_objects(descriptors) == ["b", "a", "c"]


def test_config_values_per_row(run_store, stream_of):
    """[compat] rule 15: one row per stream row, value from that row's descriptor."""
    ds = build_config(stream_of(run_store(_run_with_config())), "det")
    assert list(ds.data_vars) == ["det_gain"]
    assert ds["time"].values.tolist() == [10.0, 11.0, 12.0]
    assert ds["det_gain"].values.tolist() == [5.0, 7.0, 5.0]
    stamps = build_config(stream_of(run_store(_run_with_config())), "det", timestamps=True)
    assert stamps["det_gain"].values.tolist() == [100.0, 200.0, 100.0]


def test_config_missing_and_dims(run_store, stream_of):
    """[compat] rule 15: missing in a descriptor → NaN; array values get dims from a new counter."""
    ds = build_config(stream_of(run_store(_run_with_config())), "mot")
    assert ds["mot_speed"].dims == ("time", "dim_0")
    np.testing.assert_array_equal(ds["mot_speed"].values, [[1, 2], [np.nan, np.nan], [1, 2]])


def test_config_lazy(run_store, stream_of):
    """[compat] config to_dask(): variables dask-backed with the same values."""
    stream = stream_of(run_store(_run_with_config()))
    lazy = build_config(stream, "det", lazy=True)
    assert dask.is_dask_collection(lazy["det_gain"].data)
    assert lazy.compute().identical(build_config(stream, "det"))
