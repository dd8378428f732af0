"""Tests of databroker.projector: projections declared in start documents."""

from __future__ import annotations

import sys
import types

import event_model
import numpy as np
import pytest

from databroker.errors import DatabrokerError
from databroker.in_memory import BlueskyInMemoryCatalog
from databroker.projector import (
    ProjectionError,
    Projector,
    get_calculated_value,
    get_run_projection,
    get_xarray_config_field,
    project_summary_dict,
    project_xarray,
)

NUMBER = {"source": "sim", "dtype": "number", "shape": []}


def _config(device, **values):
    return {
        device: {
            "data": values,
            "timestamps": dict.fromkeys(values, 1.0),
            "data_keys": {key: NUMBER for key in values},
        }
    }


def _projection(name="nxsas", **items):
    return {"name": name, "version": "0.1.0", "configuration": {}, "projection": items}


def make_run(projections, start_md=None):
    """A run with two 'primary' descriptors (det_exp 0.1 then 0.2) and a 'baseline' stream."""
    bundle = event_model.compose_run(metadata={"sample": "Si", **(start_md or {})})
    # event-model's schema has no start-located projection items, so add the projections
    # after composing (validation would refuse them).
    start = {**bundle.start_doc, "projections": projections}
    primary = [
        bundle.compose_descriptor(
            name="primary",
            data_keys={"det": {**NUMBER, "object_name": "det"}, "motor": NUMBER},
            configuration=_config("det", det_exp=exposure),
            object_keys={"det": ["det"], "motor": ["motor"]},
        )
        for exposure in (0.1, 0.2)
    ]
    baseline = bundle.compose_descriptor(
        name="baseline",
        data_keys={"temp": NUMBER},
        configuration={**_config("det", det_exp=5.0), **_config("stage", offset=3.0)},
        object_keys={"det": [], "stage": ["temp"]},
    )
    docs = [("start", start)]
    docs += [("descriptor", d.descriptor_doc) for d in (*primary, baseline)]
    for i in range(4):
        compose = primary[i // 2].compose_event
        docs.append(
            (
                "event",
                compose(data={"det": 10.0 * i, "motor": i}, timestamps={"det": 1, "motor": 1}),
            )
        )
    for value in (300.0, 301.0):
        docs.append(("event", baseline.compose_event(data={"temp": value}, timestamps={"temp": 1})))
    stop = bundle.compose_stop()
    docs.append(("stop", stop))
    catalog = BlueskyInMemoryCatalog()
    catalog.upsert(start, stop, lambda: iter(docs), (), {})
    return catalog[start["uid"]]


@pytest.fixture
def calcs(monkeypatch):
    """A module 'projection_calcs' holding callables for calculated items."""
    module = types.ModuleType("projection_calcs")

    def scaled_det(run, factor, offset=0.0):
        return run.primary.read()["det"] * factor + offset

    def sample_label(run, prefix):
        return prefix + run.metadata["start"]["sample"]

    def explode(run):
        raise AssertionError("this calculation must not run")

    module.scaled_det = scaled_det
    module.sample_label = sample_label
    module.explode = explode
    monkeypatch.setitem(sys.modules, "projection_calcs", module)
    return module


def test_get_run_projection_by_name_and_only_one():
    """[compat] A projection is found by name, or is the only one when no name is given."""
    first, second = _projection("a"), _projection("b")
    run = make_run([first, second])
    assert get_run_projection(run, "b")["name"] == "b"
    assert get_run_projection(run, "zzz") is None
    assert get_run_projection(run) is None  # two projections, no name
    assert get_run_projection(make_run([first]))["name"] == "a"
    assert get_run_projection(make_run([])) is None


def test_get_run_projection_duplicate_name():
    """[compat] Several projections of the requested name raise KeyError."""
    run = make_run([_projection("a"), _projection("a")])
    with pytest.raises(KeyError, match="2 projections named 'a'"):
        get_run_projection(run, "a")


def test_project_xarray_items():
    """[compat] start and static items become attrs, event items lazy data variables."""
    projection = _projection(
        sample={"type": "linked", "location": "start", "field": "sample"},
        counts={"type": "linked", "location": "event", "stream": "primary", "field": "det"},
        temperature={"type": "linked", "location": "event", "stream": "baseline", "field": "temp"},
        instrument={"type": "static", "value": "SAXS"},
    )
    dataset, issues = project_xarray(make_run([projection]))
    assert issues == []
    assert dataset.attrs["sample"] == "Si"
    assert dataset.attrs["instrument"] == "SAXS"
    assert dataset["counts"].chunks is not None  # dask-backed
    # Variables of two streams share the 'time' dimension, so xarray aligns them (NaN gaps).
    assert dataset.sizes["time"] == 6
    np.testing.assert_array_equal(dataset["counts"].dropna("time").values, [0, 10, 20, 30])
    np.testing.assert_array_equal(dataset["temperature"].dropna("time").values, [300, 301])


def test_event_configuration_attrs_one_per_descriptor():
    """[compat] Event variables carry their stream's configurations, one per config_index."""
    projection = _projection(
        counts={"type": "linked", "location": "event", "stream": "primary", "field": "det"},
    )
    dataset, _ = project_xarray(make_run([projection]))
    configurations = dataset["counts"].attrs["configuration"]
    assert len(configurations) == 2
    assert get_xarray_config_field(dataset, "counts", 0, "det", "det_exp") == 0.1
    assert get_xarray_config_field(dataset, "counts", 1, "det", "det_exp") == 0.2


def test_configuration_item_reads_its_own_stream():
    """[fix] A configuration item reads the descriptors of its own stream, not 'primary'."""
    projection = _projection(
        exposure={
            "type": "linked",
            "location": "configuration",
            "stream": "baseline",
            "config_index": 0,
            "config_device": "det",
            "field": "det_exp",
        },
        second_exposure={
            "type": "linked",
            "location": "configuration",
            "stream": "primary",
            "config_index": 1,
            "config_device": "det",
            "field": "det_exp",
        },
    )
    dataset, issues = project_xarray(make_run([projection]))
    assert issues == []
    assert dataset.attrs["exposure"] == 5.0  # primary's would be 0.1
    assert dataset.attrs["second_exposure"] == 0.2


def test_configuration_attrs_kept_per_stream_in_any_order():
    """[fix] Each event variable keeps its own stream's configuration whatever the item order."""
    config_item = {
        "type": "linked",
        "location": "configuration",
        "stream": "baseline",
        "config_index": 0,
        "config_device": "stage",
        "field": "offset",
    }
    items = {
        "offset": config_item,
        "counts": {"type": "linked", "location": "event", "stream": "primary", "field": "det"},
        "temperature": {
            "type": "linked",
            "location": "event",
            "stream": "baseline",
            "field": "temp",
        },
    }
    for order in (["offset", "counts", "temperature"], ["temperature", "counts", "offset"]):
        projection = _projection(**{key: items[key] for key in order})
        dataset, issues = project_xarray(make_run([projection]))
        assert issues == []
        assert dataset.attrs["offset"] == 3.0
        assert get_xarray_config_field(dataset, "temperature", 0, "stage", "offset") == 3.0
        assert get_xarray_config_field(dataset, "temperature", 0, "det", "det_exp") == 5.0
        assert get_xarray_config_field(dataset, "counts", 0, "det", "det_exp") == 0.1
        assert "stage" not in dataset["counts"].attrs["configuration"][0]


def test_calculated_items(calcs):
    """[compat] Calculated items are func(run, *args, **kwargs) from 'module:function'."""
    projection = _projection(
        label={
            "type": "calculated",
            "location": "start",
            "calculation": {"callable": "projection_calcs:sample_label", "args": ["sample "]},
        },
        scaled={
            "type": "calculated",
            "location": "event",
            "stream": "primary",
            "field": "scaled",
            "calculation": {
                "callable": "projection_calcs:scaled_det",
                "args": [2],
                "kwargs": {"offset": 1.0},
            },
        },
    )
    run = make_run([projection])
    dataset, issues = project_xarray(run)
    assert issues == []
    assert dataset.attrs["label"] == "sample Si"
    np.testing.assert_array_equal(dataset["scaled"].values, [1.0, 21.0, 41.0, 61.0])
    mapping = projection["projection"]["label"]
    assert get_calculated_value(run, "label", mapping) == "sample Si"


def test_unimportable_callable_raises_projection_error():
    """[fix] An unimportable callable raises ProjectionError naming it and the run uid."""
    projection = _projection(
        label={
            "type": "calculated",
            "location": "start",
            "calculation": {"callable": "no_such_module_xyz:func"},
        },
    )
    run = make_run([projection])
    with pytest.raises(ProjectionError) as info:
        project_summary_dict(run)
    message = str(info.value)
    assert "no_such_module_xyz:func" in message and run.metadata["start"]["uid"] in message
    assert isinstance(info.value, DatabrokerError)


def test_no_matching_projection_raises_projection_error():
    """[fix] A run without the requested projection raises ProjectionError naming it."""
    run = make_run([_projection("a"), _projection("b")])
    uid = run.metadata["start"]["uid"]
    with pytest.raises(ProjectionError, match=f"{uid}.*no projection named 'zzz'"):
        project_xarray(run, projection_name="zzz")
    with pytest.raises(ProjectionError, match=f"{uid}.*2 projections"):
        Projector().project(run)
    with pytest.raises(ProjectionError, match="no projections"):
        project_summary_dict(make_run([]))


def test_unresolvable_items_go_to_issues():
    """[compat] Unknown locations and missing streams or fields are issues, not errors."""
    projection = _projection(
        a={"type": "linked", "location": "nowhere", "field": "x"},
        b={"type": "linked", "location": "event", "stream": "dark", "field": "det"},
        c={"type": "linked", "location": "event", "stream": "primary", "field": "nope"},
        d={"type": "linked", "location": "start", "field": "nope"},
        e={
            "type": "linked",
            "location": "configuration",
            "stream": "primary",
            "config_index": 7,
            "config_device": "det",
            "field": "det_exp",
        },
        f={"type": "linked", "location": "event", "stream": "primary", "field": "det"},
    )
    dataset, issues = project_xarray(make_run([projection]))
    assert len(issues) == 5
    for field, words in zip("abcde", ["'nowhere'", "'dark'", "'nope'", "'nope'", "7"], strict=True):
        assert any(f"field {field!r}" in issue and words in issue for issue in issues)
    assert list(dataset.data_vars) == ["f"]


def test_projector_skips_items_without_callback(calcs):
    """[compat] Projector hands items to the callbacks given and leaves the others alone."""
    projection = _projection(
        sample={"type": "linked", "location": "start", "field": "sample"},
        boom={
            "type": "calculated",
            "location": "event",
            "stream": "primary",
            "field": "boom",
            "calculation": {"callable": "projection_calcs:explode"},
        },
    )
    seen = []
    projector = Projector(metadata_cb=lambda field, value: seen.append((field, value)))
    projector.project(make_run([projection]))
    assert seen == [("sample", "Si")]
    assert projector.issues == []


def test_project_summary_dict_return_fields(calcs):
    """[compat] project_summary_dict returns start-level items, limited to return_fields."""
    projection = _projection(
        sample={"type": "linked", "location": "start", "field": "sample"},
        instrument={"type": "static", "value": "SAXS"},
        boom={
            "type": "calculated",
            "location": "start",
            "calculation": {"callable": "projection_calcs:explode"},
        },
        counts={"type": "linked", "location": "event", "stream": "primary", "field": "det"},
    )
    run = make_run([projection])
    summary, issues = project_summary_dict(run, return_fields=["sample", "instrument", "x"])
    assert summary == {"sample": "Si", "instrument": "SAXS"}
    assert len(issues) == 1 and "'x'" in issues[0]
    with pytest.raises(AssertionError, match="must not run"):
        project_summary_dict(run)


class _StreamOnly:
    """A stream as a remote client offers it: ``to_dask()`` and ``metadata`` only."""

    def __init__(self, stream):
        self._stream = stream
        self.metadata = stream.metadata

    def to_dask(self):
        return self._stream.to_dask()


class _RunLike:
    """A run offering only ``run[stream_name]`` and ``run.metadata`` (no iteration, no ``in``)."""

    def __init__(self, run):
        self._run = run
        self.metadata = run.metadata
        self.lookups = []

    def __getitem__(self, name):
        self.lookups.append(name)
        if name not in ("primary", "baseline"):
            raise KeyError(f"no stream {name!r}; the streams are ['baseline', 'primary']")
        return _StreamOnly(self._run[name])

    def __iter__(self):
        raise AssertionError("the projector must not iterate the run")

    def __contains__(self, name):
        raise AssertionError("the projector must not test membership in the run")

    def __len__(self):
        raise AssertionError("the projector must not ask the run's length")


def test_projections_of_a_run_like_object():
    """[compat] project_xarray / project_summary_dict take any object offering run[stream] and
    run.metadata: the run is never iterated nor asked `in`."""
    projection = _projection(
        sample={"type": "linked", "location": "start", "field": "sample"},
        counts={"type": "linked", "location": "event", "stream": "primary", "field": "det"},
        exposure={
            "type": "linked",
            "location": "configuration",
            "stream": "primary",
            "config_index": 1,
            "config_device": "det",
            "field": "det_exp",
        },
        dark={"type": "linked", "location": "event", "stream": "dark", "field": "det"},
    )
    run = _RunLike(make_run([projection]))
    dataset, issues = project_xarray(run)
    assert dataset.attrs == {"sample": "Si", "exposure": 0.2}
    np.testing.assert_array_equal(dataset["counts"].values, [0, 10, 20, 30])
    assert [d["det"]["data"]["det_exp"] for d in dataset["counts"].attrs["configuration"]] == [
        0.1,
        0.2,
    ]
    assert len(issues) == 1 and "'dark' not found" in issues[0] and "'primary'" in issues[0]
    summary, issues = project_summary_dict(run, return_fields=["sample"])
    assert (summary, issues) == ({"sample": "Si"}, [])
