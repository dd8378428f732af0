"""The databroker.assets shims: 1.x handler import paths resolve to the built-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

import databroker.handlers as builtins
from databroker.assets import handlers, path_only_handlers


@pytest.mark.parametrize(
    "name",
    [
        "AreaDetectorHDF5Handler",
        "AreaDetectorHDF5SWMRHandler",
        "AreaDetectorTiffHandler",
        "SingleTiffHandler",
    ],
)
def test_1x_names_are_builtins(name: str) -> None:
    """[compat] databroker.assets.handlers.<1.x name> is the built-in handler class."""
    assert getattr(handlers, name) is getattr(builtins, name)


def test_1x_dotted_path_in_registry() -> None:
    """[compat] parse_handler_registry accepts the 1.x dotted path of a handler."""
    from databroker.core import parse_handler_registry

    registry = parse_handler_registry(
        {"AD_TIFF": "databroker.assets.handlers.AreaDetectorTiffHandler"}
    )
    assert registry["AD_TIFF"] is builtins.AreaDetectorTiffHandler


def test_raw_handler() -> None:
    """[compat] RawHandler returns (path, resource_kwargs, datum_kwargs)."""
    handler = path_only_handlers.RawHandler("/data/file.h5", frame_per_point=2)
    assert handler(point_number=3) == ("/data/file.h5", {"frame_per_point": 2}, {"point_number": 3})
    assert handlers.RawHandler is path_only_handlers.RawHandler


def test_tiff_path_only_handler(tmp_path: Path) -> None:
    """[compat] AreaDetectorTiffPathOnlyHandler returns the point's file paths."""
    handler = path_only_handlers.AreaDetectorTiffPathOnlyHandler(
        str(tmp_path), template="%s%s_%6.6d.tiff", filename="img", frame_per_point=2
    )
    assert handler(point_number=1) == [
        str(tmp_path / "img_000002.tiff"),
        str(tmp_path / "img_000003.tiff"),
    ]
