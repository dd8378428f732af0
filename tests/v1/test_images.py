"""v1 get_images → lazy Images."""

from __future__ import annotations

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
    """[fix] images[i] loads only frame i."""
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


def test_internal_images_and_several_headers(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Images spans headers in order and reads internal array fields too."""
    headers = [db[recorded["internal"]], db[recorded["external"]]]
    images = _images(db, headers)
    assert len(images) == 5
    assert images[0].shape == (10, 10)
    assert float(images[4][0, 0]) == 2.0
