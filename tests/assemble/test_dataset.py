"""Internal fields: rows, fields, dtypes, dims, attrs, several descriptors, empty streams."""

from __future__ import annotations

import event_model
import numpy as np
import pytest

from databroker._assemble import build_dataset, dataset_metadata, select_fields
from databroker.errors import ShapeMismatchError, ShapeMismatchWarning


def _key(dtype="number", shape=(), **extra):
    return {"source": "sim", "dtype": dtype, "shape": list(shape), **extra}


def _scan(keys, pages, *, object_keys=None, validate=True):
    """Compose a run with one 'primary' descriptor and the given event-page data columns."""
    run = event_model.compose_run(time=0.0)
    desc = run.compose_descriptor(
        name="primary", data_keys=keys, object_keys=object_keys or {}, time=0.5
    )
    docs = [("start", run.start_doc), ("descriptor", desc.descriptor_doc)]
    for data, times in pages:
        page = desc.compose_event_page(
            data=data,
            timestamps={k: [t + 0.1 for t in times] for k in data},
            time=times,
            validate=validate,
        )
        docs.append(("event_page", page))
    docs.append(("stop", run.compose_stop()))
    return docs


def test_internal_dtypes_and_dims(run_store, stream_of):
    """[compat] rules 4, 5, 7: numpy dtypes kept, time coordinate, dim_N from a shared counter."""
    keys = {
        "x": _key(),
        "img": _key("array", (2, 3)),
        "s": _key("string"),
        "n": _key("integer"),
        "b": _key("boolean"),
        "v": _key("array", (4,)),
    }
    img = np.arange(6.0).reshape(2, 3)
    data = {
        "x": [1.5, 2.5],
        "img": [img, img + 1],
        "s": ["ab", "cde"],
        "n": [1, 2],
        "b": [True, False],
        "v": [[1, 2, 3, 4]] * 2,
    }
    ds = build_dataset(stream_of(run_store(_scan(keys, [(data, [10.0, 11.0])]))), lazy=False)
    assert list(ds.data_vars) == ["x", "img", "s", "n", "b", "v"]
    assert list(ds.coords) == ["time"]
    assert ds["time"].dtype == np.float64 and ds["time"].values.tolist() == [10.0, 11.0]
    assert ds["x"].dtype == np.float64 and ds["x"].dims == ("time",)
    assert ds["img"].dims == ("time", "dim_0", "dim_1") and ds["img"].shape == (2, 2, 3)
    assert ds["v"].dims == ("time", "dim_2")
    assert ds["s"].dtype.kind == "U" and ds["s"].values.tolist() == ["ab", "cde"]
    assert ds["n"].dtype == np.int64 and ds["b"].dtype == np.bool_
    np.testing.assert_array_equal(ds["img"].values[1], img + 1)
    assert ds.attrs == {}


def test_rows_ordered_by_time_across_pages(run_store, stream_of):
    """[compat] rule 3: one row per event ordered by event time, stable for equal times."""
    keys = {"x": _key()}
    docs = _scan(keys, [({"x": [1.0, 2.0]}, [5.0, 7.0]), ({"x": [3.0, 4.0]}, [6.0, 7.0])])
    ds = build_dataset(stream_of(run_store(docs)), lazy=False)
    assert ds["time"].values.tolist() == [5.0, 6.0, 7.0, 7.0]
    assert ds["x"].values.tolist() == [1.0, 3.0, 2.0, 4.0]


def _two_descriptors(keys_a, data_a, keys_b, data_b):
    run = event_model.compose_run(time=0.0)
    a = run.compose_descriptor(name="primary", data_keys=keys_a, time=1.0)
    b = run.compose_descriptor(name="primary", data_keys=keys_b, time=2.0, validate=False)
    n_a, n_b = len(next(iter(data_a.values()))), len(next(iter(data_b.values())))
    page_a = a.compose_event_page(
        data=data_a,
        timestamps={k: [1.0] * n_a for k in data_a},
        time=[10.0 + 2 * i for i in range(n_a)],
        validate=False,
    )
    page_b = b.compose_event_page(
        data=data_b,
        timestamps={k: [1.0] * n_b for k in data_b},
        time=[11.0 + 2 * i for i in range(n_b)],
        validate=False,
    )
    return [
        ("start", run.start_doc),
        ("descriptor", a.descriptor_doc),
        ("descriptor", b.descriptor_doc),
        ("event_page", page_a),
        ("event_page", page_b),
    ]


def test_two_descriptors_keep_dtype_and_fill_missing(run_store, stream_of):
    """[fix] rules 2, 8: fields of all descriptors; dtype kept when all have it; NaN/None fill."""
    keys_a = {"n": _key("integer"), "s": _key("string")}
    keys_b = {"n": _key("integer"), "m": _key("integer")}
    docs = _two_descriptors(
        keys_a, {"n": [1, 2], "s": ["p", "q"]}, keys_b, {"n": [3, 4], "m": [7, 8]}
    )
    ds = build_dataset(stream_of(run_store(docs)), lazy=False)
    assert list(ds.data_vars) == ["n", "s", "m"]
    assert ds["time"].values.tolist() == [10.0, 11.0, 12.0, 13.0]
    assert ds["n"].dtype == np.int64 and ds["n"].values.tolist() == [1, 3, 2, 4]
    assert ds["m"].dtype == np.float64
    np.testing.assert_array_equal(ds["m"].values, [np.nan, 7, np.nan, 8])
    assert ds["s"].dtype == object and ds["s"].values.tolist() == ["p", None, "q", None]


def test_two_descriptors_conflicting_declared_shapes(run_store, stream_of):
    """[fix] rule 8: one field with different shapes in two descriptors → ShapeMismatchError."""
    docs = _two_descriptors(
        {"a": _key("array", (2,))},
        {"a": [[1, 2]]},
        {"a": _key("array", (3,))},
        {"a": [[1, 2, 3]]},
    )
    with pytest.raises(ShapeMismatchError, match=r"'a'.*\[2\].*\[3\]"):
        build_dataset(stream_of(run_store(docs)), lazy=False)


def test_two_descriptors_conflicting_observed_shapes(run_store, stream_of):
    """[fix] rule 8: observed shapes differing between descriptors name both descriptors."""
    docs = _two_descriptors(
        {"a": _key("array", (None,))},
        {"a": [[1, 2]]},
        {"a": _key("array", (None,))},
        {"a": [[1, 2, 3]]},
    )
    store = run_store(docs)
    with pytest.raises(ShapeMismatchError) as info:
        build_dataset(stream_of(store), lazy=False)
    for descriptor in store.descriptors():
        assert descriptor["uid"] in str(info.value)


def test_ragged_rows_become_objects(run_store, stream_of):
    """[new] rule 7: rows of differing shapes in one descriptor → object variable + warning."""
    docs = _scan({"a": _key("array", (None,))}, [({"a": [[1, 2], [1, 2, 3]]}, [1.0, 2.0])])
    with pytest.warns(ShapeMismatchWarning, match="'a'"):
        ds = build_dataset(stream_of(run_store(docs)), lazy=False)
    assert ds["a"].dtype == object and ds["a"].dims == ("time",)
    assert [list(v) for v in ds["a"].values] == [[1, 2], [1, 2, 3]]


def test_empty_stream_has_declared_shapes(run_store, stream_of):
    """[compat] rules 9, 11: no events → shape (0, *shape), declared dtype, empty time."""
    keys = {
        "img": _key("array", (2, 3)),
        "n": _key("integer"),
        "f": _key("number", dtype_numpy="<f4"),
        "s": _key("string"),
    }
    ds = build_dataset(stream_of(run_store(_scan(keys, []))), lazy=False)
    assert ds.sizes["time"] == 0
    assert ds["img"].shape == (0, 2, 3) and ds["img"].dtype == np.float64
    assert ds["n"].dtype == np.int64 and ds["f"].dtype == np.float32
    assert ds["s"].dtype == object


def test_dims_from_data_key_and_shared_counter(run_store, stream_of):
    """[compat] rule 5: DataKey dims used; others take dim_N from one counter in field order."""
    keys = {
        "a": _key("array", (2, 3)),
        "d": _key("array", (2,), dims=["x"]),
        "b": _key("array", (4,)),
    }
    data = {"a": [np.zeros((2, 3))], "d": [[1, 2]], "b": [[1, 2, 3, 4]]}
    ds = build_dataset(stream_of(run_store(_scan(keys, [(data, [1.0])]))), lazy=False)
    assert ds["a"].dims == ("time", "dim_0", "dim_1")
    assert ds["d"].dims == ("time", "x")
    assert ds["b"].dims == ("time", "dim_2")


def test_dims_of_wrong_length_are_ignored_with_warning(run_store, stream_of):
    """[fix] rule 5: DataKey dims whose length differs from the value's ndim → warning, dim_N."""
    keys = {"d": _key("array", (2,), dims=["x", "y"])}
    docs = _scan(keys, [({"d": [[1, 2]]}, [1.0])])
    with pytest.warns(ShapeMismatchWarning, match="dims"):
        ds = build_dataset(stream_of(run_store(docs)), lazy=False)
    assert ds["d"].dims == ("time", "dim_0")


def test_attrs_name_the_object(run_store, stream_of):
    """[compat] rule 6: variable attrs {'object': name} from object_keys, {} when unlisted."""
    keys = {"det": _key(), "det_extra": _key(), "loose": _key()}
    data = {"det": [1.0], "det_extra": [2.0], "loose": [3.0]}
    docs = _scan(keys, [(data, [1.0])], object_keys={"det": ["det", "det_extra"]})
    ds = build_dataset(stream_of(run_store(docs)), lazy=False)
    assert ds["det"].attrs == {"object": "det"}
    assert ds["det_extra"].attrs == {"object": "det"}
    assert ds["loose"].attrs == {}


def test_select_fields_include_exclude():
    """[fix] rule 2: union in first-appearance order; include/exclude keep it; both → ValueError."""
    descriptors = [{"data_keys": {"b": {}, "a": {}}}, {"data_keys": {"c": {}, "a": {}}}]
    assert select_fields(descriptors) == ["b", "a", "c"]
    assert select_fields(descriptors, include=["c", "b", "nope"]) == ["b", "c"]
    assert select_fields(descriptors, exclude=["a", "nope"]) == ["b", "c"]
    with pytest.raises(ValueError, match="not both"):
        select_fields(descriptors, include=["a"], exclude=["b"])


def test_include_filters_dataset(run_store, stream_of):
    """[compat] stream(include=...): only the listed fields are variables."""
    docs = _scan({"x": _key(), "y": _key()}, [({"x": [1.0], "y": [2.0]}, [1.0])])
    ds = build_dataset(stream_of(run_store(docs)), include=["y"], lazy=False)
    assert list(ds.data_vars) == ["y"]


def test_lazy_internal_fields_are_dask(run_store, stream_of):
    """[compat] to_dask(): every data variable dask-backed, coordinates numpy, same values."""
    import dask

    keys = {"x": _key(), "s": _key("string"), "img": _key("array", (2,))}
    docs = _scan(keys, [({"x": [1.0, 2.0], "s": ["a", "b"], "img": [[1, 2], [3, 4]]}, [1.0, 2.0])])
    stream = stream_of(run_store(docs))
    lazy = build_dataset(stream, lazy=True)
    eager = build_dataset(stream, lazy=False)
    for name in lazy.data_vars:
        assert dask.is_dask_collection(lazy[name].data)
    assert not dask.is_dask_collection(lazy["time"].data)
    assert lazy.compute().identical(eager)


def test_dataset_metadata(run_store, stream_of):
    """[compat] .metadata gains dims, data_vars, coords and attrs after read()."""
    docs = _scan(
        {"x": _key(), "img": _key("array", (2,))}, [({"x": [1.0], "img": [[1, 2]]}, [1.0])]
    )
    meta = dataset_metadata(build_dataset(stream_of(run_store(docs)), lazy=False))
    assert meta == {
        "dims": {"time": 1, "dim_0": 2},
        "data_vars": {"x": ["time"], "img": ["time", "dim_0"]},
        "coords": ["time"],
        "attrs": {},
    }
