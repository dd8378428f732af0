"""External files through every backend: get_file_list, the file diagnostic, root_map."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from bluesky.plans import count
from ophyd.sim import img


def _resource(catalog: Any, uid: str) -> Any:
    return next(doc for name, doc in catalog[uid].documents(fill="no") if name == "resource")


def test_get_file_list(catalog: Any, RE: Any) -> None:
    """[compat] get_file_list(resource) gives the resource's files after root_map."""
    (uid,) = RE(count([img], 3))
    files = catalog[uid].get_file_list(_resource(catalog, uid))
    assert len(files) == 3
    assert all(os.path.exists(path) for path in files)


def test_check_external_files_reports_missing(
    catalog: Any, RE: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """[new] The diagnostic prints each resource's resolved path and which files are missing."""
    (uid,) = RE(count([img], 2))
    run = catalog[uid]
    (report,) = run.check_external_files()
    assert report.ok and len(report.files) == 2
    os.remove(report.files[0])
    (report,) = run.check_external_files()
    assert report.missing == (report.files[0],)
    output = capsys.readouterr().out
    assert "MISSING" in output and report.files[0] in output


def test_root_map_relocates_files(catalog: Any, RE: Any, tmp_path: Any) -> None:
    """[compat] root_map maps a resource's stored root to where the files are now."""
    from ophyd.sim import SynSignalWithRegistry

    original = tmp_path / "original"
    original.mkdir()
    camera = SynSignalWithRegistry(
        name="img", func=lambda: np.ones((10, 10)), save_path=str(original)
    )
    (uid,) = RE(count([camera], 2))
    resource = _resource(catalog, uid)
    moved = tmp_path / "moved"
    os.rename(resource["root"], moved)
    catalog.root_map[resource["root"]] = str(moved)
    images = catalog[uid].primary.read()["img"]
    assert images.shape == (2, 10, 10)
    np.testing.assert_array_equal(images.values[0], np.ones((10, 10)))


def test_one_lazy_frame_opens_one_file(
    catalog: Any, RE: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[fix] to_dask()['img'][k] opens only frame k's file; one handler serves the resource."""
    from databroker.handlers import NumpySeqHandler

    made: list[Any] = []

    class Counting(NumpySeqHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(*args, **kwargs)

    catalog.register_handler("NPY_SEQ", Counting, overwrite=True)
    (uid,) = RE(count([img], 6))
    files = catalog[uid].get_file_list(_resource(catalog, uid))
    made.clear()
    frames = catalog[uid].primary.to_dask()["img"]
    loads: list[str] = []
    original = np.load

    def load(path: Any, *args: Any, **kwargs: Any) -> Any:
        loads.append(os.path.realpath(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(np, "load", load)
    np.testing.assert_array_equal(frames[3].values, original(files[3]))
    assert loads == [os.path.realpath(files[3])]
    loads.clear()
    assert frames.values.shape == (6, *original(files[0]).shape)
    assert sorted(loads) == sorted(os.path.realpath(f) for f in files)
    assert len(made) == 1
