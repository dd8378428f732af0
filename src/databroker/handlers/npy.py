"""Handler for ``NPY_SEQ``: one ``.npy`` file per datum (ophyd.sim's ``img`` detector)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["NumpySeqHandler"]


class NumpySeqHandler:
    """Read ``<base>_<index>.npy`` files.

    Parameters
    ----------
    path
        The base path: the resource's root joined with its ``resource_path``.
    """

    specs = frozenset({"NPY_SEQ"})

    def __init__(self, path: str) -> None:
        self._base = path

    def _file(self, index: int) -> str:
        return f"{self._base}_{index}.npy"

    def __call__(self, index: int) -> np.ndarray:
        """Return the array saved for datum ``index`` (never unpickling objects)."""
        return np.load(self._file(index), allow_pickle=False)

    def read_many(self, datum_kwargs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Return the arrays of several datum stacked along a new first axis."""
        return np.stack([self(**kwargs) for kwargs in datum_kwargs])

    def get_file_list(self, datum_kwargs: Iterable[Mapping[str, Any]]) -> list[str]:
        """Return the file of each datum."""
        return [self._file(kwargs["index"]) for kwargs in datum_kwargs]
