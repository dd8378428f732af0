"""event-model Filler construction, the 'delayed' coercion, the handler pool."""

from __future__ import annotations

import subprocess
import sys

import event_model
import numpy as np
import pytest

from databroker._fill import HandlerPool, make_filler, register_delayed_coercion
from databroker.errors import (
    ExternalFileNotFound,
    HandlerImportError,
    InvalidEventType,
    UnknownHandlerSpec,
)
from databroker.handlers import NumpySeqHandler


def _npy_documents(tmp_path, root):
    run = event_model.compose_run()
    desc = run.compose_descriptor(
        name="primary",
        data_keys={
            "img": {"source": "s", "dtype": "array", "shape": [2, 3], "external": "FILESTORE:"}
        },
    )
    res = run.compose_resource(spec="NPY_SEQ", root=root, resource_path="f", resource_kwargs={})
    np.save(tmp_path / "f_0.npy", np.arange(6.0).reshape(2, 3))
    datum = res.compose_datum(datum_kwargs={"index": 0})
    event = desc.compose_event(
        data={"img": datum["datum_id"]}, timestamps={"img": 1.0}, filled={"img": False}
    )
    return [
        ("start", run.start_doc),
        ("descriptor", desc.descriptor_doc),
        ("resource", res.resource_doc),
        ("datum", datum),
        ("event", event),
    ]


def _fill(filler, documents):
    out = None
    for name, doc in documents:
        out = filler(name, doc)
    return out[1]


def test_delayed_coercion_gives_dask_arrays(tmp_path):
    """[compat] after registration, Filler(coerce='delayed') fills dask arrays; idempotent."""
    import dask

    register_delayed_coercion()
    register_delayed_coercion()
    filler = make_filler(event_model.Filler, {"NPY_SEQ": NumpySeqHandler}, {}, "delayed")
    event = _fill(filler, _npy_documents(tmp_path, str(tmp_path)))
    value = event["data"]["img"]
    assert dask.is_dask_collection(value) and value.shape == (2, 3)
    np.testing.assert_array_equal(value.compute(), np.arange(6.0).reshape(2, 3))


def test_registration_does_not_import_dask():
    """[compat] registering the coercion stays light: dask is imported only when filling."""
    code = (
        "import sys; from databroker._fill import register_delayed_coercion; "
        "register_delayed_coercion(); import event_model; "
        "assert 'delayed' in event_model._coercion_registry; "
        "print(sorted(m for m in ('dask', 'xarray', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_make_filler_dotted_class_and_prefix_root_map(tmp_path):
    """[compat]/[new] filler_class may be a dotted string; the Filler uses the prefix rule."""
    filler = make_filler(
        "event_model.Filler",
        {"NPY_SEQ": NumpySeqHandler},
        {"/stored": str(tmp_path.parent)},
        "force_numpy",
    )
    assert isinstance(filler, event_model.Filler)
    event = _fill(filler, _npy_documents(tmp_path, f"/stored/{tmp_path.name}"))
    np.testing.assert_array_equal(event["data"]["img"], np.arange(6.0).reshape(2, 3))
    with pytest.raises(HandlerImportError, match=r"'nope.Filler'"):
        make_filler("nope.Filler", {}, {}, "force_numpy")


class Closable:
    closed: list[str] = []

    def __init__(self, path):
        self.path = path

    def __call__(self):
        return np.zeros(1)

    def close(self):
        Closable.closed.append(self.path)


def test_pool_is_bounded_and_closes_evicted():
    """[fix] at most max_open handler instances per run; evicted ones are closed (LRU)."""
    Closable.closed = []
    pool = HandlerPool({"S": Closable}, {}, "run-uid", max_open=2)
    docs = [
        {"uid": f"r{i}", "spec": "S", "root": "/", "resource_path": f"p{i}", "resource_kwargs": {}}
        for i in range(3)
    ]
    pool.read_datum(docs[0], [{}], ["r0/0"])
    pool.read_datum(docs[1], [{}], ["r1/0"])
    pool.read_datum(docs[0], [{}], ["r0/1"])  # r0 is now the most recently used
    pool.read_datum(docs[2], [{}], ["r2/0"])
    assert len(pool) == 2 and Closable.closed == ["/p1"]
    pool.close()
    assert sorted(Closable.closed) == ["/p0", "/p1", "/p2"] and len(pool) == 0


def test_pool_errors():
    """[fix] unknown spec and missing files raise the specific errors with the uids."""
    pool = HandlerPool({"NPY_SEQ": NumpySeqHandler}, {"/old": "/new"}, "run-uid")
    doc = {
        "uid": "res-1",
        "spec": "NPY_SEQ",
        "root": "/old",
        "resource_path": "x",
        "resource_kwargs": {},
    }
    with pytest.raises(ExternalFileNotFound, match=r"'/new/x_0.npy'.*res-1.*'/old'.*'/new'"):
        pool.read_datum(doc, [{"index": 0}], ["res-1/0"])
    with pytest.raises(UnknownHandlerSpec, match=r"'OTHER'.*res-1.*run-uid.*'f'"):
        pool.handler_class({**doc, "spec": "OTHER"}, "f")


def test_pool_rejects_kwargs_that_are_no_mapping():
    """[fix] datum_kwargs or resource_kwargs that are no mapping raise InvalidEventType."""
    pool = HandlerPool({"NPY_SEQ": NumpySeqHandler}, {}, "run-uid")
    doc = {"uid": "res-1", "spec": "NPY_SEQ", "root": "/r", "resource_path": "x"}
    with pytest.raises(InvalidEventType, match=r"datum 'res-1/0'.*res-1.*run-uid") as info:
        pool.read_datum({**doc, "resource_kwargs": {}}, ["oops"], ["res-1/0"])
    assert isinstance(info.value, TypeError)
    with pytest.raises(InvalidEventType, match=r"resource_kwargs of resource 'res-1'"):
        pool.read_datum({**doc, "resource_kwargs": "oops"}, [{"index": 0}], ["res-1/0"])


def test_pool_pickles_without_open_handlers():
    """[fix] the handler pool travels to dask workers without its open instances."""
    import pickle

    pool = HandlerPool({"S": Closable}, {"/a": "/b"}, "run-uid")
    pool.read_datum(
        {"uid": "r", "spec": "S", "root": "/a", "resource_path": "p", "resource_kwargs": {}},
        [{}],
        ["r/0"],
    )
    copy = pickle.loads(pickle.dumps(pool))
    assert len(pool) == 1 and len(copy) == 0
    assert copy.root_map == {"/a": "/b"} and copy.handler_registry == {"S": Closable}
    copy.read_datum(
        {"uid": "r", "spec": "S", "root": "/a", "resource_path": "p", "resource_kwargs": {}},
        [{}],
        ["r/0"],
    )
    assert len(copy) == 1
