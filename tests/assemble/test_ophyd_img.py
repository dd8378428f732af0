"""ophyd.sim's img detector writes NPY_SEQ files that NumpySeqHandler reads."""

from __future__ import annotations

import dask
import numpy as np
import pytest

from databroker._assemble import build_dataset
from databroker.handlers import NumpySeqHandler

bluesky = pytest.importorskip("bluesky")


def test_count_img_reads_back(tmp_path, run_store, stream_of):
    """[compat] NPY_SEQ: RE(count([img], 3)) from ophyd.sim reads back via read() and to_dask()."""
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import SynSignalWithRegistry

    # The same device as ophyd.sim.img, writing into tmp_path instead of a mkdtemp directory.
    img = SynSignalWithRegistry(
        func=lambda: np.arange(100.0).reshape(10, 10), name="img", save_path=str(tmp_path)
    )
    documents = []
    RE = RunEngine({})
    RE(count([img], 3), lambda name, doc: documents.append((name, doc)))
    resource = next(doc for name, doc in documents if name == "resource")
    assert resource["spec"] == "NPY_SEQ" and resource["root"] == str(tmp_path)
    stream = stream_of(run_store(documents), handler_registry={"NPY_SEQ": NumpySeqHandler})
    eager = build_dataset(stream, lazy=False)
    assert eager["img"].shape == (3, 10, 10)
    np.testing.assert_array_equal(eager["img"].values[2], np.arange(100.0).reshape(10, 10))
    lazy = build_dataset(stream, lazy=True)
    assert dask.is_dask_collection(lazy["img"].data)
    assert lazy.compute().identical(eager)
