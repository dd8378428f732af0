"""Dimension names of variables (rule 5)."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping
from typing import Any

from ..errors import ShapeMismatchWarning

__all__ = ["DimNamer"]


class DimNamer:
    """Names the non-time axes of the variables of one dataset.

    A DataKey's ``dims`` are used when their number matches the value's; otherwise the axes
    get ``dim_0, dim_1, ...`` from one counter shared by all fields of the dataset, in the
    order the fields are named.
    """

    def __init__(self) -> None:
        self._counter = itertools.count()

    def dims(self, field: str, data_key: Mapping[str, Any], ndim: int) -> tuple[str, ...]:
        """Return ``('time', ...)`` for a field whose values have ``ndim`` axes per row."""
        declared = data_key.get("dims")
        if declared is not None:
            if len(declared) == ndim:
                return ("time", *declared)
            warnings.warn(
                f"Field {field!r} declares dims {list(declared)} but its values have {ndim} "
                f"axes per row; using generated dimension names instead.",
                ShapeMismatchWarning,
                stacklevel=3,
            )
        return ("time", *(f"dim_{next(self._counter)}" for _ in range(ndim)))
