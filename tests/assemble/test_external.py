"""External Resource/Datum fields through ExternalLoader (rules 9, 10, 12)."""

from __future__ import annotations

import dask
import event_model
import numpy as np
import pytest

from databroker._assemble import build_dataset
from databroker.errors import (
    ExternalFileNotFound,
    HandlerError,
    ShapeMismatchError,
    ShapeMismatchWarning,
    UnknownHandlerSpec,
)
from databroker.handlers import NumpySeqHandler

FRAME = (4, 5)


class CountingNpy(NumpySeqHandler):
    """NPY_SEQ handler counting instances and read_many calls (class-level, reset per test)."""

    instances = 0
    read_many_calls = 0

    def __init__(self, path):
        type(self).instances += 1
        super().__init__(path)

    def read_many(self, datum_kwargs):
        type(self).read_many_calls += 1
        return super().read_many(datum_kwargs)


@pytest.fixture
def counting():
    CountingNpy.instances = CountingNpy.read_many_calls = 0
    return CountingNpy


@pytest.fixture
def file_loads(monkeypatch):
    """Record every np.load path."""
    loads = []
    original = np.load

    def load(path, *args, **kwargs):
        loads.append(str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(np, "load", load)
    return loads


def npy_run(
    tmp_path, *, per_resource=3, resources=2, shape=FRAME, root=None, spec="NPY_SEQ", frames=None
):
    """A run whose 'img' field (NPY_SEQ) spans several resources; files written to tmp_path."""
    run = event_model.compose_run(time=0.0)
    keys = {
        "img": {"source": "sim", "dtype": "array", "shape": list(shape), "external": "FILESTORE:"},
        "x": {"source": "sim", "dtype": "number", "shape": []},
    }
    desc = run.compose_descriptor(name="primary", data_keys=keys, time=1.0)
    docs = [("start", run.start_doc), ("descriptor", desc.descriptor_doc)]
    t = 10.0
    for r in range(resources):
        bundle = run.compose_resource(
            spec=spec, root=root or str(tmp_path), resource_path=f"stem{r}", resource_kwargs={}
        )
        docs.append(("resource", bundle.resource_doc))
        ids = []
        for i in range(per_resource):
            value = frames(r, i) if frames else np.full(shape, 10 * r + i, dtype=float)
            np.save(tmp_path / f"stem{r}_{i}.npy", value)
            datum = bundle.compose_datum(datum_kwargs={"index": i})
            docs.append(("datum", datum))
            ids.append(datum["datum_id"])
        page = desc.compose_event_page(
            data={"img": ids, "x": [float(i) for i in range(per_resource)]},
            timestamps={"img": [t] * per_resource, "x": [t] * per_resource},
            time=[t + i for i in range(per_resource)],
            filled={"img": [False] * per_resource},
        )
        t += per_resource
        docs.append(("event_page", page))
    docs.append(("stop", run.compose_stop()))
    return docs


def expected(resources=2, per_resource=3):
    return np.stack(
        [
            np.full(FRAME, 10 * r + i, dtype=float)
            for r in range(resources)
            for i in range(per_resource)
        ]
    )


def test_read_loads_each_file_once_one_handler_per_resource(
    tmp_path, run_store, stream_of, counting, file_loads
):
    """[fix] rule 10: read() uses one handler per resource, read_many once each, files once."""
    stream = stream_of(run_store(npy_run(tmp_path)), handler_registry={"NPY_SEQ": counting})
    ds = build_dataset(stream, lazy=False)
    np.testing.assert_array_equal(ds["img"].values, expected())
    assert ds["img"].dims == ("time", "dim_0", "dim_1")
    assert counting.instances == 2 and counting.read_many_calls == 2
    assert sorted(file_loads) == sorted(set(file_loads)) and len(file_loads) == 6


def test_to_dask_is_lazy_and_chunked_per_resource(
    tmp_path, run_store, stream_of, counting, file_loads
):
    """[fix] rules 9, 10: to_dask() probes one row, chunks never span resources, files once."""
    stream = stream_of(run_store(npy_run(tmp_path)), handler_registry={"NPY_SEQ": counting})
    ds = build_dataset(stream, lazy=True)
    assert dask.is_dask_collection(ds["img"].data)
    assert ds["img"].data.chunks[0] == (3, 3)
    assert len(file_loads) == 1  # the first row, to learn shape and dtype
    file_loads.clear()
    values = ds["img"].values
    np.testing.assert_array_equal(values, expected())
    assert counting.instances == 2
    assert counting.read_many_calls == 3  # 1 probe + 1 per chunk
    assert sorted(file_loads) == sorted(set(file_loads)) and len(file_loads) == 6


def test_one_frame_of_to_dask_touches_only_its_file(
    tmp_path, run_store, stream_of, counting, file_loads
):
    """[fix] rule 10: to_dask()['img'][k] loads only frame k's file, through one handler."""
    stream = stream_of(run_store(npy_run(tmp_path)), handler_registry={"NPY_SEQ": counting})
    img = build_dataset(stream, lazy=True)["img"]
    file_loads.clear()
    np.testing.assert_array_equal(img[4].values, expected()[4])
    assert file_loads == [str(tmp_path / "stem1_1.npy")]
    file_loads.clear()
    np.testing.assert_array_equal(img.isel(time=slice(1, 5, 2)).values, expected()[1:5:2])
    assert sorted(file_loads) == [str(tmp_path / "stem0_1.npy"), str(tmp_path / "stem1_0.npy")]
    assert counting.instances == 2


def test_selection_within_a_frame_reads_one_file(
    tmp_path, run_store, stream_of, counting, file_loads
):
    """[fix] rule 10: selecting part of one frame of a lazy field reads that frame only."""
    stream = stream_of(run_store(npy_run(tmp_path)), handler_registry={"NPY_SEQ": counting})
    img = build_dataset(stream, lazy=True)["img"]
    file_loads.clear()
    np.testing.assert_array_equal(img[2, 1:3, -1].values, expected()[2, 1:3, -1])
    np.testing.assert_array_equal(img[-1].sum().values, expected()[-1].sum())
    assert file_loads == [str(tmp_path / "stem0_2.npy"), str(tmp_path / "stem1_2.npy")]


def test_chunk_size_limits_rows_per_chunk(tmp_path, run_store, stream_of, counting):
    """[fix] rule 10: chunks hold as many rows as fit in array.chunk-size, at least one."""
    stream = stream_of(run_store(npy_run(tmp_path)), handler_registry={"NPY_SEQ": counting})
    row_bytes = int(np.prod(FRAME)) * 8
    with dask.config.set({"array.chunk-size": f"{2 * row_bytes}B"}):
        ds = build_dataset(stream, lazy=True)
    assert ds["img"].data.chunks[0] == (2, 1, 2, 1)
    with dask.config.set({"array.chunk-size": "1B"}):
        ds = build_dataset(stream, lazy=True)
    assert ds["img"].data.chunks[0] == (1,) * 6
    np.testing.assert_array_equal(ds["img"].values, expected())
    assert counting.instances == 2


def test_unknown_spec_raises_at_build(tmp_path, run_store, stream_of):
    """[fix] rule 12: UnknownHandlerSpec at build time naming field, spec, uids, exclude=."""
    store = run_store(npy_run(tmp_path, spec="WEIRD"))
    stream = stream_of(store, handler_registry={"NPY_SEQ": NumpySeqHandler})
    resource_uid = store.resources()[0]["uid"]
    for lazy in (False, True):
        with pytest.raises(UnknownHandlerSpec) as info:
            build_dataset(stream, lazy=lazy)
        message = str(info.value)
        for part in (
            "'WEIRD'",
            "'img'",
            resource_uid,
            store.uid,
            "NPY_SEQ",
            "exclude=['img']",
            "register_handler",
            "databroker.handlers",
        ):
            assert part in message
    ds = build_dataset(stream, exclude=["img"], lazy=True)
    assert list(ds.data_vars) == ["x"]


def test_without_loader_fields_hold_datum_ids(tmp_path, run_store, stream_of):
    """[compat] no filling possible: external fields are datum-id strings (object dtype)."""
    store = run_store(npy_run(tmp_path))
    ds = build_dataset(stream_of(store), lazy=False)
    assert ds["img"].dtype == object and ds["img"].dims == ("time",)
    assert ds["img"].values[0] == f"{store.resources()[0]['uid']}/0"


def test_root_map_and_missing_file(tmp_path, run_store, stream_of):
    """[compat] root_map rewrites the stored root; a missing file → ExternalFileNotFound."""
    docs = npy_run(tmp_path, root="/stored/root")
    registry = {"NPY_SEQ": NumpySeqHandler}
    ds = build_dataset(
        stream_of(
            run_store(docs), handler_registry=registry, root_map={"/stored/root": str(tmp_path)}
        ),
        lazy=False,
    )
    np.testing.assert_array_equal(ds["img"].values, expected())
    with pytest.raises(ExternalFileNotFound) as info:
        build_dataset(stream_of(run_store(docs), handler_registry=registry), lazy=False)
    assert "/stored/root/stem0_0.npy" in str(info.value) and "root_map" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_root_map_prefix(tmp_path, run_store, stream_of):
    """[new] root_map: with no exact match the longest whole-component prefix applies."""
    docs = npy_run(tmp_path, root=f"/stored/{tmp_path.name}")
    root_map = {"/stored": str(tmp_path.parent), "/sto": "/nowhere", "/stored/other": "/x"}
    stream = stream_of(
        run_store(docs), handler_registry={"NPY_SEQ": NumpySeqHandler}, root_map=root_map
    )
    np.testing.assert_array_equal(build_dataset(stream, lazy=False)["img"].values, expected())


def test_handler_error_is_chained(tmp_path, run_store, stream_of):
    """[new] a handler exception → HandlerError naming spec, resource and datum, chained."""

    class Broken:
        def __init__(self, path):
            pass

        def __call__(self, index):
            raise ZeroDivisionError("boom")

    store = run_store(npy_run(tmp_path))
    stream = stream_of(store, handler_registry={"NPY_SEQ": Broken})
    with pytest.raises(HandlerError) as info:
        build_dataset(stream, lazy=False)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert "'NPY_SEQ'" in str(info.value) and f"{store.resources()[0]['uid']}/0" in str(info.value)
    ds = build_dataset(stream, lazy=True)  # the probe fails; the error surfaces at compute
    with pytest.raises(HandlerError):
        ds["img"].values


def test_declared_shape_with_extra_unit_axis_is_kept(tmp_path, run_store, stream_of):
    """[fix] rule 9: same size with extra length-1 axes → reshaped to the declared shape."""
    docs = npy_run(tmp_path, shape=(1, *FRAME), frames=lambda r, i: np.full(FRAME, 10 * r + i))
    stream = stream_of(run_store(docs), handler_registry={"NPY_SEQ": NumpySeqHandler})
    for lazy in (False, True):
        ds = build_dataset(stream, lazy=lazy)
        assert ds["img"].shape == (6, 1, *FRAME)
        np.testing.assert_array_equal(ds["img"].values[:, 0], expected())


def test_unknown_declared_size_uses_observed_silently(tmp_path, run_store, stream_of):
    """[fix] rule 9: declared 0 entries (ophyd's (x, y, 0)) → observed shape, no warning."""
    docs = npy_run(tmp_path, shape=(*FRAME, 0), frames=lambda r, i: np.full(FRAME, 10 * r + i))
    stream = stream_of(run_store(docs), handler_registry={"NPY_SEQ": NumpySeqHandler})
    ds = build_dataset(stream, lazy=True)
    assert ds["img"].shape == (6, *FRAME)
    np.testing.assert_array_equal(ds["img"].values, expected())


def test_other_declared_size_warns_and_uses_observed(tmp_path, run_store, stream_of):
    """[fix] rule 9: declared shape of another size → observed shape with ShapeMismatchWarning."""
    docs = npy_run(tmp_path, shape=(7,), frames=lambda r, i: np.full(FRAME, 10 * r + i))
    stream = stream_of(run_store(docs), handler_registry={"NPY_SEQ": NumpySeqHandler})
    with pytest.warns(ShapeMismatchWarning, match="'img'"):
        ds = build_dataset(stream, lazy=True)
    assert ds["img"].shape == (6, *FRAME)


def test_later_row_with_other_shape_raises(tmp_path, run_store, stream_of):
    """[fix] rule 9: a later row of another shape → ShapeMismatchError naming seq_num, datum."""

    def frames(r, i):
        return np.zeros((3, 3)) if (r, i) == (1, 1) else np.zeros(FRAME)

    store = run_store(npy_run(tmp_path, frames=frames))
    registry = {
        "NPY_SEQ": type(
            "PerRow",
            (),
            {
                "__init__": lambda self, path: setattr(self, "h", NumpySeqHandler(path)),
                "__call__": lambda self, index: self.h(index),
            },
        )
    }
    datum_id = f"{store.resources()[1]['uid']}/1"
    ds = build_dataset(stream_of(store, handler_registry=registry), lazy=True)
    with pytest.raises(ShapeMismatchError, match=f"seq_num 5.*{datum_id}"):
        ds["img"].values
    with pytest.raises(ShapeMismatchError, match=datum_id):
        build_dataset(stream_of(store, handler_registry=registry), lazy=False)
