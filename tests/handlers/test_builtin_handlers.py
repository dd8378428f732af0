"""Built-in handlers and stream readers read the files they are documented to read."""

from __future__ import annotations

import sys

import h5py
import numpy as np
import pytest
import tifffile

from databroker.handlers import (
    AreaDetectorHDF5Handler,
    AreaDetectorHDF5SWMRHandler,
    AreaDetectorTiffHandler,
    HDF5StreamReader,
    NumpySeqHandler,
    SingleTiffHandler,
    TiffSequenceStreamReader,
)

FRAMES = np.arange(6 * 3 * 4, dtype="<u2").reshape(6, 3, 4)


def test_npy_seq(tmp_path):
    """[compat] NPY_SEQ: <base>_<index>.npy; read_many stacks; get_file_list lists them."""
    for i in range(3):
        np.save(tmp_path / f"base_{i}.npy", FRAMES[i])
    handler = NumpySeqHandler(str(tmp_path / "base"))
    np.testing.assert_array_equal(handler(index=1), FRAMES[1])
    np.testing.assert_array_equal(handler.read_many([{"index": 2}, {"index": 0}]), FRAMES[[2, 0]])
    assert handler.get_file_list([{"index": 0}, {"index": 2}]) == [
        str(tmp_path / "base_0.npy"),
        str(tmp_path / "base_2.npy"),
    ]


def test_npy_seq_refuses_pickles(tmp_path):
    """[compat] NPY_SEQ loads without pickle: object arrays are refused."""
    np.save(tmp_path / "obj_0.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        NumpySeqHandler(str(tmp_path / "obj"))(index=0)


@pytest.fixture
def ad_hdf5(tmp_path):
    path = tmp_path / "ad.h5"
    with h5py.File(path, "w") as f:
        f["/entry/data/data"] = FRAMES
    return str(path)


@pytest.mark.parametrize("cls", [AreaDetectorHDF5Handler, AreaDetectorHDF5SWMRHandler])
def test_ad_hdf5(ad_hdf5, cls):
    """[new] AD_HDF5(_SWMR): point p → frames [p·fpp, (p+1)·fpp) of /entry/data/data."""
    handler = cls(ad_hdf5, frame_per_point=2)
    np.testing.assert_array_equal(handler(point_number=1), FRAMES[2:4])
    many = handler.read_many([{"point_number": p} for p in (0, 1, 2)])
    np.testing.assert_array_equal(many, FRAMES.reshape(3, 2, 3, 4))
    apart = handler.read_many([{"point_number": 2}, {"point_number": 0}])
    np.testing.assert_array_equal(apart, FRAMES.reshape(3, 2, 3, 4)[[2, 0]])
    assert handler.get_file_list([{"point_number": 0}]) == [ad_hdf5]
    with pytest.raises(IndexError, match="holds 6"):
        handler(point_number=3)
    handler.close()


def test_hdf5_stream_reader(ad_hdf5):
    """[new] application/x-hdf5: rows [start, stop) of the dataset, multiplier frames per row."""
    reader = HDF5StreamReader(ad_hdf5, dataset="/entry/data/data", chunk_shape=[1, 3, 4])
    np.testing.assert_array_equal(reader(1, 4), FRAMES[1:4])
    doubled = HDF5StreamReader(ad_hdf5, dataset="/entry/data/data", multiplier=2, swmr=False)
    np.testing.assert_array_equal(doubled(1, 3), FRAMES[2:6].reshape(2, 2, 3, 4))
    assert reader.get_file_list() == [ad_hdf5]
    reader.close()


def test_missing_h5py_names_extra(ad_hdf5, monkeypatch):
    """[new] without h5py the first read raises ImportError naming databroker[hdf5]."""
    monkeypatch.setitem(sys.modules, "h5py", None)
    handler = AreaDetectorHDF5Handler(ad_hdf5)  # constructing needs no h5py
    with pytest.raises(ImportError, match=r"databroker\[hdf5\]"):
        handler(point_number=0)


def test_ad_tiff(tmp_path):
    """[new] AD_TIFF: template % (dir + sep, filename, j) for the point's frames, stacked."""
    for j in range(6):
        tifffile.imwrite(tmp_path / f"img_{j:06d}.tiff", FRAMES[j])
    handler = AreaDetectorTiffHandler(
        str(tmp_path), template="%s%s_%6.6d.tiff", filename="img", frame_per_point=2
    )
    np.testing.assert_array_equal(handler(point_number=2), FRAMES[4:6])
    single = AreaDetectorTiffHandler(str(tmp_path), template="%s%s_%6.6d.tiff", filename="img")
    assert single(point_number=3).shape == (3, 4)  # length-1 frame axis squeezed
    np.testing.assert_array_equal(
        single.read_many([{"point_number": 0}, {"point_number": 5}]), FRAMES[[0, 5]]
    )
    assert handler.get_file_list([{"point_number": 1}]) == [
        str(tmp_path / "img_000002.tiff"),
        str(tmp_path / "img_000003.tiff"),
    ]


def test_single_tiff(tmp_path):
    """[new] SINGLE_TIFF: the image of the resource file; read_many reads it once."""
    tifffile.imwrite(tmp_path / "one.tiff", FRAMES[0])
    handler = SingleTiffHandler(str(tmp_path / "one.tiff"))
    np.testing.assert_array_equal(handler(), FRAMES[0])
    np.testing.assert_array_equal(handler.read_many([{}, {}]), FRAMES[[0, 0]])
    assert handler.get_file_list([{}]) == [str(tmp_path / "one.tiff")]


def test_tiff_sequence_reader(tmp_path):
    """[new] TIFF sequence: {:06d} and %s/%d templates, frames per file, multiplier."""
    for j in range(6):
        tifffile.imwrite(tmp_path / f"{j:06d}.tiff", FRAMES[j])
    reader = TiffSequenceStreamReader(str(tmp_path), template="{:06d}.tiff")
    np.testing.assert_array_equal(reader(2, 5), FRAMES[2:5])
    assert len(reader.get_file_list()) == 6
    paired = tmp_path / "paired"
    paired.mkdir()
    for n in range(3):
        tifffile.imwrite(paired / f"scan_{n}.tif", FRAMES[2 * n : 2 * n + 2])
    reader = TiffSequenceStreamReader(
        str(paired), template="%s_%d.tif", filename="scan", chunk_shape=[2, 3, 4]
    )
    np.testing.assert_array_equal(reader(1, 4), FRAMES[1:4])
    doubled = TiffSequenceStreamReader(
        str(paired), template="%s_%d.tif", filename="scan", chunk_shape=[2, 3, 4], multiplier=2
    )
    np.testing.assert_array_equal(doubled(1, 3), FRAMES[2:6].reshape(2, 2, 3, 4))
