"""StreamResource/StreamDatum fields (rules 3 [new], 13) through the HDF5 stream reader."""

from __future__ import annotations

import dask
import event_model
import h5py
import numpy as np
import pytest

from databroker._assemble import build_dataset, build_timestamps
from databroker.errors import DatabrokerWarning, UnknownHandlerSpec
from databroker.handlers import HDF5StreamReader

MIME = "application/x-hdf5"


class CountingReader(HDF5StreamReader):
    """HDF5 stream reader counting instances and calls."""

    instances = 0
    calls: list[tuple[int, int]] = []

    def __init__(self, path, **parameters):
        type(self).instances += 1
        super().__init__(path, **parameters)

    def __call__(self, start, stop):
        type(self).calls.append((start, stop))
        return super().__call__(start, stop)


@pytest.fixture
def reader():
    CountingReader.instances = 0
    CountingReader.calls = []
    return CountingReader


def _file(path, rows, offset):
    with h5py.File(path, "w") as f:
        f["/entry/data"] = np.arange(offset, offset + rows * 4, dtype="<f8").reshape(rows, 2, 2)


def stream_run(tmp_path, *, events=(), placeholder=False, covered=5):
    """'img' (STREAM:) served by two files: seq 1-3 from file a rows 0-2, 4-5 from file b."""
    run = event_model.compose_run(time=0.0)
    keys = {
        "img": {
            "source": "sim",
            "dtype": "array",
            "shape": [2, 2],
            "external": "STREAM:",
            "dtype_numpy": "<f8",
        },
        "x": {"source": "sim", "dtype": "number", "shape": []},
    }
    desc = run.compose_descriptor(
        name="primary", data_keys=keys, time=1.0, object_keys={"cam": ["img"]}
    )
    docs = [("start", run.start_doc), ("descriptor", desc.descriptor_doc)]
    _file(tmp_path / "a.h5", 3, 0)
    _file(tmp_path / "b.h5", 2, 100)
    for name, (seq, idx) in (("a", ((1, 4), (0, 3))), ("b", ((4, 6), (0, 2)))):
        bundle = run.compose_stream_resource(
            mimetype=MIME,
            uri=f"file://localhost{tmp_path}/{name}.h5",
            data_key="img",
            parameters={"dataset": "/entry/data", "swmr": False, "chunk_shape": [1, 2, 2]},
        )
        docs.append(("stream_resource", bundle.stream_resource_doc))
        stop = min(seq[1], covered + 1)
        if stop <= seq[0]:
            continue
        seq_nums = {"start": 0, "stop": 0} if placeholder else {"start": seq[0], "stop": stop}
        docs.append(
            (
                "stream_datum",
                bundle.compose_stream_datum(
                    indices={"start": idx[0], "stop": idx[0] + stop - seq[0]},
                    seq_nums=seq_nums,
                    descriptor=desc.descriptor_doc,
                ),
            )
        )
    for seq in events:
        docs.append(
            (
                "event",
                desc.compose_event(
                    data={"x": float(seq)},
                    timestamps={"x": 50.0 + seq},
                    seq_num=seq,
                    time=40.0 + seq,
                ),
            )
        )
    return docs


EXPECTED = np.concatenate(
    [np.arange(0, 12.0).reshape(3, 2, 2), np.arange(100, 108.0).reshape(2, 2, 2)]
)


def test_fly_scan_rows_from_stream_datum(tmp_path, run_store, stream_of, reader):
    """[new] rule 3: rows per seq_num from StreamDatum, NaN time, seq_num coordinate."""
    stream = stream_of(run_store(stream_run(tmp_path)), handler_registry={MIME: reader})
    ds = build_dataset(stream, lazy=False)
    assert ds["seq_num"].values.tolist() == [1, 2, 3, 4, 5]
    assert ds["seq_num"].dtype == np.int64 and ds["seq_num"].dims == ("time",)
    assert np.isnan(ds["time"].values).all()
    np.testing.assert_array_equal(ds["img"].values, EXPECTED)
    assert ds["img"].attrs == {"object": "cam"}
    assert np.isnan(ds["x"].values).all()
    assert reader.instances == 2 and sorted(reader.calls) == [(0, 2), (0, 3)]


def test_stream_field_lazy_chunks_per_stream_resource(tmp_path, run_store, stream_of, reader):
    """[fix] rule 10: to_dask() chunks of STREAM: fields never span two StreamResources."""
    stream = stream_of(run_store(stream_run(tmp_path)), handler_registry={MIME: reader})
    ds = build_dataset(stream, lazy=True)
    assert dask.is_dask_collection(ds["img"].data)
    assert ds["img"].data.chunks[0] == (3, 2)
    reader.calls.clear()
    np.testing.assert_array_equal(ds["img"].values, EXPECTED)
    assert sorted(reader.calls) == [(0, 2), (0, 3)]


def test_step_scan_uncovered_rows_are_nan(tmp_path, run_store, stream_of, reader):
    """[new] rule 13: event rows not covered by StreamDatum are NaN, with a warning."""
    docs = stream_run(tmp_path, events=range(1, 6), covered=4)
    stream = stream_of(run_store(docs), handler_registry={MIME: reader})
    with pytest.warns(DatabrokerWarning, match="'img'.*\\[5\\]"):
        ds = build_dataset(stream, lazy=False)
    assert ds["time"].values.tolist() == [41.0, 42.0, 43.0, 44.0, 45.0]
    assert ds["x"].values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    np.testing.assert_array_equal(ds["img"].values[:4], EXPECTED[:4])
    assert np.isnan(ds["img"].values[4]).all()
    ts = build_timestamps(stream)
    assert np.isnan(ts["img"].values).all() and ts["x"].values.tolist()[0] == 51.0


def test_placeholder_seq_nums(tmp_path, run_store, stream_of, reader):
    """[new] StreamDatum seq_nums {0, 0} read as following the previous one, with a warning."""
    docs = stream_run(tmp_path, placeholder=True)
    stream = stream_of(run_store(docs), handler_registry={MIME: reader})
    with pytest.warns(DatabrokerWarning, match="placeholder"):
        ds = build_dataset(stream, lazy=False)
    assert ds["seq_num"].values.tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(ds["img"].values, EXPECTED)


def test_unknown_mimetype_raises_at_build(tmp_path, run_store, stream_of):
    """[fix] rule 12: a StreamResource mimetype without reader → UnknownHandlerSpec at build."""
    stream = stream_of(run_store(stream_run(tmp_path)), handler_registry={})
    with pytest.raises(UnknownHandlerSpec, match=r"mimetype 'application/x-hdf5'.*'img'"):
        build_dataset(stream, lazy=True)
    assert list(build_dataset(stream, exclude=["img"], lazy=False).data_vars) == ["x"]


def test_stream_field_without_loader_holds_stream_datum_uids(tmp_path, run_store, stream_of):
    """[new] no loader: a STREAM: field holds the covering StreamDatum uid per row."""
    store = run_store(stream_run(tmp_path))
    ds = build_dataset(stream_of(store), lazy=False)
    uids = [d["uid"] for n, d in store._docs if n == "stream_datum"]
    assert ds["img"].values.tolist() == [uids[0]] * 3 + [uids[1]] * 2
