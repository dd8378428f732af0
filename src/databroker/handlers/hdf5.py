"""HDF5 handlers: area-detector files (``AD_HDF5``, ``AD_HDF5_SWMR``) and the
``application/x-hdf5`` stream reader. h5py is imported at first read (``databroker[hdf5]``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._optional import require

__all__ = ["AreaDetectorHDF5Handler", "AreaDetectorHDF5SWMRHandler", "HDF5StreamReader"]


class _HDF5File:
    """One HDF5 file opened read-only at first use, optionally in SWMR mode."""

    def __init__(self, path: str, swmr: bool) -> None:
        self.path = path
        self.swmr = swmr
        self._file: Any = None

    def dataset(self, name: str) -> Any:
        """Return the dataset ``name``, refreshed first in SWMR mode to see new frames."""
        if self._file is None:
            h5py = require("h5py", "hdf5")
            self._file = h5py.File(self.path, "r", swmr=self.swmr)
        dataset = self._file[name]
        if self.swmr:
            dataset.refresh()
        return dataset

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _is_consecutive(numbers: Sequence[int]) -> bool:
    return all(b == a + 1 for a, b in itertools.pairwise(numbers))


class AreaDetectorHDF5Handler:
    """Frames of ``/entry/data/data`` written by an area detector's HDF5 plugin.

    Parameters
    ----------
    path
        The HDF5 file (resource root joined with ``resource_path``).
    frame_per_point
        Frames per datum; datum ``point_number`` p gives frames ``[p·fpp, (p+1)·fpp)``.
    """

    specs = frozenset({"AD_HDF5"})
    _swmr = False
    _dataset_name = "/entry/data/data"

    def __init__(self, path: str, frame_per_point: int = 1) -> None:
        self._file = _HDF5File(path, swmr=self._swmr)
        self._fpp = frame_per_point

    def _frames(self, first_point: int, points: int) -> np.ndarray:
        dataset = self._file.dataset(self._dataset_name)
        start = first_point * self._fpp
        stop = start + points * self._fpp
        if stop > dataset.shape[0]:
            raise IndexError(
                f"Points [{first_point}, {first_point + points}) need frames [{start}, {stop}) "
                f"but {self._file.path!r}:{self._dataset_name} holds {dataset.shape[0]}."
            )
        return np.asarray(dataset[start:stop])

    def __call__(self, point_number: int) -> np.ndarray:
        """Return the frames of one point, shape ``(frame_per_point, *frame)``."""
        return self._frames(point_number, 1)

    def read_many(self, datum_kwargs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Return the frames of several points, shape ``(n, frame_per_point, *frame)``."""
        points = [kwargs["point_number"] for kwargs in datum_kwargs]
        if points and _is_consecutive(points):
            # One contiguous slice: a single read instead of one per point.
            frames = self._frames(points[0], len(points))
            return frames.reshape(len(points), self._fpp, *frames.shape[1:])
        return np.stack([self(point) for point in points])

    def get_file_list(self, datum_kwargs: Iterable[Mapping[str, Any]]) -> list[str]:
        """Return the HDF5 file (all datum of the resource share it)."""
        return [self._file.path]

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class AreaDetectorHDF5SWMRHandler(AreaDetectorHDF5Handler):
    """Like :class:`AreaDetectorHDF5Handler`, reading a file that is still being written."""

    specs = frozenset({"AD_HDF5_SWMR"})
    _swmr = True


class HDF5StreamReader:
    """Rows of one dataset of an HDF5 file (StreamResource mimetype ``application/x-hdf5``).

    Parameters
    ----------
    path
        The HDF5 file (from the StreamResource ``uri``).
    dataset
        Path of the dataset inside the file.
    multiplier
        Frames per row: row i is frames ``[i·m, (i+1)·m)``, giving rows of shape
        ``(m, *frame)`` when m > 1.
    swmr
        Open in SWMR mode and refresh before each read (for files still being written).
    **parameters
        Other StreamResource parameters (such as ``chunk_shape``), not needed for reading.
    """

    specs = frozenset({"application/x-hdf5"})

    def __init__(
        self,
        path: str,
        dataset: str,
        multiplier: int = 1,
        swmr: bool = True,
        **parameters: Any,
    ) -> None:
        self._file = _HDF5File(path, swmr=swmr)
        self._dataset = dataset
        self._multiplier = multiplier

    def __call__(self, start: int, stop: int) -> np.ndarray:
        """Return rows ``[start, stop)``; the leading axis has length ``stop - start``."""
        data = self._file.dataset(self._dataset)
        first, last = start * self._multiplier, stop * self._multiplier
        if last > data.shape[0]:
            raise IndexError(
                f"Rows [{start}, {stop}) need entries [{first}, {last}) but "
                f"{self._file.path!r}:{self._dataset} holds {data.shape[0]}."
            )
        frames = np.asarray(data[first:last])
        if self._multiplier == 1:
            return frames
        return frames.reshape(stop - start, self._multiplier, *frames.shape[1:])

    def get_file_list(self) -> list[str]:
        """Return the HDF5 file."""
        return [self._file.path]

    def close(self) -> None:
        """Close the file."""
        self._file.close()
