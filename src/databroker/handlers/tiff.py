"""TIFF handlers: area-detector TIFF series (``AD_TIFF``), single images (``SINGLE_TIFF``) and
the ``multipart/related;type=image/tiff`` stream reader. tifffile is imported at first read
(``databroker[tiff]``)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._optional import require

__all__ = ["AreaDetectorTiffHandler", "SingleTiffHandler", "TiffSequenceStreamReader"]


def _imread(path: str) -> np.ndarray:
    return np.asarray(require("tifffile", "tiff").imread(path))


class AreaDetectorTiffHandler:
    """Files written by an area detector's TIFF plugin, one or more frames per point.

    Parameters
    ----------
    path
        The directory (resource root joined with ``resource_path``).
    template
        printf template taking ``(directory + separator, filename, frame number)``,
        e.g. ``'%s%s_%6.6d.tiff'``.
    filename
        The file name stem.
    frame_per_point
        Frames (files) per datum; datum ``point_number`` p gives frames
        ``[p·fpp, (p+1)·fpp)``, stacked with length-1 axes squeezed.
    """

    specs = frozenset({"AD_TIFF"})

    def __init__(self, path: str, template: str, filename: str, frame_per_point: int = 1) -> None:
        self._directory = os.path.join(path, "")  # ends with a separator
        self._template = template
        self._filename = filename
        self._fpp = frame_per_point

    def _files(self, point_number: int) -> list[str]:
        first = point_number * self._fpp
        return [
            self._template % (self._directory, self._filename, frame)
            for frame in range(first, first + self._fpp)
        ]

    def __call__(self, point_number: int) -> np.ndarray:
        """Return the frames of one point stacked, length-1 axes squeezed."""
        return np.stack([_imread(path) for path in self._files(point_number)]).squeeze()

    def read_many(self, datum_kwargs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Return the values of several points stacked along a new first axis."""
        return np.stack([self(**kwargs) for kwargs in datum_kwargs])

    def get_file_list(self, datum_kwargs: Iterable[Mapping[str, Any]]) -> list[str]:
        """Return the files of every datum, in order."""
        return [path for kwargs in datum_kwargs for path in self._files(kwargs["point_number"])]


class SingleTiffHandler:
    """One TIFF image per resource; its datum take no arguments.

    Parameters
    ----------
    path
        The TIFF file (resource root joined with ``resource_path``).
    """

    specs = frozenset({"SINGLE_TIFF"})

    def __init__(self, path: str) -> None:
        self._path = path

    def __call__(self) -> np.ndarray:
        """Return the image."""
        return _imread(self._path)

    def read_many(self, datum_kwargs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Return the image once per datum, stacked, reading the file once."""
        image = self()
        return np.repeat(image[np.newaxis], len(datum_kwargs), axis=0)

    def get_file_list(self, datum_kwargs: Iterable[Mapping[str, Any]]) -> list[str]:
        """Return the TIFF file."""
        return [self._path]


class TiffSequenceStreamReader:
    """Rows from a directory of TIFF files (mimetype ``multipart/related;type=image/tiff``).

    Parameters
    ----------
    path
        The directory (from the StreamResource ``uri``).
    template
        File name of file number j: ``'{:06d}.tiff'`` style (``template.format(j)``) or
        printf style with ``%d`` (``template % j``), where a leading ``%s`` takes ``filename``.
    filename
        Value of the template's leading ``%s``.
    chunk_shape
        Its first element is the number of frames per file (default 1).
    multiplier
        Frames per row: row i is frames ``[i·m, (i+1)·m)``, shape ``(m, *frame)`` when m > 1.
    **parameters
        Other StreamResource parameters, not needed for reading.
    """

    specs = frozenset({"multipart/related;type=image/tiff"})

    def __init__(
        self,
        path: str,
        template: str,
        filename: str = "",
        chunk_shape: Sequence[int] = (1,),
        multiplier: int = 1,
        **parameters: Any,
    ) -> None:
        self._directory = path
        self._template = template
        self._filename = filename
        self._frames_per_file = chunk_shape[0] if chunk_shape else 1
        self._multiplier = multiplier

    def _file(self, number: int) -> str:
        if "%" not in self._template:
            name = self._template.format(number)
        elif self._template.startswith("%s"):
            name = self._template % (self._filename, number)
        else:
            name = self._template % number
        return os.path.join(self._directory, name)

    def _file_frames(self, number: int) -> np.ndarray:
        """Return the frames stored in file ``number`` with a leading frame axis."""
        image = _imread(self._file(number))
        return image[np.newaxis] if self._frames_per_file == 1 else image

    def __call__(self, start: int, stop: int) -> np.ndarray:
        """Return rows ``[start, stop)``, reading each file once."""
        first, last = start * self._multiplier, stop * self._multiplier
        per_file = self._frames_per_file
        pieces = []
        for number in range(first // per_file, (last - 1) // per_file + 1):
            frames = self._file_frames(number)
            offset = number * per_file
            pieces.append(frames[max(first - offset, 0) : last - offset])
        frames = np.concatenate(pieces)
        if self._multiplier == 1:
            return frames
        return frames.reshape(stop - start, self._multiplier, *frames.shape[1:])

    def get_file_list(self) -> list[str]:
        """Return the files present in the directory, from file 0 up to the first gap."""
        files: list[str] = []
        while os.path.exists(path := self._file(len(files))):
            files.append(path)
        return files
