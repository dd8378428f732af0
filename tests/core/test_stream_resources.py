"""StreamResource/StreamDatum runs (HDF5) written and read back through every backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dask
import numpy as np
import pytest

from tests.assemble.test_stream_datum import EXPECTED, stream_run


@pytest.fixture
def stream_uid(catalog: Any, recorder: Any, tmp_path: Path) -> str:
    """A step-scan run whose 'img' values live in two HDF5 files (StreamResource/StreamDatum)."""
    files = tmp_path / "h5"
    files.mkdir()
    documents = stream_run(files, events=range(1, 6))
    for name, doc in documents:
        recorder(name, doc)
    stop = {
        "uid": "stop-" + documents[0][1]["uid"],
        "run_start": documents[0][1]["uid"],
        "time": 100.0,
        "exit_status": "success",
    }
    recorder("stop", stop)
    return documents[0][1]["uid"]


def test_stream_documents_round_trip(catalog: Any, recorder: Any, stream_uid: str) -> None:
    """[new] documents() yields stream_resource and stream_datum unchanged, after descriptors."""
    names = [name for name, _ in catalog[stream_uid].documents(fill="yes")]
    assert names.count("stream_resource") == 2
    assert names.count("stream_datum") == 2
    assert names.index("descriptor") < names.index("stream_resource") < names.index("stream_datum")
    emitted = [doc for name, doc in recorder.emitted[stream_uid] if name == "stream_datum"]
    returned = [
        dict(doc)
        for name, doc in catalog[stream_uid].documents(fill="no")
        if name == "stream_datum"
    ]
    assert returned == emitted


def test_stream_fields_read_and_lazy(catalog: Any, stream_uid: str) -> None:
    """[new] read() and to_dask() assemble STREAM: fields from the HDF5 files."""
    stream = catalog[stream_uid].primary
    dataset = stream.read()
    np.testing.assert_array_equal(dataset["img"].values, EXPECTED)
    assert dataset["x"].values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    lazy = stream.to_dask()
    assert dask.is_dask_collection(lazy["img"].data)
    np.testing.assert_array_equal(lazy["img"].values, EXPECTED)


def test_stream_resource_file_list(catalog: Any, stream_uid: str) -> None:
    """[new] get_file_list accepts a StreamResource and returns its file."""
    run = catalog[stream_uid]
    resources = [doc for name, doc in run.documents(fill="no") if name == "stream_resource"]
    files = [run.get_file_list(doc) for doc in resources]
    assert [Path(paths[0]).name for paths in files] == ["a.h5", "b.h5"]
