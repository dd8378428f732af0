"""Plain pickle of to_dask() graphs with external fields: unpickled in a fresh process."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import event_model
import numpy as np
import pytest

pytest.importorskip("h5py")

Docs = list[tuple[str, dict[str, Any]]]


def _catalog(documents: Docs) -> Any:
    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog()
    serializer = catalog._get_serializer()
    for name, doc in documents:
        serializer(name, doc)
    catalog.force_reload()
    return catalog


def _npy_seq_run(tmp_path: Path) -> Docs:
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import SynSignalWithRegistry

    img = SynSignalWithRegistry(
        func=lambda: np.arange(20.0).reshape(4, 5), name="img", save_path=str(tmp_path)
    )
    documents: Docs = []
    RunEngine({})(count([img], 3), lambda name, doc: documents.append((name, doc)))
    return documents


def _ad_hdf5_run(tmp_path: Path) -> Docs:
    import h5py

    with h5py.File(tmp_path / "frames.h5", "w") as f:
        f["/entry/data/data"] = np.arange(60.0).reshape(3, 4, 5)
    run = event_model.compose_run(time=0.0)
    resource = run.compose_resource(
        spec="AD_HDF5",
        root=str(tmp_path),
        resource_path="frames.h5",
        resource_kwargs={"frame_per_point": 1},
    )
    key = {"source": "sim", "dtype": "array", "shape": [1, 4, 5], "external": "FILESTORE:"}
    desc = run.compose_descriptor(name="primary", data_keys={"img": key}, time=1.0)
    documents: Docs = [
        ("start", run.start_doc),
        ("descriptor", desc.descriptor_doc),
        ("resource", resource.resource_doc),
    ]
    for i in range(3):
        datum = resource.compose_datum(datum_kwargs={"point_number": i})
        documents.append(("datum", datum))
        event = desc.compose_event(
            data={"img": datum["datum_id"]},
            timestamps={"img": 1.0 + i},
            seq_num=i + 1,
            time=1.0 + i,
            filled={"img": False},
        )
        documents.append(("event", event))
    documents.append(("stop", run.compose_stop(time=10.0)))
    return documents


def _stream_resource_run(tmp_path: Path) -> Docs:
    from tests.assemble.test_stream_datum import stream_run

    documents = stream_run(tmp_path, events=range(1, 6))
    start = documents[0][1]["uid"]
    stop = {"uid": f"stop-{start}", "run_start": start, "time": 100.0, "exit_status": "success"}
    return [*documents, ("stop", stop)]


RUNS = {"NPY_SEQ": _npy_seq_run, "AD_HDF5": _ad_hdf5_run, "StreamResource": _stream_resource_run}


@pytest.mark.parametrize("kind", sorted(RUNS))
def test_to_dask_pickles_and_computes_in_fresh_process(kind: str, tmp_path: Path) -> None:
    """[fix] pickle.dumps(stream.to_dask()) works; a new process computes the same values."""
    documents = RUNS[kind](tmp_path)
    run = _catalog(documents)[documents[0][1]["uid"]]
    expected = run.primary.read()["img"].values
    graph = tmp_path / "graph.pickle"
    graph.write_bytes(pickle.dumps(run.primary.to_dask()))
    result = tmp_path / "result.npy"
    code = (
        "import pickle, sys, numpy\n"
        "dataset = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "numpy.save(sys.argv[2], dataset['img'].values)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(graph), str(result)], check=True)
    np.testing.assert_array_equal(np.load(result), expected)
