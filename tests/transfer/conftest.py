"""Runs with external files of every kind, in a msgpack catalog, for the transfer tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from databroker.testing.backends import storage


def _stream_docs(directory: Path) -> list[tuple[str, Any]]:
    from tests.core.test_pickle import _stream_resource_run

    return _stream_resource_run(directory)


@pytest.fixture
def source(tmp_path: Path) -> Any:
    """A msgpack catalog with an NPY_SEQ run (ophyd.sim img), an AD_HDF5 run and a
    StreamResource HDF5 run."""
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import img

    from tests.core.test_pickle import _ad_hdf5_run

    catalog = storage("msgpack", tmp_path / "source").catalog()
    write = catalog.serializer()
    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(write)
    engine(count([img], 3))
    for kind, make in (("ad", _ad_hdf5_run), ("sr", _stream_docs)):
        directory = tmp_path / kind
        directory.mkdir()
        for name, doc in make(directory):
            write(name, doc)
    catalog.force_reload()
    assert len(catalog) == 3
    return catalog
