"""v1 get_images → lazy Images."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from databroker.handlers import NumpySeqHandler


def _images(db: Any, headers: Any, name: str = "img") -> Any:
    with pytest.warns(UserWarning, match="deprecated"):
        return db.get_images(headers, name)


def test_get_images_sequence(db: Any, recorded: dict[str, str]) -> None:
    """[compat] get_images warns and returns a sequence: len, [i], [-1], get_frame, iteration."""
    images = _images(db, db[recorded["external"]])
    assert len(images) == 3
    assert float(images[1][0, 0]) == 1.0
    assert float(images[-1][0, 0]) == 2.0
    assert float(images.get_frame(0)[0, 0]) == 0.0
    assert [float(frame[0, 0]) for frame in images] == [0.0, 1.0, 2.0]
    with pytest.raises(IndexError):
        images[3]


def test_frame_shape_and_pixel_type(db: Any, recorded: dict[str, str]) -> None:
    """[compat] frame_shape and pixel_type (a numpy dtype) describe one frame."""
    images = _images(db, db[recorded["external"]])
    assert images.frame_shape == (10, 10)
    assert images.pixel_type == np.dtype("float64")


def test_works_without_pims(db: Any, recorded: dict[str, str]) -> None:
    """[fix] Images works without pims installed; frames are numpy arrays then."""
    try:
        import pims  # noqa: F401
    except ImportError:
        images = _images(db, db[recorded["external"]])
        assert isinstance(images[0], np.ndarray)
    else:
        pytest.skip("pims is installed; this test covers the case without it")


def test_frame_loaded_alone(db: Any, recorded: dict[str, str]) -> None:
    """[fix] images[i] and images.get_frame(i) load only frame i."""
    calls = []

    class Counting(NumpySeqHandler):
        def __call__(self, index: int) -> Any:
            calls.append(index)
            return super().__call__(index)

    db.reg.register_handler("NPY_SEQ", Counting, overwrite=True)
    images = _images(db, db[recorded["external"]])
    assert calls == []
    assert float(images[2][0, 0]) == 2.0
    assert calls == [2]
    assert float(images.get_frame(-3)[0, 0]) == 0.0
    assert calls == [2, 0]


def test_internal_images_and_several_headers(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Images spans headers in order and reads internal array fields too."""
    headers = [db[recorded["internal"]], db[recorded["external"]]]
    images = _images(db, headers)
    assert len(images) == 5
    assert images[0].shape == (10, 10)
    assert float(images[4][0, 0]) == 2.0


@pytest.fixture
def fake_pims() -> Iterator[types.ModuleType]:
    """A stand-in ``pims`` module (FramesSequence, Frame with frame_no), images reloaded."""
    import databroker.v1.images as images_module

    module = types.ModuleType("pims")

    class FramesSequence:
        """pims' base class of frame sequences."""

    class Frame(np.ndarray):
        """pims' ndarray subclass carrying the frame number."""

        def __new__(cls, array: Any, frame_no: int | None = None) -> Any:
            frame = np.asarray(array).view(cls)
            frame.frame_no = frame_no
            return frame

    module.FramesSequence = FramesSequence  # type: ignore[attr-defined]
    module.Frame = Frame  # type: ignore[attr-defined]
    saved = sys.modules.get("pims")
    sys.modules["pims"] = module
    try:
        importlib.reload(images_module)
        yield module
    finally:
        if saved is None:
            del sys.modules["pims"]
        else:
            sys.modules["pims"] = saved
        importlib.reload(images_module)


def test_pims_frames_when_installed(
    db: Any, recorded: dict[str, str], fake_pims: types.ModuleType
) -> None:
    """[fix] With pims installed Images is a pims.FramesSequence of pims.Frame with frame_no."""
    images = _images(db, db[recorded["external"]])
    assert isinstance(images, fake_pims.FramesSequence)
    frame = images[-1]
    assert isinstance(frame, fake_pims.Frame)
    assert frame.frame_no == 2
    assert float(frame[0, 0]) == 2.0
    assert images.frame_shape == (10, 10)
